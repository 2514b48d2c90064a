"""The linear algebra ops (mlax.lax.linalg: LAPACK calls on CPU) and what is built on them
(jnp.linalg, mlax.scipy.linalg): values against JAX, derivatives against finite
differences, vmap against a Python loop, batch shapes, singular and non-square inputs."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax.lax import linalg as L
from mlax.test_util import check_grads

from child import run_case

jax = pytest.importorskip("jax")
jax.config.update("jax_platforms", "cpu")
J = jax.numpy
JL = jax.lax.linalg
jsp = pytest.importorskip("jax.scipy.linalg")

RNG = np.random.default_rng(0)


def _m(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _spd(*shape, dtype=np.float32):
    a = _m(*shape, dtype=dtype)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1], dtype=dtype)


def _c(*shape, dtype=np.complex64):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _close(got, want, rtol=1e-4, atol=1e-5):
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, g.dtype, w.shape, w.dtype)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def _jax_geqrf(x):
    """JAX's geqrf, through its public jnp.linalg.qr(mode="raw") (which transposes a)."""
    h, taus = J.linalg.qr(x, mode="raw")
    return np.swapaxes(np.asarray(h), -1, -2), taus


# ---------------------------------------------------------------------------------------
# The ops against JAX's: (name, mlax call, jax call, argument shapes)

SHAPES = [(4, 4), (2, 3, 3), (1, 1)]
RECT = [(5, 3), (3, 5), (2, 4, 2), (4, 4)]

OP_ROWS = [
    *[("cholesky", L.cholesky, JL.cholesky, s, _spd) for s in SHAPES],
    *[("lu", L.lu, JL.lu, s, _m) for s in SHAPES + RECT],
    *[(f"qr_full{f}", lambda x, f=f: L.qr(x, full_matrices=f),
       lambda x, f=f: JL.qr(x, full_matrices=f), s, _m) for s in RECT for f in (True, False)],
    *[(f"qr_pivoting_full{f}", lambda x, f=f: L.qr(x, pivoting=True, full_matrices=f),
       lambda x, f=f: JL.qr(x, pivoting=True, full_matrices=f), s, _m)
      for s in RECT for f in (True, False)],
    *[("eigh", L.eigh, JL.eigh, s, _spd) for s in SHAPES],
    *[("eigh_complex", L.eigh, JL.eigh, s, _c) for s in SHAPES],
    ("eigh_complex_upper", lambda x: L.eigh(x, lower=False, symmetrize_input=False),
     lambda x: JL.eigh(x, lower=False, symmetrize_input=False), (4, 4), _c),
    *[("eigh_upper", lambda x: L.eigh(x, lower=False, symmetrize_input=False),
       lambda x: JL.eigh(x, lower=False, symmetrize_input=False), (4, 4), _m)],
    *[(f"svd_full{f}", lambda x, f=f: L.svd(x, full_matrices=f),
       lambda x, f=f: JL.svd(x, full_matrices=f), s, _m) for s in RECT for f in (True, False)],
    *[("svd_s", lambda x: L.svd(x, compute_uv=False), lambda x: JL.svd(x, compute_uv=False), s, _m)
      for s in RECT],
    *[(f"qr_complex_full{f}", lambda x, f=f: L.qr(x, full_matrices=f),
       lambda x, f=f: JL.qr(x, full_matrices=f), s, _c) for s in RECT for f in (True, False)],
    *[(f"svd_complex_full{f}", lambda x, f=f: L.svd(x, full_matrices=f),
       lambda x, f=f: JL.svd(x, full_matrices=f), s, _c) for s in RECT for f in (True, False)],
    *[(f"eig_{left}{right}",
       lambda x, l=left, r=right: L.eig(x, compute_left_eigenvectors=l, compute_right_eigenvectors=r),
       lambda x, l=left, r=right: JL.eig(x, compute_left_eigenvectors=l, compute_right_eigenvectors=r),
       s, make) for s in SHAPES + [(5, 5)] for make in (_m, _c)
      for left, right in ((True, True), (False, True), (False, False))],
    *[("lu_complex", L.lu, JL.lu, s, _c) for s in SHAPES + RECT],
    *[("geqrf", L.geqrf, _jax_geqrf, s, make) for s in RECT for make in (_m, _c)],
    *[("householder_product", lambda x: L.householder_product(*L.geqrf(x)),
       lambda x: JL.householder_product(*_jax_geqrf(x)), s, make)
      for s in [(5, 3), (4, 4), (2, 4, 2)] for make in (_m, _c)],
    ("householder_product_k1", lambda x: L.householder_product(x, L.geqrf(x)[1][:1]),
     lambda x: JL.householder_product(x, _jax_geqrf(x)[1][:1]), (4, 3), _m),
]


@pytest.mark.parametrize("name,f,jf,shape,make", OP_ROWS, ids=[f"{r[0]}-{r[3]}" for r in OP_ROWS])
def test_op_matches_jax(name, f, jf, shape, make):
    x = make(*shape)
    _close(f(x), jf(x))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_triangular_solve_matches_jax(left, lower, transpose_a, unit):
    a = _spd(2, 4, 4)
    b = _m(2, 4, 3) if left else _m(2, 3, 4)
    kw = dict(left_side=left, lower=lower, transpose_a=transpose_a, unit_diagonal=unit)
    _close(L.triangular_solve(a, b, **kw), JL.triangular_solve(a, b, **kw))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("transpose_a,conjugate_a", [(False, False), (True, False), (True, True),
                                                     (False, True)])
