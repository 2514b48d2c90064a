"""gather and scatter: mlax's are XLA's, so each is one stablehlo op with the same
dimension numbers (the index vector is the last dim of the indices). The modes are
mapped as JAX maps them: XLA's gather clamps windows into bounds (modes clip and
promise_in_bounds); mode fill masks out-of-bounds windows with JAX's fill value (NaN,
the integer minimum, the unsigned maximum, true). XLA's scatter drops out-of-bounds
windows (modes drop, fill, promise_in_bounds); mode clip clamps the indices first."""
from __future__ import annotations

import numpy as np

from mlax.lowering.stablehlo.builders import (BINARY_OPS, boolean, broadcast, compare, const,
                                              const_array, convert, dims, enum_attr, hlo,
                                              i64s, is_bool, is_inexact, is_unsigned, op1,
                                              reduce, same, scalar_body, select, ttype)


def fill_value(dtype):
    """What JAX fills out-of-bounds gathers with in mode fill."""
    if is_inexact(dtype):
        return np.nan
    if is_bool(dtype):
        return True
    return np.iinfo(dtype).max if is_unsigned(dtype) else np.iinfo(dtype).min


def _in_bounds(indices, ispec, upper):
    """Per batch position: every start in [0, upper[k]] (int64 comparisons)."""
    idx = convert(indices, np.int64)
    shape = ispec.shape
    ub = broadcast(const_array(np.asarray(upper, np.int64)), shape, [len(shape) - 1])
    ok = same("stablehlo.and", compare("GE", idx, const(np.int64, 0, shape)),
              compare("LE", idx, ub))
    return reduce([ok], [const(np.bool_, True)], [len(shape) - 1],
                  lambda a, b: [same("stablehlo.and", a, b)])[0]


def _gather(op):
    operand, indices = op.in_specs
    out = op.out_specs[0]
    a = op.attrs
    numbers = enum_attr(
        "#stablehlo.gather<"
        f"offset_dims = {dims(a['offset_dims'])}, "
        f"collapsed_slice_dims = {dims(a['collapsed_slice_dims'])}, "
        f"operand_batching_dims = {dims(a['operand_batching_dims'])}, "
        f"start_indices_batching_dims = {dims(a['start_indices_batching_dims'])}, "
        f"start_index_map = {dims(a['start_index_map'])}, "
        f"index_vector_dim = {len(indices.shape) - 1}>")
    result = op1("stablehlo.gather", op.operands, ttype(out.shape, out.dtype),
                 dimension_numbers=numbers, slice_sizes=i64s(a["slice_sizes"]),
                 indices_are_sorted=boolean(False))
    if a["mode"] != "fill":
        return [result]
    upper = [operand.shape[d] - a["slice_sizes"][d] for d in a["start_index_map"]]
    mask = _in_bounds(op.operands[1], indices, upper)
    batch_dims = [d for d in range(len(out.shape)) if d not in a["offset_dims"]]
    mask = broadcast(mask, out.shape, batch_dims)
    return [select(mask, result, const(out.dtype, fill_value(out.dtype), out.shape))]


# scatter kind -> the combining op (bool: add is or, mul is and)
def _combine(kind, dtype):
    if kind == "set":
        return lambda old, new: [new]
    if is_bool(dtype):
        kind = {"add": "or", "mul": "and"}.get(kind, kind)
    return lambda old, new: [same(BINARY_OPS[kind], old, new)]


def _scatter(op):
    operand, indices, updates = op.in_specs
    a = op.attrs
    x, idx, upd = op.operands
    irank = len(indices.shape)
    if a["mode"] == "clip":
        window = [1] * len(operand.shape)
        window_dims = [d for d in range(len(operand.shape))
                       if d not in a["inserted_window_dims"] and d not in a["operand_batching_dims"]]
        for j, od in enumerate(window_dims):
            window[od] = updates.shape[a["update_window_dims"][j]]
        upper = [operand.shape[d] - window[d] for d in a["scatter_dims_to_operand_dims"]]
        ub = broadcast(const_array(np.asarray(upper, np.int64)), indices.shape, [irank - 1])
        idx = op1("stablehlo.clamp", [const(np.int64, 0), convert(idx, np.int64), ub],
                  ttype(indices.shape, np.int64))
    numbers = enum_attr(
        "#stablehlo.scatter<"
        f"update_window_dims = {dims(a['update_window_dims'])}, "
        f"inserted_window_dims = {dims(a['inserted_window_dims'])}, "
        f"input_batching_dims = {dims(a['operand_batching_dims'])}, "
        f"scatter_indices_batching_dims = {dims(a['scatter_indices_batching_dims'])}, "
        f"scatter_dims_to_operand_dims = {dims(a['scatter_dims_to_operand_dims'])}, "
        f"index_vector_dim = {irank - 1}>")
    result = hlo("stablehlo.scatter", [x, idx, upd], [x.type],
                 {"scatter_dimension_numbers": numbers, "indices_are_sorted": boolean(False),
                  "unique_indices": boolean(False)}, regions=1)
    scalar_body(result, 0, [operand.dtype], _combine(a["kind"], operand.dtype))
    return [result.result]


LOWERINGS = {
    "mlax.gather": _gather,
    "mlax.scatter": _scatter,
}
