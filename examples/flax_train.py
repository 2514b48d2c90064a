"""Train a flax.linen MLP and CNN with optax, written against JAX.

    python examples/flax_train.py                  # on JAX
    python -m mlax.compat examples/flax_train.py   # on mlax: `import jax` resolves to mlax

The same file runs under both; it prints one loss per line (every training step of each
model, then each model's evaluation loss), so the two runs can be compared line by line.
The data are NumPy draws from a fixed seed; parameters and dropout masks come from
`jax.random` keys, which mlax draws as JAX does.
"""
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen as nn
from flax.training import train_state


class MLP(nn.Module):
    """Dense -> LayerNorm -> relu -> Dropout -> Dense."""
    hidden: int = 32
    classes: int = 4

    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.Dense(self.hidden)(x)
        x = nn.LayerNorm()(x)
        x = nn.relu(x)
        x = nn.Dropout(rate=0.1, deterministic=not train)(x)
        return nn.Dense(self.classes)(x)


class CNN(nn.Module):
    """Two 3x3 convolutions with average pooling, then a Dense classifier."""
    classes: int = 4

    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.relu(nn.Conv(8, kernel_size=(3, 3))(x))
        x = nn.avg_pool(x, window_shape=(2, 2), strides=(2, 2))
        x = nn.relu(nn.Conv(16, kernel_size=(3, 3), padding="VALID")(x))
        x = x.reshape((x.shape[0], -1))
        x = nn.Dropout(rate=0.1, deterministic=not train)(x)
        x = nn.LayerNorm()(x)
        return nn.Dense(self.classes)(x)


def cross_entropy(logits, labels):
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


@jax.jit
def train_step(state, x, y, dropout_key):
    def loss_fn(params):
        logits = state.apply_fn({"params": params}, x, train=True,
                                rngs={"dropout": dropout_key})
        return cross_entropy(logits, y)

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss


@jax.jit
def eval_loss(state, x, y):
    return cross_entropy(state.apply_fn({"params": state.params}, x, train=False), y)


def train(model, x, y, steps, learning_rate, seed=0):
    """Train `model` on (x, y) in batches of 16; the losses of every step and the final
    evaluation loss over all of x."""
    init_key, dropout_key = jax.random.split(jax.random.PRNGKey(seed))
    params = model.init(init_key, x[:1], train=False)["params"]
    state = train_state.TrainState.create(apply_fn=model.apply, params=params,
                                          tx=optax.adam(learning_rate))
    losses = []
    for step in range(steps):
        i = (step * 16) % x.shape[0]
        state, loss = train_step(state, x[i:i + 16], y[i:i + 16],
                                 jax.random.fold_in(dropout_key, step))
        losses.append(float(loss))
    return losses, float(eval_loss(state, x, y))


def data(rng, n, shape):
    """Inputs of `shape` and 4 classes that depend on them (a fixed random projection)."""
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    w = rng.standard_normal((int(np.prod(shape)), 4)).astype(np.float32)
    y = np.argmax(x.reshape(n, -1) @ w, axis=1).astype(np.int32)
    return jnp.asarray(x), jnp.asarray(y)


def main(steps=30):
    rng = np.random.default_rng(0)
    for model, shape, lr in ((MLP(), (10,), 1e-2), (CNN(), (8, 8, 1), 3e-3)):
        x, y = data(rng, 64, shape)
        losses, final = train(model, x, y, steps, lr)
        for loss in losses:
            print(f"{loss:.7g}")
        print(f"{final:.7g}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
