"""mlax.lax.linalg: JAX's linear algebra primitives (jax.lax.linalg), one mlax op each
(`mlax.cholesky`, `mlax.lu`, `mlax.triangular_solve`, `mlax.qr`, `mlax.qr_pivoted`,
`mlax.eigh`, `mlax.svd`,
`mlax.eig`, `mlax.schur`, `mlax.geqrf`, `mlax.householder_product`).

Leading dims are batch dims and the last two a matrix, as in JAX; float32 and float64, and
for `lu`, `triangular_solve`, `qr` (without pivoting), `eigh`, `svd`, `eig`, `schur`,
`geqrf` and `householder_product` complex64 and complex128 too (`eig`'s results are
complex). `lu_pivots_to_permutation` is a loop of swaps over lax ops.
Options JAX has and mlax does not (eigenvalue subsets, SVD algorithms) raise
NotImplementedError; `conjugate_a` conjugates a complex `a` (no effect on real matrices)."""
from __future__ import annotations

import numpy as np

from mlax import api_names as _api_names
from mlax.dispatch import bind
from mlax.lax import primitives as _lax
from mlax.lax.control_flow import fori_loop


def _float_matrix(x, what, square=False, complex_ok=False):
    aval = _lax.aval(x)
    if aval.ndim < 2:
        raise ValueError(f"{what} requires a matrix (an array of rank >= 2), got shape {aval.shape}")
    if square and aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"{what} requires square matrices, got shape {aval.shape}")
    kind = np.dtype(aval.dtype).kind
    if not (np.dtype(aval.dtype) in (np.float32, np.float64) or (complex_ok and kind == "c")):
        raise TypeError(f"{what} supports float32 and float64"
                        f"{', complex64 and complex128' if complex_ok else ''} arrays, got "
                        f"{np.dtype(aval.dtype).name}"
                        + (f" (mlax's {what} does not take complex matrices yet)" if kind == "c"
                           else ""))
    return aval


def _mT(x):
    nd = _lax.aval(x).ndim
    return _lax.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def symmetrize(x):
    """(x + x^H) / 2 over the last two dims (x^T for real x)."""
    aval = _lax.aval(x)
    half = _lax.broadcast_in_dim(np.asarray(0.5, aval.dtype), aval.shape, ())
    xt = _mT(x)
    if np.dtype(aval.dtype).kind == "c":
        xt = _lax.conj(xt)
    return _lax.mul(_lax.add(x, xt), half)


def cholesky(x, *, symmetrize_input: bool = True):
    """The lower Cholesky factor of each matrix of x; NaN where it is not positive definite."""
    _float_matrix(x, "cholesky", square=True)
    if symmetrize_input:
        x = symmetrize(x)
    return bind("mlax.cholesky", x)


def lu(x):
    """(lu, pivots, permutation): LU decomposition with partial pivoting, P x = L U."""
    _float_matrix(x, "lu", complex_ok=True)
    return tuple(bind("mlax.lu", x))


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False):
    """x with op(a) x = b (left_side) or x op(a) = b, a triangular (op: transpose_a)."""
    _float_matrix(a, "triangular_solve", square=True, complex_ok=True)
    b_aval = _lax.aval(b)
    if b_aval.ndim == _lax.aval(a).ndim - 1:   # vectors b, as JAX accepts them
        as_matrix = b_aval.shape + (1,) if left_side else b_aval.shape[:-1] + (1, b_aval.shape[-1])
        x = triangular_solve(a, _lax.reshape(b, as_matrix), left_side=left_side, lower=lower,
                             transpose_a=transpose_a, conjugate_a=conjugate_a,
                             unit_diagonal=unit_diagonal)
        return _lax.reshape(x, b_aval.shape)
    _float_matrix(b, "triangular_solve", complex_ok=True)
    if conjugate_a and np.dtype(_lax.aval(a).dtype).kind == "c":
        a = _lax.conj(a)
    return bind("mlax.triangular_solve", a, b, left_side=bool(left_side), lower=bool(lower),
                transpose_a=bool(transpose_a), unit_diagonal=bool(unit_diagonal))


def qr(x, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    """(q, r) with x = q r; with pivoting (q, r, p), x[..., p] = q r (LAPACK's geqp3)."""
    _float_matrix(x, "qr", complex_ok=not pivoting)
    if pivoting:
        return tuple(bind("mlax.qr_pivoted", x, full_matrices=bool(full_matrices)))
    return tuple(bind("mlax.qr", x, full_matrices=bool(full_matrices)))


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True, sort_eigenvalues: bool = True,
         subset_by_index=None):
    """(v, w): eigenvectors (columns of v) and ascending (real) eigenvalues of symmetric or
    Hermitian matrices."""
    if subset_by_index is not None:
        raise NotImplementedError("mlax.lax.linalg.eigh does not implement subset_by_index")
    _float_matrix(x, "eigh", square=True, complex_ok=True)
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
    _float_matrix(x, "svd", complex_ok=True)
    s, u, vt = bind("mlax.svd", x, full_matrices=bool(full_matrices) and bool(compute_uv))
    return (u, s, vt) if compute_uv else s


