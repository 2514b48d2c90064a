"""JAX's top-level functions built on tracing and the transforms: `eval_shape`,
`linear_transpose`, `named_call`, `typeof`.

- `eval_shape(f, *args)` traces f on the arguments' shapes and dtypes (arrays, scalars,
  ShapeDtypeStructs) and returns ShapeDtypeStructs of its outputs; nothing is compiled.
- `linear_transpose(f, *primals)` is the transpose of a linear (or affine: constants are
  dropped, as JAX drops them) function. It checks f's IR op by op, as JAX's transposition
  does: an op applied to a value that depends on the inputs must be linear in it
  (`LINEAR`), otherwise NotImplementedError names the op. The transpose itself is f's VJP,
  which for a linear f is its transpose at any point.
- `named_call(f, name=...)` traces f as a function of that name in the IR (the name
  shows in `make_ir`); values are f's.
- `typeof(x)` is x's abstract value, as JAX 0.10 gives it: a `ShapedArray` (shape, dtype,
  weak_type), printed `float32[3]` (`~float32[]` when weakly typed).
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
from mlir import ir

from mlax import ad, core, prng, stages, tracing
from mlax.api import PjitFunction
from mlax.dialects import structural
from mlax.pytree import tree_flatten, tree_unflatten
from mlax.runtime.dtypes import is_float

__all__ = ["eval_shape", "linear_transpose", "named_call", "typeof"]


# -- eval_shape -----------------------------------------------------------------------------

def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes of `fun(*args, **kwargs)` as a pytree of ShapeDtypeStructs,
    found by tracing only."""
    jitted = fun if isinstance(fun, PjitFunction) else PjitFunction(fun)
    entry = stages.trace_entry(jitted, args, kwargs, tracing.TracedModule())
    structs = [stages.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
               for a in entry.out_avals]
    return tree_unflatten(entry.out_tree, structs)


# -- typeof ---------------------------------------------------------------------------------

def typeof(x) -> core.ShapedArray:
    """The abstract value of `x` (an array, a tracer, a typed key or a scalar)."""
    if isinstance(x, tracing.Tracer):
        return x.aval
    if isinstance(x, prng.PRNGKeyArray):
        return core.ShapedArray(tuple(x.shape), x.dtype, False)
    if isinstance(x, stages.ShapeDtypeStruct):
        raise TypeError(f"Argument {x!r} of type {type(x)} is not a valid JAX type")
    aval = stages._aval(x, repr(x))
    sharding = getattr(x, "sharding", None)
    if sharding is not None and not isinstance(x, np.ndarray):
        aval = dataclasses.replace(aval, sharding=sharding)
    return aval


# -- linear_transpose -----------------------------------------------------------------------

def _all(linear):
    return True


def _only(*positions):
    """Linear in the operands at `positions` only (the others must not depend on inputs)."""
    return lambda linear: not any(f for i, f in enumerate(linear) if i not in positions)


def _one_of(linear):
    return sum(linear) <= 1


# op name -> predicate over which operands depend on the inputs: True where the op is
# linear in those operands (then its results depend on the inputs too).
LINEAR = {
    **{f"mlax.{n}": _all for n in (
        "add", "sub", "neg", "reduce_sum", "cumsum", "reshape", "transpose",
        "broadcast_in_dim", "slice", "concatenate", "copy", "pad")},
    "mlax.mul": _one_of,
    "mlax.dot_general": _one_of,
    "mlax.div": _only(0),
    "mlax.select": _only(1, 2),
    "mlax.dynamic_slice": _only(0),
    "mlax.dynamic_update_slice": _only(0, 1),
    "mlax.gather": _only(0),
    "mlax.convert_element_type": _all,     # float to float only: checked below
}


def _is_float_type(t) -> bool:
    return ir.FloatType.isinstance(ir.RankedTensorType(t).element_type)


