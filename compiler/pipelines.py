"""Named pass pipelines, one per target and stage. Pipelines are data: printable strings
that `mlax-opt --pass-pipeline=...` accepts as they are."""

# Transforms expanded, functions inlined, mlax-level simplification.
MLAX_OPT = ",".join([
    "mlax-verify",
    "mlax-expand-transforms",
    "inline",
    "symbol-dce",
    "mlax-simplify",
])

# mlax -> linalg on tensors, fused.
CPU_LINALG = ",".join([
    "mlax-lower-to-linalg",
    "canonicalize",
    "cse",
    "func.func(linalg-fuse-elementwise-ops)",
    "canonicalize",
])

# linalg on tensors -> LLVM dialect, bare-pointer calling convention, results as
# out-parameters written in place.
CPU_LLVM = ",".join([
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}",
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
    "buffer-deallocation-pipeline",
    "func.func(convert-linalg-to-loops)",
    "expand-strided-metadata",
    "lower-affine",
    "finalize-memref-to-llvm",
    "convert-scf-to-cf",
    "convert-math-to-llvm",
    "convert-math-to-libm",
    "convert-cf-to-llvm",
    "convert-arith-to-llvm",
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}",
    "convert-index-to-llvm",
    "reconcile-unrealized-casts",
])

CPU = ",".join([MLAX_OPT, CPU_LINALG, CPU_LLVM])

PIPELINES = {
    "mlax-opt": MLAX_OPT,
    "cpu-linalg": CPU_LINALG,
    "cpu-llvm": CPU_LLVM,
    "cpu": CPU,
}
