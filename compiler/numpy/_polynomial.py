"""Polynomials as coefficient arrays, highest power first as in NumPy (`polyval`, `polyadd`,
`polymul`, `polydiv`, `polyder`, `polyint`, `poly`, `vander`), and the 1-d `convolve` and
`correlate` that polynomial products are built on."""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import lax
from mlax.runtime import Array

from mlax.numpy._util import _arr, _float_args, _is_float, _promote
from mlax.numpy._dtypes import result_type
from mlax.numpy._shapes import atleast_1d, concatenate, flip, ravel, stack
from mlax.numpy._creation import asarray, ones, zeros
from mlax.numpy._ufuncs import add, power, subtract
from mlax.numpy._products import matmul


def polyval(p, x, *, unroll=16):
    p = _arr(p)
    x = _arr(x)
    out = zeros(x.shape, result_type(p, x))
    for i in range(p.shape[0]):
        out = out * x + p[i]
    return out


# -- 1-d convolution (polymul and poly multiply with it) ---------------------------------

def _conv1d(a, v, mode):
    """1-d convolution of a and v (the longer one is slid over by the shorter one)."""
    a, v = _float_args(_arr(a), _arr(v))
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError("convolve/correlate only support 1-dimensional inputs")
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError("convolve/correlate: inputs cannot be empty")
    if m > n:
        a, v, n, m = v, a, m, n
    # full[k] = sum_j apad[k + j] * v[m-1-j]: one gather of sliding windows, one dot.
    zero = Array(_np.zeros((), a.dtype))
    apad = lax.pad(a, zero, [(m - 1, m - 1, 0)])
    L = n + m - 1
    windows = _np.arange(L)[:, None] + _np.arange(m)[None, :]
    w = apad[windows.astype(_np.int32)]
    full_out = matmul(w, flip(v, 0))
    if mode == "full":
        return full_out
    if mode == "same":
        start = (m - 1) // 2
        return lax.slice_in_dim(full_out, start, start + n)
    if mode == "valid":
        return lax.slice_in_dim(full_out, m - 1, n)
    raise ValueError(f"mode must be one of 'full', 'same' or 'valid', got {mode!r}")


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    return _conv1d(a, v, mode)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    a, v = _arr(a), _arr(v)
    if v.ndim == 1 and a.ndim == 1 and v.shape[0] > a.shape[0]:
        # NumPy slides the longer input: correlate(v, a) reversed.
        return flip(_conv1d(v, flip(a, 0), mode), 0)
    return _conv1d(a, flip(v, 0), mode)


# Polynomials (coefficients highest power first, as NumPy).

def _poly_pair(a1, a2):
    a1, a2 = _promote(atleast_1d(_arr(a1)), atleast_1d(_arr(a2)))
    n = builtins.max(a1.shape[0], a2.shape[0])
    pad_to = lambda a: lax.pad(a, Array(_np.zeros((), a.dtype)), [(n - a.shape[0], 0, 0)])
    return pad_to(a1), pad_to(a2)


def polyadd(a1, a2):
    a1, a2 = _poly_pair(a1, a2)
    return add(a1, a2)


def polysub(a1, a2):
    a1, a2 = _poly_pair(a1, a2)
    return subtract(a1, a2)


def polymul(a1, a2, *, trim_leading_zeros=False):
    a1, a2 = _promote(atleast_1d(_arr(a1)), atleast_1d(_arr(a2)))
    return convolve(a1, a2) if _is_float(a1) else convolve(a1, a2).astype(a1.dtype)


def polyder(p, m=1):
    p = atleast_1d(_arr(p))
    for _ in range(int(m)):
        n = p.shape[0]
        if n <= 1:
            return zeros((0,) if n == 0 else (0,), p.dtype)
        p = p[:-1] * _np.arange(n - 1, 0, -1).astype(p.dtype)
    return p


def polyint(p, m=1, k=None):
    p = atleast_1d(_float_args(p)[0]) if not _is_float(_arr(p)) else atleast_1d(_arr(p))
    m = int(m)
    ks = [0.0] * m if k is None else list(_np.broadcast_to(_np.asarray(k, float), (m,)))
    for i in range(m):
        n = p.shape[0]
        p = concatenate([p / _np.arange(n, 0, -1).astype(p.dtype), asarray([ks[i]], p.dtype)])
    return p


def polydiv(u, v, *, trim_leading_zeros=False):
    u, v = _float_args(atleast_1d(_arr(u)), atleast_1d(_arr(v)))
    n, m = u.shape[0], v.shape[0]
    if m > n:
        return zeros((1,), u.dtype), u
    scale = 1.0 / v[0]
    q = []
    r = u
    for k in range(n - m + 1):
        c = r[k] * scale
        q.append(c)
        r = r - concatenate([zeros((k,), u.dtype), c * v, zeros((n - m - k,), u.dtype)])
    return stack(q), r


def poly(seq_of_zeros):
    z = _arr(seq_of_zeros)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] > 0:
        raise NotImplementedError("poly of a matrix (needs eigenvalues)")
    z = ravel(_float_args(z)[0])
    out = ones((1,), z.dtype)
    for i in range(z.shape[0]):
        out = convolve(out, stack([ones((), z.dtype), -z[i]]))
    return out


def vander(x, N=None, increasing=False):
    x = _arr(x)
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    N = x.shape[0] if N is None else int(N)
    powers = _np.arange(N) if increasing else _np.arange(N - 1, -1, -1)
    cols = [power(x, int(p)) for p in powers]
    return stack(cols, axis=1) if cols else zeros((x.shape[0], 0), x.dtype)
