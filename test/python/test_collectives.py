"""Collectives over named vmap axes (lax.psum, pmean, pmax, pmin, all_gather, axis_index),
against JAX; their gradients against JAX and finite differences."""
import numpy as np
import pytest

import mlax
from mlax import lax
from mlax import numpy as jnp

jax = pytest.importorskip("jax")
jlax, jjnp = jax.lax, jax.numpy

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3)).astype(np.float32)
Y = rng.standard_normal((2, 4, 3)).astype(np.float32)
X[1, 2] = X[3, 2] = 5.0                       # a tie for pmax's derivative


def programs(L, N):
    return {
        "psum": lambda v: v / L.psum(v, "i"),
        "pmean": lambda v: v - L.pmean(v, "i"),
        "pmax": lambda v: L.pmax(v, "i") * v,
        "pmin": lambda v: L.pmin(v, "i") + v,
        "psum_int": lambda v: L.psum((v > 0).astype(np.int32), "i"),
        "psum_bool": lambda v: L.psum(v > 0, "i"),
        "psum_scalar": lambda v: v * L.psum(1, "i"),
        "axis_index": lambda v: v * L.axis_index("i"),
        "all_gather": lambda v: L.all_gather(v, "i"),
        "all_gather_axis1": lambda v: L.all_gather(N.outer(v, v), "i", axis=1),
        "all_gather_tiled": lambda v: L.all_gather(v, "i", tiled=True),
        "pytree": lambda v: L.psum({"a": v, "b": (v * 2,)}, "i"),
        "softmax": lambda v: N.exp(v) / L.psum(N.exp(v), "i"),
    }


@pytest.mark.parametrize("name", list(programs(lax, jnp)))
def test_matches_jax(name):
    m = mlax.vmap(programs(lax, jnp)[name], axis_name="i")(X)
    j = jax.vmap(programs(jlax, jjnp)[name], axis_name="i")(X)
    for a, b in zip(jax.tree_util.tree_leaves(m), jax.tree_util.tree_leaves(j)):
        assert np.asarray(a).dtype == np.asarray(b).dtype and a.shape == b.shape
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def nested(L):
    def f(v):
        return L.psum(v, "i") * 10 + L.psum(v, "j") + L.axis_index("i") * 100 \
            + L.axis_index("j") * 1000 + L.psum(v, ("i", "j"))
    return f


def test_nested_axes_and_names():
    m = mlax.vmap(mlax.vmap(nested(lax), axis_name="j"), axis_name="i")(Y)
    j = jax.vmap(jax.vmap(nested(jlax), axis_name="j"), axis_name="i")(Y)
    np.testing.assert_allclose(m, j, rtol=1e-5)


# JAX has no derivative of pmax/pmin; mlax's is that of the max/min over the gathered
# members (ties share the cotangent equally, as jnp.max's), which JAX computes as below.
JAX_EQUIVALENT = {
    "pmax": lambda x, name: jjnp.max(jlax.all_gather(x, name), axis=0),
    "pmin": lambda x, name: jjnp.min(jlax.all_gather(x, name), axis=0),
}


@pytest.mark.parametrize("kind", ["psum", "pmean", "pmax", "pmin", "all_gather"])
def test_grad_inside_vmap_matches_jax(kind):
    def loss(collective, N):
        def f(v):
            return N.sum(N.sin(v) * collective(v * v, "i"))
        return f
    m = mlax.vmap(mlax.grad(loss(getattr(lax, kind), jnp)), axis_name="i")(X)
    j = jax.vmap(jax.grad(loss(JAX_EQUIVALENT.get(kind, getattr(jlax, kind)), jjnp)),
                 axis_name="i")(X)
    np.testing.assert_allclose(m, j, rtol=2e-5, atol=1e-5)


