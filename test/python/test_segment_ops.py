"""`mlax.ops.segment_*` against `jax.ops.segment_*`: values (out-of-range ids dropped,
empty segments, buckets, modes), gradients by finite differences and against JAX, vmap
against a Python loop."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mlax
import mlax.numpy as jnp
from mlax.test_util import check_grads

NAMES = ["segment_sum", "segment_max", "segment_min", "segment_prod"]


def both(name, data, ids, **kw):
    got = getattr(mlax.ops, name)(jnp.asarray(data), jnp.asarray(ids), **kw)
    want = getattr(jax.ops, name)(jjnp.asarray(data), jjnp.asarray(ids), **kw)
    return np.asarray(got), np.asarray(want)


CASES = [
    ("sorted ints", np.arange(5, dtype=np.int32), [0, 0, 1, 1, 2], {}),
    ("num_segments with an empty one", np.arange(5, dtype=np.int32), [0, 0, 1, 1, 2],
     {"num_segments": 4}),
    ("unsorted floats, rows", np.linspace(-2, 3, 12, dtype=np.float32).reshape(6, 2),
     [3, 0, 3, 1, 0, 2], {}),
    ("out-of-range ids dropped", np.arange(6, dtype=np.float32), [0, -1, 5, 1, 2, -3],
     {"num_segments": 3}),
    ("mode clip", np.arange(6, dtype=np.float32), [0, -1, 5, 1, 2, -3],
     {"num_segments": 3, "mode": "clip"}),
    ("bucket_size", np.linspace(0.5, 2, 7, dtype=np.float32), [0, 1, 0, 2, 1, 1, 0],
     {"num_segments": 3, "bucket_size": 3}),
    ("int64-looking ids", np.arange(4, dtype=np.float32), np.array([1, 0, 1, 9], np.int64),
     {"num_segments": 2}),
    ("uint8 ids", np.arange(4, dtype=np.float32), np.array([1, 0, 1, 200], np.uint8),
     {"num_segments": 3}),
    ("bool data", np.array([True, False, True, False]), [0, 0, 1, 1], {}),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case,data,ids,kw", CASES, ids=[c[0] for c in CASES])
def test_values_match_jax(name, case, data, ids, kw):
    if data.dtype == np.bool_ and name in ("segment_sum", "segment_prod"):
        pytest.skip("JAX's own scatter-add of bools is not a reduction to compare")
    got, want = both(name, data, ids, **kw)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_under_jit_with_static_num_segments(name):
    f = mlax.jit(getattr(mlax.ops, name), static_argnums=2)
    g = jax.jit(getattr(jax.ops, name), static_argnums=2)
    data, ids = np.arange(10.0, dtype=np.float32).reshape(5, 2), np.array([0, 2, 2, 1, 0])
    np.testing.assert_allclose(f(data, ids, 3), g(data, ids, 3))


def test_traced_ids_need_num_segments():
    with pytest.raises(mlax.ConcretizationTypeError, match="num_segments"):
        mlax.jit(mlax.ops.segment_sum)(jnp.ones(3), jnp.array([0, 1, 1]))


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="non-negative"):
        mlax.ops.segment_sum(jnp.ones(3), jnp.array([0, 1, 1]), num_segments=-1)
    with pytest.raises(ValueError, match="one id per row"):
        mlax.ops.segment_sum(jnp.ones(3), jnp.array([0, 1]))
    with pytest.raises(TypeError, match="integers"):
        mlax.ops.segment_sum(jnp.ones(3), jnp.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="mode"):
        mlax.ops.segment_sum(jnp.ones(3), jnp.array([0, 1, 1]), mode="wrap")


DATA = np.array([[0.3, -1.2], [2.0, 0.7], [-0.4, 1.5], [1.1, -0.9], [0.6, 0.2]], np.float32)
IDS = np.array([1, 0, 1, 2, 0])


@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min"])
def test_grads_by_finite_differences(name):
    f = lambda d: getattr(mlax.ops, name)(d, IDS, num_segments=4) ** 2
    check_grads(lambda d: jnp.sum(jnp.where(jnp.isfinite(f(d)), f(d), 0.0)),
                (jnp.asarray(DATA),), order=1, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min"])
def test_grads_match_jax_with_ties(name):
    data = np.array([1.0, 3.0, 3.0, -2.0, -2.0, 0.5], np.float32)   # ties in max and min
    ids = np.array([0, 0, 0, 1, 1, 5])                               # 5 is dropped
    w = np.array([1.0, 2.0, 3.0], np.float32)

    def loss(ops, np_):
        return lambda d: np_.sum(getattr(ops, name)(d, ids, num_segments=3).clip(-10, 10) * w)
    got = mlax.grad(loss(mlax.ops, jnp))(jnp.asarray(data))
    want = jax.grad(loss(jax.ops, jjnp))(jjnp.asarray(data))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_segment_prod_grad_wrt_data_raises_like_jax():
    with pytest.raises(NotImplementedError):
        mlax.grad(lambda d: jnp.sum(mlax.ops.segment_prod(d, IDS, num_segments=3)))(
            jnp.asarray(DATA))


@pytest.mark.parametrize("name", NAMES)
def test_vmap_matches_a_loop(name):
    data = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    ids = np.array([[0, 1, 1, 2, 0], [2, 2, 0, 0, 1], [1, 0, 3, 1, 1]])
    f = lambda d, i: getattr(mlax.ops, name)(d, i, num_segments=3)
    got = mlax.vmap(f)(jnp.asarray(data), jnp.asarray(ids))
    want = np.stack([np.asarray(f(jnp.asarray(d), jnp.asarray(i))) for d, i in zip(data, ids)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # only data batched, ids shared
    got = mlax.vmap(f, in_axes=(0, None))(jnp.asarray(data), jnp.asarray(ids[0]))
    want = np.stack([np.asarray(f(jnp.asarray(d), jnp.asarray(ids[0]))) for d in data])
    np.testing.assert_allclose(got, want, rtol=1e-6)
