# Modeled on: the jax.ops.segment_sum / segment_max API reference examples and Lloyd's k-means
#   algorithm as commonly written in JAX (vmap'd distances, argmin assignment, segment_sum
#   centroid update, lax.while_loop until convergence)
#   https://docs.jax.dev/en/latest/_autosummary/jax.ops.segment_sum.html
# Changed: written from scratch; three synthetic Gaussian blobs of 50 points. The segment
# examples are reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp
from jax import lax, random

from _report import report, report_call

data = jnp.arange(5)
segment_ids = jnp.array([0, 0, 1, 1, 2])
report_call("segment_sum", lambda: jax.ops.segment_sum(data, segment_ids))
report_call("segment_sum num_segments",
            lambda: jax.ops.segment_sum(data, segment_ids, num_segments=4))
report_call("segment_max", lambda: jax.ops.segment_max(data, segment_ids))
report_call("segment_min", lambda: jax.ops.segment_min(data, segment_ids))
report_call("segment_prod", lambda: jax.ops.segment_prod(data + 1, segment_ids))
report_call("segment_sum under jit", lambda: jax.jit(jax.ops.segment_sum, static_argnums=2)(
    jnp.ones((5, 2)), segment_ids, 3))

centers = jnp.array([[0., 0.], [4., 4.], [-4., 4.]])
key = random.key(0)
points = jnp.concatenate([c + random.normal(k, (50, 2)) for c, k in
                          zip(centers, random.split(key, 3))])
K = 3


def assign(points, centroids):
    d = jax.vmap(lambda p: jnp.sum((centroids - p) ** 2, axis=1))(points)
    return jnp.argmin(d, axis=1), jnp.min(d, axis=1)


def update(points, labels):
    sums = jax.ops.segment_sum(points, labels, num_segments=K)
    counts = jax.ops.segment_sum(jnp.ones(points.shape[0]), labels, num_segments=K)
    return sums / jnp.maximum(counts, 1)[:, None]


@jax.jit
def kmeans(points, init):
    def cond(state):
        centroids, prev, i = state
        return (jnp.max(jnp.abs(centroids - prev)) > 1e-5) & (i < 50)

    def body(state):
        centroids, _, i = state
        labels, _ = assign(points, centroids)
        return update(points, labels), centroids, i + 1

    centroids, _, iterations = lax.while_loop(cond, body, (init, init + 1., 0))
    labels, dists = assign(points, centroids)
    return centroids, labels, jnp.sum(dists), iterations


init = points[jnp.array([0, 50, 100])]
centroids, labels, inertia, iterations = kmeans(points, init)
order = jnp.argsort(centroids[:, 0])
report("centroids (sorted by x)", centroids[order], rtol=1e-4)
report("cluster sizes", jnp.bincount(labels, length=K))
report("inertia", inertia, rtol=1e-4)
report("iterations", iterations)
report("vmap over initializations", jax.vmap(lambda i: kmeans(points, points[i])[2])(
    jnp.array([[0, 1, 2], [0, 50, 100], [10, 60, 110]])), rtol=1e-4)
report("top_k of distances", lax.top_k(-assign(points, centroids)[1], 3)[1])
report("one-hot assignment matrix sums", jax.nn.one_hot(labels, K).sum(0))
