#!/usr/bin/env python
"""Weak scaling of a data-parallel MLP step over 1, 2, 4, 8 host devices: mlax (tpu
backend, XLA's SPMD partitioner) beside the same program under JAX's own sharding, on the
same XLA CPU devices, in one process.

    python benchmarks/sharding.py [--quick] [--json out.json]

Sets MLAX_PLATFORMS=tpu and XLA_FLAGS=--xla_force_host_platform_device_count=8 for itself
(before XLA's client is made). Each row: a mesh of the first n devices, a batch of
`PER_DEVICE * n` examples split over them, parameters replicated; the step is jit of
value_and_grad + SGD with the arrays already on the devices, its outputs fed back. A cell
is the median over repeated steps (outputs blocked on; mlax's and JAX's steps alternate,
so the machine's load changes hit both alike); "per example" divides by the batch.
The devices share this machine's cores, so the absolute times grow with n: the row to read
is mlax/jax at each n. The losses of both are checked equal (rtol 1e-4).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("MLAX_PLATFORMS", "tpu")
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                           " --xla_force_host_platform_device_count=8").strip()

import numpy as np  # noqa: E402

PER_DEVICE = 32
SIZES = (256, 512, 512, 10)


def init(rng):
    return [(rng.normal(size=(m, n)).astype(np.float32) * np.sqrt(2 / m),
             np.zeros(n, np.float32)) for m, n in zip(SIZES[:-1], SIZES[1:])]


def make_step(jax, jnp):
    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < len(params) - 1:
                h = jnp.maximum(h, 0)
        logp = h - jnp.log(jnp.sum(jnp.exp(h), axis=1, keepdims=True))
        return -jnp.mean(jnp.sum(logp * y, axis=1))

    def step(params, x, y):
        l, g = jax.value_and_grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, d: p - 0.01 * d, params, g), l
    return step


class Runner:
    """The step of `lib` (jax, jnp) on the first n devices, its arrays on the devices."""

    def __init__(self, lib, sharding_mod, n, rng_seed=0):
        jax, jnp = lib
        self.jax = jax
        mesh = jax.make_mesh((n,), ("batch",), devices=jax.devices()[:n])
        data = sharding_mod.NamedSharding(mesh, sharding_mod.PartitionSpec("batch"))
        rep = sharding_mod.NamedSharding(mesh, sharding_mod.PartitionSpec())
        rng = np.random.default_rng(rng_seed)
        batch = PER_DEVICE * n
        x = rng.normal(size=(batch, SIZES[0])).astype(np.float32)
        y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], batch)]
        self.params = jax.device_put(init(rng), rep)
        self.x, self.y = jax.device_put(x, data), jax.device_put(y, data)
        self.step = jax.jit(make_step(jax, jnp))
        self.losses = []

    def __call__(self):
        """One step, blocked on; its seconds."""
        t0 = time.perf_counter()
        self.params, loss = self.step(self.params, self.x, self.y)
        loss.block_until_ready()
        self.jax.tree_util.tree_map(lambda a: a.block_until_ready(), self.params)
        t = time.perf_counter() - t0
        self.losses.append(float(loss))
        return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few repetitions")
    ap.add_argument("--json", help="write the rows as JSON here")
    args = ap.parse_args(argv)
    import jax
    import jax.numpy as jjnp
    import mlax
    import mlax.numpy as mjnp
    import mlax.sharding as msh
    # float32 products as jax's CPU computes them (the tpu stand-in's DEFAULT rounds them to
    # bfloat16, as a TPU does), so the losses compare.
    mlax.config.update("jax_default_matmul_precision", "highest")
    reps = 5 if args.quick else 50
    rows = []
    print(f"weak scaling, data-parallel MLP {'-'.join(map(str, SIZES))} step, "
          f"{PER_DEVICE} examples per device, {len(mlax.devices())} host devices, "
          f"{os.cpu_count()} cores")
    print(f"{'devices':>7} {'batch':>6} {'mlax ms':>9} {'jax ms':>9} {'mlax us/ex':>11} "
          f"{'jax us/ex':>10} {'mlax/jax':>9}")
    for n in (1, 2, 4, 8):
        m = Runner((mlax, mjnp), msh, n)
        j = Runner((jax, jjnp), jax.sharding, n)
        for _ in range(3):                     # compile and warm up
            m(), j()
        times_m, times_j = [], []
        for _ in range(reps):                  # alternate, so load changes hit both alike
            times_m.append(m())
            times_j.append(j())
        tm, tj = statistics.median(times_m), statistics.median(times_j)
        lm, lj = m.losses, j.losses
        if not np.allclose(lm, lj, rtol=1e-4, atol=1e-6):
            print(f"losses differ at n={n}: mlax {lm} jax {lj}", file=sys.stderr)
            return 1
        batch = PER_DEVICE * n
        row = {"devices": n, "batch": batch, "mlax_s": tm, "jax_s": tj, "ratio": tm / tj}
        rows.append(row)
        print(f"{n:>7} {batch:>6} {tm * 1e3:>9.3f} {tj * 1e3:>9.3f} {tm / batch * 1e6:>11.2f} "
              f"{tj / batch * 1e6:>10.2f} {tm / tj:>9.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
