"""Functions of a module: finding them, their names, visibility and signatures."""
from __future__ import annotations

from mlir import ir

from .types import spec_of_type


def func_ops(module):
    """The func.func ops at the top of `module`."""
    op = module.operation if hasattr(module, "operation") else module
    for o in op.regions[0].blocks[0].operations:
        if o.operation.name == "func.func":
            yield o.operation


def symbol_name(op) -> str:
    """The symbol name of a function op."""
    return ir.StringAttr(op.attributes["sym_name"]).value


def privatize(module, public):
    """Make every function but those named in `public` private (inlined, then dropped)."""
    for op in func_ops(module):
        if symbol_name(op) not in public:
            op.attributes["sym_visibility"] = ir.StringAttr.get("private")


def function_signature(module, name):
    """([(shape, dtype)] of the inputs, [(shape, dtype)] of the results) of @name."""
    for op in func_ops(module):
        if symbol_name(op) == name:
            ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
            return ([tuple(spec_of_type(t)) for t in ftype.inputs],
                    [tuple(spec_of_type(t)) for t in ftype.results])
    raise KeyError(f"no function @{name} in the module")


def dependent_results(module_op, fn_name, flags) -> list[bool]:
    """For each result of @fn_name, whether it depends on an argument marked in `flags`:
    a result of an op with a marked operand is marked, calls are followed into ordinary
    functions and taken whole for declarations (vmap's dataflow: which results are
    batched)."""
    fns = {symbol_name(op): op for op in func_ops(module_op)}
    memo = {}

    def walk(name, flags):
        key = (name, tuple(flags))
        if key in memo:
            return memo[key]
        fn = fns[name]
        block = fn.regions[0].blocks[0]
        env = {a: f for a, f in zip(block.arguments, flags)}
        out = None
        for op in block.operations:
            op = op.operation
            ins = [env.get(v, False) for v in op.operands]
            if op.name == "func.return":
                out = ins
                continue
            if op.name == "func.call" and any(ins):
                callee = fns.get(ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
                if callee is not None and len(callee.regions[0].blocks):
                    res = walk(ir.FlatSymbolRefAttr(op.attributes["callee"]).value, ins)
                else:
                    res = [True] * len(op.results)
            else:
                res = [any(ins)] * len(op.results)
            for r, f in zip(op.results, res):
                env[r] = f
        memo[key] = out
        return out

    return walk(fn_name, list(flags))
