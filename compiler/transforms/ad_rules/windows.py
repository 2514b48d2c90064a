"""Derivative rules of convolutions and windows, as in JAX's lax convolution.py and
windowed_reductions.py: conv is bilinear and each operand's cotangent is a convolution
of the result's cotangent with the other operand; a sum over windows transposes to a
sum over windows of the padded cotangent; a max / min over windows has the tangent at
each window's selected element (select_and_gather_add), whose transpose adds the
cotangent there (select_and_scatter_add), and back."""
from __future__ import annotations

import numpy as np

from mlax.passes import PassNotImplementedError
from mlax.transforms.ad_rules.table import deflinear, defrule, spec
from mlax.transforms.conv_shapes import reshape_axis_into, reshape_axis_out_of


def _dilate(n, d):
    return 0 if n == 0 else 1 + d * (n - 1)


# ---------------------------------------------------------------------------------------
# conv (bilinear)


def _conv(ctx, lhs, rhs, **attrs):
    return ctx.conv(lhs, rhs, **attrs)


def _conv_jvp(ctx, ts):
    lhs, rhs = ctx.args
    out = None
    if ts[0] is not None:
        out = _conv(ctx, ts[0], rhs, **ctx.attrs)
    if ts[1] is not None:
        out = ctx.add_any(out, _conv(ctx, lhs, ts[1], **ctx.attrs))
    return [out]


def _spatial(shape, spec_):
    return [shape[d] for d in spec_[2:]]


def _vjp_lhs_padding(in_shape, window, strides, out_shape, low, lhs_dilation, rhs_dilation):
    """JAX's _conv_general_vjp_lhs_padding."""
    pads = []
    for i, n in enumerate(in_shape):
        lhs_d = _dilate(n, lhs_dilation[i])
        rhs_d = _dilate(window[i], rhs_dilation[i])
        out_d = _dilate(out_shape[i], strides[i])
        before = rhs_d - low[i] - 1
        pads.append((before, lhs_d + rhs_d - 1 - out_d - before))
    return pads


def _vjp_rhs_padding(in_shape, window, strides, out_shape, low, lhs_dilation, rhs_dilation):
    """JAX's _conv_general_vjp_rhs_padding."""
    pads = []
    for i, n in enumerate(in_shape):
        lhs_d = _dilate(n, lhs_dilation[i])
        rhs_d = _dilate(window[i], rhs_dilation[i])
        out_d = _dilate(out_shape[i], strides[i])
        pads.append((low[i], out_d - lhs_d + rhs_d - low[i] - 1))
    return pads


def _swap(s):
    return (s[1], s[0]) + tuple(s[2:])


def _conv_attrs(strides, pads, lhs_dilation, rhs_dilation, lhs_spec, rhs_spec, out_spec,
                feature_group_count, batch_group_count, precision):
    return dict(window_strides=tuple(strides), padding_low=tuple(int(lo) for lo, _ in pads),
                padding_high=tuple(int(hi) for _, hi in pads),
                lhs_dilation=tuple(lhs_dilation), rhs_dilation=tuple(rhs_dilation),
                lhs_spec=tuple(lhs_spec), rhs_spec=tuple(rhs_spec), out_spec=tuple(out_spec),
                feature_group_count=int(feature_group_count),
                batch_group_count=int(batch_group_count), precision=tuple(precision))


def _transpose_lhs(ctx, g):
    """JAX's _conv_general_dilated_transpose_lhs."""
    lhs, rhs = ctx.args
    a = ctx.attrs
    ls, rs, os_ = a["lhs_spec"], a["rhs_spec"], a["out_spec"]
    lhs_shape, rhs_shape = spec(lhs).shape, spec(rhs).shape
    fgc, bgc = a["feature_group_count"], a["batch_group_count"]
    if fgc > 1 or bgc > 1:
        rhs = reshape_axis_out_of(ctx, rs[0], max(fgc, bgc), rhs)
        rhs = reshape_axis_into(ctx, rs[0], rs[1], rhs)
        fgc = max(fgc, bgc)
    pads = _vjp_lhs_padding(_spatial(lhs_shape, ls), _spatial(rhs_shape, rs),
                            a["window_strides"], _spatial(spec(g).shape, os_), a["padding_low"],
                            a["lhs_dilation"], a["rhs_dilation"])
    rhs = ctx.rev(rhs, dimensions=tuple(sorted(rs[2:])))
    out = ctx.conv(g, rhs, **_conv_attrs(a["lhs_dilation"], pads, a["window_strides"],
                                         a["rhs_dilation"], os_, _swap(rs), ls, fgc, 1,
                                         a["precision"]))
    if bgc > 1:
        out = reshape_axis_out_of(ctx, ls[1], bgc, out)
        out = reshape_axis_into(ctx, ls[1], ls[0], out)
    return out


