"""Complex numbers: values against JAX (eagerly, under jit and under vmap), JAX's dtype
promotion, the ordering ops JAX refuses, derivatives in JAX's convention (against JAX and
finite differences), conversions and printing."""
from __future__ import annotations

import numpy as np
import pytest

import mlax
from mlax import lax
from mlax import numpy as mnp
from mlax.test_util import check_grads

jax = pytest.importorskip("jax")
jnp = jax.numpy

Z = np.array([1.5 - 0.7j, -0.3 + 2.0j, 0.25 + 0.1j, -1.2 - 0.4j], np.complex64)
W = np.array([0.5 + 0.5j, 1.0 - 2.0j, -0.75 + 0.2j, 2.0 + 0.0j], np.complex64)
X = np.array([0.5, -1.0, 2.0, 0.1], np.float32)
# Rows of complex numbers with ties in the real parts (and whole ties), for the orderings.
_R = np.random.default_rng(3)
T1 = (_R.integers(-2, 3, (4, 7)) + 1j * _R.integers(-2, 3, (4, 7))).astype(np.complex64)
T2 = (_R.integers(-2, 3, (4, 7)) + 1j * _R.integers(-2, 3, (4, 7))).astype(np.complex64)

# (name, f(np_namespace, *args), args): each row runs eagerly, under jit and under vmap.
VALUES = [
    ("add", lambda n, a, b: a + b, (Z, W)),
    ("sub", lambda n, a, b: a - b, (Z, W)),
    ("mul", lambda n, a, b: a * b, (Z, W)),
    ("div", lambda n, a, b: a / b, (Z, W)),
    ("pow", lambda n, a, b: a ** b, (Z, W)),
    ("integer_pow", lambda n, a: a ** 3, (Z,)),
    ("neg", lambda n, a: -a, (Z,)),
    ("abs", lambda n, a: n.abs(a), (Z,)),
    ("sign", lambda n, a: n.sign(a), (Z,)),
    ("conj", lambda n, a: n.conj(a), (Z,)),
    ("real", lambda n, a: n.real(a), (Z,)),
    ("imag", lambda n, a: n.imag(a), (Z,)),
    ("angle", lambda n, a: n.angle(a), (Z,)),
    ("angle_deg", lambda n, a: n.angle(a, deg=True), (Z,)),
    ("exp", lambda n, a: n.exp(a), (Z,)),
    ("exp2", lambda n, a: n.exp2(a), (Z,)),
    ("round", lambda n, a: n.round(a * 1.7), (Z,)),
    ("round_decimals", lambda n, a: n.round(a * 1.77, 1), (Z,)),
    ("log", lambda n, a: n.log(a), (Z,)),
    ("log1p", lambda n, a: n.log1p(a), (Z,)),
    ("expm1", lambda n, a: n.expm1(a), (Z,)),
    ("sqrt", lambda n, a: n.sqrt(a), (Z,)),
    ("sin", lambda n, a: n.sin(a), (Z,)),
    ("cos", lambda n, a: n.cos(a), (Z,)),
    ("tan", lambda n, a: n.tan(a), (Z,)),
    ("tanh", lambda n, a: n.tanh(a), (Z,)),
    ("sinh", lambda n, a: n.sinh(a), (Z,)),
    ("cosh", lambda n, a: n.cosh(a), (Z,)),
    ("eq", lambda n, a, b: a == b, (Z, Z)),
    ("ne", lambda n, a, b: a != b, (Z, W)),
    ("isfinite", lambda n, a: n.isfinite(a / n.real(a - a)), (Z,)),
    ("imag_unit", lambda n, a: 1j * a + 2, (X,)),
    ("complex_of_parts", lambda n, a: lax_complex(n)(a, 2 * a), (X,)),
    ("float_promotes", lambda n, a, b: a * b, (Z, X)),
    ("where", lambda n, a, b: n.where(n.real(a) > 0, a, b), (Z, W)),
    ("astype_float", lambda n, a: n.real(a.astype(n.complex64)) + 1, (X,)),
    *[(f"{name}", lambda n, a, name=name: getattr(n, name)(a), (Z,))
      for name in ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh")],
    # Orderings: lexicographic (real parts, then imaginary parts), as JAX orders them.
    ("maximum", lambda n, a, b: n.maximum(a, b), (T1, T2)),
    ("minimum", lambda n, a, b: n.minimum(a, b), (T1, T2)),
    ("lax_max_min", lambda n, a, b: ((jax.lax if n is jnp else lax).max(a, b),
                                     (jax.lax if n is jnp else lax).min(a, b)), (T1, T2)),
    ("fmax", lambda n, a, b: n.fmax(a, b), (T1, T2)),
    ("max_min", lambda n, a: (n.max(a, axis=-1), n.min(a, axis=-1), n.ptp(a, axis=-1)), (T1,)),
    ("nanmax", lambda n, a: n.nanmax(a, axis=-1), (T1,)),
    ("sort", lambda n, a: n.sort(a, axis=-1), (T1,)),
    ("argsort", lambda n, a: n.argsort(a, axis=-1, stable=True), (T1,)),
    ("sort_complex", lambda n, a: n.sort_complex(a), (T1,)),
    ("cummax", lambda n, a: (jax.lax if n is jnp else lax).cummax(a, axis=a.ndim - 1), (T1,)),
    ("cummin_reverse", lambda n, a: (jax.lax if n is jnp else lax).cummin(
        a, axis=a.ndim - 1, reverse=True), (T1,)),
    ("comparisons", lambda n, a, b: (a < b, a <= b, n.greater(a, b), n.greater_equal(a, b)),
     (T1, T2)),
    ("searchsorted", lambda n, b: (n.searchsorted(n.sort(n.asarray(T1[0])), b),
                                   n.searchsorted(n.sort(n.asarray(T1[0])), b, side="right")),
     (T2,)),
]


def lax_complex(n):
    return (jax.lax if n is jnp else lax).complex


def _close(got, want, msg):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{msg}: dtype {got.dtype}, JAX gives {want.dtype}"
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6, err_msg=msg)


