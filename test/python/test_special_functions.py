"""The special functions of jax.scipy.special, jax.lax and jnp.i0 that are series, continued
fractions and rational approximations (mlax.scipy.special_series, mlax.lax_special): values
against JAX over wide ranges with their edge cases, float32 and float64, derivatives against
JAX and finite differences, vmap against a loop, and jit.

The tolerances are the measured largest relative differences to JAX, rounded up: most are
within 1-3 float32 ulps (1e-7 .. 5e-7); the exponential integrals, comb and owens_t within
2e-6 (a few ulps of a cancellation). The lax functions, measured in float32 ulps over dense
ranges (test_lax_functions_ulps): bessel_i0e 4, bessel_i1e 8 (near |x| = 8, where Clenshaw's
recurrence cancels: JAX's own is 9 ulps from SciPy's float64 there, mlax's 11), zeta 1,
polygamma 12 (a few ulps of zeta times m!, as accurate as JAX's against SciPy: 2e-5)."""
import numpy as np
import pytest

import mlax
import mlax.scipy.special as msp
from mlax import lax
from mlax import numpy as jnp
from mlax.test_util import check_grads

J = pytest.importorskip("jax")
jsp = pytest.importorskip("jax.scipy.special")
scipy_special = pytest.importorskip("scipy.special")

f32 = np.float32
_rng = np.random.default_rng(0)

# The real line at several scales, and its edge cases.
X = np.concatenate([np.linspace(-30, 30, 61), _rng.uniform(-200, 200, 10),
                    [0, -0.0, 1e-6, -1e-6, 3.25, 6.25, 8, -8, 100, 1e10, np.inf, -np.inf, np.nan]]
                   ).astype(f32)
# For the exponential integrals: JAX's loops never end on |x| < ~1e-8 (mlax's do, below).
X_EXPINT = X[(np.abs(X) >= 1e-3) | (X == 0) | np.isnan(X)]
XPOS = np.abs(X)


def _check(got, want, rtol, atol=0.0):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))


_N = np.array([0, 1, 2, 3, 5, 10, 1, 2, -1, 6000, 4, 30], f32)
_NX = np.array([0.5, 0.5, 2, 0.1, 10, 3, 0, 0, 1, 2, 0.01, 50], f32)
_A1 = np.array([0.5, 1, 2, -1.5, 3, 0, 1, 2, 0.7, -3, 0.5], f32)
_B1 = np.array([1.5, 2, 0.5, 2.5, 3, 1, 0, 2, 4.5, 1.5, 2.3], f32)
_X1 = np.array([0.3, -2, 5, 1, 150, 2, 1, -3, 30, 0.5, -1], f32)
# hyp2f1 for x <= 1 (JAX's series diverges beyond -1; neither is right there).
_A2 = np.array([0.5, 1, 2, -2, 1.5, 1, 0.3, 1, 0.5, 2], f32)
_B2 = np.array([1.5, 2, 0.5, 3, 1, 1, 0.7, 0, 0.5, 3], f32)
_C2 = np.array([2, 3.5, 4, 1, 3, 2, 2, 1, 1.5, 5], f32)
_X2 = np.array([0.3, -0.9, 0.5, 0.7, 0.95, 0.95, 1, 0.5, 0, -0.5], f32)
_H = np.array([0, 0.5, 1, 2, -1, 3, 0.1, np.nan, 5, 0.3, 1], f32)
_OA = np.array([0.5, 1, 2, 0.3, -0.7, 10, 0, 1, 0.2, -3, np.inf], f32)
_ZX = np.array([1.5, 2, 3, 4.5, 10, 1, 0.5, 2, 2, 3, 50, 2], f32)
_ZQ = np.array([1, 0.5, 2, 10, 3, 2, 2, -1, -2, 0.1, 0.1, 1e3], f32)

