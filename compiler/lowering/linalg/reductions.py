"""Reductions and contractions: reduce_*, argmax / argmin, dot_general.

A reduction is one generic with reduction iterators. Long float sums are computed in
levels of blocks (`sum_in_blocks`), so their error stays near NumPy's and XLA's instead of
growing with the length; long dot products without free dims are such sums too, and
half-precision (float16, bfloat16) contractions accumulate in float32 (`ACCUMULATOR`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import arith, complex as complex_d, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.dialects.types import TensorSpec
from mlax.runtime.dtypes import bfloat16
from mlax.lowering.linalg.builders import (amap, drop_dim, el, elementwise, extent,
                                           extract_slice, filled, generic, identity, is_bool,
                                           is_complex, is_float, is_unsigned, reassoc_attr, scalar_const,
                                           ttype)
from mlax.lowering.linalg.elementwise import (CMP_SIGNED, CMP_UNSIGNED, by_dtype,
                                              convert_scalar, maximum, minimum)


_REDUCERS = {
    # name -> (identity(dtype), combine(dtype, acc, x))
    "mlax.reduce_sum": (lambda dt: 0, lambda dt, a, x: by_dtype(arith.addf, arith.addi)(dt, a, x)),
    "mlax.reduce_prod": (lambda dt: 1, lambda dt, a, x: by_dtype(arith.mulf, arith.muli)(dt, a, x)),
    "mlax.reduce_max": (lambda dt: _lowest(dt), lambda dt, a, x: maximum(dt, a, x)),
    "mlax.reduce_min": (lambda dt: _highest(dt), lambda dt, a, x: minimum(dt, a, x)),
    "mlax.reduce_and": (lambda dt: 1 if is_bool(dt) else -1, lambda dt, a, x: arith.andi(a, x)),
    "mlax.reduce_or": (lambda dt: 0, lambda dt, a, x: arith.ori(a, x)),
}


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":       # below every value in the lexicographic order
        return complex(-np.inf, -np.inf)
    if is_float(dtype):
        return -np.inf
    if is_bool(dtype):
        return 0
    return np.iinfo(dtype).min


def _highest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return complex(np.inf, np.inf)
    if is_float(dtype):
        return np.inf
    if is_bool(dtype):
        return 1
    return np.iinfo(dtype).max


def reduce(name, v, x: TensorSpec, axes):
    """One linalg.generic reducing `v` (of spec `x`) over `axes` with reducer `name`."""
    axes = set(axes)
    ident, combine = _REDUCERS[name]
    n = len(x.shape)
    out = TensorSpec(tuple(s for i, s in enumerate(x.shape) if i not in axes), x.dtype)
    init = filled(out, ident(x.dtype))
    out_map = amap(n, [i for i in range(n) if i not in axes])
    its = ["reduction" if i in axes else "parallel" for i in range(n)]
    return generic([out], [v], [x.dtype], [identity(n)], [out_map], its,
                   lambda a, acc: [combine(x.dtype, acc, a)], inits=[init])[0]


def _reduce_rule(op):
    x = op.in_specs[0]
    if op.name == "mlax.reduce_sum" and is_float(x.dtype):
        return [sum_in_blocks(op.operands[0], x, op.attrs["axes"])]
    return [reduce(op.name, op.operands[0], x, op.attrs["axes"])]


# Float sums in levels. A sum that adds its elements one after another loses accuracy as
# it grows (2**25 copies of 0.1f came out 1% off; the mean of 1e7 values near 1000 was
# off enough to make their var several times too large). NumPy sums pairwise and XLA in a tree; here a long
# reduced dim is split into blocks: one generic sums each block (its outer dim is
# parallel), the next level sums the blocks' sums, and so on. The error grows with the
# block size and the number of levels, not with the length. The splits are reshapes of
# the reduced operand, which elementwise fusion folds into the producer's loops, so a
# fused producer (sum(x * x)) is still computed in the same loop as its sum.


@dataclass(frozen=True)
class SumBlocks:
    block: int          # block size, when no divisor of the dim fits between
    smallest: int       # these sizes (the nearest to `block` is used then)
    largest: int
    sequential: int     # sums of up to this many elements stay one generic
    multiple: int       # prefer divisors that are multiples of this


# A contiguous reduced dim is summed by several interleaved accumulators (vector lanes)
# within each block, so its blocks can be longer, and a multiple of the lanes leaves no
# remainder loop; along a strided dim each output element sums its block in sequence.
SUM_CONTIGUOUS = SumBlocks(block=2048, smallest=512, largest=8192, sequential=8192, multiple=64)
SUM_STRIDED = SumBlocks(block=256, smallest=64, largest=1024, sequential=1024, multiple=1)


def _block_size(n, p: SumBlocks):
    """The block size for a reduced dim of size n: a divisor of n between p.smallest and
    p.largest if there is one (a multiple of p.multiple if possible, then the nearest to
    p.block), else p.block (and the elements after the last whole block are summed
    apart)."""
    divisors = [b for b in range(p.smallest, min(p.largest, n) + 1) if n % b == 0]
    return min(divisors, default=p.block,
               key=lambda b: (b % p.multiple != 0, abs(np.log2(b / p.block))))


def _elementwise_producer(v):
    """(op, input maps) of the linalg.generic defining `v` if it is elementwise and `v`
    has no other use: all loops parallel, one result indexed by the identity, its initial
    value unread, no linalg.index and no nested regions in its body. Else None."""
    owner = v.owner
    if isinstance(owner, ir.Block):
        return None
    op = owner.operation
    if op.name != "linalg.generic" or len(op.results) != 1:
        return None
    if any(u.owner != next(iter(v.uses)).owner for u in v.uses):   # x * x: one user
        return None
    if any("parallel" not in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])):
        return None
    maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    n_in = len(op.operands) - 1
    if maps[-1] != identity(maps[-1].n_dims):
        return None
    block = op.regions[0].blocks[0]
    if list(block.arguments[n_in].uses):
        return None
    if any(o.name == "linalg.index" or len(o.regions) for o in block.operations):
        return None
    return op, maps[:n_in]


def slice_of(v, offsets, sizes, done=None):
    """v[offsets : offsets + sizes] (static). When v comes from an elementwise producer
    tree (single users), the tree is recomputed on slices of its inputs instead: slicing
    a producer's result would keep elementwise fusion from fusing the producer into the
    slice's consumer, and the producer would be computed whole into a buffer.
    `done` maps (value, offsets, sizes) already sliced to their slices."""
    shape = list(ir.RankedTensorType(v.type).shape)
    if list(offsets) == [0] * len(shape) and list(sizes) == shape:
        return v
    done = {} if done is None else done
    key = (v, tuple(offsets), tuple(sizes))
    if key in done:
        return done[key]
    producer = _elementwise_producer(v)
    if producer is None:
        done[key] = extract_slice(v, offsets, sizes)
        return done[key]
    op, in_maps = producer
    inputs = []
    for u, m in zip(list(op.operands)[:-1], in_maps):
        u_shape = ir.RankedTensorType(u.type).shape
        u_offsets, u_sizes = [], []
        for k, e in enumerate(m.results):
            if isinstance(e, ir.AffineDimExpr):
                d = e.position
                u_offsets.append(offsets[d])
                u_sizes.append(sizes[d])
            else:   # a broadcast unit dim
                u_offsets.append(0)
                u_sizes.append(u_shape[k])
        inputs.append(slice_of(u, u_offsets, u_sizes, done))
    et = ir.RankedTensorType(v.type).element_type
    init = tensor.EmptyOp(list(sizes), et).result
    new = op.clone()
    for i, u in enumerate(inputs + [init]):
        new.operands[i] = u
    new.results[0].set_type(ir.RankedTensorType.get(list(sizes), et))
    done[key] = new.results[0]
    return done[key]


def _merge_reduced_runs(v, x: TensorSpec, axes):
    """Collapse each run of adjacent reduced dims into one dim (a view)."""
    groups, reduced = [], []
    for d in range(len(x.shape)):
        if d in axes and groups and reduced[-1] and groups[-1][-1] == d - 1:
            groups[-1].append(d)
        else:
            groups.append([d])
            reduced.append(d in axes)
    if len(groups) == len(x.shape):
        return v, x, sorted(axes)
    spec = TensorSpec(tuple(extent(x.shape, g) for g in groups), x.dtype)
    v = tensor.CollapseShapeOp(ttype(spec), v, reassoc_attr(groups)).result
    return v, spec, [i for i, r in enumerate(reduced) if r]


def sum_in_blocks(v, x: TensorSpec, axes):
    """reduce_sum of float `v` (spec `x`) over `axes`, in levels of short sums."""
    axes = sorted(axes)
    if extent(x.shape, axes) <= SUM_STRIDED.sequential:
        return reduce("mlax.reduce_sum", v, x, axes)
    v, x, axes = _merge_reduced_runs(v, x, axes)
    r = axes[-1]
    p = SUM_CONTIGUOUS if all(s == 1 for s in x.shape[r + 1:]) else SUM_STRIDED
    if extent(x.shape, axes) <= p.sequential:
        return reduce("mlax.reduce_sum", v, x, axes)
    n = x.shape[r]
    if n <= p.sequential:
        # The innermost run is short but others are left: sum it first, then the rest.
        return sum_in_blocks(reduce("mlax.reduce_sum", v, x, [r]), drop_dim(x, r), axes[:-1])
    b = _block_size(n, p)
    m = n // b * b
    head = x if m == n else drop_dim(x, r, m)
    blocks = TensorSpec(x.shape[:r] + (m // b, b) + x.shape[r + 1:], x.dtype)
    groups = [[d] for d in range(r)] + [[r, r + 1]] + [[d + 1] for d in range(r + 1, len(x.shape))]
    offsets = [0] * len(x.shape)
    w = tensor.ExpandShapeOp(ttype(blocks), slice_of(v, offsets, head.shape), reassoc_attr(groups),
                             [], ir.DenseI64ArrayAttr.get(list(blocks.shape))).result
    partial = reduce("mlax.reduce_sum", w, blocks, [r + 1])
    total = sum_in_blocks(partial, drop_dim(x, r, m // b), axes)
    if m == n:
        return total
    # The elements after the last whole block, summed apart.
    tail = drop_dim(x, r, n - m)
    offsets[r] = m
    rest = sum_in_blocks(slice_of(v, offsets, tail.shape), tail, axes)
    out = TensorSpec(tuple(s for i, s in enumerate(x.shape) if i not in axes), x.dtype)
    return elementwise(out, [total, rest], [x.dtype] * 2, arith.addf)


def _argreduce_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    axis = op.attrs["axis"]
    n = len(x.shape)
    is_max = op.name == "mlax.argmax"
    val_spec = TensorSpec(out.shape, x.dtype)
    vinit = filled(val_spec, _lowest(x.dtype) if is_max else _highest(x.dtype))
    iinit = filled(out, 0)
    out_map = amap(n, [i for i in range(n) if i != axis])
    its = ["reduction" if i == axis else "parallel" for i in range(n)]

    def body(a, best, best_i):
        i = arith.index_cast(el(out.dtype), linalg.IndexOp(axis).result)
        if is_float(x.dtype):
            pred = arith.CmpFPredicate.OGT if is_max else arith.CmpFPredicate.OLT
            better = arith.cmpf(pred, a, best)
            # NaN wins (first NaN), as in NumPy and JAX.
            a_nan = arith.cmpf(arith.CmpFPredicate.UNO, a, a)
            b_nan = arith.cmpf(arith.CmpFPredicate.UNO, best, best)
            better = arith.ori(arith.andi(better, arith.xori(b_nan, scalar_const(np.bool_, 1))),
                               arith.andi(a_nan, arith.xori(b_nan, scalar_const(np.bool_, 1))))
        else:
            table = CMP_UNSIGNED if (is_unsigned(x.dtype) or is_bool(x.dtype)) else CMP_SIGNED
            better = arith.cmpi(getattr(arith.CmpIPredicate, table["gt" if is_max else "lt"]), a, best)
        # the first element always initializes (handles all -inf / +inf inputs)
        first = arith.cmpi(arith.CmpIPredicate.eq, linalg.IndexOp(axis).result,
                           arith.constant(ir.IndexType.get(), 0))
        take = arith.ori(better, first)
        return [arith.select(take, a, best), arith.select(take, i, best_i)]

    res = generic([val_spec, out], op.operands, op.in_dtypes, [identity(n)], [out_map, out_map],
                  its, body, inits=[vinit, iinit])
    return [res[1]]


def _dot_general_rule(op):
    a, b = op.in_specs
    out = op.out_specs[0]
    at = op.attrs
    lc, rc = at["lhs_contracting_dimensions"], at["rhs_contracting_dimensions"]
    lb, rb = at["lhs_batch_dimensions"], at["rhs_batch_dimensions"]
    lf = [i for i in range(len(a.shape)) if i not in lc and i not in lb]
    rf = [i for i in range(len(b.shape)) if i not in rc and i not in rb]
    # loop dims: batch, lhs free, rhs free, contracting
    nb, nlf, nrf, nc = len(lb), len(lf), len(rf), len(lc)
    n = nb + nlf + nrf + nc
    lhs_exprs = [0] * len(a.shape)
    rhs_exprs = [0] * len(b.shape)
    for k, (i, j) in enumerate(zip(lb, rb)):
        lhs_exprs[i] = k
        rhs_exprs[j] = k
    for k, i in enumerate(lf):
        lhs_exprs[i] = nb + k
    for k, j in enumerate(rf):
        rhs_exprs[j] = nb + nlf + k
    for k, (i, j) in enumerate(zip(lc, rc)):
        lhs_exprs[i] = nb + nlf + nrf + k
        rhs_exprs[j] = nb + nlf + nrf + k
    out_map = amap(n, list(range(nb + nlf + nrf)))
    its = ["parallel"] * (nb + nlf + nrf) + ["reduction"] * nc
    dtype = out.dtype
    mul, add = ((arith.andi, arith.ori) if is_bool(dtype) else
                (complex_d.mul, complex_d.add) if is_complex(dtype) else
                (arith.mulf, arith.addf) if is_float(dtype) else (arith.muli, arith.addi))
    if nc == 0:
        # No contraction (an outer product): an elementwise generic that does not read its
        # output, so elementwise fusion treats it like any other.
        return generic([out], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                       [out_map], its, lambda x, y, _: [mul(x, y)])
    k = extent(a.shape, lc)
    if is_float(dtype) and nlf == nrf == 0 and k > SUM_STRIDED.sequential:
        # A long dot product (no free dims: vdot, batched or not) is a sum: the products,
        # then a sum in blocks (elementwise fusion puts them back in one loop).
        # Half-precision products and sums are in float32 (see below), rounded once.
        acc_dtype = ACCUMULATOR.get(np.dtype(dtype), dtype)
        prod = TensorSpec(tuple(a.shape[i] for i in lb) + tuple(a.shape[i] for i in lc), acc_dtype)
        p = generic([prod], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                    [identity(n)], ["parallel"] * n,
                    lambda x, y, _: [mul(convert_scalar(x, dtype, acc_dtype),
                                         convert_scalar(y, dtype, acc_dtype))])[0]
        total = sum_in_blocks(p, prod, range(nb, n))
        if acc_dtype == dtype:
            return [total]
        return [elementwise(out, [total], [acc_dtype], lambda c: convert_scalar(c, acc_dtype, dtype))]
    acc_dtype = ACCUMULATOR.get(np.dtype(dtype), dtype)
    if acc_dtype != dtype:
        # Half-precision products accumulate in float32, as XLA does, then round once.
        acc = TensorSpec(out.shape, acc_dtype)
        wide = generic([acc], op.operands, op.in_dtypes,
                       [amap(n, lhs_exprs), amap(n, rhs_exprs)], [out_map], its,
                       lambda x, y, c: [add(c, mul(convert_scalar(x, dtype, acc_dtype),
                                                   convert_scalar(y, dtype, acc_dtype)))],
                       inits=[filled(acc, 0)])[0]
        return [elementwise(out, [wide], [acc_dtype],
                            lambda c: convert_scalar(c, acc_dtype, dtype))]
    return generic([out], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                   [out_map], its, lambda x, y, acc: [add(acc, mul(x, y))], inits=[filled(out, 0)])


# Contractions of these element types accumulate in a wider one.
ACCUMULATOR = {np.dtype(np.float16): np.dtype(np.float32), bfloat16: np.dtype(np.float32)}


LOWERINGS = {
    **{name: _reduce_rule for name in _REDUCERS},
    "mlax.argmax": _argreduce_rule,
    "mlax.argmin": _argreduce_rule,
    "mlax.dot_general": _dot_general_rule,
}
