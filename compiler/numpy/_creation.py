"""Array creation: arrays from data (`asarray`, `array`), filled arrays (`zeros`, `full`, the
`*_like`s), ranges (`arange`, `linspace`), matrices (`eye`, `tri`, `diag`), index arrays and
grids (`indices`, `meshgrid`, `mgrid`, `r_`) and window functions.

`logspace` and `geomspace` are built on the ufuncs (`power`, `exp`): they are in `_math`.
"""
from __future__ import annotations

import builtins
import math as _math
import operator as _operator

import numpy as _np

from mlax import core, lax, spmd
from mlax.runtime import CPU0, Array
from mlax.runtime.dtypes import finfo, is_half_float, is_inexact
from mlax.tracing import Tracer, default_device, user_site

from mlax.numpy._util import (_arr, _aval, _axis, _check_arraylike, _concrete, _dt, _host_array,
                              _is_array, _shape)
from mlax.numpy._shapes import (_broadcast, atleast_1d, broadcast_to, concatenate, expand_dims,
                                moveaxis, ndim, ravel, reshape, shape, stack, tile)


def _placed(x, device):
    """A new array `x` where JAX makes it: committed to `device` when one is given (the
    `device=` of the creation functions), else on the default device, uncommitted (a host
    Array is left as it is on the cpu device)."""
    if isinstance(x, Tracer):
        return x
    if device is not None:
        return spmd.device_put_one(x, device)
    if type(x) is not Array:
        return x
    target = default_device()
    return x if target == CPU0 else target._put(x._value, None, x.weak_type)


def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    if isinstance(a, Tracer):
        return lax.convert_element_type(a, dtype) if dtype is not None else a
    if isinstance(a, Array):
        if dtype is None or _np.dtype(core.canonicalize_dtype(dtype)) == a.dtype:
            return a if device is None else _placed(a, device)
        return _placed(lax.convert_element_type(a, dtype), device)
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(l, Tracer) for l in _flat(a)):
        return stack([asarray(x, dtype) for x in a])
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(l, Array) for l in _flat(a)):
        a = _np.asarray([_np.asarray(x) for x in a]) if not builtins.any(isinstance(x, (list, tuple)) for x in a) \
            else _np.asarray(_to_host(a))
    return _placed(_host_array(a, dtype), device)


def _flat(a):
    for x in a:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _to_host(a):
    if isinstance(a, (list, tuple)):
        return [_to_host(x) for x in a]
    return _np.asarray(a)


def array(object, dtype=None, copy=True, order="K", ndmin=0, *, device=None):
    out = asarray(object, dtype, device=device)
    while out.ndim < ndmin:
        out = expand_dims(out, 0)
    return out


def copy(a, order=None):
    """A copy of `a` (mlax arrays are immutable, so the same values as a new array)."""
    a = _arr(a)
    return lax.convert_element_type(a, a.dtype) if a.weak_type else a


def astype(x, dtype, /, *, copy=False, device=None):
    return lax.convert_element_type(_arr(x), dtype)


# -- filled arrays -----------------------------------------------------------------------

def full(shape, fill_value, dtype=None, *, device=None):
    _check_arraylike(fill_value)
    shape = _shape(shape)
    if _is_array(fill_value):
        v = asarray(fill_value, dtype)
        return _placed(lax.broadcast_in_dim(v, shape, tuple(range(len(shape) - v.ndim,
                                                                   len(shape)))), device)
    dt = core.canonicalize_dtype(dtype) if dtype is not None else \
        (core.aval_of_python_scalar(fill_value).dtype if core.is_python_scalar(fill_value)
         else core.canonicalize_dtype(_np.asarray(fill_value).dtype))
    if _np.ndim(fill_value):
        return _placed(broadcast_to(asarray(fill_value, dt), shape), device)
    if core.trace_stack():
        return lax.broadcast_in_dim(Array(_np.asarray(fill_value, dt)), shape, ())
    return _placed(Array(_np.full(shape, fill_value, dtype=dt)), device)


def zeros(shape, dtype=None, *, device=None):
    return full(shape, 0, dtype or core.default_float(), device=device)


def ones(shape, dtype=None, *, device=None):
    return full(shape, 1, dtype or core.default_float(), device=device)


def empty(shape, dtype=None, *, device=None):
    return zeros(shape, dtype, device=device)


