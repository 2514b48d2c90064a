"""Shape manipulation: shapes and dims, reshaping and transposing, moving axes, adding and
removing unit dims, joining, splitting, tiling, flipping, inserting and deleting along an axis,
and broadcasting.

These only move elements, so they sit low in the package (creation and the ufuncs use them);
`roll`, `repeat` and `pad`, which compute their positions or fill values, are in `_rearrange`.
"""
from __future__ import annotations

import builtins
import warnings

import numpy as _np
from numpy.exceptions import AxisError as _AxisError

from mlax import core, lax
from mlax.runtime import Array
from mlax.runtime.array import ScalarBroadcast
from mlax.tracing import user_site

from mlax.numpy._util import (_arr, _aval, _axes, _axis, _concrete, _promote, _reverse, _shape,
                              _take_axis)


def shape(a):
    return _aval(a).shape


def ndim(a):
    return _aval(a).ndim


def size(a, axis=None):
    s = _aval(a).shape
    return int(_np.prod(s)) if axis is None else s[axis]


def reshape(a, newshape=None, order="C", *, shape=None, copy=None):
    a = _arr(a)
    newshape = shape if newshape is None else newshape
    newshape = list(_shape(newshape, unknown_ok=True))
    size_ = _aval(a).size
    if newshape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in newshape:
        known = int(_np.prod([s for s in newshape if s != -1]))
        if known == 0 or size_ % known:
            raise TypeError(f"cannot reshape array of shape {_aval(a).shape} (size {size_}) into shape {tuple(newshape)} (at {user_site()})")
        newshape[newshape.index(-1)] = size_ // known
    if int(_np.prod(newshape)) != size_:
        raise TypeError(f"cannot reshape array of shape {_aval(a).shape} (size {size_}) into shape {tuple(newshape)} (at {user_site()})")
    if order == "F":
        a = transpose(a)
        return transpose(lax.reshape(a, newshape[::-1]))
    return lax.reshape(a, newshape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def transpose(a, axes=None):
    a = _arr(a)
    n = _aval(a).ndim
    if axes is None:
        return lax.transpose(a, tuple(reversed(range(n))))
    perm = tuple(_axis(x, n) for x in axes)
    if sorted(perm) != list(range(n)):
        raise TypeError(f"transpose: axes {tuple(axes)} are not a permutation of the {n} axes of an "
                        f"array of shape {a.shape}: give each axis in range({n}) exactly once "
                        f"(at {user_site()})")
    return lax.transpose(a, perm)


def permute_dims(a, axes):
    return transpose(a, axes)


def matrix_transpose(x):
    x = _arr(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -1, -2)


def swapaxes(a, axis1, axis2):
    n = ndim(a)
    axis1, axis2 = _axis(axis1, n), _axis(axis2, n)
    perm = list(range(n))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return transpose(a, perm)


def moveaxis(a, source, destination):
    n = ndim(a)
    src = [_axis(source, n)] if isinstance(source, (int, _np.integer)) else [_axis(s, n) for s in source]
    dst = [_axis(destination, n)] if isinstance(destination, (int, _np.integer)) else [_axis(d, n) for d in destination]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must have the "
                         f"same number of elements (at {user_site()})")
    # JAX raises TypeError for a repeated source axis (as a transpose would); NumPy raises
    # ValueError for a repeated destination.
    if len(set(src)) != len(src):
        raise TypeError(f"moveaxis: repeated axis in source {source!r} (at {user_site()})")
    if len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in destination {destination!r} (at {user_site()})")
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def rollaxis(a, axis, start=0):
    n = ndim(a)
    axis = _axis(axis, n)
    if not -n <= start <= n:
        raise _AxisError(f"rollaxis: start={start} must satisfy {-n}<=start<={n} (at {user_site()})")
    start = start % (n + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


# -- dims --------------------------------------------------------------------------------

def squeeze(a, axis=None):
    a = _arr(a)
    s = _aval(a).shape
    if axis is None:
        axes = tuple(i for i, n in enumerate(s) if n == 1)
    else:
        axes = _axes(axis, len(s))
        for i in axes:
            if s[i] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one, got shape={s} and dimensions={axes}")
    return lax.squeeze(a, axes)


def expand_dims(a, axis):
    a = _arr(a)
    axes = (axis,) if isinstance(axis, (int, _np.integer)) else tuple(axis)
    n = a.ndim + len(axes)
    if len({_axis(d, n) for d in axes}) != len(axes):
        raise ValueError(f"repeated axis in expand_dims: {axes} (at {user_site()})")
    return lax.expand_dims(a, axes)


def atleast_1d(*arys):
    out = [reshape(a, (1,)) if ndim(a) == 0 else _arr(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        a = _arr(a)
        out.append(reshape(a, (1,) * (2 - ndim(a)) + shape(a)) if ndim(a) < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in arys:
        a = _arr(a)
        if a.ndim == 0:
            a = reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = reshape(a, a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


# -- joining -----------------------------------------------------------------------------

def concatenate(arrays, axis=0, dtype=None):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = _promote(*arrays)
    if dtype is not None:
        arrays = [a.astype(dtype) for a in arrays]
    nd = _aval(arrays[0]).ndim
    if nd == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    axis = _axis(axis, nd)
    for a in arrays[1:]:
        s0, s1 = _aval(arrays[0]).shape, _aval(a).shape
        if len(s0) != len(s1) or builtins.any(x != y for i, (x, y) in enumerate(zip(s0, s1)) if i != axis):
            raise TypeError(f"Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated: {s0} and {s1} (at {user_site()})")
    arrays = [a for a in arrays if a.shape[axis]] or arrays[:1]
    return lax.concatenate(arrays, axis)


concat = concatenate


def stack(arrays, axis=0, out=None, dtype=None):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    nd = _aval(arrays[0]).ndim
    axis = _axis(axis, nd + 1)
    for a in arrays[1:]:
        if _aval(a).shape != _aval(arrays[0]).shape:
            raise ValueError(f"All input arrays must have the same shape, got {_aval(arrays[0]).shape} and {_aval(a).shape} (at {user_site()})")
    return concatenate([expand_dims(a, axis) for a in arrays], axis, dtype=dtype)


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if ndim(arrs[0]) == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], 0, dtype=dtype)


row_stack = vstack


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], 2, dtype=dtype)


def column_stack(tup):
    arrs = []
    for a in tup:
        a = _arr(a)
        arrs.append(reshape(a, (-1, 1)) if a.ndim < 2 else a)
    return concatenate(arrs, 1)


def block(arrays):
    """Assemble an array from nested lists of blocks (NumPy's rules: the innermost lists join
    along the last axis)."""
    def depth(x):
        if isinstance(x, list):
            if not x:
                raise ValueError("block: lists cannot be empty")
            ds = {depth(v) for v in x}
            if len(ds) != 1:
                raise ValueError("block: list depths are mismatched")
            return ds.pop() + 1
        return 0

    def leaves(x):
        if isinstance(x, list):
            for v in x:
                yield from leaves(v)
        else:
            yield x
    if isinstance(arrays, tuple):
        raise TypeError("block: arrays must be nested lists, not tuples")
    d = depth(arrays)
    nd = builtins.max([d] + [ndim(v) for v in leaves(arrays)])

    def rec(x, level):
        if isinstance(x, list):
            return concatenate([rec(v, level + 1) for v in x], axis=-(d - level))
        x = _arr(x)
        return reshape(x, (1,) * (nd - x.ndim) + x.shape)
    return rec(arrays, 0)


# -- splitting ---------------------------------------------------------------------------

def _split_points(n, indices_or_sections, even):
    if isinstance(indices_or_sections, (int, _np.integer)) or _np.ndim(indices_or_sections) == 0 \
            and not isinstance(indices_or_sections, (list, tuple)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        if even and n % k:
            raise ValueError(f"array split does not result in an equal division: {n} into {k}")
        q, r = builtins.divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return [0] + list(_np.cumsum(sizes))
    pts = [int(i) for i in _np.asarray(_concrete(indices_or_sections, "split indices"))]
    return [0] + [builtins.min(builtins.max(p if p >= 0 else p + n, 0), n) for p in pts] + [n]


def _split(ary, indices_or_sections, axis, even):
    ary = _arr(ary)
    axis = _axis(axis, ary.ndim)
    n = ary.shape[axis]
    pts = _split_points(n, indices_or_sections, even)
    return [lax.slice_in_dim(ary, int(s), builtins.max(int(s), int(e)), 1, axis) for s, e in zip(pts[:-1], pts[1:])]


def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=1 if ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=2)


def unstack(x, axis=0):
    x = _arr(x)
    axis = _axis(axis, x.ndim)
    return tuple(squeeze(lax.slice_in_dim(x, i, i + 1, 1, axis), axis) for i in range(x.shape[axis]))


# -- tiling, flipping, inserting and deleting --------------------------------------------

def tile(A, reps):
    A = _arr(A)
    reps = _shape(reps)
    d = builtins.max(A.ndim, len(reps))
    A = reshape(A, (1,) * (d - A.ndim) + A.shape)
    reps = (1,) * (d - len(reps)) + reps
    bshape = [s for r, n in zip(reps, A.shape) for s in (r, n)]
    B = lax.broadcast_in_dim(A, bshape, tuple(range(1, 2 * d, 2)))
    return reshape(B, [r * n for r, n in zip(reps, A.shape)])


def _flat_or_axis(a, axis):
    """NumPy's convention for one-axis functions: axis=None works on the flattened array."""
    if axis is None:
        return ravel(a), 0
    return a, _axis(axis, a.ndim)


def flip(m, axis=None):
    m = _arr(m)
    if axis is not None and not isinstance(axis, (int, _np.integer)) and \
            len({_axis(a, m.ndim) for a in axis}) != len(axis):
        raise TypeError(f"flip: axes must be unique, got {tuple(axis)} (at {user_site()})")
    return _reverse(m, _axes(axis, m.ndim))


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    m = _arr(m)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must be 2 axes, got {axes!r}")
    ax0, ax1 = (_axis(a, m.ndim) for a in axes)
    if ax0 == ax1:
        raise ValueError(f"rot90: axes must be different, got {tuple(axes)}")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax0), ax1)
    perm = list(range(m.ndim))
    perm[ax0], perm[ax1] = perm[ax1], perm[ax0]
    if k == 1:
        return transpose(flip(m, ax1), perm)
    return flip(transpose(m, perm), ax1)


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def _static_positions(obj, n, what):
    if isinstance(obj, slice):
        return _np.arange(*obj.indices(n))
    obj = _np.asarray(_concrete(obj, f"{what} positions"))
    if obj.dtype == _np.bool_:
        return _np.nonzero(obj)[0]
    return obj.astype(int)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    arr = _arr(arr)
    arr, axis = _flat_or_axis(arr, axis)
    n = arr.shape[axis]
    pos = _static_positions(obj, n, "delete")
    keep = _np.delete(_np.arange(n), pos).astype(_np.int32)
    return _take_axis(arr, Array(keep), axis)


