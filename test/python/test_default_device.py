"""`mlax.default_device` and `jax_default_device`, and where arrays say they are
(`x.devices()`, `device_put`, `committed`) on the cpu, tpu and cuda (interpret) platforms.

The JAX cases run one program under real JAX and under mlax, each in a child process with
four devices (JAX's CPU devices; mlax's tpu platform, XLA's CPU client standing in), and
compare what they print: where each result lives and whether it is committed.
"""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import mlax
import mlax.numpy as jnp

from child import run_case

pytest.importorskip("jax")

FOUR = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}

# The same program under both: `jax` is JAX or mlax; `platform` the name of the platform
# of the four devices ("cpu" under JAX, "tpu" under mlax).
PROGRAM = """
import json, numpy as np
devs = jax.devices()
x = np.arange(4.0, dtype=np.float32)
f = jax.jit(lambda a: jnp.sin(a) * 2)
out = {}

def where(name, a):
    out[name] = [sorted(d.id for d in a.devices()), bool(a.committed)]

where("default", f(x))
c = jax.device_put(x, devs[2])
where("put_committed", c)
with jax.default_device(devs[3]):
    y = f(x)
    where("jit", y)
    where("eager", jnp.cos(y))
    where("ones", jnp.ones(3))
    where("zeros_like", jnp.zeros_like(x))
    where("arange", jnp.arange(5))
    where("array", jnp.array([1.0, 2.0]))
    where("full", jnp.full((2,), 7.0))
    where("device_put", jax.device_put(x))
    where("committed_wins", f(c))
    where("device_arg", jnp.zeros(2, device=devs[1]))
    out["value"] = np.asarray(y).tolist()
where("after", f(y))
with jax.default_device(platform):
    where("platform_name", f(x))
jax.config.update("jax_default_device", devs[1])
where("config", f(x))
jax.config.update("jax_default_device", None)
where("config_reset", f(x))
print(json.dumps(out))
"""


def _run(prelude, env, program=PROGRAM):
    r = run_case(prelude + program, env=env, timeout=600)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    assert lines, r.stdout + r.stderr[-3000:]
    return json.loads(lines[-1])


def test_default_device_places_as_jax_does():
    ref = _run("import jax, jax.numpy as jnp\nplatform = 'cpu'\n", FOUR)
    got = _run("import mlax as jax, mlax.numpy as jnp\nplatform = 'tpu'\n",
               {**FOUR, "MLAX_PLATFORMS": "tpu"})
    assert got == ref
    # What JAX documents: uncommitted computations and new arrays go to the default
    # device, uncommitted; committed inputs win and their results are committed.
    assert ref["jit"] == [[3], False] and ref["ones"] == [[3], False]
    assert ref["committed_wins"] == [[2], True] and ref["after"] == [[0], False]
    np.testing.assert_allclose(got["value"], np.sin(np.arange(4.0)) * 2, rtol=1e-6)


EAGER_PROGRAM = """
import json, numpy as np
devs = jax.devices()
x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
c = jax.device_put(x, devs[2])
out = {}

def where(name, a):
    out[name] = [sorted(d.id for d in a.devices()), bool(a.committed), np.asarray(a).tolist()]

where("unary", jnp.sin(c))
where("binary", c * 2 + c)
where("reduce", jnp.sum(c, axis=0))
where("index", c[1, ::2])
with jax.default_device(devs[3]):
    y = jnp.cos(jnp.arange(3.0))
    where("default", y)
    where("chain", jnp.exp(y) - y)
    where("committed_wins", jnp.tanh(c))
print(json.dumps(out))
"""


def test_eager_ops_run_on_the_device_as_jax_does():
    """Eager ops on arrays committed to a device other than the first, or under such a
    default device: results where JAX puts them, committed as JAX's, JAX's values."""
    ref = _run("import jax, jax.numpy as jnp\n", FOUR, EAGER_PROGRAM)
    got = _run("import mlax as jax, mlax.numpy as jnp\n", {**FOUR, "MLAX_PLATFORMS": "tpu"},
               EAGER_PROGRAM)
    assert got == ref
    assert ref["unary"][:2] == [[2], True] and ref["default"][:2] == [[3], False]


