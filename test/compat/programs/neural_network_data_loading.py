# Source: JAX docs, "Training a simple neural network, with PyTorch data loading"
#   https://docs.jax.dev/en/latest/notebooks/Neural_Network_and_Data_Loading.html
# Changed: synthetic MNIST-shaped data (random images, labels from a fixed projection)
# batched with NumPy instead of torchvision/DataLoader; 784-64-64-10 layers instead of
# 784-512-512-10; 2 epochs of 8 batches.
import time

import numpy as np
import jax.numpy as jnp
from jax import grad, jit, vmap
from jax import random
from jax.scipy.special import logsumexp

from _report import report


def random_layer_params(m, n, key, scale=1e-2):
    w_key, b_key = random.split(key)
    return scale * random.normal(w_key, (n, m)), scale * random.normal(b_key, (n,))


def init_network_params(sizes, key):
    keys = random.split(key, len(sizes))
    return [random_layer_params(m, n, k) for m, n, k in zip(sizes[:-1], sizes[1:], keys)]


layer_sizes = [784, 64, 64, 10]
step_size = 0.01
num_epochs = 2
batch_size = 128
n_targets = 10
params = init_network_params(layer_sizes, random.key(0))


def relu(x):
    return jnp.maximum(0, x)


def predict(params, image):
    activations = image
    for w, b in params[:-1]:
        outputs = jnp.dot(w, activations) + b
        activations = relu(outputs)
    final_w, final_b = params[-1]
    logits = jnp.dot(final_w, activations) + final_b
    return logits - logsumexp(logits)


random_flattened_image = random.normal(random.key(1), (28 * 28,))
preds = predict(params, random_flattened_image)
report("single prediction shape", preds.shape)
random_flattened_images = random.normal(random.key(1), (10, 28 * 28))
try:
    preds = predict(params, random_flattened_images)
    report("batch without vmap", "ran")
except TypeError:
    report("batch without vmap", "Invalid shapes!")

batched_predict = vmap(predict, in_axes=(None, 0))
batched_preds = batched_predict(params, random_flattened_images)
report("batched prediction shape", batched_preds.shape)


def one_hot(x, k, dtype=jnp.float32):
    return jnp.array(x[:, None] == jnp.arange(k), dtype)


def accuracy(params, images, targets):
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(batched_predict(params, images), axis=1)
    return jnp.mean(predicted_class == target_class)


def loss(params, images, targets):
    preds = batched_predict(params, images)
    return -jnp.mean(preds * targets)


@jit
def update(params, x, y):
    grads = grad(loss)(params, x, y)
    return [(w - step_size * dw, b - step_size * db)
            for (w, b), (dw, db) in zip(params, grads)]


# Synthetic data in place of MNIST: pixels in [0, 1), labels from a fixed projection.
rng = np.random.RandomState(0)
projection = rng.randn(784, 10).astype(np.float32)
train_images = rng.rand(1024, 784).astype(np.float32)
train_labels = np.argmax(train_images @ projection, axis=1)
test_images = rng.rand(256, 784).astype(np.float32)
test_labels = np.argmax(test_images @ projection, axis=1)
train_labels_oh = one_hot(train_labels, n_targets)
test_labels_oh = one_hot(test_labels, n_targets)
report("one_hot", one_hot(np.array([0, 3, 9]), n_targets))

for epoch in range(num_epochs):
    start_time = time.time()
    perm = rng.permutation(len(train_images))
    for i in range(len(train_images) // batch_size):
        idx = perm[i * batch_size:(i + 1) * batch_size]
        x, y = train_images[idx], one_hot(train_labels[idx], n_targets)
        params = update(params, x, y)
    epoch_time = time.time() - start_time
    report(f"epoch {epoch} train loss", loss(params, train_images, train_labels_oh), rtol=1e-3)
    report(f"epoch {epoch} train accuracy", accuracy(params, train_images, train_labels_oh),
           atol=2e-3)
    report(f"epoch {epoch} test accuracy", accuracy(params, test_images, test_labels_oh),
           atol=5e-3)