def test_triangular_solve_complex_matches_jax(lower, transpose_a, conjugate_a):
    a = _c(2, 4, 4) + 4 * np.eye(4, dtype=np.complex64)
    b = _c(2, 4, 3)
    kw = dict(left_side=True, lower=lower, transpose_a=transpose_a, conjugate_a=conjugate_a)
    _close(L.triangular_solve(a, b, **kw), JL.triangular_solve(a, b, **kw))


def _check_eig(a, w, vl, vr, tol):
    """w against NumPy's eigenvalues (as sorted sets); A vr = vr diag(w), vl^H A = diag(w) vl^H;
    each eigenvector of unit 2-norm with its largest component real (LAPACK's geev)."""
    a, w, vl, vr = (np.asarray(t) for t in (a, w, vl, vr))
    want = np.linalg.eigvals(a)
    np.testing.assert_allclose(np.sort_complex(w), np.sort_complex(want), rtol=tol, atol=tol)
    np.testing.assert_allclose(a @ vr, vr * w[..., None, :], rtol=tol, atol=tol)
    vh = np.conj(np.swapaxes(vl, -1, -2))
    np.testing.assert_allclose(vh @ a, w[..., :, None] * vh, rtol=tol, atol=tol)
    for v in (vl, vr):
        np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=tol)
        big = np.take_along_axis(v, np.argmax(np.abs(v), axis=-2)[..., None, :], axis=-2)
        np.testing.assert_allclose(big.imag, 0, atol=tol)


@pytest.mark.parametrize("make", [_m, _c])
def test_eig_against_numpy(make):
    a = make(3, 6, 6)
    _check_eig(a, *L.eig(a), tol=1e-4)
    w, v = mlax.jit(jnp.linalg.eig)(a)
    _check_eig(a, w, L.eig(a)[1], v, tol=1e-4)
    _close(jnp.linalg.eigvals(a), w)


@pytest.mark.parametrize("make", [_m, _c])
def test_eig_of_a_matrix_with_nan_is_nan_as_jax_quietly(make, capfd):
    a = np.stack([make(3, 3), make(3, 3)])
    a[0, 1, 1] = np.nan
    got, want = L.eig(a), JL.eig(a)
    _close(got, want)
    assert np.isnan(np.asarray(got[0])[0]).all() and not np.isnan(np.asarray(got[0])[1]).any()
    assert "illegal value" not in capfd.readouterr().err   # LAPACK's xerbla never called


def test_eig_float64(x64):
    for a in (_m(7, 7, dtype=np.float64), _c(7, 7, dtype=np.complex128)):
        w, vl, vr = L.eig(a)
        assert w.dtype == vr.dtype == np.complex128
        _check_eig(a, w, vl, vr, tol=1e-10)
    # A real matrix with a repeated real eigenvalue and a complex pair: exact values.
    rot = np.array([[2, 0, 0], [0, 0, -1], [0, 1, 0]], np.float64)
    np.testing.assert_allclose(np.sort_complex(np.asarray(jnp.linalg.eigvals(rot))),
                               [-1j, 1j, 2], atol=1e-12)


@pytest.mark.parametrize("make,shape", [(_m, (5, 5)), (_m, (2, 4, 4)), (_c, (4, 4)),
                                        (_c, (2, 3, 3))])
def test_schur(make, shape):
    """x = Z T Z^H with Z unitary and T (quasi-)upper-triangular, T's eigenvalues those of x;
    against JAX: the same T (up to the phases of the Schur vectors for complex matrices,
    which OpenBLAS's and JAX's LAPACK choose differently)."""
    a = make(*shape)
    t, z = (np.asarray(v) for v in L.schur(a))
    jt, jz = (np.asarray(v) for v in JL.schur(a))
    zh = np.conj(np.swapaxes(z, -1, -2))
    np.testing.assert_allclose(z @ t @ zh, a, atol=1e-5)
    np.testing.assert_allclose(zh @ z, np.broadcast_to(np.eye(shape[-1]), a.shape), atol=1e-5)
    below = 2 if a.dtype.kind == "f" else 1     # real: 2 x 2 blocks for conjugate pairs
    assert not np.tril(t, -below).any()
    if a.dtype.kind == "f":
        _close((t, z), (jt, jz), rtol=1e-4, atol=1e-5)
    else:
        _close(np.abs(t), np.abs(jt), rtol=1e-4, atol=1e-5)
        _close(np.diagonal(t, axis1=-2, axis2=-1), np.diagonal(jt, axis1=-2, axis2=-1))
    assert L.schur(a, compute_schur_vectors=False)[0].shape == a.shape


def test_scipy_schur_output_complex():
    a = _m(4, 4)
    t, z = mlax.scipy.linalg.schur(a, output="complex")
    jt, _ = jsp.schur(a, output="complex")
    assert t.dtype == jt.dtype == np.complex64
    _close(np.sort_complex(np.diagonal(np.asarray(t))), np.sort_complex(np.diagonal(np.asarray(jt))))
    np.testing.assert_allclose(np.asarray(z) @ np.asarray(t) @ np.conj(np.asarray(z)).T, a, atol=1e-5)
    with pytest.raises(ValueError, match="output"):
        mlax.scipy.linalg.schur(a, output="other")


def test_triangular_solve_of_vectors():
    a, b = _spd(2, 3, 3), _m(2, 3)
    for left in (True, False):
        _close(L.triangular_solve(a, b, left_side=left, lower=True),
               JL.triangular_solve(a, b, left_side=left, lower=True))


