"""The cost of a call: jit's hot path (pytrees of Arrays and Python scalars), the
recompile of hot functions compiled at opt level 0, eager ops on scalars beside large
arrays, and arrays resident on the tpu platform. Every fast path must give the results
of the path it replaces (values, dtypes, weak types, bits)."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax.runtime import cpu
from mlax.runtime.array import ScalarBroadcast

F32 = np.float32


def _exe(f):
    [(entry, _)] = f._fast.values()
    return entry.exe


def _linreg_step(params, lr, x, y):
    def loss(p):
        return jnp.mean((x @ p["W"] + p["b"] - y) ** 2)
    grads = mlax.grad(loss)(params)
    return mlax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)


def _linreg_args(rng):
    params = {"W": jnp.asarray(rng.standard_normal((10, 5)).astype(F32)),
              "b": jnp.asarray(rng.standard_normal(5).astype(F32))}
    return (params, 0.3, jnp.asarray(rng.standard_normal((20, 10)).astype(F32)),
            jnp.asarray(rng.standard_normal((20, 5)).astype(F32)))


# ---------------------------------------------------------------------------------------
# Recompiling hot functions

@pytest.mark.parametrize("fun, shapes", [
    (lambda w, x: jnp.tanh(x @ w).sum(0), [(8, 4), (3, 8)]),           # contract flags
    (lambda x, y: jnp.abs(x[None, :] - y[:, None]), [(100,), (20,)]),
    (lambda x, y: jnp.exp(x) * jnp.sin(y) + jnp.cumsum(x), [(64,), (64,)]),
])
def test_hot_function_is_compiled_again_optimized_with_the_same_bits(fun, shapes, rng):
    """Tests that a small jitted function, compiled at opt level 0 for a quick first call,
    runs level-3 code from its HOT_CALLS-th call on, and that its results keep their bits
    (the level-0 code neither fuses multiply-adds nor reorders sums)."""
    f = mlax.jit(fun)
    args = [jnp.asarray(rng.standard_normal(s).astype(F32)) for s in shapes]
    first = np.asarray(f(*args))
    exe = _exe(f)
    assert not exe.optimized
    for _ in range(cpu.HOT_CALLS):
        f(*args)
    assert exe.optimized
    np.testing.assert_array_equal(np.asarray(f(*args)), first)


def test_hot_gradient_step_keeps_its_bits(rng):
    """Tests the recompile on a jitted gradient step (a pytree in and out, a Python float)."""
    f = mlax.jit(_linreg_step)
    args = _linreg_args(rng)
    first = f(*args)
    for _ in range(cpu.HOT_CALLS + 1):
        out = f(*args)
    assert _exe(f).optimized
    for k in first:
        np.testing.assert_array_equal(np.asarray(out[k]), np.asarray(first[k]))


def test_eager_ops_and_explicit_levels_are_not_recompiled(rng):
    """Tests that eager ops (compiled at the level chosen for them) and a `Lowered.compile`
    at a named level keep their code."""
    x = jnp.asarray(rng.standard_normal(5).astype(F32))
    for _ in range(cpu.HOT_CALLS + 1):
        y = x * 2
    assert all(getattr(exe.call, "on_hot", None) is None
               for exe, _ in mlax.eager._cache._data.values())
    compiled = mlax.jit(lambda a: a + 1).lower(x).compile(opt_level=0)
    for _ in range(cpu.HOT_CALLS + 1):
        compiled(x)
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x) * 2)


# ---------------------------------------------------------------------------------------
# jit's hot path

def test_hot_path_pytrees_and_scalars_match_jax(rng):
    """Tests that calls served by the hot path (a dict of Arrays, a Python float) give what
    the first call and JAX give, dtypes and weak types included."""
    jax = pytest.importorskip("jax")
    args = _linreg_args(rng)
    f = mlax.jit(_linreg_step)
    outs = [f(*args) for _ in range(3)]
    assert len(f._fast) == 1
    jargs = mlax.tree_util.tree_map(lambda a: jax.numpy.asarray(np.asarray(a)), args)
    want = jax.jit(_jax_linreg_step(jax))(*jargs)
    for out in outs:
        for k in ("W", "b"):
            np.testing.assert_allclose(np.asarray(out[k]), np.asarray(want[k]), rtol=1e-5,
                                       atol=1e-6)
            assert out[k].dtype == want[k].dtype and out[k].weak_type == want[k].weak_type


def _jax_linreg_step(jax):
    def step(params, lr, x, y):
        def loss(p):
            return jax.numpy.mean((x @ p["W"] + p["b"] - y) ** 2)
        grads = jax.grad(loss)(params)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
    return step


def test_hot_path_keys_structure_and_scalar_types():
    """Tests that the hot path tells apart what the full path's cache key tells apart: a
    tuple from a list, dict keys, int from float from bool scalars, weak from strong
    arrays; and that a scalar's sign survives (0.0 and -0.0 are equal Python keys)."""
    f = mlax.jit(lambda t, s: (t[0] * s, t[1] + s))
    x = jnp.ones(2, F32)
    for t in ((x, x), [x, x]):
        for s in (2, 2.0, True, -0.0, 0.0, -0.0):
            for _ in range(2):
                a, b = f(t, s)
                np.testing.assert_array_equal(np.asarray(a), np.ones(2, F32) * np.float32(s))
                np.testing.assert_array_equal(np.signbit(np.asarray(a)), np.signbit(
                    np.ones(2, F32) * np.float32(s)))
                assert a.dtype == F32
    g = mlax.jit(lambda d: d["a"] - d["b"])
    for _ in range(2):
        np.testing.assert_array_equal(g({"a": x, "b": 2 * x}), -np.ones(2))
        np.testing.assert_array_equal(g({"b": x, "a": 2 * x}), np.ones(2))
        np.testing.assert_array_equal(g({"a": x, "c": x, "b": 3 * x}), -2 * np.ones(2))
    h = mlax.jit(lambda v: v * 2)
    for _ in range(2):
        assert h(jnp.asarray(1.0)).weak_type and not h(jnp.asarray(1.0, F32)).weak_type


