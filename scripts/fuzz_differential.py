#!/usr/bin/env python3
"""Differential fuzzing of mlax against JAX, as long as asked for.

    .venv/bin/python scripts/fuzz_differential.py --seed 3 --iterations 500 --out fuzz-out/

Random programs over mlax's operations (test/python/differential.py) run eagerly and under
jit, grad and vmap on mlax and on JAX (the optional `jax` extra), each in a child process.
Each mismatch or crash is printed and, with --out, written as a standalone script that
reproduces it. Exits 1 if anything was found."""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "python"))

import differential  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--out", help="folder to write a reproducer per finding")
    args = ap.parse_args(argv)
    found = 0
    for m in differential.run_isolated(args.seed, args.iterations):
        found += 1
        print(m.report(), flush=True)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            path = os.path.join(args.out, f"seed{m.seed}_{m.mode}.py")
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"# {m.mode}: {m.message.splitlines()[0]}\n{m.program.source(m.mode, m.seed)}")
    print(f"{args.iterations} programs from seed {args.seed}: {found} findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
