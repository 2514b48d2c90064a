"""Shape ops: iota, broadcast_in_dim, reshape, transpose, slice, concatenate, pad.

Reshapes and slices are tensor.collapse_shape / expand_shape / extract_slice (views after
bufferization); broadcasts and transposes are generics, so elementwise fusion fuses them
with their producers and consumers; pad is fill + strided insert_slice + crop.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.dialects.types import TensorSpec
from mlax.lowering.linalg.builders import (amap, el, empty, extract_slice, generic, identity,
                                           insert_slice, is_float, reassoc_attr, ttype)


def _iota_rule(op):
    out = op.out_specs[0]
    n = len(out.shape)
    dim = op.attrs["dimension"]

    def body(_):
        i = linalg.IndexOp(dim).result
        if is_float(out.dtype):
            return [arith.sitofp(el(out.dtype), arith.index_cast(ir.IntegerType.get_signless(64), i))]
        return [arith.index_cast(el(out.dtype), i)]
    return generic([out], [], [], [], [identity(n)], ["parallel"] * n, body)


def _broadcast_rule(op):
    """A generic reading x with a projected-permutation map: the size-1 dims that broadcast
    are first collapsed away (a view), so that reshapes propagate through the generic
    (elementwise fusion folds an expand_shape of its result into its loops only when
    every map is a projected permutation; a map to constant 0 blocks that)."""
    out, x = op.out_specs[0], op.in_specs[0]
    n = len(out.shape)
    v = op.operands[0]
    dims = op.attrs["broadcast_dimensions"]
    kept = [i for i, d in enumerate(dims) if not (x.shape[i] == 1 and out.shape[d] != 1)]
    if len(kept) < len(x.shape):
        # Each kept dim's group takes the dropped unit dims before it (the last group
        # also those after it).
        groups, pending = [], []
        for i in range(len(x.shape)):
            pending.append(i)
            if i in kept:
                groups.append(pending)
                pending = []
        if groups:
            groups[-1] += pending
        v = tensor.CollapseShapeOp(ttype(TensorSpec(tuple(x.shape[i] for i in kept), x.dtype)),
                                   v, reassoc_attr(groups)).result
    return generic([out], [v], op.in_dtypes, [amap(n, [dims[i] for i in kept])], [identity(n)],
                   ["parallel"] * n, lambda a, _: [a])


def _reshape_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    v = op.operands[0]
    if x.shape == out.shape:
        return [v]
    # Collapse to 1-d (or 0-d) and expand to the result: both are views after bufferization.
    flat = TensorSpec((int(np.prod(x.shape, dtype=np.int64)),), x.dtype)
    if len(x.shape) != 1:
        groups = [list(range(len(x.shape)))] if x.shape else []
        v = tensor.CollapseShapeOp(ttype(flat if x.shape else TensorSpec((), x.dtype)), v,
                                   reassoc_attr(groups)).result if x.shape else \
            tensor.ExpandShapeOp(ttype(flat), v, reassoc_attr([]), [],
                                 ir.DenseI64ArrayAttr.get([1])).result
    if len(out.shape) == 1:
        return [v]
    if not out.shape:
        return [tensor.CollapseShapeOp(ttype(out), v, reassoc_attr([])).result]
    return [tensor.ExpandShapeOp(ttype(out), v, reassoc_attr([list(range(len(out.shape)))]), [],
                                 ir.DenseI64ArrayAttr.get(list(out.shape))).result]


def _transpose_rule(op):
    out = op.out_specs[0]
    perm = op.attrs["permutation"]
    n = len(perm)
    inv = [0] * n
    for i, p in enumerate(perm):
        inv[p] = i
    return generic([out], op.operands, op.in_dtypes, [amap(n, [inv[j] for j in range(n)])],
                   [identity(n)], ["parallel"] * n, lambda a, _: [a])


def _slice_rule(op):
    out = op.out_specs[0]
    a = op.attrs
    if 0 in out.shape:   # no data; extract_slice's verifier rejects its start at the end
        return [empty(out)]
    return [tensor.ExtractSliceOp(ttype(out), op.operands[0], [], [], [],
                                  ir.DenseI64ArrayAttr.get(list(a["start_indices"])),
                                  ir.DenseI64ArrayAttr.get(list(out.shape)),
                                  ir.DenseI64ArrayAttr.get(list(a["strides"]))).result]


def _concatenate_rule(op):
    out = op.out_specs[0]
    d = op.attrs["dimension"]
    lhs, rhs = op.operands
    # A zero-size operand adds nothing (and insert_slice's verifier rejects a start at
    # the end of the result).
    if 0 in op.in_specs[1].shape or 0 in out.shape:
        return [lhs] if op.in_specs[0] == out else [empty(out)]
    if 0 in op.in_specs[0].shape:
        return [rhs]
    res = insert_slice(lhs, empty(out), [0] * len(out.shape))
    offs = [0] * len(out.shape)
    offs[d] = op.in_specs[0].shape[d]
    return [insert_slice(rhs, res, offs)]


def _pad_rule(op):
    """Fill, write x strided by interior + 1 past the non-negative low padding, then crop
    what negative low/high padding removes."""
    x, out = op.in_specs[0], op.out_specs[0]
    low, high, interior = op.attrs["low"], op.attrs["high"], op.attrs["interior"]
    if any(n == 0 for n in out.shape):
        return [empty(out)]
    lo = [max(v, 0) for v in low]
    hi = [max(v, 0) for v in high]
    full_shape = [l + h + n + max(0, n - 1) * i for l, h, n, i in zip(lo, hi, x.shape, interior)]
    value = tensor.extract(op.operands[1], [])
    full = linalg.fill(value, outs=[empty(TensorSpec(tuple(full_shape), x.dtype))])
    if all(n > 0 for n in x.shape):
        full = insert_slice(op.operands[0], full, lo, strides=[i + 1 for i in interior])
    if tuple(full_shape) == tuple(out.shape):
        return [full]
    return [extract_slice(full, [max(-v, 0) for v in low], out.shape)]


LOWERINGS = {
    "mlax.iota": _iota_rule, "mlax.broadcast_in_dim": _broadcast_rule,
    "mlax.reshape": _reshape_rule, "mlax.transpose": _transpose_rule,
    "mlax.slice": _slice_rule, "mlax.concatenate": _concatenate_rule,
    "mlax.pad": _pad_rule,
}
