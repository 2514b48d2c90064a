"""chex under mlax.compat: test/python/ecosystem/chex_program.py (assert_shape,
assert_trees_all_close, assert_type, chex.dataclass, restrict_backends, chexify,
chex.variants with and without jit, assert_max_traces) prints the same under mlax as under
JAX. Each run is a child interpreter, since this process uses the real jax as its oracle."""
import os
import subprocess
import sys

import pytest

PROGRAM = os.path.join(os.path.dirname(__file__), "ecosystem", "chex_program.py")


def _output(*prefix):
    proc = subprocess.run([sys.executable, *prefix, PROGRAM], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_chex_behaves_as_under_jax():
    pytest.importorskip("chex")
    pytest.importorskip("jax")
    under_jax = _output()
    under_mlax = _output("-m", "mlax.compat")
    assert under_mlax == under_jax
    assert "restrict forbidden: RestrictedBackendError" in under_mlax
    assert "chexify failed: AssertionError True" in under_mlax
    assert "variants: 2 0" in under_mlax
    assert "max_traces wrong order: ValueError" in under_mlax
    assert "max_traces retrace: AssertionError" in under_mlax
