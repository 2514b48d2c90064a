"""Structural ops: transforms, control flow and custom derivatives as annotated functions.

IRDL in MLIR 22 gives every element of a variadic operand group one type, so an op whose
operands mix types (`grad` of a function of a matrix and a vector, `cond` over a tuple of
state) cannot be an IRDL op. mlax writes such an op as a private `func.func` declaration
carrying one `mlax.<kind>` dictionary attribute, called with `func.call`:

    func.func private @grad_f(tensor<3xf32>) -> tensor<3xf32>
        attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
    ...
    %g = func.call @grad_f(%x) : (tensor<3xf32>) -> tensor<3xf32>

The call site is the op; the declaration is its definition. A pass that expands a kind
(`--mlax-grad`, `--mlax-vmap`, the lowering of `cond`) gives the declaration a body, after
which it is an ordinary function that the inliner can inline. Transforms nest as functions
do: `vmap(grad(f))` is a declaration whose callee is another declaration.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import func

# kind -> documentation of its dictionary entries
KINDS = {
    "jvp": "callee: the function; outputs (primals_out..., tangents_out...) from (primals..., tangents...)",
    "vjp": "callee; argnums; inputs (primals..., cotangents...) -> (primals_out..., cotangents for argnums...)",
    "grad": "callee; argnums; has_aux; value (bool: value_and_grad)",
    "vmap": "callee; in_axes, out_axes (i64 arrays, -1 = not batched); axis_size",
    "cond": "branches: symbols of the branch functions; operand 0 is the i32 branch index",
    "while": "cond, body: symbols; operands are the loop state",
    "scan": "body; length; reverse; num_consts; num_carry",
    "custom_jvp": "callee (primal), jvp: symbols",
    "custom_vjp": "callee (primal), fwd, bwd: symbols",
}


def kind_of(fn) -> str | None:
    """The structural kind of a func.func declaration, or None for an ordinary function."""
    for attr in fn.attributes:
        if attr.name.startswith("mlax.") and attr.name[5:] in KINDS:
            return attr.name[5:]
    return None


def entries(fn) -> dict:
    kind = kind_of(fn)
    d = ir.DictAttr(fn.attributes["mlax." + kind])
    return {a.name: a.attr for a in d}


def declare(module: ir.Module, kind: str, name: str, arg_types, result_types, entries: dict,
            loc=None) -> func.FuncOp:
    """Add a private declaration `name` of the given kind at the end of `module`."""
    with ir.InsertionPoint(module.body), loc or ir.Location.unknown():
        fn = func.FuncOp(name, (list(arg_types), list(result_types)), visibility="private")
        fn.attributes["mlax." + kind] = ir.DictAttr.get(entries)
    return fn


def callee_of(call_op) -> str:
    return ir.FlatSymbolRefAttr(call_op.attributes["callee"]).value
