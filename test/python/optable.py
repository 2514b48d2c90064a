"""The numeric test table: one row per mlax.numpy function.

Each row gives the function, its NumPy reference, argument shapes/dtypes and the traits
that later checks use (`grad`: differentiable in its float arguments). test_numpy.py checks
every row eagerly and under jit; the autodiff and vmap tests check the rows they apply to.
An expected failure is a mark on its row, never a list kept elsewhere.
"""
import numpy as np
import pytest

from mlax import lax
from mlax import numpy as jnp


class Row:
    def __init__(self, name, fn, ref, shapes, dtype="float32", grad=True, domain=None,
                 rtol=1e-5, atol=1e-6, marks=(), kwargs=None):
        self.name, self.fn, self.ref, self.shapes = name, fn, ref, shapes
        self.dtype, self.grad, self.domain = dtype, grad, domain
        self.rtol, self.atol, self.marks = rtol, atol, marks
        self.kwargs = kwargs or {}

    def args(self, rng):
        out = []
        for s in self.shapes:
            if np.dtype(self.dtype).kind == "f":
                lo, hi = self.domain or (-2.0, 2.0)
                out.append(rng.uniform(lo, hi, size=s).astype(self.dtype))
            elif np.dtype(self.dtype) == np.bool_:
                out.append(rng.integers(0, 2, size=s).astype(bool))
            else:
                out.append(rng.integers(-5, 6, size=s).astype(self.dtype))
        return out

    def param(self):
        return pytest.param(self, id=self.name, marks=list(self.marks))


def _unary(name, ref=None, domain=None, **kw):
    return Row(name, getattr(jnp, name), ref or getattr(np, name), [(3, 4)], domain=domain, **kw)


def _binary(name, ref=None, shapes=((3, 4), (4,)), **kw):
    return Row(name, getattr(jnp, name), ref or getattr(np, name), list(shapes), **kw)


def _np_conv(x, w):
    """lax.conv(x, w, (1, 2), "VALID") of NCHW x and OIHW w."""
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, :, ::2]
    return np.einsum("nchwij,ocij->nohw", windows, w)


