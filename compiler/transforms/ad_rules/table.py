"""The JVP and VJP tables, the context a rule sees, and the family helpers that fill the
tables (see mlax.transforms.ad_rules for the rules' signatures)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from mlir import ir

from mlax.dialects import OPS, op_attrs, spec_of_type, structural
from mlax.dialects.types import TensorSpec
from mlax.passes import PassNotImplementedError
from mlax.transforms.builder import Builder
from mlax.runtime.dtypes import is_inexact

JVP_RULES: dict[str, Callable] = {}
VJP_RULES: dict[str, Callable] = {}


# ---------------------------------------------------------------------------------------
# The context of a rule


def spec(v: ir.Value) -> TensorSpec:
    return spec_of_type(v.type)


def is_float(v_or_dtype) -> bool:
    """Real or complex floating point: the dtypes that carry derivatives."""
    dtype = spec(v_or_dtype).dtype if isinstance(v_or_dtype, ir.Value) else np.dtype(v_or_dtype)
    return is_inexact(dtype)


def is_complex(v_or_dtype) -> bool:
    dtype = spec(v_or_dtype).dtype if isinstance(v_or_dtype, ir.Value) else np.dtype(v_or_dtype)
    return dtype.kind == "c"


class RuleContext(Builder):
    """What a rule sees of the op it differentiates (see the module docstring), and a
    Builder of ops at its location, with the compositions derivative rules share."""

    def __init__(self, op, args, outs, active, transform, driver=None):
        super().__init__(op.location, f"the {transform} rule of '{op.name}'")
        self.op = op
        self.op_name = op.name
        self.attrs = op_attrs(op) if op.name in OPS else {}
        self.args = list(args)
        self.outs = list(outs)
        self.active = list(active)
        self.transform = transform
        self.driver = driver

    def declaration(self):
        """The structural declaration (mlax.dialects.structural) that a call op calls."""
        callee = ir.FlatSymbolRefAttr(self.op.attributes["callee"]).value
        return structural.read(self.driver.mod.lookup(callee))

    @property
    def in_specs(self):
        return [spec_of_type(v.type) for v in self.op.operands]

    @property
    def out_specs(self):
        return [spec_of_type(r.type) for r in self.op.results]

    # -- compositions ----------------------------------------------------------------------
    def or_zeros(self, t, like):
        """`t`, or zeros of like's type where t is a symbolic zero."""
        return self.zeros_like(like) if t is None else t

    def sq(self, x):
        return self.integer_pow(x, y=2)

    def all_axes_sum(self, x):
        n = len(spec(x).shape)
        return self.reduce_sum(x, axes=tuple(range(n))) if n else x

    def unreduce(self, ct, shape, axes):
        """Broadcast the result `ct` of a reduction over `axes` back to `shape`."""
        kept = tuple(d for d in range(len(shape)) if d not in axes)
        return self.broadcast_in_dim(ct, shape=tuple(shape), broadcast_dimensions=kept)

    def where(self, pred, a, b):
        return self.select(pred, a, b)


def missing_rule(name, transform, op) -> PassNotImplementedError:
    return PassNotImplementedError(
        f"Differentiation rule for '{name}' not implemented in {transform} mode. Mark the "
        "value with mlax.lax.stop_gradient, or define the derivative with mlax.custom_jvp / "
        "mlax.custom_vjp.", at=op)


# ---------------------------------------------------------------------------------------
# Family helpers


def defrule(name, jvp=None, vjp=None):
    name = "mlax." + name
    if jvp is not None:
        JVP_RULES[name] = jvp
    if vjp is not None:
        VJP_RULES[name] = vjp


def defunary(name, d):
    """Elementwise y = f(x); d(ctx, g, x, y) returns g * f'(x)."""
    def rule(ctx, gs):
        return [d(ctx, gs[0], ctx.args[0], ctx.outs[0])]
    defrule(name, rule, rule)


def defbinary(name, dl, dr):
    """Elementwise z = f(x, y); dl/dr(ctx, g, x, y, z) return g * dz/dx and g * dz/dy."""
    def jvp(ctx, ts):
        x, y = ctx.args
        z = ctx.outs[0]
        out = None
        if ts[0] is not None:
            out = dl(ctx, ts[0], x, y, z)
        if ts[1] is not None:
            out = ctx.add_any(out, dr(ctx, ts[1], x, y, z))
        return [out]

    def vjp(ctx, cts):
        x, y = ctx.args
        z = ctx.outs[0]
        g = cts[0]
        return [dl(ctx, g, x, y, z) if ctx.active[0] else None,
                dr(ctx, g, x, y, z) if ctx.active[1] else None]
    defrule(name, jvp, vjp)


def deflinear(name, transpose, linear=(0,)):
    """An op linear in the operands at positions `linear` (the others pass through)."""
    full = "mlax." + name

    def jvp(ctx, ts):
        operands = [ctx.or_zeros(ts[i], ctx.args[i]) if i in linear else a
                    for i, a in enumerate(ctx.args)]
        return ctx.emit(full, operands, **ctx.attrs)
    defrule(name, jvp, transpose)


def defzero(*names):
    """Ops whose derivative is zero everywhere (or whose results are not differentiable)."""
    for name in names:
        defrule(name, lambda ctx, ts: [None] * len(ctx.outs),
                lambda ctx, cts: [None] * len(ctx.args))
