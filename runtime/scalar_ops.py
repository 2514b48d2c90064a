"""The scalar arith ops a GPU launch plan computes on the host, keyed by op name.

A launch plan (mlax.runtime.cuda.LaunchPlan) decides control flow on the host between
kernel launches: loop bounds and counters, a predicate read back from the device, a
dynamic slice's clamped offset. Those are `arith` ops on scalars; the plan names each by
its MLIR op name and this table gives its meaning on NumPy scalars:

    SCALAR_OPS[name](step, *operands) -> value

`step` is the plan's step (its "predicate" for comparisons, its "dtype" for the result);
the result is cast to the step's dtype by the caller. Integers are two's complement of
their width (NumPy's wrapping arithmetic); the unsigned ops reinterpret their operands
as unsigned integers of the same width, as MLIR's signless integers are. `index` is int64.
The compiler (mlax.backends.cuda.host) checks each host op against this table, so a plan
never names an op the runtime cannot compute.
"""
from __future__ import annotations

import numpy as np


def _unsigned(x):
    x = np.asarray(x)
    if x.dtype == np.bool_:
        return x.astype(np.uint8)
    return x.astype(np.dtype(f"uint{x.dtype.itemsize * 8}"))


def _trunc_div(a, b):
    """Integer division rounding towards zero (arith.divsi), as C does."""
    q = np.abs(a) // np.abs(b)
    return np.where((a < 0) != (b < 0), -q, q)


_INT_PREDICATES = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "slt": lambda a, b: a < b, "sle": lambda a, b: a <= b,
    "sgt": lambda a, b: a > b, "sge": lambda a, b: a >= b,
    "ult": lambda a, b: _unsigned(a) < _unsigned(b),
    "ule": lambda a, b: _unsigned(a) <= _unsigned(b),
    "ugt": lambda a, b: _unsigned(a) > _unsigned(b),
    "uge": lambda a, b: _unsigned(a) >= _unsigned(b),
}
# Ordered comparisons are false when either operand is NaN, unordered ones true.
_FLOAT_PREDICATES = {
    "false": lambda a, b: False, "true": lambda a, b: True,
    "oeq": lambda a, b: a == b, "ogt": lambda a, b: a > b, "oge": lambda a, b: a >= b,
    "olt": lambda a, b: a < b, "ole": lambda a, b: a <= b,
    "one": lambda a, b: (a != b) & ~np.isnan(a) & ~np.isnan(b),
    "ord": lambda a, b: ~np.isnan(a) & ~np.isnan(b),
    "ueq": lambda a, b: (a == b) | np.isnan(a) | np.isnan(b),
    "ugt": lambda a, b: ~(a <= b), "uge": lambda a, b: ~(a < b),
    "ult": lambda a, b: ~(a >= b), "ule": lambda a, b: ~(a > b),
    "une": lambda a, b: a != b, "uno": lambda a, b: np.isnan(a) | np.isnan(b),
}


def _cast(step, x):
    return np.asarray(x).astype(step["dtype"])


def _cast_unsigned(step, x):
    return _unsigned(x).astype(step["dtype"])


SCALAR_OPS = {
    "arith.addi": lambda s, a, b: a + b,
    "arith.subi": lambda s, a, b: a - b,
    "arith.muli": lambda s, a, b: a * b,
    "arith.divsi": lambda s, a, b: _trunc_div(a, b),
    "arith.divui": lambda s, a, b: _unsigned(a) // _unsigned(b),
    "arith.remsi": lambda s, a, b: a - b * _trunc_div(a, b),
    "arith.remui": lambda s, a, b: _unsigned(a) % _unsigned(b),
    "arith.floordivsi": lambda s, a, b: a // b,
    "arith.ceildivsi": lambda s, a, b: -((-a) // b),
    "arith.minsi": lambda s, a, b: np.minimum(a, b),
    "arith.maxsi": lambda s, a, b: np.maximum(a, b),
    "arith.minui": lambda s, a, b: np.where(_unsigned(a) < _unsigned(b), a, b),
    "arith.maxui": lambda s, a, b: np.where(_unsigned(a) > _unsigned(b), a, b),
    "arith.andi": lambda s, a, b: a & b,
    "arith.ori": lambda s, a, b: a | b,
    "arith.xori": lambda s, a, b: a ^ b,
    "arith.shli": lambda s, a, b: a << b,
    "arith.shrsi": lambda s, a, b: a >> b,
    "arith.shrui": lambda s, a, b: _unsigned(a) >> _unsigned(b),
    "arith.cmpi": lambda s, a, b: _INT_PREDICATES[s["predicate"]](a, b),
    "arith.cmpf": lambda s, a, b: _FLOAT_PREDICATES[s["predicate"]](a, b),
    "arith.select": lambda s, c, a, b: a if c else b,
    "arith.index_cast": _cast,
    "arith.index_castui": _cast_unsigned,
    "arith.extsi": _cast,
    "arith.extui": _cast_unsigned,
    "arith.trunci": _cast,
    "arith.sitofp": _cast,
    "arith.uitofp": _cast_unsigned,
    "arith.fptosi": _cast,
    "arith.fptoui": _cast,
    "arith.extf": _cast,
    "arith.truncf": _cast,
    "arith.bitcast": lambda s, x: np.asarray(x).view(s["dtype"]),
    "arith.addf": lambda s, a, b: a + b,
    "arith.subf": lambda s, a, b: a - b,
    "arith.mulf": lambda s, a, b: a * b,
    "arith.divf": lambda s, a, b: a / b,
    "arith.negf": lambda s, a: -a,
    "arith.maximumf": lambda s, a, b: np.maximum(a, b),
    "arith.minimumf": lambda s, a, b: np.minimum(a, b),
    "arith.maxnumf": lambda s, a, b: np.fmax(a, b),
    "arith.minnumf": lambda s, a, b: np.fmin(a, b),
}


def compute(step, operands):
    """The value of the scalar op `step` (a plan step naming an op of SCALAR_OPS) on
    `operands`, as a NumPy scalar of the step's dtype."""
    with np.errstate(all="ignore"):
        return np.asarray(SCALAR_OPS[step["op"]](step, *operands)).astype(step["dtype"])[()]
