"""Convolutions and windows, as JAX lowers them (jax/_src/lax/convolution.py,
windowed_reductions.py): conv is one stablehlo.convolution with the same attributes;
reduce_window one stablehlo.reduce_window from the computation's identity;
select_and_gather_add a reduce_window over (operand, tangent) pairs, packed into one
word of twice the width for floats of up to 32 bits, as JAX packs them (a variadic
reduce_window for float64, where JAX would round both halves); select_and_scatter_add
one stablehlo.select_and_scatter over the operand padded with the selection's identity
beforehand, as JAX does on XLA's CPU, then the padding cut off again.

Precision: mlax.conv's `precision` becomes the convolution's precision_config, as for
dot_general."""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax.lowering.stablehlo.builders import (binary, boolean, compare, const, dims, enum_attr,
                                              highest, hlo, i64, i64s, is_float, lowest, op1,
                                              precision_config, reshape, same, scalar_body,
                                              select, spec, ttype)
from mlax.passes import PassError
from mlax.runtime.dtypes import finfo


def _padding(low, high) -> ir.Attribute:
    return ir.DenseElementsAttr.get(np.array(list(zip(low, high)), np.int64).reshape(-1, 2))


def _conv(op):
    a = op.attrs
    lhs, rhs, out = a["lhs_spec"], a["rhs_spec"], a["out_spec"]
    numbers = enum_attr(
        "#stablehlo.conv<raw "
        f"input_batch_dimension = {lhs[0]}, input_feature_dimension = {lhs[1]}, "
        f"input_spatial_dimensions = {dims(lhs[2:])}, "
        f"kernel_input_feature_dimension = {rhs[1]}, "
        f"kernel_output_feature_dimension = {rhs[0]}, "
        f"kernel_spatial_dimensions = {dims(rhs[2:])}, "
        f"output_batch_dimension = {out[0]}, output_feature_dimension = {out[1]}, "
        f"output_spatial_dimensions = {dims(out[2:])}>")
    result = op.out_specs[0]
    return [op1("stablehlo.convolution", op.operands, ttype(result.shape, result.dtype),
                window_strides=i64s(a["window_strides"]),
                padding=_padding(a["padding_low"], a["padding_high"]),
                lhs_dilation=i64s(a["lhs_dilation"]), rhs_dilation=i64s(a["rhs_dilation"]),
                dimension_numbers=numbers,
                feature_group_count=i64(a["feature_group_count"]),
                batch_group_count=i64(a["batch_group_count"]),
                precision_config=precision_config(a["precision"]))]


def _window_attrs(a, padding=True) -> dict:
    attrs = {"window_dimensions": i64s(a["window_dimensions"]),
             "window_strides": i64s(a["window_strides"]),
             "base_dilations": i64s(a["base_dilation"]),
             "window_dilations": i64s(a["window_dilation"])}
    if padding:
        attrs["padding"] = _padding(a["padding_low"], a["padding_high"])
    return attrs


def reduce_window(xs, inits, out_dtypes, out_shape, attrs, body) -> list:
    """stablehlo.reduce_window of `xs` from `inits` with the reducer body(accs..., xs...)."""
    result = hlo("stablehlo.reduce_window", list(xs) + list(inits),
                 [ttype(out_shape, d) for d in out_dtypes], attrs, regions=1)
    scalar_body(result, 0, out_dtypes, body)
    return list(result.results)


# computation -> identity(dtype), the reduce_window's init value
IDENTITIES = {"add": lambda d: 0, "mul": lambda d: 1, "max": lowest, "min": highest}


def _reduce_window(op):
    a, x, out = op.attrs, op.in_specs[0], op.out_specs[0]
    kind = a["computation"]
    if 0 in out.shape:        # no windows: nothing for XLA to reduce
        return [const(out.dtype, 0, out.shape)]
    return reduce_window(op.operands, [const(x.dtype, IDENTITIES[kind](x.dtype))], [x.dtype],
                         out.shape, _window_attrs(a), binary(kind))


_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def _retype(name, x, dtype):
    return op1(name, [x], ttype(spec(x).shape, dtype))


def _shift(name, x, bits):
    s = spec(x)
    return same(name, x, const(s.dtype, bits, s.shape))