def test_lu_pivots_to_permutation():
    piv = np.array([[2, 2, 3], [0, 1, 2]], np.int32)
    _close(L.lu_pivots_to_permutation(piv, 4), JL.lu_pivots_to_permutation(piv, 4))
    _close(mlax.jit(lambda p: L.lu_pivots_to_permutation(p, 5))(piv[0]),
           JL.lu_pivots_to_permutation(piv[0], 5))


def test_float64(x64):
    x = _spd(2, 3, 3, dtype=np.float64)
    _close(L.cholesky(x), np.linalg.cholesky(x), rtol=1e-12, atol=1e-12)
    u, s, vt = L.svd(x[0])
    _close(s, np.linalg.svd(x[0], compute_uv=False), rtol=1e-12, atol=1e-12)
    _close(np.asarray(u) * np.asarray(s) @ np.asarray(vt), x[0], rtol=1e-12, atol=1e-12)


def test_zero_size():
    q, r = L.qr(np.zeros((3, 0), np.float32), full_matrices=True)
    np.testing.assert_array_equal(q, np.eye(3, dtype=np.float32))
    assert r.shape == (3, 0)
    assert L.cholesky(np.zeros((0, 2, 2), np.float32)).shape == (0, 2, 2)
    assert jnp.linalg.solve(np.zeros((0, 0), np.float32), np.zeros(0, np.float32)).shape == (0,)


# ---------------------------------------------------------------------------------------
# Failures give JAX's values; bad input JAX's errors


def test_failures_give_jax_values():
    not_pd = -np.eye(3, dtype=np.float32)
    _close(L.cholesky(not_pd), JL.cholesky(not_pd))
    batch = np.stack([not_pd, _spd(3, 3)])
    _close(jnp.linalg.cholesky(batch), J.linalg.cholesky(batch))
    singular = np.ones((3, 3), np.float32)
    _close(jnp.linalg.det(singular), J.linalg.det(singular))
    _close(tuple(jnp.linalg.slogdet(singular)), tuple(J.linalg.slogdet(singular)))
    assert not np.isfinite(np.asarray(jnp.linalg.inv(singular))).all()
    assert not np.isfinite(np.asarray(jnp.linalg.solve(singular, np.ones(3, np.float32)))).all()


def test_bad_input_errors():
    with pytest.raises(ValueError, match="square"):
        jnp.linalg.cholesky(_m(3, 4))
    with pytest.raises(ValueError, match="square"):
        jnp.linalg.inv(_m(3, 4))
    with pytest.raises(ValueError, match="square"):
        jnp.linalg.det(_m(2, 3))
    with pytest.raises(ValueError, match="rank >= 2"):
        jnp.linalg.svd(_m(3))
    with pytest.raises(TypeError, match="float32 and float64"):
        L.cholesky(np.eye(3, dtype=np.int32))
    with pytest.raises(ValueError, match="square"):
        jnp.linalg.eigvals(_m(3, 4))
    with pytest.raises(TypeError, match="complex"):
        L.cholesky(_c(3, 3))
    with pytest.raises(ValueError, match="at least as many"):
        L.householder_product(_m(3, 4), _m(3))
    with pytest.raises(ValueError, match="must not have more rows"):
        L.householder_product(_m(4, 3), _m(4))


# ---------------------------------------------------------------------------------------
# jnp.linalg and mlax.scipy.linalg against JAX

A = _m(4, 4)
S = _spd(4, 4)
B = _m(4)
B2 = _m(2, 4, 3)

