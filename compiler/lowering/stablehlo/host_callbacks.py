"""The body of an `mlax.callback` declaration (a host callback's call site) for XLA: one
`stablehlo.custom_call` of jaxlib's Python-callback handler, as JAX's CPU lowering emits it
(jax._src.callback.emit_python_callback):

    %r = stablehlo.custom_call @xla_ffi_python_cpu_callback(%a) {has_side_effect = ...,
             mhlo.backend_config = {index = K : ui64}} : (tensor<3xf32>) -> tensor<3xf32>

K is the call site's position in the module's list of host callbacks, the module attribute
`mlax.host_callbacks`: one descriptor per call site (mlax.runtime.callbacks.descriptor:
the callback id, operand and result shapes and dtypes, vmap levels and method). The tpu
backend compiles the module with one Python function per descriptor, in that order, which
PJRT hands to the handler (`compile_and_load(..., host_callbacks=...)`). Debug and io
callbacks have side effects (XLA neither removes nor reorders them); a pure callback whose
results are unused may be removed, as in JAX.

The handler is XLA's CPU client's (the stand-in); a real TPU runs JAX's callbacks through
host send/recv instead, and no artifact may hold one (`calls_host` finds them, for the
backend's error)."""
from __future__ import annotations

from mlir import ir
from mlir.dialects import func

from mlax.lowering.stablehlo.builders import boolean, dims, hlo
from mlax.runtime import callbacks

TARGET = "xla_ffi_python_cpu_callback"
MODULE_ATTR = "mlax.host_callbacks"


def _row_major(t) -> ir.Attribute:
    """The layout of a tensor (a token's is empty, as a scalar's)."""
    rank = 0 if t == _token_type() else ir.RankedTensorType(t).rank
    return ir.Attribute.parse(f"dense<{dims(range(rank - 1, -1, -1)) if rank else ''}> "
                              f": tensor<{rank}xindex>")


def _register(fn, text: str) -> int:
    """The index of descriptor `text` in the module's `mlax.host_callbacks` list (added)."""
    module_op = fn.operation.parent
    known = ([ir.StringAttr(a).value for a in ir.ArrayAttr(module_op.attributes[MODULE_ATTR])]
             if MODULE_ATTR in module_op.attributes else [])
    module_op.attributes[MODULE_ATTR] = ir.ArrayAttr.get(
        [ir.StringAttr.get(t) for t in known + [text]])
    return len(known)


def _token_type() -> ir.Type:
    return ir.Type.parse("!stablehlo.token")


def _lower_callback(fn, decl, ftype):
    entry = fn.regions[0].blocks[0]
    dtypes = decl.dtypes.split(",") if decl.dtypes else []
    types = list(ftype.inputs) + list(ftype.results)
    shapes = [list(ir.RankedTensorType(t).shape) for t in types]
    n_in = len(ftype.inputs)
    text = callbacks.descriptor(decl.callback_id, list(zip(shapes[:n_in], dtypes[:n_in])),
                                list(zip(shapes[n_in:], dtypes[n_in:])), decl.batch_sizes,
                                decl.batched, decl.vmap_method, token=decl.ordered)
    index = _register(fn, text)
    operands, results = list(entry.arguments), list(ftype.results)
    if decl.ordered:
        # (args..., token) -> (results..., token); the custom call takes and gives the
        # token first, as JAX's does. thread_tokens passes it from call to call.
        token = entry.add_argument(_token_type(), fn.location)
        operands, results = [token] + operands, [token.type] + results
        fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
            list(ftype.inputs) + [token.type], list(ftype.results) + [token.type]))
    attrs = {
        "call_target_name": ir.StringAttr.get(TARGET),
        "api_version": ir.IntegerAttr.get(ir.IntegerType.get_signless(32), 1),
        "backend_config": ir.StringAttr.get(""),
        "has_side_effect": boolean(decl.effect != "pure"),
        "operand_layouts": ir.ArrayAttr.get([_row_major(v.type) for v in operands]),
        "result_layouts": ir.ArrayAttr.get([_row_major(t) for t in results]),
        "mhlo.backend_config": ir.Attribute.parse(f"{{index = {index} : ui64}}"),
    }
    with ir.InsertionPoint(entry):
        call = hlo("stablehlo.custom_call", operands, results, attrs)
        outs = list(call.results)
        func.ReturnOp(outs[1:] + outs[:1] if decl.ordered else outs)


def _is_ordered(fn) -> bool:
    inputs = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value).inputs
    return len(inputs) > 0 and inputs[-1] == _token_type()


def thread_tokens(module_op):
    """Pass a token from each call of an ordered callback to the next in every function
    (a token made at its start by `stablehlo.after_all`), so that XLA runs them in program
    order; without a data dependence it may run side effects in any order."""
    funcs = [op.operation for op in module_op.regions[0].blocks[0].operations
             if op.operation.name == "func.func"]
    ordered = {ir.StringAttr(f.attributes["sym_name"]).value for f in funcs if _is_ordered(f)}
    if not ordered:
        return
    for fn in funcs:
        if not len(fn.regions[0].blocks):
            continue
        entry = fn.regions[0].blocks[0]
        token = None
        for op in [o.operation for o in entry.operations]:
            if (op.name != "func.call"
                    or ir.FlatSymbolRefAttr(op.attributes["callee"]).value not in ordered):
                continue
            if token is None:
                with ir.InsertionPoint.at_block_begin(entry), fn.location:
                    token = hlo("stablehlo.after_all", [], [_token_type()]).result
            with ir.InsertionPoint(op), op.location:
                call = func.CallOp([r.type for r in op.results] + [token.type],
                                   ir.FlatSymbolRefAttr(op.attributes["callee"]).value,
                                   list(op.operands) + [token])
            for old, new in zip(op.results, call.results):
                old.replace_all_uses_with(new)
            op.erase()
            token = call.results[-1]


def calls_host(module_op) -> list:
    """The locations of the module's calls of host callbacks (lowered): each call site of a
    function holding the handler's custom call (the user's line), else the custom call."""
    holders, sites = {}, []

    def find_holders(op):
        if (op.name == "stablehlo.custom_call"
                and ir.StringAttr(op.attributes["call_target_name"]).value == TARGET):
            fn = op.parent
            holders[ir.StringAttr(fn.attributes["sym_name"]).value] = op.location
        return ir.WalkResult.ADVANCE

    def find_sites(op):
        if (op.name == "func.call"
                and ir.FlatSymbolRefAttr(op.attributes["callee"]).value in holders):
            sites.append(op.location)
        return ir.WalkResult.ADVANCE

    module_op.walk(find_holders)
    if holders:
        module_op.walk(find_sites)
    return sites or list(holders.values())


def host_callbacks(module_op) -> list[str]:
    """The module's host-callback descriptors, in the order of their custom calls' index."""
    if MODULE_ATTR not in module_op.attributes:
        return []
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(module_op.attributes[MODULE_ATTR])]


LOWER_KINDS = {"callback": _lower_callback}
