"""lax.cummax / lax.cummin derivatives where elements tie for the running extreme: JAX
differentiates its associative scan, whose max/min give each tied side half the tangent at
every combination, so the weights follow the scan's tree. mlax gives the same numbers."""
import numpy as np
import pytest

import mlax
from mlax import lax, numpy as jnp

jax = pytest.importorskip("jax")

TIES = np.array([[1., 3., 3., 2., 3., 5., 5., 1., 5., 0., 5.],
                 [2., 2., 2., 2., 1., 1., 4., 4., 4., 4., 4.]], np.float32)


def _both(make):
    """make(lib, lax_module, jnp_module) -> value, for mlax and for jax."""
    import jax.numpy as jjnp
    return (np.asarray(make(mlax, lax, jnp)), np.asarray(make(jax, jax.lax, jjnp)))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("reverse", [False, True])
def test_grad_with_ties_is_jax(name, axis, reverse):
    w = np.linspace(0.5, 2.0, TIES.size, dtype=np.float32).reshape(TIES.shape)

    def make(lib, l, n):
        f = lambda x: (getattr(l, name)(x, axis=axis, reverse=reverse) * w).sum()
        return lib.grad(f)(n.asarray(TIES))

    got, want = _both(make)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_jvp_jit_and_vmap_with_ties_are_jax():
    t = np.arange(TIES.size, dtype=np.float32).reshape(TIES.shape)

    def jvp_out(lib, l, n):
        return lib.jit(lambda x, t: lib.jvp(lambda y: l.cummax(y, axis=1), (x,), (t,))[1])(
            n.asarray(TIES), n.asarray(t))

    got, want = _both(jvp_out)
    np.testing.assert_allclose(got, want, rtol=1e-6)

    def vmapped(lib, l, n):
        return lib.vmap(lib.grad(lambda r: l.cummin(r, reverse=True).sum()))(n.asarray(TIES))

    got, want = _both(vmapped)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_values_and_integers_unchanged():
    x = np.array([[3, 1, 4, 1, 5, 9, 2, 6]], np.int32)
    np.testing.assert_array_equal(np.asarray(lax.cummax(x, axis=1)), np.maximum.accumulate(x, axis=1))
    np.testing.assert_array_equal(np.asarray(mlax.jit(lambda v: lax.cummin(v, axis=1, reverse=True))(x)),
                                  np.minimum.accumulate(x[:, ::-1], axis=1)[:, ::-1])


def test_grad_without_ties_against_finite_differences(x64):
    x = np.random.default_rng(0).normal(size=(3, 9))
    f = lambda v: (lax.cummax(v, axis=1) ** 2).sum()
    g = np.asarray(mlax.grad(f)(jnp.asarray(x)))
    eps = 1e-6
    fd = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        fd[i] = (float(f(jnp.asarray(x + d))) - float(f(jnp.asarray(x - d)))) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