FRONT_ROWS = [
    ("solve", lambda m, s: m.linalg.solve(A, B)),
    ("solve_batched", lambda m, s: m.linalg.solve(np.stack([S, 2 * S]), B2)),
    ("solve_1x1", lambda m, s: m.linalg.solve(A[:1, :1], B[:1])),
    ("inv", lambda m, s: m.linalg.inv(S)),
    ("det", lambda m, s: m.linalg.det(np.stack([A, S]))),
    ("slogdet", lambda m, s: tuple(m.linalg.slogdet(A))),
    ("cholesky_upper", lambda m, s: m.linalg.cholesky(S, upper=True)),
    ("qr", lambda m, s: tuple(m.linalg.qr(A[:, :3]))),
    ("qr_complete", lambda m, s: tuple(m.linalg.qr(A[:, :3], mode="complete"))),
    ("qr_r", lambda m, s: m.linalg.qr(A[:3], mode="r")),
    ("qr_raw", lambda m, s: (tuple(m.linalg.qr(A[:, :3], mode="raw")),
                             tuple(m.linalg.qr(B2, mode="raw")))),
    ("eigh", lambda m, s: tuple(m.linalg.eigh(S))),
    ("eigh_U", lambda m, s: tuple(m.linalg.eigh(S, UPLO="U"))),
    ("eigvalsh", lambda m, s: m.linalg.eigvalsh(S)),
    ("complex_qr", lambda m, s: (tuple(m.linalg.qr(A[:, :3] + 1j * S[:, :3])),
                                 m.linalg.qr(A + 1j * S, mode="r"), s.qr(A[:3] - 1j * S[:3]))),
    ("complex_svd_consumers", lambda m, s: (
        m.linalg.svdvals(A[:, :3] + 1j * S[:, :3]), m.linalg.pinv(A[:, :3] - 2j * S[:, :3]),
        m.linalg.lstsq(A[:, :3] + 1j * S[:, :3], B - 1j * B)[:2],
        m.linalg.matrix_rank(A + 1j * A), m.linalg.cond(A + 1j * S),
        m.linalg.norm(A + 1j * S, 2), m.linalg.norm(A - 1j * S, "nuc"),
        s.polar(A + 1j * S), s.polar(A[:, :3] + 1j * S[:, :3], side="left", method="svd"))),
    ("svd_pinv_hermitian_complex", lambda m, s: (
        tuple(m.linalg.svd(np.stack([A + A.T + 1j * (S - S.T + A - A.T)]), hermitian=True)),
        m.linalg.pinv(A + A.T + 1j * (A - A.T), hermitian=True))),
    ("eigh_hermitian", lambda m, s: (tuple(m.linalg.eigh(A + 1j * S)), m.linalg.eigvalsh(B2[0, :3] * 1j + S[:3, :3]),
                                     s.eigh(A - 1j * S))),
    ("eig", lambda m, s: tuple(m.linalg.eig(A))),
    ("eigvals", lambda m, s: m.linalg.eigvals(np.stack([A, S]))),
    ("eigvals_int", lambda m, s: m.linalg.eigvals(np.arange(9).reshape(3, 3))),
    ("complex_solve_inv_det", lambda m, s: (m.linalg.solve(A + 1j * S, B), m.linalg.inv(A + 1j * S),
                                            m.linalg.det(A + 1j * S),
                                            tuple(m.linalg.slogdet(A - 2j * S)))),
    ("svd", lambda m, s: tuple(m.linalg.svd(A[:3]))),
    ("svd_reduced", lambda m, s: tuple(m.linalg.svd(A[:, :3], full_matrices=False))),
    ("svdvals", lambda m, s: m.linalg.svd(A, compute_uv=False)),
    ("svd_hermitian", lambda m, s: (tuple(m.linalg.svd(np.stack([S, A + A.T]), hermitian=True)),
                                    m.linalg.svd(S, hermitian=True, compute_uv=False),
                                    m.linalg.pinv(A + A.T, hermitian=True))),
    ("pinv", lambda m, s: m.linalg.pinv(A[:, :3])),
    ("lstsq", lambda m, s: m.linalg.lstsq(A[:, :2], B)),
    ("matrix_rank", lambda m, s: m.linalg.matrix_rank(A[:, :2] @ A[:2, :])),
    ("norms", lambda m, s: (m.linalg.norm(A, 2), m.linalg.norm(A, -2), m.linalg.norm(A, "nuc"),
                            m.linalg.norm(B2, 2, axis=(0, 2)))),
    ("cond", lambda m, s: (m.linalg.cond(S), m.linalg.cond(A, -2), m.linalg.cond(A, 1))),
    ("sp_cholesky", lambda m, s: (s.cholesky(S), s.cholesky(S, lower=True))),
    ("sp_cho_solve", lambda m, s: s.cho_solve(s.cho_factor(S), B)),
    ("sp_cho_solve_lower", lambda m, s: s.cho_solve(s.cho_factor(S, lower=True), B2[0])),
    ("sp_solve_triangular", lambda m, s: (s.solve_triangular(S, B, lower=True),
                                          s.solve_triangular(S, B2[0], trans=1),
                                          s.solve_triangular(S, B, unit_diagonal=True))),
    ("sp_lu", lambda m, s: s.lu(A)),
    ("sp_lu_rect", lambda m, s: s.lu(A[:, :3])),
    ("sp_lu_permute_l", lambda m, s: s.lu(A, permute_l=True)),
    ("sp_lu_factor", lambda m, s: s.lu_factor(A)),
    ("sp_lu_solve", lambda m, s: (s.lu_solve(s.lu_factor(A), B), s.lu_solve(s.lu_factor(A), B2[0], trans=1))),
    ("sp_solve", lambda m, s: (s.solve(A, B), s.solve(S, B, assume_a="pos"))),
    ("sp_inv_det", lambda m, s: (s.inv(S), s.det(A))),
    ("sp_eigh", lambda m, s: (s.eigh(S), s.eigh(S, eigvals_only=True))),
    ("sp_qr", lambda m, s: (s.qr(A[:, :3]), s.qr(A[:, :3], mode="economic"), s.qr(A, mode="r"))),
    ("sp_qr_pivoting", lambda m, s: (s.qr(A[:, :3], pivoting=True),
                                     s.qr(A[:3], mode="economic", pivoting=True),
                                     s.qr(A, mode="r", pivoting=True))),
    ("sp_svd", lambda m, s: (s.svd(A[:3]), s.svd(A, compute_uv=False))),
    ("sp_polar", lambda m, s: (s.polar(A), s.polar(A[:, :3], side="left", method="svd"))),
    ("sp_block_diag", lambda m, s: (s.block_diag(A[:2, :3], np.float32(2), B), s.block_diag())),
    ("sp_toeplitz", lambda m, s: (s.toeplitz(B), s.toeplitz(B, B2[0, 0]), s.toeplitz(B2[0]))),
    ("sp_expm", lambda m, s: (s.expm(S / 10), s.expm(A * 3), s.expm(np.stack([A, S / 20])))),
]


def _flatten(x):
    if isinstance(x, (tuple, list)):
        return tuple(y for v in x for y in _flatten(v))
    return (x,)


@pytest.mark.parametrize("name,f", FRONT_ROWS, ids=[r[0] for r in FRONT_ROWS])
def test_front_end_matches_jax(name, f):
    got, want = _flatten(f(jnp, mlax.scipy.linalg)), _flatten(f(J, jsp))
    got = tuple(np.asarray(g) for g in got)
    want = tuple(np.asarray(w) for w in want)
    _close(got, want, rtol=2e-4, atol=2e-5)


