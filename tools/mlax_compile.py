"""`mlax-compile`: the compiler driver; the logic lives in `mlax.tools.driver`."""
import sys

from mlax.tools.driver import main

if __name__ == "__main__":
    sys.exit(main())
