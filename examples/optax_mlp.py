"""An MLP trained with optax's adam, written against JAX; it runs unchanged on mlax through
the compat hook:

    python examples/optax_mlp.py                    # the real jax
    python -m mlax.compat examples/optax_mlp.py     # mlax (import jax gives mlax)

Prints the loss every 20 steps (synthetic data: a noisy sine)."""
import sys

import numpy as np
import jax
import jax.numpy as jnp
import optax


def init(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [{"w": jax.random.normal(k, (m, n)) * jnp.sqrt(2.0 / m), "b": jnp.zeros(n)}
            for k, m, n in zip(keys, sizes[:-1], sizes[1:])]


def predict(params, x):
    for layer in params[:-1]:
        x = jax.nn.gelu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def loss_fn(params, x, y):
    return jnp.mean(optax.l2_loss(predict(params, x), y))


optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(3e-3))


@jax.jit
def step(params, opt_state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
rng = np.random.default_rng(0)
x = rng.uniform(-3, 3, (256, 1)).astype(np.float32)
y = (np.sin(x) + 0.05 * rng.normal(size=x.shape)).astype(np.float32)
params = init(jax.random.PRNGKey(0), [1, 64, 64, 1])
opt_state = optimizer.init(params)
for i in range(steps + 1):
    params, opt_state, loss = step(params, opt_state, x, y)
    if i % 20 == 0:
        print(f"step {i:4d}  loss {float(loss):.6f}")
