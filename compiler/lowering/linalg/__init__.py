"""`--mlax-lower-to-linalg`: mlax ops -> linalg / tensor / arith / math on tensors.

This is the target-neutral lowering: every backend that goes through linalg starts from
its output. `LOWERINGS` maps an op name to its rule:

    rule(op: Op) -> list[ir.Value]

where `Op` gives the original operand/result `TensorSpec`s (`op.in_specs`,
`op.out_specs`; unsigned dtypes intact), the already-lowered operand values
(`op.operands`), and the attributes as Python values (`op.attrs`). Rules run with the
insertion point and location of the op they replace. Lowered values are signless
(`ui32` becomes `i32`); rules pick signed or unsigned arith ops from the specs. A rule
that cannot lower its op raises `PassError` naming the op; the pass adds the op's
location.

The rules live in one file per op family, each ending with its own `LOWERINGS` table;
this driver's table is their union:

    builders.py      shared builders: storage types, constants, linalg.generic, slices, loops
    elementwise.py   elementwise ops (scalar bodies in `SCALAR`), comparisons, select,
                     clamp, convert_element_type, bitcast_convert_type
    special.py       erf_inv, lgamma, digamma, nextafter (XLA's algorithms)
    shape.py         iota, broadcast_in_dim, reshape, transpose, slice, concatenate, pad
    reductions.py    reduce_*, argmax / argmin (float sums in blocks), dot_general
    indexing.py      dynamic_slice / dynamic_update_slice, gather, scatter
    cumulative.py    cumsum, cumprod, cummax, cummin, cumlogsumexp
    sort.py          sort, top_k
    lapack.py        cholesky, lu, triangular_solve, qr (geqrf or geqp3), eigh, svd, eig, schur, geqrf,
                     householder_product (calls of LAPACK)
    random_bits.py   threefry2x32
    fft.py           fft (mixed-radix Cooley-Tukey over constant DFT matrices)
    collectives.py   collective: an error (vmap of its named axis replaces it)
    windows.py       conv (im2col + the dot_general contraction), reduce_window,
                     select_and_gather_add / select_and_scatter_add, rev

Besides the ops, the pass gives functions, calls and constants their storage types
(unsigned -> signless, bool -> i8). Ops that update a tensor in place (indexing,
cumulative, sort) rely on one-shot bufferization to copy where needed; the pass marks
every tensor argument `bufferization.writable = false`, since arguments are the caller's
immutable arrays.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, func

from mlax.dialects import spec_of_type
from mlax.lowering.linalg import (collectives, cumulative, elementwise, fft, indexing,
                                  lapack, random_bits, reductions, shape, sort, special,
                                  windows)
from mlax.lowering.linalg.builders import storage_type, wrap
from mlax.lowering.rules import Op, union
from mlax.passes import ModulePass, PassError, register


# Op name -> rule(op: Op) -> list[ir.Value] (see the module's docstring).
LOWERINGS = union("linalg", elementwise, special, shape, reductions, indexing, cumulative,
                  sort, random_bits, lapack, collectives, windows, fft)


# ---------------------------------------------------------------------------------------
# The pass


def _lower_constant(op):
    """arith.constant of an unsigned tensor -> the same bits as a signless tensor."""
    t = op.result.type
    st = storage_type(t)
    if st == t:
        return
    attr = ir.DenseElementsAttr(op.attributes["value"])
    spec = spec_of_type(t)
    if attr.is_splat:
        value = ir.IntegerAttr(attr.get_splat_value()).value
        new_attr = ir.DenseElementsAttr.get_splat(st, ir.IntegerAttr.get(st.element_type, wrap(value, spec.dtype)))
    elif spec.dtype == np.bool_:
        arr = np.array(attr).astype(np.int8)
        new_attr = ir.DenseElementsAttr.get(np.ascontiguousarray(arr).reshape(-1), type=st)
    else:
        arr = np.array(attr).astype(spec.dtype).view(np.dtype(f"i{spec.dtype.itemsize}"))
        new_attr = ir.DenseElementsAttr.get(np.ascontiguousarray(arr).reshape(-1), type=st)
    with ir.InsertionPoint(op), op.location:
        new = arith.ConstantOp(st, new_attr).result
    op.result.replace_all_uses_with(new)
    op.erase()


def _lower_function_types(fn):
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    ins = [storage_type(t) for t in ftype.inputs]
    outs = [storage_type(t) for t in ftype.results]
    fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(ins, outs))
    if len(fn.regions[0].blocks):
        for arg in fn.regions[0].blocks[0].arguments:
            arg.set_type(storage_type(arg.type))
        _mark_arguments_read_only(fn, len(ins))


def _mark_arguments_read_only(fn, n):
    """`bufferization.writable = false` on every tensor argument: arguments are the
    caller's (immutable) arrays, so ops that update a tensor in place (insert_slice,
    tensor.insert, scf.for iter_args) must bufferize to a copy, never into the argument."""
    old = list(ir.ArrayAttr(fn.attributes["arg_attrs"])) if "arg_attrs" in fn.attributes else [None] * n
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    dicts = []
    for a, t in zip(old, ftype.inputs):
        entries = {na.name: na.attr for na in ir.DictAttr(a)} if a is not None else {}
        if isinstance(t, ir.RankedTensorType):
            entries["bufferization.writable"] = ir.BoolAttr.get(False)
        dicts.append(ir.DictAttr.get(entries))
    fn.attributes["arg_attrs"] = ir.ArrayAttr.get(dicts)


def _lower_call(op):
    types = [storage_type(r.type) for r in op.results]
    if all(t == r.type for t, r in zip(types, op.results)):
        return
    with ir.InsertionPoint(op), op.location:
        new = func.CallOp(types, ir.FlatSymbolRefAttr(op.attributes["callee"]).value,
                          list(op.operands))
    for name in op.attributes:            # no_inline, among others, stays on the call
        if name not in new.attributes:
            new.attributes[name] = op.attributes[name]
    for old, v in zip(op.results, new.results):
        old.replace_all_uses_with(v)
    op.erase()


def lower_module(module_op):
    """Lower every mlax op in the module, in program order, to upstream dialects."""
    pending = []

    def collect(op):
        name = op.name
        if name.startswith("mlax."):
            pending.append(("mlax", op, [spec_of_type(v.type) for v in op.operands],
                            [spec_of_type(r.type) for r in op.results]))
        elif name == "arith.constant":
            pending.append(("const", op, None, None))
        elif name == "func.call":
            pending.append(("call", op, None, None))
        elif name == "func.func":
            pending.append(("func", op, None, None))
        return ir.WalkResult.ADVANCE

    module_op.walk(collect, ir.WalkOrder.PRE_ORDER)
    for kind, op, ins, outs in pending:
        if kind == "func":
            _lower_function_types(op)
            continue
        if kind == "const":
            _lower_constant(op)
            continue
        if kind == "call":
            _lower_call(op)
            continue
        rule = LOWERINGS.get(op.name)
        if rule is None:
            raise PassError(f"'{op.name}' has no linalg lowering (at {op.location})")
        with ir.InsertionPoint(op), op.location:
            try:
                results = rule(Op(op, ins, outs))
            except PassError as e:
                raise PassError(f"{e} (at {op.location})") from None
        for old, new in zip(op.results, results):
            old.replace_all_uses_with(new)
        op.erase()


@register
class LowerToLinalgPass(ModulePass):
    """Lower mlax ops to linalg, tensor, arith and math on tensors."""
    name = "mlax-lower-to-linalg"

    def run(self, module_op):
        lower_module(module_op)