@pytest.mark.parametrize("name,f,args", VALUES, ids=[r[0] for r in VALUES])
def test_values_match_jax(name, f, args):
    want = f(jnp, *[jnp.asarray(a) for a in args])
    margs = [mnp.asarray(a) for a in args]
    g = lambda *a: f(mnp, *a)
    _close(g(*margs), want, f"{name} eagerly")
    _close(mlax.jit(g)(*margs), want, f"{name} under jit")
    _close(mlax.vmap(g)(*margs), want, f"{name} under vmap")


@pytest.mark.parametrize("name,f", [
    ("sum", lambda n, a: n.sum(a)),
    ("sum_axis", lambda n, a: n.sum(a.reshape(2, 2), axis=1)),
    ("prod", lambda n, a: n.prod(a)),
    ("mean", lambda n, a: n.mean(a)),
    ("var", lambda n, a: n.var(a)),
    ("cumsum", lambda n, a: n.cumsum(a)),
    ("cumprod", lambda n, a: n.cumprod(a)),
    ("dot", lambda n, a: n.dot(a, a)),
    ("vdot", lambda n, a: n.vdot(a, 2 * a + 1j)),
    ("matmul", lambda n, a: a.reshape(2, 2) @ n.conj(a.reshape(2, 2))),
    ("einsum", lambda n, a: n.einsum("ij,jk->ik", a.reshape(2, 2), a.reshape(2, 2) * 1j)),
    ("norm", lambda n, a: n.linalg.norm(a)),
])
def test_reductions_and_products_match_jax(name, f):
    want = f(jnp, jnp.asarray(Z))
    _close(f(mnp, mnp.asarray(Z)), want, f"{name} eagerly")
    _close(mlax.jit(lambda a: f(mnp, a))(mnp.asarray(Z)), want, f"{name} under jit")