def insert(arr, obj, values, axis=None):
    """NumPy's insert with static positions: the values are joined to `arr` and one gather
    puts every element where NumPy would."""
    arr = _arr(arr)
    arr, axis = _flat_or_axis(arr, axis)
    n = arr.shape[axis]
    values = _arr(values).astype(arr.dtype)
    if isinstance(obj, slice) or _np.ndim(obj) > 0:
        idx = _static_positions(obj, n, "insert")
    else:
        idx = _np.asarray(int(_concrete(obj, "insert position")))
    if idx.size == 1:
        k = int(idx.item())
        k = k + n if k < 0 else k
        if not 0 <= k <= n:
            raise IndexError(f"index {int(idx.item())} is out of bounds for axis {axis} with size {n}")
        # NumPy: values get at least arr.ndim dims; a scalar position moves their first axis.
        v = reshape(values, (1,) * (arr.ndim - values.ndim) + values.shape)
        if idx.ndim == 0:
            v = moveaxis(v, 0, axis)
        m = v.shape[axis]
        v = broadcast_to(v, tuple(m if d == axis else s for d, s in enumerate(arr.shape)))
        positions = k + _np.arange(m)
    else:
        idx = _np.where(idx < 0, idx + n, idx)
        m = idx.size
        v = values
        if v.ndim == 0 or v.ndim < arr.ndim:
            shp = [1] * (arr.ndim - v.ndim) + list(v.shape)
            v = reshape(v, shp)
        v = broadcast_to(v, tuple(m if d == axis else s for d, s in enumerate(arr.shape)))
        order = _np.argsort(idx, kind="mergesort")
        positions = idx.copy()
        positions[order] += _np.arange(m)
    total = n + m
    src = _np.empty(total, _np.int32)
    is_old = _np.ones(total, bool)
    is_old[positions] = False
    src[is_old] = _np.arange(n)
    src[positions] = n + _np.arange(m)
    return _take_axis(concatenate([arr, v], axis=axis), Array(src), axis)


