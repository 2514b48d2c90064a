"""Sharded arrays and jit over a device mesh (mlax.spmd, mlax.runtime.sharding, the tpu
backend's SPMD path), against NumPy, real JAX on the same devices, and single-device runs.

Cases that need 8 devices run in a child process with MLAX_PLATFORMS=tpu and
XLA_FLAGS=--xla_force_host_platform_device_count=8 (the flag must be set before XLA's CPU
client is made); each prints JSON the test checks.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlax
import mlax.numpy as jnp
from mlax import lax
from mlax.sharding import Mesh, NamedSharding, PartitionSpec as P, SingleDeviceSharding

from child import run_case

jax = pytest.importorskip("jax")

EIGHT = {"MLAX_PLATFORMS": "tpu", "JAX_PLATFORMS": "cpu",
         "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}

PRELUDE = """
import json, numpy as np
import mlax, mlax.numpy as jnp
from mlax import lax
from mlax.sharding import Mesh, NamedSharding, PartitionSpec as P, SingleDeviceSharding
import jax, jax.numpy as rjnp
# Products in float32, as NumPy's and JAX's CPU (TPU rounding: test_tpu_numerics.py).
mlax.config.update("jax_default_matmul_precision", "highest")
"""


def run8(code, setup="", **kw):
    out = run_case(PRELUDE + textwrap.dedent(setup) + textwrap.dedent(code), env=EIGHT, **kw)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON from the child:\n{out.stdout}\n{out.stderr[-3000:]}"
    return json.loads(lines[-1])


# ---------------------------------------------------------------------------------------
# One process, the default (cpu) platform: one device


def test_host_arrays_keep_single_device_sharding():
    x = jnp.arange(4.0)
    assert isinstance(x.sharding, SingleDeviceSharding)
    assert x.devices() == {mlax.devices()[0]}


def test_sharding_constraint_on_one_device_is_the_value():
    """On the cpu backend (one device) the constraint lowers to the value itself; its
    gradient and its vmap are JAX's."""
    mesh = mlax.make_mesh((1,), ("b",))
    s = NamedSharding(mesh, P("b"))

    def f(a):
        return jnp.sum(lax.with_sharding_constraint(jnp.sin(a), s) ** 2)

    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(mlax.jit(f)(x), np.sum(np.sin(x) ** 2), rtol=1e-6)
    np.testing.assert_allclose(mlax.grad(f)(x), 2 * np.sin(x) * np.cos(x), rtol=1e-6)
    rows = mlax.vmap(f)(x)
    np.testing.assert_allclose(rows, [np.sum(np.sin(r) ** 2) for r in x], rtol=1e-6)
    ir = str(mlax.make_ir(f)(x))
    assert '"mlax.sharding_constraint"' in ir


def test_set_mesh_lets_partition_specs_stand_for_named_shardings():
    mesh = mlax.make_mesh((1,), ("b",))
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    f = mlax.jit(lambda a: lax.with_sharding_constraint(a * 2, P("b")))
    with mlax.sharding.set_mesh(mesh):
        np.testing.assert_allclose(f(x), x * 2)
    with pytest.raises(ValueError, match="needs a mesh"):
        mlax.jit(lambda a: lax.with_sharding_constraint(a * 3, P("b")))(x)


def test_partition_spec_errors_name_the_axis():
    mesh = Mesh(np.array(mlax.devices()[:1]), ("x",))
    with pytest.raises(ValueError, match="names mesh axis 'z'"):
        NamedSharding(mesh, P("z"))
    with pytest.raises(ValueError, match="more than once"):
        NamedSharding(Mesh(np.array(mlax.devices()[:1]).reshape(1, 1), ("x", "y")),
                      P("x", "x"))


# ---------------------------------------------------------------------------------------
# Eight host devices (child processes)


