# Source: JAX examples, differentially_private_sgd.py ("JAX efficiently trains a
#   differentially private conv net on MNIST")
#   https://github.com/jax-ml/jax/blob/main/examples/differentially_private_sgd.py
# Changed: synthetic 28x28 images instead of datasets.mnist(); absl flags replaced by
# constants; 8 and 16 conv features instead of 16 and 32; batches of 16, 4 steps per epoch,
# 2 epochs; the privacy accountant (dp_accounting) is left out.
# compat: xfail lax.conv_general_dilated is missing (stax.Conv)
import itertools

from jax import grad
from jax import jit
from jax import random
from jax import vmap
from jax.example_libraries import optimizers
from jax.example_libraries import stax
import jax.numpy as jnp
from jax.tree_util import tree_flatten, tree_unflatten

import numpy.random as npr

from _report import report

DPSGD = True
LEARNING_RATE = .15
NOISE_MULTIPLIER = 1.1
L2_NORM_CLIP = 1.0
BATCH_SIZE = 16
EPOCHS = 2
SEED = 0

init_random_params, predict = stax.serial(
    stax.Conv(8, (8, 8), padding='SAME', strides=(2, 2)),
    stax.Relu,
    stax.MaxPool((2, 2), (1, 1)),
    stax.Conv(16, (4, 4), padding='VALID', strides=(2, 2)),
    stax.Relu,
    stax.MaxPool((2, 2), (1, 1)),
    stax.Flatten,
    stax.Dense(32),
    stax.Relu,
    stax.Dense(10),
)


def loss(params, batch):
    inputs, targets = batch
    logits = predict(params, inputs)
    logits = stax.logsoftmax(logits)
    return -jnp.mean(jnp.sum(logits * targets, axis=1))


def accuracy(params, batch):
    inputs, targets = batch
    target_class = jnp.argmax(targets, axis=1)
    predicted_class = jnp.argmax(predict(params, inputs), axis=1)
    return jnp.mean(predicted_class == target_class)


def clipped_grad(params, l2_norm_clip, single_example_batch):
    grads = grad(loss)(params, single_example_batch)
    nonempty_grads, tree_def = tree_flatten(grads)
    total_grad_norm = jnp.linalg.norm(
        jnp.array([jnp.linalg.norm(neg.ravel()) for neg in nonempty_grads]))
    divisor = jnp.maximum(total_grad_norm / l2_norm_clip, 1.)
    normalized_nonempty_grads = [g / divisor for g in nonempty_grads]
    return tree_unflatten(tree_def, normalized_nonempty_grads)


def private_grad(params, batch, rng, l2_norm_clip, noise_multiplier, batch_size):
    clipped_grads = vmap(clipped_grad, (None, None, 0))(params, l2_norm_clip, batch)
    clipped_grads_flat, grads_treedef = tree_flatten(clipped_grads)
    aggregated_clipped_grads = [g.sum(0) for g in clipped_grads_flat]
    rngs = random.split(rng, len(aggregated_clipped_grads))
    noised_aggregated_clipped_grads = [
        g + l2_norm_clip * noise_multiplier * random.normal(r, g.shape)
        for r, g in zip(rngs, aggregated_clipped_grads)]
    normalized_noised_aggregated_clipped_grads = [
        g / batch_size for g in noised_aggregated_clipped_grads]
    return tree_unflatten(grads_treedef, normalized_noised_aggregated_clipped_grads)


def shape_as_image(images, labels, dummy_dim=False):
    target_shape = (-1, 1, 28, 28, 1) if dummy_dim else (-1, 28, 28, 1)
    return jnp.reshape(images, target_shape), labels


def main():
    data_rng = npr.RandomState(1)
    projection = data_rng.randn(784, 10)
    train_images = data_rng.rand(64, 784).astype("float32")
    train_labels = (train_images @ projection).argmax(1)[:, None] == jnp.arange(10)
    train_labels = train_labels.astype("float32")
    num_train = train_images.shape[0]
    num_batches = num_train // BATCH_SIZE
    key = random.key(SEED)

    def data_stream():
        rng = npr.RandomState(SEED)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
                yield train_images[batch_idx], train_labels[batch_idx]

    batches = data_stream()
    opt_init, opt_update, get_params = optimizers.sgd(LEARNING_RATE)

    @jit
    def private_update(rng, i, opt_state, batch):
        params = get_params(opt_state)
        rng = random.fold_in(rng, i)
        return opt_update(i, private_grad(params, batch, rng, L2_NORM_CLIP, NOISE_MULTIPLIER,
                                          BATCH_SIZE), opt_state)

    _, init_params = init_random_params(key, (-1, 28, 28, 1))
    opt_state = opt_init(init_params)
    itercount = itertools.count()
    for epoch in range(1, EPOCHS + 1):
        for _ in range(num_batches):
            opt_state = private_update(key, next(itercount), opt_state,
                                       shape_as_image(*next(batches), dummy_dim=True))
        params = get_params(opt_state)
        batch = shape_as_image(train_images, train_labels)
        report(f"epoch {epoch} loss", loss(params, batch), rtol=1e-3)
        report(f"epoch {epoch} accuracy", accuracy(params, batch), atol=1e-2)


main()
