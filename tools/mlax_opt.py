"""`mlax-opt`: mlir-opt for mlax; the logic lives in `mlax.tools.opt`."""
import sys

from mlax.tools.opt import main

if __name__ == "__main__":
    sys.exit(main())
