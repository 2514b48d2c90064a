"""The linalg lowering of every mlax op (compiler/lowering/linalg/) and `--mlax-expand-math`
(compiler/lowering/math_approx.py), checked numerically on the CPU backend.

Each op is built with `mlax.dispatch.bind("mlax.<op>", ...)` and run eagerly (a compiled one-op
function) and under `mlax.jit`; results are compared with NumPy, and with JAX where it is
installed (jax.lax has the same primitives, so it is the exact oracle for gather/scatter
dimension numbers, sort order, top_k ties and threefry bits).
"""
import math as pymath

import numpy as np
import pytest
from mlir import ir

import mlax
from mlax import backends, core, dispatch, tracing
from mlax.backends.cpu import pipelines
from mlax.core import ShapedArray
from mlax.dialects import OPS, make_context
from mlax.lowering.linalg import LOWERINGS
from mlax.lowering.math_approx import EXPANSIONS
from mlax.passes import PassError, run_pipeline

try:
    import jax
    import jax.numpy as jjnp
    from jax import lax as jlax
except ImportError:  # JAX is an optional oracle
    jax = None

needs_jax = pytest.mark.skipif(jax is None, reason="jax is not installed (optional test oracle)")

bind = dispatch.bind


def both(name, *operands, **attrs):
    """The op run eagerly and under mlax.jit, as NumPy arrays (lists for several results)."""
    eager = bind(name, *operands, **attrs)
    jitted = mlax.jit(lambda *xs: bind(name, *xs, **attrs))(*operands)
    as_np = lambda r: [np.asarray(v) for v in r] if isinstance(r, (list, tuple)) else np.asarray(r)
    eager, jitted = as_np(eager), as_np(jitted)
    if isinstance(eager, list):
        for e, j in zip(eager, jitted):
            np.testing.assert_array_equal(e, j)
    else:
        np.testing.assert_array_equal(eager, jitted)
    return eager


def test_every_op_has_a_linalg_lowering():
    missing = [name for name in OPS if name not in LOWERINGS]
    assert not missing, f"ops without a linalg lowering: {missing}"


def test_the_cpu_backend_claims_every_op():
    assert set(backends.get("cpu").lowerings) >= set(OPS)


def test_a_rule_that_cannot_lower_its_op_is_a_pass_error_at_the_op():
    with make_context() as ctx, ir.Location.unknown():
        module = ir.Module.parse('''
            func.func @f(%x: tensor<3xi32>) -> tensor<3xi32> {
              %0 = "mlax.exp"(%x) : (tensor<3xi32>) -> tensor<3xi32> loc("user.py":7:3)
              return %0 : tensor<3xi32>
            }''', ctx)
        with pytest.raises(PassError, match=r'^mlax.exp needs floating-point operands, got int32 '
                                            r'\(at loc\("user.py":7:3\)\)$'):
            run_pipeline(module, "mlax-lower-to-linalg")


# ---------------------------------------------------------------------------------------
# Elementwise


def _sp():
    return pytest.importorskip("scipy.special")


F32 = np.float32


def test_round_half_away_from_zero():
    x = np.array([0.5, 1.5, -0.5, 2.5, -2.5, 0.49999997, -0.0, 1e30, np.inf, -np.inf, 3.7, -3.2], F32)
    got = both("mlax.round", x)
    want = np.where(np.isfinite(x), np.sign(x) * np.floor(np.abs(x) + 0.5), x)
    want[5] = 0.0   # 0.49999997 + 0.5 rounds up in f32; the true answer is 0
    np.testing.assert_array_equal(got, want)
    assert np.signbit(got[6])
    assert np.isnan(both("mlax.round", np.array([np.nan], F32))).all()


def test_nextafter():
    x = np.array([0., 1., -0., 1., 3., np.inf, -np.inf, np.nan, 1., 0., 1.4e-45], F32)
    y = np.array([1., 0., -1., 1., -np.inf, 0., 0., 1., np.nan, -0., 0.], F32)
    got = both("mlax.nextafter", x, y)
    np.testing.assert_array_equal(got, np.nextafter(x, y))


def test_nextafter_f64(x64):
    x = np.array([0., 1., -0., 3., np.inf, 5e-324, np.nan], np.float64)
    y = np.array([1., 0., -1., -np.inf, 0., 0., 1.], np.float64)
    np.testing.assert_array_equal(both("mlax.nextafter", x, y), np.nextafter(x, y))


def test_float_rem_is_fmod():
    x = np.array([5.5, -5.5, 7.0, -0.0, 1e10, 3.0], F32)
    y = np.array([2.0, 2.0, -3.0, 1.0, 3.0, np.inf], F32)
    np.testing.assert_array_equal(both("mlax.rem", x, y), np.fmod(x, y))


def test_population_count():
    x = np.array([0, 1, -1, 7, 2 ** 31 - 1, -2 ** 31, 0x0F0F0F0F], np.int32)
    want = np.array([bin(v & 0xFFFFFFFF).count("1") for v in x.tolist()], np.int32)
    np.testing.assert_array_equal(both("mlax.population_count", x), want)
    u = np.array([0, 0xFFFFFFFF, 0x80000001], np.uint32)
    np.testing.assert_array_equal(both("mlax.population_count", u), np.array([0, 32, 2], np.uint32))


