"""Sorting: sort and top_k, a stable bottom-up merge sort of each row with scf.for loops
(rows are extracted by an scf.for nest over the other dims and sorted in place)."""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, complex as complex_d, scf, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.dialects.types import TensorSpec
from mlax.lowering.linalg.builders import (el, empty, extract_slice, generic, identity,
                                           index_const, insert_slice, int_type_of, is_bool,
                                           is_float, is_unsigned, loop_nest)


def sort_lt(dtype):
    """a < b on stored scalars for an ascending sort: -0 == 0, NaNs last (equal to each other);
    complex numbers lexicographically (real parts, then imaginary parts), as JAX sorts them."""
    if np.dtype(dtype).kind == "c":
        part = sort_lt(np.dtype(np.float64 if np.dtype(dtype) == np.complex128 else np.float32))
        def lt(a, b):
            ra, rb = complex_d.re(a), complex_d.re(b)
            tie = arith.xori(arith.ori(part(ra, rb), part(rb, ra)),
                             arith.constant(ir.IntegerType.get_signless(1), 1))
            return arith.ori(part(ra, rb), arith.andi(tie, part(complex_d.im(a), complex_d.im(b))))
        return lt
    if is_float(dtype):
        def lt(a, b):
            ordered = arith.cmpf(arith.CmpFPredicate.OLT, a, b)
            nan_b = arith.andi(arith.cmpf(arith.CmpFPredicate.UNO, b, b),
                               arith.cmpf(arith.CmpFPredicate.ORD, a, a))
            return arith.ori(ordered, nan_b)
        return lt
    pred = arith.CmpIPredicate.ult if (is_unsigned(dtype) or is_bool(dtype)) else arith.CmpIPredicate.slt
    return lambda a, b: arith.cmpi(pred, a, b)


def total_order_key(dtype, v):
    """A float's bits as a signed int ordered like the float (-NaN < -inf < -0 < 0 < inf < NaN),
    the order XLA's TopK uses."""
    it = int_type_of(dtype)
    bits = np.dtype(dtype).itemsize * 8
    i = arith.bitcast(it, v)
    neg = arith.cmpi(arith.CmpIPredicate.slt, i, arith.constant(it, 0))
    return arith.select(neg, arith.xori(i, arith.constant(it, (1 << (bits - 1)) - 1)), i)


def _merge_sort_1d(rows, n, before):
    """Stable bottom-up merge sort of 1-d tensors `rows` by rows[0].

    before(b, a) -> i1: b must come strictly before a. Each pass merges runs of width w
    from `src` into `dst` with a two-pointer scf.for; the passes are unrolled (n is static)."""
    src = list(rows)
    dst = [tensor.EmptyOp([n], ir.RankedTensorType(r.type).element_type).result for r in rows]
    w = 1
    while w < n:
        def block(ivs, *outs, w=w, src=src):
            b = ivs[0]
            end_a = arith.minsi(arith.addi(b, index_const(w)), index_const(n))
            end_b = arith.minsi(arith.addi(b, index_const(2 * w)), index_const(n))
            loop = scf.ForOp(b, end_b, index_const(1), [b, end_a] + list(outs))
            with ir.InsertionPoint(loop.body):
                k = loop.induction_variable
                i, j, *cur = loop.inner_iter_args
                ic = arith.minsi(i, index_const(n - 1))
                jc = arith.minsi(j, index_const(n - 1))
                a_left = arith.cmpi(arith.CmpIPredicate.slt, i, end_a)
                b_left = arith.cmpi(arith.CmpIPredicate.slt, j, end_b)
                b_first = before(tensor.extract(src[0], [jc]), tensor.extract(src[0], [ic]))
                a_done = arith.xori(a_left, arith.constant(ir.IntegerType.get_signless(1), 1))
                take_b = arith.andi(b_left, arith.ori(a_done, b_first))
                pos = arith.select(take_b, jc, ic)
                new = [tensor.insert(tensor.extract(s, [pos]), d, [k]) for s, d in zip(src, cur)]
                one, zero = index_const(1), index_const(0)
                scf.YieldOp([arith.addi(i, arith.select(take_b, zero, one)),
                             arith.addi(j, arith.select(take_b, one, zero))] + new)
            return list(loop.results)[2:]
        blocks = scf.ForOp(index_const(0), index_const(n), index_const(2 * w), dst)
        with ir.InsertionPoint(blocks.body):
            scf.YieldOp(block([blocks.induction_variable], *blocks.inner_iter_args))
        src, dst = list(blocks.results), src
        w *= 2
    return src


def sort_along(values, shape, dimension, before):
    """Sort same-shaped tensors along `dimension` by values[0], stably, permuting the others
    alike: an scf.for nest over the other dims extracts each row and merge-sorts it."""
    n = shape[dimension]
    if n <= 1 or any(s == 0 for s in shape):
        return list(values)
    rank = len(shape)
    row_dims = [d for d in range(rank) if d != dimension]
    sizes = [n if d == dimension else 1 for d in range(rank)]

    def row(ivs, *tensors):
        offs = [0] * rank
        for d, iv in zip(row_dims, ivs):
            offs[d] = iv
        rows = [extract_slice(t, offs, sizes, result_shape=[n]) for t in tensors]
        done = _merge_sort_1d(rows, n, before)
        return [insert_slice(r, t, offs, sizes) for r, t in zip(done, tensors)]
    return loop_nest([shape[d] for d in row_dims], list(values), row)


def _sort_rule(op):
    keys = op.in_specs[0]
    lt = sort_lt(keys.dtype)
    return sort_along(op.operands, keys.shape, op.attrs["dimension"], lambda b, a: lt(b, a))


def _top_k_rule(op):
    """A stable descending sort of (x, iota) along the last dim, sliced to k."""
    x = op.in_specs[0]
    vals_spec, idx_spec = op.out_specs
    k = op.attrs["k"]
    n = x.shape[-1]
    rank = len(x.shape)
    if k == 0 or any(s == 0 for s in x.shape):
        return [empty(vals_spec), empty(idx_spec)]
    if is_float(x.dtype):
        def before(b, a):
            return arith.cmpi(arith.CmpIPredicate.sgt, total_order_key(x.dtype, b),
                              total_order_key(x.dtype, a))
    else:
        lt = sort_lt(x.dtype)
        before = lambda b, a: lt(a, b)
    iota = generic([TensorSpec(x.shape, idx_spec.dtype)], [], [], [], [identity(rank)], ["parallel"] * rank,
                   lambda _: [arith.index_cast(el(idx_spec.dtype), linalg.IndexOp(rank - 1).result)])[0]
    vals, idx = sort_along([op.operands[0], iota], x.shape, rank - 1, before)
    if k == n:
        return [vals, idx]
    return [extract_slice(vals, [0] * rank, vals_spec.shape), extract_slice(idx, [0] * rank, idx_spec.shape)]


LOWERINGS = {
    "mlax.sort": _sort_rule,
    "mlax.top_k": _top_k_rule,
}
