"""The tutorials' linear regression, trained with mlax.jit on the CPU.

From "JAX for the Impatient": fit W, b of y = x W + b to noisy samples by gradient
descent on the mean squared error, printing the loss every 5 steps.
"""
import numpy as np

import mlax as jax
from mlax import numpy as jnp


def predict(W, b, x):
    return jnp.dot(x, W) + b


def mse(W, b, x_batched, y_batched):
    err = y_batched - predict(W, b, x_batched)
    return jnp.mean(jnp.sum(err * err, axis=1) / 2.0, axis=0)


def mse_grads(W, b, x, y):
    # d/dW and d/db of mse, derived by hand.
    err = predict(W, b, x) - y
    n = x.shape[0]
    return jnp.dot(x.T, err) / n, jnp.sum(err, axis=0) / n


@jax.jit
def update_params(W, b, x, y, lr):
    gW, gb = mse_grads(W, b, x, y)
    return W - lr * gW, b - lr * gb


def main():
    n_samples, x_dim, y_dim = 20, 10, 5
    rng = np.random.default_rng(0)
    W = jnp.asarray(rng.normal(size=(x_dim, y_dim)).astype(np.float32))
    b = jnp.asarray(rng.normal(size=(y_dim,)).astype(np.float32))
    x_samples = jnp.asarray(rng.normal(size=(n_samples, x_dim)).astype(np.float32))
    noise = jnp.asarray(rng.normal(size=(n_samples, y_dim)).astype(np.float32))
    y_samples = predict(W, b, x_samples) + 0.1 * noise
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
