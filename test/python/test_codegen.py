"""Numerics of the CPU schedule (mlax.backends.cpu.schedule) against NumPy.

Shapes are chosen to hit every path of the schedule: register tiles with partial tiles in
one or both dims (sizes not multiples of 8 or of the 32-wide vector tile), packed B panels
(large matmuls), transposed operands, batch dims, matrix-vector products, reductions over
each axis (short ones, long ones that are reassociated, ones split over threads), large
elementwise ops split over threads, 0-d and size-1 dims, bool and int dtypes. A schedule
that fails to apply warns (ScheduleWarning); here that is an error.
"""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import passes
from mlax.backends.cpu import pipelines
from mlax.backends.cpu.codegen import MachineTarget
from mlax.backends.cpu.schedule import ScheduleWarning
from mlax.backends.cpu.script import TILES

pytestmark = pytest.mark.filterwarnings("error::mlax.backends.cpu.schedule.ScheduleWarning")


def _check(fn, *args, ref, rtol=1e-5):
    out = np.asarray(mlax.jit(fn)(*args))
    ref = np.asarray(ref)
    assert out.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
    np.testing.assert_allclose(out.astype(np.float64), ref.astype(np.float64),
                               rtol=rtol, atol=rtol * scale)
    return out


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# (name, lhs shape, rhs shape, fn, numpy reference)
CONTRACTIONS = [
    ("tiles_and_both_remainders", (10, 100), (100, 150), lambda a, b: jnp.dot(a, b), np.dot),
    ("tiny_scalar_loops", (2, 3), (3, 4), lambda a, b: jnp.dot(a, b), np.dot),
    ("odd_sizes", (33, 17), (17, 45), lambda a, b: jnp.dot(a, b), np.dot),
    ("narrow_n", (512, 256), (256, 10), lambda a, b: jnp.dot(a, b), np.dot),
    ("one_row", (1, 500), (500, 70), lambda a, b: jnp.dot(a, b), np.dot),
    ("one_column", (130, 70), (70, 1), lambda a, b: jnp.dot(a, b), np.dot),
    ("packed", (256, 784), (784, 512), lambda a, b: jnp.dot(a, b), np.dot),
    ("packed_k_tail", (64, 600), (600, 64), lambda a, b: jnp.dot(a, b), np.dot),
    # 100 rows = 16 x 6 + 4 (AVX2) = 12 x 8 + 4 (AVX-512): the last 4 rows are their own tile
    ("packed_rest_rows", (100, 1024), (1024, 256), lambda a, b: jnp.dot(a, b), np.dot),
    ("packed_16_wide_panels", (128, 128), (128, 208), lambda a, b: jnp.dot(a, b), np.dot),
    # A read as [k, m] (a weight gradient) is packed into panels too; 784 rows leave a rest
    ("a_transposed_packed", (256, 784), (256, 512), lambda a, b: jnp.dot(a.T, b),
     lambda a, b: a.T @ b),
    ("a_transposed_packed_whole_tiles", (256, 768), (256, 512), lambda a, b: jnp.dot(a.T, b),
     lambda a, b: a.T @ b),
    ("a_transposed_packed_k_tail", (600, 100), (600, 64), lambda a, b: jnp.dot(a.T, b),
     lambda a, b: a.T @ b),
    ("a_transposed", (30, 40), (30, 50), lambda a, b: jnp.dot(a.T, b), lambda a, b: a.T @ b),
    ("b_transposed_packed", (256, 512), (784, 512), lambda a, b: jnp.dot(a, b.T),
     lambda a, b: a @ b.T),
    ("b_transposed", (30, 40), (50, 40), lambda a, b: jnp.dot(a, b.T), lambda a, b: a @ b.T),
    ("b_transposed_few_rows", (8, 40), (50, 40), lambda a, b: jnp.dot(a, b.T),
     lambda a, b: a @ b.T),
    # few rows and a short k (a dense layer's input gradient): B transposed for the tiles
    ("b_transposed_short_k", (8, 10), (2304, 10), lambda a, b: jnp.dot(a, b.T),
     lambda a, b: a @ b.T),
    ("both_transposed", (48, 64), (80, 48), lambda a, b: jnp.dot(a.T, b.T),
     lambda a, b: a.T @ b.T),
    ("batched", (4, 33, 20), (4, 20, 40), lambda a, b: jnp.matmul(a, b), np.matmul),
    ("batched_large", (8, 64, 64), (8, 64, 64), lambda a, b: jnp.matmul(a, b), np.matmul),
    # attention's scores: k read as [b, s, h, d] gets a copy transposed to [b, h, d, s]
    ("attention_scores", (2, 40, 3, 16), (2, 36, 3, 16),
     lambda q, k: jnp.einsum("bthd,bshd->bhts", q, k),
     lambda q, k: np.einsum("bthd,bshd->bhts", q, k)),
    ("matvec", (300, 200), (200,), lambda a, b: jnp.dot(a, b), np.dot),
    ("vecmat", (200,), (200, 300), lambda a, b: jnp.dot(a, b), np.dot),
]


