# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/numpy/polynomial.py (jax 0.10.2).
"""Polynomials through linear algebra: `polyfit` (a scaled least-squares problem on the
Vandermonde matrix) and `roots` (the eigenvalues of the companion matrix), as JAX computes
them. They sit above `linalg`, which they call."""
from __future__ import annotations

import numpy as _np

from mlax import core, lax
from mlax.tracing import Tracer
from mlax.runtime.dtypes import finfo

from mlax.numpy._util import _arr, _float_args
from mlax.numpy._shapes import atleast_1d
from mlax.numpy._creation import array, asarray, diag, ones
from mlax.numpy._ufuncs import _where3, sqrt
from mlax.numpy._reductions import all, argmin
from mlax.numpy._rearrange import roll
from mlax.numpy._products import dot, outer
from mlax.numpy._polynomial import vander
from mlax.numpy import linalg


def _complex_dtype(dtype):
    return _np.result_type(dtype, _np.complex64)


def _roots_no_zeros(p):
    if p.size < 2:
        return array([], dtype=_complex_dtype(p.dtype))
    A = diag(ones((p.size - 2,), p.dtype), -1)
    A = A.at[0, :].set(-p[1:] / p[0])
    return linalg.eigvals(A)


def _roots_with_zeros(p, num_leading_zeros):
    # An all-zero p would make the companion matrix NaN.
    p = _where3(len(p) == num_leading_zeros, _np.array(1.0, p.dtype), p)
    roots = _roots_no_zeros(roll(p, -num_leading_zeros))
    roots = lax.sort_key_val(roots == 0, roots)[1]          # zero roots last
    nan = _np.array(complex(_np.nan, _np.nan), roots.dtype)
    return _where3(lax.iota(_np.int32, roots.size) < roots.size - num_leading_zeros, roots, nan)


def roots(p, *, strip_zeros=True):
    p, = _float_args(p)
    p = atleast_1d(p)
    if p.ndim != 1:
        raise ValueError("Input must be a rank-1 array.")
    if p.size < 2:
        return array([], dtype=_complex_dtype(p.dtype))
    num_leading_zeros = _where3(all(p == 0), len(p), argmin(p == 0))
    if strip_zeros:
        if isinstance(num_leading_zeros, Tracer):
            num_leading_zeros._concretization(
                core.ConcretizationTypeError, "roots of a traced array with strip_zeros=True",
                "To use jnp.roots() under jit, pass strip_zeros=False: leading zeros then "
                "give NaN roots.")
        return _roots_no_zeros(p[int(num_leading_zeros):])
    return _roots_with_zeros(p, num_leading_zeros)


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    x, y = _arr(x), _arr(y)
    deg = int(deg)
    order = deg + 1
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if x.ndim != 1:
        raise TypeError("expected 1D vector for x")
    if x.size == 0:
        raise TypeError("expected non-empty vector for x")
    if y.ndim < 1 or y.ndim > 2:
        raise TypeError("expected 1D or 2D array for y")
    if x.shape[0] != y.shape[0]:
        raise TypeError("expected x and y to have same length")
    if rcond is None:
        rcond = len(x) * float(finfo(_float_args(x)[0].dtype).eps)
    rcond = float(rcond)
    lhs = vander(x, order)
    rhs = y
    if w is not None:
        w, = _float_args(w)
        if w.ndim != 1:
            raise TypeError("expected a 1-d array for weights")
        if w.shape[0] != y.shape[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = lhs * w[:, _np.newaxis]
        rhs = rhs * (w[:, _np.newaxis] if rhs.ndim == 2 else w)
    # Columns scaled to unit norm improve the condition number.
    scale = sqrt((lhs * lhs).sum(axis=0))
    lhs = lhs / scale[_np.newaxis, :]
    c, resids, rank, s = linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale[_np.newaxis, :]).T if c.ndim > 1 else c / scale
    if full:
        return c, resids, rank, s, asarray(rcond)
    if not cov:
        return c
    Vbase = linalg.inv(dot(lhs.T, lhs))
    Vbase = Vbase / outer(scale, scale)
    if cov == "unscaled":
        fac = array(1.0)
    else:
        if len(x) <= order:
            raise ValueError("the number of data points must exceed order to scale the covariance matrix")
        fac = resids / (len(x) - order)
    if y.ndim == 1:
        return c, Vbase * atleast_1d(fac)[_np.newaxis]
    return c, Vbase[:, :, _np.newaxis] * atleast_1d(fac)[_np.newaxis, _np.newaxis, :]
