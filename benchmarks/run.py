#!/usr/bin/env python
"""mlax vs jax.jit vs NumPy on the tutorials' workloads: one process, one run, one table.

    python benchmarks/run.py [--quick] [--only NAME[,NAME...]] [--json out.json] [-v]
                             [--platform cuda]

Each row (benchmarks/workloads.py) runs on mlax (jitted), on jax.jit (when `import jax` works)
and on NumPy. A column's time is the median of many calls, timed with time.perf_counter after
warm-up, outputs blocked on with block_until_ready. Each mlax result is checked against a float64
NumPy reference (np.allclose); a mismatch marks the row WRONG and gets no ratio. A row that mlax
cannot run yet (a missing transform, op or lowering) says "unsupported: <reason>" in its column
and the run goes on. Ratio = mlax median / jax.jit median: below 1 means mlax is faster.
The tpu column runs mlax with the tpu backend as the default platform (StableHLO run by XLA's
CPU client, arrays copied at each call); tpu/jax is its median over jax.jit's.
With --platform cuda the mlax column runs on the cuda platform (an NVIDIA GPU; inputs and
outputs cross through host memory at each call) and the jax.jit column on jax's GPU backend
where jax has one (else it says why); there is no tpu column.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads as W  # noqa: E402


class Settings:
    """Repetition policy: up to max_reps timed calls, stopping once budget_s is spent and at
    least min_reps are in; warm-up calls stop early when they use half the budget."""

    def __init__(self, max_reps, min_reps, budget_s, warmup, row_limit_s):
        self.max_reps, self.min_reps, self.budget_s = max_reps, min_reps, budget_s
        self.warmup, self.row_limit_s = warmup, row_limit_s


SETTINGS = {
    ("full", "steady"): Settings(max_reps=2000, min_reps=5, budget_s=2.0, warmup=3,
                                 row_limit_s=300),
    ("quick", "steady"): Settings(max_reps=20, min_reps=2, budget_s=0.25, warmup=1,
                                  row_limit_s=120),
    ("full", "first_call"): Settings(max_reps=10, min_reps=3, budget_s=10.0, warmup=1,
                                     row_limit_s=300),
    ("quick", "first_call"): Settings(max_reps=2, min_reps=1, budget_s=1.0, warmup=0,
                                      row_limit_s=120),
}


# -- libraries ----------------------------------------------------------------------------------

class Library:
    def __init__(self, name, module=None, jnp=None, error=None, device=None):
        self.name, self.module, self.jnp, self.error = name, module, jnp, error
        self.device = device        # the platform (mlax) or device (jax) its cells run on

    @property
    def available(self):
        return self.module is not None


def load_mlax():
    try:
        import mlax
        import mlax.numpy
        return Library("mlax", mlax, mlax.numpy)
    except Exception as e:  # a broken tree must still produce a table
        return Library("mlax", error=short_reason(e))


def load_mlax_tpu():
    """mlax with the tpu backend as the default platform (set around each of its cells):
    StableHLO run by XLA's CPU client. The client is started here, as loading jax does not
    start it: the first row's first calls then time compiling and running, in either
    column (jax.jit shares the client)."""
    lib = load_mlax()
    if lib.available:
        try:
            from mlax import backends
            backends.get("tpu").devices()   # starts the client (jax_platform_name=tpu,
                                            # set around the column's cells, makes it present)
        except Exception as e:
            return Library("tpu", error=short_reason(e))
    return Library("tpu", lib.module, lib.jnp, lib.error)


def load_mlax_cuda():
    """mlax with the cuda platform as the default (an NVIDIA GPU)."""
    lib = load_mlax()
    if lib.available:
        try:
            lib.module.devices("cuda")
        except Exception as e:
            return Library("mlax", error=short_reason(e))
    return Library("mlax", lib.module, lib.jnp, lib.error, device="cuda")


def load_jax_cuda():
    """jax.jit on jax's GPU backend, when this jax has one."""
    lib = load_jax()
    if lib.available:
        try:
            lib.device = lib.module.devices("gpu")[0]
        except Exception as e:
            return Library("jax", error=f"jax has no GPU backend here ({short_reason(e)})")
    return lib


def load_jax():
    try:
        import jax
        import jax.numpy
        return Library("jax", jax, jax.numpy)
    except Exception as e:
        return Library("jax", error=short_reason(e))


# -- pytrees of outputs (library-independent: dict keys sorted, like JAX) -----------------------

def leaves(tree):
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [leaf for t in tree for leaf in leaves(t)]
    return [tree]