@pytest.mark.parametrize("name,sa,sb,fn,ref", CONTRACTIONS, ids=[c[0] for c in CONTRACTIONS])
def test_contraction(name, sa, sb, fn, ref, rng):
    a, b = _f32(rng, *sa), _f32(rng, *sb)
    _check(fn, a, b, ref=ref(a.astype(np.float64), b.astype(np.float64)))


def test_int_contraction(rng):
    a = rng.integers(-5, 5, (256, 300)).astype(np.int32)
    b = rng.integers(-5, 5, (300, 512)).astype(np.int32)
    out = np.asarray(mlax.jit(jnp.dot)(a, b))
    np.testing.assert_array_equal(out, a @ b)
    a, b = a[:70, :90], b[:90, :130]
    np.testing.assert_array_equal(np.asarray(mlax.jit(jnp.dot)(a, b)), a @ b)


def test_f64_contraction(rng, x64):
    a, b = rng.standard_normal((128, 96)), rng.standard_normal((96, 144))
    out = _check(jnp.dot, a, b, ref=a @ b, rtol=1e-12)
    assert out.dtype == np.float64
    a, b = rng.standard_normal((13, 50)), rng.standard_normal((50, 21))
    _check(jnp.dot, a, b, ref=a @ b, rtol=1e-12)


def test_one_thread_matches_two(rng, monkeypatch):
    a, b = _f32(rng, 256, 384), _f32(rng, 384, 256)
    x = _f32(rng, 1000, 300)
    f = lambda a, b, x: (jnp.dot(a, b), jnp.tanh(x) * 2.0 + 1.0, jnp.sum(x, axis=1))
    two = [np.asarray(o) for o in mlax.jit(f)(a, b, x)]
    monkeypatch.setenv("MLAX_NUM_THREADS", "1")
    one = [np.asarray(o) for o in mlax.jit(f)(a, b, x)]
    for o1, o2 in zip(one, two):
        np.testing.assert_allclose(o1, o2, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(two[0], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3)


REDUCTIONS = [
    ("sum", jnp.sum, np.sum), ("max", jnp.max, np.max), ("min", jnp.min, np.min),
    ("prod", jnp.prod, np.prod), ("argmax", jnp.argmax, np.argmax),
]


# argmax takes one axis or None (the flattened array), not a tuple of axes.
@pytest.mark.parametrize("name,fn,ref,axis", [
    pytest.param(name, fn, ref, axis, id=f"{name}-{axis}")
    for name, fn, ref in REDUCTIONS for axis in [0, 1, 2, (0, 2), None]
    if not (name == "argmax" and isinstance(axis, tuple))])
def test_reduction_axes(name, fn, ref, axis, rng):
    x = rng.uniform(0.9, 1.1, (37, 65, 19)).astype(np.float32)
    _check(lambda x: fn(x, axis=axis), x, ref=ref(x.astype(np.float64), axis=axis), rtol=1e-5)


@pytest.mark.parametrize("axis", [0, 1, None])
def test_large_reductions(axis, rng):
    """Long enough to be reassociated, and (axis=1) split over threads by rows."""
    x = rng.random((300, 1000)).astype(np.float32)
    _check(lambda x: jnp.sum(x, axis=axis), x, ref=x.astype(np.float64).sum(axis=axis))
    _check(lambda x: jnp.max(x, axis=axis), x, ref=x.max(axis=axis))
    i = (x * 10).astype(np.int32)
    out = np.asarray(mlax.jit(lambda i: jnp.sum(i, axis=axis))(i))
    np.testing.assert_array_equal(out, i.sum(axis=axis))
    b = x > 0.999
    np.testing.assert_array_equal(np.asarray(mlax.jit(lambda b: jnp.any(b, axis=axis))(b)),
                                  b.any(axis=axis))
    np.testing.assert_array_equal(np.asarray(mlax.jit(lambda b: jnp.all(~b, axis=axis))(b)),
                                  (~b).all(axis=axis))


def test_sum_of_a_million(rng):
    x = rng.random(1_000_003).astype(np.float32)
    _check(jnp.sum, x, ref=x.astype(np.float64).sum(), rtol=1e-6)


def test_row_normalize(rng):
    X = rng.random((10000, 10)).astype(np.float32)
    X64 = X.astype(np.float64)
    _check(lambda X: (X - X.mean(0)) / X.std(0), X,
           ref=(X64 - X64.mean(0)) / X64.std(0), rtol=1e-4)


def test_large_elementwise(rng):
    x, v = _f32(rng, 1000, 301), _f32(rng, 301)
    _check(lambda x, v: x * 2.0 + v, x, v, ref=x * 2.0 + v)
    _check(lambda x: jnp.where(x > 0.5, x, -x), x, ref=np.where(x > 0.5, x, -x))
    out = np.asarray(mlax.jit(lambda x: x > 0.5)(x))
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, x > 0.5)
    i = (x * 100).astype(np.int32)
    np.testing.assert_array_equal(np.asarray(mlax.jit(lambda i: i * 3 - (i >> 2))(i)),
                                  i * 3 - (i >> 2))
    y = rng.random(1_000_001).astype(np.float32)
    _check(lambda y: (y * 2.0 + 1.0) * y - 3.0, y, ref=(y * 2.0 + 1.0) * y - 3.0)


