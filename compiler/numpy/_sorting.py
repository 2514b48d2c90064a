"""Sorting and searching: sort, argsort, lexsort, partition, searchsorted, digitize; unique
values (`unique` and its array-API forms), `isin` and the 1-d set operations.

Results whose size depends on the values (`unique`, the set operations) need concrete values
unless given a static `size=`, as in JAX.
"""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax
from mlax.runtime import Array
from mlax.tracing import Tracer

from mlax.numpy._util import _arr, _axis, _check_arraylike, _is_float, _promote, _take_axis
from mlax.numpy._shapes import (_broadcast, _flat_or_axis, broadcast_to, concatenate, flip, ravel,
                                reshape)
from mlax.numpy._creation import asarray, full, full_like, ones, zeros
from mlax.numpy._ufuncs import (_where3, greater_equal, isnan, less, less_equal, logical_and,
                               logical_not, not_equal)
from mlax.numpy._reductions import any, argmax, cumsum, sum
from mlax.numpy._index_routines import nonzero, take, take_along_axis


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    a = _arr(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axis(axis, a.ndim)
    out = lax.sort(a, dimension=axis, is_stable=builtins.bool(stable))
    return flip(out, axis) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    a = _arr(a)
    a, axis = _flat_or_axis(a, axis)
    n = a.shape[axis]
    if descending:
        # Stable descending: sort the reversed input ascending, then map the order back.
        r = argsort(flip(a, axis), axis=axis)
        return (_np.int32(n - 1) - flip(r, axis)).astype(core.default_int())
    iota = lax.broadcasted_iota(core.default_int(), a.shape, axis)
    _, idx = lax.sort((a, iota), dimension=axis, is_stable=True)
    return idx


def lexsort(keys, axis=-1):
    """Indices sorting by the last key first, then the others (stable argsorts, least
    significant key first)."""
    keys = [_arr(k) for k in keys]
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    keys = _broadcast(*keys)
    axis = _axis(axis, keys[0].ndim)
    order = argsort(keys[0], axis=axis)
    for k in keys[1:]:
        o = argsort(take_along_axis(k, order, axis, mode="clip"), axis=axis)
        order = take_along_axis(order, o, axis, mode="clip")
    return order


def partition(a, kth, axis=-1):
    """A valid partition: the sorted array (every element at or below `kth` is in place)."""
    return sort(a, axis=axis)


def argpartition(a, kth, axis=-1):
    return argsort(a, axis=axis)


def sort_complex(a):
    return sort(a)


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion points of v into the sorted 1-d a: a binary search unrolled over
    ceil(log2(n+1)) steps ("scan", "sort"), or all comparisons at once ("compare_all")."""
    a, v = _promote(_arr(a), _arr(v))
    if a.ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-d, got shape {a.shape}")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        a = take(a, sorter, mode="clip")
    n = a.shape[0]
    idt = core.default_int()
    if n == 0:
        return zeros(v.shape, idt)
    # complex numbers compare lexicographically (jnp.less), as JAX's searchsorted orders them
    le, lt = (less_equal, less) if a.dtype.kind == "c" else (lax.le, lax.lt)
    go_right = (lambda am, x: le(am, x)) if side == "right" else (lambda am, x: lt(am, x))
    if method == "compare_all":
        cmp = go_right(lax.broadcast_in_dim(a, v.shape + (n,), (v.ndim,)),
                       lax.broadcast_in_dim(v, v.shape + (n,), tuple(range(v.ndim))))
        return sum(cmp, axis=-1).astype(idt)
    if method not in ("scan", "scan_unrolled", "sort"):
        raise ValueError(f"unknown searchsorted method {method!r}")
    lo = zeros(v.shape, _np.int32)
    hi = full(v.shape, _np.int32(n), _np.int32)
    one = ones(v.shape, _np.int32)
    for _ in range(int(n).bit_length()):
        mid = lax.shift_right_logical(lax.add(lo, hi), one)
        am = _take_axis(a, lax.min(mid, full(v.shape, _np.int32(n - 1), _np.int32)), 0)
        right = logical_and(go_right(am, v), lax.lt(lo, hi))
        left = logical_and(logical_not(right), lax.lt(lo, hi))
        lo = lax.select(right, lax.add(mid, one), lo)
        hi = lax.select(left, mid, hi)
    return lo.astype(idt)


def digitize(x, bins, right=False, *, method="scan"):
    x, bins = _arr(x), _arr(bins)
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-d, got shape {bins.shape}")
    if bins.shape[0] == 0:
        return zeros(x.shape, core.default_int())
    side = "left" if right else "right"
    up = searchsorted(bins, x, side=side, method=method)
    down = bins.shape[0] - searchsorted(flip(bins), x, side=side, method=method)
    return _where3(greater_equal(bins[-1], bins[0]), up, down)


# -- unique values and sets --------------------------------------------------------------

def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None, sorted=True):
    """The sorted unique values; concrete values only, unless a static `size` is given
    (then the first `size` uniques, padded with fill_value or the smallest value)."""
    ar = _arr(ar)
    if size is None:
        if isinstance(ar, Tracer):
            ar._concretization(core.ConcretizationTypeError, "unique of a traced array",
                               "Pass size= (a static bound on the number of unique values) to use it under jit.")
        host = _np.asarray(ar)
        res = _np.unique(host, return_index=return_index, return_inverse=return_inverse,
                         return_counts=return_counts, axis=axis, equal_nan=equal_nan)
        if not isinstance(res, tuple):
            return Array(_np.ascontiguousarray(res))
        out = [Array(_np.ascontiguousarray(res[0]))]
        out += [Array(_np.ascontiguousarray(r.astype(core.default_int()))) for r in res[1:]]
        if return_inverse and axis is None:
            k = 1 + int(return_index)
            out[k] = reshape(out[k], host.shape)
        return tuple(out)
    if axis is not None:
        raise NotImplementedError("unique(size=..., axis=...)")
    shape_in = ar.shape
    flat = ravel(ar)
    n = flat.shape[0]
    idt = core.default_int()
    s, perm = lax.sort((flat, lax.iota(idt, n)), dimension=0, is_stable=True)
    differs = not_equal(s[1:], s[:-1])
    if equal_nan and _is_float(s):
        differs = logical_and(differs, logical_not(logical_and(isnan(s[1:]), isnan(s[:-1]))))
    first = concatenate([full((1,), True, _np.bool_), differs])
    rank = cumsum(first.astype(_np.int32)) - 1
    target = _where3(first, rank, full_like(rank, int(size)))
    fill = s[0] if fill_value is None else asarray(fill_value, s.dtype)
    values = broadcast_to(fill, (size,)).at[target].set(s, mode="drop")
    out = [values]
    if return_index:
        fill_i = perm[0]
        out.append(broadcast_to(fill_i, (size,)).at[target].set(perm, mode="drop"))
    if return_inverse:
        inv = zeros((n,), idt).at[perm].set(rank.astype(idt))
        out.append(reshape(inv, shape_in))
    if return_counts:
        out.append(zeros((size,), idt).at[rank].add(ones((n,), idt), mode="drop"))
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x, *, size=None, fill_value=None):
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, *, size=None, fill_value=None):
    return unique(x, return_counts=True, size=size, fill_value=fill_value)


def unique_inverse(x, *, size=None, fill_value=None):
    return unique(x, return_inverse=True, size=size, fill_value=fill_value)


def unique_all(x, *, size=None, fill_value=None):
    return unique(x, return_index=True, return_inverse=True, return_counts=True, size=size,
                  fill_value=fill_value)


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    element = _arr(element)
    test = ravel(_arr(test_elements))
    element, test = _promote(element, test)
    m = test.shape[0]
    eq = lax.eq(lax.broadcast_in_dim(element, element.shape + (m,), tuple(range(element.ndim))),
                lax.broadcast_in_dim(test, element.shape + (m,), (element.ndim,)))
    out = any(eq, axis=-1)
    return logical_not(out) if invert else out


def _concrete_set_op(name, *arrays, **kw):
    hosts = []
    for a in arrays:
        _check_arraylike(a)
        if isinstance(a, Tracer):
            a._concretization(core.ConcretizationTypeError, f"{name} of a traced array",
                              "Pass size= (a static bound on the result's length) to use it under jit.")
        hosts.append(_np.asarray(a))
    out = getattr(_np, name)(*hosts, **kw)
    return tuple(asarray(r) for r in out) if isinstance(out, tuple) else asarray(out)


def _first_index(values, ar):
    """The index of each value's first occurrence in the 1-d `ar` (or ar.size)."""
    eq = lax.eq(lax.broadcast_in_dim(values, values.shape + ar.shape, (0,)),
                lax.broadcast_in_dim(ar, values.shape + ar.shape, (1,)))
    hit = any(eq, axis=1)
    first = argmax(eq, axis=1) if ar.shape[0] else zeros(values.shape, core.default_int())
    return _where3(hit, first, ar.shape[0])


def _sized_unique(ar):
    """The sorted unique values of the 1-d `ar` padded to its length, and their number."""
    n = ar.shape[0]
    s = sort(ar)
    differs = not_equal(s[1:], s[:-1])
    if _is_float(s):
        differs = logical_and(differs, logical_not(logical_and(isnan(s[1:]), isnan(s[:-1]))))
    return unique(ar, size=n), sum(differs) + 1


def _pad_result(vals, num_results, fill_value):
    """JAX's padding of a sized set result: fill_value, else the smallest result (0 if none)."""
    valid = lax.iota(_np.int32, vals.shape[0]) < num_results
    if fill_value is not None:
        return _where3(valid, vals, asarray(fill_value, vals.dtype))
    vals = _where3(valid, vals, vals.max())
    return _where3(valid, vals, vals.min())


def _set_args(name, ar1, ar2):
    _check_arraylike(ar1)
    _check_arraylike(ar2)
    return _promote(ravel(_arr(ar1)), ravel(_arr(ar2)))


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    if size is None:
        if not return_indices:
            return _concrete_set_op("intersect1d", ar1, ar2, assume_unique=assume_unique)
        out = _concrete_set_op("intersect1d", ar1, ar2, assume_unique=assume_unique,
                                     return_indices=True)
        return out[0], out[1].astype(core.default_int()), out[2].astype(core.default_int())
    a1, a2 = _set_args("intersect1d", ar1, ar2)
    size = int(size)
    if a1.shape[0] == 0:
        vals, num_results = zeros((size,), a1.dtype), 0
    else:
        u1, count1 = _sized_unique(a1)
        mask = logical_and(lax.iota(_np.int32, u1.shape[0]) < count1, isin(u1, a2))
        num_results = sum(mask)
        idx = nonzero(mask, size=size, fill_value=u1.shape[0])[0]
        vals = u1.at[idx].get(mode="fill", fill_value=0)
    vals = _pad_result(vals, num_results, fill_value)
    if not return_indices:
        return vals
    valid = lax.iota(_np.int32, size) < num_results
    return (vals, _where3(valid, _first_index(vals, a1), a1.shape[0]),
            _where3(valid, _first_index(vals, a2), a2.shape[0]))


def union1d(ar1, ar2, *, size=None, fill_value=None):
    if size is None:
        return _concrete_set_op("union1d", ar1, ar2)
    return unique(concatenate(_set_args("union1d", ar1, ar2)), size=int(size),
                  fill_value=fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    if size is None:
        return _concrete_set_op("setdiff1d", ar1, ar2, assume_unique=assume_unique)
    a1, a2 = _set_args("setdiff1d", ar1, ar2)
    size = int(size)
    fill = asarray(0 if fill_value is None else fill_value, a1.dtype)
    if a1.shape[0] == 0:
        return full((size,), fill, a1.dtype)
    # With assume_unique the values keep their order, as in JAX.
    u1, count1 = (a1, a1.shape[0]) if assume_unique else _sized_unique(a1)
    mask = logical_and(lax.iota(_np.int32, u1.shape[0]) < count1, logical_not(isin(u1, a2)))
    vals = u1[nonzero(mask, size=size, fill_value=0)[0]]
    return _where3(lax.iota(_np.int32, size) < sum(mask), vals, fill)


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    if size is None:
        return _concrete_set_op("setxor1d", ar1, ar2, assume_unique=assume_unique)
    a1, a2 = _set_args("setxor1d", ar1, ar2)
    size = int(size)
    keep, cands = [], []
    for a, other in ((a1, a2), (a2, a1)):
        if a.shape[0] == 0:
            continue
        u, count = _sized_unique(a)
        keep.append(logical_and(lax.iota(_np.int32, u.shape[0]) < count, logical_not(isin(u, other))))
        cands.append(u)
    if not cands:
        return zeros((size,), a1.dtype)
    keep, cands = concatenate(keep), concatenate(cands)
    # The values kept, in order, first.
    _, cands = lax.sort((logical_not(keep).astype(_np.int32), cands), num_keys=2)
    idx = lax.iota(_np.int32, size)
    vals = cands.at[idx].get(mode="fill", fill_value=0)
    return _pad_result(vals, sum(keep), fill_value)