# (function, args, keyword args, rtol)
VALUES = [
    ("erfcx", (X,), {}, 5e-7), ("dawsn", (X,), {}, 5e-7),
    ("i0", (X,), {}, 5e-7), ("i0e", (X,), {}, 5e-7), ("i1", (X,), {}, 5e-7),
    ("i1e", (X,), {}, 5e-7),
    ("expi", (X_EXPINT,), {}, 2e-6), ("exp1", (X_EXPINT,), {}, 2e-6),
    ("expn", (_N, _NX), {}, 1e-6),
    ("sici", (X,), {}, 5e-7), ("spence", (XPOS,), {}, 5e-7),
    ("comb", (np.array([5, 10, 3, 0, -1, 20.5, 30], f32), np.array([2, 3, 5, 0, 1, 4, 15], f32)),
     {}, 3e-6),
    ("comb", (np.array([5, 10, 3], f32), np.array([2, 3, 0], f32)), {"repetition": True}, 3e-6),
    ("bessel_jn", (np.array([0.5, 1, 5, 10, 30, 0.01], f32),), {"v": 4}, 5e-7),
    ("hyp1f1", (_A1, _B1, _X1), {}, 1e-6),
    ("hyp2f1", (_A2, _B2, _C2, _X2), {}, 1e-6),
    ("owens_t", (_H, _OA), {}, 2e-6),
    ("zeta", (_ZX, _ZQ), {}, 1e-6),
    ("polygamma", (np.array([0, 1, 2, 3, 4, 1, 0], np.int32),
                   np.array([0.5, 2, 3, -1.5, 10, 0, -2], f32)), {}, 1e-6),
    ("bernoulli", (12,), {}, 5e-7),
]


@pytest.mark.parametrize("name,args,kw,rtol", [pytest.param(*v, id=v[0]) for v in VALUES])
def test_values_match_jax(name, args, kw, rtol):
    got, want = getattr(msp, name)(*args, **kw), getattr(jsp, name)(*args, **kw)
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            _check(g, w, rtol, atol=1e-30)
    else:
        _check(got, want, rtol, atol=1e-30)


@pytest.mark.parametrize("name,args", [
    ("bessel_i0e", (X,)), ("bessel_i1e", (X,)), ("zeta", (_ZX, _ZQ)),
    ("polygamma", (np.array([0, 1, 2, 3, 4, 1, 0.5, -1], f32),
                   np.array([0.5, 2, 3, -1.5, 10, 0, 1, 1], f32)))])
def test_lax_functions_match_jax(name, args):
    _check(getattr(lax, name)(*args), getattr(J.lax, name)(*args), 1e-6, atol=1e-30)


def _ulps(got, want):
    got, want = np.asarray(got), np.asarray(want)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    return np.max(np.abs(got[finite] - want[finite]) / np.spacing(np.abs(want[finite])))


def test_lax_functions_ulps():
    x = np.linspace(-100, 100, 20001).astype(f32)
    assert _ulps(lax.bessel_i0e(x), J.lax.bessel_i0e(x)) <= 4
    assert _ulps(lax.bessel_i1e(x), J.lax.bessel_i1e(x)) <= 8
    r = np.random.default_rng(1)
    s, q = r.uniform(1.01, 20, 4000).astype(f32), r.uniform(0.01, 20, 4000).astype(f32)
    assert _ulps(lax.zeta(s, q), J.lax.zeta(s, q)) <= 1
    m = r.integers(0, 6, 4000).astype(f32)
    assert _ulps(lax.polygamma(m, q), J.lax.polygamma(m, q)) <= 12
    # lax.zeta has no derivative in JAX; mlax's, through its composition, is JAX's
    # scipy.special.zeta derivative within 3e-7.
    got = mlax.vmap(mlax.grad(lax.zeta, (0, 1)))(s[:40], q[:40])
    want = J.vmap(J.grad(jsp.zeta, (0, 1)))(s[:40], q[:40])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_jnp_i0_and_its_derivative_at_zero():
    _check(jnp.i0(X), J.numpy.i0(X), 5e-7)
    x = np.array([-2, -0.5, 0, 0.5, 2, 10], f32)
    _check(mlax.vmap(mlax.grad(jnp.i0))(x), J.vmap(J.grad(J.numpy.i0))(x), 1e-6)


def test_edge_cases_where_jax_gives_no_answer():
    # JAX's loops never end here; mlax's give SciPy's values.
    tiny = np.array([1e-20, 1e-10], f32)
    np.testing.assert_allclose(msp.exp1(tiny), scipy_special.exp1(tiny.astype(float)), rtol=1e-6)
    np.testing.assert_allclose(msp.expi(-tiny), scipy_special.expi(-tiny.astype(float)), rtol=1e-6)
    # lax.zeta(inf, 1) is 1 (the first term), as SciPy; JAX's pow gives NaN there.
    assert float(lax.zeta(f32(np.inf), f32(1))) == scipy_special.zeta(np.inf, 1) == 1


