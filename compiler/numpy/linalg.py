"""mlax.numpy.linalg: norms, solvers and decompositions, as jax.numpy.linalg computes them.

The decompositions are the ops of mlax.lax.linalg (LAPACK on CPU): `det`, `slogdet`,
`solve` and `inv` go through LU with partial pivoting, `lstsq`, `pinv`, `matrix_rank`,
`cond` and the 2 / -2 / 'nuc' matrix norms through the SVD. The ops take leading batch
dims, and have derivative and batching rules, so all of these run eagerly and under jit,
grad and vmap. `eig` / `eigvals` are LAPACK's geev with complex results (eigenvalue
derivatives only, as in JAX).
"""
from __future__ import annotations

import builtins as _builtins

import numpy as _np

from mlax import api_names as _api_names
from typing import NamedTuple

from mlax import batching, lax
from mlax.lax import linalg as lax_linalg

# Called through their modules: the functions this module defines again (matmul, diagonal,
# ...) and sign, a local name in slogdet.
from mlax.numpy import _shapes, _creation, _sorting, _ufuncs, _products
from mlax.numpy._util import _arr, _axes, _axis, _float_args, _promote
from mlax.numpy._shapes import (broadcast_shapes, broadcast_to, moveaxis, ravel, reshape, squeeze,
                                swapaxes)
from mlax.numpy._creation import eye, zeros_like
from mlax.numpy._ufuncs import abs, log, not_equal, power, sqrt
from mlax.numpy._reductions import max, min, prod, sum
from mlax.numpy._index_routines import take, take_along_axis as _take_along_axis, where
from mlax.numpy._reductions import any as _reductions_any
from mlax.numpy._products import dot
from mlax.runtime.dtypes import finfo


def _float(x):
    return _float_args(x)[0]


def _abs_sq(x):
    """|x|**2: x * x, or for complex x |x| * |x|."""
    if _np.dtype(x.dtype).kind == "c":
        x = abs(x)
    return x * x


def _ct(x):
    """The conjugate transpose of the last two dims (the transpose for real x)."""
    x = swapaxes(x, -1, -2)
    return _ufuncs.conj(x) if x.dtype.kind == "c" else x


def _batched(fn, x, core_ndim):
    """Apply fn (written for core_ndim-dim inputs) over x's leading batch dims with vmap."""
    f = fn
    for _ in range(x.ndim - core_ndim):
        f = batching.vmap(f)
    return f(x)


# -- norms -----------------------------------------------------------------------------------

def vector_norm(x, axis=None, keepdims=False, ord=2):
    x = _float(x)
    if axis is None:
        out = _vector_norm(ravel(x), ord, (0,))
        return reshape(out, (1,) * x.ndim) if keepdims else out
    axes = _axes(axis, x.ndim)
    return _vector_norm(x, ord, axes, keepdims)


def _vector_norm(x, ord, axes, keepdims=False):
    a = abs(x)
    if ord is None or ord == 2:
        return sqrt(sum(_abs_sq(x), axis=axes, keepdims=keepdims))
    if ord == _np.inf:
        return max(a, axis=axes, keepdims=keepdims)
    if ord == -_np.inf:
        return min(a, axis=axes, keepdims=keepdims)
    if ord == 0:
        return sum(not_equal(x, 0), axis=axes, keepdims=keepdims).astype(x.dtype)
    if ord == 1:
        return sum(a, axis=axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid order {ord!r} for vector norm")
    p = float(ord)
    return power(sum(power(a, p), axis=axes, keepdims=keepdims), 1.0 / p)


def matrix_norm(x, ord="fro", keepdims=False):
    x = _float(x)
    return _matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims)


def _matrix_norm(x, ord, axes, keepdims=False):
    r, c = axes
    a = abs(x)
    if ord is None or ord == "fro":
        return sqrt(sum(_abs_sq(x), axis=axes, keepdims=keepdims))
    if ord in (1, -1):
        s = sum(a, axis=r, keepdims=True)
        red = max if ord == 1 else min
        out = red(s, axis=c, keepdims=True)
    elif ord in (_np.inf, -_np.inf):
        s = sum(a, axis=c, keepdims=True)
        red = max if ord == _np.inf else min
        out = red(s, axis=r, keepdims=True)
    elif ord in (2, -2, "nuc"):
        s = svdvals(moveaxis(x, (r, c), (-2, -1)))
        out = {2: max, -2: min, "nuc": sum}[ord](s, axis=-1)
        if keepdims:
            out = _shapes.expand_dims(out, axes)
        return out
    else:
        raise ValueError(f"Invalid order {ord!r} for matrix norm")
    return out if keepdims else squeeze(out, axes)


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms over one axis, matrix norms over two (NumPy's rules for `ord`)."""
    x = _float(x)
    if axis is None:
        if ord is None:
            out = sqrt(sum(_abs_sq(x)))
            return reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, _np.integer)) else tuple(axis)
    _axes(axes, x.ndim)   # raises for an axis out of range or repeated
    axes = tuple(_axis(a, x.ndim) for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"Invalid axis {axis!r} for norm")