def _like(a, dtype, shape):
    """The shape and dtype of a `*_like` result: `a`'s unless given. `a` is an array or a
    scalar, or a description with `.shape` and `.dtype` (a ShapeDtypeStruct), as in JAX."""
    _check_arraylike(a)
    if not _is_array(a) and not isinstance(a, (_np.ndarray, _np.generic)) \
            and hasattr(a, "shape") and hasattr(a, "dtype"):
        a_shape, a_dtype = tuple(a.shape), _np.dtype(a.dtype)
    else:
        a_shape, a_dtype = _aval(a).shape, _aval(a).dtype
    return (shape if shape is not None else a_shape), (dtype if dtype is not None else a_dtype)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    like_shape, like_dtype = _like(a, dtype, shape)
    # As JAX's: weakly typed like a weakly typed `a` unless a dtype is given.
    weak = dtype is None and (_is_array(a) or core.is_python_scalar(a)) and _aval(a).weak_type
    return _placed(lax._convert_element_type(full(like_shape, fill_value, like_dtype),
                                             like_dtype, weak), device)


def zeros_like(a, dtype=None, shape=None, *, device=None):
    return full_like(a, 0, dtype, shape, device=device)


def ones_like(a, dtype=None, shape=None, *, device=None):
    return full_like(a, 1, dtype, shape, device=device)


empty_like = zeros_like


def _const(like, value):
    """A scalar of `like`'s dtype broadcast to its shape (a constant operand for lax ops)."""
    return full(_aval(like).shape, _np.asarray(value, _dt(like)), _dt(like))


# -- ranges ------------------------------------------------------------------------------

def arange(start, stop=None, step=None, dtype=None, *, device=None):
    return _placed(_arange(start, stop, step, dtype), device)


