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
    linear_util.wrap_init
except NotImplementedError as e:
    assert "jax.extend.linear_util.wrap_init" in str(e)
else:
    raise AssertionError("wrap_init")
ir = jax.make_ir(lambda x: nn.Dense(2).init(jax.random.PRNGKey(0), x))(jax.numpy.ones((1, 3)))
text = ir.as_text(debug_info=True)
assert any(p.endswith("linen/module.py") for p in mlax.traceback_util._exclude_paths)
assert "linen/module.py" not in text and "linen/linear.py" in text, text
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, cwd=os.path.dirname(__file__))
    assert proc.returncode == 0, proc.stderr
