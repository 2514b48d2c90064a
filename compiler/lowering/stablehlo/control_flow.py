"""The structural kinds left after the target-neutral pipeline: each `mlax.cond`,
`mlax.while` and `mlax.scan` declaration is given a body of one StableHLO op whose
regions call the branch / loop functions with func.call (XLA inlines them):

    cond   -> stablehlo.case on the branch index, one region per branch
    while  -> stablehlo.while over (state..., consts...): the cond region calls `cond`,
              the body region calls `body` and passes the consts through
    scan   -> stablehlo.while over (i, carry..., ys..., xs..., consts...): the body
              slices xs at i (length - 1 - i when `reverse`) with stablehlo.dynamic_slice,
              calls `body`, writes the y slices with stablehlo.dynamic_update_slice

`LOWER_KINDS[kind](fn, decl, ftype)` builds the body of the declaration `fn` (its entry
block has the declared arguments) from its entries `decl` and its function type.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import func

from mlax.dialects import spec_of_type
from mlax.passes import PassError
from mlax.lowering.stablehlo.builders import (block, compare, const, hlo, reshape, ret, same,
                                              spec, ttype)


def _call(callee, result_types, operands) -> list:
    return list(func.CallOp(list(result_types), callee, list(operands)).results)


def _lower_cond(fn, decl, ftype):
    entry = fn.regions[0].blocks[0]
    index, *args = entry.arguments
    with ir.InsertionPoint(entry):
        case = hlo("stablehlo.case", [index], ftype.results, regions=len(decl.branches))
        for i, branch in enumerate(decl.branches):
            with ir.InsertionPoint(block(case, i, [])):
                ret(_call(branch, ftype.results, args))
        func.ReturnOp(list(case.results))


def _lower_while(fn, decl, ftype):
    entry = fn.regions[0].blocks[0]
    args = list(entry.arguments)
    types = [a.type for a in args]
    n_state = len(args) - decl.num_consts
    with ir.InsertionPoint(entry):
        loop = hlo("stablehlo.while", args, types, regions=2)
        before = block(loop, 0, types)
        with ir.InsertionPoint(before):
            ret(_call(decl.cond, [ttype((), np.bool_)], before.arguments))
        after = block(loop, 1, types)
        with ir.InsertionPoint(after):
            state = _call(decl.body, types[:n_state], after.arguments)
            ret(state + list(after.arguments)[n_state:])
        func.ReturnOp(list(loop.results)[:n_state])


def _lower_scan(fn, decl, ftype):
    entry = fn.regions[0].blocks[0]
    args = list(entry.arguments)
    nc, nk = decl.num_carry, decl.num_consts
    carry, xs, consts = args[:nc], args[nc:len(args) - nk], args[len(args) - nk:]
    ys_specs = [spec_of_type(t) for t in list(ftype.results)[nc:]]
    ys_types = list(ftype.results)[nc:]
    y_slice_types = [ttype(s.shape[1:], s.dtype) for s in ys_specs]
    with ir.InsertionPoint(entry):
        ys0 = [const(s.dtype, 0, s.shape) for s in ys_specs]
        if decl.length == 0:      # no step: no slice of the (empty) xs may be taken
            func.ReturnOp(carry + ys0)
            return
        init = [const(np.int32, 0)] + carry + ys0 + xs + consts
        types = [v.type for v in init]
        loop = hlo("stablehlo.while", init, types, regions=2)
        before = block(loop, 0, types)
        with ir.InsertionPoint(before):
            ret([compare("LT", before.arguments[0], const(np.int32, decl.length))])
        after = block(loop, 1, types)
        with ir.InsertionPoint(after):
            i, *rest = after.arguments
            c = rest[:nc]
            ys = rest[nc:nc + len(ys_types)]
            xv = rest[nc + len(ys_types):nc + len(ys_types) + len(xs)]
            k = rest[nc + len(ys_types) + len(xs):]
            at = same("stablehlo.subtract", const(np.int32, decl.length - 1), i) \
                if decl.reverse else i
            zero = const(np.int32, 0)
            slices = []
            for x in xv:
                s = spec(x)
                piece = hlo("stablehlo.dynamic_slice", [x, at] + [zero] * (len(s.shape) - 1),
                            [ttype((1,) + s.shape[1:], s.dtype)],
                            {"slice_sizes": ir.DenseI64ArrayAttr.get([1, *s.shape[1:]])}).result
                slices.append(reshape(piece, s.shape[1:]))
            out = _call(decl.body, [v.type for v in c] + y_slice_types, c + slices + k)
            new_ys = []
            for acc, y in zip(ys, out[nc:]):
                s = spec(acc)
                upd = reshape(y, (1,) + s.shape[1:])
                new_ys.append(hlo("stablehlo.dynamic_update_slice",
                                  [acc, upd, at] + [zero] * (len(s.shape) - 1), [acc.type]).result)
            ret([same("stablehlo.add", i, const(np.int32, 1))] + out[:nc] + new_ys + xv + k)
        func.ReturnOp(list(loop.results)[1:1 + nc + len(ys_types)])


def _lower_callback(fn, decl, ftype):
    raise PassError("host callbacks (mlax.callback) are not lowered to StableHLO yet "
                    "(tpu backend)")


LOWER_KINDS = {
    "cond": _lower_cond,
    "while": _lower_while,
    "scan": _lower_scan,
    "callback": _lower_callback,
}
