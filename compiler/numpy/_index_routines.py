"""NumPy's indexing routines: positions of true elements (`nonzero`, `argwhere`, one-argument
`where`), reading along an axis (`take`, `take_along_axis`, `choose`, `compress`), writing
(`put`, `place`, `put_along_axis`, `fill_diagonal`: each returns a new array) and index
conversions (`ix_`, `ravel_multi_index`, `unravel_index`).

Indexing itself (`x[idx]`, `x.at[idx]`) is `_indexing`.
"""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax
from mlax.runtime import Array
from mlax.tracing import Tracer, user_site

from mlax.numpy._util import (_arr, _aval, _axis, _check_arraylike, _concrete, _dt, _promote,
                              _shape, _take_axis)
from mlax.numpy._shapes import (_broadcast, _flat_or_axis, broadcast_shapes, broadcast_to,
                                expand_dims, ravel, reshape, stack)
from mlax.numpy._creation import asarray, full_like, resize, zeros, zeros_like
from mlax.numpy._ufuncs import (_as_bool, _where3, clip, floor_divide, greater_equal, less,
                                logical_and, remainder)
from mlax.numpy._reductions import cumsum, sum


# -- positions of true elements ----------------------------------------------------------

def where(condition, x=None, y=None, *, size=None, fill_value=None):
    _check_arraylike(condition)
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided to jax.numpy.where")
    return _where3(condition, x, y)


def _nonzero_sized(a, size, fill_value):
    """nonzero with a static result size: the flat positions of the true entries scattered
    to their ranks (a cumulative sum), then split into coordinates."""
    mask = ravel(_as_bool(a))
    n = mask.shape[0]
    size = int(size)
    rank = cumsum(mask.astype(_np.int32)) - 1
    target = _where3(mask, rank, full_like(rank, size))
    flat = zeros((size,), _np.int32).at[target].set(lax.iota(_np.int32, n), mode="drop")
    count = sum(mask.astype(_np.int32))
    valid = lax.lt(lax.iota(_np.int32, size), broadcast_to(count, (size,)))
    coords = unravel_index(flat, _aval(a).shape) if _aval(a).ndim != 1 else (flat,)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * len(coords)
    if len(fills) != len(coords):
        raise ValueError(f"fill_value must be a scalar or a tuple of length {len(coords)}")
    out = []
    for c, fv in zip(coords, fills):
        c = c.astype(core.default_int())
        out.append(_where3(valid, c, asarray(0 if fv is None else fv, c.dtype)))
    return tuple(out)


def nonzero(a, *, size=None, fill_value=None):
    _check_arraylike(a)
    if size is not None:
        return _nonzero_sized(_arr(a), size, fill_value)
    if isinstance(a, Tracer):
        raise core.ConcretizationTypeError(
            f"nonzero of a traced array: the size of the result depends on the values (at {user_site()}). "
            "Pass size= to bound it, or compute it outside jit.")
    idx = _np.nonzero(_np.atleast_1d(_np.asarray(a)))
    return tuple(Array(i.astype(core.default_int())) for i in idx)


def flatnonzero(a, *, size=None, fill_value=None):
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    a = _arr(a)
    if a.ndim == 0:
        n = size if size is not None else int(builtins.bool(_concrete(a, "argwhere of a 0-d array")))
        return zeros((n, 0), core.default_int())
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


# -- reading along an axis ---------------------------------------------------------------

