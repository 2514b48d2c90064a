"""`--mlax-vmap`: automatic vectorization as a pass over mlax IR.

A `mlax.vmap` declaration (see mlax.dialects.structural) names a per-example function and
says where the batch axis of each operand and result is:

    func.func private @vmap_f(tensor<5x3xf32>, tensor<3xf32>) -> tensor<5xf32>
        attributes {mlax.vmap = {callee = @f, in_axes = array<i64: 0, -1>,
                                 out_axes = array<i64: 0>, axis_size = 5 : i64}}

(-1: not batched). The pass gives the declaration a body: it walks the callee once, in
program order, and keeps for every value its batched counterpart and the position of its
batch axis, or None when the value does not depend on a batched operand. Ops none of whose
operands are batched are copied unchanged; the others go through their rule in
`BATCHING_RULES` (mlax.transforms.vmap_rules), which keeps a batch axis where it is until
an op needs it elsewhere: the axis moves once, where the declaration's out_axes asks.

Calls to ordinary functions are batched by batching the callee (one copy per callee and
batch signature). Calls to control-flow and custom-derivative declarations have rules
like ops, keyed `"mlax.<kind>"`. Transform declarations inside
the callee are expanded before this one (mlax.transforms.expand goes innermost first),
so `vmap(vmap(f))` and `vmap(grad(f))` only meet ordinary functions here.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import func as func_d

from mlax.dialects import OPS, op_attrs, structural
from mlax.passes import ModulePass, PassError, PassNotImplementedError, register
from mlax.transforms import expand as expand_mod
from mlax.transforms.vmap_rules import ANY, BATCHING_RULES, BatchContext, batched_type


# ---------------------------------------------------------------------------------------
# Batching functions


class Batcher:
    """Batches functions of one module; keeps one batched copy per (function, batch axes
    of the operands, size, out request)."""

    def __init__(self, module_op, axis_name=""):
        self.module_op = module_op
        self.axis_name = axis_name      # the name of the axis being mapped ("": none)
        self.body = module_op.regions[0].blocks[0]
        self.fns = expand_mod.functions(module_op)
        self.cache = {}
        self.out_dims = {}      # symbol of a batched function -> batch axes of its results

    def result_types(self, name):
        ftype = ir.FunctionType(ir.TypeAttr(self.fns[name].attributes["function_type"]).value)
        return list(ftype.results)

    def unique(self, base):
        name, i = base, 0
        while name in self.fns:
            i += 1
            name = f"{base}_{i}"
        return name

    def declare(self, decl, base, arg_types, result_types):
        name = self.unique(base)
        self.fns[name] = decl.declare(self.body, name, arg_types, result_types)
        return name

    def new_function(self, base, arg_types, result_types, build):
        """A private function whose body `build(block_args) -> results` emits."""
        name = self.unique(base)
        with ir.InsertionPoint(self.body), ir.Location.unknown():
            fn = func_d.FuncOp(name, (list(arg_types), list(result_types)), visibility="private")
        self.fns[name] = fn
        block = fn.add_entry_block()
        with ir.InsertionPoint(block), ir.Location.unknown():
            func_d.ReturnOp(build(list(block.arguments)))
        return name

    def batched_function(self, name, dims, size, out_request=ANY):
        """(symbol, out_dims): function @name batched for operands batched at `dims`."""
        src = self.fns.get(name)
        if src is None:
            raise PassError(f"vmap: call to undefined function @{name}")
        if not len(src.regions[0].blocks):
            kind = structural.kind_of(src)
            what = f"an unexpanded mlax.{kind} declaration" if kind else "an external function"
            raise PassError(f"vmap cannot batch a call to @{name}: it is {what}")
        n_out = len(self.result_types(name))
        request = tuple([ANY] * n_out if out_request == ANY else out_request)
        key = (name, tuple(dims), size, request)
        if key in self.cache:
            return self.cache[key]
        if any(r != ANY for r in request):
            # The copy that leaves the batch axes where the rules put them may already
            # fit the request.
            found = self.batched_function(name, dims, size, ANY)
            if all(r == ANY or r == d for r, d in zip(request, found[1])):
                self.cache[key] = found
                return found
        ftype = ir.FunctionType(ir.TypeAttr(src.attributes["function_type"]).value)
        arg_types = [batched_type(t, d, size) for t, d in zip(ftype.inputs, dims)]
        sym = self.unique(f"{name}_batched")
        with ir.InsertionPoint(self.body), ir.Location.unknown():
            fn = func_d.FuncOp(sym, (arg_types, []), visibility="private")
        self.fns[sym] = fn
        block = fn.add_entry_block()
        outs, out_dims = self.batch_body(src, block, list(block.arguments), list(dims), size,
                                         request)
        fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(arg_types, [o.type for o in outs]))
        self.cache[key] = (sym, out_dims)
        self.out_dims[sym] = out_dims
        return sym, out_dims

    def batch_body(self, src, block, args, dims, size, out_request):
        """Emit into `block` the batched body of function `src` and its return.

        `args`/`dims`: the batched values standing for src's arguments and their batch
        axes. `out_request[i]`: ANY, an axis for result i (broadcast if unbatched), or None
        (result i must not be batched). Returns (results, their batch axes)."""
        src_block = src.regions[0].blocks[0]
        env = {}
        for a, v, d in zip(src_block.arguments, args, dims):
            env[a] = (v, d)
        results = None
        with ir.InsertionPoint(block):
            for op in src_block.operations:
                op = op.operation
                if op.name == "func.return":
                    results = [env[v] for v in op.operands]
                    ret = op
                    continue
                ins = [env[v] for v in op.operands]
                if all(d is None for _, d in ins):
                    new = op.clone()
                    for i, (v, _) in enumerate(ins):
                        new.operands[i] = v
                    for old, r in zip(op.results, new.results):
                        env[old] = (r, None)
                    continue
                outs, out_dims = self.apply_rule(op, ins, size)
                for old, r, d in zip(op.results, outs, out_dims):
                    env[old] = (r, d)
            ctx = BatchContext(self, ret, size)
            final, final_dims = [], []
            for i, ((v, d), req) in enumerate(zip(results, out_request)):
                if req == ANY:
                    pass
                elif req is None:
                    if d is not None:
                        raise PassError(
                            f"vmap has mapped output but out_axes is None (result {i} of "
                            f"@{_fn_name(src)} depends on a batched operand)", at=ret)
                else:
                    v, d = ctx.materialize(v, d, req), req
                final.append(v)
                final_dims.append(d)
            with ret.location:
                func_d.ReturnOp(final)
        return final, final_dims

    def apply_rule(self, op, ins, size):
        name = op.name
        if name == "func.call":
            callee = self.fns.get(structural.callee_of(op))
            kind = structural.kind_of(callee) if callee is not None else None
            if kind is not None:
                name = "mlax." + kind
        rule = BATCHING_RULES.get(name)
        if rule is None:
            raise PassNotImplementedError(f"Batching rule for '{name}' not implemented", at=op)
        attrs = op_attrs(op) if name in OPS else {}
        ctx = BatchContext(self, op, size)
        try:
            outs, out_dims = rule(ctx, [v for v, _ in ins], [d for _, d in ins], **attrs)
        except PassError as e:
            if e.location is not None:
                raise
            raise type(e)(str(e), at=op) from None
        if len(outs) != len(op.results):
            raise PassError(f"batching rule for '{name}' returned {len(outs)} results "
                            f"for {len(op.results)}", at=op)
        for old, new, d in zip(op.results, outs, out_dims):
            want = batched_type(old.type, d, size)
            if new.type != want:
                raise PassError(f"batching rule for '{name}' gave {new.type} where "
                                f"{want} was expected", at=op)
        return outs, out_dims


def _fn_name(fn) -> str:
    return ir.StringAttr(fn.attributes["sym_name"]).value


# ---------------------------------------------------------------------------------------
# The expander of `mlax.vmap` declarations


def expand_vmap(module_op, decl):
    """Give the `mlax.vmap` declaration `decl` the batched body of its callee."""
    name = _fn_name(decl)
    v = structural.read(decl)
    callee, in_axes, out_axes, size = v.callee, v.in_axes, v.out_axes, v.axis_size
    batcher = Batcher(module_op, v.axis_name)
    src = batcher.fns.get(callee)

    def error(message):
        return PassError(f"@{name}: {message}", at=decl)
    if src is None:
        raise error(f"mlax.vmap callee @{callee} is not defined")
    dtype = ir.FunctionType(ir.TypeAttr(decl.attributes["function_type"]).value)
    ctype = ir.FunctionType(ir.TypeAttr(src.attributes["function_type"]).value)
    if len(in_axes) != len(dtype.inputs) or len(ctype.inputs) != len(dtype.inputs):
        raise error(f"{len(in_axes)} in_axes and {len(dtype.inputs)} operands for @{callee} "
                    f"of {len(ctype.inputs)} parameters")
    if len(out_axes) != len(dtype.results) or len(ctype.results) != len(dtype.results):
        raise error(f"{len(out_axes)} out_axes and {len(dtype.results)} results for @{callee} "
                    f"of {len(ctype.results)} results")
    dims = [None if a < 0 else a for a in in_axes]
    for i, (t, ct, d) in enumerate(zip(dtype.inputs, ctype.inputs, dims)):
        if d is not None and d > len(ir.RankedTensorType(ct).shape):
            raise error(f"in_axes[{i}] = {d} is out of range for {ct}")
        if t != batched_type(ct, d, size):
            raise error(f"operand {i} has type {t}, but {ct} of @{callee} batched along axis "
                        f"{d} with size {size} is {batched_type(ct, d, size)}")
    request = [None if a < 0 else a for a in out_axes]
    block = decl.add_entry_block()
    outs, _ = batcher.batch_body(src, block, list(block.arguments), dims, size, request)
    for i, (o, t) in enumerate(zip(outs, dtype.results)):
        if o.type != t:
            raise error(f"result {i} is declared {t} but batching @{callee} gives {o.type}")
    structural.undeclare(decl)


expand_mod.EXPANDERS["vmap"] = expand_vmap


@register
class VmapPass(ModulePass):
    """Expand mlax.vmap declarations into batched functions."""
    name = "mlax-vmap"

    def run(self, module_op):
        expand_mod.expand(module_op, kinds=("vmap",))
