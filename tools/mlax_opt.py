"""`mlax-opt`: mlir-opt for mlax; the logic lives in `mlax.opt`."""
import sys

from mlax.opt import main

if __name__ == "__main__":
    sys.exit(main())
