"""The tutorials (examples/, written as the seeds write them) run on mlax and print the
values the seeds show (random draws included: mlax's PRNG is bit-compatible with JAX's)."""
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"


def run(name):
    p = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def numbers(line):
    return [float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\d+(?=[ ,\]])", line)]


def line_after(out, marker, offset=0):
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if marker in l:
            return lines[i + offset]
    raise AssertionError(f"{marker!r} not printed:\n{out}")


@pytest.fixture(scope="module")
def quickstart():
    return run("quickstart.py")


@pytest.fixture(scope="module")
def impatient():
    return run("jax_for_the_impatient.py")


@pytest.fixture(scope="module")
def notes():
    return run("notes.py")


def test_quickstart_autodiff(quickstart):
    lines = quickstart.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith("[0.25 "))
    np.testing.assert_allclose(numbers(lines[i]), [0.25, 0.19661197, 0.10499357], rtol=1e-6)
    assert np.allclose(numbers(lines[i + 1]), [0.24998187, 0.1965761, 0.10502338], atol=2e-4)
    assert abs(float(lines[i + 2]) - (-0.0353256)) < 1e-6
    jac = np.array([numbers(l) for l in lines[i + 3:i + 6]])
    np.testing.assert_allclose(jac, np.diag([1.0, 2.7182817, 7.389056]), rtol=1e-6)
    hess = np.array([numbers(l) for l in lines[i + 6:i + 9]])
    np.testing.assert_allclose(hess, np.diag([0.0, -0.09085776, -0.07996249]), atol=1e-6)


def test_quickstart_jit_and_errors(quickstart):
    assert "True" in quickstart.splitlines()
    assert "  x = Traced<f32[3,4]>" in quickstart
    assert "TracerBoolConversionError" in quickstart and "neg" in quickstart
    assert "Array(-1, dtype=int32, weak_type=True)" in quickstart
    assert "NonConcreteBooleanIndexError" in quickstart
    assert '"mlax.dot_general"' in quickstart
    assert "Auto-vectorized with vmap" in quickstart


def test_quickstart_random(quickstart):
    assert "[ 0 43]" in quickstart
    assert quickstart.count("0.07520543") == 2
    for i, v in enumerate([-1.9133632183074951, -1.4749839305877686, -0.36703771352767944]):
        got = float(line_after(quickstart, f"draw {i}:").split(":")[1])
        assert abs(got - v) < 1e-6


def test_impatient_random(impatient):
    draws = [numbers(l.split("gives:")[1])[0] for l in impatient.splitlines() if "gives:" in l]
    assert len(draws) == 3 and all(abs(d - (-0.20584235)) < 1e-6 for d in draws)
    assert "[4146024105  967050713]" in impatient
    assert "[2718843009 1272950319]" in impatient
    split_line = line_after(impatient, "SPLIT")
    assert abs(numbers(split_line.split("normal")[1])[0] - 0.14389044) < 1e-6
    sub_line = line_after(impatient, "new subkey")
    assert abs(numbers(sub_line.split("normal")[1])[0] - (-1.2515389)) < 1e-5
    line = line_after(impatient, "new subkey", 1)
    assert [int(v) for v in re.findall(r"\d{6,}", line)] == [
        3306097435, 3899823266, 147607341, 367236428, 2280136339, 1907318301, 781391491, 1939998335]


def test_impatient_autodiff(impatient):
    orig = numbers(line_after(impatient, "Original v:", 1))
    grad = numbers(line_after(impatient, "Gradient of f taken at point v", 1))
    np.testing.assert_allclose(orig, grad, rtol=1e-6)
    assert "Batched example shape:  (5, 15)" in impatient


def test_impatient_training_reaches_seed_loss(impatient):
    finals = [float(l.split()[-1]) for l in impatient.splitlines() if l.startswith("Loss step 100:")]
    assert len(finals) == 3
    for v in finals:
        assert abs(v - 0.011575883) < 5e-5   # the tutorial's final loss
    true_losses = [float(l.split()[-1]) for l in impatient.splitlines() if l.startswith('Loss for "true"')]
    assert all(abs(v - 0.023639774) < 1e-4 for v in true_losses)


def test_impatient_pytrees(impatient):
    assert "[1, {'k1': 4, 'k2': (9, 16)}, 25]" in impatient
    assert "[2, {'k1': 6, 'k2': (12, 20)}, 30]" in impatient


def test_notes(notes):
    lines = notes.splitlines()
    assert numbers(lines[0]) == [0.0, 2.0, 4.0]                       # grad of sum(x**2)
    assert numbers(lines[1].split(" is ")[1]) == [0.0, 2.0, 4.0]      # poly_3d, argnums=0
    assert numbers(lines[3]) == [0.0, 2.0, 4.0, 0.0, 3.0, 12.0, 0.0, 4.0, 32.0]
    w, b = numbers(lines[4])                                           # SGD with random.choice
    assert abs(w - 5) < 0.1 and abs(b - 2) < 0.1
    assert numbers(" ".join(lines[5:10])) == [0.0] * 5                 # vmap(loss, (None, 0, 1))
    assert lines.count("True") == 2                                    # vmap(grad(sin)), l1dist
    total, *running = numbers(lines[-1])                               # lax.scan running sum
    assert total == 15.0 and running == [1.0, 3.0, 6.0, 10.0, 15.0]
