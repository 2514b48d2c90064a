"""mlax.lax.linalg: JAX's linear algebra primitives (jax.lax.linalg), one mlax op each
(`mlax.cholesky`, `mlax.lu`, `mlax.triangular_solve`, `mlax.qr`, `mlax.eigh`, `mlax.svd`).

Leading dims are batch dims and the last two a matrix, as in JAX; float32 and float64 only
(mlax has no complex dtypes). Options JAX has and mlax does not (pivoted QR, eigenvalue
subsets, SVD algorithms, conjugation of complex matrices) raise NotImplementedError."""
from __future__ import annotations

import numpy as np

from mlax import api_names as _api_names
from mlax.dispatch import bind
from mlax.lax import primitives as _lax


def _float_matrix(x, what, square=False):
    aval = _lax.aval(x)
    if aval.ndim < 2:
        raise ValueError(f"{what} requires a matrix (an array of rank >= 2), got shape {aval.shape}")
    if square and aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"{what} requires square matrices, got shape {aval.shape}")
    if np.dtype(aval.dtype) not in (np.float32, np.float64):
        raise TypeError(f"{what} supports float32 and float64 arrays, got {np.dtype(aval.dtype).name}"
                        + (" (mlax has no complex numbers yet)" if np.dtype(aval.dtype).kind == "c"
                           else ""))
    return aval


def _mT(x):
    nd = _lax.aval(x).ndim
    return _lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def symmetrize(x):
    """(x + x^T) / 2 over the last two dims."""
    aval = _lax.aval(x)
    half = _lax.broadcast_in_dim(np.asarray(0.5, aval.dtype), aval.shape, ())
    return _lax.mul(_lax.add(x, _mT(x)), half)


def cholesky(x, *, symmetrize_input: bool = True):
    """The lower Cholesky factor of each matrix of x; NaN where it is not positive definite."""
    _float_matrix(x, "cholesky", square=True)
    if symmetrize_input:
        x = symmetrize(x)
    return bind("mlax.cholesky", x)


def lu(x):
    """(lu, pivots, permutation): LU decomposition with partial pivoting, P x = L U."""
    _float_matrix(x, "lu")
    return tuple(bind("mlax.lu", x))


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False):
    """x with op(a) x = b (left_side) or x op(a) = b, a triangular (op: transpose_a)."""
    _float_matrix(a, "triangular_solve", square=True)
    b_aval = _lax.aval(b)
    if b_aval.ndim == _lax.aval(a).ndim - 1:   # vectors b, as JAX accepts them
        as_matrix = b_aval.shape + (1,) if left_side else b_aval.shape[:-1] + (1, b_aval.shape[-1])
        x = triangular_solve(a, _lax.reshape(b, as_matrix), left_side=left_side, lower=lower,
                             transpose_a=transpose_a, conjugate_a=conjugate_a,
                             unit_diagonal=unit_diagonal)
        return _lax.reshape(x, b_aval.shape)
    _float_matrix(b, "triangular_solve")
    return bind("mlax.triangular_solve", a, b, left_side=bool(left_side), lower=bool(lower),
                transpose_a=bool(transpose_a), unit_diagonal=bool(unit_diagonal))


def qr(x, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    """(q, r) with x = q r."""
    if pivoting:
        raise NotImplementedError("mlax.lax.linalg.qr does not implement pivoting=True")
    _float_matrix(x, "qr")
    return tuple(bind("mlax.qr", x, full_matrices=bool(full_matrices)))


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True,
         subset_by_index=None):
    """(v, w): eigenvectors (columns of v) and ascending eigenvalues of symmetric matrices."""
    if subset_by_index is not None:
        raise NotImplementedError("mlax.lax.linalg.eigh does not implement subset_by_index")
    _float_matrix(x, "eigh", square=True)
    if symmetrize_input:
        x = symmetrize(x)
    return tuple(bind("mlax.eigh", x, lower=bool(lower)))


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None,
        algorithm=None):
    """(u, s, vh), or s alone without compute_uv; s descending."""
    if subset_by_index is not None:
        raise NotImplementedError("mlax.lax.linalg.svd does not implement subset_by_index")
    if algorithm is not None:
        raise NotImplementedError("mlax.lax.linalg.svd does not implement the algorithm option")
    _float_matrix(x, "svd")
    s, u, vt = bind("mlax.svd", x, full_matrices=bool(full_matrices) and bool(compute_uv))
    return (u, s, vt) if compute_uv else s


__getattr__ = _api_names.module_getattr("jax.lax.linalg", __name__)
