"""Derivative rules of the shape ops (linear: their transposes) and of gather / scatter."""
from __future__ import annotations

import numpy as np

from mlax.transforms.ad_rules.table import deflinear, defrule, missing_rule, spec


# ---------------------------------------------------------------------------------------
# Shape ops (linear)


def _broadcast_in_dim_t(ctx, cts):
    ct = cts[0]
    in_shape = spec(ctx.args[0]).shape
    out_shape = spec(ct).shape
    bdims = ctx.attrs["broadcast_dimensions"]
    expanded = {bdims[i] for i, n in enumerate(in_shape) if n == 1 and out_shape[bdims[i]] != 1}
    summed = tuple(d for d in range(len(out_shape)) if d not in bdims or d in expanded)
    r = ctx.reduce_sum(ct, axes=summed) if summed else ct
    # The kept dims come out in increasing output order; put them in operand order.
    kept = [d for d in range(len(out_shape)) if d not in summed]
    order = [i for i in range(len(in_shape)) if bdims[i] in kept]
    by_pos = sorted(order, key=lambda i: bdims[i])
    if by_pos != order:
        r = ctx.transpose(r, permutation=tuple(by_pos.index(i) for i in order))
    if spec(r).shape != tuple(in_shape):
        r = ctx.reshape(r, new_sizes=tuple(in_shape))
    return [r]


deflinear("broadcast_in_dim", _broadcast_in_dim_t)
deflinear("reshape", lambda ctx, cts: [ctx.reshape(cts[0], new_sizes=spec(ctx.args[0]).shape)])
deflinear("transpose", lambda ctx, cts: [ctx.transpose(
    cts[0], permutation=tuple(int(i) for i in np.argsort(ctx.attrs["permutation"])))])


def _slice_t(ctx, cts):
    ct = cts[0]
    a = ctx.attrs
    n_in = spec(ctx.args[0]).shape
    k_out = spec(ct).shape
    high = tuple(n - s - k - max(0, k - 1) * (st - 1)
                 for n, s, k, st in zip(n_in, a["start_indices"], k_out, a["strides"]))
    zero = ctx.scalar(ct, 0)
    return [ctx.pad(ct, zero, low=tuple(a["start_indices"]), high=high,
                    interior=tuple(st - 1 for st in a["strides"]))]


deflinear("slice", _slice_t)


def _dynamic_slice_t(ctx, cts):
    x, *idx = ctx.args
    return [ctx.dynamic_update_slice(ctx.zeros_like(x), cts[0], *idx)] + [None] * len(idx)


deflinear("dynamic_slice", _dynamic_slice_t)


def _dynamic_update_slice_t(ctx, cts):
    x, u, *idx = ctx.args
    ct = cts[0]
    ct_x = ctx.dynamic_update_slice(ct, ctx.zeros_like(u), *idx) if ctx.active[0] else None
    ct_u = ctx.dynamic_slice(ct, *idx, slice_sizes=spec(u).shape) if ctx.active[1] else None
    return [ct_x, ct_u] + [None] * len(idx)


deflinear("dynamic_update_slice", _dynamic_update_slice_t, linear=(0, 1))


def _concatenate_t(ctx, cts):
    ct = cts[0]
    d = ctx.attrs["dimension"]
    shape = spec(ct).shape
    na = spec(ctx.args[0]).shape[d]
    out = []
    for i, (lo, hi) in enumerate(((0, na), (na, shape[d]))):
        if not ctx.active[i]:
            out.append(None)
            continue
        start = [0] * len(shape)
        limit = list(shape)
        start[d], limit[d] = lo, hi
        out.append(ctx.slice(ct, start_indices=tuple(start), limit_indices=tuple(limit),
                             strides=(1,) * len(shape)))
    return out


deflinear("concatenate", _concatenate_t, linear=(0, 1))


def _pad_t(ctx, cts):
    ct = cts[0]
    lo, hi, interior = ctx.attrs["low"], ctx.attrs["high"], ctx.attrs["interior"]
    shape = spec(ct).shape
    zero = ctx.scalar(ct, 0)
    if all(v >= 0 for v in lo + hi):
        unpadded = ct
        limit = tuple(n - h for n, h in zip(shape, hi))
        start = tuple(lo)
    else:
        unpadded = ctx.pad(ct, zero, low=tuple(-v for v in lo), high=tuple(-v for v in hi),
                           interior=(0,) * len(shape))
        start, limit = (0,) * len(shape), spec(unpadded).shape
    if any(interior) or start != (0,) * len(shape) or tuple(limit) != spec(unpadded).shape:
        ct_x = ctx.slice(unpadded, start_indices=start, limit_indices=tuple(limit),
                         strides=tuple(i + 1 for i in interior))
    else:
        ct_x = unpadded
    ct_v = None
    if ctx.active[1]:
        ct_v = ctx.sub(ctx.all_axes_sum(ct), ctx.all_axes_sum(ct_x))
    return [ct_x if ctx.active[0] else None, ct_v]


deflinear("pad", _pad_t, linear=(0, 1))


# ---------------------------------------------------------------------------------------
# gather / scatter


def _index_bounds(ctx, indices, operand_shape, dims, sizes):
    """(0, operand_dim - window) per index component, broadcast to the indices' shape."""
    ishape = spec(indices).shape
    dtype = spec(indices).dtype
    bounds = np.array([operand_shape[d] - sizes[d] for d in dims], dtype=dtype)
    hi = ctx.array(bounds)
    hi = ctx.broadcast_in_dim(hi, shape=ishape, broadcast_dimensions=(len(ishape) - 1,))
    return ctx.zeros_like(indices), hi


