"""reduce_* (stablehlo.reduce with a one-op reducer), argmax / argmin (a variadic reduce
over values and indices, JAX's reducer: NaN wins, then the first index), dot_general."""
from __future__ import annotations

import numpy as np

from mlax.lowering.stablehlo.builders import (binary, compare, const, dims, enum_attr,
                                              highest, i64, is_bool, is_unsigned, lowest, op1,
                                              precision_config, reduce, same, select, ttype)


def _all_ones(dtype):
    if is_bool(dtype):
        return True
    return np.iinfo(dtype).max if is_unsigned(dtype) else -1


# mlax reduction -> (reducer kind, identity(dtype))
REDUCERS = {
    "reduce_sum": ("add", lambda d: 0),
    "reduce_prod": ("mul", lambda d: 1),
    "reduce_max": ("max", lowest),
    "reduce_min": ("min", highest),
    "reduce_and": ("and", _all_ones),
    "reduce_or": ("or", lambda d: 0),
}


def _reduction(kind, identity):
    def rule(op):
        dtype = op.in_specs[0].dtype
        return reduce(op.operands, [const(dtype, identity(dtype))], op.attrs["axes"],
                      binary(kind))
    return rule


def _argminmax(direction, identity):
    def rule(op):
        x, s = op.operands[0], op.in_specs[0]
        axis, index_dtype = op.attrs["axis"], np.dtype(op.attrs["index_dtype"])
        iota = op1("stablehlo.iota", [], ttype(s.shape, index_dtype),
                   iota_dimension=i64(axis))

        def reducer(x_val, x_idx, acc_val, acc_idx):
            pick_val = same("stablehlo.or", compare(direction, x_val, acc_val),
                            compare("NE", x_val, x_val))
            first = same("stablehlo.and", compare("EQ", x_val, acc_val),
                         compare("LT", x_idx, acc_idx))
            pick_idx = same("stablehlo.or", pick_val, first)
            return [select(pick_val, x_val, acc_val), select(pick_idx, x_idx, acc_idx)]

        _, index = reduce([x, iota], [const(s.dtype, identity(s.dtype)), const(index_dtype, 0)],
                          [axis], reducer)
        return [index]
    return rule


def _dot_general(op):
    a = op.attrs
    out = op.out_specs[0]
    numbers = enum_attr(
        "#stablehlo.dot<"
        f"lhs_batching_dimensions = {dims(a['lhs_batch_dimensions'])}, "
        f"rhs_batching_dimensions = {dims(a['rhs_batch_dimensions'])}, "
        f"lhs_contracting_dimensions = {dims(a['lhs_contracting_dimensions'])}, "
        f"rhs_contracting_dimensions = {dims(a['rhs_contracting_dimensions'])}>")
    return [op1("stablehlo.dot_general", op.operands, ttype(out.shape, out.dtype),
                dot_dimension_numbers=numbers,
                precision_config=precision_config(a["precision"]))]


LOWERINGS = {
    **{f"mlax.{name}": _reduction(kind, identity)
       for name, (kind, identity) in REDUCERS.items()},
    "mlax.argmax": _argminmax("GT", lowest),
    "mlax.argmin": _argminmax("LT", highest),
    "mlax.dot_general": _dot_general,
}