def test_eight_devices_and_device_put_to_one():
    r = run8("""
        devs = mlax.devices()
        x = np.arange(6, dtype=np.float32)
        y = mlax.device_put(x, devs[3])
        z = mlax.jit(lambda a: jnp.sin(a) * 2)(y)
        print(json.dumps({
            "devices": [repr(d) for d in devs], "count": mlax.device_count(),
            "platform": devs[0].platform,
            "y_devices": [d.id for d in y.devices()], "y_sharding": repr(y.sharding),
            "z_devices": [d.id for d in z.devices()], "z": np.asarray(z).tolist(),
            "host": [d.id for d in mlax.device_put(x).devices()]}))
    """)
    assert r["count"] == 8 and r["platform"] == "tpu"
    assert r["devices"] == [f"TpuDevice(id={i})" for i in range(8)]
    assert r["y_devices"] == [3] and "TpuDevice(id=3)" in r["y_sharding"]
    assert r["z_devices"] == [3]
    np.testing.assert_allclose(r["z"], np.sin(np.arange(6, dtype=np.float32)) * 2, rtol=1e-6)


def test_named_sharding_layout_matches_jax():
    """Each device's block (addressable_shards), the shard data, the tile assignment XLA
    gets (`mhlo.sharding` text) and the text drawing, against JAX's NamedSharding."""
    r = run8("""
        from jaxlib import xla_client as xc
        from mlax.runtime.sharding import hlo_sharding_text
        mesh = mlax.make_mesh((4, 2), ("x", "y"))
        jmesh = jax.make_mesh((4, 2), ("x", "y"))
        x = np.arange(8 * 8, dtype=np.float32).reshape(8, 8)
        out = {}
        for spec in [("x", "y"), ("x",), (None, "y"), (("x", "y"),), ("y", "x"), ()]:
            s = NamedSharding(mesh, P(*spec))
            a = mlax.device_put(x, s)
            js = jax.sharding.NamedSharding(jmesh, jax.sharding.PartitionSpec(*spec))
            ja = jax.device_put(x, js)
            mine = {sh.device.id: [[i.start, i.stop] for i in sh.index] for sh in a.addressable_shards}
            theirs = {sh.device.id: [[i.start, i.stop] for i in sh.index] for sh in ja.addressable_shards}
            data_ok = all(np.array_equal(np.asarray(sh.data), x[sh.index]) for sh in a.addressable_shards)
            counts, ids = s.tiles(2)
            text = hlo_sharding_text(counts, ids, 2, list(range(8)))
            same_hlo = xc.HloSharding.from_string(text) == js._to_xla_hlo_sharding(2)
            out[repr(spec)] = [mine == theirs, data_ok, same_hlo,
                               np.array_equal(np.asarray(a), x), repr(a.sharding.spec)]
        out["picture"] = mlax.debug.visualize_array_sharding(
            mlax.device_put(x, NamedSharding(mesh, P("x", "y"))), return_string=True)
        print(json.dumps(out))
    """)
    picture = r.pop("picture")
    for spec, (same_blocks, data_ok, same_hlo, whole, _) in r.items():
        assert same_blocks, f"blocks differ from JAX's for {spec}"
        assert data_ok and whole, spec
        assert same_hlo, f"tile assignment differs from JAX's for {spec}"
    assert picture.count("TPU") == 8 and "TPU 0" in picture and "TPU 7" in picture
    assert len(picture.strip().splitlines()) == 9       # 4 rows of blocks, 5 rules


def test_jit_propagates_input_sharding_like_jax():
    r = run8("""
        mesh = mlax.make_mesh((4, 2), ("x", "y"))
        x = np.linspace(-2, 2, 8 * 6, dtype=np.float32).reshape(8, 6)
        a = mlax.device_put(x, NamedSharding(mesh, P("x", "y")))
        y = mlax.jit(lambda v: jnp.tanh(v) * 3)(a)
        ja = jax.device_put(x, jax.sharding.NamedSharding(jax.make_mesh((4, 2), ("x", "y")),
                                                          jax.sharding.PartitionSpec("x", "y")))
        jy = jax.jit(lambda v: rjnp.tanh(v) * 3)(ja)
        z = mlax.jit(lambda v: v.sum(axis=0))(a)
        print(json.dumps({"spec": repr(y.sharding.spec), "jax_spec": str(jy.sharding.spec),
                          "y": np.asarray(y).tolist(), "jy": np.asarray(jy).tolist(),
                          "z": np.asarray(z).tolist(), "z_devices": len(z.devices()),
                          "kind": type(y).__name__}))
    """)
    assert r["spec"] == r["jax_spec"] == "P('x', 'y')"
    np.testing.assert_allclose(r["y"], r["jy"], rtol=1e-6, atol=1e-6)
    x = np.linspace(-2, 2, 8 * 6, dtype=np.float32).reshape(8, 6)
    np.testing.assert_allclose(r["z"], x.sum(axis=0), rtol=1e-5)
    assert r["z_devices"] == 8 and r["kind"] == "TpuArray"


