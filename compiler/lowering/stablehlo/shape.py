"""iota, broadcast_in_dim, reshape, transpose, slice, concatenate, pad, dynamic_slice,
dynamic_update_slice: StableHLO has each, with the same attributes (mlax's shape ops are
XLA's); dynamic slices clamp their starts into bounds in XLA, as in mlax."""
from __future__ import annotations

import numpy as np

from mlax.lowering.stablehlo.builders import convert, i64, i64s, op1, ttype


def _out(op):
    s = op.out_specs[0]
    return ttype(s.shape, s.dtype)


def _iota(op):
    return [op1("stablehlo.iota", [], _out(op), iota_dimension=i64(op.attrs["dimension"]))]


def _broadcast_in_dim(op):
    return [op1("stablehlo.broadcast_in_dim", op.operands, _out(op),
                broadcast_dimensions=i64s(op.attrs["broadcast_dimensions"]))]


def _reshape(op):
    return [op1("stablehlo.reshape", op.operands, _out(op))]


def _transpose(op):
    return [op1("stablehlo.transpose", op.operands, _out(op),
                permutation=i64s(op.attrs["permutation"]))]


def _rev(op):
    return [op1("stablehlo.reverse", op.operands, _out(op),
                dimensions=i64s(op.attrs["dimensions"]))]


def _slice(op):
    a = op.attrs
    return [op1("stablehlo.slice", op.operands, _out(op), start_indices=i64s(a["start_indices"]),
                limit_indices=i64s(a["limit_indices"]), strides=i64s(a["strides"]))]


def _concatenate(op):
    return [op1("stablehlo.concatenate", op.operands, _out(op),
                dimension=i64(op.attrs["dimension"]))]


def _pad(op):
    a = op.attrs
    return [op1("stablehlo.pad", op.operands, _out(op), edge_padding_low=i64s(a["low"]),
                edge_padding_high=i64s(a["high"]), interior_padding=i64s(a["interior"]))]


def start_indices(values, specs) -> list:
    """Scalar start indices of one type, as stablehlo's dynamic slices require: as they
    are when they agree, else converted to int64."""
    if len({s.dtype for s in specs}) <= 1:
        return list(values)
    return [convert(v, np.int64) for v in values]


def _dynamic_slice(op):
    x, *idx = op.operands
    return [op1("stablehlo.dynamic_slice", [x, *start_indices(idx, op.in_specs[1:])], _out(op),
                slice_sizes=i64s(op.attrs["slice_sizes"]))]


def _dynamic_update_slice(op):
    x, u, *idx = op.operands
    return [op1("stablehlo.dynamic_update_slice", [x, u, *start_indices(idx, op.in_specs[2:])],
                _out(op))]


LOWERINGS = {
    "mlax.iota": _iota,
    "mlax.broadcast_in_dim": _broadcast_in_dim,
    "mlax.reshape": _reshape,
    "mlax.transpose": _transpose,
    "mlax.slice": _slice,
    "mlax.rev": _rev,
    "mlax.concatenate": _concatenate,
    "mlax.pad": _pad,
    "mlax.dynamic_slice": _dynamic_slice,
    "mlax.dynamic_update_slice": _dynamic_update_slice,
}
