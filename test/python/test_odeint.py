"""`mlax.experimental.ode.odeint` against `jax.experimental.ode.odeint`: solutions (pytree
states and arguments, tolerances, hmax, mxstep), adjoint gradients with respect to the
initial state, the times, the arguments and closed-over values, vmap against a loop."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax.experimental.ode import odeint as jodeint

import mlax
import mlax.numpy as jnp
from mlax.experimental.ode import odeint


def lotka_volterra(m):
    def f(y, t, a, b):
        prey, pred = y
        return m.stack([a * prey - b * prey * pred, -a * pred + b * prey * pred])
    return f


def close(got, want, rtol=1e-4, atol=1e-5):
    for g, w in zip(mlax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=atol)


T = np.linspace(0.0, 2.0, 5, dtype=np.float32)
Y0 = np.array([1.0, 0.5], np.float32)


@pytest.mark.parametrize("kw", [{}, {"rtol": 1e-4, "atol": 1e-4}, {"hmax": 0.05},
                                {"mxstep": 50}], ids=["default", "loose", "hmax", "mxstep"])
def test_solution_matches_jax(kw):
    got = odeint(lotka_volterra(jnp), jnp.asarray(Y0), jnp.asarray(T), 1.0, 0.5, **kw)
    want = jodeint(lotka_volterra(jjnp), jjnp.asarray(Y0), jjnp.asarray(T), 1.0, 0.5, **kw)
    close(got, want)


def test_mxstep_stops_the_steps():
    # Past mxstep steps the solution is extrapolated from the last step's polynomial. (Not
    # compared with JAX: extrapolating ~40 steps amplifies rounding in its coefficients.)
    f = lambda mx: odeint(lotka_volterra(jnp), jnp.asarray(Y0), jnp.asarray(T), 1.0, 0.5,
                          mxstep=mx)
    full, cut = np.asarray(f(10_000)), np.asarray(f(1))
    assert np.all(np.isfinite(cut)) and np.abs(cut - full).max() > 1e-2


def test_pytree_state_and_args():
    def f(m):
        return lambda y, t, p: {"x": y["v"], "v": -p["k"] * y["x"] - p["c"] * y["v"]}
    y0 = {"x": np.array([1.0, 0.0], np.float32), "v": np.array([0.0, 1.0], np.float32)}
    p = {"k": np.float32(4.0), "c": np.float32(0.3)}
    close(odeint(f(jnp), y0, jnp.asarray(T), p), jodeint(f(jjnp), y0, jjnp.asarray(T), p))


def test_adjoint_gradients_match_jax():
    def loss(m, ode):
        return lambda y0, t, a: m.sum(ode(lotka_volterra(m), y0, t, a, 0.5)[1:] ** 2)
    got = mlax.grad(loss(jnp, odeint), argnums=(0, 1, 2))(jnp.asarray(Y0), jnp.asarray(T), 1.0)
    want = jax.grad(loss(jjnp, jodeint), argnums=(0, 1, 2))(jjnp.asarray(Y0), jjnp.asarray(T),
                                                             1.0)
    close(got, want, rtol=1e-3, atol=1e-4)


def test_gradient_of_a_closed_over_value():
    def loss(m, ode):
        return lambda k: ode(lambda y, t: -k * y, m.asarray(Y0), m.asarray(T))[-1, 0]
    got = mlax.grad(loss(jnp, odeint))(1.0)
    np.testing.assert_allclose(got, jax.grad(loss(jjnp, jodeint))(1.0), rtol=1e-4)
    np.testing.assert_allclose(got, -2.0 * np.exp(-2.0), rtol=1e-4)


def test_vmap_over_initial_states_matches_a_loop():
    y0s = np.array([[1.0, 0.5], [0.5, 1.0], [2.0, 0.2]], np.float32)
    f = lambda y0: odeint(lotka_volterra(jnp), y0, jnp.asarray(T), 1.0, 0.5)
    got = mlax.vmap(f)(jnp.asarray(y0s))
    want = np.stack([np.asarray(f(jnp.asarray(y))) for y in y0s])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_under_jit():
    f = mlax.jit(lambda y0, a: odeint(lotka_volterra(jnp), y0, jnp.asarray(T), a, 0.5))
    close(f(jnp.asarray(Y0), 1.0), jodeint(lotka_volterra(jjnp), jjnp.asarray(Y0),
                                           jjnp.asarray(T), 1.0, 0.5))


def test_bad_arguments_raise_like_jax():
    with pytest.raises(TypeError, match="t must be an array of floats"):
        odeint(lotka_volterra(jnp), jnp.asarray(Y0), jnp.arange(3), 1.0, 0.5)
    with pytest.raises(TypeError, match="must be arrays or scalars"):
        odeint(lotka_volterra(jnp), jnp.asarray(Y0), jnp.asarray(T), "a", 0.5)


def test_closure_convert_makes_closed_over_floats_arguments():
    def outer(k, n):
        f = lambda y: y * k + n
        conv, consts = mlax.closure_convert(f, 1.0)
        assert len(consts) == 1 and consts[0] is k     # the int n stays closed over
        return conv(2.0, *consts), conv(2.0, 10.0)
    a, b = mlax.jit(outer)(3.0, 1)
    assert (float(a), float(b)) == (7.0, 21.0)
    f = lambda y: y
    assert mlax.closure_convert(f, 1.0) == (f, [])
    k_out = mlax.jit(lambda k: mlax.closure_convert(lambda y: k, 1.0)[0](1.0, 5.0))(3.0)
    assert float(k_out) == 5.0
