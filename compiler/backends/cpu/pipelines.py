"""The CPU backend's pipelines, one per stage. Pipelines are data: printable strings that
`mlax-opt --pass-pipeline=...` accepts as they are (and `mlax-opt --pipeline=<name>` by
the names in PIPELINES)."""
from mlax.transforms import MLAX_OPT

# mlax -> linalg on tensors, fused. Complex arithmetic becomes arith and math on the parts
# (convert-complex-to-standard) before mlax-expand-math, so it vectorizes as real code. The upstream inliner cannot inline functions of mlax
# ops (IRDL ops have no inliner interface); after lowering it can, so fusion reaches across
# the function boundaries that jit, grad and vmap leave. mlax-fuse-elementwise fuses
# elementwise chains in one walk (linear in their length); upstream's pairwise fusion after
# it does the rest (index-reading producers, reductions, reshapes) in a few rewrites.
CPU_LINALG = ",".join([
    "mlax-lower-to-linalg",
    "mlax-lower-control-flow",
    "inline",
    "symbol-dce",
    "canonicalize",
    "cse",
    "mlax-fuse-elementwise",
    "func.func(linalg-fuse-elementwise-ops)",
    "canonicalize",
    "convert-complex-to-standard",
    "mlax-expand-math{outline=4}",
    "canonicalize",
])

# linalg on tensors -> LLVM dialect, bare-pointer calling convention (zero-size tensors
# cross the boundary as tensor<0xT>, see abi.py), results as
# out-parameters written in place. First the CPU schedule (schedule.py):
# register-tiled and packed contractions, reassociable reductions, large loops split over
# threads as scf.forall; then bufferization, vector and OpenMP lowering. The C tile of a
# contraction lives in registers: the schedule lifts its read/write out of the k loop
# (upstream's whole-function loop-invariant-subset-hoisting asserts on some loops that
# control flow lowering makes, e.g. a scan carrying a tensor it also stacks);
# vector.contract lowers to outer-product FMAs in convert-vector-to-llvm.
# convert-vector-to-scf unrolls n-D vector transfers fully: its default lowering goes
# through a stack temporary (memref.alloca) placed inside the tile loops, and the stack
# grows on every tile until the process dies.
# mlax-cpu-bf16 runs after the last canonicalize, which would fold its conversions.
# finalize-memref-to-llvm must precede convert-scf-to-cf (alloca_scope of OpenMP regions);
# convert-openmp-to-llvm runs last, after the ops inside parallel regions are LLVM.
CPU_LLVM = ",".join([
    "mlax-cpu-schedule",
    "canonicalize",
    "cse",
    "mlax-flatten-zero-size-boundary",
    "mlax-copy-aliased-results",
    "eliminate-empty-tensors",
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map}",
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
    "buffer-deallocation-pipeline",
    "mlax-cpu-buffer-cleanup",
    "func.func(convert-linalg-to-loops)",
    "scf-forall-to-parallel",
    "convert-scf-to-openmp",
    "mlax-cpu-dynamic-threads",
    "convert-vector-to-scf{full-unroll=true}",
    "expand-strided-metadata",
    "lower-affine",
    "mlax-cpu-bf16",
    "convert-vector-to-llvm{vector-contract-lowering=outerproduct reassociate-fp-reductions}",
    "finalize-memref-to-llvm",
    "convert-scf-to-cf",
    "convert-complex-to-llvm",
    "convert-math-to-llvm",
    "convert-math-to-libm",
    "convert-cf-to-llvm",
    "convert-arith-to-llvm",
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}",
    "convert-index-to-llvm",
    "convert-ub-to-llvm",
    "convert-openmp-to-llvm",
    "reconcile-unrealized-casts",
    "mlax-cpu-vector-width",
])

CPU = ",".join([MLAX_OPT, CPU_LINALG, CPU_LLVM])

PIPELINES = {
    "cpu-linalg": CPU_LINALG,
    "cpu-llvm": CPU_LLVM,
    "cpu": CPU,
}