def test_errors():
    with pytest.raises(NotImplementedError, match="Riemann zeta"):
        msp.zeta(2.0)
    with pytest.raises(ValueError, match="integer type"):
        msp.polygamma(1.0, 2.0)
    with pytest.raises(ValueError, match="non-negative"):
        msp.bernoulli(-1)
    with pytest.raises(TypeError, match="not supported"):
        msp.spence(np.array([1, 2], np.int32))
    for name in ("wofz", "sph_harm_y"):
        with pytest.raises(NotImplementedError, match=name):
            getattr(msp, name)


# (function, args, argnums, rtol): derivatives against JAX's custom rules.
GRADS = [
    ("erfcx", (np.array([-2, 0, 0.5, 3, 12], f32),), (0,), 1e-5),
    ("dawsn", (np.array([-2, 0, 0.5, 4, 8], f32),), (0,), 1e-5),
    ("i0e", (np.array([-2, 0.5, 3, 12], f32),), (0,), 1e-5),
    ("i1e", (np.array([-2, 0, 0.5, 3, 12], f32),), (0,), 1e-5),
    ("i0", (np.array([-2, 0.5, 3], f32),), (0,), 1e-5),
    ("i1", (np.array([-2, 0.5, 3], f32),), (0,), 1e-5),
    ("expi", (np.array([-2, 0.5, 3, 20], f32),), (0,), 1e-5),
    ("exp1", (np.array([0.2, 0.5, 3, 20], f32),), (0,), 1e-5),
    ("expn", (np.array([2, 3, 1, 5], f32), np.array([0.2, 0.5, 3, 20], f32)), (1,), 1e-5),
    ("spence", (np.array([0.2, 0.7, 1.7, 3], f32),), (0,), 1e-5),
    ("hyp1f1", (np.array([0.5, 1, 2], f32), np.array([1.5, 2.5, 3], f32),
                np.array([0.3, -2, 5], f32)), (0, 1, 2), 1e-4),
    ("hyp2f1", (np.array([0.5, 1, 0.3], f32), np.array([1.5, 2, 0.7], f32),
                np.array([2.5, 3.5, 2], f32), np.array([0.3, -0.5, 0.6], f32)), (0, 1, 2, 3), 1e-4),
    ("owens_t", (np.array([0.5, 1, 2, -1], f32), np.array([0.5, 2, 0.3, -0.7], f32)), (0, 1), 1e-5),
    ("zeta", (np.array([2, 3, 4.5], f32), np.array([1, 2, 0.5], f32)), (0, 1), 1e-4),
    ("polygamma", (np.array([1, 2, 0], np.int32), np.array([0.5, 3, 2], f32)), (1,), 1e-5),
]


@pytest.mark.parametrize("name,args,argnums,rtol", [pytest.param(*g, id=g[0]) for g in GRADS])
def test_grads_match_jax(name, args, argnums, rtol):
    def total(mod):
        return lambda *a: getattr(mod, name)(*a).sum()
    got = mlax.grad(total(msp), argnums)(*args)
    # JAX's gradient compiled as one program (op by op its series loops compile many times).
    want = J.jit(J.grad(total(jsp), argnums))(*args)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=1e-6)


def test_sici_grads_match_jax():
    x = np.array([-3, 0.5, 2, 10], f32)
    for i in (0, 1):
        got = mlax.vmap(mlax.grad(lambda x: msp.sici(x)[i]))(x)
        want = J.vmap(J.grad(lambda x: jsp.sici(x)[i]))(x)
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_lax_derivatives():
    x = np.array([-3, -0.5, 0, 0.5, 2, 10], f32)
    for name in ("bessel_i0e", "bessel_i1e"):
        got = mlax.vmap(mlax.grad(getattr(lax, name)))(x)
        want = J.vmap(J.grad(getattr(J.lax, name)))(x)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    m, y = np.array([0, 1, 2], f32), np.array([0.5, 2, 3], f32)
    got = mlax.grad(lambda y: lax.polygamma(m, y).sum())(y)
    np.testing.assert_allclose(got, J.grad(lambda y: J.lax.polygamma(m, y).sum())(y), rtol=1e-5)
    # JAX defines no derivative of polygamma in m: an error, not a value.
    with pytest.raises(Exception):
        mlax.grad(lambda m: lax.polygamma(m, f32(2.0)))(f32(1.0))