def test_grad_of_the_whole_batch_against_finite_differences():
    def total(x):
        per = mlax.vmap(lambda v: jnp.sum(v * lax.psum(jnp.tanh(v), "i")), axis_name="i")(x)
        return jnp.sum(per)
    x = X.astype(np.float64)
    with mlax.enable_x64():
        g = np.asarray(mlax.grad(total)(x))
        eps = 1e-6
        fd = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            d = np.zeros_like(x)
            d[idx] = eps
            fd[idx] = (float(total(x + d)) - float(total(x - d))) / (2 * eps)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_jit_and_scan_inside_the_named_vmap():
    def f(L, N, jit):
        def step(c, v):
            return c + L.psum(v, "i"), L.axis_index("i") * v
        def body(v):
            return L.scan(step, N.zeros(()), v)
        return jit(body)
    m = mlax.vmap(f(lax, jnp, mlax.jit), axis_name="i")(X)
    j = jax.vmap(f(jlax, jjnp, jax.jit), axis_name="i")(X)
    for a, b in zip(m, j):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_unbound_axis_name_is_a_name_error():
    with pytest.raises(NameError, match="unbound axis name: k"):
        lax.psum(jnp.ones(2), "k")
    with pytest.raises(NameError, match="unbound axis name: k"):
        mlax.vmap(lambda v: lax.psum(v, "k"), axis_name="i")(X)
    assert mlax.vmap(lambda v: lax.axis_size("i") + 0 * v, axis_name="i")(X)[0, 0] == 4


def test_what_is_not_implemented_says_so():
    with pytest.raises(NotImplementedError, match="axis_index_groups"):
        mlax.vmap(lambda v: lax.psum(v, "i", axis_index_groups=[[0, 1], [2, 3]]),
                  axis_name="i")(X)
    with pytest.raises(NotImplementedError, match="spmd_axis_name"):
        mlax.vmap(lambda v: v, spmd_axis_name="x")(X)


def test_pmap_over_the_one_device():
    x = np.arange(6, dtype=np.float32).reshape(1, 6)
    f = mlax.pmap(lambda v: v / lax.psum(jnp.sum(v), "d"), axis_name="d")
    jf = jax.pmap(lambda v: v / jlax.psum(jjnp.sum(v), "d"), axis_name="d")
    np.testing.assert_allclose(f(x), jf(x), rtol=1e-6)
    g = mlax.pmap(lambda v, k: v * k, static_broadcasted_argnums=1)
    np.testing.assert_allclose(g(x, 3), 3 * x)
    np.testing.assert_allclose(g(x, 3), 3 * x)
    assert len(g._programs) == 1
    with pytest.raises(ValueError, match="requires 2 logical devices, but only 1"):
        mlax.pmap(lambda v: v)(np.ones((2, 3), np.float32))


@pytest.mark.parametrize("kw", [dict(split_axis=0, concat_axis=0),
                                dict(split_axis=0, concat_axis=1),
                                dict(split_axis=0, concat_axis=1, tiled=True),
                                dict(split_axis=1, concat_axis=1, tiled=True)])
def test_all_to_all_matches_jax(kw):
    """all_to_all (all_gather and an index by the member's position) gives JAX's values
    and gradients under a named vmap."""
    jax = pytest.importorskip("jax")
    x = np.arange(3 * 3 * 6, dtype=np.float32).reshape(3, 3, 6) / 10

    def f(lax_, v):
        return lax_.all_to_all(v, "i", **kw)

    def loss(vmap, lax_, np_, x):
        y = vmap(lambda v: f(lax_, v), axis_name="i")(x)
        return np_.sum(np_.sin(y) * np_.arange(y.size).reshape(y.shape))

    got = mlax.vmap(lambda v: f(lax, v), axis_name="i")(x)
    want = jax.vmap(lambda v: f(jax.lax, v), axis_name="i")(x)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    np.testing.assert_allclose(
        np.asarray(mlax.grad(lambda x: loss(mlax.vmap, lax, jnp, x))(x)),
        np.asarray(jax.grad(lambda x: loss(jax.vmap, jax.lax, jax.numpy, x))(x)), rtol=1e-5)
    got = mlax.vmap(lambda v: lax.pswapaxes(v, "i", 0), axis_name="i")(x)
    want = jax.vmap(lambda v: jax.lax.pswapaxes(v, "i", 0), axis_name="i")(x)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
