"""Reductions: sum, prod, max, min, any, all, mean, var, std, average, argmax, argmin,
count_nonzero, ptp; their NaN-ignoring forms; cumulative sums and products; whole-array
comparisons (`allclose`, `array_equal`, `array_equiv`).

Sums and products of bools and narrow ints accumulate in the default int, half floats in
float32, as in JAX; `mean` of ints is float.
"""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax
from mlax.runtime import Array
from mlax.tracing import user_site

from mlax.numpy._util import _arr, _aval, _axes, _axis, _dt, _float_args, _is_float
from mlax.numpy._shapes import broadcast_shapes, broadcast_to, ravel, reshape
from mlax.numpy._creation import _const, asarray, full, full_like, zeros_like
from mlax.numpy._ufuncs import (_as_bool, _where3, add, equal, isclose, isnan, logical_and,
                                logical_not, logical_or, maximum, minimum, multiply, sqrt,
                                subtract, true_divide)
from mlax.runtime.dtypes import is_float, is_half_float, is_inexact


def _keep(x, out, axes, keepdims):
    if not keepdims:
        return out
    shape = [1 if i in axes else n for i, n in enumerate(_aval(x).shape)]
    return reshape(out, shape)


def _sum_dtype(dt):
    """The accumulation dtype of sum/prod: bools and narrow ints widen to the default ints."""
    dt = _np.dtype(dt)
    if dt == _np.bool_ or (dt.kind == "i" and dt.itemsize < core.default_int().itemsize):
        return core.default_int()
    if dt.kind == "u" and dt.itemsize < core.default_int().itemsize:
        return core.canonicalize_dtype(_np.uint64)
    return dt


_IDENTITY = {"sum": 0, "prod": 1}


def _reduction(prim, name, upcast=False):
    binary = {"sum": add, "prod": multiply, "max": maximum, "min": minimum}[name]

    def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
          promote_integers=True):
        a = _arr(a)
        if dtype is not None:
            a = a.astype(dtype)
        elif upcast and promote_integers:
            a = a.astype(_sum_dtype(_dt(a)))
        axes = _axes(axis, a.ndim)
        if name not in _IDENTITY and initial is None and builtins.any(a.shape[d] == 0 for d in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity: "
                             f"shape {a.shape}, axis {axis} (pass initial= for a value) (at {user_site()})")
        out_dt = _dt(a)
        if upcast and is_half_float(out_dt):
            a = a.astype(_np.float32)   # accumulate half floats in float32, as JAX does
        if where is not None:
            if name in _IDENTITY:
                ident = _IDENTITY[name]
            elif initial is None:
                raise ValueError(f"reduction operation {name} does not have an identity, so to use "
                                 "a where mask one has to specify 'initial'")
            else:
                ident = _np.asarray(_extreme(_dt(a), name == "max"))
            mask = broadcast_to(_as_bool(where), a.shape)
            a = lax.select(mask, a, full(a.shape, _np.asarray(ident, _dt(a)), _dt(a)))
        r = prim(a, axes)
        if initial is not None:
            r = binary(r, initial).astype(_dt(a))
        return _keep(a, lax.convert_element_type(r, out_dt), axes, keepdims)   # strong, as JAX's
    f.__name__ = name
    return f


def _extreme(dt, lowest):
    dt = _np.dtype(dt)
    if is_float(dt):
        return -_np.inf if lowest else _np.inf
    if dt == _np.bool_:
        return not lowest
    info = _np.iinfo(dt)
    return info.min if lowest else info.max


sum = _reduction(lax.reduce_sum, "sum", upcast=True)
prod = _reduction(lax.reduce_prod, "prod", upcast=True)
max = _reduction(lax.reduce_max, "max")
min = _reduction(lax.reduce_min, "min")
amax, amin = max, min


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    a = _as_bool(a)
    if where is not None:
        a = logical_and(a, where)
    axes = _axes(axis, _aval(a).ndim)
    return _keep(a, lax.reduce_or(a, axes), axes, keepdims)


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    a = _as_bool(a)
    if where is not None:
        a = logical_or(a, logical_not(where))
    axes = _axes(axis, _aval(a).ndim)
    return _keep(a, lax.reduce_and(a, axes), axes, keepdims)