# -- broadcasting ------------------------------------------------------------------------

def broadcast_shapes(*shapes, names=None):
    shapes = [tuple(s) if not isinstance(s, int) else (s,) for s in shapes]
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        size = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d != 1:
                if size != 1 and size != d:
                    raise ValueError(
                        "Incompatible shapes for broadcasting: "
                        + ", ".join(str(tuple(s)) for s in shapes) + f" (at {user_site()})")
                size = d
        out.append(size)
    return tuple(out)


def broadcast_to(x, shape):
    x = _arr(x)
    a = _aval(x)
    shape = _shape(shape)
    if a.shape == shape:
        return x
    if len(shape) < a.ndim or broadcast_shapes(a.shape, shape) != shape:
        raise ValueError(f"Incompatible shapes for broadcasting: {a.shape} and requested shape {shape} (at {user_site()})")
    if isinstance(x, Array) and x.ndim == 0 and not core.trace_stack():
        return ScalarBroadcast(x._value, shape, x.weak_type)   # the eager op broadcasts it
    return lax.broadcast_in_dim(x, shape, tuple(range(len(shape) - a.ndim, len(shape))))


def _broadcast(*args):
    """The operands of an elementwise function broadcast to one shape (JAX's implicit
    rank promotion, checked as the jax_numpy_rank_promotion option says)."""
    shapes = [_aval(a).shape for a in args]
    if core.config.values["jax_numpy_rank_promotion"] != "allow":
        _check_rank_promotion(shapes)
    shape = broadcast_shapes(*shapes)
    return [broadcast_to(a, shape) for a in args]


def _check_rank_promotion(shapes):
    if len({len(s) for s in shapes if s}) < 2:
        return       # equal ranks, or scalars: no rank promotion
    shapes = " ".join(map(str, shapes))
    url = "https://docs.jax.dev/en/latest/rank_promotion_warning.html"
    if core.config.values["jax_numpy_rank_promotion"] == "warn":
        warnings.warn(f"Following NumPy automatic rank promotion on shapes {shapes} (at "
                      f"{user_site()}). Set the jax_numpy_rank_promotion config option to "
                      f"'allow' to disable this warning; for more information, see {url}.",
                      stacklevel=3)
    else:
        raise ValueError(f"Operands could not be broadcast together on shapes {shapes} and "
                         "with the config option jax_numpy_rank_promotion='raise' (at "
                         f"{user_site()}). For more information, see {url}.")


def broadcast_arrays(*args):
    args = [_arr(a) for a in args]
    shape = broadcast_shapes(*[_aval(a).shape for a in args])
    return [broadcast_to(a, shape) for a in args]
