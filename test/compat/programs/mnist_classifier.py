# Source: JAX examples, mnist_classifier.py ("A basic MNIST example using JAX with the
#   mini-libraries stax and optimizers")
#   https://github.com/jax-ml/jax/blob/main/examples/mnist_classifier.py
# Changed: synthetic MNIST-shaped data instead of datasets.mnist(); Dense(128) layers instead
# of Dense(1024); 2 epochs of 8 batches; timing printed, not compared.
import time
import itertools

import numpy.random as npr

import jax.numpy as jnp
from jax import jit, grad, random
from jax.example_libraries import optimizers
from jax.example_libraries import stax
from jax.example_libraries.stax import Dense, Relu, LogSoftmax

from _report import report


def loss(params, batch):
    inputs, targets = batch
    preds = predict(params, inputs)
    return -jnp.mean(jnp.sum(preds * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


init_random_params, predict = stax.serial(
    Dense(128), Relu,
    Dense(128), Relu,
    Dense(10), LogSoftmax)


def synthetic_mnist(rng, n, projection):
    images = rng.rand(n, 784).astype("float32")
    labels = (images @ projection).argmax(1)
    return images, (labels[:, None] == jnp.arange(10)).astype("float32")


if __name__ == "__main__":
    rng = random.key(0)
    step_size = 0.001
    num_epochs = 2
    batch_size = 128
    momentum_mass = 0.9

    data_rng = npr.RandomState(1)
    projection = data_rng.randn(784, 10)
    train_images, train_labels = synthetic_mnist(data_rng, 1024, projection)
    test_images, test_labels = synthetic_mnist(data_rng, 256, projection)
    num_train = train_images.shape[0]
    num_complete_batches, leftover = divmod(num_train, batch_size)
    num_batches = num_complete_batches + bool(leftover)

    def data_stream():
        rng = npr.RandomState(0)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * batch_size:(i + 1) * batch_size]
                yield train_images[batch_idx], train_labels[batch_idx]
    batches = data_stream()

    opt_init, opt_update, get_params = optimizers.momentum(step_size, mass=momentum_mass)

    @jit
    def update(i, opt_state, batch):
        params = get_params(opt_state)
        return opt_update(i, grad(loss)(params, batch), opt_state)

    _, init_params = init_random_params(rng, (-1, 28 * 28))
    opt_state = opt_init(init_params)
    itercount = itertools.count()

    for epoch in range(num_epochs):
        start_time = time.time()
        for _ in range(num_batches):
            opt_state = update(next(itercount), opt_state, next(batches))
        epoch_time = time.time() - start_time
        params = get_params(opt_state)
        print(f"Epoch {epoch} in {epoch_time:0.2f} sec")
        report(f"epoch {epoch} training loss", loss(params, (train_images, train_labels)),
               rtol=1e-3)
        report(f"epoch {epoch} training accuracy", accuracy(params, (train_images, train_labels)),
               atol=2e-3)
        report(f"epoch {epoch} test accuracy", accuracy(params, (test_images, test_labels)),
               atol=5e-3)