def test_solve_1x1_under_jit_and_scan():
    a, b = A[:1, :1], B[:1]
    want = np.asarray(J.linalg.solve(a, b))
    _close(mlax.jit(jnp.linalg.solve)(a, b), want)
    out = mlax.lax.scan(lambda c, _: (c, jnp.linalg.solve(a, c)), b, None, length=2)[1]
    _close(out, np.stack([want, want]))


# ---------------------------------------------------------------------------------------
# Derivatives against finite differences


def _sym(f):
    return lambda x: f((x + x.T) / 2 + 4 * jnp.eye(x.shape[-1]))


GRAD_ROWS = [
    ("cholesky", _sym(jnp.linalg.cholesky), [(3, 3)]),
    ("lu", lambda x: L.lu(x)[0], [(3, 3)]),
    ("triangular_solve", lambda a, b: L.triangular_solve(a + 4 * jnp.eye(3), b, left_side=True,
                                                         lower=True), [(3, 3), (3, 2)]),
    ("triangular_solve_right_t", lambda a, b: L.triangular_solve(
        a + 4 * jnp.eye(3), b, left_side=False, lower=False, transpose_a=True, unit_diagonal=True),
     [(3, 3), (2, 3)]),
    ("qr", lambda x: L.qr(x, full_matrices=False), [(4, 3)]),
    ("qr_square", lambda x: L.qr(x), [(3, 3)]),
    ("qr_pivoting", lambda x: L.qr(x, pivoting=True, full_matrices=False)[:2], [(4, 3)]),
    ("qr_pivoting_square", lambda x: L.qr(x, pivoting=True)[:2], [(3, 3)]),
    ("eigh", _sym(lambda x: jnp.linalg.eigh(x)), [(3, 3)]),
    ("svd_tall", lambda x: jnp.linalg.svd(x, full_matrices=False), [(4, 3)]),
    ("svd_wide", lambda x: jnp.linalg.svd(x, full_matrices=False), [(2, 4)]),
    ("svdvals", lambda x: jnp.linalg.svd(x, compute_uv=False), [(3, 4)]),
    ("solve", lambda a, b: jnp.linalg.solve(a + 4 * jnp.eye(3), b), [(3, 3), (3,)]),
    ("slogdet", lambda a: jnp.linalg.slogdet(a + 4 * jnp.eye(3))[1], [(3, 3)]),
    ("det_inv", lambda a: jnp.linalg.det(jnp.linalg.inv(a + 4 * jnp.eye(3))), [(3, 3)]),
    ("pinv", lambda a: jnp.linalg.pinv(a), [(4, 3)]),
    ("eigvals", lambda a: (lambda w: (jnp.real(w) ** 2, jnp.imag(w) * jnp.real(w)))(
        jnp.linalg.eigvals(a)), [(3, 3)]),
    ("eigvals_pair", lambda a: (lambda w: jnp.sort(jnp.abs(w)))(
        jnp.linalg.eigvals(a + jnp.array([[0., 3, 0], [-3, 0, 0], [0, 0, 1]]))), [(3, 3)]),
    ("cho_solve", lambda a, b: mlax.scipy.linalg.cho_solve(
        mlax.scipy.linalg.cho_factor(a @ a.T + 3 * jnp.eye(3)), b), [(3, 3), (3,)]),
]


