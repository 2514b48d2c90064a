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


def polyval(p, x, *, unroll=16):
    p = _arr(p)
    x = _arr(x)
    out = zeros(x.shape, result_type(p, x))
    for i in range(p.shape[0]):
        out = out * x + p[i]
    return out


# -- 1-d convolution (polymul and poly multiply with it) ---------------------------------

def _conv(x, y, mode, op, precision, preferred_element_type):
    """JAX's 1-d convolve / correlate: one lax.conv_general_dilated, the longer input slid
    over by the shorter one."""
    x, y = _arr(x), _arr(y)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"{op}() only support 1-dimensional inputs.")
    x, y = _float_args(x, y) if preferred_element_type is None else _promote(x, y)
    if x.shape[0] == 0 or y.shape[0] == 0:
        raise ValueError(f"{op}: inputs cannot be empty, got shapes {x.shape} and {y.shape}.")
    reverse_out = False
    if op == "correlate":
        if x.shape[0] < y.shape[0]:
            x, y = y, x
            reverse_out = True
    else:
        if x.shape[0] < y.shape[0]:
            x, y = y, x
        y = flip(y, 0)
    m = y.shape[0]
    if mode == "valid":
        padding = [(0, 0)]
    elif mode == "same":
        padding = [(m // 2, m - m // 2 - 1)]
    elif mode == "full":
        padding = [(m - 1, m - 1)]
    else:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    out = lax.conv_general_dilated(lax.reshape(x, (1, 1, x.shape[0])),
                                   lax.reshape(y, (1, 1, m)), (1,), padding,
                                   precision=precision,
                                   preferred_element_type=preferred_element_type)
    out = lax.reshape(out, (out.shape[2],))
    return flip(out, 0) if reverse_out else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    return _conv(a, v, mode, "convolve", precision, preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    return _conv(a, v, mode, "correlate", precision, preferred_element_type)


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
