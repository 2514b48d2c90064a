"""The rest of jax.lax's everyday functions: compositions of the primitives (as JAX writes
them in jax/_src/lax/lax.py and slicing.py) and lax's own gather/scatter interface over the
mlax.gather / mlax.scatter ops (which are XLA's, index vector last)."""
from __future__ import annotations

import builtins
import enum
import math
import operator
from typing import NamedTuple, Sequence

import numpy as np

from mlax import core
from mlax.dispatch import bind
from mlax.lax.primitives import (aval, broadcast, broadcast_in_dim, concatenate,
                                 convert_element_type, dot_general, dynamic_update_slice,
                                 expand_dims, integer_pow, neg, reduce_and, reduce_max,
                                 reduce_min, reduce_or, reduce_prod, reduce_sum, reshape, slice,
                                 select, slice_in_dim, sort)
from mlax.lax.primitives import eq as _eq
from mlax.runtime import Array
from mlax.tracing import Tracer
from mlax.runtime.dtypes import is_float

__all__ = ["full", "full_like", "reciprocal", "split", "stack", "unstack", "tile",
           "broadcast_to_rank", "broadcast_shapes", "collapse", "batch_matmul", "index_in_dim",
           "index_take", "dynamic_update_slice_in_dim", "dynamic_update_index_in_dim",
           "sort_key_val", "optimization_barrier", "reduce", "RoundingMethod", "select_n",
           "GatherDimensionNumbers", "ScatterDimensionNumbers", "GatherScatterMode", "gather",
           "scatter", "scatter_add", "scatter_sub", "scatter_mul", "scatter_min", "scatter_max"]


