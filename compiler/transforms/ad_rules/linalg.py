"""Derivative rules of the linear algebra ops (cholesky, lu, triangular_solve, qr,
qr_pivoted, eigh, svd, and eig's eigenvalues; geqrf, householder_product and schur raise, as in JAX): the JVP rules of JAX's jax/_src/lax/linalg.py for real matrices, and beside each the
reverse rule, the transpose of that JVP (a linear map of the tangent) worked out by hand.

Matrices are the last two dims; leading dims are batch dims, carried through every
product as dot_general batch dimensions. LU, QR and SVD have JAX's limits: LU's
derivative is for square matrices, QR's for m >= n (and full_matrices only when square),
SVD's not with full_matrices; other cases raise NotImplementedError, as JAX does."""
from __future__ import annotations

import numpy as np

from mlax.passes import PassNotImplementedError
from mlax.transforms.ad_rules.table import defrule, is_complex, spec


# ---------------------------------------------------------------------------------------
# Matrix helpers over the last two dims


def _mT(ctx, x):
    r = len(spec(x).shape)
    return ctx.transpose(x, permutation=tuple(range(r - 2)) + (r - 1, r - 2))


def _mm(ctx, a, b):
    """a @ b, batched over the leading dims, at HIGHEST precision as JAX's linalg rules
    compute their products."""
    r = len(spec(a).shape)
    batch = tuple(range(r - 2))
    return ctx.dot_general(a, b, lhs_contracting_dimensions=(r - 1,),
                           rhs_contracting_dimensions=(r - 2,), lhs_batch_dimensions=batch,
                           rhs_batch_dimensions=batch, precision=("HIGHEST", "HIGHEST"))


def _const_matrix(ctx, like, matrix):
    """The (rows, cols) NumPy `matrix` of like's dtype broadcast to like's shape."""
    s = spec(like)
    r = len(s.shape)
    c = ctx.array(np.asarray(matrix, s.dtype))
    return ctx.broadcast_in_dim(c, shape=s.shape, broadcast_dimensions=(r - 2, r - 1))


def _mask(ctx, x, keep):
    """x where the boolean (rows, cols) matrix `keep` holds, 0 elsewhere."""
    return ctx.mul(x, _const_matrix(ctx, x, keep))


def _tril(ctx, x, k=0):
    rows, cols = spec(x).shape[-2:]
    return _mask(ctx, x, np.tri(rows, cols, k, dtype=bool))


def _triu(ctx, x, k=0):
    rows, cols = spec(x).shape[-2:]
    return _mask(ctx, x, ~np.tri(rows, cols, k - 1, dtype=bool))


def _eye_like(ctx, x):
    rows, cols = spec(x).shape[-2:]
    return _const_matrix(ctx, x, np.eye(rows, cols))


def _trsm(ctx, a, b, left_side, lower, transpose_a=False, unit_diagonal=False):
    return ctx.triangular_solve(a, b, left_side=left_side, lower=lower, transpose_a=transpose_a,
                                unit_diagonal=unit_diagonal)


def _row(ctx, v):
    """v (..., n) as (..., n, n), each row a copy of v: v[..., None, :]."""
    s = spec(v).shape
    r = len(s)
    return ctx.broadcast_in_dim(v, shape=s + (s[-1],),
                                broadcast_dimensions=tuple(range(r - 1)) + (r,))


def _col(ctx, v):
    """v (..., n) as (..., n, n), each column a copy of v: v[..., :, None]."""
    s = spec(v).shape
    r = len(s)
    return ctx.broadcast_in_dim(v, shape=s + (s[-1],), broadcast_dimensions=tuple(range(r)))


def _diag(ctx, x):
    """The diagonal (..., n) of square matrices x."""
    r = len(spec(x).shape)
    return ctx.reduce_sum(ctx.mul(x, _eye_like(ctx, x)), axes=(r - 1,))


def _diag_embed(ctx, v):
    m = _row(ctx, v)
    return ctx.mul(m, _eye_like(ctx, m))


def _unsupported(ctx, what):
    return PassNotImplementedError(f"the derivative of '{ctx.op_name}' {what} is not implemented "
                                   "(as in JAX)", at=ctx.op)


# ---------------------------------------------------------------------------------------
# cholesky: L_dot = L phi(L^-1 S_dot L^-T), phi = the lower triangle, halved diagonal


