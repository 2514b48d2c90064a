"""The mlax dialect: IRDL definition, loading, and op builders with type inference.

`OPS` (from `ops.py`) is the single description of every op. From it come the IRDL text
loaded into every Context mlax makes (`make_context`), the builder `create`, and the
attribute conversions used by passes to read ops back (`op_attrs`).
"""
from __future__ import annotations

import functools
import os
import sys
import threading
import types as _pytypes

import numpy as np
from mlir import ir
from mlir.dialects import irdl

from .ops import ATTR_KINDS, OPS, OpDef
from .types import (MAX_BYTES, TensorSpec, check_shape, dense_attr, dtype_of_element,
                    element_type, scalar_attr, shape_problem, short_dtype_name, signless, spec_of_type, spec_type,
                    tensor_type, type_problem)
from . import structural
from .functions import (dependent_results, func_ops, function_signature, privatize,
                        symbol_name)

# The bindings look for a Python module of op classes each time they wrap an op of a
# dialect, and do not remember a miss; an empty module makes wrapping mlax ops cheap.
sys.modules.setdefault("mlir.dialects.mlax", _pytypes.ModuleType("mlir.dialects.mlax"))

IRDL_PATH = os.path.join(os.path.dirname(__file__), "mlax.irdl.mlir")


# ---------------------------------------------------------------------------------------
# IRDL text

def _irdl_op(op: OpDef) -> str:
    lines = [f"  irdl.operation @{op.name} {{"]
    var_of = {}
    n = 0
    for group in op.same:
        lines.append(f'    %t{n} = irdl.base "!builtin.tensor"')
        for name in group:
            var_of[name] = f"%t{n}"
        n += 1
    for name in list(op.operands) + list(op.results):
        bare = name.lstrip("*")
        if bare not in var_of:
            lines.append(f'    %t{n} = irdl.base "!builtin.tensor"')
            var_of[bare] = f"%t{n}"
            n += 1
    if op.attrs:
        # One constraint per attribute: IRDL binds a constraint to the first value it meets.
        for a, k in op.attrs.items():
            lines.append(f'    %a_{a} = irdl.base "{ATTR_KINDS[k]}"')
        entries = ", ".join(f'"{a}" = %a_{a}' for a in op.attrs)
        lines.append(f"    irdl.attributes {{{entries}}}")

    def group(names):
        parts = []
        for name in names:
            bare = name.lstrip("*")
            parts.append(f"{bare}: {'variadic ' if name.startswith('*') else ''}{var_of[bare]}")
        return ", ".join(parts)

    if op.operands:
        lines.append(f"    irdl.operands({group(op.operands)})")
    lines.append(f"    irdl.results({group(op.results)})")
    lines.append("  }")
    return "\n".join(lines)


def irdl_text() -> str:
    """The IRDL definition of the mlax dialect, generated from `OPS`."""
    body = "\n".join(_irdl_op(op) for op in sorted(OPS.values(), key=lambda o: o.name))
    return ("// Generated from dialects/ops.py by `python -m mlax.dialects`; do not edit.\n"
            f"irdl.dialect @mlax {{\n{body}\n}}\n")


def docs_text() -> str:
    """docs/dialect.md: the op reference, generated from `OPS`."""
    lines = ["# The mlax dialect", "",
             "Generated from `dialects/ops.py` by `python -m mlax.dialects`; do not edit.", "",
             "Types are builtin ranked tensors (0-d for scalars). Ops print in generic form, e.g.",
             '`%0 = "mlax.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>`.',
             "A `*` marks a variadic operand group; `same` lists operands/results whose types must",
             "be equal (checked by IRDL); every other shape rule is checked by `--mlax-verify`.", "",
             "Transforms, control flow and custom derivatives are not ops but annotated function",
             "declarations called with `func.call` (see `dialects/structural.py`):", ""]
    for kind, cls in structural.KINDS.items():
        lines.append(f"- `mlax.{kind}` {cls.doc()}")
    lines += ["", "| op | operands | results | attributes | same type | semantics |",
              "|---|---|---|---|---|---|"]
    for op in sorted(OPS.values(), key=lambda o: o.name):
        attrs = ", ".join(f"`{a}`: {k}" for a, k in op.attrs.items())
        same = "; ".join(", ".join(g) for g in op.same)
        lines.append(f"| `{op.full_name}` | {', '.join(op.operands)} | {', '.join(op.results)} | "
                     f"{attrs} | {same} | {op.doc} |")
    return "\n".join(lines) + "\n"


DOCS_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "dialect.md")


def load_dialect(ctx: ir.Context):
    with ctx, ir.Location.unknown():
        irdl.load_dialects(ir.Module.parse(irdl_text()))


def make_context() -> ir.Context:
    """A Context with the mlax dialect and all upstream dialects loaded."""
    ctx = ir.Context()
    load_dialect(ctx)
    return ctx