# -- factorizations: the lax.linalg ops (LAPACK on CPU) -----------------------------------------

class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


def _square(a, what):
    a = _float(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{what}: expected a square matrix (or a batch of them), got shape {a.shape}")
    return a


def _matrices(a, what):
    a = _float(a)
    if a.ndim < 2:
        raise ValueError(f"{what}: expected an array of rank >= 2, got shape {a.shape}")
    return a


def _parity(pivots):
    """(-1) ** (the number of row swaps pivots make), of the dtype of the matrices."""
    k = pivots.shape[-1]
    swaps = sum(not_equal(pivots, lax.iota(_np.int32, k)), axis=-1)
    return 1 - 2 * (swaps % 2)


def det(a):
    a = _square(a, "det")
    lu, pivots, _ = lax_linalg.lu(a)
    return _parity(pivots).astype(a.dtype) * prod(_creation.diagonal(lu, axis1=-2, axis2=-1), axis=-1)


def slogdet(a, *, method=None):
    a = _square(a, "slogdet")
    if method not in (None, "lu"):
        raise NotImplementedError(f"mlax.numpy.linalg.slogdet does not implement method={method!r}")
    lu, pivots, _ = lax_linalg.lu(a)
    d = _creation.diagonal(lu, axis1=-2, axis2=-1)
    sign = _parity(pivots).astype(a.dtype) * prod(_ufuncs.sign(d), axis=-1)
    return SlogdetResult(sign, sum(log(abs(d)), axis=-1))


def _lu_solve(lu, permutation, b):
    """x with a x = b for a = P^T L U (lu packed, P from the row permutation); b (..., n, m)."""
    b = _indexing_take_rows(b, permutation)
    x = lax_linalg.triangular_solve(lu, b, left_side=True, lower=True, unit_diagonal=True)
    return lax_linalg.triangular_solve(lu, x, left_side=True, lower=False)


def _indexing_take_rows(b, permutation):
    """b[..., permutation, :] with permutation (..., n) batched like b (..., n, m)."""
    return _take_along_axis(b, permutation[..., :, None], axis=-2)


def solve(a, b):
    """x with a @ x == b; b is (..., n) or (..., n, m) (NumPy 2 rules: b is a vector only
    when it is 1-d)."""
    a = _square(a, "solve")
    a, b = _promote(a, _float(b))
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = broadcast_to(a, batch + a.shape[-2:])
    b = broadcast_to(b, batch + b.shape[-2:])
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve: shapes {a.shape} and {b.shape} do not fit")
    lu, _, permutation = lax_linalg.lu(a)
    x = _lu_solve(lu, permutation, broadcast_to(b, batch + b.shape[-2:]))
    return x[..., 0] if vector else x


def inv(a):
    a = _square(a, "inv")
    n = a.shape[-1]
    return solve(a, broadcast_to(eye(n, dtype=a.dtype), a.shape))


def cholesky(a, *, upper=False, symmetrize_input=True):
    """The lower Cholesky factor L (a = L L^H) of a Hermitian positive-definite matrix; NaNs
    where the matrix is not positive definite, as in JAX."""
    a = _square(a, "cholesky")
    if _np.dtype(a.dtype).kind != "c":
        L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
        return swapaxes(L, -1, -2) if upper else L
    # Complex matrices (L L^H; the LAPACK ops take real ones): column by column.
    conj = _ufuncs.conj
    if symmetrize_input:
        a = (a + conj(swapaxes(a, -1, -2))) / 2.0

    def one(m):
        n = m.shape[0]
        ridx = lax.iota(_np.int32, n)
        cols = lax.broadcasted_iota(_np.int32, (n, n), 1)

        def body(j, L):
            j = lax.convert_element_type(j, _np.int32)
            lrow = take(L, j, axis=0, mode="clip")
            v = take(m, j, axis=1, mode="clip") - L @ conj(lrow)
            pivot = take(v, j, mode="clip")
            d = sqrt(_ufuncs.real(pivot)).astype(pivot.dtype)
            col = where(ridx > j, v / d, where(ridx == j, d, 0.0))
            return where(cols == j, col[:, None], L)
        return lax.fori_loop(0, n, body, zeros_like(m))
    L = _batched(one, a, 2)
    return conj(swapaxes(L, -1, -2)) if upper else L


def qr(a, mode="reduced"):
    a = _matrices(a, "qr")
    if mode == "raw":   # LAPACK's geqrf packing, transposed, as JAX returns it
        h, taus = lax_linalg.geqrf(a)
        return QRResult(swapaxes(h, -1, -2), taus)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    q, r = lax_linalg.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def eig(a):
    """Eigenvalues and right eigenvectors (columns, unit 2-norm, largest component real) of
    general square matrices, complex, as LAPACK's geev gives them."""
    a = _square(a, "eig")
    w, v = lax_linalg.eig(a, compute_left_eigenvectors=False)
    return EigResult(w, v)


def eigvals(a):
    a = _square(a, "eigvals")
    return lax_linalg.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=False)[0]