def _phi(ctx, x):
    n = spec(x).shape[-1]
    return ctx.mul(x, _const_matrix(ctx, x, np.tril(np.ones((n, n))) - 0.5 * np.eye(n)))


def _cholesky_jvp(ctx, ts):
    L = ctx.outs[0]
    tmp = _trsm(ctx, L, ts[0], left_side=False, lower=True, transpose_a=True)
    inner = _trsm(ctx, L, tmp, left_side=True, lower=True)
    return [_mm(ctx, L, _phi(ctx, inner))]


def _cholesky_vjp(ctx, cts):
    L = ctx.outs[0]
    p = _phi(ctx, _mm(ctx, _mT(ctx, L), cts[0]))
    left = _trsm(ctx, L, p, left_side=True, lower=True, transpose_a=True)
    return [_trsm(ctx, L, left, left_side=False, lower=True)]


defrule("cholesky", _cholesky_jvp, _cholesky_vjp)


# ---------------------------------------------------------------------------------------
# triangular_solve: linear in b; in a, dx = -op(a)^-1 op(da) x (left) or -x op(da) op(a)^-1


def _triangle_of(ctx, g, attrs):
    k = 1 if attrs["unit_diagonal"] else 0
    return _tril(ctx, g, -k) if attrs["lower"] else _triu(ctx, g, k)


def _triangular_solve_jvp(ctx, ts):
    a, _ = ctx.args
    x = ctx.outs[0]
    at = ctx.attrs
    out = None
    if ts[1] is not None:
        out = ctx.triangular_solve(a, ts[1], **at)
    if ts[0] is not None:
        g = ctx.neg(_triangle_of(ctx, ts[0], at))
        if at["transpose_a"]:
            g = _mT(ctx, g)
        rhs = _mm(ctx, g, x) if at["left_side"] else _mm(ctx, x, g)
        out = ctx.add_any(out, ctx.triangular_solve(a, rhs, **at))
    return [out]


def _triangular_solve_vjp(ctx, cts):
    a, _ = ctx.args
    x = ctx.outs[0]
    at = ctx.attrs
    b_bar = ctx.triangular_solve(a, cts[0], **{**at, "transpose_a": not at["transpose_a"]})
    a_bar = None
    if ctx.active[0]:
        g = _mm(ctx, b_bar, _mT(ctx, x)) if at["left_side"] else _mm(ctx, _mT(ctx, x), b_bar)
        if at["transpose_a"]:
            g = _mT(ctx, g)
        a_bar = ctx.neg(_triangle_of(ctx, g, at))
    return [a_bar, b_bar if ctx.active[1] else None]


defrule("triangular_solve", _triangular_solve_jvp, _triangular_solve_vjp)


# ---------------------------------------------------------------------------------------
# lu: with P a = L U, lau = L^-1 P a_dot U^-1; lu_dot = L tril(lau, -1) + triu(lau) U


def _lu_parts(ctx):
    a = ctx.args[0]
    m, n = spec(a).shape[-2:]
    if m != n:
        raise _unsupported(ctx, "for non-square matrices")
    lu, _, perm = ctx.outs
    return _lu_factors(ctx, lu, perm)


def _lu_factors(ctx, lu, perm):
    """L, U and the permutation matrix P (P A = L U) of lu's packed factors."""
    l = ctx.add(_tril(ctx, lu, -1), _eye_like(ctx, lu))
    u = _triu(ctx, lu)
    # P[i, j] = 1 where perm[i] == j.
    shape = spec(lu).shape
    r = len(shape)
    cols = ctx.iota(dtype=np.dtype(np.int32), shape=shape, dimension=r - 1)
    p = ctx.convert_element_type(ctx.eq(_col(ctx, perm), cols), new_dtype=spec(lu).dtype)
    return l, u, p


def _lu_jvp(ctx, ts):
    l, u, p = _lu_parts(ctx)
    la = _trsm(ctx, l, _mm(ctx, p, ts[0]), left_side=True, lower=True, unit_diagonal=True)
    lau = _trsm(ctx, u, la, left_side=False, lower=False)
    return [ctx.add(_mm(ctx, l, _tril(ctx, lau, -1)), _mm(ctx, _triu(ctx, lau), u)), None, None]


