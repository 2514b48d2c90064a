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


def test_expected_failures_name_a_sliced_test_and_a_reason():
    """Tests that each expected failure of the slice names a module of the slice and a
    reason, and is matched by its test name whatever pytest's class prefix."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("ecosystem_tests", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for (module, test), reason in script.EXPECTED_FAILURES.items():
        assert module in script.SLICE and test.startswith("test_") and reason
        assert script.expected_failure(module, f"pkg.Case::{test}") == reason
    assert script.expected_failure("optax/_src/alias_test.py", "A::test_x") is None
