"""The tpu backend (StableHLO through XLA; XLA's CPU client stands in for the chip): the
numeric table under jit(backend="tpu") against NumPy, control flow and transforms against
the cpu backend, PRNG bits against JAX, and its errors."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("jaxlib")

import mlax  # noqa: E402
from mlax import lax  # noqa: E402
from mlax import numpy as jnp  # noqa: E402

from optable import ROWS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _call(row, fn, args):
    if "second" in row.kwargs:
        return fn(*args, row.kwargs["second"])
    return fn(*args)


def _runnable(row):
    return not any(m.name == "skipif" and m.args[0] for m in row.marks)


def _lowers_on_tpu(row, rng):
    """Whether the row's IR uses only ops the tpu backend lowers (UNSUPPORTED lists the
    others, each with its reason; test_rule_coverage keeps that list complete)."""
    from mlax.lowering.stablehlo import UNSUPPORTED
    text = mlax.make_ir(lambda a: _call(row, row.fn, a))(row.args(rng)).as_text()
    return not any(f'"{name}"' in text for name in UNSUPPORTED)




def test_table_matches_numpy_on_tpu(rng):
    """Rows of the numeric table, all in one jitted function (one XLA compile keeps the
    test short), against NumPy; products at HIGHEST precision, as the table's tolerances
    are float32's (TPU rounding at DEFAULT: test_tpu_numerics.py)."""
    rows = [r for r in ROWS if _runnable(r) and _lowers_on_tpu(r, rng)]
    assert len(rows) > 200
    args = [r.args(rng) for r in rows]

    def every_row(args):
        return [_call(r, r.fn, a) for r, a in zip(rows, args)]

    with mlax.default_matmul_precision("highest"):
        got = mlax.jit(every_row, backend="tpu")(args)
    failed = []
    for r, a, g in zip(rows, args, got):
        want = _call(r, r.ref, a)
        try:
            np.testing.assert_allclose(np.asarray(g), want, rtol=r.rtol, atol=r.atol)
            assert np.asarray(g).shape == np.shape(want)
        except AssertionError as e:
            failed.append(f"{r.name}: {e}")
    assert not failed, "\n".join(failed)


# Control flow, transforms and ops whose StableHLO lowering has its own logic (modes,
# NaN handling, unsigned types), each against the cpu backend.
CASES = {
    "cond": lambda x: lax.cond(x.sum() > 0, lambda v: v * 2, lambda v: v - 1, x),
    "switch": lambda x: lax.switch(2, [lambda v: v, lambda v: v * 2, lambda v: -v], x),
    "while": lambda x: lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 1.1),
                                      (0, x))[1],
    "fori": lambda x: lax.fori_loop(0, 4, lambda i, v: v + i, x),
    "scan": lambda x: lax.scan(lambda c, r: (c + r, c * r), jnp.zeros(4), x),
    "scan_reverse": lambda x: lax.scan(lambda c, r: (c + r, c * r), jnp.zeros(4), x, reverse=True),
    "grad": lambda x: mlax.grad(lambda v: jnp.sum(jnp.tanh(v) ** 2))(x),
    "vmap": lambda x: mlax.vmap(lambda r: jnp.dot(r, r))(x),
    "grad_of_scan": lambda x: mlax.grad(
        lambda v: lax.scan(lambda c, r: (c * r, c), jnp.ones(4), v)[0].sum())(x),
    "sort": lambda x: jnp.sort(jnp.where(x > 1.5, jnp.nan, x)[::-1].ravel()),
    "argsort": lambda x: jnp.argsort(x.ravel()),
    "top_k": lambda x: lax.top_k(x, 2),
    "at_set": lambda x: x.at[jnp.array([0, 2])].set(5.0),
    "at_add_duplicates": lambda x: x.at[jnp.array([0, 0, 1])].add(1.0),
    "at_set_clip": lambda x: x.at[jnp.array([5, -7])].set(9.0, mode="clip"),
    "take_fill": lambda x: jnp.take(x.ravel(), jnp.array([0, 20, -30]), mode="fill"),
    "take_clip": lambda x: jnp.take(x.ravel(), jnp.array([0, 20, -30]), mode="clip"),
    "dynamic_slice": lambda x: lax.dynamic_slice(x, (1, jnp.int32(3)), (2, 2)),
    "dynamic_update_slice": lambda x: lax.dynamic_update_slice(x, jnp.ones((2, 2)), (2, 3)),
    "cummax_reverse": lambda x: lax.cummax(x, axis=1, reverse=True),
    "cumlogsumexp": lambda x: lax.cumlogsumexp(x, axis=0),
    "int_ops": lambda x: (x * 10).astype(jnp.int32) // 3 % 4 >> 1,
    "uint_ops": lambda x: ((x * 10).astype(jnp.uint32) * 7) >> 2,
    "pad_negative_interior": lambda x: lax.pad(x, 0.0, [(1, -1, 1), (0, 2, 0)]),
    "to_bool": lambda x: x.astype(bool),
    "argmax_nan": lambda x: jnp.argmax(jnp.where(x > 1, jnp.nan, x)),
}