def _mean_dtype(a, dtype):
    if dtype is not None:
        return core.canonicalize_dtype(dtype)
    return _dt(a) if is_inexact(_dt(a)) else core.default_float()


def _count(a, axes, keepdims, where, dt):
    """The number of elements reduced over `axes` (per output element when masked)."""
    if where is None:
        n = 1
        for i in axes:
            n *= a.shape[i]
        return float(n)
    mask = broadcast_to(_as_bool(where), a.shape)
    return sum(mask, axis=axes, keepdims=keepdims).astype(dt)


def _compute_dtype(dt):
    return _np.dtype(_np.float32) if is_half_float(dt) else dt


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    a = _arr(a)
    dt = _mean_dtype(a, dtype)
    a = a.astype(_compute_dtype(dt))
    axes = _axes(axis, a.ndim)
    s = sum(a, axis=axes, keepdims=keepdims, where=where)
    return true_divide(s, _count(a, axes, keepdims, where, dt)).astype(dt)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    a = _arr(a)
    if correction is not None:
        ddof = correction
    dt = _mean_dtype(a, dtype)
    a = a.astype(_compute_dtype(dt))
    axes = _axes(axis, a.ndim)
    m = mean(a, axis=axes, keepdims=True, where=where)
    d = subtract(a, m)
    if where is not None:
        d = _where3(where, d, zeros_like(d))
    if _dt(d).kind == "c":
        # |d|**2: the variance of complex values is real, as in NumPy and JAX.
        d = lax.abs(d)
        dt = d.dtype
    n = _count(a, axes, keepdims, where, dt)
    denom = builtins.max(n - ddof, 0) if isinstance(n, float) else maximum(n - ddof, 0)
    return true_divide(sum(multiply(d, d), axis=axes, keepdims=keepdims), denom).astype(dt)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    return sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                    correction=correction))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    a = _arr(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        axes = _axes(axis, a.ndim)
        n = 1
        for i in axes:
            n *= a.shape[i]
        wsum = full_like(avg, n)
    else:
        a, w = _float_args(a, weights)
        axes = _axes(axis, a.ndim)
        if w.shape != a.shape:
            if axis is None:
                raise ValueError("Axis must be specified when shapes of a and weights differ.")
            if w.ndim != 1 or len(axes) != 1 or w.shape[0] != a.shape[axes[0]]:
                raise ValueError(f"weights of shape {w.shape} do not match a of shape {a.shape} along axis {axis}")
            w = lax.broadcast_in_dim(w, a.shape, (axes[0],))
        wsum = sum(w, axis=axes, keepdims=keepdims)
        avg = true_divide(sum(multiply(a, w), axis=axes, keepdims=keepdims), wsum)
    if returned:
        return avg, broadcast_to(wsum, avg.shape).astype(avg.dtype)
    return avg


def count_nonzero(a, axis=None, keepdims=False):
    return sum(_as_bool(a), axis=axis, keepdims=keepdims)


def ptp(a, axis=None, out=None, keepdims=False):
    return subtract(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


def argmax(a, axis=None, out=None, keepdims=False):
    a = _arr(a)
    if axis is None:
        r = argmax(ravel(a), axis=0)
        return reshape(r, (1,) * a.ndim) if keepdims else r
    axis = _axis(axis, _aval(a).ndim)
    if a.shape[axis] == 0:
        raise ValueError(f"attempt to get argmax of an empty sequence: shape {a.shape}, axis {axis} "
                         f"(at {user_site()})")
    r = lax.argmax(a, axis, core.default_int())
    return _keep(a, r, (axis,), keepdims)


def argmin(a, axis=None, out=None, keepdims=False):
    a = _arr(a)
    if axis is None:
        r = argmin(ravel(a), axis=0)
        return reshape(r, (1,) * a.ndim) if keepdims else r
    axis = _axis(axis, _aval(a).ndim)
    if a.shape[axis] == 0:
        raise ValueError(f"attempt to get argmin of an empty sequence: shape {a.shape}, axis {axis} "
                         f"(at {user_site()})")
    r = lax.argmin(a, axis, core.default_int())
    return _keep(a, r, (axis,), keepdims)


# NaN-ignoring reductions: NaNs replaced by the reduction's identity.

def _nan_to(a, value):
    a = _arr(a)
    if not _is_float(a):
        return a
    return lax.select(isnan(a), _const(a, value), a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return sum(_nan_to(a, 0), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return prod(_nan_to(a, 1), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def _nan_extreme(fn, lowest):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a = _arr(a)
        if not _is_float(a):
            return fn(a, axis=axis, keepdims=keepdims, initial=initial, where=where)
        r = fn(_nan_to(a, -_np.inf if lowest else _np.inf), axis=axis, keepdims=keepdims,
               initial=initial, where=where)
        all_nan = all(isnan(a), axis=axis, keepdims=keepdims)
        return _where3(all_nan, full_like(r, _np.nan), r)
    return f


nanmax = _nan_extreme(max, True)
nanmin = _nan_extreme(min, False)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    a = _arr(a)
    if not _is_float(a):
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    valid = logical_not(isnan(a))
    if where is not None:
        valid = logical_and(valid, where)
    return mean(_nan_to(a, 0), axis=axis, dtype=dtype, keepdims=keepdims, where=valid)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    a = _arr(a)
    if not _is_float(a):
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where, correction=correction)
    valid = logical_not(isnan(a))
    if where is not None:
        valid = logical_and(valid, where)
    return var(_nan_to(a, 0), axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=valid,
               correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    return sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                       correction=correction))


def _nan_arg(fn, lowest):
    def f(a, axis=None, out=None, keepdims=False):
        a = _arr(a)
        if not _is_float(a):
            return fn(a, axis=axis, keepdims=keepdims)
        r = fn(_nan_to(a, -_np.inf if lowest else _np.inf), axis=axis, keepdims=keepdims)
        all_nan = all(isnan(a), axis=axis, keepdims=keepdims)
        return _where3(all_nan, full_like(r, -1), r)
    return f


nanargmax = _nan_arg(argmax, True)
nanargmin = _nan_arg(argmin, False)


# -- cumulative sums and products --------------------------------------------------------

def _cumulative(prim, name, upcast_bool=True):
    def f(a, axis=None, dtype=None, out=None):
        a = _arr(a)
        if axis is None:
            a = ravel(a)
            axis = 0
        if dtype is not None:
            a = a.astype(dtype)
        elif _dt(a) == _np.bool_ and upcast_bool:
            a = a.astype(core.default_int())
        return prim(a, _axis(axis, a.ndim))
    f.__name__ = name
    return f


cumsum = _cumulative(lax.cumsum, "cumsum")
cumprod = _cumulative(lax.cumprod, "cumprod")
cumproduct = cumprod


def nancumsum(a, axis=None, dtype=None, out=None):
    return cumsum(_nan_to(a, 0), axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    return cumprod(_nan_to(a, 1), axis=axis, dtype=dtype)


def _cumulative_include(fn, ident):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        x = _arr(x)
        if axis is None:
            if x.ndim > 1:
                raise ValueError(f"The array API requires an axis for arrays of ndim > 1, got shape {x.shape}")
            axis = 0
        out = fn(x, axis=axis, dtype=dtype)
        if include_initial:
            axis = _axis(axis, out.ndim)
            pad_cfg = [(1 if d == axis else 0, 0, 0) for d in range(out.ndim)]
            out = lax.pad(out, Array(_np.asarray(ident, out.dtype)), pad_cfg)
        return out
    return f


cumulative_sum = _cumulative_include(cumsum, 0)
cumulative_prod = _cumulative_include(cumprod, 1)


# -- whole-array comparisons -------------------------------------------------------------

def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    a1, a2 = asarray(a1), asarray(a2)   # lists are accepted here, as in JAX
    if a1.shape != a2.shape:
        return asarray(False)
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)


def array_equiv(a1, a2):
    a1, a2 = asarray(a1), asarray(a2)
    try:
        broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return asarray(False)
    return all(equal(a1, a2))
