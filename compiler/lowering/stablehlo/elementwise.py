"""Elementwise ops, comparisons, select, clamp, convert_element_type and
bitcast_convert_type: one StableHLO (or CHLO) op each, chosen as JAX's lowering rules
(jax/_src/lax/lax.py, special.py) choose them, so XLA computes what it computes for JAX."""
from __future__ import annotations

import numpy as np

from mlax.lowering.stablehlo.builders import (compare, const, convert, is_unsigned, max_or_min,
                                              op1, same, select, ttype)

# mlax op -> the one op computing it (same operand and result types).
ONE_OP = {
    "neg": "stablehlo.negate", "floor": "stablehlo.floor", "ceil": "stablehlo.ceil",
    "round": "stablehlo.round_nearest_afz", "exp": "stablehlo.exponential",
    "log": "stablehlo.log", "log1p": "stablehlo.log_plus_one",
    "expm1": "stablehlo.exponential_minus_one", "tanh": "stablehlo.tanh",
    "sin": "stablehlo.sine", "cos": "stablehlo.cosine", "tan": "stablehlo.tan",
    "asin": "chlo.asin", "acos": "chlo.acos", "atan": "chlo.atan", "sinh": "chlo.sinh",
    "cosh": "chlo.cosh", "asinh": "chlo.asinh", "acosh": "chlo.acosh",
    "atanh": "chlo.atanh", "sqrt": "stablehlo.sqrt", "rsqrt": "stablehlo.rsqrt",
    "cbrt": "stablehlo.cbrt", "erf": "chlo.erf", "erfc": "chlo.erfc",
    "erf_inv": "chlo.erf_inv", "lgamma": "chlo.lgamma", "digamma": "chlo.digamma",
    "not": "stablehlo.not", "population_count": "stablehlo.popcnt",
    "add": "stablehlo.add", "sub": "stablehlo.subtract", "mul": "stablehlo.multiply",
    "div": "stablehlo.divide", "rem": "stablehlo.remainder", "pow": "stablehlo.power",
    "atan2": "stablehlo.atan2",
    "and": "stablehlo.and", "or": "stablehlo.or", "xor": "stablehlo.xor",
    "shift_left": "stablehlo.shift_left",
    "shift_right_logical": "stablehlo.shift_right_logical",
    "shift_right_arithmetic": "stablehlo.shift_right_arithmetic",
    "nextafter": "chlo.next_after",
    # The ops that stand for XLA's own log, log1p and erf on the CPU backend are XLA's ops.
    "xla_log": "stablehlo.log", "xla_log1p": "stablehlo.log_plus_one", "xla_erf": "chlo.erf",
}

COMPARE = {"eq": "EQ", "ne": "NE", "lt": "LT", "le": "LE", "gt": "GT", "ge": "GE"}


def _one_op(name):
    return lambda op: [same(name, *op.operands)]


def _compare(direction):
    return lambda op: [compare(direction, *op.operands)]


def _identity(op):
    return [op.operands[0]]


def _abs(op):
    """Unsigned: x; complex: the real |x|."""
    x, out = op.operands[0], op.out_specs[0]
    if is_unsigned(op.in_dtypes[0]):
        return [x]
    return [op1("stablehlo.abs", [x], ttype(out.shape, out.dtype))]


def _max_or_min(kind):
    return lambda op: [max_or_min(kind, *op.operands)]


def _sign(op):
    """Unsigned: x == 0 ? 0 : 1, as JAX (stablehlo.sign takes signed types only)."""
    x, s = op.operands[0], op.in_specs[0]
    if not is_unsigned(s.dtype):
        return [same("stablehlo.sign", x)]
    return [select(compare("EQ", x, const(s.dtype, 0, s.shape)),
                   const(s.dtype, 0, s.shape), const(s.dtype, 1, s.shape))]


def _exp2(op):
    """exp(log(2) * x), as JAX."""
    x, s = op.operands[0], op.in_specs[0]
    return [same("stablehlo.exponential",
                 same("stablehlo.multiply", const(s.dtype, np.log(2), s.shape), x))]


def _logistic(op):
    """1 / (1 + exp(-x)), as JAX."""
    x, s = op.operands[0], op.in_specs[0]
    one = const(s.dtype, 1, s.shape)
    e = same("stablehlo.exponential", same("stablehlo.negate", x))
    return [same("stablehlo.divide", one, same("stablehlo.add", one, e))]


def _is_finite(op):
    return [op1("stablehlo.is_finite", op.operands, ttype(op.in_specs[0].shape, np.bool_))]


def _integer_pow(op):
    """x**y by repeated squaring for the static exponent y, as JAX; 1 / x**|y| for y < 0."""
    x, s = op.operands[0], op.in_specs[0]
    y = int(op.attrs["y"])
    n, acc, base = abs(y), None, x
    while n:
        if n & 1:
            acc = base if acc is None else same("stablehlo.multiply", acc, base)
        n >>= 1
        if n:
            base = same("stablehlo.multiply", base, base)
    one = const(s.dtype, 1, s.shape)
    acc = one if acc is None else acc
    return [same("stablehlo.divide", one, acc) if y < 0 else acc]


def _fma(op):
    """a * b + c: XLA fuses the multiply-add it is given (JAX writes it so)."""
    a, b, c = op.operands
    return [same("stablehlo.add", same("stablehlo.multiply", a, b), c)]


def _select(op):
    return [select(*op.operands)]


def _clamp(op):
    lo, x, hi = op.operands
    return [op1("stablehlo.clamp", [lo, x, hi], x.type)]


def _convert(op):
    return [convert(op.operands[0], op.out_specs[0].dtype)]


def _bitcast(op):
    out = op.out_specs[0]
    if out.dtype == op.in_specs[0].dtype:
        return [op.operands[0]]
    return [op1("stablehlo.bitcast_convert", op.operands, ttype(out.shape, out.dtype))]


LOWERINGS = {
    **{f"mlax.{name}": _one_op(hlo_name) for name, hlo_name in ONE_OP.items()},
    **{f"mlax.{name}": _compare(d) for name, d in COMPARE.items()},
    "mlax.max": _max_or_min("max"), "mlax.min": _max_or_min("min"),
    "mlax.abs": _abs, "mlax.sign": _sign, "mlax.exp2": _exp2, "mlax.logistic": _logistic,
    "mlax.is_finite": _is_finite, "mlax.integer_pow": _integer_pow,
    "mlax.stop_gradient": _identity, "mlax.copy": _identity,
    "mlax.select": _select, "mlax.clamp": _clamp, "mlax.fma": _fma,
    "mlax.convert_element_type": _convert, "mlax.bitcast_convert_type": _bitcast,
}