def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """a indexed by `indices` along `axis`; out-of-range indices give NaN / the lowest int
    (mode "fill", JAX's default), the nearest end ("clip") or wrap ("wrap")."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    if mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported: indices are "
                                  "not checked at run time; use mode 'fill', 'clip' or 'wrap'")
    if mode not in (None, "fill", "clip", "wrap"):
        raise ValueError(f"Invalid mode {mode!r} for np.take: use 'fill' (the default), 'clip' "
                         "or 'wrap'")
    a = _arr(a)
    a, axis = _flat_or_axis(a, axis)
    idx = _arr(indices)
    if _dt(idx).kind not in "iu":
        raise TypeError(f"take: indices must be integers, got {_dt(idx)}")
    n = a.shape[axis]
    if n == 0:
        if idx.size:
            raise IndexError("Cannot do a non-empty jnp.take() from an empty axis.")
        return zeros(a.shape[:axis] + idx.shape + a.shape[axis + 1:], a.dtype)
    idx = idx.astype(_np.int32)
    if mode == "wrap":
        idx = remainder(idx, _np.int32(n))
    elif mode == "clip":
        idx = clip(idx, 0, n - 1).astype(_np.int32)
    else:
        idx = _where3(lax.lt(idx, zeros_like(idx)), idx + _np.int32(n), idx)
    fill = mode in (None, "fill")
    out = _take_axis(a, idx, axis, "fill" if fill else "clip")
    if fill and fill_value is not None:
        ok = logical_and(greater_equal(idx, 0), less(idx, n))
        ok = lax.broadcast_in_dim(ok, out.shape, tuple(range(axis, axis + idx.ndim)))
        out = _where3(ok, out, asarray(fill_value, out.dtype))
    return out


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """arr indexed along `axis` by `indices` broadcast against it; out-of-range indices read
    `fill_value` (mode "fill", the default: NaN / the lowest int) or the nearest end ("clip")."""
    arr = _arr(arr)
    indices = _arr(indices)
    if _dt(indices).kind not in "iu":
        raise TypeError(f"take_along_axis indices must be of integer type, got {_dt(indices)}")
    if axis is None:
        if indices.ndim != 1:
            raise ValueError(f"take_along_axis with axis=None needs 1-d indices, got shape {indices.shape}")
        arr = ravel(arr)
        axis = 0
    if arr.ndim != indices.ndim:
        raise ValueError(f"indices and arr must have the same number of dimensions; "
                         f"{indices.ndim} vs. {arr.ndim}")
    axis = _axis(axis, arr.ndim)
    shp = broadcast_shapes(*[tuple(1 if d == axis else n for d, n in enumerate(s))
                             for s in (arr.shape, indices.shape)])
    n = arr.shape[axis]
    if n == 0:   # JAX gives zeros: there is nothing to read
        return zeros(tuple(indices.shape[axis] if d == axis else m for d, m in enumerate(shp)), arr.dtype)
    arr = broadcast_to(arr, tuple(n if d == axis else m for d, m in enumerate(shp)))
    indices = broadcast_to(indices, tuple(indices.shape[axis] if d == axis else m for d, m in enumerate(shp)))
    idx = indices.astype(_np.int32)
    index = tuple(idx if d == axis else lax.broadcasted_iota(_np.int32, idx.shape, d) for d in range(arr.ndim))
    return arr.at[index].get(mode="fill" if mode is None else mode, fill_value=fill_value)


def choose(a, choices, out=None, mode="raise"):
    a = _arr(a)
    choices = _broadcast(*_promote(*[_arr(c) for c in choices]), a)[:-1]
    n = len(choices)
    if mode == "wrap":
        a = remainder(a, n)
    elif mode == "clip":
        a = clip(a, 0, n - 1)
    elif mode == "raise":
        if not isinstance(a, Tracer):
            host = _np.asarray(a)
            if (host < 0).any() or (host >= n).any():
                raise ValueError("invalid entry in choice array")
    else:
        raise ValueError(f"invalid mode {mode!r}")
    a = broadcast_to(a, choices[0].shape)
    st = stack(choices)
    return take_along_axis(st, expand_dims(a, 0), 0, mode="clip")[0]


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    a = _arr(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    cond = ravel(_arr(condition))
    n = a.shape[axis]
    if size is None:
        host = _np.asarray(_concrete(cond, "compress condition")).astype(bool)[:n]
        return _take_axis(a, Array(_np.nonzero(host)[0].astype(_np.int32)), axis)
    pos = nonzero(cond[:n] if cond.shape[0] > n else cond, size=size, fill_value=n)[0]
    return take(a, pos, axis=axis, mode="fill", fill_value=fill_value)


def extract(condition, arr, *, size=None, fill_value=0):
    return compress(ravel(condition), ravel(arr), size=size, fill_value=fill_value)


# -- writing (each returns a new array) --------------------------------------------------

def put(a, ind, v, mode=None, *, inplace=True):
    if inplace:
        raise ValueError("mlax arrays are immutable: call put(..., inplace=False) and use the result")
    a = _arr(a)
    ind = ravel(_arr(ind)).astype(_np.int32)
    n = a.size
    if mode == "wrap":
        ind = remainder(ind, _np.int32(n))
    elif mode == "clip":
        ind = clip(ind, 0, n - 1).astype(_np.int32)
    v = ravel(_arr(v)).astype(a.dtype)
    if v.size != ind.size:
        v = resize(v, ind.shape) if v.size else v
    return reshape(ravel(a).at[ind].set(v), a.shape)


def place(arr, mask, vals, *, inplace=True):
    if inplace:
        raise ValueError("mlax arrays are immutable: call place(..., inplace=False) and use the result")
    arr = _arr(arr)
    m = _np.asarray(_concrete(mask, "place mask")).astype(builtins.bool)
    pos = _np.nonzero(_np.broadcast_to(m, arr.shape).ravel())[0].astype(_np.int32)
    if pos.size == 0:
        return arr
    v = resize(ravel(_arr(vals)).astype(arr.dtype), (pos.size,))
    return reshape(ravel(arr).at[Array(pos)].set(v), arr.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    if inplace:
        raise ValueError("mlax arrays are immutable: call put_along_axis(..., inplace=False) and use the result")
    arr, indices = _arr(arr), _arr(indices)
    if axis is None:
        return reshape(put_along_axis(ravel(arr), ravel(indices), ravel(_arr(values)), 0, inplace=False,
                                      mode=mode), arr.shape)
    axis = _axis(axis, arr.ndim)
    shp = broadcast_shapes(*[tuple(1 if d == axis else n for d, n in enumerate(s)) for s in (arr.shape, indices.shape)])
    if tuple(n for d, n in enumerate(arr.shape) if d != axis) != tuple(n for d, n in enumerate(shp) if d != axis):
        raise ValueError(f"put_along_axis: indices of shape {indices.shape} do not fit arr of shape {arr.shape}")
    indices = broadcast_to(indices, tuple(indices.shape[axis] if d == axis else n for d, n in enumerate(shp)))
    index = tuple(indices if d == axis else lax.broadcasted_iota(_np.int32, indices.shape, d) for d in range(arr.ndim))
    return arr.at[index].set(values, mode=mode)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    if inplace:
        raise ValueError("mlax arrays are immutable: call fill_diagonal(..., inplace=False) and use the result")
    a = _arr(a)
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise ValueError("fill_diagonal needs a 2-d array or an array whose dims are all equal")
    n = builtins.min(a.shape)
    if wrap and a.ndim == 2 and a.shape[0] > a.shape[1] + 1:
        raise NotImplementedError("fill_diagonal(wrap=True) on a tall matrix")
    idx = _np.arange(n)
    v = ravel(_arr(val))
    if v.size not in (1, n):
        v = resize(v, (n,))
    return a.at[(idx,) * a.ndim].set(v.astype(a.dtype) if v.size == n else reshape(v, ()).astype(a.dtype))


# -- index conversions -------------------------------------------------------------------

def ix_(*args):
    n = len(args)
    out = []
    for k, a in enumerate(args):
        a = _arr(a)
        if a.ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if a.dtype == _np.bool_:
            a = nonzero(a)[0]
        out.append(reshape(a, tuple(a.shape[0] if j == k else 1 for j in range(n))))
    return tuple(out)


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    dims = _shape(dims)
    idx = [_arr(i).astype(core.default_int()) for i in multi_index]
    if len(idx) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(idx)} index arrays for {len(dims)} dims")
    if mode == "raise":
        for i, n in zip(idx, dims):
            if isinstance(i, Tracer):
                raise core.ConcretizationTypeError(
                    f"ravel_multi_index(mode='raise') needs concrete indices (at {user_site()}); use mode='clip' or 'wrap'.")
            host = _np.asarray(i)
            if (host < 0).any() or (host >= n).any():
                raise ValueError("invalid entry in coordinates array")
    elif mode == "wrap":
        idx = [remainder(i, n) for i, n in zip(idx, dims)]
    elif mode == "clip":
        idx = [clip(i, 0, n - 1) for i, n in zip(idx, dims)]
    else:
        raise ValueError(f"invalid mode {mode!r}")
    strides = _np.cumprod((1,) + dims[::-1][:-1])[::-1] if order == "C" else _np.cumprod((1,) + dims[:-1])
    out = None
    for i, s in zip(idx, strides):
        t = i * int(s)
        out = t if out is None else out + t
    return out


def unravel_index(indices, shape):
    """The coordinates of flat indices (out-of-range indices are clipped, as in JAX)."""
    shape = _shape(shape)
    idx = _arr(indices)
    total = int(_np.prod(shape))
    idx = _where3(lax.lt(idx, zeros_like(idx)), idx + total, idx)
    idx = clip(idx, 0, builtins.max(total - 1, 0))
    out = []
    for n in reversed(shape):
        out.append(remainder(idx, n))
        idx = floor_divide(idx, n)
    return tuple(reversed(out))