def eigh(a, UPLO=None, symmetrize_input=True):
    a = _square(a, "eigh")
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"UPLO must be one of None, 'L', or 'U', got {UPLO}")
    v, w = lax_linalg.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    return eigh(a, UPLO, symmetrize_input=symmetrize_input).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False, subset_by_index=None):
    a = _matrices(a, "svd")
    if subset_by_index is not None:
        raise NotImplementedError("mlax.numpy.linalg.svd does not implement subset_by_index")
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    if not compute_uv:
        return lax_linalg.svd(a, full_matrices=False, compute_uv=False)
    u, s, vh = lax_linalg.svd(a, full_matrices=full_matrices)
    return SVDResult(u, s, vh)


def _hermitian_svd(a, compute_uv):
    """The SVD of symmetric (Hermitian) matrices from their eigendecomposition, as JAX
    computes it: s = |w| in descending order (ties: the later eigenvalue first), u the
    eigenvectors in that order, vh = (u * sign(w))^H."""
    v, w = lax_linalg.eigh(a)
    s = abs(w)
    order = _shapes.flip(_sorting.argsort(s, axis=-1, stable=True), axis=-1)
    s = _take_along_axis(s, order, axis=-1)
    if not compute_uv:
        return s
    sign = _take_along_axis(_ufuncs.sign(w), order, axis=-1)
    u = _take_along_axis(v, broadcast_to(order[..., None, :], v.shape), axis=-1)
    vh = swapaxes(u * sign[..., None, :].astype(u.dtype), -1, -2)
    return SVDResult(u, s, _ufuncs.conj(vh) if vh.dtype.kind == "c" else vh)


def svdvals(x, /):
    return svd(x, compute_uv=False)


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """The pseudo-inverse from the SVD: singular values at most rtol * the largest count as
    zero (rtol = 10 * max(m, n) * eps by default), as in JAX."""
    a = _matrices(a, "pinv")
    if rcond is not None:
        if rtol is not None:
            raise ValueError("pinv: only one of rtol and rcond may be specified.")
        rtol = rcond
    m, n = a.shape[-2:]
    if m == 0 or n == 0:
        return _creation.empty(a.shape[:-2] + (n, m), a.dtype)
    if rtol is None:
        rtol = 10.0 * _builtins.max(m, n) * float(finfo(a.dtype).eps)
    if a.dtype.kind == "c":   # JAX's: the pseudo-inverse of conj(a), transposed
        a = _ufuncs.conj(a)
    u, s, vh = svd(a, full_matrices=False, hermitian=hermitian)
    cutoff = _creation.asarray(rtol, s.dtype)[..., None] * s[..., 0:1]
    s = where(s > cutoff, s, _np.inf).astype(u.dtype)
    return _products.matmul(swapaxes(vh, -1, -2), swapaxes(u, -1, -2) / s[..., None])


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """(x, residuals, rank, s): the least-squares solution through the SVD, as JAX computes it."""
    a, b = _promote(_float(a), _float(b))
    if a.shape[0] != b.shape[0]:
        raise ValueError("Leading dimensions of input arrays must match")
    vector = b.ndim == 1
    if vector:
        b = b[:, None]
    if a.ndim != 2:
        raise TypeError(f"{a.ndim}-dimensional array given. Array must be two-dimensional")
    if b.ndim != 2:
        raise TypeError(f"{b.ndim}-dimensional array given. Array must be one or two-dimensional")
    m, n = a.shape
    if a.size == 0:
        s = _creation.empty((0,), a.dtype)
        rank = _creation.asarray(0, _np.int32)
        x = _creation.zeros((n,) + b.shape[1:], a.dtype)
    else:
        if rcond is None:
            rcond = float(finfo(a.dtype).eps) * _builtins.max(n, m)
        else:
            rcond = where(_arr(rcond) < 0, float(finfo(a.dtype).eps), rcond)
        u, s, vt = svd(a, full_matrices=False)
        mask = (s > 0) & (s >= _creation.asarray(rcond, s.dtype) * s[0])
        rank = sum(mask)
        safe_s = where(mask, s, 1).astype(a.dtype)
        s_inv = where(mask, 1 / safe_s, 0)[:, None]
        x = _products.matmul(_ct(vt), s_inv * _products.matmul(_ct(u), b))
    if numpy_resid and (int(rank) < n or m <= n):
        resid = _creation.empty((0,), a.dtype)
    else:
        resid = norm(b - _products.matmul(a, x), axis=0) ** 2
    if vector:
        x = ravel(x)
    return x, resid, rank, s