def _lu_vjp(ctx, cts):
    if cts[0] is None:
        return [None]
    l, u, p = _lu_parts(ctx)
    c = cts[0]
    lau_bar = ctx.add(_tril(ctx, _mm(ctx, _mT(ctx, l), c), -1), _triu(ctx, _mm(ctx, c, _mT(ctx, u))))
    la_bar = _trsm(ctx, u, lau_bar, left_side=False, lower=False, transpose_a=True)
    x_bar = _trsm(ctx, l, la_bar, left_side=True, lower=True, transpose_a=True, unit_diagonal=True)
    return [_mm(ctx, _mT(ctx, p), x_bar)]


defrule("lu", _lu_jvp, _lu_vjp)


# ---------------------------------------------------------------------------------------
# qr (j-towns.github.io/papers/qr-derivative.pdf): D = dx R^-1, Z = Q^T D,
# do = tril(Z, -1) - tril(Z, -1)^T; dq = Q (do - Z) + D, dr = (Z - do) R


def _qr_check(ctx):
    m, n = spec(ctx.args[0]).shape[-2:]
    if m < n or (ctx.attrs["full_matrices"] and m != n):
        raise _unsupported(ctx, "for m < n, or full_matrices with m != n,")


def _qr_tangents(ctx, q, r, dx):
    """For complex matrices JAX's rule: Q^H for Q^T, and do's diagonal i im(Z)."""
    d = _trsm(ctx, r, dx, left_side=False, lower=False)
    z = _mm(ctx, _conj(ctx, _mT(ctx, q)), d)
    low = _tril(ctx, z, -1)
    do = ctx.sub(low, _conj(ctx, _mT(ctx, low)))
    if is_complex(z):
        im = ctx.sub(z, ctx.convert_element_type(ctx.real(z), new_dtype=spec(z).dtype))
        do = ctx.add(do, ctx.mul(im, _eye_like(ctx, z)))
    dq = ctx.add(_mm(ctx, q, ctx.sub(do, z)), d)
    dr = _mm(ctx, ctx.sub(z, do), r)
    return dq, dr


def _qr_cotangent(ctx, q, r, q_ct, r_ct):
    q_bar, r_bar = ctx.or_zeros(q_ct, q), ctx.or_zeros(r_ct, r)
    a = _mm(ctx, _mT(ctx, q), q_bar)           # the cotangent of (do - Z) through dq
    b = _mm(ctx, r_bar, _mT(ctx, r))           # the cotangent of (Z - do) through dr
    do_bar = ctx.sub(a, b)
    z_bar = ctx.add(ctx.sub(b, a), _tril(ctx, ctx.sub(do_bar, _mT(ctx, do_bar)), -1))
    d_bar = ctx.add(q_bar, _mm(ctx, q, z_bar))
    return _trsm(ctx, r, d_bar, left_side=False, lower=False, transpose_a=True)


def _qr_jvp(ctx, ts):
    _qr_check(ctx)
    q, r = ctx.outs
    return list(_qr_tangents(ctx, q, r, ts[0]))


def _qr_vjp(ctx, cts):
    _qr_check(ctx)
    if is_complex(ctx.args[0]):
        raise PassNotImplementedError(
            f"the reverse-mode derivative of '{ctx.op_name}' of a complex matrix is not "
            "implemented in mlax (jvp / jacfwd have it)", at=ctx.op)
    q, r = ctx.outs
    return [_qr_cotangent(ctx, q, r, cts[0], cts[1])]


defrule("qr", _qr_jvp, _qr_vjp)


# qr_pivoted: x P = Q R with the column permutation p held constant (JAX's rule): the
# tangent is QR's for dx P, the cotangent QR's times P^T. P[i, j] = 1 where p[j] == i.


def _pivot_matrix(ctx, x, p):
    n = spec(x).shape[-1]
    shape = spec(p).shape[:-1] + (n, n)
    rows = ctx.iota(dtype=np.dtype(np.int32), shape=shape, dimension=len(shape) - 2)
    return ctx.convert_element_type(ctx.eq(_row(ctx, p), rows), new_dtype=spec(x).dtype)


def _qr_pivoted_jvp(ctx, ts):
    _qr_check(ctx)
    q, r, p = ctx.outs
    dx = _mm(ctx, ts[0], _pivot_matrix(ctx, ctx.args[0], p))
    return [*_qr_tangents(ctx, q, r, dx), None]


