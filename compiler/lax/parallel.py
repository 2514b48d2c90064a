"""Collectives over named mapped axes, as jax.lax's: `vmap(f, axis_name='i')` names its
batch axis, and inside `f` `psum(x, 'i')` is the sum of `x` over the members of the batch
(the same for every member), `axis_index('i')` a member's position.

Each collective is one `mlax.collective` op carrying the axis name and size and the
member's axis index (a batched operand of the vmap that names the axis); `--mlax-vmap`
turns it into a reduction over the batch axis (mlax.transforms.vmap_rules)."""
from __future__ import annotations

import numpy as np

from mlax import core
from mlax.dispatch import bind
from mlax.lax.primitives import (aval, convert_element_type, dynamic_index_in_dim,
                                 _moveaxis_perm, reshape)
from mlax.runtime import Array
from mlax.pytree import tree_map
from mlax.runtime.dtypes import is_float

__all__ = ["psum", "pmean", "pmax", "pmin", "all_gather", "all_to_all", "pswapaxes",
           "axis_index", "axis_size"]


def _axis(name):
    """(size, index tracer) of the innermost mapped axis called `name`."""
    for bound, size, index in reversed(core.axis_env()):
        if bound == name:
            return size, index
    names = [n for n, _, _ in core.axis_env()]
    raise NameError(f"unbound axis name: {name}. The following axis names (e.g. defined by "
                    f"vmap) are available to collective operations: {names}")


def _names(axis_name):
    return tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)


def _operand(x):
    if isinstance(x, Array) or hasattr(x, "aval"):
        return x
    a = aval(x)
    return Array(np.asarray(x, dtype=a.dtype), a.weak_type)


def _collective(kind, x, axis_name):
    for name in _names(axis_name):
        size, index = _axis(name)
        x = bind("mlax.collective", x, index, kind=kind, axis_name=name, axis_size=size)
    return x


def _check_groups(axis_index_groups):
    if axis_index_groups is not None:
        raise NotImplementedError("mlax does not implement axis_index_groups of the "
                                  "collectives yet")


def psum(x, axis_name, *, axis_index_groups=None):
    """The sum of `x` (a pytree) over the members of the named axis (or axes)."""
    _check_groups(axis_index_groups)

    def one(leaf):
        leaf = _operand(leaf)
        if aval(leaf).dtype == np.bool_:
            leaf = convert_element_type(leaf, np.dtype(np.int32))
        return _collective("sum", leaf, axis_name)
    return tree_map(one, x)


def pmean(x, axis_name, *, axis_index_groups=None):
    """The mean of `x` (a pytree) over the members of the named axis (or axes)."""
    _check_groups(axis_index_groups)

    def one(leaf):
        leaf = _operand(leaf)
        if not is_float(aval(leaf).dtype):
            leaf = convert_element_type(leaf, core.canonicalize_dtype(np.dtype(np.float64)))
        return _collective("mean", leaf, axis_name)
    return tree_map(one, x)


def pmax(x, axis_name, *, axis_index_groups=None):
    """The maximum of `x` (a pytree) over the members of the named axis (or axes)."""
    _check_groups(axis_index_groups)
    return tree_map(lambda leaf: _collective("max", _operand(leaf), axis_name), x)


def pmin(x, axis_name, *, axis_index_groups=None):
    """The minimum of `x` (a pytree) over the members of the named axis (or axes)."""
    _check_groups(axis_index_groups)
    return tree_map(lambda leaf: _collective("min", _operand(leaf), axis_name), x)


def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    """Every member's `x` (a pytree), stacked along a new dimension `axis` (or, `tiled`,
    concatenated along `axis`), the same for every member."""
    _check_groups(axis_index_groups)
    if isinstance(axis_name, (tuple, list)):
        raise NotImplementedError("mlax does not implement all_gather over several axes yet")

    def one(leaf):
        leaf = _operand(leaf)
        nd = aval(leaf).ndim
        ax = axis if axis >= 0 else axis + nd + (0 if tiled else 1)
        if not 0 <= ax <= nd - (1 if tiled else 0):
            raise ValueError(f"all_gather: axis {axis} is out of range for rank {nd}")
        out = _collective("all_gather", leaf, axis_name)
        if ax:
            out = bind("mlax.transpose", out, permutation=_moveaxis_perm(nd + 1, 0, ax))
        if tiled:
            shape = aval(out).shape
            out = reshape(out, shape[:ax] + (shape[ax] * shape[ax + 1],) + shape[ax + 2:])
        return out
    return tree_map(one, x)


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None,
               tiled=False):
    """Member i's result holds chunk i of every member's `x` split along `split_axis`,
    concatenated along `concat_axis` (not `tiled`: `x.shape[split_axis]` is the axis size,
    that dim is removed and the members' chunks stacked in a new dim at `concat_axis`).
    Composed of all_gather and a dynamic index by the member's axis index, so every
    transform handles it."""
    _check_groups(axis_index_groups)
    if isinstance(axis_name, (tuple, list)):
        raise NotImplementedError("mlax does not implement all_to_all over several axes yet")
    size, index = _axis(axis_name)

    def one(leaf):
        leaf = _operand(leaf)
        shape = aval(leaf).shape
        split = split_axis % len(shape)
        if shape[split] % size if tiled else shape[split] != size:
            raise ValueError(f"all_to_all: split_axis {split_axis} of size {shape[split]} "
                             f"{'is not a multiple of' if tiled else 'must equal'} the axis "
                             f"size {size}")
        if tiled:
            leaf = reshape(leaf, shape[:split] + (size, shape[split] // size) + shape[split + 1:])
        gathered = all_gather(leaf, axis_name)            # (member, *x)
        mine = dynamic_index_in_dim(gathered, index, split + 1, keepdims=False)
        nd = aval(mine).ndim
        if not tiled:
            concat = concat_axis % (nd)
            return bind("mlax.transpose", mine, permutation=_moveaxis_perm(nd, 0, concat))
        concat = concat_axis % len(shape)
        out = bind("mlax.transpose", mine, permutation=_moveaxis_perm(nd, 0, concat))
        out_shape = aval(out).shape
        return reshape(out, out_shape[:concat] + (size * out_shape[concat + 1],)
                       + out_shape[concat + 2:])
    return tree_map(one, x)


def pswapaxes(x, axis_name, axis, *, axis_index_groups=None):
    """Swap the named axis with positional `axis` of `x` (all_to_all with split and concat
    axes both `axis`; `x.shape[axis]` is the named axis's size)."""
    return all_to_all(x, axis_name, axis, axis, axis_index_groups=axis_index_groups)


def axis_index(axis_name):
    """This member's position on the named axis (int32)."""
    if isinstance(axis_name, (tuple, list)):
        raise NotImplementedError("mlax does not implement axis_index over several axes yet")
    return _axis(axis_name)[1]


def axis_size(axis_name):
    """The number of members of the named axis (or the product over several axes)."""
    return int(np.prod([_axis(n)[0] for n in _names(axis_name)]))
