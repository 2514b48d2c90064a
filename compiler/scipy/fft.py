# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/fft.py (jax 0.10.2).
"""mlax.scipy.fft: the type-2 discrete cosine transform and its inverse (`dct`, `dctn`,
`idct`, `idctn`), computed through an FFT of the interleaved input as JAX computes them."""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.numpy._util import _float_args


def _axis(axis, ndim):
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _W4(N, k):
    return jnp.exp(-.5j * np.pi * k / N)


def _dct_interleave(x, axis):
    n = x.shape[axis]
    v0 = lax.slice_in_dim(x, 0, n, 2, axis)
    v1 = lax.rev(lax.slice_in_dim(x, 1, n, 2, axis), (axis,))
    return lax.concatenate([v0, v1], axis)


def _dct_deinterleave(x, axis):
    def along(s):
        return tuple(s if i == axis else slice(None) for i in range(x.ndim))
    half = math.ceil(x.shape[axis] / 2)
    v0 = x[along(slice(None, half))]
    v1 = lax.rev(x[along(slice(half, None))], (axis,))
    out = jnp.zeros(x.shape, dtype=x.dtype)
    return out.at[along(slice(None, None, 2))].set(v0).at[along(slice(1, None, 2))].set(v1)


def _dct_ortho_norm(out, axis):
    factor = lax.concatenate([lax.full((1,), 4, out.dtype), lax.full((out.shape[axis] - 1,), 2, out.dtype)], 0)
    factor = lax.expand_dims(factor, [a for a in range(out.ndim) if a != axis])
    return out / lax.sqrt(factor * out.shape[axis])


def _check(name, type, norm):
    if type != 2:
        raise NotImplementedError("Only DCT type 2 is implemented.")
    if norm is not None and norm not in ["backward", "ortho"]:
        raise ValueError(f"jax.scipy.fft.{name}: {norm=!r} is not implemented")


def _pad_to(x, sizes):
    """x zero-padded at the end of the axes in `sizes` (axis -> length)."""
    return lax.pad(x, jnp.array(0, x.dtype),
                   [(0, sizes[a] - x.shape[a] if a in sizes else 0, 0) for a in range(x.ndim)])


def _expand_to(v, ndim, axis):
    return lax.expand_dims(v, [a for a in range(ndim) if a != axis])


def dct(x, type=2, n=None, axis=-1, norm=None):
    x = jnp.asarray(x)
    _check("dct", type, norm)
    if jnp.iscomplexobj(x):
        return lax.complex(dct(x.real, type=type, n=n, norm=norm, axis=axis),
                           dct(x.imag, type=type, n=n, norm=norm, axis=axis))
    axis = _axis(axis, x.ndim)
    if n is not None:
        x = _pad_to(x, {axis: n})
    N = x.shape[axis]
    V = jnp.fft.fft(_dct_interleave(x, axis), axis=axis)
    k = _expand_to(jnp.arange(N, dtype=V.real.dtype), x.ndim, axis)
    out = 2 * (V * _W4(N, k)).real
    return _dct_ortho_norm(out, axis) if norm == "ortho" else out


def _dct2(x, axes, norm):
    axis1, axis2 = (_axis(a, x.ndim) for a in axes)
    N1, N2 = x.shape[axis1], x.shape[axis2]
    V = jnp.fft.fftn(_dct_interleave(_dct_interleave(x, axis1), axis2), axes=axes)
    k1 = _expand_to(jnp.arange(N1, dtype=V.dtype), x.ndim, axis1)
    k2 = _expand_to(jnp.arange(N2, dtype=V.dtype), x.ndim, axis2)
    out = _W4(N1, k1) * (_W4(N2, k2) * V
                         + _W4(N2, -k2) * jnp.roll(jnp.flip(V, axis=axis2), shift=1, axis=axis2))
    out = 2 * out.real
    if norm == "ortho":
        return _dct_ortho_norm(_dct_ortho_norm(out, axis1), axis2)
    return out


def _nd_axes(x, s, axes):
    if s is not None:
        try:
            s = list(s)
        except TypeError:
            s = [operator.index(s)]
        if len(s) > x.ndim:
            raise ValueError(f"s must have at most x.ndim ({x.ndim}) elements, got {len(s)}")
    if axes is None:
        axes = tuple(range(x.ndim - len(s), x.ndim)) if s is not None else tuple(range(x.ndim))
    else:
        axes = tuple(_axis(a, x.ndim) for a in axes)
    return s, axes


def dctn(x, type=2, s=None, axes=None, norm=None):
    x = jnp.asarray(x)
    _check("dctn", type, norm)
    if jnp.iscomplexobj(x):
        return lax.complex(dctn(x.real, type=type, s=s, norm=norm, axes=axes),
                           dctn(x.imag, type=type, s=s, norm=norm, axes=axes))
    s, axes = _nd_axes(x, s, axes)
    if len(axes) == 1:
        return dct(x, n=s[0] if s is not None else None, axis=axes[0], norm=norm)
    if s is not None:
        x = _pad_to(x, dict(zip(axes, s)))
    if len(axes) == 2:
        return _dct2(x, axes=axes, norm=norm)
    # More dims: 2-d and 1-d transforms in turn.
    for block in [axes[i:i + 2] for i in range(0, len(axes), 2)]:
        x = dctn(x, axes=block, norm=norm)
    return x


def idct(x, type=2, n=None, axis=-1, norm=None):
    x = jnp.asarray(x)
    _check("idct", type, norm)
    if jnp.iscomplexobj(x):
        return lax.complex(idct(x.real, type=type, n=n, norm=norm, axis=axis),
                           idct(x.imag, type=type, n=n, norm=norm, axis=axis))
    axis = _axis(axis, x.ndim)
    if n is not None:
        x = _pad_to(x, {axis: n})
    N = x.shape[axis]
    x, = _float_args(x)
    if norm is None or norm == "backward":
        x = _dct_ortho_norm(x, axis)
    x = _dct_ortho_norm(x, axis)
    k = _expand_to(jnp.arange(N, dtype=x.dtype), x.ndim, axis)
    w4 = _W4(N, k)
    x = x.astype(w4.dtype) / w4 * 2 * N
    x = jnp.fft.ifft(x, axis=axis)
    return _dct_deinterleave(x.real, axis)


def idctn(x, type=2, s=None, axes=None, norm=None):
    x = jnp.asarray(x)
    _check("idctn", type, norm)
    if jnp.iscomplexobj(x):
        return lax.complex(idctn(x.real, type=type, s=s, norm=norm, axes=axes),
                           idctn(x.imag, type=type, s=s, norm=norm, axes=axes))
    s, axes = _nd_axes(x, s, axes)
    if len(axes) == 1:
        return idct(x, n=s[0] if s is not None else None, axis=axes[0], norm=norm)
    if s is not None:
        x = _pad_to(x, dict(zip(axes, s)))
    for axis in axes:
        x = idct(x, axis=axis, norm=norm)
    return x


# Names jax.scipy.fft has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.fft", __name__)