@pytest.mark.parametrize("name,ref,lo,hi", [
    ("exp2", np.exp2, -130, 130), ("cbrt", np.cbrt, -1e3, 1e3), ("erfc", None, -5, 5),
    ("atan2", None, -3, 3),
])
def test_other_elementwise_match_numpy(name, ref, lo, hi, rng):
    x = rng.uniform(lo, hi, 257).astype(F32)
    if name == "atan2":
        y = rng.uniform(lo, hi, 257).astype(F32)
        np.testing.assert_allclose(both("mlax.atan2", x, y), np.arctan2(x, y), rtol=2e-6, atol=1e-7)
        return
    ref = ref or _sp().erfc
    with np.errstate(over="ignore"):
        want = ref(x.astype(np.float64)).astype(F32)
    np.testing.assert_allclose(both(f"mlax.{name}", x), want, rtol=2e-6, atol=1e-37)


def test_erf_inv(rng):
    x = np.concatenate([rng.uniform(-1, 1, 2000), [0.0, -0.0, 1.0, -1.0, 1.5, 0.999999, -0.9999999,
                                                 1e-30, np.nan]]).astype(F32)
    got = both("mlax.erf_inv", x)
    sp = _sp()
    want = sp.erfinv(x.astype(np.float64))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-5, atol=1e-30)   # Giles' f32 fit
    np.testing.assert_array_equal(got[~finite], want[~finite])   # +-inf at +-1, NaN outside


def test_erf_inv_f64(x64, rng):
    x = np.concatenate([rng.uniform(-1, 1, 500), 1 - np.logspace(-15, -1, 50), [1.0, -1.0]])
    got = both("mlax.erf_inv", x)
    assert got.dtype == np.float64
    # Near +-1, 1 - x*x carries the rounding of x*x (in XLA's algorithm as well).
    inner = np.abs(x) < 0.99
    np.testing.assert_allclose(got[inner], _sp().erfinv(x[inner]), rtol=1e-13)
    np.testing.assert_allclose(got, _sp().erfinv(x), rtol=1e-9)


def test_lgamma_digamma(rng):
    sp = _sp()
    x = np.concatenate([rng.uniform(-20, 40, 2000), rng.uniform(1e-6, 2, 200),
                        [0.5, 1.0, 2.0, 3.0, 1e10]]).astype(F32)
    x = x[np.abs(x - np.round(x)) > 1e-3]                     # away from the poles
    np.testing.assert_allclose(both("mlax.lgamma", x), sp.gammaln(x.astype(np.float64)),
                               rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(both("mlax.digamma", x), sp.digamma(x.astype(np.float64)),
                               rtol=1e-4, atol=1e-4)
    special = np.array([np.inf, -np.inf, 0.0, -1.0, -2.0], F32)
    assert np.all(both("mlax.lgamma", special) == np.inf)
    assert np.isnan(both("mlax.digamma", np.array([0.0, -1.0, -3.0], F32))).all()


def test_lgamma_digamma_f64(x64, rng):
    sp = _sp()
    x = np.concatenate([rng.uniform(-20, 40, 1000), rng.uniform(1e-6, 2, 100)])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    np.testing.assert_allclose(both("mlax.lgamma", x), sp.gammaln(x), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(both("mlax.digamma", x), sp.digamma(x), rtol=1e-9, atol=1e-9)


@needs_jax
@pytest.mark.parametrize("name", ["erf_inv", "lgamma", "digamma"])
def test_special_functions_match_jax(name, rng):
    x = rng.uniform(-0.999, 0.999, 1000) if name == "erf_inv" else rng.uniform(-10, 30, 1000)
    x = x.astype(F32)
    want = np.asarray(getattr(jlax, name)(x))
    np.testing.assert_allclose(both(f"mlax.{name}", x), want, rtol=2e-5, atol=2e-5)


# ---------------------------------------------------------------------------------------
# Dynamic slices and padding


@pytest.mark.parametrize("start", [(0, 0), (1, 2), (-3, 1), (2, 100), (5, -1)])
def test_dynamic_slice_clamps(start):
    x = np.arange(20, dtype=F32).reshape(4, 5)
    got = both("mlax.dynamic_slice", x, np.int32(start[0]), np.int32(start[1]), slice_sizes=(2, 3))
    s0 = min(max(start[0], 0), 4 - 2)
    s1 = min(max(start[1], 0), 5 - 3)
    np.testing.assert_array_equal(got, x[s0:s0 + 2, s1:s1 + 3])


def test_dynamic_slice_unsigned_indices():
    x = np.arange(10, dtype=np.int32)
    got = both("mlax.dynamic_slice", x, np.uint32(0xFFFFFFF0), slice_sizes=(3,))
    np.testing.assert_array_equal(got, x[7:])   # a huge unsigned start clamps to the end


def test_dynamic_slice_int64_indices(x64):
    x = np.arange(10, dtype=np.int64)
    np.testing.assert_array_equal(both("mlax.dynamic_slice", x, np.int64(-2 ** 40), slice_sizes=(3,)), x[:3])
    np.testing.assert_array_equal(both("mlax.dynamic_slice", x, np.int64(2), slice_sizes=(3,)), x[2:5])


@pytest.mark.parametrize("start", [(0, 0), (1, 2), (-3, 1), (3, 100)])
def test_dynamic_update_slice_clamps_and_keeps_input(start):
    x = np.arange(20, dtype=F32).reshape(4, 5)
    keep = x.copy()
    u = -np.ones((2, 3), F32)
    got = both("mlax.dynamic_update_slice", x, u, np.int32(start[0]), np.int32(start[1]))
    s0 = min(max(start[0], 0), 2)
    s1 = min(max(start[1], 0), 2)
    want = x.copy()
    want[s0:s0 + 2, s1:s1 + 3] = u
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(x, keep)   # arguments are never written


def _np_pad(x, value, low, high, interior):
    out = x
    for d, (lo, hi, it) in enumerate(zip(low, high, interior)):
        n = out.shape[d]
        shape = list(out.shape)
        shape[d] = n + max(n - 1, 0) * it
        grown = np.full(shape, value, x.dtype)
        idx = [slice(None)] * out.ndim
        idx[d] = slice(None, None, it + 1)
        grown[tuple(idx)] = out
        pad_lo, pad_hi = [(0, 0)] * out.ndim, [(0, 0)] * out.ndim
        pad_lo[d] = (max(lo, 0), max(hi, 0))
        grown = np.pad(grown, pad_lo, constant_values=value)
        idx = [slice(None)] * out.ndim
        idx[d] = slice(max(-lo, 0), grown.shape[d] - max(-hi, 0))
        out = grown[tuple(idx)]
    return out


@pytest.mark.parametrize("low,high,interior", [
    ((1, 2), (0, 1), (0, 0)), ((0, 0), (0, 0), (1, 2)), ((-1, 2), (1, -2), (0, 1)),
    ((2, -3), (-2, 0), (1, 1)), ((-2, 0), (-1, 0), (0, 0)),
])
def test_pad(low, high, interior):
    x = np.arange(12, dtype=F32).reshape(3, 4) + 1
    got = both("mlax.pad", x, F32(-7), low=low, high=high, interior=interior)
    np.testing.assert_array_equal(got, _np_pad(x, F32(-7), low, high, interior))
    if jax is not None:
        want = jlax.pad(x, F32(-7), list(zip(low, high, interior)))
        np.testing.assert_array_equal(got, np.asarray(want))


def test_pad_bool_and_int():
    b = np.array([True, False, True])
    np.testing.assert_array_equal(both("mlax.pad", b, np.bool_(True), low=(1,), high=(1,), interior=(1,)),
                                  [True, True, True, False, True, True, True])
    i = np.array([[1, 2]], np.int32)
    np.testing.assert_array_equal(both("mlax.pad", i, np.int32(0), low=(0, 1), high=(1, 0), interior=(0, 0)),
                                  [[0, 1, 2], [0, 0, 0]])


# ---------------------------------------------------------------------------------------
# Gather and scatter


def _gather(x, idx, mode="clip", **dn):
    attrs = dict(offset_dims=(), collapsed_slice_dims=(), start_index_map=(), operand_batching_dims=(),
                 start_indices_batching_dims=(), slice_sizes=(), mode=mode)
    attrs.update(dn)
    return both("mlax.gather", x, idx, **attrs)


def test_gather_rows_matches_numpy_take():
    x = np.arange(20, dtype=F32).reshape(5, 4)
    idx = np.array([[3], [0], [4], [7], [-2]], np.int32)
    got = _gather(x, idx, offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,),
                  slice_sizes=(1, 4))
    np.testing.assert_array_equal(got, x[np.clip(idx[:, 0], 0, 4)])
    filled = _gather(x, idx, mode="fill", offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,),
                     slice_sizes=(1, 4))
    np.testing.assert_array_equal(filled[:3], x[idx[:3, 0]])
    assert np.isnan(filled[3:]).all()
    ints = _gather(x.astype(np.int32), idx, mode="fill", offset_dims=(1,), collapsed_slice_dims=(0,),
                   start_index_map=(0,), slice_sizes=(1, 4))
    assert (ints[3:] == np.iinfo(np.int32).min).all()   # jax's fill value for signed ints


