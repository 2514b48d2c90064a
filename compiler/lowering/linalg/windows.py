"""Convolutions and windows: conv, reduce_window, select_and_gather_add,
select_and_scatter_add, rev.

A window op reads its operand at `o * stride + k * dilation` (o a result position, k a
position in the window) of the operand padded (and, for lhs / base dilation, spread
out with holes). Padding is fill + strided insert_slice + crop, as for `mlax.pad`.
Those reads are not projected permutations, so linalg cannot infer the window's loop
sizes from them: each window generic also reads an empty tensor of the window's shape
(what linalg's named pooling ops take as their `kernel` operand).

A convolution is im2col: one generic copies the windows of the padded lhs into a
[groups, batch * out spatial, window * in features] tensor, a second gives rhs the
layout [groups, window * in features, out features], and the product is the
`dot_general` lowering's contraction, so the CPU schedule tiles it as any matmul (packed
and register-tiled). A last copy puts the result's dims in the order of `out_spec` where
they are not already.

The gradient of a max / min window (select_and_scatter_add) finds each window's
selected position (its first maximum or minimum), then adds each window's source value
there: an scf.for over the window positions, each adding into one strided slice of the
padded result.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.dialects.types import TensorSpec
from mlax.lowering.linalg.builders import (el, empty, extract_slice, filled, generic, identity,
                                           index_const, insert_slice, is_float, is_unsigned,
                                           loop_nest, reassoc_attr, scalar_const, ttype)
from mlax.lowering.linalg.elementwise import CMP_FLOAT, CMP_SIGNED, CMP_UNSIGNED, by_dtype, \
    maximum, minimum
from mlax.lowering.linalg.reductions import _dot_general_rule, _highest, _lowest


# ---------------------------------------------------------------------------------------
# Affine helpers


def _d(i):
    return ir.AffineDimExpr.get(i)


def _c(n):
    return ir.AffineConstantExpr.get(int(n))


def _mul(e, n):
    return e if n == 1 else ir.AffineMulExpr.get(e, _c(n))


def _add(a, b):
    return ir.AffineAddExpr.get(a, b)


def _window_expr(o, k, stride, dilation):
    """o * stride + k * dilation, for loop dims o and k."""
    return _add(_mul(_d(o), stride), _mul(_d(k), dilation))


def _amap(ndims, exprs):
    return ir.AffineMap.get(ndims, 0, list(exprs))


def _dilate(n, d):
    return 0 if n == 0 else 1 + d * (n - 1)


# ---------------------------------------------------------------------------------------
# Padding


def _pad(v, spec, value, low, high, interior):
    """`v` (of `spec`) padded with the scalar Value `value` (storage type): `low` / `high`
    elements before / after each dim (negative: removed), `interior` between neighbours.
    Returns the padded tensor and, per dim, where the result starts in the tensor that
    the non-negative padding alone makes (`full`, also returned)."""
    if not any(low) and not any(high) and not any(interior):
        return v, list(spec.shape), [0] * len(spec.shape)
    lo = [max(p, 0) for p in low]
    hi = [max(p, 0) for p in high]
    full_shape = [l + h + _dilate(n, i + 1) for l, h, n, i in zip(lo, hi, spec.shape, interior)]
    full = linalg.fill(value, outs=[empty(TensorSpec(tuple(full_shape), spec.dtype))])
    if all(n > 0 for n in spec.shape):
        full = insert_slice(v, full, lo, strides=[i + 1 for i in interior])
    crop = [max(-p, 0) for p in low]
    shape = [f - c - max(-p, 0) for f, c, p in zip(full_shape, crop, high)]
    if shape == full_shape:
        return full, shape, crop
    return extract_slice(full, crop, shape), shape, crop


# ---------------------------------------------------------------------------------------
# rev


def _rev_rule(op):
    out = op.out_specs[0]
    n = len(out.shape)
    dims = op.attrs["dimensions"]
    exprs = [_add(_c(out.shape[i] - 1), _mul(_d(i), -1)) if i in dims else _d(i)
             for i in range(n)]
    return generic([out], op.operands, op.in_dtypes, [_amap(n, exprs)], [identity(n)],
                   ["parallel"] * n, lambda a, _: [a])


# ---------------------------------------------------------------------------------------
# conv


class _Contraction:
    """A dot_general for the dot_general lowering rule to lower (the shape of
    mlax.lowering.linalg.Op that the rule reads)."""

    def __init__(self, lhs, rhs, lhs_spec, rhs_spec, out_spec, batch):
        self.operands = [lhs, rhs]
        self.in_specs = [lhs_spec, rhs_spec]
        self.out_specs = [out_spec]
        self.in_dtypes = [lhs_spec.dtype, rhs_spec.dtype]
        nb = 1 if batch else 0
        self.attrs = {"lhs_contracting_dimensions": (len(lhs_spec.shape) - 1,),
                      "rhs_contracting_dimensions": (nb,),
                      "lhs_batch_dimensions": (0,) if batch else (),
                      "rhs_batch_dimensions": (0,) if batch else ()}


def _flat(ivs, sizes):
    """The row-major flat index (an index Value) of loop position `ivs` in `sizes`."""
    if not ivs:
        return index_const(0)
    flat = ivs[0]
    for iv, n in zip(ivs[1:], sizes[1:]):
        flat = arith.addi(arith.muli(flat, index_const(n)), iv)
    return flat


def _im2col(src, spec, g0, space, window, strides, dilation):
    """The windows of `src` ([group?, batch, padded spatial..., feature]) as
    [group?, batch, out spatial..., window * feature]: strided slices copied in a loop
    over the window's positions, or over the out positions where there are fewer.

    Slices, not a generic, and no reshape: elementwise fusion would fold a copying generic
    into the contraction (its reads then no longer permutations), and reshape propagation
    would split the contraction's k loop, both of which leave the CPU schedule only scalar
    loops."""
    nsp = len(space)
    lead = list(spec.shape[:g0 + 1])
    feat = spec.shape[-1]
    kc = int(np.prod(window)) * feat
    out_spec = TensorSpec(tuple(lead) + tuple(space) + (kc,), spec.dtype)
    zeros = [0] * (g0 + 1)

    def by_window(ivs, acc):
        starts = [arith.muli(iv, index_const(d)) for iv, d in zip(ivs, dilation)]
        part = extract_slice(src, zeros + starts + [0], lead + list(space) + [feat],
                             [1] * (g0 + 1) + list(strides) + [1])
        col = arith.muli(_flat(ivs, window), index_const(feat))
        return [insert_slice(part, acc, zeros + [0] * nsp + [col])]

    def by_position(ivs, acc):
        starts = [arith.muli(iv, index_const(st)) for iv, st in zip(ivs, strides)]
        block = lead + list(window) + [feat]
        part = extract_slice(src, zeros + starts + [0], block,
                             [1] * (g0 + 1) + list(dilation) + [1])
        flat_spec = TensorSpec(tuple(lead) + (kc,), spec.dtype)
        part = tensor.CollapseShapeOp(ttype(flat_spec), part, reassoc_attr(
            [[i] for i in range(g0 + 1)] + [list(range(g0 + 1, g0 + 2 + nsp))])).result
        return [insert_slice(part, acc, zeros + list(ivs) + [0],
                             sizes=lead + [1] * nsp + [kc])]
    if np.prod(window) <= np.prod(space):
        return loop_nest(window, [empty(out_spec)], by_window)[0], out_spec
    return loop_nest(space, [empty(out_spec)], by_position)[0], out_spec


def _kernel_rows(src, spec, g0, window):
    """`src` ([group?, window..., in feature, out feature]) as
    [group?, window * in feature, out feature], by slices (see _im2col)."""
    lead = list(spec.shape[:g0])
    cg, og = spec.shape[-2:]
    out_spec = TensorSpec(tuple(lead) + (int(np.prod(window)) * cg, og), spec.dtype)
    nsp = len(window)

    def body(ivs, acc):
        part = extract_slice(src, [0] * g0 + list(ivs) + [0, 0], lead + [1] * nsp + [cg, og],
                             result_shape=lead + [cg, og])
        row = arith.muli(_flat(ivs, window), index_const(cg))
        return [insert_slice(part, acc, [0] * g0 + [row, 0])]
    return loop_nest(window, [empty(out_spec)], body)[0], out_spec


def _conv_rule(op):
    lhs_t, rhs_t = op.in_specs
    out = op.out_specs[0]
    a = op.attrs
    ls, rs, os_ = a["lhs_spec"], a["rhs_spec"], a["out_spec"]
    nsp = len(ls) - 2
    dtype = lhs_t.dtype
    groups = max(a["feature_group_count"], a["batch_group_count"])
    by_batch = a["batch_group_count"] > 1
    n_batch, n_feat = lhs_t.shape[ls[0]], lhs_t.shape[ls[1]]
    out_feat, cg = rhs_t.shape[rs[0]], rhs_t.shape[rs[1]]
    window = [rhs_t.shape[d] for d in rs[2:]]
    og = out_feat // groups
    nb = n_batch // a["batch_group_count"]
    space = [out.shape[d] for d in os_[2:]]
    if 0 in out.shape:
        return [empty(out)]
    if cg == 0 or 0 in window:
        return [filled(out, 0)]

    # The lhs padded and dilated along its spatial dims, in its own layout.
    low, high, interior = [0] * len(ls), [0] * len(ls), [0] * len(ls)
    for i, d in enumerate(ls[2:]):
        low[d], high[d] = a["padding_low"][i], a["padding_high"][i]
        interior[d] = a["lhs_dilation"][i] - 1
    zero = scalar_const(dtype, 0, storage=True)
    padded, padded_shape, _ = _pad(op.operands[0], lhs_t, zero, low, high, interior)

    # The padded lhs as [group?, batch, spatial..., in feature] (a copy unless it is).
    g0 = 1 if groups > 1 else 0
    canon_rank = g0 + nsp + 2
    exprs = [None] * len(ls)
    exprs[ls[0]] = _add(_mul(_d(0), nb), _d(g0)) if by_batch else _d(g0)
    exprs[ls[1]] = (_add(_mul(_d(0), cg), _d(canon_rank - 1)) if g0 and not by_batch
                    else _d(canon_rank - 1))
    for i, d in enumerate(ls[2:]):
        exprs[d] = _d(g0 + 1 + i)
    canon_spec = TensorSpec(((groups,) if g0 else ()) + (nb,)
                            + tuple(padded_shape[d] for d in ls[2:]) + (cg,), dtype)
    if g0 or list(ls) != [0, len(ls) - 1] + list(range(1, len(ls) - 1)):
        padded = generic([canon_spec], [padded], [dtype], [_amap(canon_rank, exprs)],
                         [identity(canon_rank)], ["parallel"] * canon_rank,
                         lambda x, _: [x])[0]
    patches, patch_spec = _im2col(padded, canon_spec, g0, space, window, a["window_strides"],
                                  a["rhs_dilation"])

    # The kernel as [group?, window..., in feature, out feature] (a copy unless it is),
    # then as rows [group?, window * in feature, out feature].
    rloops = g0 + nsp + 2
    rexprs = [None] * len(rs)
    rexprs[rs[0]] = _add(_mul(_d(0), og), _d(rloops - 1)) if g0 else _d(rloops - 1)
    rexprs[rs[1]] = _d(rloops - 2)
    for i, d in enumerate(rs[2:]):
        rexprs[d] = _d(g0 + i)
    kern_spec = TensorSpec(((groups,) if g0 else ()) + tuple(window) + (cg, og), dtype)
    kern = op.operands[1]
    if g0 or list(rs) != [len(rs) - 1, len(rs) - 2] + list(range(nsp)):
        kern = generic([kern_spec], [kern], [dtype], [_amap(rloops, rexprs)],
                       [identity(rloops)], ["parallel"] * rloops, lambda x, _: [x])[0]
    rows, rows_spec = _kernel_rows(kern, kern_spec, g0, window)

    # The product [group?, batch, out spatial..., out feature]: the dot_general lowering.
    res_spec = TensorSpec(patch_spec.shape[:-1] + (og,), dtype)
    res = _dot_general_rule(_Contraction(patches, rows, patch_spec, rows_spec, res_spec, g0))[0]
    # The result's dims in the order of out_spec: loops over the result's dims.
    n = len(os_)
    if not g0 and list(os_) == [0, n - 1] + list(range(1, n - 1)):
        return [res]
    rexprs = []
    if g0:
        rexprs.append(ir.AffineFloorDivExpr.get(_d(os_[1]), _c(og)))
    rexprs.append(_d(os_[0]))
    rexprs += [_d(d) for d in os_[2:]]
    rexprs.append(ir.AffineModExpr.get(_d(os_[1]), _c(og)) if g0 else _d(os_[1]))
    return generic([out], [res], [dtype], [_amap(n, rexprs)], [identity(n)],
                   ["parallel"] * n, lambda x, _: [x])


# ---------------------------------------------------------------------------------------
# Windows


def _window_loops(x_spec, attrs):
    """Loops [out..., window...]: the read map of the padded operand, the window's empty
    tensor and its identity map, the out map."""
    n = len(x_spec.shape)
    exprs = [_window_expr(i, n + i, attrs["window_strides"][i], attrs["window_dilation"][i])
             for i in range(n)]
    shape_only = tensor.EmptyOp(list(attrs["window_dimensions"]), el(x_spec.dtype)).result
    return (_amap(2 * n, exprs), shape_only, _amap(2 * n, [_d(n + i) for i in range(n)]),
            _amap(2 * n, [_d(i) for i in range(n)]))


def _padded_operand(v, x_spec, value, attrs):
    return _pad(v, x_spec, value, attrs["padding_low"], attrs["padding_high"],
                [d - 1 for d in attrs["base_dilation"]])


_COMBINE = {
    "add": lambda dt, a, x: by_dtype(arith.addf, arith.addi)(dt, a, x),
    "mul": lambda dt, a, x: by_dtype(arith.mulf, arith.muli)(dt, a, x),
    "max": maximum,
    "min": minimum,
}


_IDENTITY = {"add": lambda dt: 0, "mul": lambda dt: 1, "max": _lowest, "min": _highest}


def _reduce_window_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    a = op.attrs
    if 0 in out.shape:
        return [empty(out)]
    # Padding and holes take no part (XLA skips them): they hold the identity.
    init = scalar_const(x.dtype, _IDENTITY[a["computation"]](x.dtype), storage=True)
    padded, _, _ = _padded_operand(op.operands[0], x, init, a)
    read, shape_only, kmap, omap = _window_loops(x, a)
    n = len(x.shape)
    start = linalg.fill(init, outs=[empty(out)])
    combine = _COMBINE[a["computation"]]
    return generic([out], [padded, shape_only], [x.dtype, x.dtype], [read, kmap], [omap],
                   ["parallel"] * n + ["reduction"] * n,
                   lambda v, _, acc: [combine(x.dtype, acc, v)], inits=[start])


def _keeps(dtype, select, best, v):
    """Whether the window's selection so far stays selected against `v` (XLA's select
    function: best >= v for "ge", best <= v for "le")."""
    if is_float(dtype):
        return arith.cmpf(getattr(arith.CmpFPredicate, CMP_FLOAT[select]), best, v)
    table = CMP_UNSIGNED if is_unsigned(dtype) else CMP_SIGNED
    return arith.cmpi(getattr(arith.CmpIPredicate, table[select]), best, v)


def _worst(dtype, select):
    """The padding value a selection never prefers."""
    return _lowest(dtype) if select == "ge" else _highest(dtype)


def _select_and_gather_add_rule(op):
    t_spec, x = op.in_specs
    out = op.out_specs[0]
    a = op.attrs
    if 0 in out.shape:
        return [empty(out)]
    dtype, sel = x.dtype, a["select"]
    xs, _, _ = _padded_operand(op.operands[1], x, scalar_const(dtype, _worst(dtype, sel), True), a)
    ts, _, _ = _padded_operand(op.operands[0], t_spec, scalar_const(dtype, 0, True), a)
    read, shape_only, kmap, omap = _window_loops(x, a)
    n = len(x.shape)

    def body(v, t, _, best, best_t):
        keep = _keeps(dtype, sel, best, v)
        return [arith.select(keep, best, v), arith.select(keep, best_t, t)]
    outs = generic([out, out], [xs, ts, shape_only], [dtype, dtype, dtype], [read, read, kmap],
                   [omap, omap], ["parallel"] * n + ["reduction"] * n, body,
                   inits=[filled(out, _worst(dtype, sel)), filled(out, 0)])
    return [outs[1]]


def _select_and_scatter_add_rule(op):
    s_spec, x = op.in_specs
    a = op.attrs
    dtype, sel = x.dtype, a["select"]
    n = len(x.shape)
    if 0 in x.shape:
        return [empty(x)]
    if 0 in s_spec.shape:
        return [filled(x, 0)]
    xs, _, crop = _padded_operand(op.operands[1], x, scalar_const(dtype, _worst(dtype, sel), True), a)
    read, shape_only, kmap, omap = _window_loops(x, a)
    window = list(a["window_dimensions"])
    # Each window's selected position, as its flat index in the window.
    i64 = ir.IntegerType.get_signless(64)
    pos_spec = TensorSpec(s_spec.shape, np.dtype(np.int64))

    def select_body(v, _, best, best_k):
        flat = None
        for i in range(n):
            k = arith.index_cast(i64, linalg.IndexOp(n + i).result)
            flat = k if flat is None else arith.addi(arith.muli(flat, arith.constant(i64, window[i])), k)
        keep = _keeps(dtype, sel, best, v)
        return [arith.select(keep, best, v), arith.select(keep, best_k, flat)]
    _, chosen = generic([s_spec, pos_spec], [xs, shape_only], [dtype, dtype], [read, kmap],
                        [omap, omap], ["parallel"] * n + ["reduction"] * n, select_body,
                        inits=[filled(s_spec, _worst(dtype, sel)), filled(pos_spec, -1)])
    # The sums, in the padded operand's coordinates (before negative padding crops).
    lo = [max(p, 0) for p in a["padding_low"]]
    hi = [max(p, 0) for p in a["padding_high"]]
    full_shape = [l + h + _dilate(m, d) for l, h, m, d in zip(lo, hi, x.shape, a["base_dilation"])]
    full_spec = TensorSpec(tuple(full_shape), dtype)
    add = by_dtype(arith.addf, arith.addi)
    ident = identity(n)

    def add_at(ivs, acc):
        # The windows' sums at window position k: a strided slice of the result.
        offsets = [arith.addi(index_const(c), arith.muli(iv, index_const(wd)))
                   for c, iv, wd in zip(crop, ivs, a["window_dilation"])]
        part = extract_slice(acc, offsets, s_spec.shape, a["window_strides"])
        flat = arith.index_cast(i64, _flat(ivs, window))

        def body(src, pos, cur, _):
            hit = arith.cmpi(arith.CmpIPredicate.eq, pos, flat)
            return [arith.select(hit, add(dtype, cur, src), cur)]
        part = generic([s_spec], [op.operands[0], chosen, part],
                       [dtype, np.dtype(np.int64), dtype], [ident] * 3, [ident],
                       ["parallel"] * n, body)[0]
        return [insert_slice(part, acc, offsets, strides=a["window_strides"])]
    acc = loop_nest(window, [filled(full_spec, 0)], add_at)[0]
    return [extract_slice(acc, lo, x.shape, a["base_dilation"])]


LOWERINGS = {
    "mlax.rev": _rev_rule,
    "mlax.conv": _conv_rule,
    "mlax.reduce_window": _reduce_window_rule,
    "mlax.select_and_gather_add": _select_and_gather_add_rule,
    "mlax.select_and_scatter_add": _select_and_scatter_add_rule,
}