def block(out):
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
        return
    for leaf in leaves(out):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()


def convert(tree, asarray):
    if isinstance(tree, dict):
        return {k: convert(v, asarray) for k, v in tree.items()}
    if isinstance(tree, list):
        return [convert(v, asarray) for v in tree]
    if isinstance(tree, tuple):
        return tuple(convert(v, asarray) for v in tree)
    if isinstance(tree, np.ndarray):
        return asarray(tree)
    return tree


# -- errors -------------------------------------------------------------------------------------

class RowTimeout(Exception):
    pass


def short_reason(e, limit=70):
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    m = re.search(r"module '([\w.]+)' has no attribute '(\w+)'", msg)
    if m:
        return f"no {m.group(1)}.{m.group(2)}"
    text = f"{type(e).__name__}: {msg}" if msg else type(e).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


class time_limit:
    """Raise RowTimeout if the block runs longer than `seconds` (checked between bytecodes)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def _fire(self, signum, frame):
        raise RowTimeout(f"over {self.seconds} s")

    def __enter__(self):
        if hasattr(signal, "SIGALRM"):
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.alarm(self.seconds)

    def __exit__(self, *exc):
        if hasattr(signal, "SIGALRM"):
            signal.alarm(0)
            signal.signal(signal.SIGALRM, self.old)


# -- timing -------------------------------------------------------------------------------------

def measure(fn, args, s: Settings):
    """First call (for a jitted function: trace + compile + run), warm-up, then timed calls."""
    clock = time.perf_counter
    t = clock()
    out = fn(*args)
    block(out)
    first_s = clock() - t
    warm_start = clock()
    for _ in range(s.warmup):
        if clock() - warm_start > s.budget_s / 2:
            break
        block(fn(*args))
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        while len(samples) < s.max_reps:
            t = clock()
            block(fn(*args))
            samples.append(clock() - t)
            if len(samples) >= s.min_reps and clock() - start > s.budget_s:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    a = np.array(samples)
    return out, {"median_s": float(np.median(a)), "min_s": float(a.min()),
                 "p25_s": float(np.percentile(a, 25)), "p75_s": float(np.percentile(a, 75)),
                 "reps": len(samples), "first_call_s": first_s}


def to_numpy_leaves(out):
    return [np.asarray(x) for x in leaves(out)]


def check(w, out, reference, expected_dtypes, data):
    """None if `out` matches the float64 reference, else a short description of the mismatch."""
    got = to_numpy_leaves(out)
    if len(got) != len(reference):
        return f"{len(got)} outputs, expected {len(reference)}"
    base = [np.zeros(r.shape) for r in reference]
    if w.delta_of:
        base = [np.asarray(x, np.float64) for x in leaves(data[w.delta_of])]
    for i, (g, r, dt, b) in enumerate(zip(got, reference, expected_dtypes, base)):
        if g.shape != r.shape:
            return f"output {i}: shape {g.shape}, expected {r.shape}"
        if g.dtype != dt:
            return f"output {i}: dtype {g.dtype}, expected {dt}"
        g64, r64 = g.astype(np.float64) - b, r - b
        atol = w.atol * max(1.0, float(np.max(np.abs(r64), initial=0.0)))
        if not np.allclose(g64, r64, rtol=w.rtol, atol=atol, equal_nan=False):
            err = float(np.max(np.abs(g64 - r64)))
            return f"output {i}: max abs error {err:.3g}"
    return None


def run_column(w, lib, data, settings, verbose):
    """Time `w` on one library; returns (result dict, outputs or None)."""
    if not lib.available:
        return {"status": "n/a", "reason": lib.error}, None
    try:
        with time_limit(settings.row_limit_s), default_platform(lib):
            d = convert(data, lib.jnp.asarray)
            fn, args = w.build(lib.module, lib.jnp, d)
            out, stats = measure(fn, args, settings)
        return {"status": "ok", **stats}, out
    except Exception as e:
        tb = traceback.format_exc()
        if verbose:
            print(f"--- {w.name} on {lib.name}:\n{tb}", file=sys.stderr)
        status = "unsupported" if lib.name in ("mlax", "tpu") else "error"
        return {"status": status, "reason": short_reason(e), "traceback": tb}, None


@contextlib.contextmanager
def default_platform(lib):
    """The tpu column runs mlax with jax_platform_name = tpu (jit and eager ops) and float32
    products (jax_default_matmul_precision = highest); with
    --platform cuda, mlax runs with jax_platform_name = cuda and jax on its GPU."""
    platform_name = "tpu" if lib.name == "tpu" else lib.device if lib.name == "mlax" else None
    if lib.name == "jax" and lib.device is not None:
        with lib.module.default_device(lib.device):
            yield
        return
    if platform_name is None:
        yield
        return
    lib.module.config.update("jax_platform_name", platform_name)
    # The stand-in applies a TPU's bf16 rounding of float32 products at DEFAULT precision;
    # the tpu column computes them in float32, the math jax.jit's CPU column does.
    if lib.name == "tpu":
        lib.module.config.update("jax_default_matmul_precision", "highest")
    try:
        yield
    finally:
        lib.module.config.update("jax_platform_name", None)
        if lib.name == "tpu":
            lib.module.config.update("jax_default_matmul_precision", None)


def run_numpy(w, data, settings):
    fn, args = w.numpy_impl(data)
    out, stats = measure(fn, args, settings)
    return {"status": "ok", **stats}, out


def run_row(w, libs, mode, verbose):
    settings = SETTINGS[(mode, w.kind)]
    data = w.make_data(np.random.default_rng(0))
    data64 = convert(data, lambda a: a.astype(np.float64) if a.dtype == np.float32 else a)
    ref_fn, ref_args = w.numpy_impl(data64)
    reference = [np.asarray(x, np.float64) for x in leaves(ref_fn(*ref_args))]
    f32_fn, f32_args = w.numpy_impl(data)
    expected_dtypes = [np.asarray(x).dtype for x in leaves(f32_fn(*f32_args))]

    row = {"name": w.name, "description": w.description, "kind": w.kind, "columns": {}}
    notes = [w.note] if w.note else []
    for lib in libs:
        result, out = run_column(w, lib, data, settings, verbose)
        if out is not None:
            wrong = check(w, out, reference, expected_dtypes, data)
            if wrong:
                result["status"] = "wrong"
                result["reason"] = wrong
                if lib.name not in ("mlax", "tpu"):
                    notes.append(f"{lib.name} differs from reference: {wrong}")
        row["columns"][lib.name] = result
    if w.kind == "first_call":
        row["columns"]["numpy"] = {"status": "n/a", "reason": "NumPy compiles nothing"}
    else:
        result, out = run_numpy(w, data, settings)
        wrong = check(w, out, reference, expected_dtypes, data)
        if wrong:
            notes.append(f"numpy differs from reference: {wrong}")
        row["columns"]["numpy"] = result

    m, j = row["columns"]["mlax"], row["columns"]["jax"]
    t = row["columns"].get("tpu", {"status": "n/a"})
    row["ratio"] = row["tpu_ratio"] = None
    if m["status"] == "wrong":
        notes.insert(0, f"WRONG: {m['reason']}")
    elif m["status"] == "ok" and j["status"] == "ok":
        row["ratio"] = m["median_s"] / j["median_s"]
    if t["status"] == "wrong":
        notes.insert(0, f"tpu WRONG: {t['reason']}")
    elif t["status"] == "ok" and j["status"] == "ok":
        row["tpu_ratio"] = t["median_s"] / j["median_s"]
    row["note"] = "; ".join(notes)
    return row


# -- printing -----------------------------------------------------------------------------------

def fmt_time(s):
    if s < 1e-3:
        return f"{s * 1e6:.3g} us"
    if s < 1.0:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_cell(result):
    st = result["status"]
    if st == "ok":
        return fmt_time(result["median_s"])
    if st == "wrong":
        return f"WRONG ({fmt_time(result['median_s'])})"
    if st == "n/a":
        return "n/a"
    return f"{st}: {result['reason']}"


def first_call_ratio(row, name="mlax"):
    """The first call (trace + compile + run, in this process) of column `name` over
    jax.jit's, for the steady rows; the first-call rows' medians are that already."""
    m, j = row["columns"].get(name, {"status": "n/a"}), row["columns"]["jax"]
    if row["kind"] != "steady" or m["status"] != "ok" or j["status"] != "ok":
        return "-"
    first = f"{fmt_time(m['first_call_s'])} / {fmt_time(j['first_call_s'])}"
    return f"{m['first_call_s'] / j['first_call_s']:.2f}x ({first})"


def table(rows):
    header = ["workload", "mlax median", "tpu median", "jax.jit median", "numpy median",
              "mlax/jax", "tpu/jax", "1st call mlax/jax", "1st call tpu/jax", "note"]
    body = []
    for r in rows:
        c = r["columns"]
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else \
            ("WRONG" if c["mlax"]["status"] == "wrong" else "-")
        tpu = c.get("tpu", {"status": "n/a", "reason": ""})
        tpu_ratio = f"{r['tpu_ratio']:.2f}x" if r.get("tpu_ratio") is not None else \
            ("WRONG" if tpu["status"] == "wrong" else "-")
        body.append([r["name"], fmt_cell(c["mlax"]), fmt_cell(tpu), fmt_cell(c["jax"]),
                     fmt_cell(c["numpy"]), ratio, tpu_ratio, first_call_ratio(r),
                     first_call_ratio(r, "tpu"), r["note"]])
    widths = [max(len(x[i]) for x in [header] + body) for i in range(len(header))]
    line = lambda cells: " | ".join(c.ljust(wd) for c, wd in zip(cells, widths)).rstrip()
    out = [line(header), "-+-".join("-" * wd for wd in widths)]
    out += [line(b) for b in body]
    return "\n".join(out)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        flags = "avx512f" if " avx512f" in text else ("avx2" if " avx2" in text else "")
    except OSError:
        pass
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "usable_cores": usable,
            "vector_isa": flags, "os": platform.platform(), "load_avg_start": load_avg()}


def load_avg():
    """1-minute load average: other processes on the machine make every column noisier."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def versions(libs):
    def dist(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None
    v = {"python": platform.python_version(), "numpy": np.__version__,
         "mlax": dist("mlax"), "mlir_bindings": dist("xtc-mlir-python-bindings"),
         "jax": dist("jax") if libs["jax"].available else None,
         "jaxlib": dist("jaxlib") if libs["jax"].available else None}
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        v["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                                  capture_output=True, text=True, timeout=10).stdout.strip() \
            or None
    except (OSError, subprocess.SubprocessError):
        v["git"] = None
    return v


def header_text(machine, vers, mode, libs):
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores "
             f"({machine['usable_cores']} usable), {machine['vector_isa'] or 'no avx2'}, "
             f"{machine['os']}, load avg {machine['load_avg_start']}",
             "versions: " + ", ".join(f"{k} {val}" for k, val in vers.items() if val),
             f"mode: {mode}; ratio = mlax median / jax.jit median (below 1: mlax faster)"]
    for lib in libs.values():
        if not lib.available:
            lines.append(f"{lib.name}: not available ({lib.error})")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    p.add_argument("--only", metavar="NAME[,NAME...]",
                   help="run only these workloads: " + ", ".join(W.BY_NAME))
    p.add_argument("--json", metavar="PATH", help="also write all results as JSON")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print the traceback behind each unsupported/error cell")
    p.add_argument("--platform", choices=["cpu", "cuda"], default="cpu",
                   help="cuda: mlax on the cuda platform, jax.jit on jax's GPU backend")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for w in W.WORKLOADS:
            print(f"{w.name:20} {w.description}")
        return 0
    selected = W.WORKLOADS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in W.BY_NAME]
        if unknown:
            print(f"run.py: unknown workload(s) {', '.join(unknown)}; "
                  f"known: {', '.join(W.BY_NAME)}", file=sys.stderr)
            return 2
        selected = [W.BY_NAME[n] for n in names]
    mode = "quick" if args.quick else "full"

    if args.platform == "cuda":
        libs = {"mlax": load_mlax_cuda(), "tpu": Library("tpu", error="--platform cuda"),
                "jax": load_jax_cuda()}
    else:
        libs = {"mlax": load_mlax(), "tpu": load_mlax_tpu(), "jax": load_jax()}
    machine, vers = machine_info(), versions(libs)
    print(header_text(machine, vers, mode, libs), flush=True)

    rows = []
    for i, w in enumerate(selected, 1):
        print(f"[{i}/{len(selected)}] {w.name} ...", file=sys.stderr, flush=True)
        rows.append(run_row(w, list(libs.values()), mode, args.verbose))
    machine["load_avg_end"] = load_avg()
    print()
    print(table(rows), flush=True)
    print(f"load avg at end: {machine['load_avg_end']}")

    if not args.only and not args.quick and args.platform == "cpu":
        # Across processes: cold compile, warm persistent cache, AOT module (benchmarks/aot.py).
        import aot
        print()
        try:
            aot.main(["--runs", "5"])
        except Exception as e:  # never lose the table above to this section
            print(f"aot latency: unsupported: {e}")
        # Import time, MLIR loaded or not, memory kept per executable (benchmarks/footprint.py).
        import footprint
        print()
        try:
            footprint.main(["--runs", "5"])
        except Exception as e:
            print(f"process footprint: unsupported: {e}")

    if args.json:
        report = {"machine": machine, "versions": vers, "mode": mode, "rows": rows}
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
