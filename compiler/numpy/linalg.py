"""mlax.numpy.linalg: norms, and the dense solvers that elimination loops give cheaply.

`det`, `slogdet`, `solve` and `inv` use an LU factorization with partial pivoting and
`cholesky` the Cholesky-Banachiewicz recurrence, each a `lax.fori_loop` over the columns whose
body updates the whole matrix with masks (O(n^3) work, no data-dependent shapes), so they run
eagerly and under jit, grad and vmap. Batch dims are mapped with vmap. Factorizations that
need iterative eigen/singular-value solvers (svd, svdvals, eigh, eigvalsh, eig, eigvals, qr,
lstsq, pinv, matrix_rank, cond, norm(ord=2 / -2 / 'nuc' on matrices)) are not provided yet.
"""
from __future__ import annotations

import numpy as _np

from mlax import api_names as _api_names
from mlax import batching, lax

# Called through their modules: the functions this module defines again (matmul, diagonal,
# ...) and sign, a local name in slogdet.
from mlax.numpy import _shapes, _creation, _ufuncs, _products
from mlax.numpy._util import _arr, _axes, _axis, _float_args, _promote
from mlax.numpy._shapes import (broadcast_shapes, broadcast_to, moveaxis, ravel, reshape, squeeze,
                                swapaxes)
from mlax.numpy._creation import eye, ones, zeros_like
from mlax.numpy._ufuncs import abs, equal, log, not_equal, power, sqrt
from mlax.numpy._reductions import argmax, max, min, prod, sum
from mlax.numpy._index_routines import take, where
from mlax.numpy._products import dot


def _float(x):
    return _float_args(x)[0]


def _abs_sq(x):
    """|x|**2: x * x, or for complex x |x| * |x|."""
    if _np.dtype(x.dtype).kind == "c":
        x = abs(x)
    return x * x


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
        raise NotImplementedError(f"matrix norm ord={ord!r} needs singular values (svd), which mlax "
                                  "does not provide yet")
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


# -- LU with partial pivoting -----------------------------------------------------------------

def _square(a, what):
    a = _float(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{what}: expected a square matrix (or a batch of them), got shape {a.shape}")
    return a


def _lu(a):
    """(lu, perm, parity) of an n x n matrix: L (unit, below the diagonal) and U packed in
    `lu`, rows permuted by `perm`, parity = (-1)**(number of row swaps)."""
    n = a.shape[0]
    rows = lax.broadcasted_iota(_np.int32, (n, n), 0)
    cols = lax.broadcasted_iota(_np.int32, (n, n), 1)
    ridx = lax.iota(_np.int32, n)

    def body(k, carry):
        lu, perm, parity = carry
        k = lax.convert_element_type(k, _np.int32)
        col = take(lu, k, axis=1, mode="clip")
        cand = where(ridx >= k, abs(col), -1.0)
        p = argmax(cand).astype(_np.int32)
        row_k = take(lu, k, axis=0, mode="clip")
        row_p = take(lu, p, axis=0, mode="clip")
        is_k, is_p = equal(rows, k), equal(rows, p)
        lu = where(is_k, row_p[None, :], where(is_p, row_k[None, :], lu))
        pk, pp = take(perm, k, mode="clip"), take(perm, p, mode="clip")
        perm = where(ridx == k, pp, where(ridx == p, pk, perm))
        parity = where(p != k, -parity, parity)
        pivot_row = take(lu, k, axis=0, mode="clip")
        pivot = take(pivot_row, k, mode="clip")
        safe = where(pivot == 0, 1.0, pivot)
        col = take(lu, k, axis=1, mode="clip")
        l = where(ridx > k, col / safe, 0.0)
        upd = where(cols > k, pivot_row[None, :], 0.0)
        lu = lu - l[:, None] * upd
        lu = where((rows > k) & (cols == k), l[:, None], lu)
        return lu, perm, parity
    init = (a, lax.iota(_np.int32, n), ones((), a.dtype))
    return lax.fori_loop(0, n, body, init)


def lu_factor(a):
    a = _square(a, "lu_factor")
    return _batched(lambda m: _lu(m)[:2], a, 2)


def det(a):
    a = _square(a, "det")

    def one(m):
        lu, _, parity = _lu(m)
        return parity * prod(_creation.diagonal(lu))
    return _batched(one, a, 2)


def slogdet(a, *, method=None):
    a = _square(a, "slogdet")

    def one(m):
        lu, _, parity = _lu(m)
        d = _creation.diagonal(lu)
        sign = parity * prod(_ufuncs.sign(d))
        return sign, sum(log(abs(d)))
    f = one
    for _ in range(a.ndim - 2):
        f = batching.vmap(f)
    return f(a)


def _lu_solve(lu, perm, b):
    """Solve (P^T L U) x = b for a matrix b (n, m) by forward and back substitution."""
    n = lu.shape[0]
    ridx = lax.iota(_np.int32, n)
    y0 = take(b, perm, axis=0, mode="clip")

    def fwd(k, y):
        k = lax.convert_element_type(k, _np.int32)
        lrow = where(ridx < k, take(lu, k, axis=0, mode="clip"), 0.0)
        yk = take(y, k, axis=0, mode="clip") - lrow @ y
        return where((ridx == k)[:, None], yk[None, :], y)
    y = lax.fori_loop(0, n, fwd, y0)

    def bwd(i, x):
        k = lax.convert_element_type(n - 1 - i, _np.int32)
        urow = take(lu, k, axis=0, mode="clip")
        diag = take(urow, k, mode="clip")
        urow = where(ridx > k, urow, 0.0)
        xk = (take(x, k, axis=0, mode="clip") - urow @ x) / diag
        return where((ridx == k)[:, None], xk[None, :], x)
    return lax.fori_loop(0, n, bwd, y)


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

    def one(m, rhs):
        lu, perm, _ = _lu(m)
        return _lu_solve(lu, perm, rhs)
    f = one
    for _ in range(len(batch)):
        f = batching.vmap(f)
    x = f(a, b)
    return x[..., 0] if vector else x


def inv(a):
    a = _square(a, "inv")
    n = a.shape[-1]
    return solve(a, broadcast_to(eye(n, dtype=a.dtype), a.shape))


def cholesky(a, *, upper=False, symmetrize_input=True):
    """The lower Cholesky factor L (a = L L^H) of a Hermitian positive-definite matrix; NaNs
    where the matrix is not positive definite, as in JAX."""
    a = _square(a, "cholesky")
    complex_ = _np.dtype(a.dtype).kind == "c"
    conj = _ufuncs.conj if complex_ else (lambda x: x)
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
            d = sqrt(_ufuncs.real(pivot)).astype(pivot.dtype) if complex_ else sqrt(pivot)
            col = where(ridx > j, v / d, where(ridx == j, d, 0.0))
            return where(cols == j, col[:, None], L)
        return lax.fori_loop(0, n, body, zeros_like(m))
    L = _batched(one, a, 2)
    return conj(swapaxes(L, -1, -2)) if upper else L


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