PROMOTION_TYPES = [np.bool_, np.int8, np.uint8, np.int32, np.float16, np.float32,
                   np.complex64, int, float, complex]


@pytest.mark.parametrize("a", PROMOTION_TYPES, ids=lambda t: t.__name__)
def test_result_type_matches_jax(a):
    for b in PROMOTION_TYPES:
        assert mnp.result_type(a, b) == jnp.result_type(a, b), (a, b)
        if a not in (int, float, complex) and b not in (int, float, complex):
            assert mnp.promote_types(a, b) == jnp.promote_types(a, b), (a, b)


def test_result_type_with_x64_matches_jax(x64):
    jax.config.update("jax_enable_x64", True)
    try:
        types = [np.float32, np.float64, np.complex64, np.complex128, np.int64, complex]
        for a in types:
            for b in types:
                assert mnp.result_type(a, b) == jnp.result_type(a, b), (a, b)
    finally:
        jax.config.update("jax_enable_x64", False)


def test_complex128_with_x64(x64):
    z = mnp.asarray(np.array([1 + 1e-12j, 2 - 3j]))
    assert z.dtype == np.complex128
    got = np.asarray(mnp.exp(z) * z)
    np.testing.assert_allclose(got, np.exp(z._value) * z._value, rtol=1e-14)
    assert mnp.imag(z).dtype == np.float64
    assert float(mnp.imag(z)[0]) == 1e-12


def test_scalars_and_creation():
    assert mnp.asarray(1 + 2j).dtype == np.complex64
    assert mnp.asarray([1, 2j]).dtype == np.complex64
    assert mnp.asarray(np.complex128(1j)).dtype == np.complex64   # x64 off narrows, as JAX
    assert mnp.complex64(1 + 2j).dtype == np.complex64
    assert mnp.zeros(3, mnp.complex64).dtype == np.complex64
    x = mnp.arange(3.0)
    assert (1j * x).dtype == np.complex64 and (1j * x).weak_type is False
    assert mnp.iscomplexobj(1j * x) and not mnp.iscomplexobj(x)


def test_printing_and_conversion():
    z = mnp.asarray(np.array([1 + 2j, 3 - 1j], np.complex64))
    assert repr(z) == repr(jnp.asarray(np.array([1 + 2j, 3 - 1j], np.complex64)))
    assert str(z) == str(jnp.asarray(np.array([1 + 2j, 3 - 1j], np.complex64)))
    assert np.asarray(z).dtype == np.complex64
    assert complex(z[1]) == 3 - 1j
    assert str(mlax.typeof(z)) == str(jax.typeof(jnp.asarray(z._value))) == "complex64[2]"


# Points on and around the branch cuts (signed zeros), tiny, huge and infinite parts.
_EDGE = [0, 0.5, 1, 2, 1e-5, 1e-20, 1e5, 1e15, 1e30, np.inf]
EDGE_POINTS = np.array(
    [complex(s1 * a, s2 * b) for a in _EDGE for b in _EDGE for s1 in (1, -1) for s2 in (1, -1)]
    + [complex(-0.0, 2), complex(0.0, -2), complex(2, -0.0), complex(-2, 0.0),
       complex(-2, -0.0), complex(-0.0, -0.5), complex(np.nan, 1), complex(1, np.nan)]
    + list(np.random.default_rng(5).standard_normal((100, 2)) @ [3, 3j]))


def _parts_error(got, want, dtype):
    """max over the parts of |got - want| / |want|, a part equal to want's (an infinity, a
    signed zero's side) or NaN where want's is, counting 0."""
    errs = []
    for g, w in ((got.real, want.real), (got.imag, want.imag)):
        with np.errstate(all="ignore"):
            e = np.abs(g - w) / np.maximum(np.abs(want), np.finfo(dtype).tiny)
        errs.append(np.where((g == w) | (np.isnan(g) & np.isnan(w)), 0, e))
    return np.maximum(*errs)