def test_hot_path_int_out_of_range_raises_as_the_full_path():
    """Tests that a Python int the default int type cannot hold is refused on a
    signature the hot path knows, as on the first call."""
    f = mlax.jit(lambda x, n: x * n)
    x = jnp.ones(2, np.int32)
    for _ in range(2):
        np.testing.assert_array_equal(f(x, 3), [3, 3])
    with pytest.raises(OverflowError):
        f(x, 2 ** 40)
    with pytest.raises(OverflowError):
        f(x, 2 ** 40)


# ---------------------------------------------------------------------------------------
# Eager ops on a scalar beside an array

def test_eager_scalar_operands_are_broadcast_in_the_op():
    """Tests that eager mlax.numpy broadcasts a scalar beside an array lazily (no full
    buffer unless read), with NumPy's values and JAX's weak types."""
    x = jnp.asarray(np.linspace(-2, 2, 9, dtype=F32))
    lhs = jnp.broadcast_to(jnp.asarray(1.5), (9,))
    assert type(lhs) is ScalarBroadcast
    y = lhs * x
    assert lhs._host is None            # the op broadcast the scalar itself
    np.testing.assert_array_equal(np.asarray(y), np.float32(1.5) * np.asarray(x))
    selu = 1.05 * jnp.where(x > 0, x, 1.67 * jnp.exp(x) - 1.67)
    v = np.asarray(x)
    want = np.float32(1.05) * np.where(v > 0, v, np.float32(1.67) * np.exp(v) - np.float32(1.67))
    np.testing.assert_allclose(np.asarray(selu), want, rtol=1e-6)
    assert selu.dtype == F32 and not selu.weak_type
    np.testing.assert_array_equal(np.asarray(lhs), np.full(9, 1.5, F32))
    assert lhs.weak_type and lhs.shape == (9,) and lhs.dtype == F32
    np.testing.assert_array_equal(mlax.jit(lambda a: a + 1)(lhs), np.full(9, 2.5, F32))


