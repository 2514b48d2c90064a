"""Windowed reductions, as in JAX's lax windowed_reductions.py: `reduce_window` with one of
lax's monoids (add, max, min, mul) is one `mlax.reduce_window` op carrying XLA's
ReduceWindow attributes; it starts each window from the monoid's identity, and an init
value other than that combines with its result elementwise (XLA leaves padding out of
the windows, so the two agree)."""
from __future__ import annotations

import numpy as np

from mlax.dispatch import bind
from mlax.lax import primitives as prims
from mlax.lax.convolution import _dilate_dim, padtype_to_pads
from mlax.tracing import Tracer, user_site
from mlax.runtime.dtypes import is_float

# The computations reduce_window knows, by the lax function the user passes.
_COMPUTATIONS = {prims.add: "add", prims.max: "max", prims.min: "min", prims.mul: "mul"}


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None):
    if base_dilation is not None:
        operand_shape = [_dilate_dim(n, d) for n, d in zip(operand_shape, base_dilation)]
    if window_dilation is not None:
        window_dimensions = [_dilate_dim(w, d) for w, d in zip(window_dimensions, window_dilation)]
    padded = [n + lo + hi for n, (lo, hi) in zip(operand_shape, padding)]
    return tuple(0 if p < w else (p - w) // s + 1
                 for p, w, s in zip(padded, window_dimensions, window_strides))


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """`computation` over padded windows of `operand` (XLA's ReduceWindow), as
    jax.lax.reduce_window; `computation` is one of lax.add, lax.max, lax.min, lax.mul."""
    if isinstance(operand, (list, tuple, dict)):
        raise NotImplementedError("mlax's lax.reduce_window takes one array operand; pytrees "
                                  f"of operands are not implemented (at {user_site()})")
    kind = _COMPUTATIONS.get(computation)
    if kind is None:
        raise NotImplementedError(
            f"mlax's lax.reduce_window implements the computations lax.add, lax.max, lax.min "
            f"and lax.mul, not {getattr(computation, '__name__', computation)!r} "
            f"(at {user_site()})")
    a = prims.aval(operand)
    n = a.ndim
    window_dimensions = tuple(int(w) for w in window_dimensions)
    window_strides = (1,) * n if window_strides is None else tuple(int(s) for s in window_strides)
    base_dilation = (1,) * n if base_dilation is None else tuple(int(d) for d in base_dilation)
    window_dilation = (1,) * n if window_dilation is None else \
        tuple(int(d) for d in window_dilation)
    for key, value in (("window_dimensions", window_dimensions),
                       ("window_strides", window_strides), ("base_dilation", base_dilation),
                       ("window_dilation", window_dilation)):
        if len(value) != n:
            raise TypeError(f"reduce_window: {key} {value} must have one entry per dimension "
                            f"of the operand {a.str_short()} (at {user_site()})")
        if any(v < 1 for v in value):
            raise TypeError(f"reduce_window: {key} must be positive, got {value} "
                            f"(at {user_site()})")
    if isinstance(padding, str):
        dilated = [_dilate_dim(w, d) for w, d in zip(window_dimensions, window_dilation)]
        padding = padtype_to_pads(a.shape, dilated, window_strides, padding)
    padding = tuple((int(lo), int(hi)) for lo, hi in padding)
    if len(padding) != n:
        raise TypeError(f"reduce_window: padding {padding} must have one pair per dimension "
                        f"of the operand {a.str_short()} (at {user_site()})")
    out = bind("mlax.reduce_window", operand, computation=kind,
               window_dimensions=window_dimensions, window_strides=window_strides,
               padding_low=tuple(lo for lo, _ in padding),
               padding_high=tuple(hi for _, hi in padding), base_dilation=base_dilation,
               window_dilation=window_dilation)
    if _is_identity(kind, init_value):
        return out
    # Any other init value starts each window: it combines with the window's result.
    init = init_value
    ia = prims.aval(init)
    if ia.shape != ():
        raise TypeError(f"reduce_window: init_value must be a scalar, got {ia.str_short()} "
                        f"(at {user_site()})")
    if ia.dtype != a.dtype:
        raise TypeError("reduce_window got inconsistent dtypes for operands and init_values: "
                        f"got operand dtypes [{a.dtype.name}] and init_value dtypes "
                        f"[{ia.dtype.name}] (at {user_site()})")
    shape = prims.aval(out).shape
    return computation(out, prims.broadcast_in_dim(init, shape, ()))


def _identity(kind, dtype):
    dtype = np.dtype(dtype)
    if kind in ("add", "mul"):
        return 0 if kind == "add" else 1
    if is_float(dtype):
        return -np.inf if kind == "max" else np.inf
    if dtype == np.bool_:
        return kind == "min"
    info = np.iinfo(dtype)
    return info.min if kind == "max" else info.max


def _is_identity(kind, init):
    """Whether `init` is known (a concrete scalar) to be the computation's identity in its
    own dtype (JAX's test: a float -inf is max's identity for an integer operand too; JAX
    knows add, max and min as monoids, not mul)."""
    if isinstance(init, Tracer) or kind == "mul":
        return False
    value = np.asarray(init)
    dtype = prims.aval(init).dtype
    return value.shape == () and bool(value == _identity(kind, dtype))