@pytest.mark.parametrize("name,f,shapes", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_grads_match_finite_differences(name, f, shapes, x64):
    rng = np.random.default_rng(1)
    args = [rng.uniform(-1, 1, s) for s in shapes]
    check_grads(f, args, order=1, modes=("fwd", "rev"), atol=1e-4, rtol=1e-4)


def test_grads_match_jax():
    # JAX's side compiled as one program per derivative (op by op it compiles ~50 times).
    g = mlax.grad(lambda s: jnp.sum(jnp.linalg.cholesky(s)))(S)
    _close(g, jax.jit(jax.grad(lambda s: J.sum(J.linalg.cholesky(s))))(S), rtol=1e-3, atol=1e-4)
    g = mlax.grad(lambda a: jnp.sum(jnp.linalg.svd(a, compute_uv=False)))(A)
    _close(g, jax.jit(jax.grad(lambda a: J.sum(J.linalg.svd(a, compute_uv=False))))(A), rtol=1e-3, atol=1e-4)
    g = mlax.grad(lambda s: jnp.linalg.eigh(s)[0][-1])(S)
    _close(g, jax.jit(jax.grad(lambda s: J.linalg.eigh(s)[0][-1]))(S), rtol=1e-3, atol=1e-4)
    f = lambda m: lambda a: m.sum(m.real(m.linalg.eigvals(a)) ** 2 + m.imag(m.linalg.eigvals(a)) ** 3)
    _close(mlax.grad(f(jnp))(A), jax.jit(jax.grad(f(J)))(A), rtol=1e-3, atol=1e-4)
    _close(mlax.jvp(jnp.linalg.eigvals, (A,), (S,))[1], jax.jvp(J.linalg.eigvals, (A,), (S,))[1],
           rtol=1e-3, atol=1e-4)
    c = (A + 1j * S).astype(np.complex64)
    h = lambda m: lambda a: m.sum(m.linalg.eigvals(a) ** 2)
    _close(mlax.grad(h(jnp), holomorphic=True)(c), jax.jit(jax.grad(h(J), holomorphic=True))(c),
           rtol=1e-3, atol=1e-3)
    _close(mlax.jit(mlax.vmap(mlax.grad(f(jnp))))(np.stack([A, S])),
           jax.jit(jax.vmap(jax.grad(f(J))))(np.stack([A, S])), rtol=1e-3, atol=1e-4)


def test_hermitian_eigh_grads_match_jax_and_finite_differences(x64):
    h = (A + 1j * S).astype(np.complex64)
    f = lambda m: lambda a: (m.sum(m.linalg.eigvalsh(a) * m.arange(4.0))
                             + m.sum(m.abs(m.linalg.eigh(a)[1][..., 0, :]) ** 2 * m.arange(4.0)))
    _close(mlax.grad(f(jnp))(h), jax.grad(f(J))(h), rtol=1e-3, atol=1e-4)
    t = (S - 2j * A).astype(np.complex64)
    _close(mlax.jvp(jnp.linalg.eigvalsh, (h,), (t,))[1], jax.jvp(J.linalg.eigvalsh, (h,), (t,))[1],
           rtol=1e-3, atol=1e-4)
    rng = np.random.default_rng(2)
    z = rng.uniform(-1, 1, (3, 3)) + 1j * rng.uniform(-1, 1, (3, 3))
    check_grads(lambda a: jnp.linalg.eigvalsh(a + 4 * jnp.eye(3)) * jnp.arange(1.0, 4.0), (z,),
                order=1, modes=("rev",), atol=1e-4, rtol=1e-4)


def test_complex_qr_jvp_matches_jax():
    a, t = (A[:, :3] + 1j * S[:, :3]).astype(np.complex64), (S[:, :3] - 1j * A[:, :3]).astype(np.complex64)
    for x, dx in ((a, t), (a[:3], t[:3])):
        _close(mlax.jvp(jnp.linalg.qr, (x,), (dx,))[1], jax.jvp(J.linalg.qr, (x,), (dx,))[1],
               rtol=1e-3, atol=1e-5)
    with pytest.raises(NotImplementedError, match="reverse-mode derivative of 'mlax.qr'"):
        mlax.grad(lambda y: jnp.sum(jnp.abs(jnp.linalg.qr(y)[1])))(a)


def test_complex_svd_derivatives_match_jax():
    a, t = (A[:, :3] + 1j * S[:, :3]).astype(np.complex64), (S[:, :3] - 1j * A[:, :3]).astype(np.complex64)
    for x, dx in ((a, t), (a.T, t.T), (a[:3], t[:3])):
        f = lambda m: lambda y: m.linalg.svd(y, full_matrices=False)
        _close(mlax.jvp(f(jnp), (x,), (dx,))[1], jax.jvp(f(J), (x,), (dx,))[1], rtol=1e-3, atol=1e-5)
        g = lambda m: lambda y: m.linalg.norm(y, "nuc") + m.linalg.norm(y, 2)
        _close(mlax.grad(g(jnp))(x), jax.grad(g(J))(x), rtol=1e-3, atol=1e-5)
    with pytest.raises(NotImplementedError, match="singular vectors of a complex matrix"):
        mlax.grad(lambda y: jnp.sum(jnp.abs(jnp.linalg.svd(y, full_matrices=False)[0])))(a)


def test_unsupported_derivatives_raise():
    with pytest.raises(NotImplementedError, match="full_matrices"):
        mlax.grad(lambda a: jnp.sum(jnp.linalg.svd(a)[0]))(A)
    with pytest.raises(NotImplementedError, match="m < n"):
        mlax.grad(lambda a: jnp.sum(jnp.linalg.qr(a)[1]))(A[:2])
    with pytest.raises(NotImplementedError, match="eigenvectors"):
        mlax.grad(lambda a: jnp.sum(jnp.abs(jnp.linalg.eig(a)[0])))(A)
    with pytest.raises(NotImplementedError, match="enable_eigvec_derivs"):
        L.eig(A, enable_eigvec_derivs=True)
    with pytest.raises(NotImplementedError, match="schur"):
        mlax.grad(lambda a: jnp.sum(L.schur(a)[0]))(A)
    with pytest.raises(NotImplementedError, match="householder_product"):
        mlax.grad(lambda a: jnp.sum(L.householder_product(a, L.geqrf(a)[1])))(A)


# ---------------------------------------------------------------------------------------
# vmap against a Python loop


VMAP_ROWS = [
    ("cholesky", lambda x: L.cholesky(x), [_spd(3, 4, 4)], (0,)),
    ("lu", lambda x: L.lu(x), [_m(4, 3, 5)], (0,)),
    ("qr", lambda x: L.qr(x), [np.moveaxis(_m(4, 3, 2), 1, 0)], (1,)),
    ("eigh", lambda x: L.eigh(x), [_spd(2, 3, 3)], (0,)),
    ("eigh_complex", lambda x: L.eigh(x), [_c(3, 2, 3)], (1,)),
    ("eig", lambda x: L.eig(x), [np.moveaxis(_m(2, 3, 3), 0, 2)], (2,)),
    ("eigvals_complex", jnp.linalg.eigvals, [_c(2, 3, 3)], (0,)),
    ("lu_complex", lambda x: L.lu(x), [_c(3, 4, 4)], (0,)),
    ("geqrf", lambda x: L.geqrf(x), [np.moveaxis(_m(3, 4, 2), 0, 1)], (1,)),
    ("qr_pivoting", lambda x: L.qr(x, pivoting=True), [_m(3, 4, 4)], (0,)),
    ("schur", lambda x: L.schur(x), [np.moveaxis(_m(2, 3, 3), 0, 2)], (2,)),
    ("householder_product", L.householder_product,
     [_m(2, 4, 3), np.moveaxis(_m(2, 2), 0, 1)], (0, 1)),
    ("svd", lambda x: L.svd(x, full_matrices=False), [np.moveaxis(_m(3, 2, 4), 0, 2)], (2,)),
    ("triangular_solve", lambda a, b: L.triangular_solve(a, b, left_side=True, lower=True),
     [_spd(3, 4, 4), _m(4, 2)], (0, None)),
    ("triangular_solve_b", lambda a, b: L.triangular_solve(a, b, left_side=True, lower=True),
     [_spd(4, 4), _m(4, 3, 2)], (None, 1)),
    ("solve", jnp.linalg.solve, [_spd(2, 3, 3), _m(2, 3)], (0, 0)),
]


@pytest.mark.parametrize("name,f,args,in_axes", VMAP_ROWS, ids=[r[0] for r in VMAP_ROWS])
def test_vmap_matches_loop(name, f, args, in_axes):
    n = next(a.shape[ax] for a, ax in zip(args, in_axes) if ax is not None)
    got = _flatten(mlax.vmap(f, in_axes=in_axes)(*args))
    rows = [_flatten(f(*[a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]))
            for i in range(n)]
    want = tuple(np.stack([np.asarray(r[k]) for r in rows]) for k in range(len(rows[0])))
    _close(tuple(np.asarray(g) for g in got), want)


# ---------------------------------------------------------------------------------------
# A saved module calls LAPACK too


def test_saved_module_loads_and_runs(tmp_path):
    from mlax.runtime import aot
    f = mlax.jit(lambda a, b: jnp.linalg.solve(a, b))
    f.lower(S, B).compile().save(str(tmp_path / "solver"), name="solve")
    meta = (tmp_path / "solver" / "mlax_module.json").read_text()
    assert "libscipy_openblas" in meta
    mod = aot.load(str(tmp_path / "solver"))
    _close(mod.solve(S, B), np.asarray(J.linalg.solve(S, B)))


# ---------------------------------------------------------------------------------------
# The tpu backend (StableHLO's cholesky and triangular_solve, LAPACK's custom calls, run by
# XLA), against JAX

def _lowers_on_tpu(f, args):
    from mlax.lowering.stablehlo import UNSUPPORTED
    text = mlax.make_ir(f)(*args).as_text()
    return not any(f'"{name}"' in text for name in UNSUPPORTED)


def test_ops_on_tpu_match_jax():
    """The rows of OP_ROWS whose ops the tpu backend lowers, triangular solves of every
    kind, a matrix that is not positive definite and a singular one, Schur forms (the same
    LAPACK as JAX's, so the same phases), in one jitted function."""
    rows = [(name, f, jf, make(*shape)) for name, f, jf, shape, make in OP_ROWS
            if _lowers_on_tpu(f, [make(*shape)])]
    assert {r[0] for r in rows} == {
        "cholesky", "eigh", "eigh_complex", "eigh_upper", "eigh_complex_upper", "geqrf",
        "householder_product", "householder_product_k1", "qr_fullTrue", "qr_fullFalse",
        "qr_complex_fullTrue", "qr_complex_fullFalse", "svd_fullTrue", "svd_fullFalse", "svd_s",
        "svd_complex_fullTrue", "svd_complex_fullFalse", "lu", "lu_complex", "eig_TrueTrue",
        "eig_FalseTrue", "eig_FalseFalse", "qr_pivoting_fullTrue", "qr_pivoting_fullFalse"}
    a, ac = _spd(2, 4, 4), _c(2, 4, 4) + 4 * np.eye(4, dtype=np.complex64)
    solves = [dict(left_side=left, lower=lower, transpose_a=t, unit_diagonal=unit)
              for left in (True, False) for lower in (True, False) for t in (True, False)
              for unit in (True, False)]
    bs = [_m(2, 4, 3) if kw["left_side"] else _m(2, 3, 4) for kw in solves]
    bc = _c(2, 4, 3)
    not_pd = np.stack([-np.eye(3, dtype=np.float32), _spd(3, 3)])
    singular = np.ones((3, 3), np.float32)
    schur_args = [_m(5, 5), _c(2, 4, 4)]

    def every_op(xs, bs, bc, not_pd, singular, schur_args):
        return ([f(x) for (_, f, _, _), x in zip(rows, xs)],
                [L.triangular_solve(a, b, **kw) for b, kw in zip(bs, solves)],
                [L.triangular_solve(ac, bc, left_side=True, lower=lower, transpose_a=t)
                 for lower in (True, False) for t in (True, False)],
                jnp.linalg.cholesky(not_pd), jnp.linalg.det(singular),
                tuple(jnp.linalg.slogdet(singular)),
                [L.schur(x) for x in schur_args], L.schur(schur_args[0], compute_schur_vectors=False)[0])

    got = mlax.jit(every_op, backend="tpu")([r[3] for r in rows], bs, bc, not_pd, singular,
                                            schur_args)
    want = ([jf(x) for _, _, jf, x in rows],
            [JL.triangular_solve(a, b, **kw) for b, kw in zip(bs, solves)],
            [JL.triangular_solve(ac, bc, left_side=True, lower=lower, transpose_a=t)
             for lower in (True, False) for t in (True, False)],
            J.linalg.cholesky(not_pd), J.linalg.det(singular), tuple(J.linalg.slogdet(singular)),
            [JL.schur(x) for x in schur_args], JL.schur(schur_args[0], compute_schur_vectors=False)[0])
    _close(mlax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want))


