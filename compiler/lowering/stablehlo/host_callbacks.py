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


def _name(fn) -> str:
    return ir.StringAttr(fn.attributes["sym_name"]).value


def _callee(op):
    return ir.FlatSymbolRefAttr(op.attributes["callee"]).value if op.name == "func.call" \
        else None


def _callees(fn) -> set:
    """The functions `fn` calls anywhere in its body (loop and branch regions included)."""
    found = set()

    def visit(op):
        if op.name == "func.call":
            found.add(_callee(op))
        return ir.WalkResult.ADVANCE

    fn.walk(visit)
    return found


def _effectful(funcs) -> set:
    """The functions that run an ordered callback: the callbacks' declarations (they take
    a token last) and every function calling one of them, directly or through others."""
    effectful = {name for name, fn in funcs.items() if _is_ordered(fn)}
    calls = {name: _callees(fn) for name, fn in funcs.items()
             if name not in effectful and len(fn.regions[0].blocks)}
    grown = True
    while grown:
        grown = False
        for name, callees in calls.items():
            if name not in effectful and callees & effectful:
                effectful.add(name)
                grown = True
    return effectful


def _set_type(fn, inputs, results):
    fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))
    for key, n in (("arg_attrs", len(inputs)), ("res_attrs", len(results))):
        if key in fn.attributes:
            attrs = list(ir.ArrayAttr(fn.attributes[key]))
            fn.attributes[key] = ir.ArrayAttr.get(attrs + [ir.DictAttr.get({})] *
                                                  (n - len(attrs)))


def _with_token(op, token, regions_take_it):
    """`op` (stablehlo.while or stablehlo.case) rebuilt with a token result, and a token
    operand when `regions_take_it` (the while's carried values); its regions' blocks
    moved into the new op, each given a token argument when `regions_take_it`."""
    attrs = {a.name: a.attr for a in op.attributes}
    operands = list(op.operands) + ([token] if regions_take_it else [])
    with ir.InsertionPoint(op), op.location:
        new = hlo(op.name, operands, [r.type for r in op.results] + [token.type], attrs,
                  regions=len(op.regions))
    for old_region, new_region in zip(op.regions, new.regions):
        blk = old_region.blocks[0]
        blk.append_to(new_region)
        if regions_take_it:
            blk.add_argument(token.type, op.location)
    for old, result in zip(op.results, new.results):
        old.replace_all_uses_with(result)
    op.erase()
    return new


def _end_with(block, token, name):
    """Replace the terminator of `block` by one that also returns `token`."""
    term = list(block.operations)[-1].operation
    with ir.InsertionPoint(term), term.location:
        if name == "func.return":
            func.ReturnOp(list(term.operands) + [token])
        else:
            hlo(name, list(term.operands) + [token], [])
    term.erase()


def _thread_block(block, token, effectful, first_token):
    """Pass `token` through the effectful calls, loops and branches of `block`, in program
    order; the last token. `first_token()` makes one when `token` is None."""
    for op in [o.operation for o in block.operations]:
        if op.name == "func.call" and _callee(op) in effectful:
            token = token or first_token()
            with ir.InsertionPoint(op), op.location:
                call = func.CallOp([r.type for r in op.results] + [token.type], _callee(op),
                                   list(op.operands) + [token])
            for old, new in zip(op.results, call.results):
                old.replace_all_uses_with(new)
            op.erase()
            token = call.results[-1]
        elif op.name in ("stablehlo.while", "stablehlo.case") and _callees(op) & effectful:
            token = token or first_token()
            loop = op.name == "stablehlo.while"
            new = _with_token(op, token, regions_take_it=loop)
            for i, region in enumerate(new.regions):
                blk = region.blocks[0]
                inner = blk.arguments[len(blk.arguments) - 1] if loop else token
                out = _thread_block(blk, inner, effectful, first_token)
                if not (loop and i == 0):      # a while's cond region gives its predicate only
                    _end_with(blk, out, "stablehlo.return")
            token = new.results[len(new.results) - 1]
    return token


def thread_tokens(module_op):
    """Pass a token from each ordered callback's call to the next, in program order, so
    that XLA runs them in that order (without a data dependence it may run side effects in
    any order): through calls (a function that runs one, directly or not, takes a token
    last and gives one back), loops (the token is carried) and branches. An entry point
    makes its first token by `stablehlo.after_all` and keeps its signature."""
    funcs = {_name(op.operation): op.operation
             for op in module_op.regions[0].blocks[0].operations
             if op.operation.name == "func.func"}
    effectful = _effectful(funcs)
    for name in sorted(effectful):
        fn = funcs[name]
        if _is_ordered(fn):
            continue                        # a callback's own body takes its token
        entry = fn.regions[0].blocks[0]
        made = []

        def first_token(entry=entry, fn=fn, made=made):
            if not made:
                with ir.InsertionPoint.at_block_begin(entry), fn.location:
                    made.append(hlo("stablehlo.after_all", [], [_token_type()]).result)
            return made[0]

        private = "sym_visibility" in fn.attributes and \
            ir.StringAttr(fn.attributes["sym_visibility"]).value == "private"
        ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
        if not private:
            _thread_block(entry, None, effectful, first_token)
            continue
        token = entry.add_argument(_token_type(), fn.location)
        _set_type(fn, list(ftype.inputs) + [token.type], list(ftype.results) + [token.type])
        _end_with(entry, _thread_block(entry, token, effectful, first_token), "func.return")


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
