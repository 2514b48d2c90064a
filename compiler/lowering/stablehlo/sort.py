"""sort (stablehlo.sort, JAX's comparator: floats compared in total order after -0.0 is
made 0.0 and every NaN the positive quiet NaN, so NaNs sort last and ties keep their
order when stable; complex keys by their real parts, then their imaginary parts) and
top_k (chlo.top_k, as JAX lowers it)."""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax.dialects.ops import real_dtype
from mlax.lowering.stablehlo.builders import (block, boolean, compare, const, hlo, i64,
                                              imag_part, is_complex, is_float, real_part, ret,
                                              select, ttype)


def _canonical(x, dtype):
    """-0.0 -> 0.0 and any NaN -> NaN, as JAX's `_canonicalize_float_for_sort`."""
    zero = const(dtype, 0)
    x = select(compare("EQ", x, zero), zero, x)
    return select(compare("NE", x, x), const(dtype, np.nan), x)


def _total_less(a, b, dtype):
    return compare("LT", _canonical(a, dtype), _canonical(b, dtype), "TOTALORDER")


def _sort(op):
    specs = op.in_specs
    keys = specs[0].dtype
    result = hlo("stablehlo.sort", op.operands, [ttype(s.shape, s.dtype) for s in specs],
                 {"dimension": i64(op.attrs["dimension"]),
                  "is_stable": boolean(op.attrs["is_stable"])}, regions=1)
    # The comparator's arguments: lhs and rhs of each operand in turn.
    blk = block(result, 0, [ttype((), s.dtype) for s in specs for _ in (0, 1)])
    with ir.InsertionPoint(blk):
        lhs, rhs = blk.arguments[0], blk.arguments[1]
        if is_float(keys):
            less = _total_less(lhs, rhs, keys)
        elif is_complex(keys):     # real parts, then imaginary parts, as JAX
            part = real_dtype(keys)
            ra, rb = _canonical(real_part(lhs), part), _canonical(real_part(rhs), part)
            less = select(compare("EQ", ra, rb, "TOTALORDER"),
                          _total_less(imag_part(lhs), imag_part(rhs), part),
                          compare("LT", ra, rb, "TOTALORDER"))
        else:
            less = compare("LT", lhs, rhs)
        ret([less])
    return list(result.results)


def _top_k(op):
    values, indices = op.out_specs
    result = hlo("chlo.top_k", op.operands,
                 [ttype(values.shape, values.dtype), ttype(indices.shape, indices.dtype)],
                 {"k": i64(op.attrs["k"])})
    return list(result.results)


LOWERINGS = {
    "mlax.sort": _sort,
    "mlax.top_k": _top_k,
}
