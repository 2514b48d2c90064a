"""`python -m mlax.dialects` rewrites mlax.irdl.mlir from the op table."""
from . import IRDL_PATH, irdl_text

with open(IRDL_PATH, "w") as f:
    f.write(irdl_text())
print(IRDL_PATH)