@pytest.mark.parametrize("name", ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"])
@pytest.mark.parametrize("dtype,tol", [(np.complex64, 2e-6), (np.complex128, 2e-15)])
def test_inverse_functions_match_numpy_at_branch_cuts_and_extremes(name, dtype, tol, x64):
    z = EDGE_POINTS.astype(dtype)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(z.astype(np.complex128))
    got = np.asarray(mlax.jit(getattr(mnp, name))(z))
    assert got.dtype == dtype
    err = _parts_error(got, want, dtype)
    bad = np.flatnonzero(~(err < tol))
    assert not len(bad), [(z[i], got[i], want[i]) for i in bad[:5]]


@pytest.mark.parametrize("f", [lambda n, l, a: l.lt(a, a), lambda n, l, a: l.ge(a, a),
                               lambda n, l, a: n.argmax(a), lambda n, l, a: n.argmin(a)])
def test_ordering_raises_as_jax(f):
    with pytest.raises(TypeError):
        f(jnp, jax.lax, jnp.asarray(Z))
    with pytest.raises(TypeError, match="complex"):
        f(mnp, lax, mnp.asarray(Z))


@pytest.mark.parametrize("f", [lambda n, l, a: l.top_k(a, 2), lambda n, l, a: n.median(a)])
def test_complex_orderings_jax_refuses_raise_value_error(f):
    with pytest.raises(ValueError, match="complex"):
        f(jnp, jax.lax, jnp.asarray(Z))
    with pytest.raises(ValueError, match="complex"):
        f(mnp, lax, mnp.asarray(Z))


@pytest.mark.parametrize("name,f", [
    ("max", lambda n, l, a: n.sum(n.real(n.max(a, axis=1) * (1 + 2j)))),
    ("maximum", lambda n, l, a: n.sum(n.abs(n.maximum(a, a[::-1])))),
    ("sort", lambda n, l, a: n.sum(n.imag(n.sort(a, axis=1) * n.arange(7.0)))),
    ("cummax", lambda n, l, a: n.sum(n.real(l.cummax(a, axis=1) * n.arange(7.0)))),
])
def test_ordering_grads_match_jax(name, f):
    # ties in the real parts, none between whole numbers (where cummax's derivative differs)
    t = (T1 + 0.01j * np.arange(T1.size).reshape(T1.shape)).astype(np.complex64)
    want = jax.jit(jax.grad(lambda a: f(jnp, jax.lax, a)))(jnp.asarray(t))
    _close(mlax.grad(lambda a: f(mnp, lax, a))(mnp.asarray(t)), want, name)


@pytest.mark.parametrize("name,error", [("floor", TypeError), ("ceil", TypeError),
                                        ("trunc", TypeError), ("fabs", TypeError),
                                        ("signbit", ValueError), ("isposinf", ValueError),
                                        ("clip", ValueError)])
def test_real_only_functions_raise_as_jax(name, error):
    with pytest.raises(error):
        getattr(jnp, name)(jnp.asarray(Z))
    with pytest.raises(error, match="complex"):
        getattr(mnp, name)(mnp.asarray(Z))


def test_sigmoid_of_complex_matches_jax():
    _close(mlax.nn.sigmoid(mnp.asarray(Z)), jax.nn.sigmoid(jnp.asarray(Z)), "sigmoid")


def test_lax_parts_check_their_operands():
    with pytest.raises(TypeError, match="mlax.real needs a complex operand"):
        lax.real(mnp.asarray(X))
    with pytest.raises(TypeError, match="mlax.complex needs float32 or float64"):
        lax.complex(mnp.arange(3), mnp.arange(3))
    assert lax.conj(mnp.asarray(X)).dtype == jax.lax.conj(jnp.asarray(X)).dtype


# -- derivatives ------------------------------------------------------------------------

z0 = np.complex64(1.5 - 0.7j)

# (name, f(np_namespace, z)) for real-valued losses of a complex argument: grad gives
# df/dx - i df/dy, as JAX does.
REAL_LOSSES = [
    ("abs_sq", lambda n, z: n.abs(z) ** 2),
    ("abs", lambda n, z: n.abs(z)),
    ("real_sin", lambda n, z: n.real(n.sin(z)) + n.imag(z * z)),
    ("z_conj_z", lambda n, z: n.real(z * n.conj(z))),
    ("angle", lambda n, z: n.angle(z)),
    ("exp_log", lambda n, z: n.imag(n.exp(z) * n.log(z))),
    ("sum_matmul", lambda n, z: n.real(n.sum(n.outer(z, n.conj(z)) @ n.ones(1)))),
]

HOLOMORPHIC = [
    ("sin_z", lambda n, z: n.sin(z) * z),
    ("inverse_trig", lambda n, z: n.arcsin(z) * n.arccos(z) + n.arctan(z) / (1 + z)),
    ("inverse_hyperbolic", lambda n, z: n.arcsinh(z) + n.arccosh(z * 2) * n.arctanh(z / 3)),
    ("rational", lambda n, z: n.exp(z) / (z + 1) + n.sqrt(z)),
    ("powers", lambda n, z: z ** 3 + z ** 2.5 + 1 / z),
    ("tanh", lambda n, z: n.tanh(z) - n.cosh(z)),
]


@pytest.mark.parametrize("name,f", REAL_LOSSES, ids=[r[0] for r in REAL_LOSSES])
def test_grad_of_real_loss_matches_jax(name, f):
    want = jax.grad(lambda z: f(jnp, z))(z0)
    _close(mlax.grad(lambda z: f(mnp, z))(z0), want, name)


@pytest.mark.parametrize("name,f", HOLOMORPHIC, ids=[r[0] for r in HOLOMORPHIC])
def test_holomorphic_grad_matches_jax(name, f):
    want = jax.grad(lambda z: f(jnp, z), holomorphic=True)(z0)
    got = mlax.grad(lambda z: f(mnp, z), holomorphic=True)(z0)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5)


