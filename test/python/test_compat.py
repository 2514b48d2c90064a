"""The compat corpus (test/compat): public JAX programs run under mlax and report what JAX
reports. A program marked `# compat: xfail <reason>` must still fail (strict xfail), so a
program that starts to pass loses its mark. The runner's comparison and the `jax` shim are
tested here too, without JAX."""
import importlib.util
import json
import os
import pathlib
import sys

import pytest

from child import run_case

COMPAT = pathlib.Path(__file__).parents[1] / "compat"
_spec = importlib.util.spec_from_file_location("compat_run", COMPAT / "run.py")
runner = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = runner  # its dataclasses look their module up there
_spec.loader.exec_module(runner)


def _params():
    for path in runner.programs():
        reason = runner.xfail_reason(path)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(path, marks=marks, id=path.stem)


@pytest.mark.parametrize("path", list(_params()))
def test_program_matches_jax(path):
    pytest.importorskip("jax")
    outcome = runner.run_program(path, timeout=300)
    assert outcome.ran and outcome.matched, outcome.first_error


# Corpus programs on the tpu platform, run under the hook with MLAX_PLATFORMS=tpu (the tpu
# runtime imports the real jax's PJRT client beside the hook); the runner gives them
# products at HIGHEST and run.TPU_TOLERANCES. A few, CI-sized: host callbacks (debugging),
# NumPy's random state across the first tpu call (vmapped_log_probs), a tolerance entry
# (autodiff_cookbook_batching).
TPU_PROGRAMS = ["automatic_vectorization", "control_flow", "custom_jvp", "jit_compilation",
                "debugging", "vmapped_log_probs", "autodiff_cookbook_batching"]


@pytest.mark.parametrize("name", TPU_PROGRAMS)
def test_program_matches_jax_on_the_tpu_platform(name, monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setenv("MLAX_PLATFORMS", "tpu")
    outcome = runner.run_program(COMPAT / "programs" / f"{name}.py", timeout=300)
    assert outcome.ran and outcome.matched, outcome.first_error


# Programs with control flow (cond, while/fori loops, scan, dynamic slices) that match
# JAX's reports on the cuda platform in interpret mode (MLAX_GPU_INTERPRET=1: the kernels
# run as CPU loops, the host decides between launches).
CUDA_PROGRAMS = ["common_gotchas", "control_flow", "custom_vjp", "kmeans_segments"]


@pytest.mark.parametrize("name", CUDA_PROGRAMS)
def test_program_matches_jax_on_the_cuda_platform(name, monkeypatch):
    pytest.importorskip("jax")
    monkeypatch.setenv("MLAX_PLATFORMS", "cuda")
    monkeypatch.setenv("MLAX_GPU_INTERPRET", "1")
    outcome = runner.run_program(COMPAT / "programs" / f"{name}.py", timeout=300)
    assert outcome.ran and outcome.matched, outcome.first_error


def _array(values, dtype="float32"):
    shape = [len(values)] if isinstance(values, list) else []
    return {"kind": "array", "dtype": dtype, "shape": shape, "values": values}


@pytest.mark.parametrize("ref, got, differs", [
    (_array([1.0, 2.0]), _array([1.0, 2.00001]), False),          # within rtol 1e-4
    (_array([1.0, 2.0]), _array([1.0, 2.001]), True),
    (_array([1000.0, 0.0]), _array([1000.0, 0.005]), False),       # atol scales with max|jax|
    (_array([float("nan")]), _array([float("nan")]), False),
    (_array([float("inf")]), _array([1e38]), True),
    (_array([1, 2], "int32"), _array([1, 3], "int32"), True),       # ints exactly
    (_array([1.0]), _array([1.0], "float64"), True),                # dtypes exactly
    (_array([1.0]), {"kind": "numpy", "dtype": "float32", "shape": [1], "values": [1.0]}, True),
    ({"kind": "error", "type": "ConcretizationTypeError", "builtin": "TypeError", "message": ""},
     {"kind": "error", "type": "TracerBoolConversionError", "builtin": "TypeError",
      "message": ""}, False),                                       # builtin classes compared
    ({"kind": "error", "type": "TypeError", "builtin": "TypeError", "message": ""},
     {"kind": "error", "type": "ValueError", "builtin": "ValueError", "message": ""}, True),
    (_array([1.0]), {"kind": "error", "type": "AttributeError", "builtin": "AttributeError",
                     "message": "no attribute 'fft'"}, True),
    ({"kind": "dict", "items": {"a": _array([1.0])}},
     {"kind": "dict", "items": {"b": _array([1.0])}}, True),
])
def test_compare_values(ref, got, differs):
    assert (runner.compare_values(ref, got, runner.RTOL, runner.ATOL) is not None) == differs


def test_tpu_tolerances_leave_their_reports_unchecked_on_tpu_only(monkeypatch):
    ref = [{"name": "a", "value": _array([1.0])}, {"name": "b", "value": _array([2.0])}]
    got = [{"name": "a", "value": _array([1.5])}, {"name": "b", "value": _array([2.5])}]
    assert [m.split(":")[0] for m in runner.compare(ref, got, unchecked=("a",))] == ["b"]
    assert all(t.reason and t.unchecked for t in runner.TPU_TOLERANCES.values())
    monkeypatch.setenv("MLAX_PLATFORMS", "tpu")
    monkeypatch.delenv("JAX_DEFAULT_MATMUL_PRECISION", raising=False)
    assert runner.on_tpu() and runner._env(True)["JAX_DEFAULT_MATMUL_PRECISION"] == "highest"
    assert "JAX_DEFAULT_MATMUL_PRECISION" not in runner._env(False)
    monkeypatch.setenv("MLAX_PLATFORMS", "cpu")
    assert not runner.on_tpu() and "JAX_DEFAULT_MATMUL_PRECISION" not in runner._env(True)


def test_report_lines_roundtrip():
    """_report prints what compare_values reads: NaN, bools, nested containers, float0."""
    out = run_case(f"""
        import sys; sys.path.insert(0, {str(COMPAT / "programs")!r})
        import numpy as np
        from _report import report, report_call
        report("x", {{"b": (np.float32(np.nan), True), "a": [1, "s", None]}})
        report_call("raises", lambda: 1 / 0)
    """)
    lines = [json.loads(l[len("@report "):]) for l in out.stdout.splitlines()]
    assert lines[0]["value"]["kind"] == "dict" and list(lines[0]["value"]["items"]) == ["a", "b"]
    assert runner.compare_values(lines[0]["value"], lines[0]["value"], 1e-4, 1e-5) is None
    assert lines[1]["value"]["builtin"] == "ZeroDivisionError"


def test_shim_gives_mlax_for_jax():
    env = {"PYTHONPATH": os.pathsep.join([str(COMPAT / "shim"), os.environ.get("PYTHONPATH", "")])}
    out = run_case("""
        import jax, jax.numpy as jnp, mlax, mlax.numpy
        from jax.scipy.special import logsumexp
        assert jax is mlax and jnp is mlax.numpy
        assert logsumexp is mlax.scipy.special.logsumexp
        try:
            import jax.no_such_module
        except ModuleNotFoundError as e:
            print(e)
    """, env=env)
    assert "No module named 'jax.no_such_module' (mlax has no 'mlax.no_such_module')" in out.stdout
