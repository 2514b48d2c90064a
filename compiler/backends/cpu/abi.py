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
from mlir.dialects import bufferization, tensor

from mlax.passes import ModulePass, PassError, register


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


@register
class FlattenZeroSizeBoundaryPass(ModulePass):
    """Pass zero-size tensors across public function boundaries as tensor<0xT>."""
    name = "mlax-flatten-zero-size-boundary"

    def run(self, module_op):
        flatten_zero_size_boundary(module_op)


def flatten_zero_size_boundary(module_op):
    for fn in module_op.regions[0].blocks[0].operations:
        fn = fn.operation
        if fn.name == "func.func" and len(fn.regions[0].blocks) and _is_public(fn):
            flatten_boundary(fn)


def _check_callees_have_bodies(module_op):
    """Raise PassError at a call to a function without a body that takes or returns
    tensors.

    Such a function cannot be compiled or linked, and bufferization gives the call's
    results a run-time ownership check (an `i1` dealloc helper) on which MLIR 22's
    memref-to-LLVM lowering asserts. External functions of pointers and scalars only (the
    LAPACK routines the linear algebra ops call, the runtime's entry points such as
    `mlax_host_callback`) are linked from the runtime libraries or the process: calls to
    them are fine."""
    top = module_op.regions[0].blocks[0].operations

    declared = {ir.StringAttr(f.attributes["sym_name"]).value for f in top
                if f.operation.name == "func.func" and not len(f.regions[0].blocks)
                and _has_shaped_types(f)}
    if not declared:
        return
    errors = []

    def visit(op):
        if op.name == "func.call":
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            if callee in declared:
                errors.append(f"{op.location}: error: call to @{callee}, a function without "
                              "a body: only functions defined in the module can be compiled")
        return ir.WalkResult.ADVANCE
    module_op.walk(visit)
    if errors:
        raise PassError("\n".join(errors))


def _has_shaped_types(fn):
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    return any(isinstance(t, ir.ShapedType) for t in list(ftype.inputs) + list(ftype.results))


def copy_aliased_results(module_op):
    """Give every result of a function its own buffer, before bufferization.

    With results as out-parameters, a function that returns one value twice, or returns
    an argument, would have two out-parameters (or an argument and an out-parameter)
    share a buffer; upstream `buffer-results-to-out-params` crashes on the first. A copy
    into a fresh tensor separates them. Calls to functions without a body are errors
    here (see `_check_callees_have_bodies`)."""
    _check_callees_have_bodies(module_op)
    for fn in module_op.regions[0].blocks[0].operations:
        if fn.operation.name != "func.func" or not len(fn.regions[0].blocks):
            continue
        args = set(fn.regions[0].blocks[0].arguments)
        for block in fn.regions[0].blocks:
            ret = block.operations[len(block.operations) - 1]
            if ret.operation.name != "func.return":
                continue
            seen = set()
            for i, v in enumerate(list(ret.operands)):
                if not isinstance(v.type, ir.RankedTensorType):
                    continue
                if v in seen or v in args:
                    with ir.InsertionPoint(ret), ret.location:
                        # alloc_tensor, not tensor.empty + copy: eliminate-empty-tensors
                        # would make that copy write in place again.
                        ret.operands[i] = bufferization.AllocTensorOp(v.type, [], copy=v).result
                seen.add(v)


@register
class CopyAliasedResultsPass(ModulePass):
    """Copy function results that repeat another result or an argument; reject calls to
    functions without a body."""
    name = "mlax-copy-aliased-results"

    def run(self, module_op):
        copy_aliased_results(module_op)
