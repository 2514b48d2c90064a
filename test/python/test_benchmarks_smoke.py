"""Smoke test of the benchmark harness: `benchmarks/run.py --quick --only selu` runs in a
subprocess, exits 0, and prints a numeric (and checked-correct) mlax time for selu, and a
tpu time when jax is installed."""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, "benchmarks", "run.py")
TIME = re.compile(r"^\d+(\.\d+)? (us|ms|s)$")


def test_quick_selu_prints_numeric_mlax_column(tmp_path):
    out_json = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, RUN, "--quick", "--only", "selu",
                           "--json", str(out_json)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]

    lines = proc.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    header = next(ln for ln in lines if ln.startswith("workload"))
    columns = [c.strip() for c in header.split("|")]
    assert columns[:7] == ["workload", "mlax median", "tpu median", "jax.jit median",
                           "numpy median", "mlax/jax", "tpu/jax"]
    rows = [ln for ln in lines if ln.split("|")[0].strip() == "selu"]
    assert len(rows) == 1, proc.stdout
    cells = [c.strip() for c in rows[0].split("|")]
    assert TIME.match(cells[1]), f"mlax column is not a time: {cells[1]!r}"
    assert TIME.match(cells[4]), f"numpy column is not a time: {cells[4]!r}"
    assert "WRONG" not in rows[0]

    report = json.loads(out_json.read_text())
    (row,) = report["rows"]
    mlax = row["columns"]["mlax"]
    assert row["name"] == "selu" and mlax["status"] == "ok"
    assert mlax["median_s"] > 0 and mlax["reps"] >= 2
    if row["columns"]["jax"]["status"] == "ok":
        assert row["ratio"] == mlax["median_s"] / row["columns"]["jax"]["median_s"]
        tpu = row["columns"]["tpu"]     # the tpu backend needs the same jax/jaxlib
        assert tpu["status"] == "ok" and TIME.match(cells[2]), cells[2]
        assert row["tpu_ratio"] == tpu["median_s"] / row["columns"]["jax"]["median_s"]


def test_unknown_workload_is_a_clear_error():
    proc = subprocess.run([sys.executable, RUN, "--only", "no_such_row"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert "unknown workload(s) no_such_row" in proc.stderr and "selu" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_weak_scaling_quick_runs_every_size(tmp_path):
    """`benchmarks/sharding.py --quick`: a row per device count, the losses of mlax and JAX
    checked equal (it exits 1 otherwise)."""
    pytest.importorskip("jax")
    out_json = tmp_path / "scaling.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "sharding.py"),
                           "--quick", "--json", str(out_json)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={k: v for k, v in os.environ.items() if k != "XLA_FLAGS"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out_json.read_text())
    assert [r["devices"] for r in rows] == [1, 2, 4, 8]
    assert all(r["mlax_s"] > 0 and r["jax_s"] > 0 for r in rows)


def test_footprint_reports_import_time_and_memory_per_executable():
    """`benchmarks/footprint.py`: import times, whether `import mlax` loads MLIR, and the
    memory each small jitted function keeps, as numbers."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "footprint.py"),
                           "--runs", "1", "--functions", "5"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = dict(ln.rsplit("|", 1) for ln in proc.stdout.splitlines()[2:])
    rows = {k.strip(): v.strip() for k, v in rows.items()}
    assert re.match(r"^\d+\.\d ms$", rows["import mlax, mlax.numpy (after numpy)"]), rows
    assert rows["MLIR loaded by those imports (mlax)"] in ("yes", "no")
    assert re.match(r"^-?\d+\.\d\d MiB$", rows["mlax: memory kept per small jitted function"])
