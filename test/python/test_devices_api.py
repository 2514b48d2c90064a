"""JAX's device/process queries, disable_jit, debug_nans/debug_infs and named_scope."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp


def test_device_queries_as_on_a_one_cpu_host():
    assert mlax.default_backend() == "cpu"
    assert mlax.device_count() == mlax.local_device_count() == 1
    assert mlax.local_devices() == mlax.devices()
    assert (mlax.process_index(), mlax.process_count()) == (0, 1)
    with pytest.raises(ValueError, match="process_index"):
        mlax.local_devices(process_index=3)


def test_device_queries_name_a_missing_backend(monkeypatch):
    with pytest.raises(mlax.backends.BackendUnavailable, match="Unknown backend 'gpu'"):
        mlax.device_count("gpu")
    from mlax.runtime import cuda
    monkeypatch.delenv("MLAX_GPU_INTERPRET", raising=False)
    monkeypatch.setattr(cuda, "driver_present", lambda: False)
    with pytest.raises(RuntimeError, match="MLAX_GPU_INTERPRET=1"):
        mlax.device_count("cuda")
    monkeypatch.setenv("MLAX_GPU_INTERPRET", "1")
    assert mlax.device_count("cuda") == 1


def test_stand_in_tpu_is_present_only_when_requested(monkeypatch):
    """Tests that, as JAX's device queries see platforms (the default backend is the first
    present one, TPU first), the tpu platform on XLA's CPU client is present only when
    MLAX_PLATFORMS or jax_platform_name requests it: chex's restrict_backends tests read
    `devices('tpu')` succeeding as "the TPU is the default backend"."""
    pytest.importorskip("mlax.backends.tpu", exc_type=ImportError)
    monkeypatch.delenv("MLAX_PLATFORMS", raising=False)
    monkeypatch.delenv("JAX_PLATFORMS", raising=False)
    for query in (mlax.devices, mlax.device_count, mlax.local_devices):
        with pytest.raises(RuntimeError, match="'tpu' is not present.*MLAX_PLATFORMS=cpu,tpu"):
            query(backend="tpu")
    # An explicit target uses it all the same.
    assert {d.platform for d in mlax.jit(jnp.sin, backend="tpu")(1.0).devices()} == {"tpu"}
    monkeypatch.setenv("MLAX_PLATFORMS", "cpu,tpu")
    assert mlax.default_backend() == "cpu" and mlax.devices("tpu")[0].platform == "tpu"
    monkeypatch.setenv("MLAX_PLATFORMS", "tpu")
    assert mlax.default_backend() == "tpu" and mlax.device_count() == mlax.device_count("tpu")


def test_device_get_returns_numpy_leaves():
    out = mlax.device_get({"a": jnp.arange(3), "b": 2.5, "c": [jnp.ones((2,))]})
    assert isinstance(out["a"], np.ndarray) and out["a"].tolist() == [0, 1, 2]
    assert out["b"] == 2.5 and isinstance(out["c"][0], np.ndarray)


def test_disable_jit_runs_the_python_function():
    calls = []

    @mlax.jit
    def f(x):
        calls.append(1)
        if x.sum() > 0:          # concrete under disable_jit, an error under jit
            return x * 2
        return x

    with mlax.disable_jit():
        np.testing.assert_array_equal(f(jnp.ones(3)), 2 * np.ones(3))
        np.testing.assert_array_equal(f(-jnp.ones(3)), -np.ones(3))
    assert len(calls) == 2
    with pytest.raises(mlax.TracerBoolConversionError):
        f(jnp.ones(3))
    assert not mlax.config.jax_disable_jit


def test_disable_jit_after_a_cached_call():
    f = mlax.jit(lambda x: x + 1)
    x = jnp.ones(2)
    f(x), f(x)                       # the hot path knows this signature now
    seen = []
    g = mlax.jit(lambda x: seen.append(type(x).__name__) or x + 1)
    g(x)
    with mlax.disable_jit():
        g(x)
    assert seen[0] != seen[1] and seen[1] == "Array"


@pytest.mark.parametrize("option, value, message", [
    ("debug_nans", -1.0, "invalid value \\(nan\\) encountered in"),
    ("debug_infs", 0.0, "divide by zero \\(inf\\) encountered in"),
])
def test_debug_nans_and_infs_raise_where_jax_raises(option, value, message):
    f = mlax.jit(lambda x: jnp.log(x))
    x = jnp.full((2,), value)
    f(x), f(x)                       # indexed on the hot path before the option is set
    with getattr(mlax, option)(True):
        with pytest.raises(FloatingPointError, match=message + " jit\\(<lambda>\\)"):
            f(x)
        with pytest.raises(FloatingPointError, match=message + " log"):
            jnp.log(x)
        np.testing.assert_array_equal(f(jnp.ones(2)), np.zeros(2))   # finite: no error
    assert np.isnan(f(jnp.full((2,), -1.0))).all() or np.isinf(f(x)).all()


def test_named_scope_checks_its_name():
    with mlax.named_scope("layer1"):
        y = mlax.jit(lambda x: x * 2)(jnp.ones(2))
    np.testing.assert_array_equal(y, [2, 2])
    with pytest.raises(TypeError, match="string"):
        with mlax.named_scope(3):
            pass


def test_print_environment_info_names_the_backend():
    text = mlax.print_environment_info(return_string=True)
    assert "mlax" in text and "backend: cpu" in text


def test_matches_jax_where_jax_is_installed():
    jax = pytest.importorskip("jax")
    assert mlax.default_backend() == jax.default_backend()
    assert mlax.device_count() == jax.device_count()
    assert mlax.process_index() == jax.process_index()
    assert type(mlax.device_get(jnp.ones(2))) is type(jax.device_get(jax.numpy.ones(2)))


def test_what_libraries_read_of_devices_and_arrays():
    """The device and layout queries chex makes: a device's process_index, the sharding of
    typeof(array), device_put's TypeError for a leaf that is no array."""
    assert mlax.devices()[0].process_index == 0
    x = mlax.numpy.ones(3)
    assert mlax.typeof(x).sharding.is_fully_replicated
    assert mlax.typeof(x) == mlax.typeof(mlax.numpy.zeros(3))     # sharding not compared
    with pytest.raises(TypeError, match="is not a valid JAX type"):
        mlax.device_put(float)
    assert mlax.device_put(None) is None