def _qr_pivoted_vjp(ctx, cts):
    _qr_check(ctx)
    q, r, p = ctx.outs
    xp_bar = _qr_cotangent(ctx, q, r, cts[0], cts[1])
    return [_mm(ctx, xp_bar, _mT(ctx, _pivot_matrix(ctx, ctx.args[0], p)))]


defrule("qr_pivoted", _qr_pivoted_jvp, _qr_pivoted_vjp)


# ---------------------------------------------------------------------------------------
# eigh: M = V^H a_dot V; dv = V (F * M), dw = re(diag(M)), F[i, j] = 1 / (w[j] - w[i]) off
# the diagonal, 0 on it (V^H = V^T for real matrices). The transpose, in JAX's convention
# (cotangents not conjugated): M_bar = F * (V^T v_bar) + diag(w_bar), a_bar = conj(V) M_bar V^T.


def _eigh_f(ctx, v, w):
    if is_complex(v):
        w = ctx.convert_element_type(w, new_dtype=spec(v).dtype)
    eye = _eye_like(ctx, v)
    diff = ctx.add(eye, ctx.sub(_row(ctx, w), _col(ctx, w)))
    return ctx.sub(ctx.div(ctx.full_like(diff, 1), diff), eye)


def _conj(ctx, x):
    return ctx.conj(x) if is_complex(x) else x


def _eigh_jvp(ctx, ts):
    v, w = ctx.outs
    m = _mm(ctx, _mm(ctx, _conj(ctx, _mT(ctx, v)), ts[0]), v)
    dv = _mm(ctx, v, ctx.mul(_eigh_f(ctx, v, w), m))
    dw = _diag(ctx, m)
    return [dv, ctx.real(dw) if is_complex(dw) else dw]


def _eigh_vjp(ctx, cts):
    v, w = ctx.outs
    m_bar = None
    if cts[0] is not None:
        m_bar = ctx.mul(_eigh_f(ctx, v, w), _mm(ctx, _mT(ctx, v), cts[0]))
    if cts[1] is not None:
        w_bar = cts[1]
        if is_complex(v):
            w_bar = ctx.convert_element_type(w_bar, new_dtype=spec(v).dtype)
        m_bar = ctx.add_any(m_bar, _diag_embed(ctx, w_bar))
    return [_mm(ctx, _mm(ctx, _conj(ctx, v), m_bar), _mT(ctx, v))]


defrule("eigh", _eigh_jvp, _eigh_vjp)


# ---------------------------------------------------------------------------------------
# svd: dS = U^T dA V; ds = diag(dS); dU = U (F * (dS S + S dS^T)), dV = V (F * (S dS + dS^T S)),
# F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal; plus, for tall (wide) matrices, the
# part of dA V / s (dA^T U / s) outside the span of U (V)


def _svd_parts(ctx):
    if ctx.attrs["full_matrices"]:
        raise _unsupported(ctx, "with full_matrices=True")
    s, u, vt = ctx.outs
    s_row = _row(ctx, s)                       # [i, j] = s[j]
    s_col = _mT(ctx, s_row)                    # [i, j] = s[i]
    eye = _eye_like(ctx, s_row)
    diffs = ctx.mul(ctx.add(s_row, s_col), ctx.sub(s_row, s_col))
    f = ctx.sub(ctx.div(ctx.full_like(eye, 1), ctx.add(diffs, eye)), eye)
    return s, u, _mT(ctx, vt), s_row, s_col, f


def _svd_jvp(ctx, ts):
    if is_complex(ctx.args[0]):
        return _svd_jvp_complex(ctx, ts)
    s, u, v, s_row, s_col, f = _svd_parts(ctx)
    da = ts[0]
    m, n = spec(da).shape[-2:]
    ut = _mT(ctx, u)
    ds_mat = _mm(ctx, _mm(ctx, ut, da), v)
    dss = ctx.mul(ds_mat, s_row)
    sds = ctx.mul(s_col, ds_mat)
    du = _mm(ctx, u, ctx.mul(f, ctx.add(dss, _mT(ctx, dss))))
    dv = _mm(ctx, v, ctx.mul(f, ctx.add(sds, _mT(ctx, sds))))
    if m > n:
        dav = _mm(ctx, da, v)
        du = ctx.add(du, ctx.div(ctx.sub(dav, _mm(ctx, u, _mm(ctx, ut, dav))), _row_of(ctx, s, dav)))
    if n > m:
        dahu = _mm(ctx, _mT(ctx, da), u)
        dv = ctx.add(dv, ctx.div(ctx.sub(dahu, _mm(ctx, v, _mm(ctx, _mT(ctx, v), dahu))),
                                 _row_of(ctx, s, dahu)))
    return [_diag(ctx, ds_mat), du, _mT(ctx, dv)]


