"""cumsum, cumprod, cummax, cummin, cumlogsumexp: one stablehlo.reduce_window each, a
window the length of the axis padded before it (after it when `reverse`), as JAX lowers
them for TPUs (`cumred_reduce_window_impl`)."""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax.lowering.stablehlo.builders import (binary, compare, const, highest, hlo, i64s,
                                              lowest, same, scalar_body, select, ttype)


def _logaddexp(a, b):
    """log(exp(a) + exp(b)) as JAX's logaddexp: max + log1p(exp(-|a - b|)); a + b where
    a - b is NaN (equal infinities, or a NaN)."""
    amax = same("stablehlo.maximum", a, b)
    delta = same("stablehlo.subtract", a, b)
    tail = same("stablehlo.log_plus_one", same("stablehlo.exponential", same(
        "stablehlo.negate", same("stablehlo.abs", delta))))
    return [select(compare("NE", delta, delta), same("stablehlo.add", a, b),
                   same("stablehlo.add", amax, tail))]


# op -> (reducer body, identity(dtype))
CUMULATIVE = {
    "cumsum": (binary("add"), lambda d: 0),
    "cumprod": (binary("mul"), lambda d: 1),
    "cummax": (binary("max"), lowest),
    "cummin": (binary("min"), highest),
    "cumlogsumexp": (_logaddexp, lambda d: -np.inf),
}


def _cumulative(body, identity):
    def rule(op):
        s = op.in_specs[0]
        axis, n = op.attrs["axis"], s.shape[op.attrs["axis"]]
        if 0 in s.shape:        # nothing to scan; a window of length 0 is invalid
            return [op.operands[0]]
        window = [1] * len(s.shape)
        window[axis] = n
        pads = np.zeros((len(s.shape), 2), np.int64)
        pads[axis] = (0, n - 1) if op.attrs["reverse"] else (n - 1, 0)
        result = hlo("stablehlo.reduce_window",
                     [op.operands[0], const(s.dtype, identity(s.dtype))],
                     [ttype(s.shape, s.dtype)],
                     {"window_dimensions": i64s(window),
                      "padding": ir.DenseElementsAttr.get(pads)}, regions=1)
        scalar_body(result, 0, [s.dtype], body)
        return [result.result]
    return rule


LOWERINGS = {f"mlax.{name}": _cumulative(body, identity)
             for name, (body, identity) in CUMULATIVE.items()}