def _transpose_rhs(ctx, g):
    """JAX's _conv_general_dilated_transpose_rhs."""
    lhs, rhs = ctx.args
    a = ctx.attrs
    ls, rs, os_ = a["lhs_spec"], a["rhs_spec"], a["out_spec"]
    fgc, bgc = a["feature_group_count"], a["batch_group_count"]
    if bgc > 1:
        fgc, bgc = bgc, 1
    elif fgc > 1:
        fgc, bgc = 1, fgc
    pads = _vjp_rhs_padding(_spatial(spec(lhs).shape, ls), _spatial(spec(rhs).shape, rs),
                            a["window_strides"], _spatial(spec(g).shape, os_), a["padding_low"],
                            a["lhs_dilation"], a["rhs_dilation"])
    return ctx.conv(lhs, g, **_conv_attrs(a["rhs_dilation"], pads, a["lhs_dilation"],
                                          a["window_strides"], _swap(ls), _swap(os_),
                                          _swap(rs), fgc, bgc, a["precision"]))


def _conv_vjp(ctx, cts):
    g = cts[0]
    if 0 in spec(g).shape:
        return [ctx.zeros_like(ctx.args[0]) if ctx.active[0] else None,
                ctx.zeros_like(ctx.args[1]) if ctx.active[1] else None]
    return [_transpose_lhs(ctx, g) if ctx.active[0] else None,
            _transpose_rhs(ctx, g) if ctx.active[1] else None]


defrule("conv", _conv_jvp, _conv_vjp)


# rev is its own transpose.
deflinear("rev", lambda ctx, ct: [ctx.rev(ct[0], **ctx.attrs)])


# ---------------------------------------------------------------------------------------
# Windows

def _window(attrs):
    return {k: attrs[k] for k in ("window_dimensions", "window_strides", "padding_low",
                                  "padding_high", "base_dilation", "window_dilation")}


def _sum_transpose(ctx, ct):
    """JAX's _reduce_window_sum_transpose_rule: the cotangent padded (and spread out by
    the strides), summed over the same windows."""
    a = ctx.attrs
    x_shape = spec(ctx.args[0]).shape
    pads = _vjp_lhs_padding(x_shape, a["window_dimensions"], a["window_strides"],
                            spec(ct).shape, a["padding_low"], a["base_dilation"],
                            a["window_dilation"])
    n = len(x_shape)
    padded = ctx.pad(ct, ctx.scalar(ct, 0), low=tuple(int(lo) for lo, _ in pads),
                     high=tuple(int(hi) for _, hi in pads),
                     interior=tuple(s - 1 for s in a["window_strides"]))
    return ctx.reduce_window(padded, computation="add",
                             window_dimensions=a["window_dimensions"],
                             window_strides=a["base_dilation"], padding_low=(0,) * n,
                             padding_high=(0,) * n, base_dilation=(1,) * n,
                             window_dilation=a["window_dilation"])


def _select(attrs):
    return "ge" if attrs["computation"] == "max" else "le"


def _reduce_window_jvp(ctx, ts):
    a = ctx.attrs
    kind = a["computation"]
    if kind == "add":
        return [ctx.reduce_window(ts[0], **a)]
    if kind in ("max", "min"):
        return [ctx.select_and_gather_add(ts[0], ctx.args[0], select=_select(a), **_window(a))]
    raise PassNotImplementedError("mlax does not implement the derivative of lax.reduce_window "
                                  "with lax.mul", at=ctx.op)


def _reduce_window_vjp(ctx, cts):
    a = ctx.attrs
    kind = a["computation"]
    if kind == "add":
        return [_sum_transpose(ctx, cts[0])]
    if kind in ("max", "min"):
        return [ctx.select_and_scatter_add(cts[0], ctx.args[0], select=_select(a),
                                           **_window(a))]
    raise PassNotImplementedError("mlax does not implement the derivative of lax.reduce_window "
                                  "with lax.mul", at=ctx.op)


defrule("reduce_window", _reduce_window_jvp, _reduce_window_vjp)


# select_and_gather_add is linear in its tangents (the operand only chooses where):
# its transpose scatters, and select_and_scatter_add's gathers.
def _gather_transpose(ctx, cts):
    return [ctx.select_and_scatter_add(cts[0], ctx.args[1], **ctx.attrs), None]


def _scatter_transpose(ctx, cts):
    return [ctx.select_and_gather_add(cts[0], ctx.args[1], **ctx.attrs), None]


deflinear("select_and_gather_add", _gather_transpose)
deflinear("select_and_scatter_add", _scatter_transpose)