def _row_of(ctx, s, like):
    """s (..., k) broadcast over the rows of `like` (..., rows, k)."""
    shape = spec(like).shape
    r = len(shape)
    return ctx.broadcast_in_dim(s, shape=shape, broadcast_dimensions=tuple(range(r - 2)) + (r - 1,))


def _H(ctx, x):
    return ctx.conj(_mT(ctx, x))


def _svd_jvp_complex(ctx, ts):
    """JAX's rule for complex matrices: as the real one with conjugate transposes, ds the real
    part of diag(dS), and dU's extra diagonal (dS - dS^H) / 2s, imaginary."""
    s, u, _, s_row, s_col, f = _svd_parts(ctx)
    vt = ctx.outs[2]
    c = spec(u).dtype
    to_c = lambda x: ctx.convert_element_type(x, new_dtype=c)
    v, ut = _H(ctx, vt), _H(ctx, u)
    s_row, s_col, f = to_c(s_row), to_c(s_col), to_c(f)
    da = ts[0]
    m, n = spec(da).shape[-2:]
    ds_mat = _mm(ctx, _mm(ctx, ut, da), v)
    dss = ctx.mul(ds_mat, s_row)
    sds = ctx.mul(s_col, ds_mat)
    zero = ctx.convert_element_type(ctx.eq(s, ctx.zeros_like(s)), new_dtype=spec(s).dtype)
    s_inv = ctx.sub(ctx.div(ctx.ones_like(s), ctx.add(s, zero)), zero)
    half = ctx.full_like(ds_mat, 0.5)
    dudv_diag = ctx.mul(ctx.mul(half, ctx.sub(ds_mat, _H(ctx, ds_mat))),
                        _diag_embed(ctx, to_c(s_inv)))
    du = _mm(ctx, u, ctx.add(ctx.mul(f, ctx.add(dss, _H(ctx, dss))), dudv_diag))
    dv = _mm(ctx, v, ctx.mul(f, ctx.add(sds, _H(ctx, sds))))
    if m > n:
        dav = _mm(ctx, da, v)
        du = ctx.add(du, ctx.div(ctx.sub(dav, _mm(ctx, u, _mm(ctx, ut, dav))),
                                 to_c(_row_of(ctx, s, dav))))
    if n > m:
        dahu = _mm(ctx, _H(ctx, da), u)
        dv = ctx.add(dv, ctx.div(ctx.sub(dahu, _mm(ctx, v, _mm(ctx, vt, dahu))),
                                 to_c(_row_of(ctx, s, dahu))))
    return [ctx.real(_diag(ctx, ds_mat)), du, _H(ctx, dv)]


def _svd_vjp(ctx, cts):
    if is_complex(ctx.args[0]):
        # Singular values only: ds = re(diag(U^H dA V)) transposes to conj(U diag(s_bar) Vt).
        if cts[1] is not None or cts[2] is not None:
            raise PassNotImplementedError(
                f"the reverse-mode derivative of '{ctx.op_name}' through the singular vectors "
                "of a complex matrix is not implemented (singular values only; jvp / jacfwd "
                "have it)", at=ctx.op)
        if cts[0] is None:
            return [None]
        s, u, vt = ctx.outs
        if ctx.attrs["full_matrices"]:
            raise _unsupported(ctx, "with full_matrices=True")
        s_bar = ctx.convert_element_type(cts[0], new_dtype=spec(u).dtype)
        return [ctx.conj(_mm(ctx, ctx.mul(u, _row_of(ctx, s_bar, u)), vt))]
    s, u, v, s_row, s_col, f = _svd_parts(ctx)
    m, n = spec(ctx.args[0]).shape[-2:]
    ds_bar = _diag_embed(ctx, cts[0]) if cts[0] is not None else None
    extra = None
    if cts[1] is not None:
        g = ctx.mul(f, _mm(ctx, _mT(ctx, u), cts[1]))
        ds_bar = ctx.add_any(ds_bar, ctx.mul(ctx.add(g, _mT(ctx, g)), s_row))
        if m > n:
            us = ctx.div(cts[1], _row_of(ctx, s, cts[1]))
            proj = ctx.sub(us, _mm(ctx, u, _mm(ctx, _mT(ctx, u), us)))
            extra = _mm(ctx, proj, _mT(ctx, v))
    if cts[2] is not None:
        v_bar = _mT(ctx, cts[2])
        h = ctx.mul(f, _mm(ctx, _mT(ctx, v), v_bar))
        ds_bar = ctx.add_any(ds_bar, ctx.mul(ctx.add(h, _mT(ctx, h)), s_col))
        if n > m:
            vs = ctx.div(v_bar, _row_of(ctx, s, v_bar))
            proj = ctx.sub(vs, _mm(ctx, v, _mm(ctx, _mT(ctx, v), vs)))
            extra = ctx.add_any(extra, _mm(ctx, u, _mT(ctx, proj)))
    a_bar = _mm(ctx, _mm(ctx, u, ds_bar), _mT(ctx, v)) if ds_bar is not None else None
    return [ctx.add_any(a_bar, extra)]


