"""`--mlax-flatten-zero-size-boundary`: zero-size tensors cross public function boundaries
as `tensor<0xT>`.

Compiled functions take bare pointers (`convert-func-to-llvm{use-bare-ptr-memref-call-conv}`),
which needs every memref of the signature to have static strides. MLIR's canonical strides
treat a zero-size dimension like a dynamic one (`makeCanonicalStridedLayoutExpr`): in
`memref<3x0xf32>` the stride of dim 0 is unknown. One such memref makes the whole
function fall back to memref descriptors - several arguments per buffer - while the
runtime passes one pointer each, so the function read garbage for its arguments.

A zero-size tensor holds no data: the function never reads or writes any element of it.
So its argument becomes `tensor<0xT>` (strides static), its uses a `tensor.empty` of the
original type, and a zero-size result is returned as an empty `tensor<0xT>`. The caller
still passes (and allocates) its own buffers; nothing is read or written through them.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import tensor

from mlax.passes import register


def _needs_flattening(t) -> bool:
    """A zero-size ranked tensor of rank > 1 (rank 1 already has static strides)."""
    return isinstance(t, ir.RankedTensorType) and t.rank > 1 and 0 in list(t.shape)


def _flat(t: ir.RankedTensorType) -> ir.RankedTensorType:
    return ir.RankedTensorType.get([0], t.element_type)


def _is_public(fn) -> bool:
    return ("sym_visibility" not in fn.attributes
            or ir.StringAttr(fn.attributes["sym_visibility"]).value == "public")


def flatten_boundary(fn):
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    ins, outs = list(ftype.inputs), list(ftype.results)
    if not any(_needs_flattening(t) for t in ins + outs):
        return
    entry = fn.regions[0].blocks[0]
    for i, arg in enumerate(entry.arguments):
        if _needs_flattening(arg.type):
            t = ir.RankedTensorType(arg.type)
            with ir.InsertionPoint.at_block_begin(entry), fn.location:
                empty = tensor.EmptyOp(list(t.shape), t.element_type).result
            arg.replace_all_uses_with(empty)
            arg.set_type(_flat(t))
            ins[i] = _flat(t)
    for block in fn.regions[0].blocks:
        ret = block.operations[len(block.operations) - 1]
        if ret.operation.name != "func.return":
            continue
        for i, v in enumerate(list(ret.operands)):
            if _needs_flattening(v.type):
                flat = _flat(ir.RankedTensorType(v.type))
                with ir.InsertionPoint(ret), ret.location:
                    ret.operands[i] = tensor.EmptyOp([0], flat.element_type).result
                outs[i] = flat
    fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(ins, outs))


@register("mlax-flatten-zero-size-boundary",
          "Pass zero-size tensors across public function boundaries as tensor<0xT>")
def flatten_zero_size_boundary(module_op):
    for fn in module_op.regions[0].blocks[0].operations:
        fn = fn.operation
        if fn.name == "func.func" and len(fn.regions[0].blocks) and _is_public(fn):
            flatten_boundary(fn)