MLP = """
def init(seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(16, 32)).astype(np.float32) * 0.3, np.zeros(32, np.float32)),
            (rng.normal(size=(32, 4)).astype(np.float32) * 0.3, np.zeros(4, np.float32))]

def make(np_):
    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i == 0:
                h = np_.tanh(h)
        return np_.mean((h - y) ** 2)
    return loss

rng = np.random.default_rng(1)
X = rng.normal(size=(50, 64, 16)).astype(np.float32)
Y = rng.normal(size=(50, 64, 4)).astype(np.float32)
"""


def test_data_parallel_mlp_matches_one_device_over_50_steps():
    """Batch sharded over 8 devices, parameters replicated: the losses of 50 SGD steps are
    the single-device ones (mlax on one device, and real JAX) within float32 tolerance,
    and the compiled HLO all-reduces the gradient."""
    r = run8(setup=MLP, code="""
        loss = make(jnp)
        def step(params, x, y):
            l, g = mlax.value_and_grad(loss)(params, x, y)
            return [(w - 0.1 * gw, b - 0.1 * gb) for (w, b), (gw, gb) in zip(params, g)], l
        mesh = mlax.make_mesh((8,), ("batch",))
        data = NamedSharding(mesh, P("batch"))
        rep = NamedSharding(mesh, P())
        dp = mlax.jit(step, in_shardings=(rep, data, data), out_shardings=(rep, rep))
        one = mlax.jit(step)
        p_dp = mlax.device_put(init(0), rep)
        p_one = init(0)
        l_dp, l_one = [], []
        for i in range(50):
            p_dp, l = dp(p_dp, mlax.device_put(X[i], data), mlax.device_put(Y[i], data))
            l_dp.append(float(l))
            p_one, l = one(p_one, X[i], Y[i])
            l_one.append(float(l))
        jloss = make(rjnp)
        @jax.jit
        def jstep(params, x, y):
            l, g = jax.value_and_grad(jloss)(params, x, y)
            return [(w - 0.1 * gw, b - 0.1 * gb) for (w, b), (gw, gb) in zip(params, g)], l
        p_j, l_j = init(0), []
        for i in range(50):
            p_j, l = jstep(p_j, X[i], Y[i])
            l_j.append(float(l))
        hlo = dp.lower(p_dp, X[0], Y[0]).compile().as_text("hlo")
        shard = p_dp[0][0].sharding
        print(json.dumps({"dp": l_dp, "one": l_one, "jax": l_j,
                          "all_reduce": "all-reduce" in hlo,
                          "param_spec": repr(shard.spec), "param_devices": len(shard.device_set),
                          "x_shards": [list(s.data.shape) for s in
                                       mlax.device_put(X[0], data).addressable_shards]}))
    """)
    assert r["all_reduce"]
    assert r["param_spec"] == "P()" and r["param_devices"] == 8
    assert r["x_shards"] == [[8, 16]] * 8
    assert r["dp"][-1] < r["dp"][0]
    np.testing.assert_allclose(r["dp"], r["one"], rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(r["dp"], r["jax"], rtol=2e-5, atol=1e-6)


def test_model_parallel_layer_matches():
    """Weights sharded over a mesh axis (columns of the first layer, rows of the second,
    Megatron style) on a 2 x 4 mesh: values and gradients match NumPy and JAX, and XLA
    adds the all-reduce of the partial products."""
    r = run8("""
        mesh = mlax.make_mesh((2, 4), ("data", "model"))
        rng = np.random.default_rng(2)
        x = rng.normal(size=(8, 16)).astype(np.float32)
        w1 = rng.normal(size=(16, 32)).astype(np.float32) * 0.2
        w2 = rng.normal(size=(32, 8)).astype(np.float32) * 0.2
        def layer(w1, w2, x):
            return jnp.tanh(x @ w1) @ w2
        f = mlax.jit(layer, in_shardings=(NamedSharding(mesh, P(None, "model")),
                                          NamedSharding(mesh, P("model", None)),
                                          NamedSharding(mesh, P("data", None))))
        g = mlax.jit(mlax.grad(lambda w1, w2, x: jnp.sum(layer(w1, w2, x) ** 2), argnums=(0, 1)),
                     in_shardings=(NamedSharding(mesh, P(None, "model")),
                                   NamedSharding(mesh, P("model", None)),
                                   NamedSharding(mesh, P("data", None))))
        y = f(w1, w2, x)
        g1, g2 = g(w1, w2, x)
        jg1, jg2 = jax.grad(lambda w1, w2, x: rjnp.sum((rjnp.tanh(x @ w1) @ w2) ** 2),
                            argnums=(0, 1))(w1, w2, x)
        hlo = f.lower(w1, w2, x).compile().as_text("hlo")
        print(json.dumps({"y": np.asarray(y).tolist(),
                          "ref": (np.tanh(x @ w1) @ w2).tolist(),
                          "g1": np.asarray(g1).tolist(), "jg1": np.asarray(jg1).tolist(),
                          "g2": np.asarray(g2).tolist(), "jg2": np.asarray(jg2).tolist(),
                          "g1_spec": repr(g1.sharding.spec),
                          "all_reduce": "all-reduce" in hlo,
                          "w1_local": list(mlax.device_put(w1, NamedSharding(mesh, P(None, "model")))
                                           .addressable_shards[0].data.shape)}))
    """)
    np.testing.assert_allclose(r["y"], r["ref"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(r["g1"], r["jg1"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(r["g2"], r["jg2"], rtol=1e-4, atol=1e-5)
    assert r["all_reduce"]
    assert r["w1_local"] == [16, 8]


def test_with_sharding_constraint_under_jit_grad_vmap():
    r = run8("""
        mesh = mlax.make_mesh((8,), ("b",))
        s = NamedSharding(mesh, P("b"))
        x = np.linspace(-1, 1, 16 * 3, dtype=np.float32).reshape(16, 3)
        f = mlax.jit(lambda a: lax.with_sharding_constraint(jnp.sin(a), s) * 2)
        y = f(x)
        text = f.lower(x).as_text("stablehlo")
        loss = lambda a: jnp.sum(lax.with_sharding_constraint(jnp.sin(a), s) ** 2)
        g = mlax.jit(mlax.grad(loss))(x)
        gir = str(mlax.make_ir(mlax.grad(loss))(x))
        v = mlax.jit(mlax.vmap(lambda a: lax.with_sharding_constraint(jnp.sin(a), s)))(
            np.stack([x, 2 * x]))
        eager = lax.with_sharding_constraint(x, s)
        print(json.dumps({"y": np.asarray(y).tolist(), "spec": repr(y.sharding.spec),
                          "custom_call": 'call_target_name = "Sharding"' in text,
                          "mhlo": 'mhlo.sharding = "{devices=[8,1]0,1,2,3,4,5,6,7}"' in text,
                          "g": np.asarray(g).tolist(), "v": np.asarray(v).tolist(),
                          "constraints_in_grad": gir.count("mlax.sharding_constraint"),
                          "eager_spec": repr(eager.sharding.spec)}))
    """)
    x = np.linspace(-1, 1, 16 * 3, dtype=np.float32).reshape(16, 3)
    np.testing.assert_allclose(r["y"], np.sin(x) * 2, rtol=1e-6)
    assert r["spec"] == "P('b',)"
    assert r["custom_call"] and r["mhlo"]
    np.testing.assert_allclose(r["g"], 2 * np.sin(x) * np.cos(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(r["v"], [np.sin(x), np.sin(2 * x)], rtol=1e-6)
    assert r["constraints_in_grad"] >= 1
    assert r["eager_spec"] == "P('b',)"


def test_bad_input_errors_name_the_argument():
    r = run8("""
        mesh = mlax.make_mesh((8,), ("b",))
        out = {}
        def err(fn):
            try:
                fn()
            except Exception as e:
                return f"{type(e).__name__}: {e}"
            return "no error"
        x = np.ones((12, 3), np.float32)
        out["divisible"] = err(lambda: mlax.jit(lambda x: x * 2,
                                                in_shardings=NamedSharding(mesh, P("b")))(x))
        def unknown():
            with mesh:
                return mlax.jit(lambda x: x * 2, in_shardings=P("z"))(np.ones((8, 3), np.float32))
        out["unknown"] = err(unknown)
        devs = mlax.devices()
        m1 = Mesh(np.array(devs[:4]), ("a",))
        m2 = Mesh(np.array(devs[4:]), ("a",))
        u = mlax.device_put(np.ones((8,), np.float32), NamedSharding(m1, P("a")))
        v = mlax.device_put(np.ones((8,), np.float32), NamedSharding(m2, P("a")))
        out["mixed"] = err(lambda: mlax.jit(lambda first, second: first + second)(u, v))
        out["put"] = err(lambda: mlax.device_put(np.ones((5,), np.float32),
                                                 NamedSharding(mesh, P("b"))))
        out["no_mesh"] = err(lambda: mlax.jit(lambda x: x, in_shardings=P("b"))(x))
        print(json.dumps(out))
    """, timeout=300)
    assert "argument 'x'" in r["divisible"] and "not divisible by 8" in r["divisible"], r
    assert "(at <string>:" in r["divisible"] and "(at <string>:" in r["mixed"], r
    assert "argument 'x'" in r["unknown"] and "'z'" in r["unknown"], r
    assert "argument 'second'" in r["mixed"] and "argument 'first'" in r["mixed"], r
    assert "[4, 5, 6, 7]" in r["mixed"] and "[0, 1, 2, 3]" in r["mixed"], r
    assert "not divisible" in r["put"], r
    assert "needs a mesh" in r["no_mesh"] and "argument 'x'" in r["no_mesh"], r


# ---------------------------------------------------------------------------------------
# Two processes x 4 devices (PJRT's distributed runtime)

DISTRIBUTED = """
import json, os, sys
import numpy as np
import mlax, mlax.numpy as jnp
from mlax.sharding import NamedSharding, PartitionSpec as P
pid, port = int(sys.argv[1]), sys.argv[2]
mlax.config.update("jax_default_matmul_precision", "highest")   # float32, as NumPy's
mlax.distributed.initialize(f"localhost:{port}", 2, pid)
mesh = mlax.make_mesh((8,), ("b",))
data, rep = NamedSharding(mesh, P("b")), NamedSharding(mesh, P())
rng = np.random.default_rng(0)
X = rng.normal(size=(10, 32, 8)).astype(np.float32)
Y = rng.normal(size=(10, 32, 2)).astype(np.float32)
w = rng.normal(size=(8, 2)).astype(np.float32)
def loss(w, x, y):
    return jnp.mean((jnp.tanh(x @ w) - y) ** 2)
step = mlax.jit(lambda w, x, y: (w - 0.1 * mlax.grad(loss)(w, x, y), loss(w, x, y)),
                in_shardings=(rep, data, data), out_shardings=(rep, rep))
wd = mlax.device_put(w, rep)
losses = []
for i in range(10):
    wd, l = step(wd, X[i], Y[i])
    losses.append(float(l))
print(json.dumps({"pid": pid, "losses": losses, "devices": len(mlax.devices()),
                  "local": [d.id for d in mlax.local_devices()],
                  "process": [mlax.process_index(), mlax.process_count()],
                  "x_local": [list(s.data.shape) for s in
                              mlax.device_put(X[0], data).addressable_shards]}))
"""


def test_two_processes_of_four_devices_agree_with_one():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, MLAX_PLATFORMS="tpu", JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=4")
    procs = [subprocess.Popen([sys.executable, "-c", DISTRIBUTED, str(i), str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=240)
            assert p.returncode == 0, err[-3000:]
            outs.append(json.loads([x for x in out.splitlines() if x.startswith("{")][-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 32, 8)).astype(np.float32)
    Y = rng.normal(size=(10, 32, 2)).astype(np.float32)
    w = rng.normal(size=(8, 2)).astype(np.float32)

    def loss(w, x, y):
        return jnp.mean((jnp.tanh(x @ w) - y) ** 2)
    step = mlax.jit(lambda w, x, y: (w - 0.1 * mlax.grad(loss)(w, x, y), loss(w, x, y)))
    ref = []
    for i in range(10):
        w, l = step(w, X[i], Y[i])
        ref.append(float(l))
    for o in outs:
        assert o["devices"] == 8
        assert o["local"] == [4 * o["pid"] + i for i in range(4)]
        assert o["process"] == [o["pid"], 2]
        assert o["x_local"] == [[4, 8]] * 4
        np.testing.assert_allclose(o["losses"], ref, rtol=2e-5, atol=1e-6)
    assert outs[0]["losses"] == outs[1]["losses"]