# ---------------------------------------------------------------------------------------
# Arrays resident on the tpu platform

@pytest.fixture
def tpu_platform():
    """The tpu platform, its float32 products at HIGHEST precision (at DEFAULT the stand-in
    rounds them to bfloat16, as a TPU does), so values compare with the cpu platform's."""
    pytest.importorskip("jaxlib")
    mlax.config.update("jax_platform_name", "tpu")
    mlax.config.update("jax_default_matmul_precision", "highest")
    try:
        yield
    finally:
        mlax.config.update("jax_platform_name", None)
        mlax.config.update("jax_default_matmul_precision", None)


def test_tpu_results_stay_in_device_buffers(tpu_platform, rng):
    """Tests that on the tpu platform chained jit calls and eager ops pass PJRT buffers
    along, copy to the host only when read, and give the cpu platform's values."""
    from mlax.runtime.tpu import ResidentArray
    args = _linreg_args(rng)
    f = mlax.jit(_linreg_step)
    p = args[0]
    for _ in range(3):
        p = f(p, *args[1:])
    assert all(type(v) is ResidentArray and v._host is None for v in p.values())
    assert args[2]._buffer is not None          # a host input keeps the buffer it was put in
    z = jnp.tanh(p["W"]) * 2.0
    assert type(z) is ResidentArray and z._host is None
    host = np.asarray(z)
    mlax.config.update("jax_platform_name", None)
    q = args[0]
    for _ in range(3):
        q = mlax.jit(_linreg_step)(q, *args[1:])
    np.testing.assert_allclose(host, np.tanh(np.asarray(q["W"])) * 2, rtol=1e-5, atol=1e-6)
    assert repr(z).startswith("Array(")


def test_tpu_resident_arrays_keep_64_bit_types(tpu_platform, x64):
    """Tests that resident results keep float64 / int64 (jaxlib narrows them unless its
    x64 flag is on during transfers)."""
    x = jnp.asarray(np.arange(4, dtype=np.float64)) * 0.1
    n = jnp.asarray(np.array([2 ** 40], np.int64)) + 1
    assert x.dtype == np.float64 and n.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(x), np.arange(4) * 0.1)
    assert int(n[0]) == 2 ** 40 + 1


def test_tpu_resident_array_feeds_a_cpu_jit(tpu_platform):
    """Tests that a resident array passed to a cpu computation is read from the host."""
    x = jnp.arange(6.0) * 2
    y = mlax.jit(lambda a: a + 1, backend="cpu")(x)
    np.testing.assert_array_equal(np.asarray(y), np.arange(6.0) * 2 + 1)


_HOT_OUTLINED_MATH = """
import gc, numpy as np, mlax, mlax.numpy as jnp
f = mlax.jit(lambda x: jnp.exp(x) + jnp.exp(2 * x) * jnp.exp(3 * x) - jnp.exp(4 * x) / jnp.exp(5 * x))
x = np.linspace(0, 1, 8, dtype=np.float32)
want = np.exp(x) + np.exp(2 * x) * np.exp(3 * x) - np.exp(4 * x) / np.exp(5 * x)
for i in range(40):
    y = f(x)
    gc.collect()
np.testing.assert_allclose(np.asarray(y), want, rtol=1e-5)
print("ok")
"""


def test_recompiled_code_outlives_the_code_it_replaces():
    """Tests (in a child process: it crashed) that a hot function recompiled at O3 keeps
    working after the first code's executable is collected: the new object's weak outlined
    math functions (@mlax_exp_f32) resolved to the first object's definitions, and freeing
    that object left the new code calling freed memory (SIGSEGV on the 17th call)."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", _HOT_OUTLINED_MATH], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.strip() == "ok"
