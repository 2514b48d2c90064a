"""Concrete values while tracing: Python control flow on the value being differentiated.

Under JAX only `jit` and `vmap` make values abstract: `grad(f)(x)` called outside jit runs
`f` on values whose numbers are known, so `if x > 0:`, `int(n)`, `while err > tol:` work
there. mlax traces every transform (and runs the result as a jit of itself), so here a
transform called outside any trace gives its top-level function an `Evaluation` of its
arguments' values; the functions it traces for its derivatives (the function given to
`grad`, `jvp`, `vjp`, `jacfwd`, ..., a `custom_jvp` / `custom_vjp` function and its rules)
say which outer value each parameter stands for (`FunctionBuilder.sources`). Converting
one of their tracers to a Python value (`Tracer.concrete`) then compiles the part of the
trace it depends on, a function of the top-level arguments, runs it on their values and
returns the result; the trace takes that branch and goes on. A parameter with no source
(a tangent, a cotangent, an argument of `vmap` or `jit`) is unknown, and so is every
value computed from it: those convert with the error they always gave (JAX's), as do
all tracers under `jit` and `vmap`.

The traced program is then valid only for arguments that take the same branches: each
evaluation is a guard, (its executable, the value it gave). `PjitFunction` keeps the guards
with the compiled function and uses it for a call only where every guard's executable
gives the same value on the call's arguments; otherwise it traces again.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, func
from mlir.passmanager import PassManager

from mlax import compiling
from mlax.dialects import dense_attr, spec_of_type
from mlax.runtime import Array
from mlax.runtime.dtypes import is_float


class Evaluation:
    """The known argument values of one top-level traced function (`root`, a
    FunctionBuilder), and the guards taken so far: a list of (executable, value)."""

    def __init__(self, root, inputs, backend):
        self.root = root
        self.inputs = inputs          # NumPy arrays, one per parameter of `root`
        self.backend = backend
        self.guards = []
        self._known = {}              # ir.Value -> Array, evaluated already

    def value(self, tracer):
        """`tracer`'s value as an Array, or None where it depends on an unknown value."""
        known = self._known.get(tracer.value)
        if known is not None:
            return known
        steps = _steps(tracer.builder, tracer.value)
        if steps is None:
            return None
        exe = self._compile(steps, tracer.value)
        out = exe(self.inputs)[0]
        self.guards.append((exe, out))
        known = self._known[tracer.value] = Array(out, tracer.aval.weak_type)
        return known

    def differentiated(self, tracer) -> bool:
        """Whether `tracer` carries a derivative: a float value computed, through float
        values, from a parameter a transform differentiates. JAX's `float()`,
        `complex()` and `tolist()` refuse such values (`bool`, `int`, `item` take them)."""
        steps = _steps(tracer.builder, tracer.value)
        if steps is None:
            return False
        flags = {}
        for b, v in steps:
            if not is_float(spec_of_type(v.type).dtype):
                flags[v] = False
                continue
            arg = _argument(b, v)
            if arg is None:
                flags[v] = any(flags.get(o, False)
                               for o in ir.OpResult(v).owner.operation.operands)
            else:
                src = None if b is self.root else _source(b, arg)
                flags[v] = arg in b.differentiated or (
                    src is not None and not isinstance(src, np.ndarray) and flags[src.value])
        return flags[tracer.value]

    def _compile(self, steps, value):
        """A function of the root's parameters returning `value`, compiled."""
        tm = self.root.traced_module
        with tm.ctx, ir.Location.unknown():
            module = ir.Module.create()
            for op in tm.module.body.operations:
                if _complete(op):
                    op.clone(ip=ir.InsertionPoint(module.body))
            name = tm.unique_name("concrete_value")
            arg_types = [a.type for a in self.root.block.arguments][:len(self.inputs)]
            fn = func.FuncOp(name, (arg_types, [value.type]), ip=ir.InsertionPoint(module.body))
            entry = fn.add_entry_block()
            mapped = {}
            clones = {}
            with ir.InsertionPoint(entry):
                for builder, v in steps:
                    mapped[v] = self._map(builder, v, entry, mapped, clones)
                func.ReturnOp([mapped[value]])
            for op in module.body.operations:
                if op.operation.name == "func.func" and op.attributes["sym_name"].value != name:
                    op.attributes["sym_visibility"] = ir.StringAttr.get("private")
            PassManager.parse("builtin.module(symbol-dce)").run(module.operation)
            shape, dtype = spec_of_type(value.type)
            exes, _ = compiling.backend_compile(self.backend, module,
                                                {name: [(tuple(shape), dtype)]})
        return exes[name]

    def _map(self, builder, v, entry, mapped, clones):
        """The value of `entry`'s function standing for `v` of `builder`."""
        arg = _argument(builder, v)
        if arg is not None:
            if builder is self.root:
                return entry.arguments[arg]
            src = _source(builder, arg)
            if isinstance(src, np.ndarray):
                attr = dense_attr(src)
                return arith.ConstantOp(attr.type, attr).result
            return mapped[src.value]
        result = ir.OpResult(v)
        op = result.owner.operation
        clone = clones.get(op)
        if clone is None:
            clone = clones[op] = op.clone()
            for i, operand in enumerate(op.operands):
                clone.operands[i] = mapped[operand]
        return clone.results[result.result_number]


def holds(guards, inputs) -> bool:
    """Whether arguments `inputs` take the branches that `guards` recorded."""
    for exe, expected in guards:
        got = exe(inputs)[0]
        if got.shape != expected.shape or got.tobytes() != expected.tobytes():
            return False
    return True


def _steps(builder, value):
    """[(builder, value)] computing `value` of `builder` from the root's parameters,
    each after the values it uses; None where a value it uses is not known."""
    steps, seen = [], set()
    stack = [(builder, value, False)]
    while stack:
        b, v, ready = stack.pop()
        if ready:
            steps.append((b, v))
            continue
        if v in seen:
            continue
        seen.add(v)
        stack.append((b, v, True))
        arg = _argument(b, v)
        if b.concrete is None:
            return None
        if arg is None:
            deps = [(b, operand) for operand in ir.OpResult(v).owner.operation.operands]
        elif b.concrete.root is b:
            if arg >= len(b.concrete.inputs):
                return None       # a closure of a root inside another trace
            deps = []
        else:
            src = _source(b, arg)
            if src is None:
                return None
            deps = [] if isinstance(src, np.ndarray) else [(src.builder, src.value)]
        stack += [(db, dv, False) for db, dv in deps if dv not in seen]
    return steps


def _argument(builder, v):
    """The position of `v` among `builder`'s parameters, or None for an op's result."""
    if isinstance(v.maybe_downcast(), ir.BlockArgument):
        return ir.BlockArgument(v).arg_number
    return None


def _source(builder, k):
    """What parameter `k` of `builder` stands for: a Tracer of an enclosing function, a
    NumPy constant, or None (unknown). Parameters past `sources` are closures."""
    n = len(builder.sources)
    return builder.sources[k] if k < n else builder.captured[k - n]


def _complete(op) -> bool:
    """Whether `op`, a function of the module being traced, can be compiled: a
    declaration, or a function whose trace has finished."""
    op = op.operation
    if op.name != "func.func":
        return True
    blocks = op.regions[0].blocks
    if len(blocks) == 0:
        return True
    ops = blocks[0].operations
    return len(ops) > 0 and ops[len(ops) - 1].name == "func.return"