def _gather_t(ctx, cts):
    operand, indices = ctx.args
    a = ctx.attrs
    ct = cts[0]
    oshape = spec(operand).shape
    if a["mode"] == "clip":
        lo, hi = _index_bounds(ctx, indices, oshape, a["start_index_map"], a["slice_sizes"])
        indices = ctx.clamp(lo, indices, hi)
    out = ctx.scatter(ctx.zeros_like(operand), indices, ct, kind="add",
                      update_window_dims=a["offset_dims"],
                      inserted_window_dims=a["collapsed_slice_dims"],
                      scatter_dims_to_operand_dims=a["start_index_map"],
                      operand_batching_dims=a["operand_batching_dims"],
                      scatter_indices_batching_dims=a["start_indices_batching_dims"],
                      mode="drop")
    return [out, None]


deflinear("gather", _gather_t)


def _scatter_gather(ctx, ct, indices, updates):
    """The transpose of scatter-add w.r.t. its updates: gather `ct` at the update windows,
    zero for windows the scatter dropped (out of bounds)."""
    a = ctx.attrs
    oshape = spec(ct).shape
    ushape = spec(updates).shape
    window = iter(ushape[d] for d in a["update_window_dims"])
    sizes = tuple(1 if d in a["inserted_window_dims"] or d in a["operand_batching_dims"]
                  else next(window) for d in range(len(oshape)))
    g = ctx.gather(ct, indices, offset_dims=a["update_window_dims"],
                   collapsed_slice_dims=a["inserted_window_dims"],
                   start_index_map=a["scatter_dims_to_operand_dims"],
                   operand_batching_dims=a["operand_batching_dims"],
                   start_indices_batching_dims=a["scatter_indices_batching_dims"],
                   slice_sizes=sizes, mode="clip")
    if a["mode"] == "clip":
        return g
    lo, hi = _index_bounds(ctx, indices, oshape, a["scatter_dims_to_operand_dims"], sizes)
    inb = ctx.emit("mlax.and", [ctx.ge(indices, lo), ctx.le(indices, hi)])[0]
    ishape = spec(indices).shape
    ok = ctx.reduce_and(inb, axes=(len(ishape) - 1,))
    scatter_dims = [d for d in range(len(ushape)) if d not in a["update_window_dims"]]
    ok = ctx.broadcast_in_dim(ok, shape=ushape, broadcast_dimensions=tuple(scatter_dims))
    return ctx.select(ok, g, ctx.zeros_like(g))


def _scatter_attrs(ctx, **over):
    return dict(ctx.attrs, **over)


def _scatter_jvp(ctx, ts):
    operand, indices, updates = ctx.args
    kind = ctx.attrs["kind"]
    if kind in ("set", "add"):
        return [ctx.scatter(ctx.or_zeros(ts[0], operand), indices, ctx.or_zeros(ts[2], updates),
                            **ctx.attrs)]
    if kind == "mul" and ts[2] is None:
        return [ctx.scatter(ts[0], indices, updates, **ctx.attrs)]
    if kind in ("min", "max"):
        hit_op, hit_up, count = _extremal_parts(ctx)
        t_op = ctx.or_zeros(ts[0], operand)
        t_up = ctx.or_zeros(ts[2], updates)
        total = ctx.scatter(ctx.select(hit_op, t_op, ctx.zeros_like(t_op)), indices,
                            ctx.select(hit_up, t_up, ctx.zeros_like(t_up)),
                            **_scatter_attrs(ctx, kind="add"))
        return [ctx.div(total, count)]
    raise missing_rule(f"mlax.scatter (kind={kind})", "jvp", ctx.loc)


def _scatter_vjp(ctx, cts):
    operand, indices, updates = ctx.args
    kind = ctx.attrs["kind"]
    ct = cts[0]
    if kind == "add":
        return [ct if ctx.active[0] else None, None,
                _scatter_gather(ctx, ct, indices, updates) if ctx.active[2] else None]
    if kind == "set":
        ct_op = ctx.scatter(ct, indices, ctx.zeros_like(updates), **ctx.attrs) \
            if ctx.active[0] else None
        return [ct_op, None, _scatter_gather(ctx, ct, indices, updates) if ctx.active[2] else None]
    if kind == "mul" and not ctx.active[2]:
        return [ctx.scatter(ct, indices, updates, **ctx.attrs), None, None]
    if kind in ("min", "max"):
        hit_op, hit_up, count = _extremal_parts(ctx)
        w = ctx.div(ct, count)
        ct_op = ctx.select(hit_op, w, ctx.zeros_like(w)) if ctx.active[0] else None
        ct_up = None
        if ctx.active[2]:
            g = _scatter_gather(ctx, w, indices, updates)
            ct_up = ctx.select(hit_up, g, ctx.zeros_like(g))
        return [ct_op, None, ct_up]
    raise missing_rule(f"mlax.scatter (kind={kind})", "vjp", ctx.loc)


def _extremal_parts(ctx):
    """For scatter-min/max: which operand entries and which updates attain the result, and
    how many do at each result position. Ties share the derivative equally, as in JAX."""
    operand, indices, updates = ctx.args
    out = ctx.outs[0]
    dtype = spec(operand).dtype
    hit_op = ctx.eq(operand, out)
    hit_up = ctx.eq(updates, _scatter_gather(ctx, out, indices, updates))
    count = ctx.scatter(ctx.convert_element_type(hit_op, new_dtype=dtype), indices,
                        ctx.convert_element_type(hit_up, new_dtype=dtype),
                        **_scatter_attrs(ctx, kind="add"))
    return hit_op, hit_up, count


defrule("scatter", _scatter_jvp, _scatter_vjp)
