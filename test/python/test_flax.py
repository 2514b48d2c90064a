"""flax.linen on mlax through mlax.compat: examples/flax_train.py (an MLP and a CNN with
Dense, Conv, LayerNorm, Dropout with rngs, TrainState and optax's adam) trains under the
hook with the losses JAX gives. Each run is a child interpreter, since this process uses
the real jax as its oracle."""
import os
import subprocess
import sys

import numpy as np
import pytest

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "flax_train.py")


def _losses(*prefix):
    proc = subprocess.run([sys.executable, *prefix, EXAMPLE, "8"], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return np.array([float(v) for v in proc.stdout.split()])


def test_flax_mlp_and_cnn_train_as_under_jax():
    pytest.importorskip("flax")
    pytest.importorskip("jax")
    jax_losses = _losses()
    mlax_losses = _losses("-m", "mlax.compat")
    assert len(jax_losses) == 2 * (8 + 1)
    np.testing.assert_allclose(mlax_losses, jax_losses, rtol=1e-5, atol=1e-6)


def test_flax_linen_names_under_the_hook():
    """The JAX names flax.linen imports resolve; the files flax registers with
    source_info_util (its Module machinery) are never the source line of an op, the
    layers' own lines are (as under JAX)."""
    pytest.importorskip("flax")
    code = """
import mlax, mlax.compat
mlax.compat.install()
import jax, flax.linen as nn
from jax.extend import linear_util, core as jex_core
from jax.interpreters import partial_eval as pe
from jax.experimental.layout import Format
from jax._src import core, dtypes, traceback_util
assert core is mlax.core and dtypes is mlax.dtypes
assert jax.__version_info__ == (0, 10, 2)
assert pe.PartialVal.unknown(1).get_aval() == 1 and pe.PartialVal.known(2).is_known()
assert jex_core.get_opaque_trace_state() == jex_core.get_opaque_trace_state()
assert jax.sharding.get_abstract_mesh().empty
try:
    linear_util.transformation
except NotImplementedError as e:
    assert "jax.extend.linear_util.transformation" in str(e)
else:
    raise AssertionError("transformation")
ir = jax.make_ir(lambda x: nn.Dense(2).init(jax.random.PRNGKey(0), x))(jax.numpy.ones((1, 3)))
text = ir.as_text(debug_info=True)
assert any(p.endswith("linen/module.py") for p in mlax.traceback_util._exclude_paths)
assert "linen/module.py" not in text and "linen/linear.py" in text, text
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr


def test_flax_layers_and_lifted_transforms_as_under_jax():
    """BatchNorm (mutable batch_stats), Embed, Sequential, SelfAttention, GroupNorm,
    RMSNorm, RNN over LSTM and GRU cells, pooling, ConvTranspose, nn.remat, nn.vmap,
    nn.jit, nn.scan: each case prints the same under mlax as under JAX."""
    pytest.importorskip("flax")
    pytest.importorskip("jax")
    program = os.path.join(os.path.dirname(__file__), "ecosystem", "flax_layers.py")
    outs = []
    for prefix in ([], ["-m", "mlax.compat"]):
        proc = subprocess.run([sys.executable, *prefix, program], capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout.splitlines())
    assert outs[1] == outs[0]
    assert all(" ok " in line for line in outs[1]) and len(outs[1]) == 14


def test_partial_evaluation_finds_the_known_results():
    """trace_to_jaxpr_nounits: results computed from known inputs only are known (with
    their values, computed eagerly or in the enclosing jit), the others unknown."""
    import mlax
    from mlax import numpy as jnp
    from mlax.api_util import flatten_fun_nokwargs
    from mlax.core import ShapedArray
    from mlax.extend import linear_util as lu
    from mlax.interpreters import partial_eval as pe
    from mlax.tree_util import tree_structure

    def body(k, x):
        w = mlax.random.normal(k, (3,))                   # a nested jit, on a known key
        return {"w": w * 2, "y": jnp.sin(x) + w}

    def classify(k):
        f, out_tree = flatten_fun_nokwargs(lu.wrap_init(body),
                                           tree_structure((k, np.zeros(3, np.float32))))
        _, pvals, _ = pe.trace_to_jaxpr_nounits(
            f, [pe.PartialVal.known(k), pe.PartialVal.unknown(ShapedArray((3,), np.float32))])
        w, y = out_tree().unflatten(pvals).values()
        assert w.is_known() and not y.is_known() and y.get_aval().shape == (3,)
        return w.get_known()

    k = mlax.random.PRNGKey(1)
    want = np.asarray(mlax.random.normal(k, (3,))) * 2
    np.testing.assert_allclose(np.asarray(classify(k)), want, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(mlax.jit(classify)(k)), want, rtol=1e-6)


OPTAX_EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "optax_mlp.py")


def test_optax_mlp_example_trains_as_under_jax():
    """README's optax example (adam after clip_by_global_norm, GELU MLP, jit of
    value_and_grad) under the hook gives JAX's losses (100 steps; later steps of this loss
    landscape amplify float32 rounding)."""
    pytest.importorskip("optax")
    pytest.importorskip("jax")

    def losses(*prefix):
        proc = subprocess.run([sys.executable, *prefix, OPTAX_EXAMPLE, "100"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return np.array([float(line.split()[-1]) for line in proc.stdout.splitlines()])

    want, got = losses(), losses("-m", "mlax.compat")
    assert len(want) == 6 and want[-1] < 0.01
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-6)


def test_optax_mlp_example_trains_with_mlax_platforms_tpu():
    """The same example under the hook with MLAX_PLATFORMS=tpu (the runtime imports the
    real jax's PJRT client beside the hook): TPU numerics round the products' operands to
    bfloat16, so the losses follow JAX's (CPU) within TPU precision early on (2%) and, as
    rounding accumulates over the steps, within 30% at step 100, still converging."""
    pytest.importorskip("optax")
    pytest.importorskip("jax")

    def losses(env, *prefix):
        proc = subprocess.run([sys.executable, *prefix, OPTAX_EXAMPLE, "100"],
                              capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, **env))
        assert proc.returncode == 0, proc.stderr
        return np.array([float(line.split()[-1]) for line in proc.stdout.splitlines()])

    want = losses({})
    got = losses({"MLAX_PLATFORMS": "tpu"}, "-m", "mlax.compat")
    assert len(got) == 6 and got[-1] < 0.005
    np.testing.assert_allclose(got[:2], want[:2], rtol=2e-2)
    np.testing.assert_allclose(got, want, rtol=0.3)