def test_grads_on_tpu_match_the_cpu_backend():
    """The rows of GRAD_ROWS whose gradients the tpu backend lowers, in one jitted function."""
    rng = np.random.default_rng(1)

    def grad_of(f, n):
        return mlax.grad(lambda *a: sum(jnp.sum(jnp.sin(t)) for t in mlax.tree_util.tree_leaves(f(*a))),
                         tuple(range(n)))

    rows = [(name, grad_of(f, len(shapes)), [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes])
            for name, f, shapes in GRAD_ROWS]
    rows = [r for r in rows if _lowers_on_tpu(r[1], r[2])]
    assert {r[0] for r in rows} >= {"cholesky", "triangular_solve", "qr", "qr_square", "eigh",
                                    "svd_tall", "svd_wide", "svdvals", "pinv", "lu", "solve",
                                    "slogdet", "det_inv", "cho_solve", "qr_pivoting", "eigvals"}

    def grads(args):
        return [g(*xs) for (_, g, _), xs in zip(rows, args)]

    args = [r[2] for r in rows]
    with mlax.default_matmul_precision("highest"):   # float32 products, as the CPU's
        got = mlax.jit(grads, backend="tpu")(args)
    _close(mlax.tree_util.tree_leaves(got), mlax.tree_util.tree_leaves(mlax.jit(grads)(args)))