def test_cases_match_the_cpu_backend():
    x = np.linspace(-1, 2, 12, dtype=np.float32).reshape(3, 4)

    def every_case(x):
        return {name: f(x) for name, f in CASES.items()}

    want = mlax.jit(every_case)(x)
    with mlax.default_matmul_precision("highest"):   # float32 products, as the CPU's
        got = mlax.jit(every_case, backend="tpu")(x)
    for name in CASES:
        for w, g in zip(mlax.tree_util.tree_leaves(want[name]),
                        mlax.tree_util.tree_leaves(got[name])):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6,
                                       err_msg=name)
            assert np.asarray(g).dtype == np.asarray(w).dtype, name


def test_prng_bits_match_jax():
    jax = pytest.importorskip("jax")
    from mlax import random

    def sample(k):
        k1, k2 = random.split(k)
        return random.bits(k1, (7,)), random.uniform(k2, (5,)), random.normal(k, (3,))

    got = mlax.jit(sample, backend="tpu")(random.PRNGKey(42))
    k = jax.random.PRNGKey(42)
    k1, k2 = jax.random.split(k)
    want = (jax.random.bits(k1, (7,)), jax.random.uniform(k2, (5,)), jax.random.normal(k, (3,)))
    for g, w in zip(got, want):
        assert np.array_equal(np.asarray(g), np.asarray(w))


def test_linear_regression_tutorial_runs_with_mlax_platforms_tpu():
    """The tutorial, unchanged, with MLAX_PLATFORMS=tpu: jit and eager ops on the tpu
    backend give the cpu backend's losses (JAX's: test_examples.py) within TPU precision
    (its products at DEFAULT round their operands to bfloat16)."""
    script = os.path.join(ROOT, "examples", "linear_regression.py")

    def losses(platform):
        env = dict(os.environ, MLAX_PLATFORMS=platform)
        out = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                             timeout=600, check=True).stdout
        return [float(line.split()[-1]) for line in out.splitlines() if line.startswith("Loss")]

    tpu, cpu = losses("tpu"), losses("cpu")
    assert len(tpu) == len(cpu) == 22
    np.testing.assert_allclose(tpu, cpu, rtol=2e-2)
    assert tpu[-1] < 0.02


_NUMBER = r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\d+(?=[ ,\]])"


def _skeleton(line):
    """A printed line without its numbers and spacing (NumPy pads numbers to a width)."""
    return re.sub(r"\s+", "", re.sub(_NUMBER, "#", line))


def _tutorial_output(name, platform):
    """What examples/`name` prints with MLAX_PLATFORMS=`platform`, NumPy's global random
    state seeded first (two cells draw from it unseeded)."""
    script = os.path.join(ROOT, "examples", name)
    code = ("import runpy, numpy as np; np.random.seed(0); "
            f"runpy.run_path({script!r}, run_name='__main__')")
    env = dict(os.environ, MLAX_PLATFORMS=platform)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600, check=True).stdout.splitlines()


