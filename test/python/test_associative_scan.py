"""`mlax.lax.associative_scan` against `jax.lax.associative_scan`: values (every length up to
17, both directions, any axis, pytrees), gradients by finite differences and against JAX,
vmap against a Python loop, jit."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mlax
import mlax.numpy as jnp
from mlax.test_util import check_grads


def both(fn, make, *args, **kw):
    got = mlax.lax.associative_scan(fn(jnp), make(jnp, *args), **kw)
    want = jax.lax.associative_scan(fn(jjnp), make(jjnp, *args), **kw)
    return mlax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)


def check(got, want, rtol=1e-6):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol)


X = np.random.default_rng(0).uniform(0.5, 1.5, size=(17, 3)).astype(np.float32)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("n", list(range(0, 18)))
def test_sum_every_length(n, reverse):
    check(*both(lambda m: m.add, lambda m: m.asarray(X[:n, 0]), reverse=reverse))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_product_along_axes(axis):
    check(*both(lambda m: m.multiply, lambda m: m.asarray(X.reshape(17, 3)), axis=axis))


def test_integer_max_and_bool_or():
    ints = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5], np.int32)
    check(*both(lambda m: m.maximum, lambda m: m.asarray(ints)))
    flags = np.array([False, False, True, False, True])
    check(*both(lambda m: m.logical_or, lambda m: m.asarray(flags)))


def _linear_recurrence(m):
    # (a1, b1) then (a2, b2): h -> a2 * (a1 * h + b1) + b2
    return lambda x, y: (x[0] * y[0], y[0] * x[1] + y[1])


@pytest.mark.parametrize("reverse", [False, True])
def test_pytree_elems_linear_recurrence(reverse):
    check(*both(_linear_recurrence,
                lambda m: (m.asarray(X[:11, 0]), m.asarray(X[:11, 1] - 1)), reverse=reverse))


def test_dict_elems():
    fn = lambda m: (lambda a, b: {"s": a["s"] + b["s"], "mx": m.maximum(a["mx"], b["mx"])})
    check(*both(fn, lambda m: {"s": m.asarray(X[:6, 0]), "mx": m.asarray(X[:6, 1])}))


def test_under_jit():
    f = mlax.jit(lambda x: mlax.lax.associative_scan(jnp.add, x, reverse=True))
    np.testing.assert_allclose(f(X), jax.lax.associative_scan(jjnp.add, X, reverse=True),
                               rtol=1e-6)


def test_grads_by_finite_differences():
    f = lambda a, b: jnp.sum(mlax.lax.associative_scan(_linear_recurrence(jnp), (a, b))[1] ** 2)
    check_grads(f, (jnp.asarray(X[:9, 0]), jnp.asarray(X[:9, 1])), order=1)
    g = lambda x: jnp.sum(jnp.sin(mlax.lax.associative_scan(jnp.multiply, x, axis=1)))
    check_grads(g, (jnp.asarray(X[:5]),), order=2, modes=("rev",))


def test_grads_match_jax():
    f = lambda m: (lambda x: m.sum(jax.lax.associative_scan(m.maximum, x) ** 2)
                   if m is jjnp else m.sum(mlax.lax.associative_scan(m.maximum, x) ** 2))
    x = X[:8, 2]
    np.testing.assert_allclose(mlax.grad(f(jnp))(jnp.asarray(x)), jax.grad(f(jjnp))(x), rtol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_vmap_matches_a_loop(reverse):
    f = lambda x: mlax.lax.associative_scan(jnp.multiply, x, reverse=reverse)
    got = mlax.vmap(f, in_axes=1, out_axes=1)(jnp.asarray(X))
    want = np.stack([np.asarray(f(jnp.asarray(X[:, j]))) for j in range(X.shape[1])], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="callable"):
        mlax.lax.associative_scan(3, jnp.ones(3))
    with pytest.raises(ValueError, match="same first dimension"):
        mlax.lax.associative_scan(lambda a, b: a, (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(ValueError, match="out of bounds"):
        mlax.lax.associative_scan(jnp.add, jnp.ones(3), axis=1)
