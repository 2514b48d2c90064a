"""Batching rules of the mlax ops and of calls: one table, `BATCHING_RULES`, keyed by op name.

    BATCHING_RULES[name](ctx, args, dims, **attrs) -> (outs, out_dims)

`args` are the op's operands in the batched function (ir.Values); `dims[i]` is the
position of the batch axis of `args[i]`, or None where that operand is not batched (a rule
only runs when at least one is). `attrs` are the op's attributes as Python values
(`mlax.dialects.op_attrs`; none for calls). The rule builds ops through `ctx` (a
`BatchContext`, a mlax.transforms.builder.Builder at the op's location) and returns the
values standing for the op's results and the position of each one's batch axis (None:
not batched). A rule moves a batch axis only when the op needs it somewhere particular,
so a chain of elementwise ops on operands batched along axis 1 stays along axis 1.

Family helpers make most ops one line (JAX's batching.py):
  defvectorized(*names)                 elementwise: align the batch axes, apply the op
  defreducer(*names)                    reductions over `axes`
  defalongaxis(attr, removes, *names)   ops along the axis named by `attr` (cumsum, sort)

Calls to control-flow declarations are keyed `"mlax.cond"`, `"mlax.while"`, `"mlax.scan"`
(and the custom derivatives `"mlax.custom_jvp"`, `"mlax.custom_vjp"`); calls to ordinary
functions `"func.call"`: these rules batch the functions they name through
`ctx.batched_function` (the interpreter, mlax.transforms.vmap).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
from mlir import ir

from mlax.dialects import spec_of_type, structural, tensor_type
from mlax.dialects.ops import BINARY, COMPARE, UNARY
from mlax.passes import PassError, PassNotImplementedError, PassValueError
from mlax.transforms.builder import Builder
from mlax.transforms.conv_shapes import reshape_axis_into, reshape_axis_out_of


ANY = "any"   # an out request: keep each result's batch axis where the rules put it

# ---------------------------------------------------------------------------------------
# The rule table

BATCHING_RULES: dict[str, Callable] = {}
"""op name -> rule(ctx, args, dims, **attrs) -> (outs, out_dims); see the module docstring."""


def _shift(d, b):
    """Position in the batched value of dim `d` of the unbatched one (batch axis at b)."""
    return d if d < b else d + 1


def _shape(v) -> tuple:
    return tuple(ir.RankedTensorType(v.type).shape)


def _rank(v) -> int:
    return len(_shape(v))


def _dtype(v) -> np.dtype:
    return spec_of_type(v.type).dtype


def _insert(seq, pos, item) -> tuple:
    out = list(seq)
    out.insert(pos, item)
    return tuple(out)


# ---------------------------------------------------------------------------------------
# The context a rule works in


class BatchContext(Builder):
    """What a rule may use: the batch size, the op being batched, and a Builder of ops at
    the current insertion point with the op's location (`ctx.transpose(x, permutation=...)`,
    `ctx.full(shape, dtype, 0)`, `ctx.call(...)`; see mlax.transforms.builder)."""

    def __init__(self, batcher, op, size: int):
        super().__init__(op.location, f"batching '{op.name}'")
        self.batcher = batcher
        self.op = op
        self.size = size

    # -- moving the batch axis
    def moveaxis(self, v, src, dst):
        if src == dst:
            return v
        perm = list(range(_rank(v)))
        perm.pop(src)
        perm.insert(dst, src)
        return self.transpose(v, permutation=tuple(perm))

    def broadcast_batch(self, v, at):
        """The unbatched `v` repeated along a new batch axis at position `at`."""
        shape = _shape(v)
        return self.broadcast_in_dim(
            v, shape=_insert(shape, at, self.size),
            broadcast_dimensions=tuple(_shift(i, at) for i in range(len(shape))))

    def broadcast_to(self, v, shape, dims):
        """`v` broadcast to `shape`, its dims becoming `dims` (no op when nothing changes)."""
        if _shape(v) == tuple(shape):
            return v
        return self.broadcast_in_dim(v, shape=tuple(shape),
                                     broadcast_dimensions=tuple(dims))

    def materialize(self, v, dim, at):
        """`v` (batch axis at `dim`, or None) with its batch axis at `at`."""
        if dim is None:
            return self.broadcast_batch(v, at)
        return self.moveaxis(v, dim, at)

    def align(self, args, dims, at=None):
        """All of `args` batched at one position (the first batched operand's, or `at`)."""
        if at is None:
            at = next(d for d in dims if d is not None)
        return [self.materialize(a, d, at) for a, d in zip(args, dims)], at

    # -- batching functions
    def batched_function(self, name, dims, out_request=ANY):
        """(symbol, out_dims) of function @name batched for operands batched at `dims`."""
        return self.batcher.batched_function(name, dims, self.size, out_request)

    def batched_call(self, name, args, dims, out_request=ANY):
        """Call the batched version of ordinary function @name on `args`."""
        sym, out_dims = self.batched_function(name, dims, out_request)
        return self.call(sym, args, self.batcher.result_types(sym)), out_dims

    def declaration(self, decl, name, arg_types, result_types) -> str:
        """Add the structural declaration `decl` (mlax.dialects.structural); returns its
        (unique) symbol."""
        return self.batcher.declare(decl, name, arg_types, result_types)


# ---------------------------------------------------------------------------------------
# Family helpers: most ops are one line


def _vectorized_rule(ctx, args, dims, **attrs):
    """Elementwise ops (operands and results of one shape): align the operands' batch
    axes (unbatched operands are broadcast) and apply the op."""
    args, b = ctx.align(args, dims)
    outs = ctx.emit(ctx.op.name, args, **attrs)
    return outs, [b] * len(outs)


def defvectorized(*names):
    for n in names:
        BATCHING_RULES["mlax." + n] = _vectorized_rule


def _reducer_rule(ctx, args, dims, axes):
    (x,), (b,) = args, dims
    out = ctx.emit(ctx.op.name, [x], axes=tuple(sorted(_shift(a, b) for a in axes)))[0]
    return [out], [b - sum(1 for a in axes if a < b)]


def defreducer(*names):
    for n in names:
        BATCHING_RULES["mlax." + n] = _reducer_rule


def _along_axis_rule(axis_attr, removes_axis):
    """Ops that work along one axis named by `axis_attr` and map over the others."""
    def rule(ctx, args, dims, **attrs):
        args, b = ctx.align(args, dims)
        axis = attrs[axis_attr]
        outs = ctx.emit(ctx.op.name, args, **{**attrs, axis_attr: _shift(axis, b)})
        out_b = b - 1 if removes_axis and axis < b else b
        return outs, [out_b] * len(outs)
    return rule


def defalongaxis(axis_attr, removes_axis, *names):
    for n in names:
        BATCHING_RULES["mlax." + n] = _along_axis_rule(axis_attr, removes_axis)


# ---------------------------------------------------------------------------------------
# Rules


defvectorized(*UNARY, *BINARY, *COMPARE, "is_finite", "integer_pow", "select", "clamp", "fma",
              "convert_element_type", "bitcast_convert_type", "threefry2x32",
              "real", "imag", "conj", "complex")
defreducer("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and", "reduce_or")
defalongaxis("axis", True, "argmax", "argmin")
defalongaxis("axis", False, "cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp")
defalongaxis("dimension", False, "sort", "concatenate")


def _broadcast_in_dim_rule(ctx, args, dims, shape, broadcast_dimensions):
    (x,), (b,) = args, dims
    bd = [0 if j == b else broadcast_dimensions[j if j < b else j - 1] + 1
          for j in range(_rank(x))]
    out = ctx.broadcast_in_dim(x, shape=(ctx.size,) + tuple(shape),
                               broadcast_dimensions=tuple(bd))
    return [out], [0]


def _reshape_rule(ctx, args, dims, new_sizes):
    x = ctx.moveaxis(args[0], dims[0], 0)
    return [ctx.reshape(x, new_sizes=(ctx.size,) + tuple(new_sizes))], [0]


def _transpose_rule(ctx, args, dims, permutation):
    (x,), (b,) = args, dims
    perm = (b,) + tuple(_shift(p, b) for p in permutation)
    return [ctx.transpose(x, permutation=perm)], [0]


def _slice_rule(ctx, args, dims, start_indices, limit_indices, strides):
    (x,), (b,) = args, dims
    out = ctx.slice(x, start_indices=_insert(start_indices, b, 0),
                    limit_indices=_insert(limit_indices, b, ctx.size),
                    strides=_insert(strides, b, 1))
    return [out], [b]


def _pad_rule(ctx, args, dims, low, high, interior):
    (x, pv), (bx, bv) = args, dims
    if bv is None:
        out = ctx.pad(x, pv, low=_insert(low, bx, 0), high=_insert(high, bx, 0),
                      interior=_insert(interior, bx, 0))
        return [out], [bx]
    # A batched padding value: pad with anything, then select the padding per example.
    x = ctx.materialize(x, bx, 0)
    shape, dtype = _shape(x)[1:], _dtype(x)
    zero = ctx.full((), dtype, 0)
    padded = ctx.pad(x, zero, low=(0,) + tuple(low), high=(0,) + tuple(high),
                     interior=(0,) + tuple(interior))
    ones = ctx.full(shape, np.bool_, 1)
    mask = ctx.pad(ones, ctx.full((), np.bool_, 0), low=tuple(low),
                   high=tuple(high), interior=tuple(interior))
    out_shape = _shape(padded)
    mask = ctx.broadcast_to(mask, out_shape, range(1, len(out_shape)))
    fill = ctx.broadcast_to(ctx.moveaxis(pv, bv, 0), out_shape, (0,))
    return [ctx.select(mask, padded, fill)], [0]


def _dot_general_rule(ctx, args, dims, lhs_contracting_dimensions, rhs_contracting_dimensions,
                      lhs_batch_dimensions, rhs_batch_dimensions, precision):
    (lhs, rhs), (bl, br) = args, dims
    lc, rc = lhs_contracting_dimensions, rhs_contracting_dimensions
    lb, rb = lhs_batch_dimensions, rhs_batch_dimensions

    def dot(a, b_, ac, bc, ab, bb):
        return ctx.dot_general(a, b_, lhs_contracting_dimensions=tuple(ac),
                               rhs_contracting_dimensions=tuple(bc), lhs_batch_dimensions=tuple(ab),
                               rhs_batch_dimensions=tuple(bb), precision=precision)

    def free(rank, contracting, batch):
        return [i for i in range(rank) if i not in contracting and i not in batch]

    if bl is not None and br is not None:
        # Both batched: the batch axis becomes the first batch dimension of the dot.
        out = dot(lhs, rhs, [_shift(c, bl) for c in lc], [_shift(c, br) for c in rc],
                  [bl] + [_shift(d, bl) for d in lb], [br] + [_shift(d, br) for d in rb])
        return [out], [0]
    if bl is not None:
        # The batch axis is one more free dim of lhs: the matrix-vector products of the
        # batch become one matrix-matrix product.
        lc2, lb2 = [_shift(c, bl) for c in lc], [_shift(d, bl) for d in lb]
        out = dot(lhs, rhs, lc2, rc, lb2, rb)
        return [out], [len(lb) + free(_rank(lhs), lc2, lb2).index(bl)]
    rc2, rb2 = [_shift(c, br) for c in rc], [_shift(d, br) for d in rb]
    rhs_free = free(_rank(rhs), rc2, rb2)
    if rhs_free == [br]:
        # Only the batch axis is free in rhs: swapping the operands puts it right after
        # the dot's batch dims, where the unbatched result had nothing, so no transpose.
        out = dot(rhs, lhs, rc2, lc, rb2, lb)
        return [out], [len(rb)]
    out = dot(lhs, rhs, lc, rc2, lb, rb2)
    lhs_free = free(_rank(lhs), lc, lb)
    return [out], [len(lb) + len(lhs_free) + rhs_free.index(br)]


def _top_k_rule(ctx, args, dims, k):
    (x,), (b,) = args, dims
    if b == _rank(x) - 1:          # top_k works along the last axis
        x, b = ctx.moveaxis(x, b, 0), 0
    outs = ctx.emit("mlax.top_k", [x], k=k)
    return outs, [b, b]


def _matrix_rule(ctx, args, dims, **attrs):
    """Linear algebra ops (cholesky, lu, triangular_solve, qr, qr_pivoted, eigh, svd, eig, schur, geqrf,
    householder_product) take leading
    batch dims: every operand batched at axis 0."""
    args, _ = ctx.align(args, dims, at=0)
    outs = ctx.emit(ctx.op.name, args, **attrs)
    return outs, [0] * len(outs)


def _fft_rule(ctx, args, dims, fft_type, fft_lengths):
    (x,), (b,) = args, dims
    if b >= _rank(x) - len(fft_lengths):     # fft transforms the last dims
        x, b = ctx.moveaxis(x, b, 0), 0
    return ctx.emit("mlax.fft", [x], fft_type=fft_type, fft_lengths=fft_lengths), [b]


def _index_column(ctx, indices, dims, bounds, sizes):
    """Batched scalar start indices -> a (B, n) index array, each clamped to
    [0, bound - size] as dynamic_slice does."""
    dtype = _dtype(indices[0])
    cols = []
    for i, d, n, s in zip(indices, dims, bounds, sizes):
        i = ctx.clamp(ctx.full(_shape(i), dtype, 0), i,
                      ctx.full(_shape(i), dtype, max(n - s, 0)))
        i = ctx.materialize(i, d, 0)
        cols.append(ctx.reshape(i, new_sizes=(ctx.size, 1)))
    return cols


def _with_batch_index(ctx, cols, dtype):
    """Prepend the iota column (the example's own position in the batch) to index columns."""
    iota = ctx.iota(dtype=np.dtype(dtype), shape=(ctx.size, 1), dimension=0)
    return _concat_columns(ctx, [iota] + cols)


def _concat_columns(ctx, cols):
    """(B, 1) index columns side by side: a (B, n) index array."""
    out = cols[0]
    for c in cols[1:]:
        out = ctx.concatenate(out, c, dimension=1)
    return out


def _dynamic_slice_rule(ctx, args, dims, slice_sizes):
    x, indices = args[0], args[1:]
    bx, bidx = dims[0], dims[1:]
    if all(d is None for d in bidx):
        zero = ctx.full((), _dtype(indices[0]) if indices else np.int32, 0)
        out = ctx.dynamic_slice(x, *_insert(indices, bx, zero),
                                slice_sizes=_insert(slice_sizes, bx, ctx.size))
        return [out], [bx]
    # Batched start indices: one gather of B slices.
    nd = len(indices)
    dtype = _dtype(indices[0])
    bounds = _shape(x) if bx is None else _shape(x)[:bx] + _shape(x)[bx + 1:]
    cols = _index_column(ctx, indices, bidx, bounds, slice_sizes)
    offset_dims = tuple(range(1, nd + 1))
    if bx is None:
        out = ctx.gather(x, _concat_columns(ctx, cols), offset_dims=offset_dims,
                         collapsed_slice_dims=(), start_index_map=tuple(range(nd)),
                         operand_batching_dims=(), start_indices_batching_dims=(),
                         slice_sizes=tuple(slice_sizes), mode="clip")
    else:
        x = ctx.moveaxis(x, bx, 0)
        out = ctx.gather(x, _with_batch_index(ctx, cols, dtype),
                         offset_dims=offset_dims, collapsed_slice_dims=(0,),
                         start_index_map=tuple(range(nd + 1)), operand_batching_dims=(),
                         start_indices_batching_dims=(), slice_sizes=(1,) + tuple(slice_sizes),
                         mode="clip")
    return [out], [0]


def _dynamic_update_slice_rule(ctx, args, dims):
    (x, upd), indices = args[:2], args[2:]
    (bx, bu), bidx = dims[:2], dims[2:]
    if all(d is None for d in bidx):
        (x, upd), b = ctx.align([x, upd], [bx, bu])
        zero = ctx.full((), _dtype(indices[0]) if indices else np.int32, 0)
        return [ctx.dynamic_update_slice(x, upd, *_insert(indices, b, zero))], [b]
    # Batched start indices: one scatter of B windows, each into its own example.
    x = ctx.materialize(x, bx, 0)
    upd = ctx.materialize(upd, bu, 0)
    nd = len(indices)
    cols = _index_column(ctx, indices, bidx, _shape(x)[1:], _shape(upd)[1:])
    out = ctx.scatter(x, _with_batch_index(ctx, cols, _dtype(indices[0])), upd,
                      kind="set", update_window_dims=tuple(range(1, nd + 1)),
                      inserted_window_dims=(0,), scatter_dims_to_operand_dims=tuple(range(nd + 1)),
                      operand_batching_dims=(), scatter_indices_batching_dims=(), mode="drop")
    return [out], [0]


def _gather_rule(ctx, args, dims, offset_dims, collapsed_slice_dims, start_index_map,
                 operand_batching_dims, start_indices_batching_dims, slice_sizes, mode):
    (operand, indices), (bo, bi) = args, dims
    plus1 = lambda ds: tuple(d + 1 for d in ds)   # noqa: E731
    if bi is None:
        # The batch axis is one more slice dim, taken whole, and the first offset dim.
        operand = ctx.moveaxis(operand, bo, 0)
        out = ctx.gather(operand, indices, offset_dims=(0,) + plus1(offset_dims),
                         collapsed_slice_dims=plus1(collapsed_slice_dims),
                         start_index_map=plus1(start_index_map),
                         operand_batching_dims=plus1(operand_batching_dims),
                         start_indices_batching_dims=tuple(start_indices_batching_dims),
                         slice_sizes=(ctx.size,) + tuple(slice_sizes), mode=mode)
        return [out], [0]
    # Batched indices: their batch axis leads the index batch dims, so the result's.
    indices = ctx.moveaxis(indices, bi, 0)
    if bo is None:
        out = ctx.gather(operand, indices, offset_dims=plus1(offset_dims),
                         collapsed_slice_dims=tuple(collapsed_slice_dims),
                         start_index_map=tuple(start_index_map),
                         operand_batching_dims=tuple(operand_batching_dims),
                         start_indices_batching_dims=plus1(start_indices_batching_dims),
                         slice_sizes=tuple(slice_sizes), mode=mode)
        return [out], [0]
    # Both: each example gathers from its own operand, through an extra index that is
    # its position in the batch.
    operand = ctx.moveaxis(operand, bo, 0)
    indices = _prepend_batch_index(ctx, indices)
    out = ctx.gather(operand, indices, offset_dims=plus1(offset_dims),
                     collapsed_slice_dims=(0,) + plus1(collapsed_slice_dims),
                     start_index_map=(0,) + plus1(start_index_map),
                     operand_batching_dims=plus1(operand_batching_dims),
                     start_indices_batching_dims=plus1(start_indices_batching_dims),
                     slice_sizes=(1,) + tuple(slice_sizes), mode=mode)
    return [out], [0]


def _prepend_batch_index(ctx, indices):
    """indices (B, ..., n) -> (B, ..., n + 1), index 0 being the position in the batch."""
    shape = _shape(indices)
    iota = ctx.iota(dtype=_dtype(indices), shape=shape[:-1] + (1,), dimension=0)
    return ctx.concatenate(iota, indices, dimension=len(shape) - 1)


def _scatter_rule(ctx, args, dims, kind, update_window_dims, inserted_window_dims,
                  scatter_dims_to_operand_dims, operand_batching_dims,
                  scatter_indices_batching_dims, mode):
    (operand, indices, updates), (bo, bi, bu) = args, dims
    plus1 = lambda ds: tuple(d + 1 for d in ds)   # noqa: E731
    # Every example scatters into its own operand: batch all three at axis 0 and index
    # the batch axis with the example's position.
    operand = ctx.materialize(operand, bo, 0)
    indices = _prepend_batch_index(ctx, ctx.materialize(indices, bi, 0))
    updates = ctx.materialize(updates, bu, 0)
    out = ctx.scatter(operand, indices, updates, kind=kind,
                      update_window_dims=plus1(update_window_dims),
                      inserted_window_dims=(0,) + plus1(inserted_window_dims),
                      scatter_dims_to_operand_dims=(0,) + plus1(scatter_dims_to_operand_dims),
                      operand_batching_dims=plus1(operand_batching_dims),
                      scatter_indices_batching_dims=plus1(scatter_indices_batching_dims),
                      mode=mode)
    return [out], [0]


def _sharding_constraint_rule(ctx, args, dims, tiles, devices):
    """The batch axis is not split (JAX's rule without spmd_axis_name): one more tile
    count, 1, at the batch axis."""
    (x,), (b,) = args, dims
    tiles = tuple(tiles[:b]) + (1,) + tuple(tiles[b:])
    return [ctx.sharding_constraint(x, tiles=tiles, devices=tuple(devices))], [b]


BATCHING_RULES.update({
    "mlax.sharding_constraint": _sharding_constraint_rule,
    "mlax.broadcast_in_dim": _broadcast_in_dim_rule,
    "mlax.reshape": _reshape_rule,
    "mlax.transpose": _transpose_rule,
    "mlax.slice": _slice_rule,
    "mlax.pad": _pad_rule,
    "mlax.dot_general": _dot_general_rule,
    "mlax.top_k": _top_k_rule,
    **{f"mlax.{name}": _matrix_rule
       for name in ("cholesky", "lu", "triangular_solve", "qr", "qr_pivoted", "eigh", "svd", "eig",
                    "schur", "geqrf",
                    "householder_product")},
    "mlax.fft": _fft_rule,
    "mlax.dynamic_slice": _dynamic_slice_rule,
    "mlax.dynamic_update_slice": _dynamic_update_slice_rule,
    "mlax.gather": _gather_rule,
    "mlax.scatter": _scatter_rule,
})


# ---------------------------------------------------------------------------------------
# Calls and control flow


def _call_rule(ctx, args, dims):
    """A call to an ordinary function: call the function batched for these operands."""
    outs, out_dims = ctx.batched_call(structural.callee_of(ctx.op), args, dims)
    return outs, out_dims


def batched_type(t, dim, size):
    t = ir.RankedTensorType(t)
    if dim is None:
        return t
    return ir.RankedTensorType.get(list(_insert(t.shape, dim, size)), t.element_type)


def _declaration(ctx):
    """The declaration (mlax.dialects.structural) that ctx's op calls."""
    return structural.read(ctx.batcher.fns[structural.callee_of(ctx.op)])


def _cond_rule(ctx, args, dims):
    """`mlax.cond`: (index, operands...) -> branches[index](operands...).

    With an unbatched index, a cond of the batched branches. With a batched index, every
    branch runs on the whole batch and a select per example picks the results."""
    decl = _declaration(ctx)
    branches = decl.branches
    (index, *ops), (bidx, *odims) = args, dims
    n_out = len(ctx.op.results)
    request = [0] * n_out   # branches must agree: every result batched along axis 0
    batched = [ctx.batched_function(b, odims, request)[0] for b in branches]
    result_types = ctx.batcher.result_types(batched[0])
    if bidx is None:
        sym = ctx.declaration(replace(decl, branches=tuple(batched)), "cond_batched",
                              [a.type for a in args], result_types)
        return ctx.call(sym, args, result_types), [0] * n_out
    index = ctx.moveaxis(index, bidx, 0)
    results = [ctx.call(b, ops, result_types) for b in batched]
    outs = list(results[0])
    idt = _dtype(index)
    for k in range(1, len(branches)):
        # index >= k picks branch k over the lower ones: out-of-range indices clamp.
        pick = ctx.ge(index, ctx.full((ctx.size,), idt, k))
        for j, r in enumerate(results[k]):
            p = ctx.broadcast_to(pick, _shape(r), (0,))
            outs[j] = ctx.select(p, r, outs[j])
    return outs, [0] * n_out


def _fixpoint_carry(ctx, fn, carry_dims, other_dims, n_carry):
    """Batch axes of a loop carry: batched (at 0) wherever the loop body makes it so."""
    carry_b = [d is not None for d in carry_dims]
    while True:
        in_dims = [0 if b else None for b in carry_b] + list(other_dims)
        _, out_dims = ctx.batched_function(fn, in_dims)
        new = [b or d is not None for b, d in zip(carry_b, out_dims[:n_carry])]
        if new == carry_b:
            return carry_b
        carry_b = new


def _while_rule(ctx, args, dims):
    """`mlax.while`: (state..., consts...) -> state.

    The state is batched wherever the body makes it batched. With a batched predicate the
    loop runs while any example's predicate holds, and the examples that are done keep
    their state (a select per step)."""
    decl = _declaration(ctx)
    cond, body = decl.cond, decl.body
    n = len(ctx.op.results)
    state, consts = args[:n], args[n:]
    sdims, cdims = dims[:n], dims[n:]
    carry_b = _fixpoint_carry(ctx, body, sdims, cdims, n)
    _, pred_dims = ctx.batched_function(cond, [0 if b else None for b in carry_b] + list(cdims))
    if pred_dims[0] is not None:
        carry_b = [True] * n
    sd = [0 if b else None for b in carry_b]
    state = [ctx.materialize(s, d, 0) if b else s for s, d, b in zip(state, sdims, carry_b)]
    in_dims = sd + list(cdims)
    body_b, _ = ctx.batched_function(body, in_dims, sd)
    cond_b, _ = ctx.batched_function(cond, in_dims, [ANY])
    state_types = [s.type for s in state]
    arg_types = state_types + [c.type for c in consts]
    if pred_dims[0] is not None:
        cond_b, body_b = _while_any(ctx, cond_b, body_b, arg_types, n)
    sym = ctx.declaration(replace(decl, cond=cond_b, body=body_b), "while_batched", arg_types,
                          state_types)
    return ctx.call(sym, state + list(consts), state_types), sd


def _while_any(ctx, cond_b, body_b, arg_types, n):
    """cond and body of a loop over the batch with per-example predicates."""
    bt = ctx.batcher
    pred_type = bt.result_types(cond_b)[0]
    bool0 = tensor_type((), np.bool_)

    def cond_any(block_args):
        p = ctx.call(cond_b, block_args, [pred_type])[0]
        p = ctx.moveaxis(p, bt.out_dims[cond_b][0], 0)
        return [ctx.reduce_or(p, axes=(0,))]

    def body_masked(block_args):
        p = ctx.call(cond_b, block_args, [pred_type])[0]
        p = ctx.moveaxis(p, bt.out_dims[cond_b][0], 0)
        new = ctx.call(body_b, block_args, arg_types[:n])
        outs = []
        for old, nw in zip(block_args[:n], new):
            m = ctx.broadcast_to(p, _shape(nw), (0,))
            outs.append(ctx.select(m, nw, old))
        return outs

    c = bt.new_function("while_cond_any", arg_types, [bool0], cond_any)
    b = bt.new_function("while_body_masked", arg_types, arg_types[:n], body_masked)
    return c, b


def _scan_rule(ctx, args, dims):
    """`mlax.scan`: (carry..., xs..., consts...) -> (carry..., ys...).

    xs are scanned along axis 0, so their batch axis is kept off axis 0; the carry is
    batched (at 0) wherever the body makes it so; ys come back batched at axis 1."""
    decl = _declaration(ctx)
    body = decl.body
    n_carry, n_consts = decl.num_carry, decl.num_consts
    n_xs = len(args) - n_carry - n_consts
    carry, xs, consts = args[:n_carry], args[n_carry:n_carry + n_xs], args[n_carry + n_xs:]
    kd, xd, cd = dims[:n_carry], dims[n_carry:n_carry + n_xs], dims[n_carry + n_xs:]
    xs = [ctx.moveaxis(x, 0, 1) if d == 0 else x for x, d in zip(xs, xd)]
    xd = [1 if d == 0 else d for d in xd]
    slice_dims = [None if d is None else d - 1 for d in xd]
    carry_b = _fixpoint_carry(ctx, body, kd, slice_dims + list(cd), n_carry)
    sd = [0 if b else None for b in carry_b]
    carry = [ctx.materialize(c, d, 0) if b else c for c, d, b in zip(carry, kd, carry_b)]
    n_ys = len(ctx.op.results) - n_carry
    body_b, out_dims = ctx.batched_function(body, sd + slice_dims + list(cd), sd + [ANY] * n_ys)
    y_dims = out_dims[n_carry:]
    length = decl.length
    body_types = ctx.batcher.result_types(body_b)
    result_types = body_types[:n_carry] + [
        ir.RankedTensorType.get([length] + list(ir.RankedTensorType(t).shape),
                                ir.RankedTensorType(t).element_type)
        for t in body_types[n_carry:]]
    operands = carry + xs + list(consts)
    sym = ctx.declaration(replace(decl, body=body_b), "scan_batched",
                          [a.type for a in operands], result_types)
    outs = ctx.call(sym, operands, result_types)
    return outs, sd + [None if d is None else d + 1 for d in y_dims]


def _custom_jvp_rule(ctx, args, dims):
    """`mlax.custom_jvp` (see mlax.transforms.autodiff): a custom_jvp of the batched function
    and the batched rule, so that a later jvp/grad still uses the user's rule.

    Operands (args[N], callee consts[C], rule consts...); the rule takes (args, tangents of
    args, rule consts) and returns (results, tangents of results): tangents are batched like
    their primals, all results along axis 0."""
    e = _declaration(ctx)
    n, ncc = e.num_args, e.num_callee_consts
    n_out = len(ctx.op.results)
    ad, cd, jd = list(dims[:n]), list(dims[n:n + ncc]), list(dims[n + ncc:])
    callee, _ = ctx.batched_function(e.callee, ad + cd, [0] * n_out)
    jvp, _ = ctx.batched_function(e.jvp, ad + ad + jd, [0] * (2 * n_out))
    result_types = ctx.batcher.result_types(callee)
    sym = ctx.declaration(replace(e, callee=callee, jvp=jvp), "custom_jvp_batched",
                          [a.type for a in args], result_types)
    return ctx.call(sym, args, result_types), [0] * n_out


def _custom_vjp_rule(ctx, args, dims):
    """`mlax.custom_vjp`: a custom_vjp of the batched function, forward and backward.

    Operands (args[N], callee consts[C], fwd consts[F], bwd consts...). Every arg is
    batched (along axis 0) so that the backward function returns one cotangent per example
    for each; a later grad sums those of an unbatched arg through the broadcast."""
    e = _declaration(ctx)
    n, ncc, nfc, nres = e.num_args, e.num_callee_consts, e.num_fwd_consts, e.num_res
    n_out = len(ctx.op.results)
    args = [ctx.materialize(a, d, 0) for a, d in zip(args[:n], dims[:n])] + list(args[n:])
    ad = [0] * n
    cd, fd, bd = dims[n:n + ncc], dims[n + ncc:n + ncc + nfc], dims[n + ncc + nfc:]
    callee, _ = ctx.batched_function(e.callee, ad + list(cd), [0] * n_out)
    fwd, _ = ctx.batched_function(e.fwd, ad + list(fd), [0] * (n_out + nres))
    bwd, _ = ctx.batched_function(e.bwd, [0] * (nres + n_out) + list(bd), ad)
    result_types = ctx.batcher.result_types(callee)
    sym = ctx.declaration(replace(e, callee=callee, fwd=fwd, bwd=bwd), "custom_vjp_batched",
                          [a.type for a in args], result_types)
    return ctx.call(sym, args, result_types), [0] * n_out


def _callback_rule(ctx, args, dims):
    """`mlax.callback`: the same host function with one more batch level. Batched operands
    get their batch axis first; the declaration records which operands are batched at the
    new (outermost) level, and the runtime applies the function per example or to the batch
    as the vmap method says (mlax.runtime.callbacks.apply). Every result gets the batch
    axis first."""
    e = _declaration(ctx)
    if e.effect == "pure" and not e.vmap_method:
        raise PassNotImplementedError(
            "vmap is only supported for the pure_callback primitive when vmap_method is one "
            "of 'sequential', 'sequential_unrolled', 'expand_dims', 'broadcast_all', or "
            "'legacy_vectorized'. Got vmap_method=None.", at=ctx.op)
    if e.effect == "io" and e.ordered:
        raise PassValueError("Cannot `vmap` ordered IO callback.", at=ctx.op)
    args = [a if d is None else ctx.moveaxis(a, d, 0) for a, d in zip(args, dims)]
    flags = tuple(int(d is not None) for d in dims)
    result_types = [tensor_type((ctx.size,) + _shape(r), _dtype(r)) for r in ctx.op.results]
    decl = replace(e, batch_sizes=(ctx.size,) + e.batch_sizes, batched=flags + e.batched)
    sym = ctx.declaration(decl, "callback_batched", [a.type for a in args], result_types)
    return ctx.call(sym, args, result_types), [0] * len(result_types)


BATCHING_RULES.update({
    "func.call": _call_rule,
    "mlax.callback": _callback_rule,
    "mlax.cond": _cond_rule,
    "mlax.while": _while_rule,
    "mlax.scan": _scan_rule,
    "mlax.custom_jvp": _custom_jvp_rule,
    "mlax.custom_vjp": _custom_vjp_rule,
})


# ---------------------------------------------------------------------------------------
# Collectives over a named mapped axis

_COLLECTIVE_REDUCERS = {"sum": "reduce_sum", "mean": "reduce_sum", "max": "reduce_max",
                        "min": "reduce_min"}


def _collective_rule(ctx, args, dims, kind, axis_name, axis_size):
    """`mlax.collective`: over this vmap's axis (the declaration's axis_name) the members
    are the batch, so the collective becomes a reduction over the batch axis (all_gather:
    the batch axis itself) and its result is no longer batched. A collective over another
    (outer) axis applies to each member of this batch alike: the op stays, on the batched
    operand."""
    x, index = args
    dx, di = dims
    if axis_name == ctx.batcher.axis_name:
        if dx is None:
            x, dx = ctx.broadcast_batch(x, 0), 0
        if kind == "all_gather":
            return [ctx.moveaxis(x, dx, 0)], [None]
        out = ctx.emit("mlax." + _COLLECTIVE_REDUCERS[kind], [x], axes=(dx,))[0]
        if kind == "mean":
            out = ctx.div(out, ctx.full_like(out, ctx.size))
        return [out], [None]
    if di is not None:
        raise PassError(f"mlax.collective over axis '{axis_name}': its axis index is batched "
                        f"by the vmap of axis '{ctx.batcher.axis_name or '(unnamed)'}'")
    out = ctx.collective(x, index, kind=kind, axis_name=axis_name, axis_size=axis_size)
    return [out], [dx + 1 if kind == "all_gather" else dx]


BATCHING_RULES["mlax.collective"] = _collective_rule


# ---------------------------------------------------------------------------------------
# Convolutions and windows


def _conv_rule(ctx, args, dims, **attrs):
    """JAX's _conv_general_dilated_batch_rule: the batch axis joins lhs's batch dim, or
    rhs's output features, or (both batched) becomes more feature groups."""
    (lhs, rhs), (bl, br) = args, dims
    ls, rs, os_ = attrs["lhs_spec"], attrs["rhs_spec"], attrs["out_spec"]
    fgc, bgc = attrs["feature_group_count"], attrs["batch_group_count"]
    size = ctx.size

    def conv(l_, r_, **changes):
        return ctx.conv(l_, r_, **{**attrs, **changes})

    if bl is not None and br is not None:
        if bgc > 1:
            new_lhs = reshape_axis_into(ctx, bl, ls[0], lhs)
            changes = {"batch_group_count": bgc * size}
        else:
            new_lhs = reshape_axis_into(ctx, bl, ls[1], lhs)
            changes = {"feature_group_count": fgc * size}
        new_rhs = reshape_axis_into(ctx, br, rs[0], rhs)
        out = conv(new_lhs, new_rhs, **changes)
        return [reshape_axis_out_of(ctx, os_[1], size, out)], [os_[1]]
    if bl is not None:
        if bgc == 1:
            out = conv(reshape_axis_into(ctx, bl, ls[0], lhs), rhs)
            return [reshape_axis_out_of(ctx, os_[0], size, out)], [os_[0]]
        new_lhs = reshape_axis_out_of(ctx, ls[0] + int(bl <= ls[0]), bgc, lhs)
        new_lhs = reshape_axis_into(ctx, bl + int(ls[0] < bl), ls[0] + 1, new_lhs)
        new_lhs = reshape_axis_into(ctx, ls[0], ls[0], new_lhs)
        out = conv(new_lhs, rhs)
        return [reshape_axis_out_of(ctx, os_[0], size, out)], [os_[0]]
    if fgc == 1 and bgc == 1:
        out = conv(lhs, reshape_axis_into(ctx, br, rs[0], rhs))
        return [reshape_axis_out_of(ctx, os_[1], size, out)], [os_[1]]
    groups = max(fgc, bgc)
    new_rhs = reshape_axis_out_of(ctx, rs[0] + int(br <= rs[0]), groups, rhs)
    new_rhs = reshape_axis_into(ctx, br + int(rs[0] < br), rs[0] + 1, new_rhs)
    new_rhs = reshape_axis_into(ctx, rs[0], rs[0], new_rhs)
    out = conv(lhs, new_rhs)
    out = reshape_axis_out_of(ctx, os_[1], groups, out)
    out = reshape_axis_out_of(ctx, os_[1] + 1, size, out)
    out = reshape_axis_into(ctx, os_[1], os_[1] + 1, out)
    return [out], [os_[1]]


def _rev_rule(ctx, args, dims, dimensions):
    (x,), (b,) = args, dims
    return [ctx.rev(x, dimensions=tuple(_shift(d, b) for d in dimensions))], [b]


def _with_batch_window(attrs, b):
    """Window attributes with a window of one element along a new batch axis at b."""
    one = {"window_dimensions": 1, "window_strides": 1, "padding_low": 0, "padding_high": 0,
           "base_dilation": 1, "window_dilation": 1}
    return {k: (_insert(v, b, one[k]) if k in one else v) for k, v in attrs.items()}


def _reduce_window_rule(ctx, args, dims, **attrs):
    (x,), (b,) = args, dims
    return [ctx.reduce_window(x, **_with_batch_window(attrs, b))], [b]


def _select_window_rule(name):
    def rule(ctx, args, dims, **attrs):
        (first, operand), b = ctx.align(args, dims)
        return [ctx.emit(name, [first, operand], **_with_batch_window(attrs, b))[0]], [b]
    return rule


BATCHING_RULES.update({
    "mlax.conv": _conv_rule,
    "mlax.rev": _rev_rule,
    "mlax.reduce_window": _reduce_window_rule,
    "mlax.select_and_gather_add": _select_window_rule("mlax.select_and_gather_add"),
    "mlax.select_and_scatter_add": _select_window_rule("mlax.select_and_scatter_add"),
})
