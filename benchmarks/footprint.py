"""What a process pays before and beside its computations: the time of `import mlax` with
`from mlax import numpy as jnp` (and the same for jax, and NumPy alone, which both import first), whether importing mlax loads MLIR,
and the memory each small jitted function keeps while it is alive (mlax and jax.jit). Each
measurement runs in a fresh interpreter; medians over several runs.

    python benchmarks/footprint.py [--runs N] [--functions K]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap

_IMPORT = textwrap.dedent('''
    import json, sys, time
    t0 = time.perf_counter()
    import numpy
    t_numpy = time.perf_counter() - t0
    t0 = time.perf_counter()
    import {module}                         # a user's import lines, and the names they use
    from {module} import numpy as jnp
    {module}.jit, {module}.grad, {module}.vmap, jnp.dot
    t = time.perf_counter() - t0
    print(json.dumps({{"numpy": t_numpy, "import": t, "mlir_loaded": "mlir" in sys.modules}}))
''')

# K distinct small functions (each closes over its own constant, so none is a cache hit),
# compiled and called once, all kept alive; the resident set's growth per function, after
# as many again were compiled first (libraries loaded, allocator arenas grown).
_RETAINED = textwrap.dedent('''
    import gc, json
    import numpy as np
    import {module} as lib
    from {module} import numpy as jnp

    def rss():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024

    x = np.arange(16, dtype=np.float32)
    kept = []

    def compile_some(k, start):
        for i in range(start, start + k):
            f = lib.jit(lambda x, c=float(i): jnp.tanh(x * c) + c)
            f(x).block_until_ready()
            kept.append(f)

    compile_some({k}, 0)
    gc.collect()
    before = rss()
    compile_some({k}, {k})
    gc.collect()
    print(json.dumps({{"per_function": (rss() - before) / {k}}}))
''')


def _run(code):
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=900, env={**os.environ, "MLAX_COMPILATION_CACHE_DIR": ""})
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def _available(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


def measure(runs=5, functions=100):
    out = {}
    libs = ["mlax"] + (["jax"] if _available("jax") else [])
    for lib in libs:
        rs = [_run(_IMPORT.format(module=lib)) for _ in range(runs)]
        out[f"import {lib}, {lib}.numpy (after numpy)"] = ("time", statistics.median(r["import"] for r in rs))
        if lib == "mlax":
            out["import numpy alone"] = ("time", statistics.median(r["numpy"] for r in rs))
            out["MLIR loaded by those imports (mlax)"] = ("text", "yes" if any(r["mlir_loaded"] for r in rs)
                                                 else "no")
    for lib in libs:
        rs = [_run(_RETAINED.format(module=lib, k=functions)) for _ in range(max(1, runs // 2))]
        out[f"{lib}: memory kept per small jitted function"] = (
            "bytes", statistics.median(r["per_function"] for r in rs))
    return out


def fmt(kind, v):
    if kind == "time":
        return f"{v * 1e3:.1f} ms"
    if kind == "bytes":
        return f"{v / 2 ** 20:.2f} MiB"
    return str(v)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--functions", type=int, default=100)
    args = p.parse_args(argv)
    rows = measure(args.runs, args.functions)
    width = max(len(k) for k in rows)
    print(f"{'process footprint (fresh processes)':<{width}} | median")
    print("-" * width + "-+-" + "-" * 10)
    for k, (kind, v) in rows.items():
        print(f"{k:<{width}} | {fmt(kind, v)}")


if __name__ == "__main__":
    main()
