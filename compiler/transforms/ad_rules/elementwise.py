"""Derivative rules of the elementwise ops: unary, binary, select, clamp, conversions."""
from __future__ import annotations

import math

from mlax.runtime.dtypes import is_half_float
from mlax.transforms.ad_rules.table import (defbinary, deflinear, defrule, defunary, defzero,
                                            is_complex, is_float, spec)


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
defunary("xla_log", lambda ctx, g, x, y: ctx.div(g, x))
defunary("xla_log1p", lambda ctx, g, x, y: ctx.div(g, ctx.add(x, _c(ctx, x, 1))))
defunary("expm1", lambda ctx, g, x, y: ctx.mul(g, ctx.add(y, _c(ctx, y, 1))))
def _tanh_rule(reverse):
    """g * (1 - y**2); at 16 bits JAX's ops, which round as JAX's do: the JVP is
    (g + g*y) * (1 - y), and its transpose h + h*y with h = g * (1 - y)."""
    def rule(ctx, gs):
        g, y = gs[0], ctx.outs[0]
        if not is_half_float(spec(y).dtype):
            return [ctx.mul(g, _one_minus_sq(ctx, y))]
        one_minus = ctx.sub(_c(ctx, y, 1), y)
        if reverse:
            h = ctx.mul(g, one_minus)
            return [ctx.add(h, ctx.mul(h, y))]
        return [ctx.mul(ctx.add(g, ctx.mul(g, y)), one_minus)]
    return rule


defrule("tanh", _tanh_rule(False), _tanh_rule(True))
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
def _abs_jvp(ctx, ts):
    # JAX's convention: the derivative of |x| at 0 is +1. For complex x, d|x| =
    # re(conj(x) / |x| dx), with |x| = 0 read as 1 (so the derivative at 0 is 0).
    x, y = ctx.args[0], ctx.outs[0]
    if not is_complex(x):
        return [ctx.select(ctx.ge(x, ctx.zeros_like(x)), ts[0], ctx.neg(ts[0]))]
    return [ctx.real(ctx.mul(ts[0], _conj_over_abs(ctx, x, y)))]


def _abs_vjp(ctx, cts):
    x, y = ctx.args[0], ctx.outs[0]
    if not is_complex(x):
        return [ctx.select(ctx.ge(x, ctx.zeros_like(x)), cts[0], ctx.neg(cts[0]))]
    return [ctx.mul(_as_complex(ctx, cts[0]), _conj_over_abs(ctx, x, y))]


def _conj_over_abs(ctx, x, y):
    safe = ctx.select(ctx.eq(y, ctx.zeros_like(y)), _c(ctx, y, 1), y)
    return ctx.div(ctx.conj(x), _as_complex(ctx, safe))


def _as_complex(ctx, v):
    return ctx.complex(v, ctx.zeros_like(v))


defrule("abs", _abs_jvp, _abs_vjp)
defunary("erf", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, 2 / math.sqrt(math.pi)), ctx.exp(ctx.neg(ctx.sq(x))))))
defunary("erfc", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, -2 / math.sqrt(math.pi)), ctx.exp(ctx.neg(ctx.sq(x))))))
defunary("erf_inv", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, math.sqrt(math.pi) / 2), ctx.exp(ctx.sq(y)))))
defunary("xla_erf", lambda ctx, g, x, y: ctx.mul(g, ctx.mul(
    _c(ctx, x, 2 / math.sqrt(math.pi)), ctx.exp(ctx.neg(ctx.sq(x))))))
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

# Ops with no derivative to propagate, and why: each gets zero rules (defzero), so a
# tangent or cotangent stops there, as JAX's float0 tangents do.
NON_DIFFERENTIABLE = {
    **dict.fromkeys(["mlax.sign", "mlax.floor", "mlax.ceil", "mlax.round"],
                    "piecewise constant: the derivative is zero wherever it exists"),
    "mlax.nextafter": "steps between adjacent floats: zero derivative wherever it exists",
    "mlax.stop_gradient": "blocks derivatives by definition",
    **dict.fromkeys(["mlax.not", "mlax.and", "mlax.or", "mlax.xor", "mlax.population_count",
                     "mlax.shift_left", "mlax.shift_right_logical",
                     "mlax.shift_right_arithmetic"],
                    "bitwise: integer or boolean values"),
    **dict.fromkeys(["mlax.eq", "mlax.ne", "mlax.lt", "mlax.le", "mlax.gt", "mlax.ge",
                     "mlax.is_finite", "mlax.reduce_and", "mlax.reduce_or"],
                    "boolean output"),
    **dict.fromkeys(["mlax.argmax", "mlax.argmin"], "integer output (an index)"),
    "mlax.iota": "no operands: a constant",
    "mlax.threefry2x32": "integer output (random bits)",
    "mlax.bitcast_convert_type": "reinterprets bits: no continuous relation to the input",
}
defzero(*[name.removeprefix("mlax.") for name in NON_DIFFERENTIABLE])


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


def _fma_jvp(ctx, ts):
    a, b, _ = ctx.args
    out = None
    for t, other in zip(ts, (b, a, None)):
        if t is not None:
            out = ctx.add_any(out, t if other is None else ctx.mul(t, other))
    return [out]


def _fma_vjp(ctx, cts):
    a, b, _ = ctx.args
    ct = cts[0]
    return [ctx.mul(ct, other) if active else None
            for other, active in zip((b, a), ctx.active[:2])] + \
        [ct if ctx.active[2] else None]


defrule("fma", _fma_jvp, _fma_vjp)


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


# ---------------------------------------------------------------------------------------
# Complex parts. Cotangents are not conjugated (JAX's convention): the transpose of
# `imag` is ct -> -i ct, that of `complex(x, y)` is ct -> (re ct, -im ct).

deflinear("real", lambda ctx, cts: [_as_complex(ctx, cts[0])])
deflinear("imag", lambda ctx, cts: [ctx.complex(ctx.zeros_like(cts[0]), ctx.neg(cts[0]))])
deflinear("conj", lambda ctx, cts: [ctx.conj(cts[0])])
deflinear("complex", lambda ctx, cts: [ctx.real(cts[0]) if ctx.active[0] else None,
                                       ctx.neg(ctx.imag(cts[0])) if ctx.active[1] else None],
          linear=(0, 1))


def _convert_jvp(ctx, ts):
    if not (is_float(ctx.args[0]) and is_float(ctx.outs[0])):
        return [None]
    return [ctx.convert_element_type(ts[0], new_dtype=ctx.attrs["new_dtype"])]


def _convert_vjp(ctx, cts):
    if not (is_float(ctx.args[0]) and is_float(ctx.outs[0])):
        return [None]
    return [ctx.convert_element_type(cts[0], new_dtype=spec(ctx.args[0]).dtype)]


defrule("convert_element_type", _convert_jvp, _convert_vjp)
