"""`python -m mlax.compat script.py [args]` / `python -m mlax.compat -m module [args]`: run a
program written against JAX with `import jax` resolving to mlax (see mlax.compat)."""
import importlib.util
import os
import runpy
import sys

from mlax import compat

USAGE = "usage: python -m mlax.compat script.py [args...] | -m module [args...]\n"


def main(argv) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE) if argv else sys.stderr.write(USAGE)
        return 0 if argv else 2
    if argv[0] == "-m":
        if len(argv) < 2:
            sys.stderr.write(USAGE)
            return 2
        compat.install()
        try:
            spec = importlib.util.find_spec(argv[1])
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            sys.stderr.write(f"mlax.compat: error: no module named {argv[1]!r}\n")
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        if not os.path.isfile(argv[0]):
            sys.stderr.write(f"mlax.compat: error: can't open file {argv[0]!r}: no such file\n")
            return 2
        compat.install()
        sys.argv = list(argv)
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