@pytest.mark.parametrize("name", ["quickstart.py", "jax_for_the_impatient.py", "notes.py"])
def test_tutorials_run_with_mlax_platforms_tpu(name):
    """The other tutorials, unchanged, with MLAX_PLATFORMS=tpu: every line the cpu
    backend prints (JAX's values: test_examples.py), with the tpu platform's names for
    devices and array types, and its numbers within TPU precision (products at DEFAULT
    round their operands to bfloat16); random draws are bit for bit."""
    tpu, cpu = _tutorial_output(name, "tpu"), _tutorial_output(name, "cpu")
    assert len(tpu) == len(cpu)
    platform_words = {"TpuDevice": "CpuDevice", "mlax.runtime.tpu.ResidentArray":
                      "mlax.runtime.array.Array"}
    for t, c in zip(tpu, cpu):
        for a, b in platform_words.items():
            t = t.replace(a, b)
        assert _skeleton(t) == _skeleton(c), (t, c)
        np.testing.assert_allclose([float(v) for v in re.findall(_NUMBER, t)],
                                   [float(v) for v in re.findall(_NUMBER, c)],
                                   rtol=2e-2, atol=5e-3, err_msg=c)


def test_stablehlo_stage_keeps_the_user_line_and_is_valid_stablehlo():
    from mlax.backends.tpu import crossing

    def f(x):
        return jnp.exp(x) + 1          # the line every op must name

    lowered = mlax.jit(f, backend="tpu").lower(np.ones(3, np.float32))
    module = lowered.compiler_ir("stablehlo")
    line = f.__code__.co_firstlineno + 1
    jmodule = crossing.parse(crossing.generic_text(module), crossing.context())
    text = jmodule.operation.get_asm(enable_debug_info=True)
    assert "stablehlo.exponential" in text
    assert f"test_tpu_backend.py\":{line}:" in text
    data = crossing.artifact(jmodule)
    from jaxlib.mlir.dialects import stablehlo
    assert "stablehlo.exponential" in str(stablehlo.deserialize_portable_artifact(
        crossing.context(), data))


def test_invalid_stablehlo_is_reported_by_the_verifier():
    from mlax.backends.tpu import crossing
    text = ('"builtin.module"() ({ "func.func"() <{function_type = (tensor<3xf32>) -> '
            'tensor<3xf32>, sym_name = "main"}> ({ ^bb0(%a: tensor<3xf32>): '
            '%0 = "stablehlo.add"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<4xf32> '
            'loc("user.py":7:1) "func.return"(%0) : (tensor<4xf32>) -> () }) : () -> () }) '
            ': () -> ()')
    with pytest.raises(crossing.StablehloError, match=r"not valid StableHLO.*user.py\":7:1"):
        crossing.parse(text, crossing.context())


def test_an_op_without_a_stablehlo_rule_names_op_line_and_backend(monkeypatch):
    """An op the StableHLO lowering has no rule for (here sin, its rule taken away) is a
    PassError before XLA sees anything, naming the op, the user's line and the backend."""
    import inspect
    from mlax.lowering import stablehlo
    monkeypatch.delitem(stablehlo.LOWERINGS, "mlax.sin")

    def f(x):
        y = x * 2
        return jnp.sin(y)
    line = inspect.getsourcelines(f)[1] + 2
    with pytest.raises(mlax.passes.PassError,
                       match=rf"'mlax.sin' has no StableHLO lowering \(tpu backend\) "
                             rf"\(at loc\(\".*test_tpu_backend.py\":{line}:"):
        mlax.jit(f, backend="tpu")(np.ones(3, np.float32))


def test_missing_packages_name_what_to_install(monkeypatch):
    import importlib.util
    from mlax.runtime import tpu
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jaxlib" else real(name, *a))
    assert tpu.available() == ("the tpu backend needs the jaxlib package: "
                               "pip install 'mlax[tpu]' (jax and jaxlib)")


_HIDE_JAX = """
import importlib.abc, importlib.util, sys
class HideJax(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("jax", "jaxlib"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, HideJax())
find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: (None if name.split(".")[0] in ("jax", "jaxlib")
                                             else find_spec(name, *a))
"""


def test_mlax_platforms_tpu_without_the_extra_says_what_to_install():
    """MLAX_PLATFORMS=tpu in a process where jax and jaxlib do not import: the first op
    fails with one line naming the extra to install."""
    code = _HIDE_JAX + "import mlax.numpy as jnp\njnp.ones(3) + 1\n"
    r = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, MLAX_PLATFORMS="tpu"),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == (
        "mlax.backends.BackendUnavailable: backend 'tpu' is not available: the tpu backend "
        "needs the jax package: pip install 'mlax[tpu]' (jax and jaxlib)")