def _canonical_axis(axis, ndim, what):
    if not -ndim <= axis < ndim:
        raise ValueError(f"{what}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def _asarray(x):
    if isinstance(x, (Tracer, Array)):
        return x
    a = aval(x)
    return Array(np.asarray(x, dtype=a.dtype), a.weak_type)


class RoundingMethod(enum.IntEnum):
    """lax.round's rounding_method."""
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


# -- creation ----------------------------------------------------------------------------

def full(shape, fill_value, dtype=None, *, sharding=None):
    """An array of `shape` filled with the scalar `fill_value` (cast to `dtype`)."""
    if sharding is not None:
        raise NotImplementedError("mlax does not implement jax.lax.full(sharding=...) yet")
    shape = (shape,) if np.ndim(shape) == 0 else shape
    shape = tuple(operator.index(s) for s in shape)
    if np.shape(fill_value):
        raise TypeError("full must be called with scalar fill_value, got fill_value.shape "
                        f"{np.shape(fill_value)}.")
    value = _asarray(fill_value)
    if dtype is not None:
        value = convert_element_type(value, core.canonicalize_dtype(np.dtype(dtype)))
    return broadcast(value, shape)


def full_like(x, fill_value, dtype=None, shape=None, sharding=None):
    """An array like `x` (its shape and dtype unless given) filled with `fill_value`."""
    a = aval(x)
    dtype = a.dtype if dtype is None else dtype
    return full(a.shape if shape is None else shape, fill_value, dtype, sharding=sharding)


# -- shapes ------------------------------------------------------------------------------

def split(operand, sizes, axis=0):
    """`operand` cut along `axis` into pieces of `sizes` (which must sum to its length)."""
    x = _asarray(operand)
    a = aval(x)
    axis = _canonical_axis(axis, a.ndim, "split")
    sizes = [int(s) for s in sizes]
    if builtins.any(s < 0 for s in sizes) or builtins.sum(sizes) != a.shape[axis]:
        raise ValueError(f"Sum of sizes {builtins.sum(sizes)} must be equal to dimension "
                         f"{a.shape[axis]} of the operand shape {a.shape}")
    out, start = [], 0
    for s in sizes:
        out.append(slice_in_dim(x, start, start + s, 1, axis))
        start += s
    return out


def stack(operands, axis=0):
    """The equal-shaped `operands` joined along a new `axis`."""
    arrays = [_asarray(o) for o in operands]
    nd = aval(arrays[0]).ndim
    axis = _canonical_axis(axis, nd + 1, "stack")
    return concatenate([expand_dims(x, (axis,)) for x in arrays], axis)


def unstack(x, axis=0):
    """The slices of `x` along `axis`, as a tuple."""
    x = _asarray(x)
    a = aval(x)
    axis = _canonical_axis(axis, a.ndim, "unstack")
    shape = a.shape[:axis] + a.shape[axis + 1:]
    return tuple(reshape(slice_in_dim(x, i, i + 1, 1, axis), shape)
                 for i in range(a.shape[axis]))


def tile(operand, reps):
    """`operand` repeated `reps[d]` times along each dimension d."""
    x = _asarray(operand)
    a = aval(x)
    reps = tuple(int(r) for r in reps)
    if len(reps) != a.ndim:
        raise ValueError(f"tile: reps {reps} must have one entry per dimension of {a.shape}")
    # broadcast to (r0, n0, r1, n1, ...) and merge each pair
    shape = tuple(v for r, n in zip(reps, a.shape) for v in (r, n))
    y = broadcast_in_dim(x, shape, tuple(range(1, 2 * a.ndim, 2)))
    return reshape(y, tuple(r * n for r, n in zip(reps, a.shape)))


def broadcast_to_rank(x, rank):
    """`x` with leading dimensions of size 1 added up to rank `rank`."""
    x = _asarray(x)
    nd = aval(x).ndim
    return x if nd == rank else broadcast(x, (1,) * (rank - nd))


def broadcast_shapes(*shapes):
    """The NumPy broadcast of `shapes`; ValueError if they are incompatible."""
    shapes = [tuple(int(d) for d in s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: shapes={shapes}") from None


def collapse(operand, start_dimension, stop_dimension=None):
    """`operand` with dimensions [start, stop) merged into one (row-major)."""
    x = _asarray(operand)
    shape = aval(x).shape
    lo, hi, _ = builtins.slice(start_dimension, stop_dimension).indices(len(shape))
    if hi < lo:
        raise ValueError(f"Invalid dimension range passed to collapse: {shape}"
                         f"[{start_dimension}:{stop_dimension}]")
    return reshape(x, shape[:lo] + (math.prod(shape[lo:hi]),) + shape[hi:])


def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the leading (batch) dimensions of `lhs` and `rhs`."""
    la, ra = aval(lhs), aval(rhs)
    if builtins.min(la.ndim, ra.ndim) < 2:
        raise ValueError(f"Arguments to batch_matmul must be at least 2D, got {la.ndim}, "
                         f"{ra.ndim}")
    if la.ndim != ra.ndim:
        raise ValueError(f"Arguments to batch_matmul must have same ndim, got {la.ndim}, "
                         f"{ra.ndim}")
    batch = tuple(range(la.ndim - 2))
    return dot_general(lhs, rhs, (((la.ndim - 1,), (ra.ndim - 2,)), (batch, batch)),
                       precision=precision)


def reciprocal(x):
    """1 / x elementwise."""
    return integer_pow(x, -1)


def optimization_barrier(operand):
    """JAX's barrier against moving computations across it; mlax's passes do not reorder
    across a call boundary the user can observe, so the values pass through."""
    return operand


# -- indexing ----------------------------------------------------------------------------

def index_in_dim(operand, index, axis=0, keepdims=True):
    """operand[..., index, ...] along `axis` (a static index; negative counts from the end)."""
    x = _asarray(operand)
    a = aval(x)
    axis = _canonical_axis(axis, a.ndim, "index_in_dim")
    n = a.shape[axis]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of bounds for axis {axis} with size {n}")
    index %= n
    out = slice_in_dim(x, index, index + 1, 1, axis)
    return out if keepdims else reshape(out, a.shape[:axis] + a.shape[axis + 1:])


def dynamic_update_slice_in_dim(operand, update, start_index, axis, *,
                                allow_negative_indices=True):
    """`operand` with `update` written from `start_index` along `axis`."""
    a = aval(operand)
    axis = _canonical_axis(axis, a.ndim, "dynamic_update_slice_in_dim")
    starts = [0] * a.ndim
    starts[axis] = start_index
    return dynamic_update_slice(operand, update, starts,
                                allow_negative_indices=allow_negative_indices)


def dynamic_update_index_in_dim(operand, update, index, axis, *, allow_negative_indices=True):
    """`operand` with the slice `index` of `axis` replaced by `update`."""
    a = aval(operand)
    axis = _canonical_axis(axis, a.ndim, "dynamic_update_index_in_dim")
    if aval(update).ndim == a.ndim - 1:
        update = expand_dims(update, (axis,))
    return dynamic_update_slice_in_dim(operand, update, index, axis,
                                       allow_negative_indices=allow_negative_indices)


def index_take(src, idxs, axes):
    """src indexed by the integer arrays `idxs` along `axes` (indices wrap), as JAX's."""
    src = _asarray(src)
    a = aval(src)
    axes = tuple(int(ax) for ax in axes)
    cols = []
    for i, ax in zip(idxs, axes):
        i = _asarray(i)
        n = a.shape[ax]
        i = convert_element_type(i, np.dtype(np.int32)) if aval(i).dtype != np.int32 else i
        i = bind("mlax.rem", bind("mlax.add", bind("mlax.rem", i, full_like(i, n)),
                                  full_like(i, n)), full_like(i, n))
        cols.append(expand_dims(i, (1,)))
    indices = concatenate(cols, 1)
    sizes = tuple(1 if d in axes else s for d, s in enumerate(a.shape))
    offset_dims = tuple(range(1, a.ndim - len(axes) + 1))
    return gather(src, indices, GatherDimensionNumbers(offset_dims, axes, axes), sizes,
                  mode="clip")


def select_n(which, *cases):
    """cases[which] elementwise: `which` a bool (two cases) or int32 array, or a scalar."""
    if not cases:
        raise ValueError("select_n() must have at least one case")
    w = aval(which)
    if np.dtype(w.dtype) != np.bool_ and np.dtype(w.dtype).kind not in "iu":
        raise TypeError(f"select_n which must be boolean or integer type, got {w.dtype}")
    if np.dtype(w.dtype) == np.bool_ and len(cases) > 2:
        raise TypeError("select_n with boolean which takes at most two cases")
    shape = aval(cases[0]).shape
    if w.shape != shape:
        if w.ndim:
            raise TypeError(f"select_n which must be scalar or have the shape of the cases {shape}, got {w.shape}")
        which = broadcast_in_dim(which, shape, ())
    out = cases[0]
    for i, case in enumerate(cases[1:], 1):
        pick = which if np.dtype(w.dtype) == np.bool_ else _eq(which, full_like(which, i))
        out = select(pick, case, out)
    return out


def sort_key_val(keys, values, dimension=-1, is_stable=True):
    """`keys` sorted along `dimension`, and `values` permuted the same way."""
    k, v = sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)
    return k, v


# -- general reductions ------------------------------------------------------------------

def _monoid(computation, init):
    """The reduction op for `computation` with identity `init`, as JAX recognises them."""
    from mlax.lax import primitives as p
    init = np.asarray(init)
    dtype = init.dtype
    if computation is p.add and init == 0:
        return reduce_sum
    if computation is p.mul and init == 1:
        return reduce_prod
    if computation is p.max and (init == (-np.inf if is_float(dtype) else
                                          np.iinfo(dtype).min if dtype.kind in "iu" else False)):
        return reduce_max
    if computation is p.min and (init == (np.inf if is_float(dtype) else
                                          np.iinfo(dtype).max if dtype.kind in "iu" else True)):
        return reduce_min
    if dtype.kind == "b" and computation is p.bitwise_and and init:
        return reduce_and
    if dtype.kind == "b" and computation is p.bitwise_or and not init:
        return reduce_or
    return None


def reduce(operands, init_values, computation, dimensions):
    """lax.reduce of one operand for the monoids JAX recognises (add/0, mul/1, max/-inf,
    min/+inf, and/or on bools); others raise NotImplementedError."""
    from mlax.pytree import tree_flatten, tree_unflatten
    flat_ops, tree = tree_flatten(operands)
    flat_inits, init_tree = tree_flatten(init_values)
    if tree != init_tree:
        raise ValueError("reduce: operands and init_values must have the same structure, "
                         f"got {tree} and {init_tree}")
    if len(flat_ops) != 1:
        raise NotImplementedError("mlax does not implement jax.lax.reduce of several operands "
                                  "(a variadic computation) yet")
    outs = []
    for x, init in zip(flat_ops, flat_inits):
        if isinstance(init, Tracer):
            raise NotImplementedError("mlax does not implement jax.lax.reduce with traced "
                                      "init_values yet")
        reducer = _monoid(computation, init)
        if reducer is None:
            raise NotImplementedError(
                f"mlax does not implement jax.lax.reduce with computation "
                f"{getattr(computation, '__name__', computation)!r} and init {init!r} yet "
                "(only the monoids add/0, mul/1, max/-inf, min/+inf, and/or of bools)")
        outs.append(reducer(_asarray(x), tuple(int(d) for d in dimensions)))
    return tree_unflatten(tree, outs)


# -- gather and scatter ------------------------------------------------------------------

class GatherDimensionNumbers(NamedTuple):
    """XLA's gather dimension numbers (the index vector is the last dim of the indices)."""
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    """XLA's scatter dimension numbers (the index vector is the last dim of the indices)."""
    update_window_dims: Sequence[int]
    inserted_window_dims: Sequence[int]
    scatter_dims_to_operand_dims: Sequence[int]
    operand_batching_dims: Sequence[int] = ()
    scatter_indices_batching_dims: Sequence[int] = ()


class GatherScatterMode(enum.Enum):
    """What gather and scatter do with out-of-bounds indices (JAX's modes)."""
    CLIP = enum.auto()
    FILL_OR_DROP = enum.auto()
    PROMISE_IN_BOUNDS = enum.auto()
    ONE_HOT = enum.auto()

    @staticmethod
    def from_any(s):
        if isinstance(s, GatherScatterMode):
            return s
        if s == "clip":
            return GatherScatterMode.CLIP
        if s is None or s == "fill" or s == "drop":
            return GatherScatterMode.FILL_OR_DROP
        if s == "promise_in_bounds":
            return GatherScatterMode.PROMISE_IN_BOUNDS
        if s == "one_hot":
            return GatherScatterMode.ONE_HOT
        raise ValueError(f'Unknown gather mode "{s}"')


def _mode(mode, fill_name):
    m = GatherScatterMode.from_any(mode)
    if m is GatherScatterMode.ONE_HOT:
        raise NotImplementedError("mlax does not implement the 'one_hot' gather/scatter mode yet")
    return {GatherScatterMode.CLIP: "clip", GatherScatterMode.FILL_OR_DROP: fill_name,
            GatherScatterMode.PROMISE_IN_BOUNDS: "promise_in_bounds"}[m]


def _int_indices(indices, what):
    indices = _asarray(indices)
    if aval(indices).dtype.kind not in "iu":
        raise TypeError(f"{what}: indices must have an integer type, got {aval(indices).dtype}")
    return indices


def gather(operand, start_indices, dimension_numbers, slice_sizes, *, unique_indices=False,
           indices_are_sorted=False, mode=None, fill_value=None):
    """XLA's gather with JAX's out-of-bounds modes (default: promise_in_bounds, which clamps;
    'fill' fills with NaN / the integer minimum (maximum if unsigned) / True, as JAX)."""
    mode = GatherScatterMode.PROMISE_IN_BOUNDS if mode is None else mode
    if fill_value is not None and GatherScatterMode.from_any(mode) is \
            GatherScatterMode.FILL_OR_DROP:
        raise NotImplementedError("mlax does not implement jax.lax.gather(fill_value=...) "
                                  "yet: mode='fill' fills with JAX's default values")
    dn = dimension_numbers
    return bind("mlax.gather", _asarray(operand), _int_indices(start_indices, "gather"),
                offset_dims=tuple(dn.offset_dims),
                collapsed_slice_dims=tuple(dn.collapsed_slice_dims),
                start_index_map=tuple(dn.start_index_map),
                operand_batching_dims=tuple(dn.operand_batching_dims),
                start_indices_batching_dims=tuple(dn.start_indices_batching_dims),
                slice_sizes=tuple(int(s) for s in slice_sizes), mode=_mode(mode, "fill"))


def _scatter(kind, operand, scatter_indices, updates, dimension_numbers, mode):
    operand, updates = _asarray(operand), _asarray(updates)
    if aval(operand).dtype != aval(updates).dtype:
        raise TypeError(f"scatter_{kind}: updates dtype {aval(updates).dtype} must match the "
                        f"operand dtype {aval(operand).dtype}")
    dn = dimension_numbers
    return bind("mlax.scatter", operand, _int_indices(scatter_indices, f"scatter_{kind}"),
                updates, kind=kind, update_window_dims=tuple(dn.update_window_dims),
                inserted_window_dims=tuple(dn.inserted_window_dims),
                scatter_dims_to_operand_dims=tuple(dn.scatter_dims_to_operand_dims),
                operand_batching_dims=tuple(dn.operand_batching_dims),
                scatter_indices_batching_dims=tuple(dn.scatter_indices_batching_dims),
                mode=_mode(mode, "drop"))


def scatter(operand, scatter_indices, updates, dimension_numbers, *, indices_are_sorted=False,
            unique_indices=False, mode=None):
    """XLA's scatter, overwriting (out-of-bounds updates dropped unless mode='clip')."""
    return _scatter("set", operand, scatter_indices, updates, dimension_numbers, mode)


def scatter_add(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
    return _scatter("add", operand, scatter_indices, updates, dimension_numbers, mode)


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
    return _scatter("add", operand, scatter_indices, neg(_asarray(updates)), dimension_numbers,
                    mode)


def scatter_mul(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
    return _scatter("mul", operand, scatter_indices, updates, dimension_numbers, mode)


def scatter_min(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
    return _scatter("min", operand, scatter_indices, updates, dimension_numbers, mode)


def scatter_max(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted=False, unique_indices=False, mode=None):
    return _scatter("max", operand, scatter_indices, updates, dimension_numbers, mode)
