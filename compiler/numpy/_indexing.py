"""NumPy indexing (`x[idx]`) and indexed updates (`x.at[idx].set(v)`) over mlax primitives.

An index is first normalized (`_parse`): a tuple with the Ellipsis expanded, lists turned
into arrays, and boolean masks turned into the integer arrays of their `nonzero` (masks need
concrete values: the result's shape depends on them, as in JAX).

- Basic indices (ints, slices, None) become `slice` (+ a reversing `gather` for negative
  steps) and `reshape`; a traced integer scalar becomes `dynamic_slice`. Outside a trace the
  start positions are runtime operands of `dynamic_slice`, so one compiled executable serves
  `x[i]` for every i.
- Integer-array ("advanced") indices become one `gather` after the slices are applied; the
  broadcast index shape goes where NumPy puts it: in place of the advanced indices when they
  are adjacent in the index, else first.
- Updates on unit-stride basic indices read, combine and write back with
  `dynamic_update_slice`; integer arrays on the leading axes scatter whole windows; any other
  index scatters single points at an index grid.

Out of bounds, as in JAX: a negative index counts from the end once; reads clamp (the gradient
of an out-of-bounds array index is dropped) or fill (`.at[].get(mode="fill")`); updates are
dropped, or clamped with `mode="clip"`. An integer index into an empty axis is an IndexError.
"""
from __future__ import annotations

import numpy as np

from mlax import core, lax
from mlax.dispatch import bind
from mlax.runtime import Array
from mlax.tracing import Tracer, user_site

from mlax.numpy._util import _reverse
from mlax.numpy._shapes import broadcast_shapes, broadcast_to, stack
from mlax.numpy._creation import asarray, zeros
from mlax.numpy._ufuncs import (clip, greater_equal, less, logical_and, maximum, minimum, negative,
                                power, true_divide)
from mlax.numpy._index_routines import where


def _is_traced_or_array(i):
    return isinstance(i, (Array, Tracer))


class _Mask:
    """A concrete boolean mask inside an index, before it becomes integer arrays."""

    def __init__(self, value):
        self.value = value


def _list_index(i):
    """A Python list (or nested list) used as an index: an integer array or a boolean mask."""
    if any(_is_traced_or_array(v) for v in _flat(i)):
        return asarray(i)
    arr = np.asarray(i)
    if arr.size == 0:
        return arr.astype(np.int32)
    return arr


