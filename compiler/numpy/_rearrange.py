"""`roll`, `repeat` and `pad`: shape functions that compute positions or fill values (a traced
shift or repeat count, a pad statistic), so they sit above the ufuncs, reductions and
searchsorted; the shape functions that only move elements are in `_shapes`."""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax
from mlax.runtime import Array
from mlax.tracing import Tracer

from mlax.numpy._util import _arr, _axis, _concrete, _is_array, _take_axis
from mlax.numpy._shapes import (_flat_or_axis, broadcast_to, concatenate, flip, ravel, reshape,
                                squeeze)
from mlax.numpy._creation import asarray, linspace
from mlax.numpy._ufuncs import minimum, remainder, round
from mlax.numpy._reductions import cumsum, max, mean, min
from mlax.numpy._sorting import searchsorted


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    a = _arr(a)
    a, axis = _flat_or_axis(a, axis)
    n = a.shape[axis]
    if isinstance(repeats, Tracer):
        if total_repeat_length is None:
            repeats._concretization(core.ConcretizationTypeError,
                                    "repeat with traced repeats needs total_repeat_length",
                                    "Pass total_repeat_length= (a static int) or make repeats static.")
        repeats = broadcast_to(repeats.astype(_np.int32), (n,))
        ends = cumsum(repeats)
        idx = searchsorted(ends, lax.iota(_np.int32, int(total_repeat_length)), side="right")
        idx = minimum(idx, n - 1).astype(_np.int32)
        return _take_axis(a, idx, axis)
    r = _np.asarray(repeats)
    if r.ndim == 0:
        r = int(r)
        shp = list(a.shape)
        shp.insert(axis + 1, r)
        b = lax.broadcast_in_dim(a, shp, tuple(d if d <= axis else d + 1 for d in range(a.ndim)))
        out_shape = list(a.shape)
        out_shape[axis] = n * r
        out = reshape(b, out_shape)
    else:
        idx = _np.repeat(_np.arange(n), _np.broadcast_to(r, (n,))).astype(_np.int32)
        out = _take_axis(a, Array(idx), axis)
    if total_repeat_length is not None and out.shape[axis] != total_repeat_length:
        m = out.shape[axis]
        t = int(total_repeat_length)
        if t <= m:
            out = lax.slice_in_dim(out, 0, t, 1, axis)
        else:
            out = _take_axis(out, Array(_np.minimum(_np.arange(t), m - 1).astype(_np.int32)), axis)
    return out


def roll(a, shift, axis=None):
    a = _arr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    for s, ax in zip(shifts, axes):
        ax = _axis(ax, a.ndim)
        n = a.shape[ax]
        if n == 0:
            continue
        if isinstance(s, Tracer):
            s = _arr(s).astype(_np.int32)
            start = remainder(n - remainder(s, n), n)
            doubled = concatenate([a, a], axis=ax)
            a = lax.dynamic_slice_in_dim(doubled, start, n, ax)
            continue
        s = int(s) % n
        if s:
            a = concatenate([lax.slice_in_dim(a, n - s, n, 1, ax), lax.slice_in_dim(a, 0, n - s, 1, ax)], axis=ax)
    return a


def _pad_width(pad_width, nd):
    pw = _np.asarray(_concrete(pad_width, "pad_width"))
    if pw.dtype.kind not in "iu":
        raise TypeError(f"pad_width must be integers, got {pw.dtype}")
    return _np.broadcast_to(pw, (nd, 2)).astype(int).tolist()


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad modes constant, edge, reflect, symmetric, wrap (one gather per axis at the source
    indices NumPy's pad would read), maximum, minimum, mean (with stat_length), linear_ramp
    and empty."""
    a = _arr(array)
    pw = _pad_width(pad_width, a.ndim)
    if callable(mode):
        raise NotImplementedError("pad with a callable mode")
    if mode in ("constant", "empty"):
        cv = kwargs.get("constant_values", 0) if mode == "constant" else 0
        if _np.ndim(cv) == 0 and not (_is_array(cv) and cv.ndim):
            v = asarray(cv, a.dtype) if not _is_array(cv) else cv.astype(a.dtype)
            return lax.pad(a, reshape(v, ()), [(lo, hi, 0) for lo, hi in pw])
        cv = broadcast_to(asarray(cv).astype(a.dtype), (a.ndim, 2))   # pairs may be tuples
        for d, (lo, hi) in enumerate(pw):
            cfg = [(0, 0, 0)] * a.ndim
            cfg[d] = (lo, 0, 0)
            a = lax.pad(a, cv[d, 0], cfg)
            cfg[d] = (0, hi, 0)
            a = lax.pad(a, cv[d, 1], cfg)
        return a
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        if kwargs.get("reflect_type", "even") != "even":
            raise NotImplementedError("pad(reflect_type='odd')")
        for d, (lo, hi) in enumerate(pw):
            if lo == 0 and hi == 0:
                continue
            n = a.shape[d]
            if n == 0:
                raise ValueError(f"can't extend empty axis {d} using modes other than 'constant' or 'empty'")
            src = _np.pad(_np.arange(n), (lo, hi), mode=mode).astype(_np.int32)
            a = _take_axis(a, Array(src), d)
        return a
    if mode in ("maximum", "minimum", "mean"):
        stat = {"maximum": max, "minimum": min, "mean": mean}[mode]
        stat_length = kwargs.get("stat_length")
        if stat_length is not None:
            stat_length = _pad_width(stat_length, a.ndim)
        for d, (lo, hi) in enumerate(pw):
            n = a.shape[d]
            if stat_length is None:
                before = after = stat(a, axis=d, keepdims=True)
            else:
                len_lo, len_hi = stat_length[d]
                if len_lo == 0 or len_hi == 0:
                    raise ValueError("stat_length of 0 yields no value for padding")
                len_lo, len_hi = builtins.min(len_lo, n), builtins.min(len_hi, n)
                before = stat(lax.slice_in_dim(a, 0, len_lo, 1, d), axis=d, keepdims=True)
                after = stat(lax.slice_in_dim(a, n - len_hi, n, 1, d), axis=d, keepdims=True)
            if _np.issubdtype(a.dtype, _np.integer):     # JAX rounds an integer mean
                before, after = round(before), round(after)
            a = concatenate([repeat(before.astype(a.dtype), lo, axis=d), a,
                             repeat(after.astype(a.dtype), hi, axis=d)], axis=d)
        return a
    if mode == "linear_ramp":
        end_values = broadcast_to(asarray(kwargs.get("end_values", 0)), (a.ndim, 2))
        for d, (lo, hi) in enumerate(pw):
            n = a.shape[d]
            edge_lo = squeeze(lax.slice_in_dim(a, 0, 1, 1, d), d)
            edge_hi = squeeze(lax.slice_in_dim(a, n - 1, n, 1, d), d)
            ramp_lo = linspace(end_values[d, 0], edge_lo, lo, endpoint=False, dtype=a.dtype, axis=d)
            ramp_hi = flip(linspace(end_values[d, 1], edge_hi, hi, endpoint=False, dtype=a.dtype, axis=d), d)
            a = concatenate([ramp_lo, a, ramp_hi], axis=d)
        return a
    raise NotImplementedError(f"pad mode {mode!r}")
