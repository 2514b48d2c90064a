# Source: JAX examples, mnist_classifier_fromscratch.py ("A basic MNIST example using Numpy
#   and JAX") https://github.com/jax-ml/jax/blob/main/examples/mnist_classifier_fromscratch.py
# Changed: synthetic MNIST-shaped data instead of datasets.mnist() (random images, one-hot
# labels from a fixed projection); layers 784-128-128-10 instead of 784-1024-1024-10;
# 2 epochs of 8 batches; timing printed, not compared.
import time

import numpy.random as npr

from jax import jit, grad
from jax.scipy.special import logsumexp
import jax.numpy as jnp

from _report import report


def init_random_params(scale, layer_sizes, rng=npr.RandomState(0)):
    return [(scale * rng.randn(m, n), scale * rng.randn(n))
            for m, n, in zip(layer_sizes[:-1], layer_sizes[1:])]


def predict(params, inputs):
    activations = inputs
    for w, b in params[:-1]:
        outputs = jnp.dot(activations, w) + b
        activations = jnp.tanh(outputs)
    final_w, final_b = params[-1]
    logits = jnp.dot(activations, final_w) + final_b
    return logits - logsumexp(logits, axis=1, keepdims=True)


def loss(params, batch):
    inputs, targets = batch
    preds = predict(params, inputs)
    return -jnp.mean(jnp.sum(preds * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


def synthetic_mnist(rng, n, projection):
    images = rng.rand(n, 784).astype("float32")
    labels = (images @ projection).argmax(1)
    return images, (labels[:, None] == jnp.arange(10)).astype("float32")


if __name__ == "__main__":
    layer_sizes = [784, 128, 128, 10]
    param_scale = 0.1
    step_size = 0.001
    num_epochs = 2
    batch_size = 128

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

    @jit
    def update(params, batch):
        grads = grad(loss)(params, batch)
        return [(w - step_size * dw, b - step_size * db)
                for (w, b), (dw, db) in zip(params, grads)]

    params = init_random_params(param_scale, layer_sizes)
    for epoch in range(num_epochs):
        start_time = time.time()
        for _ in range(num_batches):
            params = update(params, next(batches))
        epoch_time = time.time() - start_time
        train_acc = accuracy(params, (train_images, train_labels))
        test_acc = accuracy(params, (test_images, test_labels))
        print(f"Epoch {epoch} in {epoch_time:0.2f} sec")
        report(f"epoch {epoch} training loss", loss(params, (train_images, train_labels)),
               rtol=1e-3)
        report(f"epoch {epoch} training accuracy", train_acc, atol=2e-3)
        report(f"epoch {epoch} test accuracy", test_acc, atol=5e-3)
