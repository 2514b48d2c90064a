# Copyright 2018 The JAX Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""mlax.scipy.linalg: SciPy's linear algebra over the mlax.lax.linalg ops, as
jax.scipy.linalg computes it (`expm` is JAX's Padé approximation with scaling and squaring,
ported from jax/_src/scipy/linalg.py). SciPy's in-place and input-checking options
(`overwrite_a`, `check_finite`, ...) are accepted and have no effect, as in JAX."""
from __future__ import annotations

import numpy as np

from mlax import api_names as _api_names
from mlax import lax
from mlax import numpy as jnp
from mlax.lax import linalg as lax_linalg


def _T(x):
    return jnp.swapaxes(x, -1, -2)


def _float_args(*xs):
    xs = [jnp.asarray(x) for x in xs]
    dtype = jnp.result_type(*xs, jnp.float32)
    return [x.astype(dtype) for x in xs]


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    a, = _float_args(a)
    L = lax_linalg.cholesky(a)
    return L if lower else _T(L)


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    return cholesky(a, lower=lower), lower


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = c_and_lower
    c, b = _float_args(c, b)
    vector = b.ndim == c.ndim - 1
    if vector:
        b = b[..., None]
    if b.shape[-2] != c.shape[-1]:
        raise ValueError(f"cho_solve: shapes {c.shape} and {b.shape} do not fit")
    b = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=not lower)
    b = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=lower)
    return b[..., 0] if vector else b


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     debug=None, check_finite=True):
    a, b = _float_args(a, b)
    if trans in (0, "N"):
        transpose_a = False
    elif trans in (1, "T", 2, "C"):
        transpose_a = True
    else:
        raise ValueError(f"Invalid 'trans' value {trans}")
    vector = b.ndim == a.ndim - 1
    if vector:
        b = b[..., None]
    out = lax_linalg.triangular_solve(a, b, left_side=True, lower=lower, transpose_a=transpose_a,
                                      unit_diagonal=unit_diagonal)
    return out[..., 0] if vector else out


def lu(a, permute_l=False, overwrite_a=False, check_finite=True):
    a, = _float_args(a)
    lu_, _, permutation = lax_linalg.lu(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    p = _T((permutation[..., None] == jnp.arange(m)).astype(a.dtype))
    l = jnp.tril(lu_, -1)[..., :, :k] + jnp.eye(m, k, dtype=a.dtype)
    u = jnp.triu(lu_)[..., :k, :]
    if permute_l:
        return jnp.matmul(p, l), u
    return p, l, u


def lu_factor(a, overwrite_a=False, check_finite=True):
    a, = _float_args(a)
    lu_, pivots, _ = lax_linalg.lu(a)
    return lu_, pivots


def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    lu_, pivots = lu_and_piv
    lu_, b = _float_args(lu_, b)
    m = lu_.shape[-2]
    perm = lax_linalg.lu_pivots_to_permutation(pivots, m)
    vector = b.ndim == lu_.ndim - 1
    if vector:
        b = b[..., None]
    if trans == 0:
        x = jnp.take_along_axis(b, jnp.broadcast_to(perm[..., None], b.shape), axis=-2)
        x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=True, unit_diagonal=True)
        x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=False)
    elif trans in (1, 2):
        x = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True)
        x = lax_linalg.triangular_solve(lu_, x, left_side=True, lower=True, transpose_a=True,
                                        unit_diagonal=True)
        inverse = jnp.argsort(perm, axis=-1)
        x = jnp.take_along_axis(x, jnp.broadcast_to(inverse[..., None], x.shape), axis=-2)
    else:
        raise ValueError(f"'trans' value must be 0, 1, or 2, got {trans}")
    return x[..., 0] if vector else x


def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, debug=False,
          check_finite=True, assume_a="gen"):
    if assume_a not in ("gen", "sym", "her", "pos"):
        raise ValueError(f"Expected assume_a to be one of ['gen', 'sym', 'her', 'pos'], got {assume_a}")
    if assume_a != "pos":
        return jnp.linalg.solve(a, b)
    return cho_solve(cho_factor(a, lower=lower), b)


def inv(a, overwrite_a=False, check_finite=True):
    return jnp.linalg.inv(a)


def det(a, overwrite_a=False, check_finite=True):
    return jnp.linalg.det(a)


def eigh(a, b=None, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False,
         type=1, check_finite=True, eigvals=None, subset_by_index=None):
    if b is not None:
        raise NotImplementedError("mlax.scipy.linalg.eigh does not implement the generalized "
                                  "problem (b is not None)")
    if type != 1:
        raise NotImplementedError("mlax.scipy.linalg.eigh does not implement type != 1")
    if eigvals is not None or subset_by_index is not None:
        raise NotImplementedError("mlax.scipy.linalg.eigh does not implement eigenvalue subsets")
    w, v = jnp.linalg.eigh(a, UPLO="L" if lower else "U")
    return w if eigvals_only else (w, v)


def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    if mode == "raw":
        raise NotImplementedError("mlax.scipy.linalg.qr does not implement mode='raw'")
    if mode not in ("full", "r", "economic"):
        raise ValueError(f"Unsupported QR decomposition mode '{mode}'")
    a, = _float_args(a)
    if pivoting:
        q, r, p = lax_linalg.qr(a, pivoting=True, full_matrices=mode != "economic")
        return (r, p) if mode == "r" else (q, r, p)
    q, r = lax_linalg.qr(a, full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def schur(a, output="real"):
    """(T, Z) with a = Z T Z^H: LAPACK's gees; output="complex" for the triangular complex
    form of a real matrix."""
    if output not in ("real", "complex"):
        raise ValueError(f"Expected 'output' to be either 'real' or 'complex', got {output=}.")
    a, = _float_args(a)
    if output == "complex" and a.dtype.kind != "c":
        a = a.astype(np.complex128 if a.dtype == np.float64 else np.complex64)
    return lax_linalg.schur(a)


def sqrtm(A, blocksize=1):
    """The principal square root, from the complex Schur form (JAX's algorithm)."""
    if blocksize > 1:
        raise NotImplementedError("Blocked version is not implemented yet.")
    T, Z = schur(A, output="complex")
    sqrt_T = _sqrtm_triu(T)
    return jnp.matmul(jnp.matmul(Z, sqrt_T), jnp.conj(Z.T))


def _sqrtm_triu(T):
    """The square root of an upper triangular T, a column at a time from the diagonal up."""
    diag = jnp.sqrt(jnp.diag(T))
    n = diag.size
    U = jnp.diag(diag)

    def i_loop(l, data):
        j, U = data
        i = j - 1 - l
        s = lax.fori_loop(i + 1, j, lambda k, val: val + U[i, k] * U[k, j], jnp.zeros((), T.dtype))
        value = jnp.where(T[i, j] == s, 0.0, (T[i, j] - s) / (diag[i] + diag[j]))
        return j, U.at[i, j].set(value)

    def j_loop(j, U):
        return lax.fori_loop(0, j, i_loop, (j, U))[1]

    return lax.fori_loop(0, n, j_loop, U)


def hessenberg(a, *, calc_q=False, overwrite_a=False, check_finite=True):
    """H (zero below the first subdiagonal) with a = Q H Q^H, and Q if calc_q: LAPACK's
    Householder reduction (gehrd's reflectors, dlarfg's signs), one reflector per column."""
    a, = _float_args(a)
    n = a.shape[-1]
    if a.ndim < 2 or a.shape[-2] != n:
        raise ValueError(f"hessenberg: a must be a square matrix, got shape {a.shape}")
    h = a
    q = jnp.broadcast_to(jnp.eye(n, dtype=a.dtype), a.shape)
    # n - 1 reflectors: the last, of one entry, makes a complex subdiagonal entry real.
    for k in range(n - 1):
        x = h[..., k + 1:, k]
        alpha = x[..., 0]
        xnorm = jnp.linalg.norm(x[..., 1:], axis=-1)
        beta = -jnp.where(jnp.real(alpha) >= 0, 1, -1) * jnp.sqrt(jnp.abs(alpha) ** 2 + xnorm ** 2)
        identity = (xnorm == 0) & (jnp.imag(alpha) == 0)
        safe_beta = jnp.where(identity, 1, beta).astype(a.dtype)
        tau = jnp.where(identity, 0, (safe_beta - alpha) / safe_beta).astype(a.dtype)
        scale = jnp.where(identity, 0, 1 / (alpha - safe_beta)).astype(a.dtype)
        v = jnp.concatenate([jnp.zeros(x.shape[:-1] + (k + 1,), a.dtype),
                             jnp.ones(x.shape[:-1] + (1,), a.dtype), x[..., 1:] * scale[..., None]],
                            axis=-1)
        # H_k = I - tau v v^H; h <- H_k^H h H_k, q <- q H_k.
        vh = jnp.conj(v)
        h = h - (jnp.conj(tau)[..., None, None] * v[..., :, None]) * (vh[..., :, None] * h).sum(-2)[..., None, :]
        h = h - (h @ v[..., :, None]) * (tau[..., None, None] * vh[..., None, :])
        q = q - (q @ v[..., :, None]) * (tau[..., None, None] * vh[..., None, :])
        # The reduced column holds beta and exact zeros, as LAPACK stores it.
        col = jnp.concatenate([h[..., :k + 1, k], jnp.where(identity, alpha, beta).astype(a.dtype)[..., None],
                               jnp.zeros(x.shape[:-1] + (n - k - 2,), a.dtype)], axis=-1)
        h = h.at[..., :, k].set(col)
    return (h, q) if calc_q else h


def eigh_tridiagonal(d, e, *, eigvals_only=False, select="a", select_range=None, tol=None,
                     key=None):
    """Eigenvalues of the symmetric (Hermitian) tridiagonal matrix with diagonal d and
    off-diagonal e by JAX's bisection on Sturm sequence counts. Eigenvectors come from
    eigh of the dense matrix: eigenvectors of the same eigenvalues, their signs (phases)
    possibly other than JAX's, which depend on its random start of inverse iteration."""
    alpha = jnp.asarray(d)
    beta = jnp.asarray(e)
    if alpha.dtype != beta.dtype:
        raise TypeError("diagonal and off-diagonal values must have same dtype, "
                        f"got {alpha.dtype} and {beta.dtype}")
    if alpha.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        raise TypeError("Only float32 and float64 inputs are supported as inputs to "
                        f"jax.scipy.linalg.eigh_tridiagonal, got {alpha.dtype} and {beta.dtype}")
    n = alpha.shape[0]
    if n <= 1:
        return jnp.real(alpha) if eigvals_only else (jnp.real(alpha), jnp.eye(n, dtype=alpha.dtype))
    d_in, e_in = alpha, beta
    if alpha.dtype.kind == "c":
        alpha = jnp.real(alpha)
        beta_sq = jnp.real(beta * jnp.conj(beta))
        beta_abs = jnp.sqrt(beta_sq)
    else:
        beta_abs = jnp.abs(beta)
        beta_sq = jnp.square(beta)
    # Gershgorin bounds of the spectrum.
    row_sum = jnp.concatenate([beta_abs[:1], beta_abs[:-1] + beta_abs[1:], beta_abs[-1:]], axis=0)
    lambda_est_max = jnp.amax(alpha + row_sum)
    lambda_est_min = jnp.amin(alpha - row_sum)
    t_norm = jnp.maximum(jnp.abs(lambda_est_min), jnp.abs(lambda_est_max))
    info = np.finfo(alpha.dtype)
    one = np.ones([], dtype=alpha.dtype)
    safemin = np.maximum(one / info.max, (one + info.eps) * info.tiny)
    pivmin = safemin * jnp.maximum(1, jnp.amax(beta_sq))
    alpha0_perturbation = jnp.square(info.eps * beta_abs[0])
    abs_tol = info.eps * t_norm
    if tol is not None:
        abs_tol = jnp.maximum(tol, abs_tol)
    max_it = info.nmant + 1
    if select == "a":
        target_counts = jnp.arange(n, dtype=np.int32)
    elif select == "i":
        if select_range is None:
            raise ValueError("for select='i', select_range must be specified.")
        if select_range[0] > select_range[1]:
            raise ValueError("Got empty index range in select_range.")
        target_counts = jnp.arange(select_range[0], select_range[1] + 1, dtype=np.int32)
    elif select == "v":
        raise NotImplementedError("eigh_tridiagonal(..., select='v') is not implemented")
    else:
        raise ValueError("'select must have a value in {'a', 'i', 'v'}.")
    fudge = 2.1
    norm_slack = jnp.array(n, alpha.dtype) * fudge * info.eps * t_norm
    shape = target_counts.shape
    lower = jnp.broadcast_to(lambda_est_min - norm_slack - 2 * fudge * pivmin, shape)
    upper = jnp.broadcast_to(lambda_est_max + norm_slack + fudge * pivmin, shape)
    mid = 0.5 * (upper + lower)
    pivmin = jnp.broadcast_to(pivmin, shape)
    alpha0_perturbation = jnp.broadcast_to(alpha0_perturbation, shape)

    def sturm_count(x):
        """The number of eigenvalues below each x."""
        q = alpha[0] - x
        count = jnp.where(q < 0, 1, 0).astype(np.int32)
        q = jnp.where(alpha[0] == x, alpha0_perturbation, q)

        def step(i, qc):
            q, count = qc
            q = alpha[i] - beta_sq[i - 1] / q - x
            count = jnp.where(q <= pivmin, count + 1, count)
            return jnp.where(q <= pivmin, jnp.minimum(q, -pivmin), q), count
        return lax.fori_loop(1, n, step, (q, count))[1]

    def cond(args):
        i, lower, _, upper = args
        return jnp.logical_and(i < max_it, abs_tol < jnp.amax(upper - lower))

    def body(args):
        i, lower, mid, upper = args
        counts = sturm_count(mid)
        lower = jnp.where(counts <= target_counts, mid, lower)
        upper = jnp.where(counts > target_counts, mid, upper)
        return i + 1, lower, 0.5 * (lower + upper), upper

    _, _, mid, _ = lax.while_loop(cond, body, (0, lower, mid, upper))
    if eigvals_only:
        return mid
    dense = jnp.diag(d_in) + jnp.diag(e_in, -1) + jnp.diag(jnp.conj(e_in), 1)
    _, vectors = jnp.linalg.eigh(dense)
    return mid, jnp.take(vectors, target_counts, axis=1)


def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    a, = _float_args(a)
    return lax_linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)