GATHER_CASES = [
    # (operand shape, indices, dimension numbers, slice sizes)
    ((5, 4), [[1], [3]], dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 4)),
    ((5, 4), [[1, 2], [4, 3], [0, 0]], dict(offset_dims=(), collapsed_slice_dims=(0, 1), start_index_map=(0, 1)), (1, 1)),
    ((5, 4), [[1, 2], [3, 3]], dict(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1)), (2, 2)),
    ((5, 4), [[2], [9], [-1]], dict(offset_dims=(0,), collapsed_slice_dims=(1,), start_index_map=(1,)), (3, 1)),
    ((3, 5, 4), [[[1], [2]], [[0], [4]], [[3], [3]]],   # batched (vmap of x[i]): one index row per batch
     dict(offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,), operand_batching_dims=(0,),
          start_indices_batching_dims=(0,)), (1, 1, 4)),
]


@needs_jax
@pytest.mark.parametrize("mode", ["clip", "fill"])
@pytest.mark.parametrize("case", range(len(GATHER_CASES)))
def test_gather_matches_jax(case, mode, rng):
    shape, idx, dn, sizes = GATHER_CASES[case]
    x = rng.standard_normal(shape).astype(F32)
    idx = np.array(idx, np.int32)
    dn = dict(dn)
    dn.setdefault("operand_batching_dims", ())
    dn.setdefault("start_indices_batching_dims", ())
    got = _gather(x, idx, mode=mode, slice_sizes=sizes, **dn)
    jdn = jlax.GatherDimensionNumbers(**dn)
    jmode = jlax.GatherScatterMode.CLIP if mode == "clip" else jlax.GatherScatterMode.FILL_OR_DROP
    want = jlax.gather(x, idx, jdn, sizes, mode=jmode)
    np.testing.assert_array_equal(got, np.asarray(want))


def _scatter(x, idx, upd, kind, mode="drop", **dn):
    attrs = dict(update_window_dims=(), inserted_window_dims=(), scatter_dims_to_operand_dims=(),
                 operand_batching_dims=(), scatter_indices_batching_dims=(), kind=kind, mode=mode)
    attrs.update(dn)
    return both("mlax.scatter", x, idx, upd, **attrs)


