"""`mlax-compile`: the compiler driver; the logic lives in `mlax.driver`."""
import sys

from mlax.driver import main

if __name__ == "__main__":
    sys.exit(main())
