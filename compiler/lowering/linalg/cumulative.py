"""Cumulative ops: cumsum, cumprod, cummax, cummin, cumlogsumexp.

Along the innermost dim, scalar scf.for loops; along an outer dim, an scf.for over slabs
whose step is a vectorizable linalg.generic. Float cumsum / cumprod / cumlogsumexp run in
blocks of SCAN_BLOCK seeded with the scanned block totals (`scan_in_blocks`), so their
error stays near XLA's instead of growing with the length.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, math, scf, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.dialects.types import TensorSpec
from mlax.lowering.linalg.builders import (amap, drop_dim, extract_slice, filled, generic,
                                           identity, index_const, insert_slice, is_bool,
                                           is_float, loop_nest, reassoc_attr, scalar_const,
                                           ttype)
from mlax.lowering.linalg.elementwise import by_dtype, float_only, maximum, minimum


def _logaddexp(dtype, a, b):
    """log(exp(a) + exp(b)) as jax.numpy.logaddexp computes it."""
    amax = arith.maximumf(a, b)
    delta = arith.subf(a, b)
    tail = math.log1p(math.exp(arith.negf(math.absf(delta))))
    return arith.select(arith.cmpf(arith.CmpFPredicate.UNO, delta, delta), arith.addf(a, b),
                        arith.addf(amax, tail))


# The scan of each cumulative op: combine(dtype, acc, x) on body scalars (bool as i1).
COMBINE = {
    "mlax.cumsum": lambda dt, a, x: (arith.ori(a, x) if is_bool(dt) else
                                     by_dtype(arith.addf, arith.addi)(dt, a, x)),
    "mlax.cumprod": lambda dt, a, x: (arith.andi(a, x) if is_bool(dt) else
                                      by_dtype(arith.mulf, arith.muli)(dt, a, x)),
    "mlax.cummax": maximum,
    "mlax.cummin": minimum,
    "mlax.cumlogsumexp": lambda dt, a, x: float_only(
        "cumlogsumexp", lambda a, x: _logaddexp(dt, a, x))(dt, a, x),
}


def _cumulative_rule(op):
    x = op.in_specs[0]
    axis, reverse = op.attrs["axis"], op.attrs["reverse"]
    if x.shape[axis] <= 1 or any(s == 0 for s in x.shape):
        return [op.operands[0]]
    if op.name in _SCAN_IDENTITY and is_float(x.dtype):
        return [scan_in_blocks(op.name, op.operands[0], x, axis, reverse)]
    return [scan(op.name, op.operands[0], x, axis, reverse)]


def scan(name, v, x: TensorSpec, axis, reverse, block=None, seeds=None):
    """out[k] = combine(out[k - 1], x[k]) along `axis` (from the end with `reverse`), in
    place in a copy of x.

    With `block` and `seeds`: the dim is scanned as independent blocks of `block` elements
    in scan order (the last block may be shorter); in block p, out[k] = combine(seed,
    the scan of the block up to k) with seed = seeds[..., p, ...] (x's shape with `axis`
    sized to the number of blocks). The scan within the block starts from the identity,
    so its roundings are those of small values; the seed is combined in once per element.

    Along the innermost dim: scalar scf.for loops (contiguous, with the running value in a
    register). Along an outer dim: scf.for loops whose steps are linalg.generics over a
    whole slab (contiguous, so they vectorize)."""
    n = x.shape[axis]
    b = block or n
    nb = -(-n // b)
    combine = COMBINE[name]

    def position(t):
        """The index along `axis` of the t-th element in scan order."""
        return arith.subi(index_const(n - 1), t) if reverse else t

    def block_bounds(p):
        lo = arith.muli(p, index_const(b))
        return lo, arith.minsi(arith.addi(lo, index_const(b)), index_const(n))

    if axis == len(x.shape) - 1:
        # Values as stored: bool as i8, which the or/and/max/min combines handle as 0/1.
        def row(ivs, out):
            ivs = list(ivs)
            if seeds is None:
                lo, hi = index_const(1), index_const(n)
                local, seed = tensor.extract(v, ivs + [position(index_const(0))]), None
            else:
                lo, hi = block_bounds(ivs[-1])
                local = scalar_const(x.dtype, _SCAN_IDENTITY[name], storage=True)
                seed = tensor.extract(seeds, ivs)
                ivs = ivs[:-1]
            loop = scf.ForOp(lo, hi, index_const(1), [local, out])
            with ir.InsertionPoint(loop.body):
                k = position(loop.induction_variable)
                local, cur = loop.inner_iter_args
                local = combine(x.dtype, local, tensor.extract(v, ivs + [k]))
                value = local if seed is None else combine(x.dtype, seed, local)
                scf.YieldOp([local, tensor.insert(value, cur, ivs + [k])])
            return [loop.results[1]]
        return loop_nest(x.shape[:-1] + ((nb,) if seeds is not None else ()), [v], row)[0]

    slab_shape = tuple(s for d, s in enumerate(x.shape) if d != axis)
    slab = TensorSpec(slab_shape, x.dtype)
    sizes = [1 if d == axis else s for d, s in enumerate(x.shape)]
    r = len(slab_shape)

    def at(i):
        offs = [0] * len(x.shape)
        offs[axis] = i
        return offs

    def get(acc, k):
        return extract_slice(acc, at(k), sizes, result_shape=slab_shape)

    if seeds is None:
        loop = scf.ForOp(index_const(1), index_const(n), index_const(1), [v])
        with ir.InsertionPoint(loop.body):
            t = loop.induction_variable
            acc = loop.inner_iter_args[0]
            k = position(t)
            prev = arith.addi(k, index_const(1)) if reverse else arith.subi(k, index_const(1))
            new = generic([slab], [get(acc, prev)], [x.dtype], [identity(r)], [identity(r)],
                          ["parallel"] * r, lambda p, c: [combine(x.dtype, p, c)],
                          inits=[get(acc, k)])[0]
            scf.YieldOp([insert_slice(new, acc, at(k), sizes)])
        return loop.results[0]

    blocks = scf.ForOp(index_const(0), index_const(nb), index_const(1), [v])
    with ir.InsertionPoint(blocks.body):
        lo, hi = block_bounds(blocks.induction_variable)
        seed = get(seeds, blocks.induction_variable)
        loop = scf.ForOp(lo, hi, index_const(1),
                         [blocks.inner_iter_args[0], filled(slab, _SCAN_IDENTITY[name])])
        with ir.InsertionPoint(loop.body):
            k = position(loop.induction_variable)
            acc, local = loop.inner_iter_args

            def body(s, l, c):
                l = combine(x.dtype, l, c)
                return [l, combine(x.dtype, s, l)]
            # In place: the running slab, and the slab at k (read before it is replaced).
            local, value = generic([slab, slab], [seed], [x.dtype], [identity(r)], [identity(r)] * 2,
                                   ["parallel"] * r, body, inits=[local, get(acc, k)])
            scf.YieldOp([insert_slice(value, acc, at(k), sizes), local])
        scf.YieldOp([loop.results[0]])
    return blocks.results[0]


# Float scans in blocks. A scan that runs along its whole dim loses accuracy as it goes
# (a cumsum of 2**22 copies of 0.1f ended 4% off; XLA scans in a tree, its error grows
# with the log of the length). Here the dim is split into blocks of SCAN_BLOCK elements:
# one reduction gives each block's total, the totals are scanned the same way
# (recursively), and then each block is scanned on its own, each element combined with
# the total of the blocks before it. One pass over the data for the totals (it
# vectorizes) and one for the scan.

SCAN_BLOCK = 64     # a multiple of the vector lanes: the block totals' sums vectorize
_SCAN_IDENTITY = {"mlax.cumsum": 0.0, "mlax.cumprod": 1.0, "mlax.cumlogsumexp": -np.inf}


def scan_in_blocks(name, v, x: TensorSpec, axis, reverse):
    n = x.shape[axis]
    if n <= 2 * SCAN_BLOCK:
        return scan(name, v, x, axis, reverse)
    combine, b, rank = COMBINE[name], SCAN_BLOCK, len(x.shape)
    m = n // b                                    # whole blocks (in scan order, first)
    nb = -(-n // b)
    # The whole blocks' totals, in index order.
    offsets = [0] * rank
    offsets[axis] = n - m * b if reverse else 0
    blocks = TensorSpec(x.shape[:axis] + (m, b) + x.shape[axis + 1:], x.dtype)
    groups = [[d] for d in range(axis)] + [[axis, axis + 1]] + [[d + 1] for d in range(axis + 1, rank)]
    w = extract_slice(v, offsets, drop_dim(x, axis, m * b).shape) if m * b < n else v
    w = tensor.ExpandShapeOp(ttype(blocks), w, reassoc_attr(groups), [],
                             ir.DenseI64ArrayAttr.get(list(blocks.shape))).result
    ident = _SCAN_IDENTITY[name]
    totals = drop_dim(blocks, axis + 1)
    out_map = amap(rank + 1, [d for d in range(rank + 1) if d != axis + 1])
    its = ["reduction" if d == axis + 1 else "parallel" for d in range(rank + 1)]
    t = generic([totals], [w], [x.dtype], [identity(rank + 1)], [out_map], its,
                lambda a, acc: [combine(x.dtype, acc, a)], inits=[filled(totals, ident)])[0]
    scanned = scan_in_blocks(name, t, totals, axis, reverse)
    # Block p (in scan order) starts from the total of the blocks before it: scanned[p - 1]
    # in index order, scanned[m - p] scanning in reverse; the first from the identity.
    seeds = drop_dim(x, axis, nb)

    def seed(_):
        idx = [linalg.IndexOp(d).result for d in range(rank)]
        p = idx[axis]
        first = arith.cmpi(arith.CmpIPredicate.eq, p, index_const(0))
        j = arith.subi(index_const(m), p) if reverse else arith.subi(p, index_const(1))
        idx[axis] = arith.minsi(arith.maxsi(j, index_const(0)), index_const(m - 1))
        return [arith.select(first, scalar_const(x.dtype, ident), tensor.extract(scanned, idx))]
    seeds = generic([seeds], [], [], [], [identity(rank)], ["parallel"] * rank, seed)[0]
    return scan(name, v, x, axis, reverse, block=b, seeds=seeds)


LOWERINGS = {name: _cumulative_rule for name in COMBINE}