def _flat(i):
    for v in i:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _parse(shape, idx):
    """The index as a list with one entry per result position: None, a slice, an int (static),
    a 0-d integer Array/Tracer (dynamic scalar) or an integer array (NumPy, Array or Tracer).
    Each non-None entry consumes one operand dim, in order."""
    if isinstance(idx, list):   # NumPy once read x[[0, 1]] as x[0, 1]; JAX refuses it
        raise TypeError(f"Using a non-tuple sequence for multidimensional indexing is not allowed; "
                        f"use `arr[array(seq)]` instead of `arr[seq]` (at {user_site()})")
    idx = idx if isinstance(idx, tuple) else (idx,)
    entries = []
    for i in idx:
        if i is None or i is Ellipsis or isinstance(i, slice):
            entries.append(i)
            continue
        if isinstance(i, (bool, np.bool_)):
            if bool(i):
                entries.append(None)   # x[True] adds a unit axis, as in NumPy
                continue
            raise IndexError(f"indexing with the scalar False is not supported (at {user_site()})")
        if isinstance(i, (int, np.integer)):
            entries.append(int(i))
            continue
        if isinstance(i, list):
            i = _list_index(i)
        if isinstance(i, Tracer) and np.dtype(i.dtype) == np.bool_:
            known = i.concrete()      # a mask whose values are known (mlax.concrete)
            i = i if known is None else known
        if isinstance(i, (np.ndarray, Array, Tracer)):
            dt = np.dtype(i.dtype)
            if dt == np.bool_ and i.ndim == 0 and not isinstance(i, Tracer):
                if bool(i):
                    entries.append(None)
                    continue
                raise IndexError(f"indexing with the scalar False is not supported (at {user_site()})")
            if dt == np.bool_:
                if isinstance(i, Tracer):
                    raise core.NonConcreteBooleanIndexError(
                        f"Array boolean indices must be concrete; got {i.aval.str_short()} at {user_site()}. "
                        "The shape of the result depends on the mask's values, which are not known while "
                        "tracing: use jnp.where(mask, x, fill) for a fixed-shape result.")
                entries.append(_Mask(np.asarray(i)))
                continue
            if dt.kind not in "iu":
                raise IndexError(f"Indexer must have integer or boolean type, got indexer with type {dt.name} "
                                 f"(at {user_site()})")
            if isinstance(i, np.ndarray) and i.ndim == 0:
                entries.append(int(i))
            else:
                entries.append(i)
            continue
        raise IndexError(f"unsupported index {i!r} of type {type(i).__name__} (at {user_site()})")

    def consumed(e):
        if e is None or e is Ellipsis:
            return 0
        return e.value.ndim if isinstance(e, _Mask) else 1

    ellipses = [k for k, e in enumerate(entries) if e is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(consumed(e) for e in entries)
    if used > len(shape):
        raise IndexError(f"Too many indices for array: {used} non-None/Ellipsis indices for "
                         f"dim {len(shape)} (at {user_site()})")
    fill = [slice(None)] * (len(shape) - used)
    if ellipses:
        k = ellipses[0]
        entries[k:k + 1] = fill
    else:
        entries += fill

    out, d = [], 0
    for e in entries:
        if isinstance(e, _Mask):
            m = e.value
            if m.shape != tuple(shape[d:d + m.ndim]):
                raise IndexError(f"boolean index of shape {m.shape} does not match the indexed "
                                 f"dims {tuple(shape[d:d + m.ndim])} (at {user_site()})")
            out.extend(np.nonzero(m))
            d += m.ndim
            continue
        out.append(e)
        if e is not None:
            d += 1
    return out


def _is_array_entry(e):
    return isinstance(e, (np.ndarray, Array, Tracer)) and e.ndim > 0


def _is_scalar_entry(e):
    return isinstance(e, int) or (isinstance(e, (Array, Tracer)) and e.ndim == 0)


def _static(v, what):
    if isinstance(v, Tracer):
        known = v.concrete()
        if known is not None:
            return int(known)
        v._concretization(core.ConcretizationTypeError, f"{what} needs a static value; got a traced value",
                          "Use lax.dynamic_slice for slices at traced positions.")
    return None if v is None else int(v)


def _slice_range(s, n):
    """range(start, stop, step) of a slice over a dim of size n."""
    start, stop, step = _static(s.start, "A slice bound"), _static(s.stop, "A slice bound"), \
        _static(s.step, "A slice step")
    if step == 0:
        raise ValueError("slice step cannot be zero")
    return range(*slice(start, stop, step).indices(n))


def _index_array(i, n):
    """An integer index array (or scalar) with negative entries counted from the end once, as
    int32. Entries a wider type holds past [-n - 1, n] are first brought to those bounds: they
    stay out of bounds, and converting them cannot wrap them around."""
    if isinstance(i, (int, np.integer, np.ndarray)):
        a = np.asarray(i)
        a = np.clip(a, 0 if a.dtype.kind == "u" else -n - 1, n).astype(np.int64)
        return Array(np.array(np.where(a < 0, a + n, a), dtype=np.int32, order="C"))
    dt = np.dtype(i.dtype)
    if np.iinfo(dt).max > np.iinfo(np.int32).max:
        i = clip(i, np.array(0 if dt.kind == "u" else -n - 1, dt), np.array(n, dt))
    i = lax.convert_element_type(i, np.int32) if dt != np.int32 else i
    return i if dt.kind == "u" else _where_neg(i, n)


def _where_neg(i, n):
    return where(less(i, 0), i + n, i)


# ---------------------------------------------------------------------------------------
# Reading


# JAX's out-of-bounds modes (`lax.GatherScatterMode`) by the names `.at[]` accepts, to the
# mlax.gather / mlax.scatter `mode` attribute. Reads default to "promise_in_bounds": the window
# is clamped into bounds, and the gradient of an out-of-bounds read is dropped (what JAX gives).
# Updates default to dropping out-of-bounds updates.
_GATHER_MODES = {None: "promise_in_bounds", "promise_in_bounds": "promise_in_bounds",
                 "clip": "clip", "fill": "fill", "drop": "fill"}
_SCATTER_MODES = {None: "drop", "drop": "drop", "fill": "drop", "clip": "clip",
                  "promise_in_bounds": "drop"}


def _mode(mode, table, what):
    if not isinstance(mode, (str, type(None))) or mode not in table:
        raise ValueError(f"Unknown {what} mode {mode!r}: expected 'promise_in_bounds', 'clip', "
                         f"'fill' or 'drop' (at {user_site()})")
    return table[mode]


def _check_scalar_axes(x, entries):
    """An integer scalar cannot index an axis of size 0 (JAX raises; there is no element to
    clamp to)."""
    d = 0
    for e in entries:
        if e is None:
            continue
        if _is_scalar_entry(e) and x.shape[d] == 0:
            raise IndexError(f"index is out of bounds for axis {d} with size 0 (at {user_site()})")
        d += 1


def getitem(x, idx, mode=None, fill_value=None):
    gmode = _mode(mode, _GATHER_MODES, "gather")
    entries = _parse(x.shape, idx)
    _check_scalar_axes(x, entries)
    if any(_is_array_entry(e) for e in entries) or (
            gmode == "fill" and any(_is_scalar_entry(e) for e in entries)):
        return _advanced_get(x, entries, gmode, fill_value)
    return _basic_get(x, entries)


def _static_start(i, n):
    """A static integer index counted from the end once if negative, then clamped into the
    dim (JAX's reads clamp out-of-bounds indices)."""
    i = i + n if i < 0 else i
    return min(max(i, 0), n - 1)


def _basic_get(x, entries):
    """Ints, slices (any step), None and dynamic integer scalars.

    Outside a trace (eager), start positions are runtime operands of a `dynamic_slice`, so one
    compiled executable serves every position (`for row in x`); in a trace, static starts stay
    static (`slice`)."""
    starts, sizes, strides, rev, out_shape = [], [], [], [], []
    dynamic = not isinstance(x, Tracer)   # eager: every start is a runtime operand
    d = 0
    for e in entries:
        if e is None:
            out_shape.append(1)
            continue
        n = x.shape[d]
        if isinstance(e, slice):
            r = _slice_range(e, n)
            if not len(r):
                s, size, st = 0, 0, 1
            elif r.step > 0:
                s, size, st = r[0], r[-1] + 1 - r[0], r.step
            else:
                s, size, st = r[-1], r[0] + 1 - r[-1], -r.step
                if len(r) > 1:
                    rev.append(d)
            out_shape.append(len(r))
        elif isinstance(e, int):
            s, size, st = _static_start(e, n), 1, 1
        else:
            s, size, st = e, 1, 1   # lax.dynamic_slice counts a negative index from the end
            dynamic = True
        starts.append(s)
        sizes.append(size)
        strides.append(st)
        d += 1
    full = all(isinstance(s, int) and s == 0 for s in starts) and tuple(sizes) == tuple(x.shape)
    if full:
        out = x
        if any(st != 1 for st in strides):
            out = lax.slice(out, [0] * len(sizes), sizes, strides)
    elif dynamic:
        out = lax.dynamic_slice(x, [np.int32(s) if isinstance(s, int) else s for s in starts], sizes)
        if any(st != 1 for st in strides):
            out = lax.slice(out, [0] * len(sizes), sizes, strides)
    else:
        out = lax.slice(x, starts, [s + n for s, n in zip(starts, sizes)], strides)
    if rev:
        out = _reverse(out, rev)
    return lax.reshape(out, out_shape)


def _layout(entries, shape):
    """How an index with integer arrays arranges the result.

    Returns (dims, adv, bshape, adjacent, p): per operand dim its entry; the operand dims
    indexed by arrays/scalars; their broadcast shape; whether they are adjacent in the index
    (None and slices break adjacency); and where the broadcast dims go among the sliced dims."""
    dims = [e for e in entries if e is not None]
    adv = [d for d, e in enumerate(dims) if not isinstance(e, slice)]
    bshape = broadcast_shapes(*[np.shape(dims[d]) for d in adv])
    where = [k for k, e in enumerate(entries) if e is not None and not isinstance(e, slice)]
    adjacent = where == list(range(where[0], where[-1] + 1))
    p = sum(1 for d, e in enumerate(dims) if isinstance(e, slice) and d < adv[0]) if adjacent else 0
    return dims, adv, bshape, adjacent, p


def _final_shape(entries, sliced_sizes, bshape, adjacent):
    """The result's shape: broadcast dims, sliced dims and unit dims for None, NumPy's order."""
    out = [] if adjacent else list(bshape)
    k, placed = 0, not adjacent
    for e in entries:
        if e is None:
            out.append(1)
        elif isinstance(e, slice):
            out.append(sliced_sizes[k])
            k += 1
        elif not placed:
            out.extend(bshape)
            placed = True
    return out


def _broadcast_index(dims, adv, shape, bshape):
    return [broadcast_to(_index_array(dims[d], shape[d]), bshape) for d in adv]


def _advanced_get(x, entries, mode, fill_value):
    """One gather over the array- (and scalar-) indexed dims, in gather mode `mode`; in mode
    "fill", out-of-bounds positions read `fill_value` (NaN / the integer minimum by default)."""
    dims, adv, bshape, adjacent, p = _layout(entries, x.shape)
    for d in adv:
        if x.shape[d] == 0 and 0 not in bshape:
            raise TypeError(f"cannot gather from axis {d} of size 0 with a non-empty index "
                            f"(at {user_site()})")
    # The slices first, keeping every dim; then one gather over the array-indexed dims.
    y = _basic_get(x, [e if isinstance(e, slice) else slice(None) for e in dims])
    sliced = [y.shape[d] for d in range(y.ndim) if d not in adv]
    if 0 in bshape:   # an empty index reads nothing (and may index an empty axis)
        return zeros(_final_shape(entries, sliced, bshape, adjacent), x.dtype)
    arrays = _broadcast_index(dims, adv, x.shape, bshape)
    ind = stack(arrays, axis=-1)
    nb, nrest = len(bshape), y.ndim - len(adv)
    offset_dims = tuple(range(p)) + tuple(range(p + nb, nrest + nb))
    sizes = tuple(1 if d in adv else n for d, n in enumerate(y.shape))
    out = bind("mlax.gather", y, ind, offset_dims=offset_dims, collapsed_slice_dims=tuple(adv),
                    start_index_map=tuple(adv), operand_batching_dims=(),
                    start_indices_batching_dims=(), slice_sizes=sizes, mode=mode)
    if mode == "fill" and fill_value is not None:
        ok = None
        for d, a in zip(adv, arrays):
            v = logical_and(greater_equal(a, 0), less(a, x.shape[d]))
            ok = v if ok is None else logical_and(ok, v)
        ok = lax.broadcast_in_dim(ok, out.shape, tuple(range(p, p + nb)))
        out = where(ok, out, asarray(fill_value, out.dtype))
    return lax.reshape(out, _final_shape(entries, sliced, bshape, adjacent))


# ---------------------------------------------------------------------------------------
# .at[]

_COMBINE = {
    "set": lambda old, v: v,
    "add": lambda old, v: old + v,
    "mul": lambda old, v: old * v,
    "min": minimum,
    "max": maximum,
}


def update(x, idx, values, kind, mode=None):
    smode = _mode(mode, _SCATTER_MODES, "scatter")
    values = asarray(values) if not _is_traced_or_array(values) else values
    entries = _parse(x.shape, idx)
    _check_scalar_axes(x, entries)
    dims = [e for e in entries if e is not None]
    has_arrays = any(_is_array_entry(e) for e in dims)
    unit_basic = not has_arrays and all(not isinstance(e, slice) or _slice_range(e, n).step == 1
                                        for e, n in zip(dims, x.shape))
    if unit_basic:
        return _update_slice(x, entries, values, kind, smode)
    k = next((d for d, e in enumerate(dims) if isinstance(e, slice)), len(dims))
    full = all(isinstance(e, slice) and _slice_range(e, n) == range(n)
               for e, n in zip(dims[k:], x.shape[k:]))
    if has_arrays and not any(e is None for e in entries) and full:
        return _scatter_windows(x, dims[:k], values, kind, smode)
    return _scatter_points(x, entries, values, kind, smode)


def _convert(v, dtype):
    return lax.convert_element_type(v, dtype) if np.dtype(v.dtype) != np.dtype(dtype) or v.weak_type else v


def _in_bounds(i, n):
    """Whether a dynamic integer scalar indexes a dim of size n (negative values counting from
    the end once), compared in a dtype that holds both i and n."""
    dt = np.dtype(i.dtype)
    if dt.itemsize < 4:
        i, dt = lax.convert_element_type(i, np.int32), np.dtype(np.int32)
    below = lax.lt(i, np.array(n, dt))
    if dt.kind == "u":
        return below
    return lax.bitwise_and(lax.ge(i, np.array(-n, dt)), below)


def _update_slice(x, entries, values, kind, mode):
    """An update at ints, unit-step slices and dynamic scalars: read, combine and write back
    one window with dynamic_update_slice. An out-of-bounds integer index drops the update
    (JAX's scatter default) or is clamped (mode "clip"); at an out-of-bounds dynamic index the
    window is written back unchanged."""
    starts, sizes, out_shape, in_bounds, d = [], [], [], [], 0
    dropped = False
    for e in entries:
        if e is None:
            out_shape.append(1)
            continue
        n = x.shape[d]
        if isinstance(e, slice):
            r = _slice_range(e, n)
            starts.append(np.int32(r[0] if len(r) else 0))
            sizes.append(len(r))
            out_shape.append(len(r))
        elif isinstance(e, int):
            dropped |= mode != "clip" and not -n <= e < n
            starts.append(np.int32(_static_start(e, n)))
            sizes.append(1)
        else:
            starts.append(e)   # lax counts a negative index from the end once, then clamps
            if mode != "clip":
                in_bounds.append(_in_bounds(e, n))
            sizes.append(1)
        d += 1
    v = broadcast_to(_convert(values, x.dtype), out_shape)
    if 0 in sizes or dropped:
        return x
    v = lax.reshape(v, sizes)
    old = lax.dynamic_slice(x, starts, sizes) if kind != "set" or in_bounds else None
    new = _convert(_COMBINE[kind](old, v), x.dtype) if kind != "set" else v
    if in_bounds:
        ok = in_bounds[0]
        for b in in_bounds[1:]:
            ok = lax.bitwise_and(ok, b)
        new = lax.select(lax.broadcast_in_dim(ok, tuple(sizes), ()), new, old)
    if tuple(sizes) == tuple(x.shape) and not in_bounds:
        return new
    return lax.dynamic_update_slice(x, new, starts)


def _scatter_windows(x, lead, values, kind, mode):
    """x.at[i0, i1, ..., :, :]: integer arrays/scalars on the leading axes, whole trailing windows."""
    k = len(lead)
    bshape = broadcast_shapes(*[np.shape(e) for e in lead])
    arrays = [broadcast_to(_index_array(e, x.shape[d]), bshape) for d, e in enumerate(lead)]
    ind = stack(arrays, axis=-1)
    upd_shape = tuple(bshape) + tuple(x.shape[k:])
    if 0 in upd_shape:
        return x
    v = broadcast_to(_convert(values, x.dtype), upd_shape)
    return bind("mlax.scatter", x, ind, v, kind=kind,
                     update_window_dims=tuple(range(len(bshape), len(upd_shape))),
                     inserted_window_dims=tuple(range(k)),
                     scatter_dims_to_operand_dims=tuple(range(k)),
                     operand_batching_dims=(), scatter_indices_batching_dims=(),
                     mode=mode)


def _scatter_points(x, entries, values, kind, mode):
    """Any index: the operand position of every result element as an index grid, one point
    scattered per element."""
    dims = [e for e in entries if e is not None]
    if not any(not isinstance(e, slice) for e in dims):
        adv, bshape, adjacent, p = [], (), True, 0
    else:
        dims, adv, bshape, adjacent, p = _layout(entries, x.shape)
    ranges = {d: _slice_range(e, x.shape[d]) for d, e in enumerate(dims) if isinstance(e, slice)}
    sliced = [len(ranges[d]) for d in sorted(ranges)]
    nb = len(bshape)
    # Positions of the result dims (without None): sliced dims with the broadcast block at p.
    grid_shape = tuple(sliced[:p]) + tuple(bshape) + tuple(sliced[p:])
    if 0 in grid_shape:
        return x   # nothing is indexed
    arrays = _broadcast_index(dims, adv, x.shape, bshape) if adv else []
    cols, k, a = [], 0, 0
    for d in range(x.ndim):
        if d in ranges:
            pos = k if k < p else k + nb
            r = ranges[d]
            it = lax.broadcasted_iota(np.int32, grid_shape, pos)
            col = it * np.int32(r.step) + np.int32(r.start) if r.step != 1 or r.start else it
            k += 1
        else:
            col = lax.broadcast_in_dim(arrays[a], grid_shape, tuple(range(p, p + nb)))
            a += 1
        cols.append(col)
    ind = stack(cols, axis=-1)
    v = broadcast_to(_convert(values, x.dtype), _final_shape(entries, sliced, bshape, adjacent))
    v = lax.reshape(v, grid_shape)
    return bind("mlax.scatter", x, ind, v, kind=kind, update_window_dims=(),
                     inserted_window_dims=tuple(range(x.ndim)),
                     scatter_dims_to_operand_dims=tuple(range(x.ndim)),
                     operand_batching_dims=(), scatter_indices_batching_dims=(),
                     mode=mode)


class _IndexUpdateRef:
    """`x.at[idx]`: get, set and the combining updates, each returning a new array."""

    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def get(self, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return getitem(self.x, self.idx, mode=mode, fill_value=fill_value)

    def set(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, values, "set", mode)

    def add(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, values, "add", mode)

    def multiply(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, values, "mul", mode)

    mul = multiply

    def subtract(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, negative(values), "add", mode)

    def divide(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, true_divide(1, values), "mul", mode)

    def power(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return self.apply(lambda old: power(old, values), mode=mode)   # mlax.numpy's power

    def min(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, values, "min", mode)

    def max(self, values, indices_are_sorted=False, unique_indices=False, mode=None):
        return update(self.x, self.idx, values, "max", mode)

    def apply(self, func, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with func applied to the indexed elements (each index once)."""
        return update(self.x, self.idx, func(getitem(self.x, self.idx)), "set", mode)


class _IndexUpdateHelper:
    """`x.at[idx]`: the entry point of functional indexed updates."""

    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.x, idx)