def test_degenerate_shapes(rng):
    _check(lambda x: x * 3.0 + 1.0, np.float32(2.0), ref=np.float32(7.0))
    x = _f32(rng, 5, 1, 7)
    _check(lambda x: jnp.sum(x, axis=1), x, ref=x.sum(axis=1))
    a, b = _f32(rng, 1, 1), _f32(rng, 1, 1)
    _check(jnp.dot, a, b, ref=a @ b)
    x = _f32(rng, 70000, 1)
    _check(lambda x: jnp.sum(x, axis=0), x, ref=x.astype(np.float64).sum(axis=0))


def _scheduled_ir(fn, *args):
    module = mlax.make_ir(fn)(*args).module
    with module.context:
        passes.run_pipeline(module, ",".join([pipelines.MLAX_OPT, pipelines.CPU_LINALG,
                                              "mlax-cpu-schedule"]))
    return str(module)


def test_schedule_is_applied(rng, monkeypatch):
    monkeypatch.setenv("MLAX_NUM_THREADS", "2")
    ir = _scheduled_ir(jnp.dot, _f32(rng, 10, 100), _f32(rng, 100, 150))
    vector_bytes = MachineTarget.host().vector_bytes
    rows, vectors = TILES[vector_bytes][0]    # 8x32 with AVX-512, 6x16 with AVX2
    cols = vectors * vector_bytes // 4
    assert f"vector<{rows}x1xf32>, vector<1x{cols}xf32> into vector<{rows}x{cols}xf32>" in ir
    ir = _scheduled_ir(jnp.dot, _f32(rng, 256, 256), _f32(rng, 256, 256))
    assert "linalg.transpose" in ir and "scf.forall" in ir and "vector.contract" in ir
    ir = _scheduled_ir(jnp.sum, _f32(rng, 4096))
    assert "fastmath<reassoc,contract>" in ir
    ir = _scheduled_ir(lambda x: x * 2.0, _f32(rng, 2048, 1024))
    assert "scf.forall" in ir
    assert "mlax_schedule" not in ir


def test_schedule_warning_is_a_warning():
    assert issubclass(ScheduleWarning, RuntimeWarning)


def test_merged_contraction_loops(rng):
    """A dense layer on a batch of sequences and its weight gradient: adjacent loops of one
    role merge into the packed 2-d matmul (rewrites.collapse_loops)."""
    x, w, g = _f32(rng, 4, 64, 96), _f32(rng, 96, 80), _f32(rng, 4, 64, 80)
    _check(lambda a, b: a @ b, x, w, ref=x @ w, rtol=1e-4)
    _check(lambda a, b: mlax.lax.dot_general(a, b, (([0, 1], [0, 1]), ([], []))), x, g,
           ref=np.einsum("btk,btn->kn", x, g), rtol=1e-4)
    _check(lambda a, b: jnp.maximum(a @ b.T, 0.0), g, w, ref=np.maximum(g @ w.T, 0), rtol=1e-4)


@pytest.mark.parametrize("limit", [0, 10 ** 9])
def test_llvm_loop_unrolling_on_and_off_agree(rng, monkeypatch, limit):
    """Large modules are optimized without LLVM's loop unroller (codegen.UNROLL_MAX_INSTRUCTIONS);
    the same program gives the same values either way."""
    from mlax.backends.cpu import codegen
    monkeypatch.setattr(codegen, "UNROLL_MAX_INSTRUCTIONS", limit)
    x, w1, w2 = _f32(rng, 64, 33), _f32(rng, 33, 40), _f32(rng, 40, 10)

    def loss(w1, w2, x):
        h = jnp.tanh(x @ w1)
        return jnp.sum(softmax(h @ w2) ** 2)

    def softmax(z):
        e = jnp.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    g1, g2 = mlax.jit(mlax.grad(loss, (0, 1)))(w1, w2, x)
    eps = 1e-3
    i, j = 3, 7
    d = np.zeros_like(w1)
    d[i, j] = eps
    fd = (float(loss(w1 + d, w2, x)) - float(loss(w1 - d, w2, x))) / (2 * eps)
    np.testing.assert_allclose(float(np.asarray(g1)[i, j]), fd, rtol=2e-2, atol=1e-3)
    ref = mlax.grad(loss, (0, 1))(w1, w2, x)     # op by op
    np.testing.assert_allclose(np.asarray(g2), np.asarray(ref[1]), rtol=1e-4, atol=1e-5)
