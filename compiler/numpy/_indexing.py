"""NumPy indexing (`x[idx]`) and indexed updates (`x.at[idx].set(v)`) over mlax primitives.

Static basic indices (ints, slices, None, Ellipsis) become `slice` + `reshape`; a traced
integer index becomes `dynamic_slice`; integer-array indices become `gather`; boolean
masks need concrete values (the result's shape depends on them), as in JAX. Updates on
unit-stride basic indices read, combine and write back with `dynamic_update_slice`;
other updates become `scatter`.
"""
from __future__ import annotations

import numpy as np

from mlax import core, lax
from mlax.runtime import Array
from mlax.tracing import Tracer, user_site


def _is_int_scalar(i):
    if isinstance(i, (bool, np.bool_)):
        return False
    if isinstance(i, (int, np.integer)):
        return True
    if isinstance(i, (Array, Tracer)) and i.ndim == 0 and np.dtype(i.dtype).kind in "iu":
        return True
    return False


def _is_bool_mask(i):
    if isinstance(i, (Array, Tracer, np.ndarray)) and np.dtype(i.dtype) == np.bool_:
        return True
    if isinstance(i, list) and i and all(isinstance(v, (bool, np.bool_)) for v in i):
        return True
    return False


def _is_int_array(i):
    if isinstance(i, (Array, Tracer, np.ndarray)) and np.dtype(i.dtype).kind in "iu" and i.ndim > 0:
        return True
    if isinstance(i, list) and all(isinstance(v, (int, np.integer)) for v in i) and i:
        return True
    return False


