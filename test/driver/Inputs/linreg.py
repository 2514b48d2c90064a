"""Linear regression from the seeds' JAX tutorial, as mlax-compile input."""
import mlax as jax
from mlax import numpy as jnp


def predict(W, b, x):
    return jnp.dot(x, W) + b


def mse(W, b, x, y):
    err = predict(W, b, x) - y
    return jnp.mean(jnp.sum(err * err, axis=1) / 2.0)


@jax.jit
def update_params(W, b, x, y, lr):
    # The gradient of mse, derived by hand.
    err = predict(W, b, x) - y
    n = x.shape[0]
    return W - lr * (x.T @ err) / n, b - lr * jnp.sum(err, axis=0) / n


# The seeds' own code: mse through vmap, update_params through grad.
def mse_seed(W, b, x_batched, y_batched):
    def squared_error(x, y):
        y_pred = predict(W, b, x)
        return jnp.inner(y - y_pred, y - y_pred) / 2.0
    return jnp.mean(jax.vmap(squared_error)(x_batched, y_batched), axis=0)


@jax.jit
def update_params_seed(W, b, x, y, lr):
    W, b = W - lr * jax.grad(mse_seed, 0)(W, b, x, y), b - lr * jax.grad(mse_seed, 1)(W, b, x, y)
    return W, b


def scale(x, factor):
    return x * factor


def pytree_fn(params, x):
    return {"y": jnp.dot(x, params["W"]) + params["b"], "norm": (jnp.sum(x * x), None)}


def broken(x):
    return jnp.dot(x, x[:3])   # shapes do not line up


if __name__ == "__main__":
    raise SystemExit("mlax-compile must not run this")