def _check_linear(module, func_op, linear_args, seen=()):
    """Raise NotImplementedError at the first op of `func_op` that is not linear in its
    operands that depend on the arguments flagged in `linear_args`; returns the flags of
    its results."""
    block = func_op.regions[0].blocks[0]
    linear = {a: f for a, f in zip(block.arguments, linear_args)}
    for op in block.operations:
        flags = [linear.get(v, False) for v in op.operands]
        name = op.operation.name
        if name == "func.return":
            return flags
        if not any(flags):
            continue
        if name == "func.call":
            callee = structural.callee_of(op)
            fn = _lookup(module, callee)
            kind = structural.kind_of(fn) if fn is not None else None
            if kind == "jvp":
                out = _jvp_linear(op, structural.read(fn), flags)
                if out is not None:
                    for r, f in zip(op.results, out):
                        linear[r] = f
                    continue
            if fn is None or kind is not None or callee in seen:
                raise NotImplementedError(
                    f"mlax does not implement linear_transpose through {kind or 'calls'} "
                    f"({callee}) yet, at {op.location}")
            out = _check_linear(module, fn, flags, seen + (callee,))
        else:
            rule = LINEAR.get(name)
            ok = rule is not None and rule(flags)
            if ok and name == "mlax.convert_element_type":
                ok = _is_float_type(op.operands[0].type) and _is_float_type(op.results[0].type)
            if not ok:
                short = name.removeprefix("mlax.")
                raise NotImplementedError(
                    f"Transpose rule (for reverse-mode differentiation) for '{short}' not "
                    f"implemented: linear_transpose needs a linear function, and {short} is "
                    f"not linear in its inputs here (at {op.location})")
            out = [True] * len(op.results)
        for r, f in zip(op.results, out):
            linear[r] = f
    return []


def _jvp_linear(op, decl, flags):
    """The flags of a JVP's results (`linearize`'s function) where only its tangent
    operands depend on the inputs: its tangent results are linear in them and its primal
    results do not depend on them. None otherwise."""
    n_tangents = len(decl.argnums)
    n_primal = len(op.operands) - n_tangents
    if any(flags[:n_primal]):
        return None
    n_out = len(op.results) // 2
    return [False] * n_out + [True] * n_out


def _lookup(module, name):
    for op in module.body.operations:
        if op.operation.name == "func.func" and \
                ir.StringAttr(op.attributes["sym_name"]).value == name:
            return op
    return None


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function `fun` at the shapes and dtypes of `primals`:
    a function from an output cotangent (a pytree like fun's output) to the tuple of input
    cotangents."""
    if reduce_axes:
        raise NotImplementedError("reduce_axes argument to transpose is deprecated")
    leaves, in_tree = tree_flatten(primals)
    in_avals = [tracing.aval_of(x) for x in leaves]
    tm = tracing.TracedModule()

    def flat(*xs):
        return fun(*tree_unflatten(in_tree, xs))
    builder, out_leaves = _trace_flat(flat, in_avals, tm)
    out_avals = [tracing.aval_of(o) for o in out_leaves]
    in_float = [is_float(a.dtype) for a in in_avals]
    out_float = [is_float(a.dtype) for a in out_avals]
    if not (all(in_float) and all(out_float)):
        in_d = [np.dtype(a.dtype).name for a in in_avals]
        out_d = [np.dtype(a.dtype).name for a in out_avals]
        if any(in_float) or any(out_float):
            raise TypeError("linear_transpose only supports [float or complex] -> [float or "
                            f"complex], and integer -> integer functions, but got {in_d} -> "
                            f"{out_d}.")
        raise NotImplementedError("mlax does not implement linear_transpose of integer "
                                  f"functions yet ({in_d} -> {out_d})")
    with tm.ctx:
        _check_linear(tm.module, builder.func, [True] * len(in_avals))
    zeros = tree_unflatten(in_tree, [np.zeros(a.shape, a.dtype) for a in in_avals])
    _, f_vjp = ad.vjp(fun, *zeros)

    @functools.wraps(fun)
    def transposed(out_cotangent):
        return f_vjp(out_cotangent)
    return transposed


def _trace_flat(flat, in_avals, tm):
    """`flat` traced on `in_avals` into a function of `tm`: (builder, output leaves)."""
    builder, out = tracing.trace_function(flat, in_avals, [""] * len(in_avals), "linear_fn", tm)
    out_leaves, _ = tree_flatten(out)
    with tm.ctx:
        builder.finish(out_leaves)
    return builder, out_leaves


# -- named_call -----------------------------------------------------------------------------

def named_call(fun, *, name=None):
    """`fun`, traced as a function called `name` (default: fun's name) in the IR."""
    name = name or getattr(fun, "__name__", "fn")

    @functools.wraps(fun)
    def call(*args, **kwargs):
        return fun(*args, **kwargs)
    call.__name__ = name
    jitted = PjitFunction(call)

    @functools.wraps(fun)
    def named(*args, **kwargs):
        if core.trace_stack():
            return jitted(*args, **kwargs)    # a func.call of a function named `name`
        return fun(*args, **kwargs)
    return named