class _Basic:
    """A parsed basic index: per operand dim (start, limit, stride, squeeze) and new axes."""

    def __init__(self, shape, idx):
        n = len(shape)
        idx = list(idx)
        n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
        # identity tests only: `==` on a traced index would build ops
        ellipses = [k for k, i in enumerate(idx) if i is Ellipsis]
        if len(ellipses) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        if ellipses:
            k = ellipses[0]
            idx[k:k + 1] = [slice(None)] * (n - n_real)
        else:
            idx += [slice(None)] * (n - n_real)
        if sum(1 for i in idx if i is not None) > n:
            raise IndexError(f"Too many indices for array: {n_real} non-None/Ellipsis indices "
                             f"for dim {n} (at {user_site()})")
        self.dims = []        # (start, limit, stride, squeeze, dynamic_index_or_None)
        self.out_shape = []   # shape after squeezing ints and inserting None
        d = 0
        for i in idx:
            if i is None:
                self.out_shape.append(1)
                continue
            size = shape[d]
            if isinstance(i, slice):
                start, stop, step = i.indices(size)
                if step < 0:
                    raise NotImplementedError(f"negative slice steps are not supported yet (at {user_site()})")
                count = max(0, -(-(stop - start) // step))
                self.dims.append((start, start + max(0, (count - 1) * step + 1) if count else start,
                                  step, False, None))
                self.out_shape.append(count)
            elif isinstance(i, (int, np.integer)):
                k = int(i)
                if not -size <= k < size:
                    raise IndexError(f"index {k} is out of bounds for axis {d} with size {size} (at {user_site()})")
                k %= size
                self.dims.append((k, k + 1, 1, True, None))
            else:   # traced or concrete Array scalar
                self.dims.append((0, 1, 1, True, i))
            d += 1

    @property
    def has_dynamic(self):
        return any(dim[4] is not None for dim in self.dims)

    @property
    def unit_stride(self):
        return all(dim[2] == 1 for dim in self.dims)

    def dynamic_starts(self, shape):
        starts = []
        for (s, l, st, sq, dyn), n in zip(self.dims, shape):
            if dyn is None:
                starts.append(np.int32(s))
            else:
                i = lax.convert_element_type(dyn, np.int32)
                # negative indices count from the end
                starts.append(_where_neg(i, n))
        return starts


def _where_neg(i, n):
    from mlax import numpy as jnp
    return jnp.where(jnp.less(i, 0), i + n, i)


def _split_index(idx):
    if not isinstance(idx, tuple):
        idx = (idx,)
    return idx


def getitem(x, idx):
    idx = _split_index(idx)
    if any(_is_bool_mask(i) for i in idx):
        return _bool_index(x, idx)
    if any(_is_int_array(i) for i in idx):
        return _gather_index(x, idx)
    for i in idx:
        if not (i is None or i is Ellipsis or isinstance(i, slice) or _is_int_scalar(i)):
            raise IndexError(f"unsupported index {i!r} of type {type(i).__name__} (at {user_site()})")
    b = _Basic(x.shape, idx)
    if b.has_dynamic:
        sizes = [l - s for s, l, st, sq, dyn in b.dims]
        out = lax.dynamic_slice(x, b.dynamic_starts(x.shape), sizes)
        if not b.unit_stride:
            out = lax.slice(out, [0] * len(sizes), sizes, [st for _, _, st, _, _ in b.dims])
    else:
        starts = [s for s, *_ in b.dims]
        limits = [l for _, l, *_ in b.dims]
        strides = [st for _, _, st, *_ in b.dims]
        if starts == [0] * len(starts) and list(limits) == list(x.shape) and b.unit_stride:
            out = x
        else:
            out = lax.slice(x, starts, limits, strides)
    return lax.reshape(out, b.out_shape)


def _bool_index(x, idx):
    if len(idx) != 1:
        raise NotImplementedError("boolean masks combined with other indices")
    mask = idx[0]
    if isinstance(mask, Tracer) or isinstance(x, Tracer):
        raise core.NonConcreteBooleanIndexError(
            f"Array boolean indices must be concrete; got {getattr(mask, 'aval', mask)} at {user_site()}. "
            "The shape of the result depends on the mask's values, which are not known while "
            "tracing: use jnp.where(mask, x, fill) for a fixed-shape result.")
    return Array(np.ascontiguousarray(np.asarray(x)[np.asarray(mask)]), getattr(x, "weak_type", False))


def _gather_index(x, idx):
    """x[i0, i1, ...] where some entries are integer arrays: NumPy advanced indexing."""
    from mlax import numpy as jnp
    if any(i is None or i is Ellipsis or isinstance(i, slice) for i in idx if not _is_int_array(i)) \
            and any(not _is_int_array(i) for i in idx):
        if not all(isinstance(i, slice) and i == slice(None) for i in idx[1:]) or not _is_int_array(idx[0]):
            raise NotImplementedError(f"mixing integer-array and other indices is not supported yet (at {user_site()})")
    arrays = [jnp.asarray(i) if not isinstance(i, (Array, Tracer)) else i for i in idx]
    arrays = jnp._broadcast(*arrays)
    k = len(arrays)
    shape = arrays[0].shape
    ind = jnp.stack([lax.convert_element_type(_where_neg(a, x.shape[d]), np.int32)
                     for d, a in enumerate(arrays)], axis=-1)
    slice_sizes = (1,) * k + tuple(x.shape[k:])
    offset_dims = tuple(range(len(shape), len(shape) + x.ndim - k))
    return core.bind("mlax.gather", x, ind, offset_dims=offset_dims,
                     collapsed_slice_dims=tuple(range(k)), start_index_map=tuple(range(k)),
                     operand_batching_dims=(), start_indices_batching_dims=(),
                     slice_sizes=slice_sizes, mode="clip")


# ---------------------------------------------------------------------------------------
# .at[]

_COMBINE = {
    "set": lambda old, v: v,
    "add": lambda old, v: old + v,
    "mul": lambda old, v: old * v,
    "min": lambda old, v: __import__("mlax.numpy", fromlist=["minimum"]).minimum(old, v),
    "max": lambda old, v: __import__("mlax.numpy", fromlist=["maximum"]).maximum(old, v),
}


def update(x, idx, values, kind):
    from mlax import numpy as jnp
    idx = _split_index(idx)
    values = jnp.asarray(values) if not isinstance(values, (Array, Tracer)) else values
    if any(_is_bool_mask(i) for i in idx):
        if len(idx) == 1 and not isinstance(idx[0], Tracer):
            mask = jnp.asarray(idx[0])
            return jnp.where(mask, _COMBINE[kind](x, values), x)
        raise core.NonConcreteBooleanIndexError(f"boolean .at[] indices need a concrete mask (at {user_site()})")
    if any(_is_int_array(i) for i in idx):
        return _scatter_update(x, idx, values, kind)
    b = _Basic(x.shape, idx)
    if not b.unit_stride:
        raise NotImplementedError(f".at[] with strided slices is not supported yet (at {user_site()})")
    sizes = [l - s for s, l, *_ in b.dims]
    starts = b.dynamic_starts(x.shape)
    old = lax.dynamic_slice(x, starts, sizes) if kind != "set" else None
    v = lax.convert_element_type(values, x.dtype) if values.dtype != x.dtype else values
    v = jnp.broadcast_to(v, b.out_shape)
    v = lax.reshape(v, sizes)
    new = _COMBINE[kind](old, v) if kind != "set" else v
    new = lax.convert_element_type(new, x.dtype)
    if tuple(sizes) == tuple(x.shape):
        return new
    return lax.dynamic_update_slice(x, new, starts)


def _scatter_update(x, idx, values, kind):
    from mlax import numpy as jnp
    if not all(_is_int_array(i) or _is_int_scalar(i) for i in idx):
        raise NotImplementedError(f"mixing integer-array and slice indices in .at[] is not supported yet (at {user_site()})")
    arrays = [jnp.asarray(i) if not isinstance(i, (Array, Tracer)) else i for i in idx]
    arrays = jnp._broadcast(*arrays)
    k = len(arrays)
    shape = arrays[0].shape
    ind = jnp.stack([lax.convert_element_type(_where_neg(a, x.shape[d]), np.int32)
                     for d, a in enumerate(arrays)], axis=-1)
    upd_shape = tuple(shape) + tuple(x.shape[k:])
    v = lax.convert_element_type(values, x.dtype) if values.dtype != x.dtype else values
    v = jnp.broadcast_to(v, upd_shape)
    return core.bind("mlax.scatter", x, ind, v, kind=kind,
                     update_window_dims=tuple(range(len(shape), len(upd_shape))),
                     inserted_window_dims=tuple(range(k)),
                     scatter_dims_to_operand_dims=tuple(range(k)),
                     operand_batching_dims=(), scatter_indices_batching_dims=(), mode="drop")


class _IndexUpdateRef:
    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def get(self, **_):
        return getitem(self.x, self.idx)

    def set(self, values, **_):
        return update(self.x, self.idx, values, "set")

    def add(self, values, **_):
        return update(self.x, self.idx, values, "add")

    def multiply(self, values, **_):
        return update(self.x, self.idx, values, "mul")

    mul = multiply

    def divide(self, values, **_):
        from mlax import numpy as jnp
        return update(self.x, self.idx, jnp.true_divide(1, values), "mul")

    def power(self, values, **_):
        raise NotImplementedError(".at[].power")

    def min(self, values, **_):
        return update(self.x, self.idx, values, "min")

    def max(self, values, **_):
        return update(self.x, self.idx, values, "max")


class _IndexUpdateHelper:
    """`x.at[idx]`: the entry point of functional indexed updates."""

    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.x, idx)