defrule("svd", _svd_jvp, _svd_vjp)


# ---------------------------------------------------------------------------------------
# eig, eigenvalues only (JAX's rule, eqn 4.60 of arxiv.org/abs/1701.00392): with V the right
# eigenvectors, dw = diag(V^-1 dA V); its transpose is A_bar = V^-T diag(w_bar) V^T (the
# real part for a real A). V^-1 comes from V's LU factors, P V = L U.


def _eig_vectors(ctx):
    """The right eigenvectors V of the op's matrix (computed again, as JAX's rule does, when
    the op did not ask for them) and the L, U, P of V's LU factorization."""
    if ctx.attrs["compute_left"] or ctx.attrs["compute_right"]:
        raise PassNotImplementedError(
            f"the derivative of '{ctx.op_name}' with eigenvectors is not implemented: only "
            "eigenvalues (jnp.linalg.eigvals, lax.linalg.eig without eigenvectors) have "
            "derivatives, as in JAX without enable_eigvec_derivs", at=ctx.op)
    _, _, v = ctx.eig(ctx.args[0], compute_left=False, compute_right=True)
    lu, _, perm = ctx.lu(v)
    return (v, *_lu_factors(ctx, lu, perm))


def _eig_jvp(ctx, ts):
    v, l, u, p = _eig_vectors(ctx)
    da = ts[0]
    if not is_complex(da):
        da = ctx.convert_element_type(da, new_dtype=spec(v).dtype)
    x = _trsm(ctx, l, _mm(ctx, p, da), left_side=True, lower=True, unit_diagonal=True)
    x = _trsm(ctx, u, x, left_side=True, lower=False)          # V^-1 dA
    r = len(spec(v).shape)
    return [ctx.reduce_sum(ctx.mul(x, _mT(ctx, v)), axes=(r - 1,)), None, None]


def _eig_vjp(ctx, cts):
    if cts[0] is None:
        return [None]
    v, l, u, p = _eig_vectors(ctx)
    y = ctx.mul(_col(ctx, cts[0]), _mT(ctx, v))                # diag(w_bar) V^T
    z = _trsm(ctx, u, y, left_side=True, lower=False, transpose_a=True)
    z = _trsm(ctx, l, z, left_side=True, lower=True, transpose_a=True, unit_diagonal=True)
    a_bar = _mm(ctx, _mT(ctx, p), z)
    return [a_bar if is_complex(ctx.args[0]) else ctx.real(a_bar)]


defrule("eig", _eig_jvp, _eig_vjp)


# ---------------------------------------------------------------------------------------
# geqrf, householder_product and schur: no derivative, as in JAX


def _no_derivative(ctx, _):
    raise PassNotImplementedError(
        f"Differentiation rule for '{ctx.op_name}' not implemented (JAX has none either)"
        + (": differentiate lax.linalg.qr / jnp.linalg.qr instead"
           if ctx.op_name != "mlax.schur" else ""), at=ctx.op)


defrule("geqrf", _no_derivative, _no_derivative)
defrule("schur", _no_derivative, _no_derivative)
defrule("householder_product", _no_derivative, _no_derivative)
