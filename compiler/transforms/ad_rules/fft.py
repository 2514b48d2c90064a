"""Derivative rules of mlax.fft: the transform is linear, so the JVP is the transform of
the tangent; the transposes are JAX's (jax._src.lax.fft), with unconjugated cotangents."""
from __future__ import annotations

import math

import numpy as np

from mlax.transforms.ad_rules.table import deflinear, spec


def _rfft_transpose(ctx, ct, lengths):
    """RFFT is FFT of the real input, sliced to n // 2 + 1 entries: its transpose pads the
    cotangent back to n entries with zeros, transforms it (the DFT matrix is symmetric)
    and keeps the real part."""
    shape = spec(ct).shape
    n, m = lengths[-1], shape[-1]
    zero = ctx.full((), spec(ct).dtype, 0)
    r = len(shape)
    padded = ctx.pad(ct, zero, low=(0,) * r, high=(0,) * (r - 1) + (n - m,), interior=(0,) * r)
    return ctx.real(ctx.fft(padded, fft_type="FFT", fft_lengths=lengths))


def _irfft_transpose(ctx, ct, lengths):
    """conj(RFFT(ct)) / prod(lengths), entries that stand for two of the full transform
    (all but the first and, for even n, the last) doubled."""
    x = ctx.fft(ct, fft_type="RFFT", fft_lengths=lengths)
    shape, dtype = spec(x).shape, spec(x).dtype
    m, odd = shape[-1], lengths[-1] % 2
    weights = np.full(m, 2.0)
    weights[0] = 1.0
    if not odd:
        weights[-1] = 1.0
    weights = weights / math.prod(lengths)
    mask = ctx.constant(weights.astype(dtype))
    mask = ctx.broadcast_in_dim(mask, shape=shape, broadcast_dimensions=(len(shape) - 1,))
    return ctx.conj(ctx.mul(mask, x))


def _fft_transpose(ctx, cts):
    kind, lengths = ctx.attrs["fft_type"], tuple(ctx.attrs["fft_lengths"])
    ct = cts[0]
    if kind == "RFFT":
        return [_rfft_transpose(ctx, ct, lengths)]
    if kind == "IRFFT":
        return [_irfft_transpose(ctx, ct, lengths)]
    return [ctx.fft(ct, fft_type=kind, fft_lengths=lengths)]


deflinear("fft", _fft_transpose)
