"""TPU numerics on the tpu platform (XLA's CPU client standing in for the chip): float32
products by their precision, and one test per behaviour docs/design.md lists as emulated
or not ("TPU numerics")."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jaxlib")
ml_dtypes = pytest.importorskip("ml_dtypes")

import mlax  # noqa: E402
from mlax import lax  # noqa: E402
from mlax import numpy as jnp  # noqa: E402


def _bf16(x):
    return np.asarray(x).astype(ml_dtypes.bfloat16).astype(np.float64)


@pytest.fixture
def operands():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((16, 64)).astype(np.float32),
            rng.standard_normal((64, 8)).astype(np.float32))


def _on_tpu(f, *args):
    return np.asarray(mlax.jit(f, backend="tpu")(*args))


def test_default_precision_rounds_operands_to_bfloat16(operands):
    a, b = operands
    got = _on_tpu(lambda x, y: x @ y, a, b)
    exact = a.astype(np.float64) @ b
    # float32 sums of exact products of bfloat16 values: only the accumulation rounds.
    np.testing.assert_allclose(got, _bf16(a) @ _bf16(b), rtol=1e-5, atol=1e-5)
    assert np.abs(got - exact).max() > 1e-3


def test_high_precision_is_close_to_float32(operands):
    a, b = operands
    got = _on_tpu(lambda x, y: jnp.dot(x, y, precision="high"), a, b)
    exact = a.astype(np.float64) @ b
    np.testing.assert_allclose(got, exact, rtol=1e-4, atol=1e-4)
    assert np.abs(got - _bf16(a) @ _bf16(b)).max() > 1e-3


def test_highest_precision_equals_the_cpu_backend(operands):
    a, b = operands
    f = lambda x, y: lax.dot_general(x, y, (([1], [0]), ([], [])),   # noqa: E731
                                     precision=lax.Precision.HIGHEST)
    np.testing.assert_array_equal(_on_tpu(f, a, b), np.asarray(mlax.jit(f)(a, b)))


def test_default_matmul_precision_context_and_config(operands):
    a, b = operands
    cpu = np.asarray(mlax.jit(lambda x, y: x @ y)(a, b))
    with mlax.default_matmul_precision("float32"):
        np.testing.assert_array_equal(_on_tpu(lambda x, y: jnp.matmul(x, y), a, b), cpu)
    mlax.config.update("jax_default_matmul_precision", "highest")
    try:
        np.testing.assert_array_equal(_on_tpu(lambda x, y: jnp.einsum("ij,jk", x, y), a, b),
                                      cpu)
    finally:
        mlax.config.update("jax_default_matmul_precision", None)


def test_default_matmul_precision_from_the_environment():
    """JAX_DEFAULT_MATMUL_PRECISION sets the option's starting value, as in JAX (the compat
    runner runs tpu programs at HIGHEST with it); in a child process: it is read once."""
    from child import run_case
    out = run_case("""
        import numpy as np, mlax
        assert mlax.config.read("jax_default_matmul_precision") == "highest"
        a = np.random.default_rng(0).standard_normal((16, 64)).astype(np.float32)
        tpu = np.asarray(mlax.jit(lambda x: x @ x.T, backend="tpu")(a))
        np.testing.assert_array_equal(tpu, np.asarray(mlax.jit(lambda x: x @ x.T)(a)))
        print("ok")
    """, env={"JAX_DEFAULT_MATMUL_PRECISION": "highest"})
    assert out.stdout.strip().endswith("ok")


def test_convolution_at_default_precision_rounds_operands():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    conv = lambda p: lambda x, w: lax.conv(x, w, (1, 1), "VALID", precision=p)  # noqa: E731
    want = np.asarray(mlax.jit(conv("highest"))(_bf16(x).astype(np.float32),
                                                _bf16(w).astype(np.float32)))
    np.testing.assert_allclose(_on_tpu(conv(None), x, w), want, rtol=1e-5, atol=1e-5)
    # HIGHEST: the CPU backend's values up to the order of the float32 sums.
    np.testing.assert_allclose(_on_tpu(conv("highest"), x, w),
                               np.asarray(mlax.jit(conv("highest"))(x, w)), rtol=1e-5,
                               atol=1e-5)


def test_gradients_keep_the_precision(operands):
    """The transpose rule's products are rounded too, as on a TPU (JAX's rules keep the
    precision): at DEFAULT the gradient is the product of bfloat16-rounded operands."""
    a, b = operands
    g = np.ones((16, 8), np.float32)
    got = _on_tpu(mlax.grad(lambda x, y: jnp.sum(x @ y)), a, b)
    np.testing.assert_allclose(got, _bf16(g) @ _bf16(b).T, rtol=1e-5, atol=1e-5)
    got = _on_tpu(mlax.grad(lambda x, y: jnp.sum(jnp.dot(x, y, precision="highest"))), a, b)
    np.testing.assert_allclose(got, g @ b.T.astype(np.float64), rtol=1e-6, atol=1e-5)


def test_vmap_keeps_the_precision(operands):
    a, b = operands
    got = _on_tpu(mlax.vmap(lambda r, y: jnp.dot(r, y)), a, np.stack([b] * 16))
    want = np.stack([_bf16(r) @ _bf16(b) for r in a])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_bfloat16_and_float64_products_are_not_rounded_further():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    with mlax.enable_x64(True):
        got = _on_tpu(lambda x, y: x @ y, a, b)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, a @ b, rtol=1e-13)
    a16, b16 = a.astype(ml_dtypes.bfloat16), b.astype(ml_dtypes.bfloat16)
    got = _on_tpu(lambda x, y: x @ y, a16, b16)
    np.testing.assert_allclose(got.astype(np.float64),
                               a16.astype(np.float64) @ b16.astype(np.float64), rtol=1e-2)


def test_subnormals_are_flushed_as_the_stand_in_computes():
    """Listed as emulated: XLA's CPU client flushes float32 subnormals, as a TPU does."""
    x = np.array([1e-39, -3e-40, 1e-30], np.float32)
    got = _on_tpu(lambda v: v * np.float32(1.5), x)
    np.testing.assert_array_equal(got, np.array([0.0, 0.0, 1.5e-30], np.float32))


def test_transcendentals_are_xla_cpu_s_not_the_tpu_s():
    """Listed as not emulated: exp, log, tanh run XLA's CPU approximations (JAX's on the
    CPU, bit for bit), not the TPU's."""
    jax = pytest.importorskip("jax")
    x = np.linspace(-5, 5, 101, dtype=np.float32)
    got = _on_tpu(lambda v: (jnp.exp(v), jnp.tanh(v), jnp.log(jnp.abs(v) + 1)), x)
    cpu = jax.devices("cpu")[0]
    want = jax.jit(lambda v: (jax.numpy.exp(v), jax.numpy.tanh(v),
                              jax.numpy.log(jax.numpy.abs(v) + 1)), device=cpu)(x)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, np.asarray(w))