@pytest.mark.parametrize("name,f", REAL_LOSSES + HOLOMORPHIC,
                         ids=[r[0] for r in REAL_LOSSES + HOLOMORPHIC])
def test_derivatives_match_finite_differences(name, f):
    check_grads(lambda z: f(mnp, z), (np.complex64(0.8 - 0.6j),), order=1, rtol=2e-2, atol=2e-2)


def test_vjp_and_jvp_of_complex_functions_match_jax():
    f = lambda n, z: n.sin(z) * n.conj(z) + n.abs(z)
    t = np.complex64(0.3 + 2j)
    _, jt = jax.jvp(lambda z: f(jnp, z), (z0,), (t,))
    _, mt = mlax.jvp(lambda z: f(mnp, z), (z0,), (t,))
    np.testing.assert_allclose(np.asarray(mt), np.asarray(jt), rtol=1e-5)
    _, jv = jax.vjp(lambda z: f(jnp, z), z0)
    _, mv = mlax.vjp(lambda z: f(mnp, z), z0)
    np.testing.assert_allclose(np.asarray(mv(t)[0]), np.asarray(jv(t)[0]), rtol=1e-5)


def test_grad_of_real_input_through_complex_values():
    f = lambda n, x: n.sum(n.abs(n.exp(1j * x) * (x + 2j))) + n.real(n.fft.fft(x * (1 + 1j)))[1]
    x = np.array([0.7, -0.2, 1.1, 0.4], np.float32)
    want = jax.grad(lambda a: f(jnp, a))(x)
    np.testing.assert_allclose(np.asarray(mlax.grad(lambda a: f(mnp, a))(x)), want, rtol=1e-5)


def test_grad_errors_as_jax():
    with pytest.raises(TypeError, match="For holomorphic differentiation, pass holomorphic=True"):
        mlax.grad(lambda z: z * z)(z0)
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex dtype"):
        mlax.grad(lambda x: x * 1j, holomorphic=True)(np.float32(1.0))
    with pytest.raises(TypeError, match="holomorphic=True requires outputs with complex dtype"):
        mlax.grad(lambda z: mnp.abs(z), holomorphic=True)(z0)


