"""Differentiation rules of the mlax ops: one JVP table and one VJP table, keyed by op name.

    JVP_RULES[name](ctx, tangents) -> tangents_out
        `tangents[i]` is the tangent of operand i, or None for a (symbolic) zero; the rule
        runs only when at least one is not None. It returns one tangent per result (a
        list, or a single Value for a one-result op), None where the tangent is zero.

    VJP_RULES[name](ctx, cts) -> cts_in
        `cts[i]` is the cotangent of result i, or None for zero; the rule runs only when
        at least one is not None. It returns one cotangent per operand, None where zero
        (or where `ctx.active[i]` is false: that operand needs none).

    ctx (a `RuleContext`): `ctx.args` / `ctx.outs` are the op's primal operands and results
    as Values of the function being built, `ctx.attrs` its attributes as Python values
    (`mlax.dialects.op_attrs`), `ctx.active[i]` whether operand i carries a tangent (JVP)
    or needs a cotangent (VJP). The context is a `mlax.transforms.builder.Builder`: new
    ops are built with `ctx.<op>(*operands, **attrs)` (`ctx.mul(g, ctx.cos(x))`), at the
    current insertion point and with the location of the op being differentiated, so a
    derivative op points at the user's line.

Reverse mode is built from reverse rules written beside the forward ones (micrograd,
PyTorch) rather than from JVP + partial evaluation + transposition: the passes in
mlax.transforms.autodiff replay the primal ops once, then walk them backwards calling
these rules. Rules emit mlax ops, so derivatives are differentiable again (grad of grad).

Family helpers register both tables at once, so most ops are one line:
  defunary(name, d)        elementwise, one operand: d(ctx, g, x, y) = g * dy/dx
                           (the Jacobian is diagonal, so one function serves JVP and VJP)
  defbinary(name, dl, dr)  elementwise, two operands: dl/dr(ctx, g, x, y, z) = g * dz/dx|y
  deflinear(name, transpose, linear=(0,))
                           linear in the operands listed in `linear` (the others, e.g.
                           indices, are passed through): the JVP applies the op itself to
                           the tangents; `transpose(ctx, ct)` gives the operand cotangents
  defzero(*names)          zero derivative everywhere (comparisons, integer ops,
                           floor/round/sign, stop_gradient)
Ops with no entry raise a NotImplementedError naming the op and the transform.

Calls (`func.call`, and calls to control-flow / custom-derivative declarations, keyed
"mlax.<kind>") get their rules in mlax.transforms.autodiff: they build derivative functions.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from mlir import ir

from mlax.dialects import OPS, op_attrs, spec_of_type, structural
from mlax.dialects.types import TensorSpec
from mlax.passes import PassNotImplementedError
from mlax.transforms.builder import Builder

JVP_RULES: dict[str, Callable] = {}
VJP_RULES: dict[str, Callable] = {}


# ---------------------------------------------------------------------------------------
# The context of a rule


def spec(v: ir.Value) -> TensorSpec:
    return spec_of_type(v.type)


def is_float(v_or_dtype) -> bool:
    dtype = spec(v_or_dtype).dtype if isinstance(v_or_dtype, ir.Value) else np.dtype(v_or_dtype)
    return dtype.kind == "f"


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


# ---------------------------------------------------------------------------------------
# Elementwise unary ops: d(ctx, g, x, y) = g * dy/dx

def _c(ctx, like, value):
    return ctx.full_like(like, value)


def _one_minus_sq(ctx, v):
    return ctx.sub(_c(ctx, v, 1), ctx.sq(v))


defunary("neg", lambda ctx, g, x, y: ctx.neg(g))
defunary("copy", lambda ctx, g, x, y: g)
defunary("exp", lambda ctx, g, x, y: ctx.mul(g, y))
defunary("exp2", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(y, _c(ctx, x, math.log(2)))))
defunary("log", lambda ctx, g, x, y: ctx.div(g, x))
defunary("log1p", lambda ctx, g, x, y: ctx.div(g, ctx.add(x, _c(ctx, x, 1))))
defunary("expm1", lambda ctx, g, x, y: ctx.mul(g, ctx.add(y, _c(ctx, y, 1))))
defunary("tanh", lambda ctx, g, x, y: ctx.mul(g, _one_minus_sq(ctx, y)))
defunary("logistic", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(y, ctx.sub(_c(ctx, y, 1), y))))
defunary("sin", lambda ctx, g, x, y: ctx.mul(g, ctx.cos(x)))
defunary("cos", lambda ctx, g, x, y: ctx.neg(ctx.mul(g, ctx.sin(x))))
defunary("tan", lambda ctx, g, x, y: ctx.mul(g, ctx.add(_c(ctx, y, 1), ctx.sq(y))))
defunary("asin", lambda ctx, g, x, y: ctx.mul(g, ctx.rsqrt(_one_minus_sq(ctx, x))))
defunary("acos", lambda ctx, g, x, y: ctx.neg(ctx.mul(g, ctx.rsqrt(_one_minus_sq(ctx, x)))))
defunary("atan", lambda ctx, g, x, y: ctx.div(g, ctx.add(_c(ctx, x, 1), ctx.sq(x))))
defunary("sinh", lambda ctx, g, x, y: ctx.mul(g, ctx.cosh(x)))
defunary("cosh", lambda ctx, g, x, y: ctx.mul(g, ctx.sinh(x)))
defunary("asinh", lambda ctx, g, x, y: ctx.mul(g, ctx.rsqrt(ctx.add(ctx.sq(x), _c(ctx, x, 1)))))
defunary("acosh", lambda ctx, g, x, y: ctx.mul(g, ctx.rsqrt(
    ctx.mul(ctx.sub(x, _c(ctx, x, 1)), ctx.add(x, _c(ctx, x, 1))))))
defunary("atanh", lambda ctx, g, x, y: ctx.div(g, ctx.mul(
    ctx.sub(_c(ctx, x, 1), x), ctx.add(_c(ctx, x, 1), x))))
defunary("sqrt", lambda ctx, g, x, y: ctx.div(g, ctx.mul(_c(ctx, y, 2), y)))
defunary("rsqrt", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(_c(ctx, x, -0.5), ctx.div(y, x))))
defunary("cbrt", lambda ctx, g, x, y: ctx.div(g, ctx.mul(_c(ctx, y, 3), ctx.sq(y))))
# JAX's convention: the derivative of |x| at 0 is +1.
defunary("abs", lambda ctx, g, x, y: ctx.select(ctx.ge(x, ctx.zeros_like(x)), g, ctx.neg(g)))
defunary("erf", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, 2 / math.sqrt(math.pi)), ctx.exp(ctx.neg(ctx.sq(x))))))
defunary("erfc", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, -2 / math.sqrt(math.pi)), ctx.exp(ctx.neg(ctx.sq(x))))))
defunary("erf_inv", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, math.sqrt(math.pi) / 2), ctx.exp(ctx.sq(y)))))
defunary("lgamma", lambda ctx, g, x, y: ctx.mul(g, ctx.digamma(x)))


def _trigamma(ctx, x):
    """psi'(x): the recurrence psi'(z) = psi'(z + 1) + 1/z^2 shifts z past 6, where the
    asymptotic series is accurate to ~1e-11; x < 1/2 goes through the reflection formula
    psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x)."""
    def positive(z):
        acc = None
        for _ in range(6):
            acc = ctx.add_any(acc, ctx.div(_c(ctx, z, 1), ctx.sq(z)))
            z = ctx.add(z, _c(ctx, z, 1))
        # 1/z + 1/(2z^2) + 1/(6z^3) - 1/(30z^5) + 1/(42z^7) - 1/(30z^9) + 5/(66z^11)
        w = ctx.div(_c(ctx, z, 1), z)
        w2 = ctx.sq(w)
        series = _c(ctx, z, 5 / 66)
        for coef in (-1 / 30, 1 / 42, -1 / 30, 1 / 6):
            series = ctx.add(ctx.mul(series, w2), _c(ctx, z, coef))
        series = ctx.mul(series, ctx.mul(w2, w))
        series = ctx.add(series, ctx.add(w, ctx.mul(_c(ctx, z, 0.5), w2)))
        return ctx.add(acc, series)
    half = _c(ctx, x, 0.5)
    small = ctx.lt(x, half)
    one = _c(ctx, x, 1)
    reflected_arg = ctx.sub(one, x)
    z = ctx.select(small, reflected_arg, x)
    pz = positive(z)
    s = ctx.sin(ctx.mul(_c(ctx, x, math.pi), x))
    refl = ctx.sub(ctx.div(_c(ctx, x, math.pi ** 2), ctx.sq(s)), pz)
    return ctx.select(small, refl, pz)


defunary("digamma", lambda ctx, g, x, y: ctx.mul(g, _trigamma(ctx, x)))

defzero("sign", "floor", "ceil", "round", "stop_gradient", "not", "population_count",
        "is_finite", "nextafter", "and", "or", "xor", "shift_left", "shift_right_logical",
        "shift_right_arithmetic", "eq", "ne", "lt", "le", "gt", "ge", "iota", "argmax",
        "argmin", "reduce_and", "reduce_or", "threefry2x32", "bitcast_convert_type")


# ---------------------------------------------------------------------------------------
# Elementwise binary ops: dl/dr(ctx, g, x, y, z) = g * dz/dx, g * dz/dy

def _balanced_eq(ctx, x, z, y):
    """1 where x is the result z alone, 1/2 where x and y tie, else 0 (JAX's max/min rule)."""
    one, half, zero = _c(ctx, z, 1), _c(ctx, z, 0.5), ctx.zeros_like(z)
    return ctx.select(ctx.eq(x, z), ctx.select(ctx.eq(y, z), half, one), zero)


def _trunc(ctx, v):
    return ctx.mul(ctx.sign(v), ctx.floor(ctx.abs(v)))


def _pow_dx(ctx, g, x, y, z):
    # y * x^(y-1), taken as 0 where y == 0 (so 0^0 has derivative 0 in x).
    d = ctx.mul(y, ctx.pow(x, ctx.sub(y, _c(ctx, y, 1))))
    return ctx.mul(g, ctx.select(ctx.eq(y, ctx.zeros_like(y)), ctx.zeros_like(y), d))


def _pow_dy(ctx, g, x, y, z):
    # log(x) * x^y, with log(0) replaced by log(1): the limit along x = 0 is 0.
    safe = ctx.select(ctx.eq(x, ctx.zeros_like(x)), _c(ctx, x, 1), x)
    return ctx.mul(g, ctx.mul(ctx.log(safe), z))


def _atan2_denom(ctx, x, y):
    return ctx.add(ctx.sq(x), ctx.sq(y))


defbinary("add", lambda ctx, g, x, y, z: g, lambda ctx, g, x, y, z: g)
defbinary("sub", lambda ctx, g, x, y, z: g, lambda ctx, g, x, y, z: ctx.neg(g))
defbinary("mul", lambda ctx, g, x, y, z: ctx.mul(g, y), lambda ctx, g, x, y, z: ctx.mul(x, g))
defbinary("div", lambda ctx, g, x, y, z: ctx.div(g, y),
          lambda ctx, g, x, y, z: ctx.neg(ctx.mul(g, ctx.div(z, y))))
defbinary("rem", lambda ctx, g, x, y, z: g,
          lambda ctx, g, x, y, z: ctx.neg(ctx.mul(g, _trunc(ctx, ctx.div(x, y)))))
defbinary("pow", _pow_dx, _pow_dy)
defbinary("max", lambda ctx, g, x, y, z: ctx.mul(g, _balanced_eq(ctx, x, z, y)),
          lambda ctx, g, x, y, z: ctx.mul(g, _balanced_eq(ctx, y, z, x)))
defbinary("min", lambda ctx, g, x, y, z: ctx.mul(g, _balanced_eq(ctx, x, z, y)),
          lambda ctx, g, x, y, z: ctx.mul(g, _balanced_eq(ctx, y, z, x)))
defbinary("atan2", lambda ctx, g, x, y, z: ctx.mul(g, ctx.div(y, _atan2_denom(ctx, x, y))),
          lambda ctx, g, x, y, z: ctx.mul(g, ctx.div(ctx.neg(x), _atan2_denom(ctx, x, y))))


def _integer_pow_d(ctx, g, x, y):
    n = ctx.attrs["y"]
    if n == 0:
        return None
    if n == 1:
        return g
    xn1 = x if n == 2 else ctx.integer_pow(x, y=n - 1)
    return ctx.mul(g, ctx.mul(_c(ctx, x, n), xn1))


defunary("integer_pow", _integer_pow_d)


# ---------------------------------------------------------------------------------------
# select, clamp, conversions


def _select_jvp(ctx, ts):
    p, a, b = ctx.args
    return [ctx.select(p, ctx.or_zeros(ts[1], a), ctx.or_zeros(ts[2], b))]


def _select_vjp(ctx, cts):
    p, a, _ = ctx.args
    ct = cts[0]
    zero = ctx.zeros_like(ct)
    return [None, ctx.select(p, ct, zero) if ctx.active[1] else None,
            ctx.select(p, zero, ct) if ctx.active[2] else None]


defrule("select", _select_jvp, _select_vjp)


def _clamp_masks(ctx):
    lo, x, hi = ctx.args
    return [ctx.emit("mlax.and", [ctx.gt(lo, x), ctx.lt(lo, hi)])[0],
            ctx.emit("mlax.and", [ctx.gt(x, lo), ctx.lt(x, hi)])[0],
            ctx.lt(hi, x)]


def _clamp_jvp(ctx, ts):
    out = None
    for t, m in zip(ts, _clamp_masks(ctx)):
        if t is not None:
            out = ctx.add_any(out, ctx.select(m, t, ctx.zeros_like(t)))
    return [out]


def _clamp_vjp(ctx, cts):
    ct = cts[0]
    return [ctx.select(m, ct, ctx.zeros_like(ct)) if a else None
            for m, a in zip(_clamp_masks(ctx), ctx.active)]


defrule("clamp", _clamp_jvp, _clamp_vjp)


def _convert_jvp(ctx, ts):
    if not (is_float(ctx.args[0]) and is_float(ctx.outs[0])):
        return [None]
    return [ctx.convert_element_type(ts[0], new_dtype=ctx.attrs["new_dtype"])]


def _convert_vjp(ctx, cts):
    if not (is_float(ctx.args[0]) and is_float(ctx.outs[0])):
        return [None]
    return [ctx.convert_element_type(cts[0], new_dtype=spec(ctx.args[0]).dtype)]


defrule("convert_element_type", _convert_jvp, _convert_vjp)


# ---------------------------------------------------------------------------------------
# Shape ops (linear)


def _broadcast_in_dim_t(ctx, cts):
    ct = cts[0]
    in_shape = spec(ctx.args[0]).shape
    out_shape = spec(ct).shape
    bdims = ctx.attrs["broadcast_dimensions"]
    expanded = {bdims[i] for i, n in enumerate(in_shape) if n == 1 and out_shape[bdims[i]] != 1}
    summed = tuple(d for d in range(len(out_shape)) if d not in bdims or d in expanded)
    r = ctx.reduce_sum(ct, axes=summed) if summed else ct
    # The kept dims come out in increasing output order; put them in operand order.
    kept = [d for d in range(len(out_shape)) if d not in summed]
    order = [i for i in range(len(in_shape)) if bdims[i] in kept]
    by_pos = sorted(order, key=lambda i: bdims[i])
    if by_pos != order:
        r = ctx.transpose(r, permutation=tuple(by_pos.index(i) for i in order))
    if spec(r).shape != tuple(in_shape):
        r = ctx.reshape(r, new_sizes=tuple(in_shape))
    return [r]


deflinear("broadcast_in_dim", _broadcast_in_dim_t)
deflinear("reshape", lambda ctx, cts: [ctx.reshape(cts[0], new_sizes=spec(ctx.args[0]).shape)])
deflinear("transpose", lambda ctx, cts: [ctx.transpose(
    cts[0], permutation=tuple(int(i) for i in np.argsort(ctx.attrs["permutation"])))])


def _slice_t(ctx, cts):
    ct = cts[0]
    a = ctx.attrs
    n_in = spec(ctx.args[0]).shape
    k_out = spec(ct).shape
    high = tuple(n - s - k - max(0, k - 1) * (st - 1)
                 for n, s, k, st in zip(n_in, a["start_indices"], k_out, a["strides"]))
    zero = ctx.scalar(ct, 0)
    return [ctx.pad(ct, zero, low=tuple(a["start_indices"]), high=high,
                    interior=tuple(st - 1 for st in a["strides"]))]


deflinear("slice", _slice_t)


def _dynamic_slice_t(ctx, cts):
    x, *idx = ctx.args
    return [ctx.dynamic_update_slice(ctx.zeros_like(x), cts[0], *idx)] + [None] * len(idx)


deflinear("dynamic_slice", _dynamic_slice_t)


def _dynamic_update_slice_t(ctx, cts):
    x, u, *idx = ctx.args
    ct = cts[0]
    ct_x = ctx.dynamic_update_slice(ct, ctx.zeros_like(u), *idx) if ctx.active[0] else None
    ct_u = ctx.dynamic_slice(ct, *idx, slice_sizes=spec(u).shape) if ctx.active[1] else None
    return [ct_x, ct_u] + [None] * len(idx)


deflinear("dynamic_update_slice", _dynamic_update_slice_t, linear=(0, 1))


def _concatenate_t(ctx, cts):
    ct = cts[0]
    d = ctx.attrs["dimension"]
    shape = spec(ct).shape
    na = spec(ctx.args[0]).shape[d]
    out = []
    for i, (lo, hi) in enumerate(((0, na), (na, shape[d]))):
        if not ctx.active[i]:
            out.append(None)
            continue
        start = [0] * len(shape)
        limit = list(shape)
        start[d], limit[d] = lo, hi
        out.append(ctx.slice(ct, start_indices=tuple(start), limit_indices=tuple(limit),
                             strides=(1,) * len(shape)))
    return out


deflinear("concatenate", _concatenate_t, linear=(0, 1))


def _pad_t(ctx, cts):
    ct = cts[0]
    lo, hi, interior = ctx.attrs["low"], ctx.attrs["high"], ctx.attrs["interior"]
    shape = spec(ct).shape
    zero = ctx.scalar(ct, 0)
    if all(v >= 0 for v in lo + hi):
        unpadded = ct
        limit = tuple(n - h for n, h in zip(shape, hi))
        start = tuple(lo)
    else:
        unpadded = ctx.pad(ct, zero, low=tuple(-v for v in lo), high=tuple(-v for v in hi),
                           interior=(0,) * len(shape))
        start, limit = (0,) * len(shape), spec(unpadded).shape
    if any(interior) or start != (0,) * len(shape) or tuple(limit) != spec(unpadded).shape:
        ct_x = ctx.slice(unpadded, start_indices=start, limit_indices=tuple(limit),
                         strides=tuple(i + 1 for i in interior))
    else:
        ct_x = unpadded
    ct_v = None
    if ctx.active[1]:
        ct_v = ctx.sub(ctx.all_axes_sum(ct), ctx.all_axes_sum(ct_x))
    return [ct_x if ctx.active[0] else None, ct_v]


deflinear("pad", _pad_t, linear=(0, 1))


# ---------------------------------------------------------------------------------------
# gather / scatter


def _index_bounds(ctx, indices, operand_shape, dims, sizes):
    """(0, operand_dim - window) per index component, broadcast to the indices' shape."""
    ishape = spec(indices).shape
    dtype = spec(indices).dtype
    bounds = np.array([operand_shape[d] - sizes[d] for d in dims], dtype=dtype)
    hi = ctx.array(bounds)
    hi = ctx.broadcast_in_dim(hi, shape=ishape, broadcast_dimensions=(len(ishape) - 1,))
    return ctx.zeros_like(indices), hi


def _gather_t(ctx, cts):
    operand, indices = ctx.args
    a = ctx.attrs
    ct = cts[0]
    oshape = spec(operand).shape
    if a["mode"] == "clip":
        lo, hi = _index_bounds(ctx, indices, oshape, a["start_index_map"], a["slice_sizes"])
        indices = ctx.clamp(lo, indices, hi)
    out = ctx.scatter(ctx.zeros_like(operand), indices, ct, kind="add",
                      update_window_dims=a["offset_dims"],
                      inserted_window_dims=a["collapsed_slice_dims"],
                      scatter_dims_to_operand_dims=a["start_index_map"],
                      operand_batching_dims=a["operand_batching_dims"],
                      scatter_indices_batching_dims=a["start_indices_batching_dims"],
                      mode="drop")
    return [out, None]


deflinear("gather", _gather_t)


def _scatter_gather(ctx, ct, indices, updates):
    """The transpose of scatter-add w.r.t. its updates: gather `ct` at the update windows,
    zero for windows the scatter dropped (out of bounds)."""
    a = ctx.attrs
    oshape = spec(ct).shape
    ushape = spec(updates).shape
    window = iter(ushape[d] for d in a["update_window_dims"])
    sizes = tuple(1 if d in a["inserted_window_dims"] or d in a["operand_batching_dims"]
                  else next(window) for d in range(len(oshape)))
    g = ctx.gather(ct, indices, offset_dims=a["update_window_dims"],
                   collapsed_slice_dims=a["inserted_window_dims"],
                   start_index_map=a["scatter_dims_to_operand_dims"],
                   operand_batching_dims=a["operand_batching_dims"],
                   start_indices_batching_dims=a["scatter_indices_batching_dims"],
                   slice_sizes=sizes, mode="clip")
    if a["mode"] == "clip":
        return g
    lo, hi = _index_bounds(ctx, indices, oshape, a["scatter_dims_to_operand_dims"], sizes)
    inb = ctx.emit("mlax.and", [ctx.ge(indices, lo), ctx.le(indices, hi)])[0]
    ishape = spec(indices).shape
    ok = ctx.reduce_and(inb, axes=(len(ishape) - 1,))
    scatter_dims = [d for d in range(len(ushape)) if d not in a["update_window_dims"]]
    ok = ctx.broadcast_in_dim(ok, shape=ushape, broadcast_dimensions=tuple(scatter_dims))
    return ctx.select(ok, g, ctx.zeros_like(g))


def _scatter_attrs(ctx, **over):
    return dict(ctx.attrs, **over)


def _scatter_jvp(ctx, ts):
    operand, indices, updates = ctx.args
    kind = ctx.attrs["kind"]
    if kind in ("set", "add"):
        return [ctx.scatter(ctx.or_zeros(ts[0], operand), indices, ctx.or_zeros(ts[2], updates),
                            **ctx.attrs)]
    if kind == "mul" and ts[2] is None:
        return [ctx.scatter(ts[0], indices, updates, **ctx.attrs)]
    if kind in ("min", "max"):
        hit_op, hit_up, count = _extremal_parts(ctx)
        t_op = ctx.or_zeros(ts[0], operand)
        t_up = ctx.or_zeros(ts[2], updates)
        total = ctx.scatter(ctx.select(hit_op, t_op, ctx.zeros_like(t_op)), indices,
                            ctx.select(hit_up, t_up, ctx.zeros_like(t_up)),
                            **_scatter_attrs(ctx, kind="add"))
        return [ctx.div(total, count)]
    raise missing_rule(f"mlax.scatter (kind={kind})", "jvp", ctx.loc)


def _scatter_vjp(ctx, cts):
    operand, indices, updates = ctx.args
    kind = ctx.attrs["kind"]
    ct = cts[0]
    if kind == "add":
        return [ct if ctx.active[0] else None, None,
                _scatter_gather(ctx, ct, indices, updates) if ctx.active[2] else None]
    if kind == "set":
        ct_op = ctx.scatter(ct, indices, ctx.zeros_like(updates), **ctx.attrs) \
            if ctx.active[0] else None
        return [ct_op, None, _scatter_gather(ctx, ct, indices, updates) if ctx.active[2] else None]
    if kind == "mul" and not ctx.active[2]:
        return [ctx.scatter(ct, indices, updates, **ctx.attrs), None, None]
    if kind in ("min", "max"):
        hit_op, hit_up, count = _extremal_parts(ctx)
        w = ctx.div(ct, count)
        ct_op = ctx.select(hit_op, w, ctx.zeros_like(w)) if ctx.active[0] else None
        ct_up = None
        if ctx.active[2]:
            g = _scatter_gather(ctx, w, indices, updates)
            ct_up = ctx.select(hit_up, g, ctx.zeros_like(g))
        return [ct_op, None, ct_up]
    raise missing_rule(f"mlax.scatter (kind={kind})", "vjp", ctx.loc)


def _extremal_parts(ctx):
    """For scatter-min/max: which operand entries and which updates attain the result, and
    how many do at each result position. Ties share the derivative equally, as in JAX."""
    operand, indices, updates = ctx.args
    out = ctx.outs[0]
    dtype = spec(operand).dtype
    hit_op = ctx.eq(operand, out)
    hit_up = ctx.eq(updates, _scatter_gather(ctx, out, indices, updates))
    count = ctx.scatter(ctx.convert_element_type(hit_op, new_dtype=dtype), indices,
                        ctx.convert_element_type(hit_up, new_dtype=dtype),
                        **_scatter_attrs(ctx, kind="add"))
    return hit_op, hit_up, count


defrule("scatter", _scatter_jvp, _scatter_vjp)


# ---------------------------------------------------------------------------------------
# Reductions


deflinear("reduce_sum", lambda ctx, cts: [ctx.unreduce(cts[0], spec(ctx.args[0]).shape,
                                                       ctx.attrs["axes"])])


def _chooser_parts(ctx):
    """Where x attains the reduced max/min, and how many times per reduced slot."""
    x, = ctx.args
    shape = spec(x).shape
    axes = ctx.attrs["axes"]
    ans = ctx.unreduce(ctx.outs[0], shape, axes)
    loc = ctx.convert_element_type(ctx.eq(x, ans), new_dtype=spec(x).dtype)
    counts = ctx.reduce_sum(loc, axes=axes)
    return loc, counts


def _chooser_jvp(ctx, ts):
    loc, counts = _chooser_parts(ctx)
    return [ctx.div(ctx.reduce_sum(ctx.mul(ts[0], loc), axes=ctx.attrs["axes"]), counts)]


def _chooser_vjp(ctx, cts):
    loc, counts = _chooser_parts(ctx)
    shape = spec(ctx.args[0]).shape
    return [ctx.mul(ctx.unreduce(ctx.div(cts[0], counts), shape, ctx.attrs["axes"]), loc)]


defrule("reduce_max", _chooser_jvp, _chooser_vjp)
defrule("reduce_min", _chooser_jvp, _chooser_vjp)


def _prod_partials(ctx):
    """For reduce_prod: x with the reduced axes moved last and flattened (K..., n), and
    the product of all the other elements of each slot (exclusive prefix times exclusive
    suffix products), exact where x has zeros."""
    x, = ctx.args
    shape = spec(x).shape
    axes = ctx.attrs["axes"]
    kept = [d for d in range(len(shape)) if d not in axes]
    perm = tuple(kept) + tuple(axes)
    kshape = tuple(shape[d] for d in kept)
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    flat_shape = kshape + (n,)

    def flatten(v):
        if perm != tuple(range(len(shape))):
            v = ctx.transpose(v, permutation=perm)
        return ctx.reshape(v, new_sizes=flat_shape) if spec(v).shape != flat_shape else v
    xf = flatten(x)
    if n <= 1:
        return flatten, perm, kshape, n, ctx.ones_like(xf)
    last = len(flat_shape) - 1
    ones = ctx.full(kshape + (1,), spec(x).dtype, 1)

    def cut(v, lo, hi):
        start = (0,) * last + (lo,)
        return ctx.slice(v, start_indices=start, limit_indices=kshape + (hi,),
                         strides=(1,) * len(flat_shape))
    left = ctx.concatenate(ones, cut(ctx.cumprod(xf, axis=last, reverse=False), 0, n - 1),
                           dimension=last)
    right = ctx.concatenate(cut(ctx.cumprod(xf, axis=last, reverse=True), 1, n), ones,
                            dimension=last)
    return flatten, perm, kshape, n, ctx.mul(left, right)


def _reduce_prod_jvp(ctx, ts):
    flatten, perm, kshape, n, partial = _prod_partials(ctx)
    if n == 0:
        return [None]
    return [ctx.reduce_sum(ctx.mul(partial, flatten(ts[0])), axes=(len(kshape),))]


def _reduce_prod_vjp(ctx, cts):
    flatten, perm, kshape, n, partial = _prod_partials(ctx)
    x = ctx.args[0]
    if n == 0:
        return [None]
    shape = spec(x).shape
    g = ctx.broadcast_in_dim(cts[0], shape=kshape + (n,),
                             broadcast_dimensions=tuple(range(len(kshape))))
    g = ctx.mul(g, partial)
    permuted = tuple(shape[d] for d in perm)
    if spec(g).shape != permuted:
        g = ctx.reshape(g, new_sizes=permuted)
    if perm != tuple(range(len(shape))):
        g = ctx.transpose(g, permutation=tuple(int(i) for i in np.argsort(perm)))
    return [g]


defrule("reduce_prod", _reduce_prod_jvp, _reduce_prod_vjp)


# ---------------------------------------------------------------------------------------
# Cumulative ops


deflinear("cumsum", lambda ctx, cts: [ctx.cumsum(cts[0], axis=ctx.attrs["axis"],
                                                 reverse=not ctx.attrs["reverse"])])


def _cumprod_jvp(ctx, ts):
    # y * cumsum(t / x): exact where x has no zeros.
    x, = ctx.args
    a = ctx.attrs
    return [ctx.mul(ctx.outs[0], ctx.cumsum(ctx.div(ts[0], x), axis=a["axis"], reverse=a["reverse"]))]


def _cumprod_vjp(ctx, cts):
    x, = ctx.args
    a = ctx.attrs
    s = ctx.cumsum(ctx.mul(cts[0], ctx.outs[0]), axis=a["axis"], reverse=not a["reverse"])
    return [ctx.div(s, x)]


defrule("cumprod", _cumprod_jvp, _cumprod_vjp)


def _lse_scale(ctx):
    """exp(x - m) and exp(m - y) for m the max of x along the axis (kept finite)."""
    x, = ctx.args
    y = ctx.outs[0]
    axis = ctx.attrs["axis"]
    m = ctx.reduce_max(x, axes=(axis,))
    m = ctx.select(ctx.is_finite(m), m, ctx.zeros_like(m))
    m = ctx.unreduce(m, spec(x).shape, (axis,))
    return ctx.exp(ctx.sub(x, m)), ctx.exp(ctx.sub(m, y))


def _cumlogsumexp_jvp(ctx, ts):
    ex, ey = _lse_scale(ctx)
    a = ctx.attrs
    return [ctx.mul(ctx.cumsum(ctx.mul(ts[0], ex), axis=a["axis"], reverse=a["reverse"]), ey)]


def _cumlogsumexp_vjp(ctx, cts):
    ex, ey = _lse_scale(ctx)
    a = ctx.attrs
    return [ctx.mul(ex, ctx.cumsum(ctx.mul(cts[0], ey), axis=a["axis"], reverse=not a["reverse"]))]


defrule("cumlogsumexp", _cumlogsumexp_jvp, _cumlogsumexp_vjp)


def _cum_chooser_source(ctx):
    """For cummax/cummin: the index each result was taken from (the latest position, in
    scan order, where the running extreme was attained)."""
    x, = ctx.args
    y = ctx.outs[0]
    a = ctx.attrs
    shape = spec(x).shape
    n = shape[a["axis"]]
    iota = ctx.iota(dtype=np.dtype(np.int32), shape=shape, dimension=a["axis"])
    hit = ctx.eq(x, y)
    if not a["reverse"]:
        return ctx.cummax(ctx.select(hit, iota, ctx.zeros_like(iota)), axis=a["axis"], reverse=False)
    return ctx.cummin(ctx.select(hit, iota, ctx.full_like(iota, n - 1)), axis=a["axis"], reverse=True)


def _cum_chooser_jvp(ctx, ts):
    return [take_along_axis(ctx, ts[0], _cum_chooser_source(ctx), ctx.attrs["axis"])]


def _cum_chooser_vjp(ctx, cts):
    src = _cum_chooser_source(ctx)
    return [take_along_axis_t(ctx, cts[0], src, ctx.attrs["axis"], spec(ctx.args[0]).shape)]


defrule("cummax", _cum_chooser_jvp, _cum_chooser_vjp)
defrule("cummin", _cum_chooser_jvp, _cum_chooser_vjp)


# ---------------------------------------------------------------------------------------
# Point gathers along one axis (sort, top_k, cummax)


def _point_indices(ctx, idx, axis):
    """Full gather indices (*shape, rank): `idx` along `axis`, the position elsewhere."""
    shape = spec(idx).shape
    rank = len(shape)
    parts = []
    for d in range(rank):
        comp = idx if d == axis else ctx.iota(dtype=np.dtype(np.int32), shape=shape, dimension=d)
        if spec(comp).dtype != np.int32:
            comp = ctx.convert_element_type(comp, new_dtype=np.dtype(np.int32))
        parts.append(ctx.reshape(comp, new_sizes=shape + (1,)))
    out = parts[0]
    for p in parts[1:]:
        out = ctx.concatenate(out, p, dimension=rank)
    return out


def _point_dnums(rank):
    dims = tuple(range(rank))
    return dict(collapsed_slice_dims=dims, start_index_map=dims, operand_batching_dims=(),
                start_indices_batching_dims=(), slice_sizes=(1,) * rank)


def take_along_axis(ctx, t, idx, axis):
    """out[..., i, ...] = t[..., idx[..., i, ...], ...] (idx has t's rank)."""
    rank = len(spec(t).shape)
    if rank == 0:
        return t
    d = _point_dnums(rank)
    return ctx.gather(t, _point_indices(ctx, idx, axis), offset_dims=(), mode="clip", **d)


def take_along_axis_t(ctx, ct, idx, axis, shape):
    """The transpose of take_along_axis: scatter-add `ct` into zeros of `shape`."""
    rank = len(shape)
    if rank == 0:
        return ct
    d = _point_dnums(rank)
    return ctx.scatter(ctx.full(shape, spec(ct).dtype, 0), _point_indices(ctx, idx, axis), ct,
                       kind="add", update_window_dims=(), inserted_window_dims=d["collapsed_slice_dims"],
                       scatter_dims_to_operand_dims=d["start_index_map"], operand_batching_dims=(),
                       scatter_indices_batching_dims=(), mode="drop")


def _sort_permutation(ctx):
    keys = ctx.args[0]
    a = ctx.attrs
    iota = ctx.iota(dtype=np.dtype(np.int32), shape=spec(keys).shape, dimension=a["dimension"])
    return ctx.sort(keys, iota, dimension=a["dimension"], is_stable=a["is_stable"])[1]


def _sort_jvp(ctx, ts):
    perm = _sort_permutation(ctx)
    return [None if t is None else take_along_axis(ctx, t, perm, ctx.attrs["dimension"])
            for t in ts]


def _sort_vjp(ctx, cts):
    perm = _sort_permutation(ctx)
    return [None if ct is None or not act else
            take_along_axis_t(ctx, ct, perm, ctx.attrs["dimension"], spec(ct).shape)
            for ct, act in zip(cts, ctx.active)]


defrule("sort", _sort_jvp, _sort_vjp)


def _top_k_jvp(ctx, ts):
    axis = len(spec(ctx.args[0]).shape) - 1
    return [take_along_axis(ctx, ts[0], ctx.outs[1], axis), None]


def _top_k_vjp(ctx, cts):
    x = ctx.args[0]
    axis = len(spec(x).shape) - 1
    return [take_along_axis_t(ctx, cts[0], ctx.outs[1], axis, spec(x).shape)]


defrule("top_k", _top_k_jvp, _top_k_vjp)


# ---------------------------------------------------------------------------------------
# dot_general (bilinear)


def _dot_dims(a):
    return (a["lhs_contracting_dimensions"], a["rhs_contracting_dimensions"],
            a["lhs_batch_dimensions"], a["rhs_batch_dimensions"])


def _dot(ctx, x, y, lc, rc, lb, rb):
    if not len(lc):
        return _outer(ctx, x, y, lb, rb)
    return ctx.dot_general(x, y, lhs_contracting_dimensions=tuple(lc),
                           rhs_contracting_dimensions=tuple(rc),
                           lhs_batch_dimensions=tuple(lb), rhs_batch_dimensions=tuple(rb))


def _outer(ctx, x, y, xb, yb):
    """dot_general with no contracting dimensions, as broadcasts and one multiply."""
    xs, ys = spec(x).shape, spec(y).shape
    xf = [d for d in range(len(xs)) if d not in xb]
    yf = [d for d in range(len(ys)) if d not in yb]
    nb = len(xb)
    shape = tuple(xs[d] for d in xb) + tuple(xs[d] for d in xf) + tuple(ys[d] for d in yf)
    xpos = [list(xb).index(d) if d in xb else nb + xf.index(d) for d in range(len(xs))]
    ypos = [list(yb).index(d) if d in yb else nb + len(xf) + yf.index(d) for d in range(len(ys))]
    bx = ctx.broadcast_in_dim(x, shape=shape, broadcast_dimensions=tuple(xpos))
    by = ctx.broadcast_in_dim(y, shape=shape, broadcast_dimensions=tuple(ypos))
    return ctx.mul(bx, by)


def _dot_general_jvp(ctx, ts):
    x, y = ctx.args
    dims = _dot_dims(ctx.attrs)
    out = None
    if ts[0] is not None:
        out = _dot(ctx, ts[0], y, *dims)
    if ts[1] is not None:
        out = ctx.add_any(out, _dot(ctx, x, ts[1], *dims))
    return [out]


def _remaining(n, *removed):
    gone = set().union(*[set(r) for r in removed])
    return [i for i in range(n) if i not in gone]


def _dot_transpose_lhs(ctx, g, x_ndim, y, xc, yc, xb, yb, swap_ans=False):
    """JAX's _dot_general_transpose_lhs: the cotangent of x in dot_general(x, y)."""
    y_ndim = len(spec(y).shape)
    x_kept = _remaining(x_ndim, xc, xb)
    y_kept = _remaining(y_ndim, yc, yb)
    nb = len(xb)
    if swap_ans:
        ans_y = list(range(nb, nb + len(y_kept)))
    else:
        ans_y = list(range(nb + len(x_kept), nb + len(x_kept) + len(y_kept)))
    ans_batch = list(range(nb))
    x_contract_sorted_by_y = [xc[i] for i in np.argsort(yc)] if len(yc) else []
    out_axes = np.argsort(list(xb) + x_kept + x_contract_sorted_by_y)
    r = _dot(ctx, g, y, ans_y, y_kept, ans_batch, yb)
    perm = tuple(int(i) for i in out_axes)
    if perm != tuple(range(len(perm))):
        r = ctx.transpose(r, permutation=perm)
    return r


def _dot_general_vjp(ctx, cts):
    x, y = ctx.args
    g = cts[0]
    xc, yc, xb, yb = (list(d) for d in _dot_dims(ctx.attrs))
    x_ndim, y_ndim = len(spec(x).shape), len(spec(y).shape)
    ct_x = _dot_transpose_lhs(ctx, g, x_ndim, y, xc, yc, xb, yb) if ctx.active[0] else None
    ct_y = _dot_transpose_lhs(ctx, g, y_ndim, x, yc, xc, yb, xb, swap_ans=True) \
        if ctx.active[1] else None
    return [ct_x, ct_y]


defrule("dot_general", _dot_general_jvp, _dot_general_vjp)
