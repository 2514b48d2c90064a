"""First-call latency of the tutorials' jitted linear-regression step across processes:
cold (no persistent cache), with a warm persistent compile cache, and as an ahead-of-time
compiled module loaded with no compiler in the loop. Each measurement runs in a fresh
interpreter; medians over several runs.

    python benchmarks/aot.py [--runs N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

_STEP = textwrap.dedent('''
    import time
    t0 = time.perf_counter()
    import numpy as np
    import mlax as jax
    from mlax import numpy as jnp
    t_import = time.perf_counter() - t0

    def predict(W, b, x):
        return jnp.dot(x, W) + b

    def mse(W, b, x_batched, y_batched):
        def squared_error(x, y):
            y_pred = predict(W, b, x)
            return jnp.inner(y - y_pred, y - y_pred) / 2.0
        return jnp.mean(jax.vmap(squared_error)(x_batched, y_batched), axis=0)

    @jax.jit
    def update_params(W, b, x, y, lr):
        return W - lr * jax.grad(mse, 0)(W, b, x, y), b - lr * jax.grad(mse, 1)(W, b, x, y)

    rng = np.random.default_rng(0)
    args = (np.zeros((10, 5), np.float32), np.zeros(5, np.float32),
            rng.normal(size=(20, 10)).astype(np.float32), rng.normal(size=(20, 5)).astype(np.float32),
            np.float32(0.3))
''')

_FIRST_CALL = _STEP + textwrap.dedent('''
    t0 = time.perf_counter()
    jax.block_until_ready(update_params(*args))
    print(json.dumps({"import": t_import, "first_call": time.perf_counter() - t0}))
''')

_SAVE = _STEP + textwrap.dedent('''
    import sys
    update_params.lower(*args).compile().save(sys.argv[1])
''')

_LOAD = textwrap.dedent('''
    import json, sys, time
    t0 = time.perf_counter()
    import numpy as np
    t_numpy = time.perf_counter() - t0
    import importlib, os
    t0 = time.perf_counter()
    sys.path.insert(0, os.path.dirname(sys.argv[1]))
    m = importlib.import_module(os.path.basename(sys.argv[1]))  # the generated package
    t_load = time.perf_counter() - t0
    assert "mlir" not in sys.modules and "mlax.api" not in sys.modules
    rng = np.random.default_rng(0)
    args = (np.zeros((10, 5), np.float32), np.zeros(5, np.float32),
            rng.normal(size=(20, 10)).astype(np.float32), rng.normal(size=(20, 5)).astype(np.float32),
            np.float32(0.3))
    fn = getattr(m, "update_params", None) or next(iter(m.functions.values()))
    t0 = time.perf_counter()
    fn(*args)
    print(json.dumps({"numpy_import": t_numpy, "load": t_load, "first_call": time.perf_counter() - t0}))
''')


def _run(code, env=None, args=()):
    p = subprocess.run([sys.executable, "-c", "import json\n" + code, *args], capture_output=True,
                       text=True, env={**os.environ, **(env or {})}, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def measure(runs=5):
    out = {}
    env_off = {"MLAX_COMPILATION_CACHE_DIR": ""}
    cold = [_run(_FIRST_CALL, env_off) for _ in range(runs)]
    out["cold first call (cache off)"] = statistics.median(r["first_call"] for r in cold)
    out["import mlax"] = statistics.median(r["import"] for r in cold)
    with tempfile.TemporaryDirectory() as cache:
        env = {"MLAX_COMPILATION_CACHE_DIR": cache}
        _run(_FIRST_CALL, env)  # fills the cache
        warm = [_run(_FIRST_CALL, env) for _ in range(runs)]
        out["first call, warm persistent cache"] = statistics.median(r["first_call"] for r in warm)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "linreg")
        p = subprocess.run([sys.executable, "-c", _SAVE, path], capture_output=True, text=True,
                           env={**os.environ, **env_off}, timeout=600)
        if p.returncode != 0:
            raise RuntimeError(p.stderr[-2000:])
        loads = [_run(_LOAD, args=(path,)) for _ in range(runs)]
        out["AOT module load (no compiler)"] = statistics.median(r["load"] for r in loads)
        out["AOT module first call"] = statistics.median(r["first_call"] for r in loads)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    rows = measure(args.runs)
    width = max(len(k) for k in rows)
    print(f"{'first-call latency (fresh processes)':<{width}} | median")
    print("-" * width + "-+-" + "-" * 10)
    for k, v in rows.items():
        print(f"{k:<{width}} | {v * 1e3:.1f} ms" if v >= 1e-3 else f"{k:<{width}} | {v * 1e6:.0f} us")


if __name__ == "__main__":
    main()
