"""scripts/ecosystem_tests.py: a short seeded run of optax's and chex's own test modules
under mlax.compat reports counts and causes; the drawn tests pass."""
import os
import subprocess
import sys

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "ecosystem_tests.py")


def test_seeded_slice_of_optax_and_chex_suites_passes():
    pytest.importorskip("optax")
    pytest.importorskip("chex")
    proc = subprocess.run([sys.executable, SCRIPT, "--sample", "4", "--seed", "0",
                           "optax/losses/_regression_test.py", "optax/_src/update_test.py",
                           "chex/_src/asserts_test.py"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    total = proc.stdout.splitlines()[-1]
    assert total.startswith("total: 12 passed, 0 failed"), proc.stdout