ROWS = [
    _unary("exp"), _unary("log", domain=(0.1, 3)), _unary("tanh"), _unary("sin"), _unary("cos"),
    _unary("sqrt", domain=(0.1, 3)), _unary("abs"), _unary("negative"), _unary("log1p", domain=(-0.5, 2)),
    _unary("expm1"), _unary("arctan"), _unary("sinh"), _unary("cosh"), _unary("square"),
    _unary("floor", grad=False), _unary("ceil", grad=False), _unary("sign", grad=False),
    _unary("round", grad=False), _unary("arcsin", domain=(-0.9, 0.9)), _unary("log2", domain=(0.1, 3)),
    _binary("add"), _binary("subtract"), _binary("multiply"), _binary("divide", domain=(0.5, 2)),
    _binary("maximum"), _binary("minimum"), _binary("power", domain=(0.5, 2)),
    _binary("arctan2", domain=(0.5, 2)),
    _binary("greater", grad=False), _binary("less_equal", grad=False), _binary("equal", grad=False),
    Row("add_int", jnp.add, np.add, [(3, 4), (3, 1)], dtype="int32", grad=False),
    Row("floor_divide_int", jnp.floor_divide, np.floor_divide, [(3, 4)], dtype="int32", grad=False,
        kwargs={"second": np.array([[3, -2, 5, 1]], np.int32)}),
    Row("where", lambda c, x, y: jnp.where(c > 0, x, y), lambda c, x, y: np.where(c > 0, x, y),
        [(3, 4), (3, 4), (4,)], grad=False),
    Row("sum", lambda x: jnp.sum(x), np.sum, [(3, 4)]),
    Row("sum_axis", lambda x: jnp.sum(x, axis=1, keepdims=True), lambda x: np.sum(x, axis=1, keepdims=True), [(3, 4)]),
    Row("mean", lambda x: jnp.mean(x, axis=0), lambda x: np.mean(x, axis=0), [(3, 4)]),
    Row("var", lambda x: jnp.var(x, axis=1), lambda x: np.var(x, axis=1), [(3, 4)]),
    Row("std", lambda x: jnp.std(x), lambda x: np.std(x), [(3, 4)]),
    Row("max", lambda x: jnp.max(x, axis=1), lambda x: np.max(x, axis=1), [(3, 4)]),
    Row("min", lambda x: jnp.min(x), np.min, [(3, 4)]),
    Row("prod", lambda x: jnp.prod(x, axis=0), lambda x: np.prod(x, axis=0), [(3, 4)]),
    Row("argmax", lambda x: jnp.argmax(x, axis=1), lambda x: np.argmax(x, axis=1), [(3, 4)], grad=False),
    Row("argmin", lambda x: jnp.argmin(x), lambda x: np.argmin(x), [(3, 4)], grad=False),
    Row("dot_mv", jnp.dot, np.dot, [(3, 4), (4,)]),
    Row("dot_mm", jnp.dot, np.dot, [(3, 4), (4, 5)]),
    Row("matmul_batched", jnp.matmul, np.matmul, [(2, 3, 4), (4, 5)]),
    Row("inner", jnp.inner, np.inner, [(4,), (4,)]),
    Row("outer", jnp.outer, np.outer, [(3,), (4,)]),
    Row("reshape", lambda x: jnp.reshape(x, (2, -1)), lambda x: np.reshape(x, (2, -1)), [(3, 4)]),
    Row("transpose", lambda x: jnp.transpose(x, (1, 0, 2)), lambda x: np.transpose(x, (1, 0, 2)), [(2, 3, 4)]),
    Row("T", lambda x: x.T, lambda x: x.T, [(3, 4)]),
    Row("squeeze", lambda x: jnp.squeeze(x), np.squeeze, [(3, 1, 4)]),
    Row("expand_dims", lambda x: jnp.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [(3, 4)]),
    Row("concatenate", lambda x, y: jnp.concatenate([x, y, x], axis=1),
        lambda x, y: np.concatenate([x, y, x], axis=1), [(3, 4), (3, 2)]),
    Row("stack", lambda x, y: jnp.stack([x, y], axis=1), lambda x, y: np.stack([x, y], axis=1), [(3, 4), (3, 4)]),
    Row("slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [(3, 4)]),
    Row("index_int", lambda x: x[1, 2], lambda x: x[1, 2], [(3, 4)]),
    Row("index_newaxis", lambda x: x[None, ..., -1], lambda x: x[None, ..., -1], [(3, 4)]),
    Row("at_set", lambda x: x.at[0, :].set(3.0), lambda x: _np_set(x, (0, slice(None)), 3.0), [(3, 4)]),
    Row("at_add", lambda x: x.at[1].add(2.0), lambda x: _np_add(x, 1, 2.0), [(3, 4)]),
    Row("at_mul", lambda x: x.at[1:, 2].mul(3.0), lambda x: _np_mul(x, (slice(1, None), 2), 3.0), [(3, 4)]),
    Row("clip", lambda x: jnp.clip(x, -1.0, 0.5), lambda x: np.clip(x, -1.0, 0.5), [(3, 4)]),
    Row("linspace_mul", lambda x: x * jnp.linspace(0, 1, 4), lambda x: x * np.linspace(0, 1, 4, dtype=np.float32), [(3, 4)]),
    Row("selu", lambda x: 1.05 * jnp.where(x > 0, x, 1.67 * jnp.exp(x) - 1.67),
        lambda x: 1.05 * np.where(x > 0, x, 1.67 * np.exp(x) - 1.67), [(1000,)]),
    Row("normalize", lambda X: (X - X.mean(0)) / X.std(0), lambda X: (X - X.mean(0)) / X.std(0),
        [(100, 10)], rtol=1e-4, atol=1e-5),
]


def _np_set(x, idx, v):
    y = x.copy(); y[idx] = v; return y


def _np_add(x, idx, v):
    y = x.copy(); y[idx] += v; return y


def _np_mul(x, idx, v):
    y = x.copy(); y[idx] *= v; return y


# ---------------------------------------------------------------------------------------
# The breadth of mlax.numpy, mlax.nn and mlax.scipy.special: one row per function family
# (references in NumPy, SciPy where NumPy has none).

from mlax import nn as mnn  # noqa: E402
from mlax.scipy import linalg as msl  # noqa: E402
from mlax.scipy import special as msp  # noqa: E402

try:
    from scipy import special as _sps
except ImportError:  # pragma: no cover
    _sps = None
_NEEDS_SCIPY = [pytest.mark.skipif(_sps is None, reason="scipy (the reference) is not installed")]


def _sp(name):
    return lambda *a: getattr(_sps, name)(*a)


def _np_logaddexp2(a, b):
    return np.logaddexp2(a, b)


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _np_at_rev(x):
    y = x.copy(); y[::-1, 1] = 2 * y[::-1, 1] + 1; return y


def _np_at_adv(x):
    y = x.copy(); np.add.at(y, (slice(1, None), np.array([0, 2, 0])), 2 * x[1:, [1, 1, 3]]); return y


_IDX2 = np.array([[0, 3], [2, 2]])
_SPD = lambda m: m @ np.swapaxes(m, -1, -2) + 3 * np.eye(m.shape[-1])
_W = np.array([0.5, 1.0, 2.0, 0.25])

ROWS.extend([
    # math
    _binary("hypot"), _binary("logaddexp"), Row("logaddexp2", jnp.logaddexp2, _np_logaddexp2, [(3, 4), (4,)]),
    _unary("exp2"), _unary("log10", domain=(0.1, 3)), _unary("sinc"), _unary("deg2rad"), _unary("cbrt", domain=(0.1, 2)),
    _unary("trunc", grad=False), _unary("rint", grad=False), _unary("reciprocal", domain=(0.5, 2)),
    _binary("float_power", domain=(0.5, 2)), _binary("fmax"), _binary("fmin"), _binary("copysign"),
    _binary("heaviside", grad=False), _binary("remainder", domain=(0.5, 2)), _binary("fmod", domain=(0.5, 2)),
    Row("ldexp", jnp.ldexp, np.ldexp, [(3, 4)], kwargs={"second": np.array([1, -2, 3, 0], np.int32)}),
    Row("nan_to_num", jnp.nan_to_num, np.nan_to_num, [(3, 4)]),
    Row("power_int_exponent", lambda x: jnp.power(x, np.array([0, 1, 2, 3], np.int32)),
        lambda x: np.power(x, np.array([0, 1, 2, 3])), [(3, 4)]),
    # reductions and cumulative ops
    Row("cumsum", lambda x: jnp.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), [(3, 4)]),
    Row("cumsum_flat", jnp.cumsum, np.cumsum, [(3, 4)]),
    Row("cumprod", lambda x: jnp.cumprod(x, axis=0), lambda x: np.cumprod(x, axis=0), [(3, 4)], domain=(0.5, 1.5)),
    Row("diff", lambda x: jnp.diff(x, n=2, axis=1), lambda x: np.diff(x, n=2, axis=1), [(3, 4)]),
    Row("sum_where", lambda x: jnp.sum(x, axis=1, where=x > 0), lambda x: np.sum(x, axis=1, where=x > 0), [(3, 4)]),
    Row("max_where", lambda x: jnp.max(x, axis=0, where=x < 1, initial=-5.0),
        lambda x: np.max(x, axis=0, where=x < 1, initial=-5.0), [(3, 4)]),
    Row("mean_where", lambda x: jnp.mean(x, axis=0, where=x > -1), lambda x: np.mean(x, axis=0, where=x > -1), [(3, 4)]),
    Row("var_ddof", lambda x: jnp.var(x, axis=1, ddof=1), lambda x: np.var(x, axis=1, ddof=1), [(3, 4)]),
    Row("nansum", lambda x: jnp.nansum(jnp.where(x > 1, jnp.nan, x), axis=0),
        lambda x: np.nansum(np.where(x > 1, np.nan, x), axis=0), [(3, 4)]),
    Row("nanmean", lambda x: jnp.nanmean(jnp.where(x > 1, jnp.nan, x)),
        lambda x: np.nanmean(np.where(x > 1, np.nan, x)), [(3, 4)]),
    Row("nanmax", lambda x: jnp.nanmax(jnp.where(x > 1, jnp.nan, x), axis=1),
        lambda x: np.nanmax(np.where(x > 1, np.nan, x), axis=1), [(3, 4)], domain=(-2, 0.9)),
    Row("median", lambda x: jnp.median(x, axis=1), lambda x: np.median(x, axis=1), [(3, 4)]),
    Row("quantile", lambda x: jnp.quantile(x, np.array([0.1, 0.5, 0.8]), axis=0),
        lambda x: np.quantile(x, np.array([0.1, 0.5, 0.8]), axis=0), [(5, 3)]),
    Row("percentile_nearest", lambda x: jnp.percentile(x, 30.0, method="nearest"),
        lambda x: np.percentile(x, 30.0, method="nearest"), [(3, 4)]),
    Row("average", lambda x: jnp.average(x, axis=1, weights=_W), lambda x: np.average(x, axis=1, weights=_W), [(3, 4)]),
    Row("ptp", lambda x: jnp.ptp(x, axis=0), lambda x: np.ptp(x, axis=0), [(3, 4)]),
    Row("count_nonzero", lambda x: jnp.count_nonzero(x > 0, axis=1), lambda x: np.count_nonzero(x > 0, axis=1),
        [(3, 4)], grad=False),
    Row("any_all", lambda x: jnp.any(x > 1, axis=0) & jnp.all(x > -1.5, axis=0),
        lambda x: np.any(x > 1, axis=0) & np.all(x > -1.5, axis=0), [(3, 4)], grad=False),
    # creation from arrays
    Row("tril", lambda x: jnp.tril(x, -1), lambda x: np.tril(x, -1), [(3, 4)]),
    Row("triu", lambda x: jnp.triu(x, 1), lambda x: np.triu(x, 1), [(3, 4)]),
    Row("diag_vector", lambda x: jnp.diag(x, 1), lambda x: np.diag(x, 1), [(4,)]),
    Row("diagonal", lambda x: jnp.diagonal(x, 1, 1, 2), lambda x: np.diagonal(x, 1, 1, 2), [(2, 3, 4)]),
    Row("trace", lambda x: jnp.trace(x, -1), lambda x: np.trace(x, -1), [(4, 3)]),
    # shapes
    Row("split", lambda x: jnp.stack(jnp.split(x, 2, axis=1)), lambda x: np.stack(np.split(x, 2, axis=1)), [(3, 4)]),
    Row("array_split", lambda x: jnp.concatenate(jnp.array_split(x, 3, axis=1)[::-1], axis=1),
        lambda x: np.concatenate(np.array_split(x, 3, axis=1)[::-1], axis=1), [(3, 4)]),
    Row("tile", lambda x: jnp.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), [(3, 4)]),
    Row("repeat", lambda x: jnp.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), [(3, 4)]),
    Row("repeat_counts", lambda x: jnp.repeat(x, np.array([2, 0, 1, 3]), axis=1),
        lambda x: np.repeat(x, np.array([2, 0, 1, 3]), axis=1), [(3, 4)]),
    Row("flip", lambda x: jnp.flip(x, 1), lambda x: np.flip(x, 1), [(3, 4)]),
    Row("flipud_fliplr", lambda x: jnp.flipud(jnp.fliplr(x)), lambda x: np.flipud(np.fliplr(x)), [(3, 4)]),
    Row("roll", lambda x: jnp.roll(x, (1, -3), (0, 1)), lambda x: np.roll(x, (1, -3), (0, 1)), [(3, 4)]),
    Row("roll_flat", lambda x: jnp.roll(x, 5), lambda x: np.roll(x, 5), [(3, 4)]),
    Row("rot90", lambda x: jnp.rot90(x, 3), lambda x: np.rot90(x, 3), [(3, 4)]),
    Row("moveaxis", lambda x: jnp.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), [(2, 3, 4)]),
    Row("swapaxes", lambda x: jnp.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), [(2, 3, 4)]),
    Row("broadcast_to", lambda x: jnp.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)), [(3, 1)]),
    Row("take", lambda x: jnp.take(x, _IDX2, axis=1), lambda x: np.take(x, _IDX2, axis=1), [(3, 4)]),
    Row("take_along_axis", lambda x: jnp.take_along_axis(x, np.array([[3, 0], [1, 1], [2, 0]]), axis=1),
        lambda x: np.take_along_axis(x, np.array([[3, 0], [1, 1], [2, 0]]), axis=1), [(3, 4)]),
    Row("pad_constant", lambda x: jnp.pad(x, ((1, 0), (2, 1)), constant_values=0.5),
        lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=0.5), [(3, 4)]),
    Row("pad_edge", lambda x: jnp.pad(x, 2, mode="edge"), lambda x: np.pad(x, 2, mode="edge"), [(3, 4)]),
    Row("pad_reflect", lambda x: jnp.pad(x, (1, 5), mode="reflect"), lambda x: np.pad(x, (1, 5), mode="reflect"), [(3, 4)]),
    Row("pad_wrap", lambda x: jnp.pad(x, ((0, 2), (3, 1)), mode="wrap"),
        lambda x: np.pad(x, ((0, 2), (3, 1)), mode="wrap"), [(3, 4)]),
    Row("select", lambda x, y: jnp.select([x < -0.5, x > 0.5], [x * y, y], 0.0),
        lambda x, y: np.select([x < -0.5, x > 0.5], [x * y, y + 0 * x], 0.0), [(3, 4), (3, 4)]),
    Row("column_stack", lambda x, y: jnp.column_stack([x, y]), lambda x, y: np.column_stack([x, y]), [(4,), (4, 2)]),
    Row("dstack", lambda x, y: jnp.dstack([x, y]), lambda x, y: np.dstack([x, y]), [(3, 4), (3, 4)]),
    Row("block", lambda x, y: jnp.block([[x, y], [y, x]]), lambda x, y: np.block([[x, y], [y, x]]), [(2, 2), (2, 2)]),
    Row("append", lambda x, y: jnp.append(x, y, axis=0), lambda x, y: np.append(x, y, axis=0), [(3, 4), (1, 4)]),
    Row("insert", lambda x, y: jnp.insert(x, np.array([0, 2, 2]), y, axis=1),
        lambda x, y: np.insert(x, np.array([0, 2, 2]), y, axis=1), [(3, 4), (3,)]),
    Row("delete", lambda x: jnp.delete(x, np.array([0, 2]), axis=1), lambda x: np.delete(x, np.array([0, 2]), axis=1), [(3, 4)]),
    # linear algebra
    Row("einsum_matmul", lambda x, y: jnp.einsum("ij,jk->ik", x, y), lambda x, y: np.einsum("ij,jk->ik", x, y), [(3, 4), (4, 2)]),
    Row("einsum_batch", lambda x, y: jnp.einsum("bij,bkj->bik", x, y), lambda x, y: np.einsum("bij,bkj->bik", x, y), [(2, 3, 4), (2, 5, 4)]),
    Row("einsum_ellipsis", lambda x, y: jnp.einsum("...i,...i->...", x, y), lambda x, y: np.einsum("...i,...i->...", x, y), [(3, 4), (4,)]),
    Row("einsum_diag_sum", lambda x: jnp.einsum("ii->", x), lambda x: np.einsum("ii->", x), [(4, 4)]),
    Row("einsum_three", lambda x, y, z: jnp.einsum("ij,jk,k->i", x, y, z), lambda x, y, z: np.einsum("ij,jk,k->i", x, y, z),
        [(3, 4), (4, 5), (5,)]),
    Row("tensordot", lambda x, y: jnp.tensordot(x, y, axes=([0, 2], [2, 0])),
        lambda x, y: np.tensordot(x, y, axes=([0, 2], [2, 0])), [(2, 3, 4), (4, 5, 2)]),
    Row("kron", jnp.kron, np.kron, [(2, 3), (3, 2)]),
    Row("cross", jnp.cross, np.cross, [(4, 3), (4, 3)]),
    Row("vecdot", lambda x, y: jnp.vecdot(x, y), lambda x, y: np.sum(x * y, axis=-1), [(3, 4), (4,)]),
    Row("norm_vector", lambda x: jnp.linalg.norm(x, axis=1), lambda x: np.linalg.norm(x, axis=1), [(3, 4)]),
    Row("norm_ord3", lambda x: jnp.linalg.norm(x, 3), lambda x: np.linalg.norm(x, 3), [(5,)], domain=(0.2, 2)),
    Row("norm_matrix_1", lambda x: jnp.linalg.norm(x, 1), lambda x: np.linalg.norm(x, 1), [(3, 4)]),
    Row("norm_fro", lambda x: jnp.linalg.norm(x, "fro", axis=(1, 2)), lambda x: np.linalg.norm(x, "fro", axis=(1, 2)), [(2, 3, 4)]),
    Row("det", jnp.linalg.det, np.linalg.det, [(3, 3)]),
    Row("inv", jnp.linalg.inv, np.linalg.inv, [(3, 3)], domain=(0.5, 2), rtol=1e-4, atol=1e-5),
    Row("solve", jnp.linalg.solve, np.linalg.solve, [(3, 3), (3, 2)], domain=(0.5, 2), rtol=1e-4, atol=1e-5),
    Row("cholesky", lambda x: jnp.linalg.cholesky(x @ jnp.swapaxes(x, -1, -2) + 3 * jnp.eye(3)),
        lambda x: np.linalg.cholesky(_SPD(x)), [(3, 3)], rtol=1e-4, atol=1e-5),
    Row("linalg.eigvalsh", lambda x: jnp.linalg.eigvalsh(x + x.T), lambda x: np.linalg.eigvalsh(x + x.T), [(4, 4)],
        rtol=1e-4, atol=1e-5),
    Row("linalg.qr_r", lambda x: jnp.abs(jnp.linalg.qr(x)[1]), lambda x: np.abs(np.linalg.qr(x)[1]), [(4, 3)],
        rtol=1e-4, atol=1e-5),
    Row("scipy.linalg.solve_triangular", lambda a, b: msl.solve_triangular(jnp.tril(a) + 4 * jnp.eye(3), b, lower=True),
        lambda a, b: np.linalg.solve(np.tril(a) + 4 * np.eye(3), b), [(3, 3), (3, 2)], rtol=1e-4, atol=1e-5),
    Row("slogdet", lambda x: jnp.linalg.slogdet(x)[1], lambda x: np.linalg.slogdet(x)[1], [(3, 3)], rtol=1e-4, atol=1e-5),
    # sorting and searching
    Row("sort", lambda x: jnp.sort(x, axis=0), lambda x: np.sort(x, axis=0), [(3, 4)]),
    Row("sort_descending", lambda x: jnp.sort(x, descending=True), lambda x: -np.sort(-x), [(3, 4)]),
    Row("argsort", lambda x: jnp.argsort(x, axis=1), lambda x: np.argsort(x, axis=1, kind="stable"), [(3, 4)], grad=False),
    Row("searchsorted", lambda x: jnp.searchsorted(np.array([-1.0, 0.0, 0.5, 1.5]), x),
        lambda x: np.searchsorted(np.array([-1.0, 0.0, 0.5, 1.5]), x), [(3, 4)], grad=False),
    Row("interp", lambda x, fp: jnp.interp(x, np.array([-1.5, -0.5, 0.0, 1.0]), fp),
        lambda x, fp: np.interp(x, np.array([-1.5, -0.5, 0.0, 1.0]), fp), [(3, 4), (4,)]),
    Row("convolve", lambda x, y: jnp.convolve(x, y), lambda x, y: np.convolve(x, y), [(5,), (3,)]),
    Row("convolve_same", lambda x, y: jnp.convolve(x, y, mode="same"), lambda x, y: np.convolve(x, y, mode="same"), [(3,), (6,)]),
    Row("correlate", lambda x, y: jnp.correlate(x, y), lambda x, y: np.correlate(x, y), [(6,), (3,)]),
    Row("lax.conv", lambda x, w: lax.conv(x, w, (1, 2), "VALID"), _np_conv, [(2, 3, 6, 5), (4, 3, 3, 2)],
        rtol=1e-4, atol=1e-5),
    Row("lax.reduce_window_max", lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (2, 2), (2, 2), "VALID"),
        lambda x: x.reshape(2, 2, 3, 2).max(axis=(1, 3)), [(4, 6)]),
    Row("lax.reduce_window_sum", lambda x: lax.reduce_window(x, 0.0, lax.add, (1, 3), (1, 1), ((0, 0), (1, 1))),
        lambda x: np.lib.stride_tricks.sliding_window_view(np.pad(x, ((0, 0), (1, 1))), 3, axis=1).sum(-1),
        [(3, 4)]),
    # complex values inside
    Row("fft.rfft_abs", lambda x: jnp.abs(jnp.fft.rfft(x)), lambda x: np.abs(np.fft.rfft(x)), [(3, 8)],
        rtol=1e-4, atol=1e-5),
    Row("fft.irfft", lambda x: jnp.fft.irfft(jnp.fft.rfft(x) * (1 + 1j)), lambda x: np.fft.irfft(np.fft.rfft(x) * (1 + 1j)),
        [(3, 8)], rtol=1e-4, atol=1e-5),
    Row("angle", lambda x: jnp.angle(x + 1j * x[::-1]), lambda x: np.angle(x + 1j * x[::-1]), [(3, 4)]),
    Row("isclose", lambda x, y: jnp.isclose(x, x + 1e-6 * y), lambda x, y: np.isclose(x, x + 1e-6 * y), [(3, 4), (3, 4)], grad=False),
    # advanced indexing
    Row("index_reversed", lambda x: x[::-1, ::-2], lambda x: x[::-1, ::-2], [(3, 4)]),
    Row("index_int_array", lambda x: x[np.array([2, 0, 2])], lambda x: x[np.array([2, 0, 2])], [(3, 4)]),
    Row("index_array_slice", lambda x: x[1:, np.array([3, 0])], lambda x: x[1:, np.array([3, 0])], [(3, 4)]),
    Row("index_arrays_apart", lambda x: x[np.array([0, 1]), :, np.array([3, 2])],
        lambda x: x[np.array([0, 1]), :, np.array([3, 2])], [(2, 3, 4)]),
    Row("index_newaxis_array", lambda x: x[None, ..., np.array([1, 3])], lambda x: x[None, ..., np.array([1, 3])], [(3, 4)]),
    Row("at_reversed", lambda x: x.at[::-1, 1].set(2 * x[::-1, 1] + 1), _np_at_rev, [(3, 4)]),
    Row("at_array_slice_add", lambda x: x.at[1:, np.array([0, 2, 0])].add(2 * x[1:, np.array([1, 1, 3])]), _np_at_adv, [(3, 4)]),
    # mlax.nn
    Row("nn.relu", mnn.relu, lambda x: np.maximum(x, 0), [(3, 4)]),
    Row("nn.relu6", lambda x: mnn.relu6(4 * x), lambda x: np.clip(4 * x, 0, 6), [(3, 4)]),
    Row("nn.sigmoid", mnn.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [(3, 4)]),
    Row("nn.softplus", mnn.softplus, lambda x: np.logaddexp(x, 0), [(3, 4)]),
    Row("nn.log_sigmoid", mnn.log_sigmoid, lambda x: -np.logaddexp(-x, 0), [(3, 4)]),
    Row("nn.silu", mnn.silu, lambda x: x / (1 + np.exp(-x)), [(3, 4)]),
    Row("nn.soft_sign", mnn.soft_sign, lambda x: x / (np.abs(x) + 1), [(3, 4)]),
    Row("nn.elu", mnn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), [(3, 4)]),
    Row("nn.leaky_relu", lambda x: mnn.leaky_relu(x, 0.1), lambda x: np.where(x >= 0, x, 0.1 * x), [(3, 4)]),
    Row("nn.gelu", mnn.gelu, _np_gelu_tanh, [(3, 4)]),
    Row("nn.gelu_exact", lambda x: mnn.gelu(x, approximate=False), lambda x: 0.5 * x * (1 + _sps.erf(x / np.sqrt(2))),
        [(3, 4)], marks=_NEEDS_SCIPY),
    Row("nn.softmax", lambda x: mnn.softmax(x, axis=0), lambda x: _np_softmax(x, axis=0), [(3, 4)]),
    Row("nn.log_softmax", mnn.log_softmax, lambda x: np.log(_np_softmax(x)), [(3, 4)]),
    Row("nn.standardize", mnn.standardize, lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5),
        [(3, 4)], rtol=1e-4, atol=1e-5),
    Row("nn.one_hot", lambda x: mnn.one_hot(x, 4), lambda x: (x[..., None] == np.arange(4)).astype(np.float32),
        [(3,)], dtype="int32", grad=False),
    # mlax.scipy.special
    Row("special.logsumexp", lambda x: msp.logsumexp(x, axis=1), lambda x: _sps.logsumexp(x, axis=1), [(3, 4)], marks=_NEEDS_SCIPY),
    Row("special.logsumexp_b", lambda x, b: msp.logsumexp(x, axis=0, b=b), lambda x, b: _sps.logsumexp(x, axis=0, b=b),
        [(3, 4), (4,)], domain=(0.1, 2), marks=_NEEDS_SCIPY),
    Row("special.expit", msp.expit, _sp("expit"), [(3, 4)], marks=_NEEDS_SCIPY),
    Row("special.logit", msp.logit, _sp("logit"), [(3, 4)], domain=(0.1, 0.9), marks=_NEEDS_SCIPY),
    Row("special.erf", msp.erf, _sp("erf"), [(3, 4)], marks=_NEEDS_SCIPY),
    Row("special.erfc", msp.erfc, _sp("erfc"), [(3, 4)], marks=_NEEDS_SCIPY),
    Row("special.erfinv", msp.erfinv, _sp("erfinv"), [(3, 4)], domain=(-0.9, 0.9), rtol=1e-4, marks=_NEEDS_SCIPY),
    Row("special.gammaln", msp.gammaln, _sp("gammaln"), [(3, 4)], domain=(0.5, 4), rtol=1e-4, atol=1e-5, marks=_NEEDS_SCIPY),
    Row("special.digamma", msp.digamma, _sp("digamma"), [(3, 4)], domain=(0.5, 4), rtol=1e-4, atol=1e-5, marks=_NEEDS_SCIPY),
    Row("special.xlogy", msp.xlogy, _sp("xlogy"), [(3, 4), (3, 4)], domain=(0.1, 2), marks=_NEEDS_SCIPY),
    Row("special.xlog1py", msp.xlog1py, _sp("xlog1py"), [(3, 4), (4,)], domain=(0.1, 2), marks=_NEEDS_SCIPY),
    Row("special.entr", msp.entr, _sp("entr"), [(3, 4)], domain=(0.1, 2), marks=_NEEDS_SCIPY),
    Row("special.ndtr", msp.ndtr, _sp("ndtr"), [(3, 4)], marks=_NEEDS_SCIPY),
    Row("special.ndtri", msp.ndtri, _sp("ndtri"), [(3, 4)], domain=(0.1, 0.9), rtol=1e-4, marks=_NEEDS_SCIPY),
    Row("special.log_ndtr", lambda x: msp.log_ndtr(4 * x), lambda x: _sps.log_ndtr(4 * x), [(3, 4)], rtol=1e-4,
        atol=1e-5, marks=_NEEDS_SCIPY),
])