def polar(a, side="right", *, method="qdwh", eps=None, max_iterations=None):
    """(u, p) with a = u p (side 'right') or p u ('left'), u with orthonormal columns, p
    symmetric positive semi-definite. Computed from the SVD for either `method` (JAX's
    default, QDWH, converges to the same factors)."""
    if side not in ("left", "right"):
        raise ValueError(f"side={side} is not implemented.")
    if method not in ("qdwh", "svd"):
        raise ValueError(f"Unknown polar decomposition method {method}.")
    a, = _float_args(a)
    if a.ndim != 2:
        raise ValueError("The input `a` must be a 2-D array.")
    u, s, vh = svd(a, full_matrices=False)
    unitary = jnp.matmul(u, vh)
    s = s.astype(a.dtype)
    ct = (lambda x: jnp.conj(_T(x))) if a.dtype.kind == "c" else _T
    if side == "right":
        posdef = jnp.matmul(ct(vh) * s[None, :], vh)
    else:
        posdef = jnp.matmul(u * s[None, :], ct(u))
    return unitary, posdef


def block_diag(*arrs):
    """The arrays (each at most 2-D) on the diagonal of one matrix, zeros elsewhere."""
    if len(arrs) == 0:
        arrs = (jnp.zeros((1, 0)),)
    arrs = [jnp.asarray(a) for a in arrs]
    dtype = jnp.result_type(*arrs)
    arrs = [jnp.atleast_2d(a).astype(dtype) for a in arrs]
    if any(a.ndim != 2 for a in arrs):
        raise ValueError("Arguments to jax.scipy.linalg.block_diag must have at most 2 dimensions, "
                         f"got {[a.ndim for a in arrs]}.")
    cols = sum(a.shape[1] for a in arrs)
    rows, left = [], 0
    for a in arrs:
        rows.append(jnp.pad(a, ((0, 0), (left, cols - left - a.shape[1]))))
        left += a.shape[1]
    return jnp.concatenate(rows, axis=0)


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column c and first row r (r[0] is ignored; r = c by
    default); leading dims of c and r are batch dims."""
    c = jnp.asarray(c)
    r = c if r is None else jnp.asarray(r)
    c, r = jnp.atleast_1d(c), jnp.atleast_1d(r)
    m, n = c.shape[-1], r.shape[-1]
    batch = jnp.broadcast_shapes(c.shape[:-1], r.shape[:-1])
    dtype = jnp.result_type(c, r)
    c = jnp.broadcast_to(c, batch + (m,)).astype(dtype)
    r = jnp.broadcast_to(r, batch + (n,)).astype(dtype)
    values = jnp.concatenate([jnp.flip(r[..., 1:], axis=-1), c], axis=-1)
    index = (n - 1) + np.arange(m)[:, None] - np.arange(n)[None, :]
    return values[..., index]


# -- expm: Padé approximation with scaling and squaring (JAX's) ---------------------------

def expm(A, *, upper_triangular=False, max_squarings=16):
    A, = _float_args(A)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"Expected A to be a (batched) square matrix, got A.shape={A.shape}.")
    if A.ndim > 2:
        return jnp.vectorize(lambda m: expm(m, upper_triangular=upper_triangular,
                                            max_squarings=max_squarings),
                             signature="(n,n)->(n,n)")(A)
    P, Q, n_squarings = _calc_P_Q(A)

    def _nan(args):
        return jnp.full_like(args[0], np.nan)

    def _compute(args):
        _, P, Q = args
        R = solve_triangular(Q, P) if upper_triangular else jnp.linalg.solve(Q, P)
        return _squaring(R, n_squarings, max_squarings)
    return lax.cond(n_squarings > max_squarings, _nan, _compute, (A, P, Q))


def _calc_P_Q(A):
    A_L1 = jnp.linalg.norm(A, 1)
    if A.dtype == np.float64:
        maxnorm = 5.371920351148152
        conds = [1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001,
                 2.097847961257068e+000]
        pades = [_pade3, _pade5, _pade7, _pade9, _pade13]
    else:
        maxnorm = 3.925724783138660
        conds = [4.258730016922831e-001, 1.880152677804762e+000]
        pades = [_pade3, _pade5, _pade7]
    n_squarings = jnp.maximum(0, jnp.floor(jnp.log2(A_L1 / maxnorm)))
    A = A / (2 ** n_squarings).astype(A.dtype)
    idx = jnp.digitize(A_L1, jnp.array(conds, dtype=A_L1.dtype))
    U, V = lax.switch(idx, pades, A)
    return U + V, -U + V, n_squarings


def _squaring(R, n_squarings, max_squarings):
    def step(c, i):
        return lax.cond(i < n_squarings, lambda x: jnp.dot(x, x), lambda x: x, c), None
    res, _ = lax.scan(step, R, jnp.arange(max_squarings, dtype=n_squarings.dtype))
    return res


def _pade3(A):
    b = (120., 60., 12., 1.)
    ident = jnp.eye(*A.shape, dtype=A.dtype)
    A2 = jnp.dot(A, A)
    U = jnp.dot(A, b[3] * A2 + b[1] * ident)
    V = b[2] * A2 + b[0] * ident
    return U, V


def _pade5(A):
    b = (30240., 15120., 3360., 420., 30., 1.)
    ident = jnp.eye(*A.shape, dtype=A.dtype)
    A2 = jnp.dot(A, A)
    A4 = jnp.dot(A2, A2)
    U = jnp.dot(A, b[5] * A4 + b[3] * A2 + b[1] * ident)
    V = b[4] * A4 + b[2] * A2 + b[0] * ident
    return U, V


def _pade7(A):
    b = (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.)
    ident = jnp.eye(*A.shape, dtype=A.dtype)
    A2 = jnp.dot(A, A)
    A4 = jnp.dot(A2, A2)
    A6 = jnp.dot(A4, A2)
    U = jnp.dot(A, b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
    V = b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
    return U, V


def _pade9(A):
    b = (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880.,
         3960., 90., 1.)
    ident = jnp.eye(*A.shape, dtype=A.dtype)
    A2 = jnp.dot(A, A)
    A4 = jnp.dot(A2, A2)
    A6 = jnp.dot(A4, A2)
    A8 = jnp.dot(A6, A2)
    U = jnp.dot(A, b[9] * A8 + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * ident)
    V = b[8] * A8 + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * ident
    return U, V


def _pade13(A):
    b = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
         129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
         40840800., 960960., 16380., 182., 1.)
    ident = jnp.eye(*A.shape, dtype=A.dtype)
    A2 = jnp.dot(A, A)
    A4 = jnp.dot(A2, A2)
    A6 = jnp.dot(A4, A2)
    U = jnp.dot(A, jnp.dot(A6, b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4
                + b[3] * A2 + b[1] * ident)
    V = jnp.dot(A6, b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 \
        + b[0] * ident
    return U, V


# Names jax.scipy.linalg has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
__getattr__ = _api_names.module_getattr("jax.scipy.linalg", __name__)
