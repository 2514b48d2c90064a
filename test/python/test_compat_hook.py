"""mlax.compat: the opt-in hook under which `import jax` gives mlax. Each case runs in a child
interpreter, since this test process uses the real jax as its oracle."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest


def run(code, *args):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_install_aliases_jax_and_its_modules():
    out = run("""
        import mlax, mlax.compat
        mlax.compat.install()
        import jax, jax.numpy as jnp
        from jax import lax, random
        from jax.scipy.special import logsumexp
        import jax.tree_util
        assert jax is mlax and jnp is mlax.numpy and lax is mlax.lax
        assert jax.tree_util is mlax.tree_util and jax.config is mlax.config
        print(float(logsumexp(jnp.zeros(4))), jax.jit(lambda x: x * 2)(jnp.ones(2)).tolist())
    """)
    assert out.split() == ["1.3862943649291992", "[2.0,", "2.0]"]


def test_missing_and_private_modules_name_themselves():
    run("""
        import mlax.compat
        mlax.compat.install()
        for name, named in (("jax.no_such_module", "jax.no_such_module"),
                            ("jax._src.interpreters.pxla", "jax._src")):
            try:
                __import__(name)
            except ModuleNotFoundError as e:
                assert named in str(e), e
            else:
                raise AssertionError(name)
    """)


def test_uninstall_restores_the_real_jax():
    pytest.importorskip("jax")
    run("""
        import jax as real, jax.numpy as real_jnp
        import mlax, mlax.compat
        with mlax.compat.installed():
            import jax
            assert jax is mlax and mlax.compat.is_installed()
        import jax, jax.numpy
        assert jax is real and jax.numpy is real_jnp and not mlax.compat.is_installed()
        mlax.compat.install(); mlax.compat.install()      # idempotent
        mlax.compat.uninstall(); mlax.compat.uninstall()
        import jax
        assert jax is real
    """)


def test_run_a_script_with_the_hook(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("import sys, jax, jax.numpy as jnp\n"
                      "print(jax.__name__, int(jnp.sum(jnp.arange(4))), sys.argv[1:])\n")
    proc = subprocess.run([sys.executable, "-m", "mlax.compat", str(script), "a", "b"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["mlax", "6", "['a',", "'b']"]
    proc = subprocess.run([sys.executable, "-m", "mlax.compat"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2 and "usage" in proc.stderr
    for args, what in (([str(tmp_path / "missing.py")], "can't open file"),
                       (["-m", "no_such_module_here"], "no module named")):
        proc = subprocess.run([sys.executable, "-m", "mlax.compat", *args], capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 2 and what in proc.stderr and "Traceback" not in proc.stderr


OPTAX_PROGRAM = """
import jax, jax.numpy as jnp, numpy as np, optax
rng = np.random.default_rng(0)
X = jnp.asarray(rng.standard_normal((64, 5)).astype(np.float32))
y = X @ jnp.arange(5.0)
def loss(p):
    return jnp.mean((X @ p["w"] + p["b"] - y) ** 2)
for opt in [optax.adam(0.1), optax.sgd(0.05, momentum=0.9, nesterov=True),
            optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(0.05)),
            optax.rmsprop(0.01), optax.lion(0.01)]:
    p = {"w": jnp.zeros(5), "b": jnp.zeros(())}
    state = opt.init(p)
    @jax.jit
    def step(p, s):
        l, g = jax.value_and_grad(loss)(p)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, l
    for i in range(50):
        p, state, l = step(p, state)
    print(float(l))
"""


def _under_jax_and_the_hook(tmp_path, program):
    """The stdout of an optax `program` run with real JAX, then under `python -m mlax.compat`."""
    pytest.importorskip("optax")
    pytest.importorskip("jax")
    script = tmp_path / "optax_prog.py"
    script.write_text(program)
    outs = []
    for cmd in ([sys.executable, str(script)], [sys.executable, "-m", "mlax.compat", str(script)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    return outs


def test_optax_trains_under_the_hook_as_under_jax(tmp_path):
    jax_out, mlax_out = _under_jax_and_the_hook(tmp_path, OPTAX_PROGRAM)
    np.testing.assert_allclose([float(v) for v in mlax_out.split()],
                               [float(v) for v in jax_out.split()], rtol=1e-4)


HALF_OPTAX_PROGRAM = """
import jax, jax.numpy as jnp, numpy as np, optax
for dtype in (jnp.float16, jnp.bfloat16):
    for opt in [optax.noisy_sgd(0.1, seed=0), optax.adagrad(0.1), optax.sgd(0.1, momentum=0.9),
                optax.lion(0.1), optax.adam(0.1), optax.adamw(0.1), optax.rmsprop(0.1),
                optax.lamb(0.1), optax.yogi(0.1), optax.adabelief(0.1), optax.radam(0.1)]:
        p = {"w": jnp.asarray(np.linspace(-1, 1, 6).reshape(2, 3), dtype)}
        s = opt.init(p)
        @jax.jit
        def step(p, s):
            g = jax.tree_util.tree_map(lambda w: 2 * w + 0.5, p)
            u, s = opt.update(g, s, p)
            return optax.apply_updates(p, u), s
        for _ in range(3):
            p, s = step(p, s)
        print(p["w"].dtype, *np.asarray(p["w"], np.float32).ravel())
"""


def test_optax_keeps_16_bit_parameters_as_jax_does(tmp_path):
    """`int32 ** 2.0` is a weak float32 in JAX, so noisy_sgd's noise scale keeps float16
    and bfloat16 parameters in their type; the updates give JAX's bits: adam's bias
    correction and `m / sqrt(v)` are XLA's products (mlax-algebraic), rmsprop's rsqrt
    rounds once at float16."""
    jax_out, mlax_out = _under_jax_and_the_hook(tmp_path, HALF_OPTAX_PROGRAM)
    assert mlax_out.splitlines() == jax_out.splitlines()


def test_log_compiles_reaches_the_jax_logger():
    """`jax.log_compiles()` logs each compilation; under the hook the records reach the
    handlers attached to the `jax` logger (optax's tests count recompilations so)."""
    out = run("""
        import logging, mlax.compat
        mlax.compat.install()
        import jax, jax.numpy as jnp
        seen = []
        class Keep(logging.Handler):
            def emit(self, record):
                seen.append(record.getMessage())
        logging.getLogger("jax").addHandler(Keep())
        f = jax.jit(lambda x: x * 2)
        with jax.log_compiles():
            f(jnp.ones(3)); f(jnp.ones(3)); f(jnp.ones(4))
        f(jnp.ones(5))
        print(len(seen), seen[0].startswith("Finished mlax compilation of _lambda_"))
    """)
    assert out.split() == ["2", "True"]
