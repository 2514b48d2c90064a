"""Derivative rules of the reductions, the cumulative ops, sort and top_k."""
from __future__ import annotations

import numpy as np

from mlax.transforms.ad_rules.table import deflinear, defrule, spec


# ---------------------------------------------------------------------------------------
# Reductions


deflinear("reduce_sum", lambda ctx, cts: [ctx.unreduce(cts[0], spec(ctx.args[0]).shape,
                                                       ctx.attrs["axes"])])


def _chooser_parts(ctx):
    """Where x attains the reduced max/min, and how many times per reduced slot."""
    x, = ctx.args
    shape = spec(x).shape
    axes = ctx.attrs["axes"]
    ans = ctx.unreduce(ctx.outs[0], shape, axes)
    loc = ctx.convert_element_type(ctx.eq(x, ans), new_dtype=spec(x).dtype)
    counts = ctx.reduce_sum(loc, axes=axes)
    return loc, counts


def _chooser_jvp(ctx, ts):
    loc, counts = _chooser_parts(ctx)
    return [ctx.div(ctx.reduce_sum(ctx.mul(ts[0], loc), axes=ctx.attrs["axes"]), counts)]


def _chooser_vjp(ctx, cts):
    loc, counts = _chooser_parts(ctx)
    shape = spec(ctx.args[0]).shape
    return [ctx.mul(ctx.unreduce(ctx.div(cts[0], counts), shape, ctx.attrs["axes"]), loc)]


defrule("reduce_max", _chooser_jvp, _chooser_vjp)
defrule("reduce_min", _chooser_jvp, _chooser_vjp)


def _prod_partials(ctx):
    """For reduce_prod: x with the reduced axes moved last and flattened (K..., n), and
    the product of all the other elements of each slot (exclusive prefix times exclusive
    suffix products), exact where x has zeros."""
    x, = ctx.args
    shape = spec(x).shape
    axes = ctx.attrs["axes"]
    kept = [d for d in range(len(shape)) if d not in axes]
    perm = tuple(kept) + tuple(axes)
    kshape = tuple(shape[d] for d in kept)
    n = int(np.prod([shape[d] for d in axes], dtype=np.int64))
    flat_shape = kshape + (n,)

    def flatten(v):
        if perm != tuple(range(len(shape))):
            v = ctx.transpose(v, permutation=perm)
        return ctx.reshape(v, new_sizes=flat_shape) if spec(v).shape != flat_shape else v
    xf = flatten(x)
    if n <= 1:
        return flatten, perm, kshape, n, ctx.ones_like(xf)
    last = len(flat_shape) - 1
    ones = ctx.full(kshape + (1,), spec(x).dtype, 1)

    def cut(v, lo, hi):
        start = (0,) * last + (lo,)
        return ctx.slice(v, start_indices=start, limit_indices=kshape + (hi,),
                         strides=(1,) * len(flat_shape))
    left = ctx.concatenate(ones, cut(ctx.cumprod(xf, axis=last, reverse=False), 0, n - 1),
                           dimension=last)
    right = ctx.concatenate(cut(ctx.cumprod(xf, axis=last, reverse=True), 1, n), ones,
                            dimension=last)
    return flatten, perm, kshape, n, ctx.mul(left, right)


def _reduce_prod_jvp(ctx, ts):
    flatten, perm, kshape, n, partial = _prod_partials(ctx)
    if n == 0:
        return [None]
    return [ctx.reduce_sum(ctx.mul(partial, flatten(ts[0])), axes=(len(kshape),))]


def _reduce_prod_vjp(ctx, cts):
    flatten, perm, kshape, n, partial = _prod_partials(ctx)
    x = ctx.args[0]
    if n == 0:
        return [None]
    shape = spec(x).shape
    g = ctx.broadcast_in_dim(cts[0], shape=kshape + (n,),
                             broadcast_dimensions=tuple(range(len(kshape))))
    g = ctx.mul(g, partial)
    permuted = tuple(shape[d] for d in perm)
    if spec(g).shape != permuted:
        g = ctx.reshape(g, new_sizes=permuted)
    if perm != tuple(range(len(shape))):
        g = ctx.transpose(g, permutation=tuple(int(i) for i in np.argsort(perm)))
    return [g]


defrule("reduce_prod", _reduce_prod_jvp, _reduce_prod_vjp)


# ---------------------------------------------------------------------------------------
# Cumulative ops


deflinear("cumsum", lambda ctx, cts: [ctx.cumsum(cts[0], axis=ctx.attrs["axis"],
                                                 reverse=not ctx.attrs["reverse"])])


def _cumprod_jvp(ctx, ts):
    # y * cumsum(t / x): exact where x has no zeros.
    x, = ctx.args
    a = ctx.attrs
    return [ctx.mul(ctx.outs[0], ctx.cumsum(ctx.div(ts[0], x), axis=a["axis"], reverse=a["reverse"]))]


def _cumprod_vjp(ctx, cts):
    x, = ctx.args
    a = ctx.attrs
    s = ctx.cumsum(ctx.mul(cts[0], ctx.outs[0]), axis=a["axis"], reverse=not a["reverse"])
    return [ctx.div(s, x)]


defrule("cumprod", _cumprod_jvp, _cumprod_vjp)


def _lse_scale(ctx):
    """exp(x - m) and exp(m - y) for m the max of x along the axis (kept finite)."""
    x, = ctx.args
    y = ctx.outs[0]
    axis = ctx.attrs["axis"]
    m = ctx.reduce_max(x, axes=(axis,))
    m = ctx.select(ctx.is_finite(m), m, ctx.zeros_like(m))
    m = ctx.unreduce(m, spec(x).shape, (axis,))
    return ctx.exp(ctx.sub(x, m)), ctx.exp(ctx.sub(m, y))