@pytest.mark.parametrize("kind", ["set", "add", "mul", "min", "max"])
def test_scatter_kinds_against_numpy(kind, rng):
    x = rng.standard_normal(6).astype(F32)
    keep = x.copy()
    idx = np.array([[1], [4], [1], [9], [-1], [0]], np.int32) if kind != "set" else \
        np.array([[1], [4], [9], [-1], [0]], np.int32)
    upd = rng.standard_normal(len(idx)).astype(F32)
    got = _scatter(x, idx, upd, kind, inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    want = x.copy()
    ufunc = {"set": None, "add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}[kind]
    ok = (idx[:, 0] >= 0) & (idx[:, 0] < 6)   # out-of-bounds updates are dropped
    if ufunc is None:
        want[idx[ok, 0]] = upd[ok]
    else:
        ufunc.at(want, idx[ok, 0], upd[ok])   # duplicates accumulate
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_array_equal(x, keep)


def test_scatter_add_int_duplicates_and_clip():
    x = np.zeros(4, np.int32)
    idx = np.array([[0], [0], [3], [3], [3], [7]], np.int32)
    upd = np.array([1, 2, 3, 4, 5, 6], np.int32)
    got = _scatter(x, idx, upd, "add", inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    np.testing.assert_array_equal(got, [3, 0, 0, 12])
    clipped = _scatter(x, idx, upd, "add", mode="clip", inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    np.testing.assert_array_equal(clipped, [3, 0, 0, 18])


SCATTER_CASES = [
    # (operand shape, indices, update shape, dimension numbers)
    ((5, 3), [[1], [3], [1]], (3, 3), dict(update_window_dims=(1,), inserted_window_dims=(0,),
                                           scatter_dims_to_operand_dims=(0,))),
    ((5, 3), [[1, 2], [4, 0], [1, 2], [9, 0]], (4,), dict(update_window_dims=(), inserted_window_dims=(0, 1),
                                                       scatter_dims_to_operand_dims=(0, 1))),
    ((5, 4), [[0, 1], [3, 2]], (2, 2, 2), dict(update_window_dims=(1, 2), inserted_window_dims=(),
                                              scatter_dims_to_operand_dims=(0, 1))),
    ((5, 4), [[4, 3], [2, 1]], (2, 2, 2), dict(update_window_dims=(1, 2), inserted_window_dims=(),
                                              scatter_dims_to_operand_dims=(0, 1))),   # first window OOB
    ((2, 5), [[[1], [1]], [[4], [0]]], (2, 2), dict(update_window_dims=(), inserted_window_dims=(1,),
                                                   scatter_dims_to_operand_dims=(1,), operand_batching_dims=(0,),
                                                   scatter_indices_batching_dims=(0,))),
]


@needs_jax
@pytest.mark.parametrize("kind", ["add", "mul", "min", "max"])
@pytest.mark.parametrize("mode", ["drop", "clip"])
@pytest.mark.parametrize("case", range(len(SCATTER_CASES)))
def test_scatter_matches_jax(case, kind, mode, rng):
    shape, idx, ushape, dn = SCATTER_CASES[case]
    x = rng.standard_normal(shape).astype(F32)
    idx = np.array(idx, np.int32)
    upd = rng.standard_normal(ushape).astype(F32)
    dn = dict(dn)
    dn.setdefault("operand_batching_dims", ())
    dn.setdefault("scatter_indices_batching_dims", ())
    got = _scatter(x, idx, upd, kind, mode=mode, **dn)
    jfn = {"add": jlax.scatter_add, "mul": jlax.scatter_mul, "min": jlax.scatter_min, "max": jlax.scatter_max}[kind]
    jmode = jlax.GatherScatterMode.CLIP if mode == "clip" else jlax.GatherScatterMode.FILL_OR_DROP
    want = jfn(x, idx, upd, jlax.ScatterDimensionNumbers(**dn), mode=jmode)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6)


def test_scatter_bool():
    x = np.array([False, True, False])
    idx = np.array([[0], [1], [2]], np.int32)
    upd = np.array([True, False, False])
    kw = dict(inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    np.testing.assert_array_equal(_scatter(x, idx, upd, "set", **kw), upd)
    np.testing.assert_array_equal(_scatter(x, idx, upd, "add", **kw), [True, True, False])
    np.testing.assert_array_equal(_scatter(x, idx, upd, "mul", **kw), [False, False, False])


def test_unknown_modes_are_named_errors():
    x = np.zeros(3, F32)
    # The op's type rule rejects it when the op is built, before any lowering.
    with pytest.raises(TypeError, match="mlax.gather: unknown mode 'wrap'"):
        bind("mlax.gather", x, np.zeros((1, 1), np.int32), offset_dims=(), collapsed_slice_dims=(0,),
             start_index_map=(0,), operand_batching_dims=(), start_indices_batching_dims=(),
             slice_sizes=(1,), mode="wrap")


# ---------------------------------------------------------------------------------------
# Cumulative ops


def _np_cumulative(name, x, axis, reverse):
    if reverse:
        x = np.flip(x, axis)
    f = {"cumsum": np.cumsum, "cumprod": np.cumprod, "cummax": np.maximum.accumulate,
         "cummin": np.minimum.accumulate, "cumlogsumexp": np.logaddexp.accumulate}[name]
    out = f(x, axis=axis).astype(x.dtype)
    return np.flip(out, axis) if reverse else out


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"])
@pytest.mark.parametrize("axis,reverse", [(0, False), (1, False), (1, True), (0, True)])
def test_cumulative(name, axis, reverse, rng):
    x = rng.uniform(0.5, 1.5, (3, 5)).astype(F32)
    keep = x.copy()
    got = both(f"mlax.{name}", x, axis=axis, reverse=reverse)
    np.testing.assert_allclose(got, _np_cumulative(name, x, axis, reverse), rtol=2e-6)
    np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin"])
def test_cumulative_int_1d(name, rng):
    x = rng.integers(-3, 4, 9).astype(np.int32)
    np.testing.assert_array_equal(both(f"mlax.{name}", x, axis=0, reverse=False),
                                  _np_cumulative(name, x, 0, False))


def test_cumulative_special_values():
    x = np.array([1.0, np.nan, 3.0, -np.inf], F32)
    np.testing.assert_array_equal(both("mlax.cummax", x, axis=0, reverse=False), [1.0, np.nan, np.nan, np.nan])
    y = np.array([-np.inf, -np.inf, 1.0, np.inf], F32)
    np.testing.assert_array_equal(both("mlax.cumlogsumexp", y, axis=0, reverse=False), [-np.inf, -np.inf, 1.0, np.inf])


@needs_jax
@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"])
def test_cumulative_matches_jax(name, rng):
    x = rng.standard_normal((4, 3, 5)).astype(F32)
    got = both(f"mlax.{name}", x, axis=2, reverse=True)
    want = getattr(jlax, name)(x, axis=2, reverse=True)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# Sorting


def test_sort_is_ascending_stable_nans_last():
    keys = np.array([3., 1., np.nan, -0., 0., 2., 1., -np.inf, np.inf, -np.nan, 1.], F32)
    vals = np.arange(len(keys), dtype=np.int32)
    k, v = both("mlax.sort", keys, vals, dimension=0, is_stable=True)
    order = sorted(range(len(keys)), key=lambda i: (np.isnan(keys[i]), 0.0 if np.isnan(keys[i]) else keys[i], i))
    np.testing.assert_array_equal(v, np.array(order))
    np.testing.assert_array_equal(k, keys[order])


@pytest.mark.parametrize("dimension", [0, 1, 2])
def test_sort_along_each_dim_with_values(dimension, rng):
    keys = rng.integers(0, 4, (3, 4, 5)).astype(np.int32)   # many ties: stability matters
    vals = rng.standard_normal((3, 4, 5)).astype(F32)
    keep = keys.copy()
    k, v = both("mlax.sort", keys, vals, dimension=dimension, is_stable=True)
    order = np.argsort(keys, axis=dimension, kind="stable")
    np.testing.assert_array_equal(k, np.take_along_axis(keys, order, dimension))
    np.testing.assert_array_equal(v, np.take_along_axis(vals, order, dimension))
    np.testing.assert_array_equal(keys, keep)


@pytest.mark.parametrize("n", [1, 2, 7, 64, 100])
def test_sort_sizes(n, rng):
    x = rng.standard_normal(n).astype(F32)
    np.testing.assert_array_equal(both("mlax.sort", x, dimension=0, is_stable=True), np.sort(x))


def test_sort_unsigned_and_bool():
    u = np.array([3, 0xFFFFFFFF, 0, 7], np.uint32)
    np.testing.assert_array_equal(both("mlax.sort", u, dimension=0, is_stable=True), np.sort(u))
    b = np.array([True, False, True, False])
    np.testing.assert_array_equal(both("mlax.sort", b, dimension=0, is_stable=True), np.sort(b))


@needs_jax
def test_sort_matches_jax(rng):
    keys = rng.standard_normal((4, 9)).astype(F32)
    keys[0, 3] = np.nan
    keys[1, :3] = 0.0
    keys[1, 1] = -0.0
    vals = rng.standard_normal((4, 9)).astype(F32)
    got = both("mlax.sort", keys, vals, dimension=1, is_stable=True)
    want = jlax.sort((keys, vals), dimension=1, is_stable=True, num_keys=1)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, np.asarray(w))


def test_top_k(rng):
    x = rng.standard_normal((3, 10)).astype(F32)
    x[0, :4] = 2.0   # ties: lower index first
    vals, idx = both("mlax.top_k", x, k=4)
    order = np.argsort(-x, axis=1, kind="stable")[:, :4]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(vals, np.take_along_axis(x, order, 1))
    assert idx.dtype == np.int32


@needs_jax
def test_top_k_matches_jax():
    x = np.array([[1., np.nan, 3., 3., -np.inf, -np.nan, -0., 0.], [5, 4, 3, 2, 1, 0, -1, -2]], F32)
    for k in (1, 3, 8):
        got = both("mlax.top_k", x, k=k)
        want = jlax.top_k(x, k)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, np.asarray(w))
    xi = np.array([3, 1, 3, -5], np.int32)
    for g, w in zip(both("mlax.top_k", xi, k=3), jlax.top_k(xi, 3)):
        np.testing.assert_array_equal(g, np.asarray(w))


# ---------------------------------------------------------------------------------------
# Empty results and operands


def test_zero_size_cases():
    x = np.arange(6, dtype=F32).reshape(2, 3)
    vals, idx = both("mlax.top_k", x, k=0)
    assert vals.shape == idx.shape == (2, 0)
    assert both("mlax.sort", np.zeros((0, 3), F32), dimension=1, is_stable=True).shape == (0, 3)
    assert both("mlax.cumsum", np.zeros((0, 3), F32), axis=1, reverse=False).shape == (0, 3)
    assert both("mlax.pad", x, F32(1), low=(-1, -3), high=(-1, 0), interior=(0, 0)).shape == (0, 0)
    np.testing.assert_array_equal(both("mlax.pad", np.zeros(0, F32), F32(1), low=(2,), high=(1,), interior=(3,)),
                                  np.ones(3, F32))
    assert both("mlax.dynamic_slice", x, np.int32(5), np.int32(1), slice_sizes=(0, 2)).shape == (0, 2)
    g = _gather(x, np.zeros((0, 1), np.int32), offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,),
                slice_sizes=(1, 3))
    assert g.shape == (0, 3)
    sc = _scatter(x, np.zeros((0, 1), np.int32), np.zeros((0, 3), F32), "add", update_window_dims=(1,),
                  inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
    np.testing.assert_array_equal(sc, x)


def test_bool_cumulative_both_paths():
    b = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(both("mlax.cummax", b, axis=1, reverse=False), np.maximum.accumulate(b, axis=1))
    np.testing.assert_array_equal(both("mlax.cummin", b, axis=0, reverse=True),
                                  np.flip(np.minimum.accumulate(np.flip(b, 0), axis=0), 0))


# ---------------------------------------------------------------------------------------
# threefry2x32


def _threefry_reference(k0, k1, x0, x1):
    """Threefry-2x32 (20 rounds) in NumPy uint32, written from the Random123 spec."""
    rot = [(13, 15, 26, 6), (17, 29, 16, 24)]
    with np.errstate(over="ignore"):
        ks = [k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA)]
        x = [x0 + ks[0], x1 + ks[1]]
        for i in range(5):
            for r in rot[i % 2]:
                x[0] = x[0] + x[1]
                x[1] = (x[1] << np.uint32(r)) | (x[1] >> np.uint32(32 - r))
                x[1] = x[0] ^ x[1]
            x[0] = x[0] + ks[(i + 1) % 3]
            x[1] = x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x


def test_threefry_known_answer():
    # jax.random.key_data(jax.random.split(jax.random.PRNGKey(0))): threefry of the key
    # (0, 0) over the 64-bit counts 0, 1 as (hi, lo) words (jax_threefry_partitionable).
    y0, y1 = both("mlax.threefry2x32", np.zeros(2, np.uint32), np.zeros(2, np.uint32),
                  np.array([0, 0], np.uint32), np.array([0, 1], np.uint32))
    keys = np.stack([y0, y1], axis=1)
    np.testing.assert_array_equal(keys, [[1797259609, 2579123966], [928981903, 3453687069]])


def test_threefry_matches_reference(rng):
    k0 = rng.integers(0, 2 ** 32, (3, 4), dtype=np.uint32)
    k1 = rng.integers(0, 2 ** 32, (3, 4), dtype=np.uint32)
    x0 = rng.integers(0, 2 ** 32, (3, 4), dtype=np.uint32)
    x1 = rng.integers(0, 2 ** 32, (3, 4), dtype=np.uint32)
    got = both("mlax.threefry2x32", k0, k1, x0, x1)
    for g, w in zip(got, _threefry_reference(k0, k1, x0, x1)):
        assert g.dtype == np.uint32
        np.testing.assert_array_equal(g, w)
    if jax is not None:
        from jax._src.random.threefry2x32 import threefry2x32_p
        for g, w in zip(got, threefry2x32_p.bind(k0, k1, x0, x1)):
            np.testing.assert_array_equal(g, np.asarray(w))


# ---------------------------------------------------------------------------------------
# --mlax-expand-math


EXPAND = pipelines.CPU.replace("func.func(linalg-fuse-elementwise-ops),canonicalize",
                               "func.func(linalg-fuse-elementwise-ops),canonicalize,mlax-expand-math,canonicalize")


def test_expand_math_pipeline_string_applies():
    assert EXPAND != pipelines.CPU


def _run_expanded(name, x, pipeline=EXPAND):
    tm = tracing.TracedModule()
    with tm.ctx:
        b = tracing.FunctionBuilder(tm.module, "f", None, tm)
        a = b.add_argument(ShapedArray(x.shape, x.dtype))
        outs = b.emit(name, [a], {})
        b.finish(outs)
    with tm.ctx:
        exes, _ = backends.get("cpu").compile(tm.module, {b.name: [(o.aval.shape, o.aval.dtype)
                                                                    for o in outs]},
                                              pipeline=pipeline)
    return np.asarray(exes[b.name]([x])[0])


def _ulp_error(got, want, dtype):
    want = np.asarray(want, np.float64)
    got = got.astype(np.float64)
    with np.errstate(over="ignore"):
        rounded = want.astype(dtype).astype(np.float64)   # overflow to inf counts as exact
    same = (got == want) | (got == rounded) | (np.isnan(got) & np.isnan(want))
    want = np.where(np.isfinite(rounded), want, rounded)
    spacing = np.spacing(np.maximum(np.abs(want), np.finfo(dtype).tiny).astype(dtype)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, np.where(np.isfinite(want), np.abs(got - want) / spacing, np.inf))


def _wide(dtype, lo, hi, rng, n=20000):
    tiny_exp = -40 if dtype == np.float32 else -300
    parts = [rng.uniform(lo, hi, n), np.linspace(lo, hi, n)]
    if hi > 0:
        parts.append(np.logspace(tiny_exp, np.log10(hi), n // 4))
    if lo < 0:
        parts.append(-np.logspace(tiny_exp, np.log10(-lo), n // 4))
    parts.append([0.0, -0.0, np.inf, -np.inf, np.nan, lo, hi])
    return np.concatenate(parts).astype(dtype)


def _libm(name):
    if name == "erf":
        return np.vectorize(pymath.erf, otypes=[np.float64])
    return {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "tanh": np.tanh,
            "sin": np.sin, "cos": np.cos}[name]


# (op, dtype, domain, max ulp error allowed)
EXPAND_CASES = [
    ("exp", np.float32, (-110, 90), 1.5), ("exp", np.float64, (-750, 710), 2),
    ("log", np.float32, (0, 3e38), 1), ("log", np.float64, (0, 1e308), 1),
    ("log1p", np.float32, (-1, 1e30), 3), ("log1p", np.float64, (-1, 1e300), 3),
    ("expm1", np.float32, (-100, 89), 2), ("expm1", np.float64, (-800, 710), 2),
    ("tanh", np.float32, (-20, 20), 2), ("tanh", np.float64, (-40, 40), 3),
    ("erf", np.float32, (-6, 6), 3), ("erf", np.float64, (-7, 7), 3),
    ("sin", np.float32, (-1e5, 1e5), 2), ("cos", np.float32, (-1e5, 1e5), 2),
    ("sin", np.float32, (-3.4e38, 3.4e38), 2), ("cos", np.float32, (-3.4e38, 3.4e38), 2),
]


@pytest.mark.parametrize("name,dtype,domain,max_ulp", EXPAND_CASES,
                         ids=[f"{c[0]}-{np.dtype(c[1]).name}-{c[2][1]:g}" for c in EXPAND_CASES])
def test_expand_math_accuracy(name, dtype, domain, max_ulp, rng):
    x = _wide(dtype, *domain, rng)
    got = _run_expanded(f"mlax.{name}", x)
    with np.errstate(all="ignore"):
        want = _libm(name)(x.astype(np.float64))
    err = _ulp_error(got, want, dtype)
    worst = int(np.argmax(err))
    assert err.max() <= max_ulp, f"{name}: {err.max():.2f} ulp at x={x[worst]!r}: got {got[worst]!r}, want {want[worst]!r}"
    np.testing.assert_array_equal(np.signbit(got[x == 0]), np.signbit(want[x == 0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expand_math_subnormal_and_special_values(dtype):
    tiny = np.finfo(dtype).tiny
    x = np.array([tiny / 2 ** 10, tiny / 2, tiny, -0.0, 0.0, np.inf, -np.inf, np.nan, -1.0], dtype)
    with np.errstate(all="ignore"):
        want = np.log(x)
    got = _run_expanded("mlax.log", x)
    assert _ulp_error(got, want, dtype).max() <= 1
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    with np.errstate(all="ignore"):
        ex = np.log(np.array([tiny / 2 ** 10], np.float64))   # exp of a log in the subnormal range
    back = _run_expanded("mlax.exp", ex.astype(dtype))
    assert abs(back[0] - tiny / 2 ** 10) <= np.spacing(dtype(tiny / 2 ** 10))


@pytest.mark.parametrize("dtype,uint", [(np.float32, np.uint32), (np.float64, np.uint64)])
@pytest.mark.parametrize("name", ["exp", "expm1", "tanh"])
def test_expand_math_nan_payloads_stay_nan(name, dtype, uint):
    # exp scales by 2**n with products, so a NaN of either sign and any payload (whose bits
    # give n garbage) stays NaN; the range ends and infinities keep libm's values.
    below_quiet = (uint(1) << uint(np.finfo(dtype).nmant - 1)) - uint(1)
    nans = np.array([np.nan, -np.nan], dtype).view(uint)
    payloads = np.array([n | p for n in nans
                         for p in (uint(1), uint(0x155), uint(0x3fe), uint(0x7f00), below_quiet)],
                        uint)
    x = np.concatenate([payloads.view(dtype), np.array([np.inf, -np.inf, 88.8, -104.0, 709.8,
                                                        -745.2, 0.0, -0.0], dtype)])
    got = _run_expanded(f"mlax.{name}", x)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x.astype(np.float64))
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert _ulp_error(got, want, dtype).max() <= 2


def test_expand_math_sin_cos_huge_and_exact_multiples():
    # Payne-Hanek path (|x| >= 2**24): every exponent, and the f32 closest to multiples of
    # pi/2 (where the reduced argument is tiny and cancellation is worst).
    e = np.arange(24, 128)
    x = np.concatenate([2.0 ** e, 2.0 ** e * 1.2345678, np.nextafter(np.float32(2 ** 24), 0) * np.ones(1),
                        [np.finfo(np.float32).max, 16777216.0, 16777218.0]]).astype(np.float32)
    k = np.arange(1, 2000)
    near = (k * (np.pi / 2)).astype(np.float32)
    x = np.concatenate([x, -x, near, -near])
    for name in ("sin", "cos"):
        got = _run_expanded(f"mlax.{name}", x)
        want = getattr(np, name)(x.astype(np.float64))
        assert _ulp_error(got, want, np.float32).max() <= 2, name


def test_expand_math_f16_computes_in_f32(rng):
    x = rng.uniform(-5, 5, 200).astype(np.float16)
    for name, ref in [("exp", np.exp), ("tanh", np.tanh), ("log1p", np.log1p)]:
        xx = np.abs(x) if name == "log1p" else x
        got = _run_expanded(f"mlax.{name}", xx)
        np.testing.assert_allclose(got.astype(np.float64), ref(xx.astype(np.float64)), rtol=1e-3, atol=1e-3)


def test_expand_math_fixes_log1p_expm1_near_zero():
    # Upstream convert-math-to-llvm lowers log1p as log(1 + x): all precision lost near 0.
    x = np.array([1e-10, -3e-9, 1e-20], np.float32)
    np.testing.assert_allclose(_run_expanded("mlax.log1p", x), np.log1p(x.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(_run_expanded("mlax.expm1", x), np.expm1(x.astype(np.float64)), rtol=1e-6)


def test_expand_math_removes_the_calls():
    tm = tracing.TracedModule()
    with tm.ctx:
        b = tracing.FunctionBuilder(tm.module, "f", None, tm)
        a = b.add_argument(ShapedArray((8,), np.dtype(np.float32)))
        y = b.emit("mlax.exp", [a], {})
        for name in ("mlax.log1p", "mlax.tanh", "mlax.sin", "mlax.erf"):
            y = b.emit(name, y, {})
        b.finish(y)
        run_pipeline(tm.module, pipelines.CPU_LINALG + ",mlax-expand-math")
        text = str(tm.module)
    for op in EXPANSIONS:
        assert op not in text, f"{op} left after --mlax-expand-math"
    # Fused multiply-adds are explicit; no op may be contracted by LLVM, whose choices
    # differ between targets and between a loop and an outlined function.
    assert "math.fma" in text and "contract" not in text


@pytest.mark.parametrize("name,dtype,domain", [(c[0], c[1], c[2]) for c in EXPAND_CASES[::2]]
                         + [("exp", np.float16, (-10, 10)), ("sin", np.float32, (-1e5, 1e5))])
def test_expand_math_outlined_is_bit_identical(name, dtype, domain, rng):
    # The CPU pipeline's outlined functions (vectorized as calls to their vector variants)
    # give the same bits as the polynomial expanded inline in the loop. A NaN's sign and
    # payload are not defined (x86 propagates an operand's NaN, and LLVM may commute them).
    assert "mlax-expand-math{outline=4}" in pipelines.CPU
    x = _wide(dtype, *domain, rng)
    inline = _run_expanded(f"mlax.{name}", x)
    outlined = _run_expanded(f"mlax.{name}", x, pipeline=pipelines.CPU.replace("outline=4", "outline=1"))
    np.testing.assert_array_equal(np.isnan(inline), np.isnan(outlined))
    number = ~np.isnan(inline)
    np.testing.assert_array_equal(inline[number].view(f"u{x.itemsize}"), outlined[number].view(f"u{x.itemsize}"))


def test_expand_math_outlined_once_and_called_per_vector():
    from mlax import numpy as jnp

    def f(x):
        for _ in range(12):
            x = jnp.sin(x) + 0.5
        return x
    text = mlax.jit(f).lower(np.zeros(4096, np.float32)).as_text("llvm-ir")
    assert text.count("define weak_odr float @mlax_sin_f32(") == 1
    vector_calls = [ln for ln in text.splitlines() if "call" in ln and "@mlax_sin_f32x" in ln]
    assert vector_calls, "the loop calls no vector variant"


def test_selu_expanded_matches_libm(rng):
    from mlax import numpy as jnp
    x = rng.standard_normal(10000).astype(np.float32)

    def selu(x):
        return 1.05 * jnp.where(x > 0, x, 1.67 * jnp.exp(x) - 1.67)
    assert "mlax-expand-math" in pipelines.CPU      # jit expands math by default
    got = np.asarray(mlax.jit(selu)(x))
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(got, 1.05 * np.where(x64 > 0, x64, 1.67 * np.exp(x64) - 1.67), rtol=1e-6, atol=3e-7)


# ---------------------------------------------------------------------------------------
# --mlax-fuse-elementwise

UNFUSED = pipelines.CPU.replace("mlax-fuse-elementwise,", "")


def test_fuse_elementwise_is_in_the_cpu_pipeline():
    assert UNFUSED != pipelines.CPU


def _compile_with(fn, args, pipeline):
    tm = tracing.TracedModule()
    avals = [ShapedArray(a.shape, a.dtype) for a in args]
    b, outs = tracing.trace_function(fn, avals, [f"x{i}" for i in range(len(args))], "f", tm)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    with tm.ctx:
        b.finish(outs)
        exes, _ = backends.get("cpu").compile(tm.module, {b.name: [(o.aval.shape, o.aval.dtype)
                                                                    for o in outs]},
                                              pipeline=pipeline)
    return [np.asarray(r) for r in exes[b.name](list(args))]


def _chain(x, m):
    for i in range(60):
        x = [lambda v: v * 1.5, lambda v: mlax.numpy.sin(v), lambda v: v - 0.25,
             lambda v: mlax.numpy.tanh(v) * v][i % 4](x)
    return x


def _tree(x, m):
    # broadcasts, a transpose, a value read twice by one consumer, a shared producer
    e = mlax.numpy.exp(x)
    t = mlax.numpy.abs(m).T
    s = (t + e[None, :]) * 2.0
    sq = s * s
    shared = mlax.numpy.log1p(sq)
    return shared - 1.0, mlax.numpy.sqrt(shared) + t, mlax.numpy.sum(mlax.numpy.cos(sq), 0)


def _numpy_chain(x, m):
    for i in range(60):
        x = [lambda v: v * 1.5, np.sin, lambda v: v - 0.25, lambda v: np.tanh(v) * v][i % 4](x)
    return [x]


def _numpy_tree(x, m):
    t = np.abs(m).T
    s = (t + np.exp(x)[None, :]) * 2.0
    sq = s * s
    shared = np.log1p(sq)
    return [shared - 1.0, np.sqrt(shared) + t, np.cos(sq).sum(0)]


@pytest.mark.parametrize("fn,reference", [(_chain, _numpy_chain), (_tree, _numpy_tree)],
                         ids=["chain", "tree"])
def test_fused_elementwise_results_are_bit_identical_to_unfused(fn, reference, rng):
    """The pass moves scalar ops only: the CPU pipeline with and without it compute the
    same bits, and both agree with NumPy in float64."""
    x = rng.uniform(-1, 1, 33).astype(np.float32)
    m = rng.uniform(-2, 2, (33, 7)).astype(np.float32)
    fused = _compile_with(fn, [x, m], pipelines.CPU)
    unfused = _compile_with(fn, [x, m], UNFUSED)
    want = reference(x.astype(np.float64), m.astype(np.float64))
    for f, u, w in zip(fused, unfused, want, strict=True):
        np.testing.assert_array_equal(f, u)
        np.testing.assert_allclose(f, w, rtol=2e-5, atol=2e-5)
