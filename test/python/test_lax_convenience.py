"""jax.lax's composite functions and its gather/scatter interface, against jax.lax."""
import numpy as np
import pytest

import mlax
from mlax import lax
from mlax import numpy as jnp
from mlax.test_util import check_grads

jax = pytest.importorskip("jax")
jlax = jax.lax

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4, 5)).astype(np.float32)
I = np.arange(24, dtype=np.int32).reshape(4, 6)


def same(m, j):
    ml, jl = jax.tree_util.tree_leaves(m), jax.tree_util.tree_leaves(j)
    assert len(ml) == len(jl)
    for a, b in zip(ml, jl):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


CASES = [
    ("full", lambda L: L.full((2, 3), 1.5)),
    ("full_dtype", lambda L: L.full((2,), 7, np.int8)),
    ("full_like", lambda L: L.full_like(I, 2.7)),
    ("rev", lambda L: L.rev(X, (0, 2))),
    ("reciprocal", lambda L: L.reciprocal(X)),
    ("split", lambda L: L.split(I, (1, 2, 3), axis=1)),
    ("stack", lambda L: L.stack([I, I + 1], axis=-1)),
    ("unstack", lambda L: L.unstack(X, axis=1)),
    ("tile", lambda L: L.tile(I, (2, 3))),
    ("broadcast_to_rank", lambda L: L.broadcast_to_rank(I, 4)),
    ("collapse", lambda L: L.collapse(X, 1)),
    ("collapse_range", lambda L: L.collapse(X, 0, 2)),
    ("batch_matmul", lambda L: L.batch_matmul(X, np.swapaxes(X, 1, 2))),
    ("index_in_dim", lambda L: L.index_in_dim(X, -1, axis=1, keepdims=False)),
    ("dynamic_update_slice_in_dim",
     lambda L: L.dynamic_update_slice_in_dim(I, np.zeros((4, 2), np.int32), 5, axis=1)),
    ("dynamic_update_index_in_dim",
     lambda L: L.dynamic_update_index_in_dim(I, np.full((6,), -1, np.int32), 2, 0)),
    ("index_take", lambda L: L.index_take(I, (np.array([0, 3, -1]), np.array([1, 7, 2])),
                                          (0, 1))),
    ("sort_key_val", lambda L: L.sort_key_val(np.array([3, 1, 2, 1]), np.arange(4.0))),
    ("reduce_add", lambda L: L.reduce(X, np.float32(0), L.add, (0, 2))),
    ("reduce_max", lambda L: L.reduce(I, np.int32(np.iinfo(np.int32).min), L.max, (1,))),
    ("reduce_mul", lambda L: L.reduce(X, np.float32(1), L.mul, (1,))),
    ("broadcast_shapes", lambda L: np.array(L.broadcast_shapes((3, 1), (1, 4), (4,)))),
    ("optimization_barrier", lambda L: L.optimization_barrier((X, I))),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_matches_jax_lax(name, fn):
    same(fn(lax), fn(jlax))


@pytest.mark.parametrize("name, fn", CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_under_jit(name, fn):
    same(mlax.jit(lambda: fn(lax))(), fn(jlax))


def test_errors_as_jax():
    with pytest.raises(ValueError, match="Sum of sizes"):
        lax.split(I, (1, 2), axis=1)
    with pytest.raises(TypeError, match="scalar fill_value"):
        lax.full((2,), np.ones(2))
    with pytest.raises(ValueError, match="at least 2D"):
        lax.batch_matmul(np.ones(3), np.ones(3))
    with pytest.raises(NotImplementedError, match="lax.reduce"):
        lax.reduce(X, np.float32(3), lax.add, (0,))
    with pytest.raises(NotImplementedError, match="several operands"):
        lax.reduce((X, X), (np.float32(0), np.float32(0)), lambda a, b: a, (0,))


# -- gather / scatter through lax's interface --------------------------------------------

GDN = dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
SDN = dict(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
IDX = np.array([[0], [2], [5], [-1]], np.int32)          # two out of bounds
M = rng.standard_normal((4, 3)).astype(np.float32)


@pytest.mark.parametrize("mode", [None, "clip", "fill", "promise_in_bounds"])
def test_gather_modes(mode):
    idx = IDX if mode != "promise_in_bounds" else IDX[:2]
    m = lax.gather(M, idx, lax.GatherDimensionNumbers(**GDN), (1, 3), mode=mode)
    j = jlax.gather(M, idx, jlax.GatherDimensionNumbers(**GDN), (1, 3), mode=mode)
    same(m, j)


@pytest.mark.parametrize("kind", ["scatter", "scatter_add", "scatter_sub", "scatter_mul",
                                  "scatter_min", "scatter_max"])
@pytest.mark.parametrize("mode", [None, "clip"])
def test_scatter_kinds(kind, mode):
    upd = rng.standard_normal((4, 3)).astype(np.float32)
    m = getattr(lax, kind)(M, IDX, upd, lax.ScatterDimensionNumbers(**SDN), mode=mode)
    j = getattr(jlax, kind)(M, IDX, upd, jlax.ScatterDimensionNumbers(**SDN), mode=mode)
    same(m, j)


def test_gather_scatter_grads_and_vmap():
    dn = lax.GatherDimensionNumbers(**GDN)
    sdn = lax.ScatterDimensionNumbers(**SDN)
    idx = IDX[:2]
    check_grads(lambda x: lax.gather(x, idx, dn, (1, 3), mode="clip"), (M,), order=1,
                modes=["fwd", "rev"])
    upd = rng.standard_normal((2, 3)).astype(np.float32)
    check_grads(lambda x, u: lax.scatter_add(x, idx, u, sdn), (M, upd), order=1,
                modes=["fwd", "rev"])
    batch = rng.standard_normal((5, 4, 3)).astype(np.float32)
    out = mlax.vmap(lambda x: lax.gather(x, idx, dn, (1, 3)))(batch)
    loop = np.stack([np.asarray(lax.gather(b, idx, dn, (1, 3))) for b in batch])
    np.testing.assert_array_equal(out, loop)


def test_gather_rejects_what_it_does_not_do():
    with pytest.raises(NotImplementedError, match="fill_value"):
        lax.gather(M, IDX, lax.GatherDimensionNumbers(**GDN), (1, 3), mode="fill",
                   fill_value=0.0)
    with pytest.raises(NotImplementedError, match="one_hot"):
        lax.gather(M, IDX, lax.GatherDimensionNumbers(**GDN), (1, 3), mode="one_hot")
    with pytest.raises(TypeError, match="integer"):
        lax.gather(M, IDX.astype(np.float32), lax.GatherDimensionNumbers(**GDN), (1, 3))
    assert lax.GatherScatterMode.from_any("drop") is lax.GatherScatterMode.FILL_OR_DROP


# -- clz, reduce_precision, approx_max_k / approx_min_k, top_k's list --------------------

CLZ_IN = np.array([5, 0, 1, -1, 2**20, 255, 2**30, -2**31], np.int32)


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int16, np.uint8, np.int8])
def test_clz_matches_jax(dtype):
    x = CLZ_IN.astype(dtype)
    same(mlax.jit(lax.clz)(x), jlax.clz(x))
    same(mlax.vmap(lax.clz)(x.reshape(2, 4)), jlax.clz(x.reshape(2, 4)))
    with pytest.raises(TypeError):
        lax.clz(np.float32(1))


RP_IN = np.array([1.1, 3.14159, 1e-40, 70000, -70000, np.nan, -np.inf, 0.0, -0.0, 65504, 65520, 6e-5,
                  3e-5, 1.00048828125, 1.0014648], np.float32)


@pytest.mark.parametrize("exponent_bits,mantissa_bits", [(5, 10), (8, 7), (8, 23), (4, 3), (5, 2), (8, 1), (11, 52), (3, 0)])
def test_reduce_precision_matches_jax_bit_for_bit(exponent_bits, mantissa_bits):
    got = mlax.jit(lambda x: lax.reduce_precision(x, exponent_bits, mantissa_bits))(RP_IN)
    want = jlax.reduce_precision(RP_IN, exponent_bits=exponent_bits, mantissa_bits=mantissa_bits)
    np.testing.assert_array_equal(np.asarray(got).view(np.uint32), np.asarray(want).view(np.uint32))


def test_reduce_precision_other_dtypes_and_derivatives():
    finite = RP_IN[np.abs(RP_IN) < 6e4]
    for x, (e, m) in [(finite.astype(jnp.bfloat16), (5, 4)), (finite.astype(np.float16), (4, 3)), (1.1, (5, 10))]:
        got, want = lax.reduce_precision(x, e, m), jlax.reduce_precision(x, e, m)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(np.asarray(got).astype(np.float32), np.asarray(want).astype(np.float32))
    # The tangent passes through: JAX's for tangents the format represents.
    x = RP_IN[:2]
    same(mlax.jvp(lambda x: lax.reduce_precision(x, 8, 7), (x,), (np.ones(2, np.float32),)),
         jax.jvp(lambda x: jlax.reduce_precision(x, 8, 7), (x,), (np.ones(2, np.float32),)))
    same(mlax.grad(lambda x: lax.reduce_precision(x, 5, 10).sum())(x),
         jax.grad(lambda x: jlax.reduce_precision(x, 5, 10).sum())(x))


APPROX_IN = np.float32([[3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]])


@pytest.mark.parametrize("name", ["approx_max_k", "approx_min_k"])
def test_approx_k_matches_jax_cpu(name):
    f, fj = getattr(lax, name), getattr(jlax, name)
    y = APPROX_IN
    for args, kw in [((3,), {}), ((3,), {"recall_target": 0.8}), ((1,), {"reduction_dimension": 0}),
                     ((2,), {"aggregate_to_topk": False})]:
        got = mlax.jit(lambda y: f(y, *args, **kw))(y)
        assert isinstance(got, list)
        same(got, fj(y, *args, **kw))
    z = y + np.arange(8, dtype=np.float32) * 0.01
    same(mlax.grad(lambda z: (f(z, 2)[0] ** 2).sum())(z), jax.grad(lambda z: (fj(z, 2)[0] ** 2).sum())(z))
    same(mlax.vmap(lambda r: f(r, 2))(y), [np.stack(t) for t in zip(*[f(r, 2) for r in y])])
    with pytest.raises(ValueError, match="floating"):
        f(y.astype(np.int32), 2)


def test_top_k_returns_a_list_as_jax():
    got, want = lax.top_k(APPROX_IN, 3), jlax.top_k(APPROX_IN, 3)
    assert type(got) is type(want) is list
    same(got, want)


def test_round_to_nearest_even_and_select_n_match_jax():
    x = np.float32([0.5, 1.5, -2.5, 2.5, 0.49999997, 3.7, -3.2, np.inf, np.nan])
    for method in (lax.RoundingMethod.AWAY_FROM_ZERO, lax.RoundingMethod.TO_NEAREST_EVEN):
        same(mlax.jit(lambda v: lax.round(v, method))(x), jlax.round(x, method))
    same(lax.round(x.astype(jnp.bfloat16), 1).astype(np.float32), jlax.round(x.astype(jnp.bfloat16), 1).astype(np.float32))
    # A tie rounded to zero keeps x's sign, as JAX's: -0.5 -> -0.0.
    ties = np.float32([-0.5, 0.5, -1.5, -0.0, 0.0, -0.3])
    for method in (0, 1):
        want = np.asarray(jlax.round(ties, method))
        for got in (lax.round(ties, method), mlax.jit(lambda v: lax.round(v, method))(ties)):
            np.testing.assert_array_equal(np.signbit(np.asarray(got)), np.signbit(want))
            same(got, want)
    a, b, c = np.zeros(3, np.float32), np.ones(3, np.float32), np.full(3, 2.0, np.float32)
    for which, cases in [(np.array([True, False, True]), (a, b)), (np.array([0, 2, 1], np.int32), (a, b, c)),
                         (np.int32(1), (a, b, c)), (np.array([1, 0, 0], np.int32), (a,  b))]:
        same(mlax.jit(lambda w, *cs: lax.select_n(w, *cs))(which, *cases), jlax.select_n(which, *cases))
    g = mlax.grad(lambda a, b: lax.select_n(np.array([0, 1, 0], np.int32), a, b).sum(), (0, 1))(a, b)
    same(g, jax.grad(lambda a, b: jlax.select_n(np.array([0, 1, 0], np.int32), a, b).sum(), (0, 1))(a, b))
    same(mlax.vmap(lambda w, v: lax.select_n(w, v, -v))(np.array([True, False]), np.ones((2, 3), np.float32)),
         jax.vmap(lambda w, v: jlax.select_n(w, v, -v))(np.array([True, False]), np.ones((2, 3), np.float32)))