def _cumlogsumexp_jvp(ctx, ts):
    ex, ey = _lse_scale(ctx)
    a = ctx.attrs
    return [ctx.mul(ctx.cumsum(ctx.mul(ts[0], ex), axis=a["axis"], reverse=a["reverse"]), ey)]


def _cumlogsumexp_vjp(ctx, cts):
    ex, ey = _lse_scale(ctx)
    a = ctx.attrs
    return [ctx.mul(ex, ctx.cumsum(ctx.mul(cts[0], ey), axis=a["axis"], reverse=not a["reverse"]))]


defrule("cumlogsumexp", _cumlogsumexp_jvp, _cumlogsumexp_vjp)


def _cum_chooser_source(ctx):
    """For cummax/cummin: the index each result was taken from (the latest position, in
    scan order, where the running extreme was attained)."""
    x, = ctx.args
    y = ctx.outs[0]
    a = ctx.attrs
    shape = spec(x).shape
    n = shape[a["axis"]]
    iota = ctx.iota(dtype=np.dtype(np.int32), shape=shape, dimension=a["axis"])
    hit = ctx.eq(x, y)
    if not a["reverse"]:
        return ctx.cummax(ctx.select(hit, iota, ctx.zeros_like(iota)), axis=a["axis"], reverse=False)
    return ctx.cummin(ctx.select(hit, iota, ctx.full_like(iota, n - 1)), axis=a["axis"], reverse=True)


def _cum_chooser_jvp(ctx, ts):
    return [take_along_axis(ctx, ts[0], _cum_chooser_source(ctx), ctx.attrs["axis"])]


def _cum_chooser_vjp(ctx, cts):
    src = _cum_chooser_source(ctx)
    return [take_along_axis_t(ctx, cts[0], src, ctx.attrs["axis"], spec(ctx.args[0]).shape)]


defrule("cummax", _cum_chooser_jvp, _cum_chooser_vjp)
defrule("cummin", _cum_chooser_jvp, _cum_chooser_vjp)


# ---------------------------------------------------------------------------------------
# Point gathers along one axis (sort, top_k, cummax)


def _point_indices(ctx, idx, axis):
    """Full gather indices (*shape, rank): `idx` along `axis`, the position elsewhere."""
    shape = spec(idx).shape
    rank = len(shape)
    parts = []
    for d in range(rank):
        comp = idx if d == axis else ctx.iota(dtype=np.dtype(np.int32), shape=shape, dimension=d)
        if spec(comp).dtype != np.int32:
            comp = ctx.convert_element_type(comp, new_dtype=np.dtype(np.int32))
        parts.append(ctx.reshape(comp, new_sizes=shape + (1,)))
    out = parts[0]
    for p in parts[1:]:
        out = ctx.concatenate(out, p, dimension=rank)
    return out


def _point_dnums(rank):
    dims = tuple(range(rank))
    return dict(collapsed_slice_dims=dims, start_index_map=dims, operand_batching_dims=(),
                start_indices_batching_dims=(), slice_sizes=(1,) * rank)


def take_along_axis(ctx, t, idx, axis):
    """out[..., i, ...] = t[..., idx[..., i, ...], ...] (idx has t's rank)."""
    rank = len(spec(t).shape)
    if rank == 0:
        return t
    d = _point_dnums(rank)
    return ctx.gather(t, _point_indices(ctx, idx, axis), offset_dims=(), mode="clip", **d)


def take_along_axis_t(ctx, ct, idx, axis, shape):
    """The transpose of take_along_axis: scatter-add `ct` into zeros of `shape`."""
    rank = len(shape)
    if rank == 0:
        return ct
    d = _point_dnums(rank)
    return ctx.scatter(ctx.full(shape, spec(ct).dtype, 0), _point_indices(ctx, idx, axis), ct,
                       kind="add", update_window_dims=(), inserted_window_dims=d["collapsed_slice_dims"],
                       scatter_dims_to_operand_dims=d["start_index_map"], operand_batching_dims=(),
                       scatter_indices_batching_dims=(), mode="drop")


def _sort_permutation(ctx):
    keys = ctx.args[0]
    a = ctx.attrs
    iota = ctx.iota(dtype=np.dtype(np.int32), shape=spec(keys).shape, dimension=a["dimension"])
    return ctx.sort(keys, iota, dimension=a["dimension"], is_stable=a["is_stable"])[1]


def _sort_jvp(ctx, ts):
    perm = _sort_permutation(ctx)
    return [None if t is None else take_along_axis(ctx, t, perm, ctx.attrs["dimension"])
            for t in ts]


def _sort_vjp(ctx, cts):
    perm = _sort_permutation(ctx)
    return [None if ct is None or not act else
            take_along_axis_t(ctx, ct, perm, ctx.attrs["dimension"], spec(ct).shape)
            for ct, act in zip(cts, ctx.active)]


defrule("sort", _sort_jvp, _sort_vjp)


def _top_k_jvp(ctx, ts):
    axis = len(spec(ctx.args[0]).shape) - 1
    return [take_along_axis(ctx, ts[0], ctx.outs[1], axis), None]


def _top_k_vjp(ctx, cts):
    x = ctx.args[0]
    axis = len(spec(x).shape) - 1
    return [take_along_axis_t(ctx, cts[0], ctx.outs[1], axis, spec(x).shape)]


defrule("top_k", _top_k_jvp, _top_k_vjp)