# A new Context costs ~30 ms (loading every upstream dialect) plus ~15 ms (parsing and
# loading the mlax dialect's IRDL): as much as compiling a small function. Traces share
# one Context per thread instead, replaced after SHARED_CONTEXT_USES traces or once the
# constants built in it pass SHARED_CONTEXT_BYTES: a Context never frees the attributes it
# has uniqued (each traced constant is one), so a replaced Context's memory goes when the
# last module, Lowered or executable that refers to it does, as a private one's did.
SHARED_CONTEXT_USES = 64
SHARED_CONTEXT_BYTES = 64 << 20


class _SharedContext(threading.local):
    ctx = None
    uses = 0
    constant_bytes = 0
    cache = None


_shared = _SharedContext()


def shared_context() -> ir.Context:
    """This thread's shared Context (see above), for one more module."""
    s = _shared
    if (s.ctx is None or s.uses >= SHARED_CONTEXT_USES
            or s.constant_bytes >= SHARED_CONTEXT_BYTES):
        s.ctx, s.uses, s.constant_bytes, s.cache = make_context(), 0, 0, {}
    s.uses += 1
    s.ctx.allow_unregistered_dialects = False   # a pass may have allowed them for its module
    return s.ctx


def context_cache(ctx: ir.Context) -> dict | None:
    """A dict that lives as long as `ctx` is this thread's shared Context (for objects
    tied to it, such as pass managers), or None for any other Context."""
    return _shared.cache if ctx is _shared.ctx else None


def note_constant(ctx: ir.Context, nbytes: int):
    """Count a constant of `nbytes` built in `ctx` towards its replacement."""
    if ctx is _shared.ctx:
        _shared.constant_bytes += nbytes


# ---------------------------------------------------------------------------------------
# Attributes

def attr_to_ir(kind: str, value) -> ir.Attribute:
    if kind == "i64s":
        return ir.DenseI64ArrayAttr.get([int(v) for v in value])
    if kind == "i64":
        return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(value))
    if kind == "bool":
        return ir.BoolAttr.get(bool(value))
    if kind == "f64":
        return ir.FloatAttr.get_f64(float(value))
    if kind == "str":
        return ir.StringAttr.get(str(value))
    if kind == "strs":
        return ir.ArrayAttr.get([ir.StringAttr.get(str(v)) for v in value])
    if kind == "dtype":
        return ir.TypeAttr.get(element_type(value))
    raise ValueError(f"unknown attribute kind {kind}")


def attr_from_ir(kind: str, attr: ir.Attribute):
    if kind == "i64s":
        return tuple(int(v) for v in attr)
    if kind in ("i64",):
        return int(attr.value)
    if kind == "bool":
        return bool(ir.BoolAttr(attr).value) if isinstance(attr, ir.BoolAttr) else bool(attr.value)
    if kind == "f64":
        return float(attr.value)
    if kind == "str":
        return str(attr.value)
    if kind == "strs":
        return tuple(str(ir.StringAttr(v).value) for v in ir.ArrayAttr(attr))
    if kind == "dtype":
        return dtype_of_element(attr.value)
    raise ValueError(f"unknown attribute kind {kind}")


def op_attrs(op: ir.Operation) -> dict:
    """The attributes of an mlax op as Python values, keyed as in its OpDef."""
    d = OPS[op.name]
    return {name: attr_from_ir(kind, op.attributes[name]) for name, kind in d.attrs.items()}


# ---------------------------------------------------------------------------------------
# Builders

def infer(name: str, specs, attrs) -> list:
    d = OPS[name]
    missing = set(d.attrs) - set(attrs)
    if missing:
        raise TypeError(f"{name}: missing attributes {sorted(missing)}")
    return d.infer(list(specs), **{k: attrs[k] for k in d.attrs})


def create(name: str, operands, attrs=None, loc=None) -> list:
    """Build `name` at the current insertion point; returns its result Values.

    Result types come from the op's rule, so a caller never spells them out."""
    attrs = attrs or {}
    d = OPS[name]
    specs = [spec_of_type(v.type) for v in operands]
    results = infer(name, specs, attrs)
    ir_attrs = {k: attr_to_ir(kind, attrs[k]) for k, kind in d.attrs.items()}
    op = ir.Operation.create(name, results=[spec_type(s) for s in results],
                             operands=list(operands), attributes=ir_attrs,
                             loc=loc or ir.Location.unknown())
    return list(op.results)


__all__ = ["OPS", "OpDef", "TensorSpec", "make_context", "load_dialect", "irdl_text", "create",
           "infer", "op_attrs", "attr_to_ir", "attr_from_ir", "element_type", "tensor_type",
           "spec_type", "spec_of_type", "dtype_of_element", "short_dtype_name", "signless",
           "structural", "MAX_BYTES", "check_shape", "shape_problem", "type_problem"]
