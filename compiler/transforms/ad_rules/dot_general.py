"""Derivative rules of dot_general: bilinear, so each operand's cotangent is a dot_general
of the result's cotangent and the other operand. Every product made keeps the op's
`precision`, as JAX's transpose rules do."""
from __future__ import annotations

import numpy as np

from mlax.transforms.ad_rules.table import defrule, spec


# ---------------------------------------------------------------------------------------
# dot_general (bilinear)


def _dot_dims(a):
    return (a["lhs_contracting_dimensions"], a["rhs_contracting_dimensions"],
            a["lhs_batch_dimensions"], a["rhs_batch_dimensions"])


def _dot(ctx, x, y, lc, rc, lb, rb):
    if not len(lc):
        return _outer(ctx, x, y, lb, rb)
    return ctx.dot_general(x, y, lhs_contracting_dimensions=tuple(lc),
                           rhs_contracting_dimensions=tuple(rc),
                           lhs_batch_dimensions=tuple(lb), rhs_batch_dimensions=tuple(rb),
                           precision=ctx.attrs["precision"])


def _outer(ctx, x, y, xb, yb):
    """dot_general with no contracting dimensions, as broadcasts and one multiply."""
    xs, ys = spec(x).shape, spec(y).shape
    xf = [d for d in range(len(xs)) if d not in xb]
    yf = [d for d in range(len(ys)) if d not in yb]
    nb = len(xb)
    shape = tuple(xs[d] for d in xb) + tuple(xs[d] for d in xf) + tuple(ys[d] for d in yf)
    xpos = [list(xb).index(d) if d in xb else nb + xf.index(d) for d in range(len(xs))]
    ypos = [list(yb).index(d) if d in yb else nb + len(xf) + yf.index(d) for d in range(len(ys))]
    bx = ctx.broadcast_in_dim(x, shape=shape, broadcast_dimensions=tuple(xpos))
    by = ctx.broadcast_in_dim(y, shape=shape, broadcast_dimensions=tuple(ypos))
    return ctx.mul(bx, by)


def _dot_general_jvp(ctx, ts):
    x, y = ctx.args
    dims = _dot_dims(ctx.attrs)
    out = None
    if ts[0] is not None:
        out = _dot(ctx, ts[0], y, *dims)
    if ts[1] is not None:
        out = ctx.add_any(out, _dot(ctx, x, ts[1], *dims))
    return [out]


def _remaining(n, *removed):
    gone = set().union(*[set(r) for r in removed])
    return [i for i in range(n) if i not in gone]


def _dot_transpose_lhs(ctx, g, x_ndim, y, xc, yc, xb, yb, swap_ans=False):
    """JAX's _dot_general_transpose_lhs: the cotangent of x in dot_general(x, y)."""
    y_ndim = len(spec(y).shape)
    x_kept = _remaining(x_ndim, xc, xb)
    y_kept = _remaining(y_ndim, yc, yb)
    nb = len(xb)
    if swap_ans:
        ans_y = list(range(nb, nb + len(y_kept)))
    else:
        ans_y = list(range(nb + len(x_kept), nb + len(x_kept) + len(y_kept)))
    ans_batch = list(range(nb))
    x_contract_sorted_by_y = [xc[i] for i in np.argsort(yc)] if len(yc) else []
    out_axes = np.argsort(list(xb) + x_kept + x_contract_sorted_by_y)
    r = _dot(ctx, g, y, ans_y, y_kept, ans_batch, yb)
    perm = tuple(int(i) for i in out_axes)
    if perm != tuple(range(len(perm))):
        r = ctx.transpose(r, permutation=perm)
    return r


def _dot_general_vjp(ctx, cts):
    x, y = ctx.args
    g = cts[0]
    xc, yc, xb, yb = (list(d) for d in _dot_dims(ctx.attrs))
    x_ndim, y_ndim = len(spec(x).shape), len(spec(y).shape)
    ct_x = _dot_transpose_lhs(ctx, g, x_ndim, y, xc, yc, xb, yb) if ctx.active[0] else None
    ct_y = _dot_transpose_lhs(ctx, g, y_ndim, x, yc, xc, yb, xb, swap_ans=True) \
        if ctx.active[1] else None
    return [ct_x, ct_y]


defrule("dot_general", _dot_general_jvp, _dot_general_vjp)
