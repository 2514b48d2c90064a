"""Indexing: dynamic_slice / dynamic_update_slice, gather and scatter (XLA's semantics;
the index vector is the last dim of `indices`).

Dynamic slices are tensor.extract_slice / insert_slice at start indices clamped to
[0, dim - size]. A gather is a linalg.generic over the result reading operand elements
with tensor.extract; a scatter is an scf.for nest over the updates, read-combine-write
with tensor.insert, which one-shot bufferization updates in place (or in a copy).
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.lowering.linalg.builders import (clamp_index, extract_slice, generic, identity,
                                           index_const, insert_slice, is_bool, is_float,
                                           is_unsigned, loop_nest, scalar_const, to_index)
from mlax.lowering.linalg.elementwise import by_dtype, maximum, minimum
from mlax.passes import PassError


def _dynamic_starts(x_spec, sizes, index_values, index_specs):
    """Start indices as index Values, clamped to [0, dim - size] as XLA does."""
    starts = []
    for d, (v, s) in enumerate(zip(index_values, index_specs)):
        i = to_index(tensor.extract(v, []), s.dtype)
        starts.append(clamp_index(i, 0, x_spec.shape[d] - sizes[d]))
    return starts


def _dynamic_slice_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    if not x.shape:
        return [op.operands[0]]
    starts = _dynamic_starts(x, out.shape, op.operands[1:], op.in_specs[1:])
    return [extract_slice(op.operands[0], starts, out.shape)]


def _dynamic_update_slice_rule(op):
    x, u = op.in_specs[0], op.in_specs[1]
    if not x.shape:
        return [op.operands[1]]
    starts = _dynamic_starts(x, u.shape, op.operands[2:], op.in_specs[2:])
    return [insert_slice(op.operands[1], op.operands[0], starts)]


def _gather_fill_value(dtype):
    """What jax fills out-of-bounds gathers with in mode "fill"."""
    dtype = np.dtype(dtype)
    if is_float(dtype) or dtype.kind == "c":
        return np.nan
    if is_bool(dtype):
        return True
    return np.iinfo(dtype).max if is_unsigned(dtype) else np.iinfo(dtype).min


def _gather_rule(op):
    """A linalg.generic over the result: each element computes its operand index and
    reads it with tensor.extract."""
    operand, indices = op.in_specs
    out = op.out_specs[0]
    a = op.attrs
    mode = a["mode"]
    if mode not in ("clip", "fill", "promise_in_bounds"):
        raise PassError(f"mlax.gather: unknown mode {mode!r} (expected clip or fill)")
    rank, orank = len(out.shape), len(operand.shape)
    offset_dims, sizes = a["offset_dims"], a["slice_sizes"]
    batch_dims = [d for d in range(rank) if d not in offset_dims]
    window_dims = [d for d in range(orank)
                   if d not in a["collapsed_slice_dims"] and d not in a["operand_batching_dims"]]
    operand_v, indices_v = op.operands

    def body(_):
        ivs = [linalg.IndexOp(d).result for d in range(rank)]
        batch = [ivs[d] for d in batch_dims]
        start = [index_const(0)] * orank
        valid = None
        for k, od in enumerate(a["start_index_map"]):
            s = to_index(tensor.extract(indices_v, batch + [index_const(k)]), indices.dtype)
            upper = operand.shape[od] - sizes[od]
            if mode == "fill":
                ok = arith.andi(arith.cmpi(arith.CmpIPredicate.sge, s, index_const(0)),
                                arith.cmpi(arith.CmpIPredicate.sle, s, index_const(upper)))
                valid = ok if valid is None else arith.andi(valid, ok)
            start[od] = clamp_index(s, 0, upper)
        for od, idim in zip(a["operand_batching_dims"], a["start_indices_batching_dims"]):
            start[od] = batch[idim]
        full = list(start)
        for j, od in enumerate(window_dims):
            full[od] = arith.addi(start[od], ivs[offset_dims[j]])
        v = tensor.extract(operand_v, full)
        if is_bool(out.dtype):
            v = arith.trunci(ir.IntegerType.get_signless(1), v)
        if valid is not None:
            v = arith.select(valid, v, scalar_const(out.dtype, _gather_fill_value(out.dtype)))
        return [v]
    return generic([out], [], [], [], [identity(rank)], ["parallel"] * rank, body)


def _scatter_combine(kind, dtype):
    """combine(old, update) on stored scalars (bool as i8 holding 0 or 1)."""
    if kind == "set":
        return lambda old, u: u
    if is_bool(dtype):
        return {"add": arith.ori, "mul": arith.andi, "min": arith.minui, "max": arith.maxui}[kind]
    return {"add": lambda o, u: by_dtype(arith.addf, arith.addi)(dtype, o, u),
            "mul": lambda o, u: by_dtype(arith.mulf, arith.muli)(dtype, o, u),
            "min": lambda o, u: minimum(dtype, o, u),
            "max": lambda o, u: maximum(dtype, o, u)}[kind]


def scatter_position(a, operand_shape, updates_shape, indices_dtype, read_index, ivs):
    """Where update element `ivs` of a scatter with attributes `a` goes: (the operand
    index, whether the window fits: None when mode clip moved it in bounds).
    `read_index(position)` reads the scatter indices at `position` (a list of indices)."""
    orank = len(operand_shape)
    uwd = a["update_window_dims"]
    scatter_dims = [d for d in range(len(updates_shape)) if d not in uwd]
    window_dims = [d for d in range(orank)
                   if d not in a["inserted_window_dims"] and d not in a["operand_batching_dims"]]
    window = [1] * orank
    for j, od in enumerate(window_dims):
        window[od] = updates_shape[uwd[j]]
    batch = [ivs[d] for d in scatter_dims]
    start = [index_const(0)] * orank
    valid = None
    for k, od in enumerate(a["scatter_dims_to_operand_dims"]):
        s = to_index(read_index(batch + [index_const(k)]), indices_dtype)
        upper = operand_shape[od] - window[od]
        if a["mode"] == "clip":
            s = clamp_index(s, 0, upper)
        else:
            ok = arith.andi(arith.cmpi(arith.CmpIPredicate.sge, s, index_const(0)),
                            arith.cmpi(arith.CmpIPredicate.sle, s, index_const(upper)))
            valid = ok if valid is None else arith.andi(valid, ok)
        start[od] = s
    for od, idim in zip(a["operand_batching_dims"], a["scatter_indices_batching_dims"]):
        start[od] = batch[idim]
    full = list(start)
    for j, od in enumerate(window_dims):
        full[od] = arith.addi(start[od], ivs[uwd[j]])
    return full, valid


def _scatter_rule(op):
    """scf.for loops over the updates, in order, each reading the operand element it
    updates and writing it back: duplicate indices accumulate. Windows that do not fit
    the operand are dropped (mode "drop"/"fill") or moved in bounds (mode "clip")."""
    operand, indices, updates = op.in_specs
    a = op.attrs
    mode = a["mode"]
    if mode not in ("drop", "fill", "clip", "promise_in_bounds"):
        raise PassError(f"mlax.scatter: unknown mode {mode!r} (expected drop or clip)")
    combine = _scatter_combine(a["kind"], operand.dtype)
    operand_v, indices_v, updates_v = op.operands

    def body(ivs, acc):
        full, valid = scatter_position(a, operand.shape, updates.shape, indices.dtype,
                                       lambda at: tensor.extract(indices_v, at), ivs)
        if valid is not None:   # keep the (unused) access in bounds
            full = [clamp_index(f, 0, max(n - 1, 0)) for f, n in zip(full, operand.shape)]
        old = tensor.extract(acc, full)
        new = combine(old, tensor.extract(updates_v, ivs))
        if valid is not None:
            new = arith.select(valid, new, old)
        return [tensor.insert(new, acc, full)]

    if any(n == 0 for n in operand.shape) or any(n == 0 for n in updates.shape):
        return [operand_v]
    return loop_nest(updates.shape, [operand_v], body)


LOWERINGS = {
    "mlax.dynamic_slice": _dynamic_slice_rule,
    "mlax.dynamic_update_slice": _dynamic_update_slice_rule,
    "mlax.gather": _gather_rule,
    "mlax.scatter": _scatter_rule,
}
