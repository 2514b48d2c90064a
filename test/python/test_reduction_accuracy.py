"""Accuracy of long float reductions and scans: sums are computed in blocks (levels of
short sums) and scans in blocks of short scans, so their error stays near JAX's and
NumPy's (about 1e-7 relative) instead of growing with the length. References are float64
NumPy (and JAX for the scans' error)."""
from __future__ import annotations

import numpy as np
import pytest

import mlax
from mlax import lax as mlax_lax
from mlax import numpy as jnp


def rel(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def test_sum_of_many_equal_values():
    """2**23 copies of 0.1f: 0.5% off when summed in one sequence."""
    x = np.full(2 ** 23, 0.1, np.float32)
    want = 2 ** 23 * np.float64(np.float32(0.1))
    assert rel(mlax.jit(jnp.sum)(x), want) < 1e-6
    assert rel(jnp.sum(x), want) < 1e-6          # eagerly: the same lowering


def test_column_sums_of_many_rows(rng):
    x = rng.random((10 ** 6, 4), dtype=np.float32)
    assert rel(mlax.jit(lambda v: jnp.sum(v, axis=0))(x), x.astype(np.float64).sum(0)) < 1e-6


def test_sum_over_rows_of_one_column(rng):
    """Error relative to the sum of the magnitudes (what summation error scales with):
    7e-9 in one sequence, 2e-10 in blocks."""
    x = rng.standard_normal((70000, 1)).astype(np.float32)
    got = np.asarray(mlax.jit(lambda v: jnp.sum(v, axis=0))(x), np.float64)
    assert np.abs(got - x.astype(np.float64).sum(0)).max() / np.abs(x).sum() < 2e-9


def test_mean_var_std_of_values_far_from_zero(rng):
    """Values in [1000, 1001): the mean is off by 2e-4 relative when summed in one
    sequence, and var, computed around it, by a factor of several."""
    x = (1000 + rng.random(10 ** 7)).astype(np.float32)
    x64 = x.astype(np.float64)
    mean, var, std = mlax.jit(lambda v: (jnp.mean(v), jnp.var(v), jnp.std(v)))(x)
    assert rel(mean, x64.mean()) < 1e-6
    assert rel(var, x64.var()) < 1e-5
    assert rel(std, x64.std()) < 1e-5


@pytest.mark.parametrize("shape,axes", [
    ((300, 7, 500), (0, 2)),        # non-adjacent reduced dims
    ((40, 30, 1000), (1, 2)),       # adjacent: one merged dim
    ((10007,), (0,)),               # a prime length: whole blocks and the rest
    ((3, 20011), (1,)),
    ((20011, 3), (0,)),
])
def test_sums_in_blocks_match_float64(rng, shape, axes):
    x = rng.standard_normal(shape).astype(np.float32)
    f = mlax.jit(lambda v: (jnp.sum(v, axis=axes), jnp.sum(v * v + 1.0, axis=axes)))
    s, sq = f(x)
    x64 = x.astype(np.float64)
    assert rel(s, x64.sum(axes)) < 1e-5
    assert rel(sq, (x64 * x64 + 1).sum(axes)) < 1e-6


def test_sum_under_vmap_and_grad(rng):
    x = (1000 + rng.random((3, 10 ** 6))).astype(np.float32)
    assert rel(mlax.vmap(jnp.mean)(x), x.astype(np.float64).mean(1)) < 1e-6
    g = mlax.grad(lambda v: jnp.sum(v * v))(x[0])
    np.testing.assert_allclose(np.asarray(g), 2 * x[0], rtol=1e-6)


def test_cumsum_of_many_equal_values():
    """2**22 copies of 0.1f: 4% off at the end when scanned in one sequence. JAX's error
    here (a tree on CPU) is 2.8e-7; within 10x of it."""
    x = np.full(2 ** 22, 0.1, np.float32)
    want = np.arange(1, 2 ** 22 + 1) * np.float64(np.float32(0.1))
    assert rel(mlax.jit(jnp.cumsum)(x), want) < 3e-6
    assert rel(mlax.jit(lambda v: mlax_lax.cumsum(v, reverse=True))(x)[::-1], want) < 3e-6


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cumlogsumexp"])
@pytest.mark.parametrize("shape,axis,reverse", [
    ((1000,), 0, False), ((1000,), 0, True), ((3, 1003), 1, False), ((1003, 5), 0, True),
    ((7, 129, 3), 1, False), ((7, 129, 3), 1, True), ((4097,), 0, True), ((64,), 0, False),
])
def test_blocked_scans_match_jax(rng, name, shape, axis, reverse):
    """The blocked scans against JAX: forward and reverse, inner and outer axes, lengths
    that are and are not a multiple of the block."""
    jax = pytest.importorskip("jax")
    x = rng.standard_normal(shape).astype(np.float32)
    if name == "cumprod":
        x = 1 + 0.01 * x
    f = lambda lax: lambda v: getattr(lax, name)(v, axis=axis, reverse=reverse)
    got = mlax.jit(f(mlax_lax))(x)
    want = jax.jit(f(jax.lax))(x)
    assert rel(got, want) < 3e-6


def test_sum_of_a_square_with_a_broadcast_operand(rng):
    """sum((y - 1) * (y - 1)) with the square fused into the sum: the CPU schedule's
    prologue split gave up on x * x after building an empty generic (a compile error)."""
    y = rng.standard_normal((100, 100)).astype(np.float32)
    got = mlax.jit(lambda v: jnp.sum((v - 1.0) * (v - 1.0), axis=1))(y)
    np.testing.assert_allclose(np.asarray(got), ((y.astype(np.float64) - 1) ** 2).sum(1), rtol=1e-5)


def test_long_dot_products(rng):
    """A dot product with no free dims is a sum: 1e-3 off for 2**23 terms in one
    sequence (JAX: exact here)."""
    x = np.full(2 ** 23, 0.1, np.float32)
    want = 2 ** 23 * np.float64(np.float32(0.1))
    assert rel(mlax.jit(jnp.dot)(x, np.ones_like(x)), want) < 1e-6
    a = rng.standard_normal((3, 100003)).astype(np.float32)
    b = rng.standard_normal((3, 100003)).astype(np.float32)
    got = mlax.jit(lambda u, v: (jnp.vdot(u[0], v[0]), mlax.vmap(jnp.dot)(u, v)))(a, b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    assert rel(got[0], a64[0] @ b64[0]) < 1e-5
    assert rel(got[1], (a64 * b64).sum(1)) < 1e-5