def test_grad_under_vmap_matches_a_loop():
    zs = mnp.asarray(Z)
    g = mlax.grad(lambda z: mnp.abs(mnp.sin(z)) ** 2)
    got = np.asarray(mlax.vmap(g)(zs))
    want = np.array([np.asarray(g(z)) for z in Z])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_complex_cholesky_and_its_holomorphic_gradient_match_jax():
    a = np.array([[5., 2. + 3j, 5j], [2. - 3j, 7., 1. + 7j], [-5j, 1. - 7j, 12.]], np.complex64)
    np.testing.assert_allclose(np.asarray(mnp.linalg.cholesky(a)), np.linalg.cholesky(a),
                               rtol=1e-5, atol=1e-6)

    def f(n, m):
        L = n.linalg.cholesky(m)
        return n.sum((L - n.sin(L)) ** 2)
    want = jax.grad(lambda m: f(jnp, m), holomorphic=True)(a)
    got = mlax.grad(lambda m: f(mnp, m), holomorphic=True)(a)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-4)


# -- the tpu backend (StableHLO run by XLA), against JAX -------------------------------------

def _close_tpu(got, want, msg):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{msg}: dtype {got.dtype}, JAX gives {want.dtype}"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=msg)


@pytest.mark.parametrize("name,f,args", VALUES, ids=[r[0] for r in VALUES])
def test_values_on_tpu_match_jax(name, f, args):
    want = f(jnp, *[jnp.asarray(a) for a in args])
    got = mlax.jit(lambda *a: f(mnp, *a), backend="tpu")(*args)
    for g, w in zip(mlax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        _close_tpu(g, w, f"{name} on tpu")


def test_reductions_and_derivatives_on_tpu_match_jax():
    reductions = [lambda n, a: n.sum(a), lambda n, a: n.prod(a), lambda n, a: n.cumsum(a),
                  lambda n, a: n.cumprod(a), lambda n, a: n.vdot(a, 2 * a + 1j),
                  lambda n, a: a.reshape(2, 2) @ n.conj(a.reshape(2, 2)),
                  lambda n, a: n.linalg.norm(a), lambda n, a: n.var(a)]
    got = mlax.jit(lambda a: [f(mnp, a) for f in reductions], backend="tpu")(Z)
    for i, (g, f) in enumerate(zip(got, reductions)):
        _close_tpu(g, f(jnp, jnp.asarray(Z)), f"reduction {i} on tpu")
    got = mlax.jit(lambda z: [mlax.grad(lambda v: f(mnp, v))(z) for _, f in REAL_LOSSES] +
                   [mlax.grad(lambda v: f(mnp, v), holomorphic=True)(z) for _, f in HOLOMORPHIC],
                   backend="tpu")(z0)
    want = ([jax.grad(lambda v: f(jnp, v))(z0) for _, f in REAL_LOSSES] +
            [jax.grad(lambda v: f(jnp, v), holomorphic=True)(z0) for _, f in HOLOMORPHIC])
    for (name, _), g, w in zip(REAL_LOSSES + HOLOMORPHIC, got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, err_msg=name)


def test_sqrt_of_negative_reals_is_exact():
    """C99's csqrt from the parts: a negative real has an exactly zero real part (a root
    through exp(log(z) / 2) leaves cos(pi / 2) there), as NumPy and JAX give."""
    z = np.complex64([-4, -9 + 0j, -3 - 4j, 3 + 4j, 1j, 0, complex(np.inf, 1), complex(-np.inf, 1),
                      complex(1, np.inf), complex(np.nan, 1)])
    for got in (mnp.sqrt(z), mlax.jit(mnp.sqrt)(z)):
        np.testing.assert_array_equal(np.asarray(got), np.sqrt(z))
