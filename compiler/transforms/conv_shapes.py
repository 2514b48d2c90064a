"""Reshapes that merge an axis into a neighbour or split one out (JAX's
`_reshape_axis_into` / `_reshape_axis_out_of`), shared by the derivative and batching
rules of `mlax.conv`: both fold a batch or group axis into a convolution's batch or
feature dims."""
from __future__ import annotations

from mlir import ir


def _shape(v):
    return list(ir.RankedTensorType(v.type).shape)


def reshape_axis_into(b, src, dst, x):
    """x with axis `src` merged into axis `dst` (of x without `src`) as its major part."""
    shape = _shape(x)
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    new_shape = [n for i, n in enumerate(shape) if i != src]
    new_shape[dst] *= shape[src]
    if perm != list(range(len(shape))):
        x = b.transpose(x, permutation=tuple(perm))
    return b.reshape(x, new_sizes=tuple(new_shape))


def reshape_axis_out_of(b, src, size1, x):
    """x with axis `src` split into (size1, rest)."""
    shape = _shape(x)
    shape[src:src + 1] = [size1, shape[src] // size1]
    return b.reshape(x, new_sizes=tuple(shape))