def _arange(start, stop, step, dtype):
    start, stop, step = (_concrete(v, "arange") for v in (start, stop, step))
    start = _np.asarray(start).item() if isinstance(start, Array) else start
    stop = _np.asarray(stop).item() if isinstance(stop, Array) else stop
    step = _np.asarray(step).item() if isinstance(step, Array) else step
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        dtype = core.default_float() if builtins.any(isinstance(v, (float, _np.floating)) for v in (start, stop, step)) \
            else core.default_int()
    n = builtins.max(0, int(_math.ceil((stop - start) / step)))
    dtype = core.canonicalize_dtype(dtype)
    if start == 0 and step == 1 and dtype.kind != "c":
        return lax.iota(dtype, n)
    if is_half_float(dtype):
        # As JAX: start + step * i computed in float32, then rounded to 16 bits.
        vals = _np.float32(start) + _np.float32(step) * _np.arange(n, dtype=_np.float32)
        return Array(vals.astype(dtype))
    return Array(_np.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    out = _linspace(start, stop, num, endpoint, retstep, dtype, axis)
    if retstep:
        return _placed(out[0], device), out[1]
    return _placed(out, device)


def _linspace(start, stop, num, endpoint, retstep, dtype, axis):
    """JAX's linspace, with JAX's arithmetic so the values are JAX's bits: in the computation
    dtype, `start * (1 - t) + stop * t` with `t = iota / div`, the endpoint exactly `stop`;
    an integer dtype is floored and then converted as `convert_element_type` does (NaN to
    0, out of range saturating). Concrete scalar ends are computed with NumPy in the same
    dtype, anything else with lax ops."""
    num = _operator.index(_concrete(num, "The num argument of linspace"))
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    _check_arraylike(start)
    _check_arraylike(stop)
    if dtype is None:
        dtype = _to_inexact(core.result_type(_aval(start), _aval(stop))[0])
    dtype = core.canonicalize_dtype(dtype)
    cdt = _to_inexact(dtype)
    div = (num - 1) if endpoint else num
    if _is_array(start) or _is_array(stop) or _np.ndim(start) or _np.ndim(stop):
        return _linspace_traced(start, stop, num, endpoint, retstep, dtype, cdt, div, axis)
    start, stop = _np.asarray(start).astype(cdt), _np.asarray(stop).astype(cdt)
    if num > 1:
        delta = (stop - start) / _np.asarray(div, cdt)
        real = _np.dtype(finfo(cdt).dtype)
        t = (_np.arange(div, dtype=real) / _np.asarray(div, real)).astype(cdt)
        vals = start * (_np.asarray(1, cdt) - t) + stop * t
        if endpoint:
            vals = _np.concatenate([vals, stop[None]])
    else:
        delta = _np.asarray(_np.nan if endpoint or num == 0 else stop - start, cdt)
        vals = _np.full((num,), start, cdt)
    if dtype.kind in "iu":
        vals = _np.floor(vals)
    out = Array(_np.ascontiguousarray(_host_convert(vals, dtype)))
    return (out, Array(_np.asarray(delta, cdt))) if retstep else out


def _linspace_traced(start, stop, num, endpoint, retstep, dtype, cdt, div, axis):
    start, stop = _broadcast(asarray(start, cdt), asarray(stop, cdt))
    axis = start.ndim + axis + 1 if axis < 0 else axis
    bounds = list(start.shape)
    bounds.insert(axis, 1)
    if num > 1:
        delta = (stop - start) / asarray(div, cdt)
        real = _np.dtype(finfo(cdt).dtype)
        iota_shape = [1] * len(bounds)
        iota_shape[axis] = div
        t = lax.convert_element_type(reshape(lax.iota(real, div), iota_shape) / asarray(div, real), cdt)
        out = reshape(start, bounds) * (1 - t) + reshape(stop, bounds) * t
        if endpoint:
            out = concatenate([out, expand_dims(stop, axis)], axis)
    else:
        delta = asarray(_np.nan, cdt) if endpoint or num == 0 else stop - start
        out = broadcast_to(reshape(start, bounds), tuple(bounds[:axis]) + (num,) + tuple(bounds[axis + 1:]))
    if dtype.kind in "iu":
        out = lax.floor(out)
    out = lax.convert_element_type(out, dtype)
    return (out, delta) if retstep else out


def _to_inexact(dtype):
    """The dtype itself if inexact, else the default float (JAX's `to_inexact_dtype`)."""
    dtype = _np.dtype(dtype)
    return dtype if is_inexact(dtype) else core.default_float()


def _host_convert(vals, dtype):
    """NumPy values converted to `dtype` as `convert_element_type` does: from a float to an
    integer, NaN becomes 0 and out-of-range values saturate (NumPy's astype wraps them)."""
    if dtype.kind not in "iu" or vals.dtype.kind in "iub":
        return vals.astype(dtype)
    if vals.dtype.kind == "c":
        vals = vals.real
    info = _np.iinfo(dtype)
    clipped = _np.clip(_np.nan_to_num(vals.astype(_np.float64), nan=0.0), info.min, info.max)
    return _np.where(clipped >= info.max, info.max, clipped).astype(dtype)


# -- matrices ----------------------------------------------------------------------------

def _tri_mask(n, m, k):
    """bool[n, m]: True where column <= row + k."""
    r = lax.broadcasted_iota(_np.int32, (n, m), 0)
    c = lax.broadcasted_iota(_np.int32, (n, m), 1)
    return lax.ge(lax.add(r, full((n, m), _np.int32(k), _np.int32)), c)


def eye(N, M=None, k=0, dtype=None, *, device=None):
    N, M = _shape((N, N if M is None else M))
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    r = lax.broadcasted_iota(_np.int32, (N, M), 0)
    c = lax.broadcasted_iota(_np.int32, (N, M), 1)
    return _placed(lax.convert_element_type(lax.eq(lax.add(r, Array(_np.full((N, M), k, _np.int32))), c), dtype), device)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return lax.convert_element_type(_tri_mask(int(N), int(M), int(k)),
                                    core.canonicalize_dtype(dtype or core.default_float()))


def tril(m, k=0):
    m = _arr(m)
    if m.ndim < 2:
        raise ValueError(f"tril requires an array of at least 2 dimensions, got shape {m.shape}")
    mask = broadcast_to(_tri_mask(m.shape[-2], m.shape[-1], k), m.shape)
    return lax.select(mask, m, zeros_like(m))


def triu(m, k=0):
    m = _arr(m)
    if m.ndim < 2:
        raise ValueError(f"triu requires an array of at least 2 dimensions, got shape {m.shape}")
    mask = broadcast_to(_tri_mask(m.shape[-2], m.shape[-1], k - 1), m.shape)
    return lax.select(mask, zeros_like(m), m)


def diag(v, k=0):
    v = _arr(v)
    k = int(k)
    if v.ndim == 1:
        n = v.shape[0]
        N = n + builtins.abs(k)
        vp = lax.pad(v, Array(_np.zeros((), v.dtype)), [(0, builtins.abs(k), 0)])
        vb = lax.broadcast_in_dim(vp, (N, N), (0,) if k >= 0 else (1,))
        r = lax.broadcasted_iota(_np.int32, (N, N), 0)
        c = lax.broadcasted_iota(_np.int32, (N, N), 1)
        mask = lax.eq(lax.sub(c, r), full((N, N), _np.int32(k), _np.int32))
        return lax.select(mask, vb, zeros_like(vb))
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError(f"diag input must be 1d or 2d, got shape {v.shape}")


def diagflat(v, k=0):
    return diag(ravel(v), k)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal at `offset` over axes (axis1, axis2), as the last axis of the result."""
    a = _arr(a)
    nd = a.ndim
    if nd < 2:
        raise ValueError(f"diagonal requires an array of at least 2 dimensions, got shape {a.shape}")
    axis1, axis2 = _axis(axis1, nd), _axis(axis2, nd)
    if axis1 == axis2:
        raise TypeError(f"diagonal: axis1 and axis2 cannot be the same axis ({axis1}) (at {user_site()})")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = a.shape[-2:]
    offset = int(offset)
    count = builtins.max(0, builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m))
    rows = _np.arange(count) + builtins.max(0, -offset)
    cols = rows + offset
    return a[..., rows, cols]


# -- index arrays and grids --------------------------------------------------------------

def _index_array_const(a):
    return Array(_np.ascontiguousarray(_np.asarray(a).astype(core.default_int())))


def tril_indices(n, k=0, m=None):
    return tuple(_index_array_const(i) for i in _np.tril_indices(n, k, m))


def triu_indices(n, k=0, m=None):
    return tuple(_index_array_const(i) for i in _np.triu_indices(n, k, m))


def tril_indices_from(arr, k=0):
    _check_arraylike(arr)
    return tril_indices(shape(arr)[-2], k, shape(arr)[-1])


def triu_indices_from(arr, k=0):
    _check_arraylike(arr)
    return triu_indices(shape(arr)[-2], k, shape(arr)[-1])


def diag_indices(n, ndim=2):
    return tuple(_index_array_const(i) for i in _np.diag_indices(n, ndim))


def diag_indices_from(arr):
    _check_arraylike(arr)
    return diag_indices(shape(arr)[0], ndim(arr))


def mask_indices(n, mask_func, k=0, *, size=None):
    m = _np.asarray(mask_func(_np.ones((n, n), _np.int32), k))
    return tuple(_index_array_const(i) for i in _np.nonzero(m))


def indices(dimensions, dtype=None, sparse=False):
    dims = _shape(dimensions)
    dtype = core.canonicalize_dtype(dtype or core.default_int())
    if sparse:
        return tuple(lax.broadcasted_iota(dtype, tuple(n if j == i else 1 for j, n in enumerate(dims)), i)
                     for i in range(len(dims)))
    if not dims:
        return zeros((0,), dtype)
    return stack([lax.broadcasted_iota(dtype, dims, i) for i in range(len(dims))])


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for indexing are 'xy' and 'ij', got {indexing!r}")
    args = [ravel(_arr(x)) for x in xi]
    n = len(args)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    full_shape = [0] * n
    for i, a in enumerate(args):
        full_shape[pos[i]] = a.shape[0]
    out = []
    for i, a in enumerate(args):
        s = [1] * n
        s[pos[i]] = a.shape[0]
        r = reshape(a, s)
        out.append(r if sparse else broadcast_to(r, full_shape))
    return out


class _Grid:
    """`mgrid[...]` / `ogrid[...]`: NumPy's index tricks with static slices."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, key):
        host = _np.ogrid[key] if self.sparse else _np.mgrid[key]
        if isinstance(host, (list, tuple)):
            return [asarray(h) for h in host]
        return asarray(host)


mgrid = _Grid(False)
ogrid = _Grid(True)

s_ = _np.s_
index_exp = _np.index_exp


class _Concatenator:
    """`r_[...]` / `c_[...]`: slices become ranges (NumPy's rules), scalars and arrays are
    joined along the first axis (r_) or as columns (c_). String directives are not supported."""

    def __init__(self, columns):
        self.columns = columns

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        parts = []
        for k in key:
            if isinstance(k, str):
                raise NotImplementedError("r_/c_ string directives")
            if isinstance(k, slice):
                parts.append(asarray(_np.r_[k]))
            else:
                parts.append(atleast_1d(_arr(k)))
        if self.columns:
            parts = [reshape(p, (-1, 1)) if p.ndim == 1 else p for p in parts]
            return concatenate(parts, axis=-1)
        return concatenate(parts, axis=0)


r_ = _Concatenator(False)
c_ = _Concatenator(True)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    return function(*indices(shape, dtype=core.canonicalize_dtype(dtype)), **kwargs)


# -- arrays rebuilt from another ---------------------------------------------------------

def resize(a, new_shape):
    a = ravel(_arr(a))
    new_shape = _shape(new_shape)
    total = int(_np.prod(new_shape))
    if a.size == 0:
        return zeros(new_shape, a.dtype)
    reps = -(-total // a.size)
    return reshape(lax.slice_in_dim(tile(a, reps), 0, total), new_shape)


def trim_zeros(filt, trim="fb"):
    _check_arraylike(filt)
    host = _np.asarray(_concrete(filt, "trim_zeros"))
    return asarray(_np.trim_zeros(host, trim))


# Window functions: static lengths, computed once on the host.

def _window(name, M, *args):
    return asarray(getattr(_np, name)(int(_concrete(M, f"{name} length")), *args).astype(core.default_float()))


def bartlett(M):
    return _window("bartlett", M)


def blackman(M):
    return _window("blackman", M)


def hamming(M):
    return _window("hamming", M)


def hanning(M):
    return _window("hanning", M)


def kaiser(M, beta):
    return _window("kaiser", M, float(_concrete(beta, "kaiser beta")))