def eig(x, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True,
        enable_eigvec_derivs: bool = False, implementation=None, use_magma=None):
    """[w, vl, vr] (vl, vr only where asked for): the eigenvalues and left and right
    eigenvectors (columns) of general square matrices, complex, as LAPACK's geev gives them."""
    if enable_eigvec_derivs:
        raise NotImplementedError("mlax.lax.linalg.eig does not implement enable_eigvec_derivs "
                                  "(derivatives of eigenvectors)")
    aval = _lax.aval(x)
    if aval.ndim < 2:
        raise ValueError(f"eig requires a matrix (an array of rank >= 2), got shape {aval.shape}")
    if aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"The input to eig must be a square matrix. Got shape {aval.shape[-2:]}.")
    if np.dtype(aval.dtype).kind not in "fc":
        raise TypeError(f"eig supports float and complex arrays, got {np.dtype(aval.dtype).name}")
    w, vl, vr = bind("mlax.eig", x, compute_left=bool(compute_left_eigenvectors),
                     compute_right=bool(compute_right_eigenvectors))
    return [w] + [vl] * bool(compute_left_eigenvectors) + [vr] * bool(compute_right_eigenvectors)


def schur(x, *, compute_schur_vectors: bool = True, sort_eig_vals: bool = False,
          select_callable=None):
    """(t, vs) with x = vs t vs^H, t the (quasi-)upper-triangular Schur form; (t,) alone
    without compute_schur_vectors. LAPACK's gees, unsorted (JAX ignores the sort options)."""
    _float_matrix(x, "schur", square=True, complex_ok=True)
    t, vs = bind("mlax.schur", x, compute_schur_vectors=bool(compute_schur_vectors))
    return (t, vs) if compute_schur_vectors else (t,)


def geqrf(a):
    """(a_out, taus): QR as LAPACK's geqrf packs it, R on and above the diagonal of a_out, the
    Householder reflectors below it with scalar factors taus."""
    _float_matrix(a, "geqrf", complex_ok=True)
    return tuple(bind("mlax.geqrf", a))


def householder_product(a, taus):
    """The first n columns of the product of the Householder reflectors stored below the
    diagonal of a (m x n, m >= n) with scalar factors taus (..., k), k <= n."""
    aval = _float_matrix(a, "householder_product", complex_ok=True)
    m, n = aval.shape[-2:]
    if m < n:
        raise ValueError("The first argument to householder_product must have at least as many "
                         f"rows as columns, got shape {aval.shape[-2:]}")
    t = _lax.aval(taus)
    if t.ndim != aval.ndim - 1 or t.shape[:-1] != aval.shape[:-2]:
        raise ValueError(f"householder_product: taus of shape {t.shape} do not fit a of shape "
                         f"{aval.shape}")
    if t.shape[-1] > min(m, n):
        raise ValueError("The second argument to householder_product must not have more rows "
                         "than the minimum of the first argument's rows and columns.")
    if np.dtype(t.dtype) != np.dtype(aval.dtype):
        raise TypeError(f"householder_product: taus ({np.dtype(t.dtype).name}) must have a's "
                        f"dtype ({np.dtype(aval.dtype).name})")
    return bind("mlax.householder_product", a, taus)


def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The permutation of range(permutation_size) that swapping entries i and pivots[i],
    for i in order, makes (leading dims of pivots are batch dims)."""
    pivots = _lax.convert_element_type(pivots, np.int32)
    batch = _lax.aval(pivots).shape[:-1]
    shape = batch + (int(permutation_size),)
    last = len(shape) - 1
    iota = _lax.broadcasted_iota(np.int32, shape, last)
    zeros = _lax.broadcast_in_dim(np.int32(0), shape, ())

    def spread(v):   # (..., 1) -> (..., size)
        return _lax.broadcast_in_dim(_lax.reshape(v, batch), shape, tuple(range(len(batch))))

    def entry(perm, at):   # perm where `at` holds (one place per row), as (..., 1)
        return _lax.reshape(_lax.reduce_sum(_lax.select(at, perm, zeros), (last,)), batch + (1,))

    def swap(i, perm):
        i = _lax.convert_element_type(i, np.int32)
        at_i = _lax.eq(iota, _lax.broadcast_in_dim(i, shape, ()))
        at_j = _lax.eq(iota, spread(_lax.dynamic_slice_in_dim(pivots, i, 1, axis=last)))
        pi, pj = entry(perm, at_i), entry(perm, at_j)
        return _lax.select(at_j, spread(pi), _lax.select(at_i, spread(pj), perm))
    return fori_loop(0, _lax.aval(pivots).shape[-1], swap, iota)


__getattr__ = _api_names.module_getattr("jax.lax.linalg", __name__)