def _select_and_gather_add(op):
    a = op.attrs
    tangents, operand = op.operands
    out = op.out_specs[0]
    dtype = out.dtype
    if not is_float(dtype):
        raise PassError(f"'{op.name}' of {dtype} has no StableHLO lowering (float operands only)")
    if 0 in out.shape:
        return [const(dtype, 0, out.shape)]
    direction = "GE" if a["select"] == "ge" else "LE"
    init = -np.inf if a["select"] == "ge" else np.inf
    attrs = _window_attrs(a)
    nbits = finfo(dtype).bits
    if nbits > 32:          # no integer of twice the width: a reduce_window over both
        def pick(acc, acc_t, x, x_t):
            first = compare(direction, acc, x)
            return [select(first, acc, x), select(first, acc_t, x_t)]
        return reduce_window([operand, tangents], [const(dtype, init), const(dtype, 0)],
                             [dtype, dtype], out.shape, attrs, pick)[1:]
    word, double = _UINT[nbits], _UINT[2 * nbits]

    def pack(x, t):
        """x's bits in the high word, t's in the low one."""
        high = _retype("stablehlo.convert", _retype("stablehlo.bitcast_convert", x, word), double)
        low = _retype("stablehlo.convert", _retype("stablehlo.bitcast_convert", t, word), double)
        return same("stablehlo.or", _shift("stablehlo.shift_left", high, nbits), low)

    def value(p):
        high = _retype("stablehlo.convert", _shift("stablehlo.shift_right_logical", p, nbits), word)
        return _retype("stablehlo.bitcast_convert", high, dtype)

    def pick(acc, x):
        return [select(compare(direction, value(acc), value(x)), acc, x)]

    packed, = reduce_window([pack(operand, tangents)], [pack(const(dtype, init), const(dtype, 0))],
                            [double], out.shape, attrs, pick)
    return [_retype("stablehlo.bitcast_convert", _retype("stablehlo.convert", packed, word), dtype)]


def _pad(x, value, low, high, interior):
    s = spec(x)
    shape = [(n - 1) * (i + 1) + 1 + lo + hi if n else lo + hi
             for n, lo, hi, i in zip(s.shape, low, high, interior)]
    return op1("stablehlo.pad", [x, const(s.dtype, value)], ttype(shape, s.dtype),
               edge_padding_low=i64s(low), edge_padding_high=i64s(high),
               interior_padding=i64s(interior))


def _select_and_scatter_add(op):
    a = op.attrs
    source, operand = op.operands
    x = op.in_specs[1]
    if 0 in x.shape or 0 in op.in_specs[0].shape:
        return [const(x.dtype, 0, x.shape)]
    if any(d != 1 for d in a["window_dilation"]):
        return [_scatter_at_selected(op)]
    low, high = a["padding_low"], a["padding_high"]
    interior = [d - 1 for d in a["base_dilation"]]
    identity = lowest(x.dtype) if a["select"] == "ge" else highest(x.dtype)
    padded = _pad(operand, identity, low, high, interior)
    direction = "GE" if a["select"] == "ge" else "LE"
    result = hlo("stablehlo.select_and_scatter", [padded, source, const(x.dtype, 0)],
                 [padded.type], {"window_dimensions": i64s(a["window_dimensions"]),
                                 "window_strides": i64s(a["window_strides"])}, regions=2)
    scalar_body(result, 0, [x.dtype], lambda acc, v: [compare(direction, acc, v)])
    scalar_body(result, 1, [x.dtype], binary("add"))
    # Cut the padding off again (negative padding cut elements, whose cotangents are 0).
    dilated = _pad(result.result, 0, [-v for v in low], [-v for v in high], [0] * len(low))
    if not any(interior):
        return [dilated]
    limits = spec(dilated).shape
    return [op1("stablehlo.slice", [dilated], ttype(x.shape, x.dtype),
                start_indices=i64s([0] * len(limits)), limit_indices=i64s(limits),
                strides=i64s(a["base_dilation"]))]


def _scatter_at_selected(op):
    """select_and_scatter_add with window dilation, which stablehlo.select_and_scatter
    lacks: a reduce_window over (value, flat index) pairs finds each window's first
    maximum / minimum, and a scatter adds the source there (a window of padding only
    selects the index one past the end, which the scatter drops)."""
    a = op.attrs
    source, operand = op.operands
    s, x = op.in_specs
    size = int(np.prod(x.shape))
    index_dtype = np.int32 if size < 2**31 else np.int64
    flat = op1("stablehlo.iota", [], ttype([size], index_dtype), iota_dimension=i64(0))
    strict = "GT" if a["select"] == "ge" else "LT"
    identity = lowest(x.dtype) if a["select"] == "ge" else highest(x.dtype)

    def pick(acc, acc_i, v, i):
        first = same("stablehlo.or", compare(strict, v, acc),
                     same("stablehlo.and", compare("EQ", v, acc), compare("LT", i, acc_i)))
        return [select(first, v, acc), select(first, i, acc_i)]

    _, selected = reduce_window([operand, reshape(flat, x.shape)],
                                [const(x.dtype, identity), const(index_dtype, size)],
                                [x.dtype, index_dtype], s.shape, _window_attrs(a), pick)
    count = int(np.prod(s.shape))
    numbers = enum_attr("#stablehlo.scatter<update_window_dims = [], inserted_window_dims = "
                        "[0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>")
    result = hlo("stablehlo.scatter", [const(x.dtype, 0, [size]), reshape(selected, [count, 1]),
                                       reshape(source, [count])], [ttype([size], x.dtype)],
                 {"scatter_dimension_numbers": numbers, "indices_are_sorted": boolean(False),
                  "unique_indices": boolean(False)}, regions=1)
    scalar_body(result, 0, [x.dtype], binary("add"))
    return reshape(result.result, x.shape)


LOWERINGS = {
    "mlax.conv": _conv,
    "mlax.reduce_window": _reduce_window,
    "mlax.select_and_gather_add": _select_and_gather_add,
    "mlax.select_and_scatter_add": _select_and_scatter_add,
}