def test_grads_against_finite_differences(x64):
    check_grads(msp.erfcx, (np.array([-1.5, 0.3, 2.0, 30.0]),), order=1, modes=("fwd", "rev"))
    check_grads(msp.dawsn, (np.array([-1.5, 0.3, 4.0, 8.0]),), order=1, modes=("fwd", "rev"))
    check_grads(msp.i1e, (np.array([-1.5, 0.3, 9.0]),), order=2, modes=("fwd", "rev"))
    check_grads(msp.expi, (np.array([-1.5, 0.3, 9.0]),), order=1, modes=("fwd", "rev"))
    check_grads(lambda x: msp.zeta(x, np.array([1.0, 2.5])), (np.array([2.5, 4.0]),), order=1,
                modes=("fwd", "rev"))
    check_grads(msp.owens_t, (np.array([0.5, 2.0]), np.array([0.4, 3.0])), order=1,
                modes=("fwd", "rev"))
    check_grads(lambda x: msp.hyp1f1(np.array([0.5, 2.0]), np.array([1.5, 3.0]), x),
                (np.array([0.3, -2.0]),), order=1, modes=("fwd", "rev"))


def test_float64_matches_jax(x64):
    cfg = J.config.read("jax_enable_x64")
    J.config.update("jax_enable_x64", True)
    try:
        x = X.astype(np.float64)
        x_expint = X_EXPINT.astype(np.float64)
        for name, args, rtol in [
                ("erfcx", (x,), 1e-14), ("dawsn", (x,), 1e-14), ("i0e", (x,), 1e-14),
                ("i1e", (x,), 1e-14), ("i0", (x,), 1e-14), ("expi", (x_expint,), 1e-13),
                ("sici", (x,), 1e-14), ("spence", (np.abs(x),), 1e-14),
                ("zeta", (_ZX.astype(float), _ZQ.astype(float)), 1e-13),
                ("hyp1f1", (_A1.astype(float), _B1.astype(float), _X1.astype(float)), 1e-13),
                ("hyp2f1", tuple(a.astype(float) for a in (_A2, _B2, _C2, _X2)), 1e-13),
                ("owens_t", (_H.astype(float), _OA.astype(float)), 1e-14)]:
            got, want = getattr(msp, name)(*args), getattr(jsp, name)(*args)
            for g, w in zip(*(v if isinstance(v, tuple) else (v,) for v in (got, want))):
                _check(g, w, rtol, atol=1e-300)
        _check(lax.polygamma(np.array([1.0, 3.0]), np.array([0.5, 7.0])),
               J.lax.polygamma(np.array([1.0, 3.0]), np.array([0.5, 7.0])), 1e-13)
    finally:
        J.config.update("jax_enable_x64", cfg)


def test_vmap_matches_loop():
    a, b, x = _A1[:4], _B1[:4], _X1[:4]
    got = mlax.vmap(msp.hyp1f1)(a, b, x)
    want = np.stack([np.asarray(msp.hyp1f1(a[i], b[i], x[i])) for i in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    xs = np.array([[0.5, 2.0], [3.0, 12.0]], f32)
    got = mlax.vmap(msp.i1)(xs)
    want = np.stack([np.asarray(msp.i1(xs[i])) for i in range(2)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    got = mlax.vmap(lambda n, x: msp.expn(n, x))(_N[:4], _NX[:4])
    want = np.array([float(msp.expn(_N[i], _NX[i])) for i in range(4)], f32)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_under_jit():
    x = np.array([0.5, 2.0, 7.0], f32)
    _check(mlax.jit(msp.dawsn)(x), jsp.dawsn(x), 5e-7)
    _check(mlax.jit(lambda x: msp.zeta(x + 1, x))(x), jsp.zeta(x + 1, x), 1e-6)
    _check(mlax.jit(lambda x: msp.bessel_jn(x, v=2))(x), jsp.bessel_jn(x, v=2), 5e-7)
    z = np.array([[0.5, 2.0, 7.0], [1.0, 3.0, 20.0]], f32)
    _check(msp.bessel_jn(z, v=3, n_iter=60), jsp.bessel_jn(z, v=3, n_iter=60), 5e-7)
    _check(mlax.jit(lambda x: msp.hyp2f1(x, x, x + 2, x / 10))(x),
           jsp.hyp2f1(x, x, x + 2, x / 10), 1e-6)
