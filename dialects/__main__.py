"""`python -m mlax.dialects` rewrites mlax.irdl.mlir and docs/dialect.md from the op table."""
from . import DOCS_PATH, IRDL_PATH, docs_text, irdl_text

with open(IRDL_PATH, "w") as f:
    f.write(irdl_text())
print(IRDL_PATH)
with open(DOCS_PATH, "w") as f:
    f.write(docs_text())
print(DOCS_PATH)
