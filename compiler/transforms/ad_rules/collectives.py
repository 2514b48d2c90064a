"""Derivatives of `mlax.collective` (JAX's psum, pmean, pmax, pmin, all_gather).

Every member of the named axis gets y = collective(x over the members). So for the sum,
dL/dx_i = sum_j dL/dy_j: the cotangent is summed over the members (psum's transpose is
psum), the mean likewise divided by the size; all_gather's member i receives row i of the
summed cotangents; max/min route the (summed) cotangent to the members that attain the
extremum, shared equally between ties, as JAX's reduce_max does."""
from __future__ import annotations

from mlax.transforms.ad_rules.table import deflinear, defrule, spec


def _same(ctx, x, index, kind):
    a = ctx.attrs
    return ctx.collective(x, index, kind=kind, axis_name=a["axis_name"],
                          axis_size=a["axis_size"])


def _ties(ctx):
    """1 where this member attains the max/min (as x's dtype), and their count."""
    x, index = ctx.args
    hit = ctx.convert_element_type(ctx.eq(x, ctx.outs[0]), new_dtype=spec(x).dtype)
    return hit, _same(ctx, hit, index, "sum")


def _jvp(ctx, ts):
    t, _ = ts
    x, index = ctx.args
    kind = ctx.attrs["kind"]
    if kind in ("max", "min"):
        hit, count = _ties(ctx)
        return [ctx.div(_same(ctx, ctx.mul(ctx.or_zeros(t, x), hit), index, "sum"), count)]
    return [_same(ctx, ctx.or_zeros(t, x), index, kind)]


def _vjp(ctx, cts):
    ct, = cts
    x, index = ctx.args
    kind = ctx.attrs["kind"]
    if kind in ("sum", "mean"):
        return [_same(ctx, ct, index, kind), None]
    total = _same(ctx, ct, index, "sum")
    if kind == "all_gather":
        shape = spec(total).shape
        zero = ctx.scalar(index, 0)
        row = ctx.dynamic_slice(total, index, *[zero] * (len(shape) - 1),
                                slice_sizes=(1,) + tuple(shape[1:]))
        return [ctx.reshape(row, new_sizes=tuple(shape[1:])), None]
    hit, count = _ties(ctx)
    return [ctx.div(ctx.mul(total, hit), count), None]


defrule("collective", _jvp, _vjp)


# with_sharding_constraint: the value itself, laid out as given. Linear; as in JAX, its
# tangent and its cotangent get the same constraint.
def _constrain(ctx, cts):
    return [ctx.sharding_constraint(cts[0], **ctx.attrs)]


deflinear("sharding_constraint", _constrain)
