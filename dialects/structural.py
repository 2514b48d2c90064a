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
    "jvp": "callee: the function; argnums: i64 array, the operands with tangents; "
           "(operands..., tangents of the argnums operands...) -> (results..., a tangent per result...)",
    "vjp": "callee; argnums: i64 array, the operands that get cotangents; "
           "(operands..., a cotangent per result...) -> (cotangents of the argnums operands...)",
    "grad": "callee (result 0 a real scalar); argnums: i64 array; has_aux: bool (results 1.. are "
            "aux, not differentiated); value: bool (value_and_grad); (operands...) -> "
            "([result 0 if value], [results 1.. if has_aux], gradients of the argnums operands...)",
    "vmap": "callee: the per-example function; in_axes: i64 array, the batch axis of each operand "
            "(-1: not batched); out_axes: i64 array, the batch axis of each result (-1: the "
            "result must not depend on a batched operand); axis_size: i64, the batch size",
    "cond": "branches: [@b0, @b1, ...]; operands (index: tensor<i32> in [0, n), args...); "
            "every branch maps args -> results",
    "while": "cond, body: symbols; num_consts; operands (state..., consts...), results state; "
             "cond(state..., consts...) -> tensor<i1>, body(state..., consts...) -> state",
    "scan": "body; length; reverse; num_carry; num_consts; operands (carry..., xs..., "
            "consts...) with xs of leading dim length, results (carry..., ys...); "
            "body(carry..., x slices..., consts...) -> (carry..., y slices...)",
    "custom_jvp": "callee (the primal function), jvp: symbols; num_args, num_callee_consts: i64; "
                  "operands (args..., callee consts..., jvp consts...) -> results of callee; "
                  "jvp(args..., tangents of args..., jvp consts...) -> (results..., tangents...)",
    "custom_vjp": "callee, fwd, bwd: symbols; num_args, num_callee_consts, num_fwd_consts, num_res: "
                  "i64; operands (args..., callee consts..., fwd consts..., bwd consts...) -> "
                  "results of callee; fwd(args..., fwd consts...) -> (results..., residuals...); "
                  "bwd(residuals..., a cotangent per result..., bwd consts...) -> (cotangents of args...)",
}


def kind_of(fn) -> str | None:
    """The structural kind of a func.func declaration, or None for an ordinary function."""
    attrs = fn.attributes
    for kind in KINDS:
        if "mlax." + kind in attrs:
            return kind
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