def test_eager_ops_on_another_device_run_there_without_host_copies():
    """An eager op on a TpuArray committed to device 2 is compiled for device 2 and takes
    its buffer: neither the operand nor the result is read back to the host, and the
    result's buffer is on that device."""
    program = """
import json, numpy as np, mlax, mlax.numpy as jnp
dev = mlax.devices()[2]
c = mlax.device_put(np.arange(4.0, dtype=np.float32), dev)
r = jnp.tanh(jnp.sin(c) * 3)
print(json.dumps({"operand_read": c._host is not None, "result_read": r._host is not None,
                  "buffer_devices": sorted(d.id for d in r._global.devices()),
                  "value": np.asarray(r).tolist()}))
"""
    got = _run("", {**FOUR, "MLAX_PLATFORMS": "tpu"}, program)
    assert got["operand_read"] is False and got["result_read"] is False
    assert got["buffer_devices"] == [2]
    np.testing.assert_allclose(got["value"], np.tanh(np.sin(np.arange(4.0)) * 3), rtol=1e-6)


def test_default_device_takes_a_device_or_a_platform_name():
    with pytest.raises(ValueError, match="Device object .* or a platform name"):
        mlax.config.update("jax_default_device", 3)
    assert mlax.config.jax_default_device is None
    with mlax.default_device("cpu"):
        assert mlax.config.jax_default_device == "cpu"
    assert mlax.config.jax_default_device is None


@pytest.fixture
def interpret(monkeypatch):
    monkeypatch.setenv("MLAX_GPU_INTERPRET", "1")


def _sin2(a):
    return jnp.sin(a) * 2


@pytest.mark.parametrize("platform", ["cpu", "tpu", "cuda"])
def test_arrays_report_the_device_they_are_on(platform, interpret, monkeypatch):
    """device_put, jit on a backend, eager ops and default_device all agree with
    `mlax.devices(platform)` (cuda in interpret mode: its results are host buffers, but
    they are the cuda device's; the tpu stand-in is listed when requested)."""
    monkeypatch.setenv("MLAX_PLATFORMS", f"cpu,{platform}")
    dev = mlax.devices(platform)[0]
    x = np.linspace(-1, 1, 6, dtype=np.float32)
    put = mlax.device_put(x, dev)
    assert put.devices() == {dev} and put.sharding.device_set == {dev} and put.committed
    y = mlax.jit(_sin2, backend=platform)(x)
    assert y.devices() == {dev} and y.device == dev and not y.committed
    np.testing.assert_allclose(y, np.sin(x) * 2, rtol=1e-6)
    assert (put + 1).devices() == {dev} and mlax.jit(_sin2)(put).devices() == {dev}
    np.testing.assert_allclose(mlax.jit(_sin2)(put), np.sin(x) * 2, rtol=1e-6)
    with mlax.default_device(dev):
        z = mlax.jit(_sin2)(x)
        for a in (z, jnp.cos(z), jnp.ones(3), jnp.arange(3), mlax.device_put(x)):
            assert a.devices() == {dev} and not a.committed
        np.testing.assert_allclose(z, np.sin(x) * 2, rtol=1e-6)


def test_committed_inputs_win_across_platforms(interpret):
    cpu, gpu = mlax.devices("cpu")[0], mlax.devices("cuda")[0]
    x = np.arange(3.0, dtype=np.float32)
    on_cpu = mlax.device_put(x, cpu)
    with mlax.default_device(gpu):
        r = mlax.jit(_sin2)(on_cpu)
        assert r.devices() == {cpu} and r.committed
        assert (on_cpu * 2).devices() == {cpu} and (on_cpu * 2).committed
        with pytest.raises(ValueError, match="argument 'b' is on gpu devices .* 'a' is on "
                                             "cpu devices"):
            mlax.jit(lambda a, b: a + b)(on_cpu, mlax.device_put(x, gpu))


def test_default_platform_cuda_reports_cuda_devices():
    r = run_case("""
        import json, numpy as np, mlax, mlax.numpy as jnp
        x = np.ones(3, np.float32)
        arrays = [mlax.jit(lambda a: a + 1)(x), mlax.device_put(x), jnp.ones(2), jnp.exp(x)]
        print(json.dumps([repr(d) for d in mlax.devices()] +
                         [repr(sorted(a.devices(), key=repr)) for a in arrays]))
    """, env={"MLAX_PLATFORMS": "cuda", "MLAX_GPU_INTERPRET": "1"})
    seen = json.loads(r.stdout.splitlines()[-1])
    assert seen == ["CudaDevice(id=0)"] + ["[CudaDevice(id=0)]"] * 4
