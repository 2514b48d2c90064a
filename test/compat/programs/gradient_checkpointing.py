# Source: JAX docs, "Gradient checkpointing with jax.checkpoint (jax.remat)"
#   https://docs.jax.dev/en/latest/gradient-checkpointing.html
#   (docs/notebooks/autodiff_remat.md in github.com/jax-ml/jax)
# Changed: print_saved_residuals / print_fwd_bwd (which print JAX's internal residual lists)
# are left out; the gradients of every checkpointed variant are reported instead, and
# checked against the gradient without checkpointing.
import jax
import jax.numpy as jnp
from jax.ad_checkpoint import checkpoint_name

from _report import report


def g(W, x):
    y = jnp.dot(W, x)
    return jnp.sin(y)


def f(W1, W2, W3, x):
    x = g(W1, x)
    x = g(W2, x)
    x = g(W3, x)
    return x


W1 = jnp.ones((5, 4)) * 0.3
W2 = jnp.ones((6, 5)) * 0.2
W3 = jnp.ones((7, 6)) * 0.1
x = jnp.ones(4)
loss = lambda f: lambda *args: jnp.sum(f(*args))
reference = jax.grad(loss(f), argnums=(0, 1, 2, 3))(W1, W2, W3, x)
report("grad without checkpoint", reference)


def f2(W1, W2, W3, x):
    x = jax.checkpoint(g)(W1, x)
    x = jax.checkpoint(g)(W2, x)
    x = jax.checkpoint(g)(W3, x)
    return x


report("grad with checkpoint per layer", jax.grad(loss(f2), argnums=(0, 1, 2, 3))(W1, W2, W3, x))
f3 = jax.checkpoint(f, policy=jax.checkpoint_policies.dots_with_no_batch_dims_saveable)
report("grad with dots saveable policy", jax.grad(loss(f3), argnums=(0, 1, 2, 3))(W1, W2, W3, x))


def f4(W1, W2, W3, x):
    x = checkpoint_name(g(W1, x), name='a')
    x = checkpoint_name(g(W2, x), name='b')
    x = checkpoint_name(g(W3, x), name='c')
    return x


f4 = jax.checkpoint(f4, policy=jax.checkpoint_policies.save_only_these_names('a'))
report("grad with named residuals", jax.grad(loss(f4), argnums=(0, 1, 2, 3))(W1, W2, W3, x))


def loss2(params, x, y):
    return jnp.sum((predict(params, x) - y) ** 2)


def predict(params, x):
    *Ws, Wlast = params
    for i, W in enumerate(Ws):
        x = layer(W, x)
        x = checkpoint_name(x, name=f'layer{i}_output')
    x = jnp.dot(Wlast, x)
    return x


def layer(W, x):
    return jnp.sin(jnp.dot(W, x))


W1 = W2 = W3 = jnp.ones((4, 4)) * 0.25
params = [W1, W2, W3]
x = jnp.ones(4)
y = jnp.ones(4)
report("mlp grad", jax.grad(loss2)(params, x, y))
loss_checkpoint2 = jax.checkpoint(
    loss2, policy=jax.checkpoint_policies.save_any_names_but_these('layer1_output'))
report("mlp grad checkpointed", jax.grad(loss_checkpoint2)(params, x, y))
report("remat alias", jax.grad(jax.remat(loss2))(params, x, y))


def chain_compose(funs):
    def f(x):
        for fun in funs:
            x = fun(x)
        return x
    return f


def recursive_checkpoint(funs):
    if len(funs) == 1:
        return funs[0]
    elif len(funs) == 2:
        f1, f2 = funs
        return lambda x: f1(f2(x))
    else:
        f1 = recursive_checkpoint(funs[:len(funs) // 2])
        f2 = recursive_checkpoint(funs[len(funs) // 2:])
        return lambda x: f1(jax.checkpoint(f2)(x))


report("chain grad", jax.grad(chain_compose([jnp.sin] * 16))(3.))
report("recursive checkpoint grad", jax.grad(recursive_checkpoint([jnp.sin] * 16))(3.))
report("checkpoint under jit and vmap", jax.jit(jax.vmap(jax.grad(
    jax.checkpoint(lambda x: jnp.sin(jnp.sin(x))))))(jnp.arange(3.)))
report("checkpoint with static_argnums", jax.grad(
    jax.checkpoint(lambda x, n: x ** n, static_argnums=(1,)))(2., 3))