def test_lapack_calls_on_tpu_in_a_fresh_process():
    """LAPACK's custom calls in a process that has run nothing else (the runtime loads the
    routines: without that, the first call crashed)."""
    out = run_case("""
        import numpy as np, mlax
        from mlax.lax import linalg as L
        x = np.arange(12.0, dtype=np.float32).reshape(4, 3) ** 0.5
        q, r = mlax.jit(L.qr, backend="tpu")(x)
        print(np.allclose(np.asarray(q) @ np.asarray(r), x, atol=1e-5))
    """)
    assert out.stdout.strip().splitlines()[-1] == "True"


# -- sqrtm, hessenberg, eigh_tridiagonal (compositions, as in jax.scipy.linalg) -----------

import mlax.scipy.linalg as msl  # noqa: E402


def _allclose(got, want, rtol=1e-4, atol=1e-4):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, got.shape, want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("kind", ["spd", "general", "complex"])
def test_sqrtm_matches_jax(kind):
    a = {"spd": _spd(5, 5), "general": _m(5, 5), "complex": _c(4, 4)}[kind]
    got = mlax.jit(msl.sqrtm)(a)
    _allclose(got, jsp.sqrtm(a), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(np.asarray(got) @ np.asarray(got), a, rtol=1e-3, atol=1e-3)
    with pytest.raises(NotImplementedError, match="Blocked"):
        msl.sqrtm(a, blocksize=2)


@pytest.mark.parametrize("a", [_m(5, 5), _c(5, 5), _m(2, 4, 4), _m(2, 2), _m(5, 5, dtype=np.float64)],
                         ids=["real", "complex", "batched", "2x2", "f64"])
def test_hessenberg_matches_jax(a):
    _allclose(mlax.jit(msl.hessenberg)(a), jsp.hessenberg(a))
    h, q = msl.hessenberg(a, calc_q=True)
    hj, qj = jsp.hessenberg(a, calc_q=True)
    _allclose(h, hj)
    _allclose(q, qj)
    np.testing.assert_allclose(np.asarray(q) @ np.asarray(h) @ np.conj(np.swapaxes(np.asarray(q), -1, -2)), a,
                               rtol=1e-4, atol=1e-4)


def test_hessenberg_vmap_matches_loop():
    a = _m(3, 4, 4)
    got = mlax.vmap(msl.hessenberg)(a)
    _allclose(got, np.stack([np.asarray(msl.hessenberg(m)) for m in a]))


def test_eigh_tridiagonal_matches_jax():
    d, e = _m(6), _m(5)
    for kw in [{}, {"select": "i", "select_range": (1, 3)}, {"tol": 1e-3}]:
        _allclose(mlax.jit(lambda d, e: msl.eigh_tridiagonal(d, e, eigvals_only=True, **kw))(d, e),
                  jsp.eigh_tridiagonal(d, e, eigvals_only=True, **kw), rtol=1e-5, atol=1e-5)
    ec = (e + 1j * e[::-1]).astype(np.complex64)
    _allclose(msl.eigh_tridiagonal(d.astype(np.complex64), ec, eigvals_only=True),
              jsp.eigh_tridiagonal(d.astype(np.complex64), ec, eigvals_only=True), rtol=1e-5, atol=1e-5)
    # Eigenvectors: JAX's up to sign (its inverse iteration starts from random vectors).
    w, v = msl.eigh_tridiagonal(d, e)
    wj, vj = jsp.eigh_tridiagonal(d, e)
    _allclose(w, wj, rtol=1e-5, atol=1e-5)
    _allclose(np.abs(np.asarray(v)), np.abs(np.asarray(vj)))
    t = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    np.testing.assert_allclose(t @ np.asarray(v), np.asarray(v) * np.asarray(w), atol=1e-4)
    with pytest.raises(TypeError, match="same dtype"):
        msl.eigh_tridiagonal(d, e.astype(np.complex64))
    with pytest.raises(NotImplementedError, match="select='v'"):
        msl.eigh_tridiagonal(d, e, select="v", select_range=(0.0, 1.0))