def matrix_rank(M, rtol=None, *, hermitian=False, tol=None):
    if tol is not None:
        if rtol is not None:
            raise ValueError("matrix_rank: only one of tol or rtol may be specified.")
        rtol = tol
    M = _float(M)
    if M.ndim < 2:
        return _reductions_any(not_equal(M, 0)).astype(_np.int32)
    S = svd(M, full_matrices=False, compute_uv=False, hermitian=hermitian)
    if rtol is None:
        rtol = max(S, axis=-1) * _np.asarray(_np.max(M.shape[-2:]), S.dtype) * finfo(S.dtype).eps
    rtol = _arr(rtol)
    rtol = rtol[..., None]
    return sum(S > rtol, axis=-1)


def cond(x, p=None):
    x = _float(x)
    if x.ndim < 2:
        raise ValueError(f"jnp.linalg.cond: input array must be at least 2D; got arr.shape={x.shape}")
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        raise ValueError(f"jnp.linalg.cond: input array must not be empty; got arr.shape={x.shape}")
    if p is None or p == 2:
        s = svdvals(x)
        return s[..., 0] / s[..., -1]
    if p == -2:
        s = svdvals(x)
        r = s[..., -1] / s[..., 0]
    else:
        if x.shape[-2] != x.shape[-1]:
            raise ValueError(f"jnp.linalg.cond: for p={p!r}, array must be square; got arr.shape={x.shape}")
        r = norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))
    nan_in = _reductions_any(_ufuncs.isnan(x), axis=(-2, -1))
    return where(_ufuncs.isnan(r) & ~nan_in, _np.inf, r)


def matrix_power(a, n):
    a = _arr(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"matrix_power: expected square matrices, got shape {a.shape}")
    n = int(n)
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    base = a
    while n:
        if n & 1:
            result = base if result is None else _products.matmul(result, base)
        n >>= 1
        if n:
            base = _products.matmul(base, base)
    if result is None:
        return broadcast_to(eye(a.shape[-1], dtype=a.dtype), a.shape)
    return result


def multi_dot(arrays, *, precision=None):
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot expects at least two arrays")
    out = arrays[0]
    for b in arrays[1:]:
        out = dot(out, b)
    return out


def matmul(x1, x2, /):
    return _products.matmul(x1, x2)


def outer(x1, x2, /):
    return _products.outer(x1, x2)


def cross(x1, x2, /, *, axis=-1):
    return _products.cross(x1, x2, axis=axis)


def trace(x, /, *, offset=0, dtype=None):
    return _products.trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def diagonal(x, /, *, offset=0):
    return _creation.diagonal(x, offset=offset, axis1=-2, axis2=-1)


def tensordot(x1, x2, /, *, axes=2):
    return _products.tensordot(x1, x2, axes=axes)


def vecdot(x1, x2, /, *, axis=-1):
    return _products.vecdot(x1, x2, axis=axis)


def matrix_transpose(x, /):
    return _shapes.matrix_transpose(x)


def tensorinv(a, ind=2):
    """The inverse of `a` viewed as a square matrix of its first `ind` dims by the rest."""
    a = _arr(a)
    ind = int(ind)
    out_shape = a.shape[ind:] + a.shape[:ind]
    n = int(_np.prod(a.shape[:ind]))
    m = int(_np.prod(a.shape[ind:]))
    if n != m:
        raise ValueError(f"tensorinv: the first {ind} dims ({n} elements) and the rest ({m}) must match")
    return reshape(inv(reshape(a, (n, m))), out_shape)


def tensorsolve(a, b, axes=None):
    """x with tensordot(a, x, x.ndim) == b."""
    a, b = _arr(a), _arr(b)
    if axes is not None:
        axes = [_axis(ax, a.ndim) for ax in axes]
        a = moveaxis(a, axes, list(range(a.ndim - len(axes), a.ndim)))
    x_shape = a.shape[b.ndim:]
    n = int(_np.prod(b.shape))
    m = int(_np.prod(x_shape))
    if n != m:
        raise ValueError(f"tensorsolve: b's {n} elements do not match the {m} unknowns")
    return reshape(solve(reshape(a, (n, m)), ravel(b)), x_shape)


# Names jax.numpy.linalg has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
__getattr__ = _api_names.module_getattr("jax.numpy.linalg", __name__)
