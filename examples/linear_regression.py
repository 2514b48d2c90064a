"""The tutorials' linear regression, trained with mlax.jit on the CPU.

From "JAX for the Impatient": fit W, b of y = x W + b to noisy samples by gradient
descent on the mean squared error, printing the loss every 5 steps. The gradients come
from mlax.grad; the per-sample loss is batched with mlax.vmap.
"""
import mlax as jax
from mlax import numpy as jnp, random

# The tutorial's numbers were recorded with JAX's earlier threefry key splitting.
jax.config.update("jax_threefry_partitionable", False)


def predict(W, b, x):
    return jnp.dot(x, W) + b


def mse(W, b, x_batched, y_batched):
    def squared_error(x, y):
        y_pred = predict(W, b, x)
        return jnp.inner(y - y_pred, y - y_pred) / 2.0
    return jnp.mean(jax.vmap(squared_error)(x_batched, y_batched), axis=0)


@jax.jit
def update_params(W, b, x, y, lr):
    W, b = W - lr * jax.grad(mse, 0)(W, b, x, y), b - lr * jax.grad(mse, 1)(W, b, x, y)
    return W, b


def main():
    n_samples, x_dim, y_dim = 20, 10, 5
    key = random.PRNGKey(0)
    k1, k2 = random.split(key)
    W = random.normal(k1, (x_dim, y_dim))
    b = random.normal(k2, (y_dim,))
    key_sample, key_noise = random.split(k1)
    x_samples = random.normal(key_sample, (n_samples, x_dim))
    y_samples = predict(W, b, x_samples) + 0.1 * random.normal(key_noise, (n_samples, y_dim))
    print("x shape:", x_samples.shape, "; y shape:", y_samples.shape)

    W_hat = jnp.zeros_like(W)
    b_hat = jnp.zeros_like(b)
    learning_rate = 0.3
    print('Loss for "true" W,b: ', mse(W, b, x_samples, y_samples))
    for i in range(101):
        W_hat, b_hat = update_params(W_hat, b_hat, x_samples, y_samples, learning_rate)
        if i % 5 == 0:
            print(f"Loss step {i}: ", mse(W_hat, b_hat, x_samples, y_samples))


if __name__ == "__main__":
    main()