def test_mlax_compile_emits_stablehlo_bytecode(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("from mlax import numpy as jnp\n\ndef f(x):\n    return jnp.tanh(x) + 1\n")
    out = tmp_path / "f.mlirbc"
    tool = os.path.join(os.path.dirname(sys.executable), "mlax-compile")
    subprocess.run([tool, f"{src}:f", "--arg", "f32[3]", "--target", "tpu",
                    "--emit", "stablehlo-bytecode", "-o", str(out)], check=True, timeout=300)
    from jaxlib.mlir.dialects import stablehlo
    from mlax.backends.tpu import crossing
    module = stablehlo.deserialize_portable_artifact(crossing.context(), out.read_bytes())
    assert "stablehlo.tanh" in str(module)


def test_jit_of_one_function_on_two_backends_compiles_for_each(monkeypatch):
    """A function's compiled signatures are shared by its jits: the backend is in the key."""
    from mlax import backends
    tpu = backends.get("tpu")
    calls = []
    real = tpu.compile
    monkeypatch.setattr(tpu, "compile", lambda *a, **k: calls.append(1) or real(*a, **k))

    def f(x):
        return x * 3 + 1

    x = np.arange(4, dtype=np.float32)
    mlax.jit(f)(x)
    np.testing.assert_array_equal(np.asarray(mlax.jit(f, backend="tpu")(x)), x * 3 + 1)
    assert len(calls) == 1
    with _platform("tpu"):
        np.testing.assert_array_equal(np.asarray(mlax.jit(f)(x)), x * 3 + 1)
        np.asarray(jnp.sin(x))
    assert len(calls) == 3        # the jit on the default platform, and the eager sin


class _platform:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        mlax.config.update("jax_platform_name", self.name)

    def __exit__(self, *exc):
        mlax.config.update("jax_platform_name", None)


def test_zero_size_arrays_match_the_cpu_backend():
    """Windows and scans of length 0, which StableHLO's verifier rejects if emitted."""
    def zero_size(x, e):
        return dict(sum=jnp.sum(e, axis=0), concat=jnp.concatenate([e, e]),
                    max=jnp.max(e, axis=1, initial=-1.0), cumsum=jnp.cumsum(e, axis=0),
                    scan=lax.scan(lambda c, r: (c + r.sum(), r * 2), 0.0, e),
                    sort=jnp.sort(e, axis=0), take=e[jnp.array([], jnp.int32)])

    x, e = np.ones((2, 3), np.float32), np.zeros((0, 3), np.float32)
    want = mlax.jit(zero_size)(x, e)
    got = mlax.jit(zero_size, backend="tpu")(x, e)
    for w, g in zip(mlax.tree_util.tree_leaves(want), mlax.tree_util.tree_leaves(got)):
        assert np.asarray(g).shape == np.asarray(w).shape
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def test_cnn_train_steps_match_the_cpu_backend():
    """Convolutions, max pooling and their gradients (convolutions with lhs dilation,
    select_and_scatter) in two SGD steps of a small stax CNN."""
    from mlax import random
    from mlax.example_libraries import stax
    init, apply = stax.serial(stax.Conv(4, (3, 3), padding="SAME"), stax.Relu,
                              stax.MaxPool((2, 2), strides=(2, 2)),
                              stax.Conv(6, (3, 3), strides=(2, 2)), stax.Relu, stax.Flatten,
                              stax.Dense(5), stax.LogSoftmax)
    _, params = init(random.PRNGKey(0), (4, 12, 12, 2))
    x = np.random.default_rng(0).normal(size=(4, 12, 12, 2)).astype(np.float32)
    labels = np.eye(5, dtype=np.float32)[[0, 3, 1, 4]]

    def train(params):
        losses = []
        for _ in range(2):
            loss, grads = mlax.value_and_grad(lambda p: -jnp.mean(apply(p, x) * labels))(params)
            params = mlax.tree_util.tree_map(lambda p, g: p - 0.5 * g, params, grads)
            losses.append(loss)
        return losses, params

    want = mlax.jit(train)(params)
    with mlax.default_matmul_precision("highest"):   # float32 products, as the CPU's
        got = mlax.jit(train, backend="tpu")(params)
    for g, w in zip(mlax.tree_util.tree_leaves(got), mlax.tree_util.tree_leaves(want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-5)


X64_SCRIPT = """
import json
import numpy as np
import mlax
mlax.config.update("jax_enable_x64", True)
from mlax import numpy as jnp
from mlax.sharding import NamedSharding, PartitionSpec as P
out = {}
f = mlax.jit(lambda a, b, c: (a * 2 + 1e-300, b * 3 + 2**40, c * 1j))
a, b, c = np.array([1.0, 2.0**-1000]), np.array([2**41, -5]), np.array([1 + 2j, 3j])
out["jit"] = [[str(v.dtype), np.asarray(v).view(np.float64 if v.dtype == np.complex128
                                                else v.dtype).tolist()] for v in f(a, b, c)]
x = jnp.arange(4.0)                       # eager ops on the tpu platform
out["eager"] = [str(x.dtype), np.asarray(jnp.sum(x * 1e-300)).item()]
mesh = mlax.make_mesh((2,), ("d",))
s = NamedSharding(mesh, P("d"))
y = mlax.device_put(np.array([1.0, 1e-300, 3.0, 4.0]), s)
g = mlax.jit(lambda y: y * 2, in_shardings=s, out_shardings=s)
out["sharded"] = [str(y.dtype), np.asarray(g(y)).tolist()]
print(json.dumps(out))
"""


def test_64_bit_dtypes_with_mlax_x64_on_and_jax_x64_off():
    """jaxlib narrows 64-bit data in its transfers unless jax's own x64 flag is on; mlax's
    x64 mode alone must give float64/int64/complex128 values on the tpu platform (in a
    child process: x64 and the device count are process-wide)."""
    import json
    env = dict(os.environ, MLAX_PLATFORMS="tpu", JAX_ENABLE_X64="0",
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    proc = subprocess.run([sys.executable, "-c", X64_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["jit"][0] == ["float64", [2.0 + 1e-300, 2.0**-1000 * 2 + 1e-300]]
    assert out["jit"][1] == ["int64", [3 * 2**41 + 2**40, -15 + 2**40]]
    assert out["jit"][2] == ["complex128", [-2.0, 1.0, -3.0, 0.0]]
    assert out["eager"][0] == "float64" and out["eager"][1] == 6e-300
    assert out["sharded"] == ["float64", [2.0, 2e-300, 6.0, 8.0]]


def test_first_tpu_call_keeps_numpy_random_state():
    """Importing jax draws from NumPy's global generator (jax._src.clusters calls
    np.random.rand): the tpu runtime imports it on first use, after a program may have
    seeded NumPy, and must leave the program's numbers as they are (the compat corpus's
    vmapped_log_probs drew different data on tpu than under JAX)."""
    from child import run_case
    out = run_case("""
        import numpy as np
        import mlax, mlax.numpy as jnp
        np.random.seed(0)
        expected = np.random.rand(3)
        np.random.seed(0)
        mlax.config.update("jax_platform_name", "tpu")
        (jnp.ones(2) + 1).block_until_ready()
        assert "jax" in __import__("sys").modules
        np.testing.assert_array_equal(np.random.rand(3), expected)
        print("ok")
    """)
    assert out.stdout.strip().endswith("ok")


def test_eager_scalar_operands_are_put_once_and_keep_their_bits(monkeypatch):
    """An eager op's scalar operand is put into a buffer once (`x * 2.0` in a loop puts
    nothing after its first call), and scalars equal as numbers but not as bits (0.0 and
    -0.0) stay apart."""
    from mlax.runtime import tpu
    mlax.config.update("jax_platform_name", "tpu")
    try:
        x = jnp.ones(3) + 0.0
        np.asarray(x * 2.0)
        puts = []
        real = tpu.put
        monkeypatch.setattr(tpu, "put", lambda a: (puts.append(a.shape), real(a))[1])
        for _ in range(3):
            y = x * 2.0
        np.testing.assert_array_equal(y, [2.0, 2.0, 2.0])
        assert puts == []
        assert not np.signbit(np.asarray(x * 0.0)).any()
        assert np.signbit(np.asarray(x * -0.0)).all()
        assert np.isnan(np.asarray(x * np.float32("nan"))).all()
    finally:
        mlax.config.update("jax_platform_name", None)
