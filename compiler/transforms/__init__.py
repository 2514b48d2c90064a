"""mlax transforms: MLIR passes over the mlax dialect, each registered in mlax.passes.

MLAX_OPT is the target-neutral pipeline every backend starts with."""

# Transforms expanded, functions inlined, mlax-level simplification.
MLAX_OPT = ",".join([
    "mlax-verify",
    "mlax-expand-transforms",
    "mlax-inline",
    "symbol-dce",
    "mlax-simplify",
])
