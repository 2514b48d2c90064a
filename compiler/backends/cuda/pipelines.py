"""The cuda backend's pipelines, one per stage, as data (printable pass-pipeline strings;
`mlax-opt --pipeline=<name>` runs them by the names in PIPELINES).

    mlax --CUDA_LINALG--> linalg on tensors, fused (the shared lowering)
         --CUDA_GPU-->    GPU schedule, bufferization, gpu.launch, outlined gpu.func kernels
         --CUDA_NVVM-->   kernels in the NVVM/LLVM dialects, gpu.module targets a chip
         --(translate)--> PTX (LLVM's NVPTX backend), checked by ptxas

Interpret mode runs CUDA_GPU's output on the CPU: CUDA_INTERPRET rewrites the kernels and
launches into loops (`--mlax-gpu-interpret`) and continues with the CPU backend's lowering
to LLVM after bufferization.
"""
from mlax.backends.cpu.pipelines import CPU_LLVM
from mlax.transforms import MLAX_OPT

# Chips and the PTX ISA features code is generated with (PTX 8.0 covers sm_90; code for
# sm_80 also assembles for sm_90).
CHIPS = {
    "sm_70": "+ptx80", "sm_75": "+ptx80", "sm_80": "+ptx80", "sm_86": "+ptx80",
    "sm_89": "+ptx80", "sm_90": "+ptx80",
}
DEFAULT_CHIP = "sm_80"

# The shared mlax -> linalg lowering and fusion, as the CPU's, without the CPU's
# polynomial math (`mlax-expand-math`): on the GPU math ops become libdevice calls.
# Named ops are generalized so the schedule sees only generics. First, ops the backend
# does not lower (unsupported.py) are reported at the user's line.
CUDA_LINALG = ",".join([
    "mlax-gpu-check-ops",
    "mlax-gpu-outline-rows",
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
    "func.func(linalg-generalize-named-ops)",
    "canonicalize",
])

# Schedule on tensors, bufferize (results as out-parameters), matmuls tiled through
# shared memory, long and full reductions as block tree reductions, what the schedule left in one-thread kernels,
# map the foralls to gpu.launch, lower linalg to loops and outline the kernels. Index
# computations are sunk into the launches before outlining (else every constant becomes
# a kernel parameter).
CUDA_GPU = ",".join([
    "mlax-gpu-schedule",
    "canonicalize",
    "cse",
    "mlax-flatten-zero-size-boundary",
    "mlax-copy-aliased-results",
    "eliminate-empty-tensors",
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}",
    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
    "canonicalize",
    "cse",
    "mlax-gpu-row-kernels",
    "mlax-gpu-tile-matmul",
    "mlax-gpu-tree-reduce",
    "mlax-gpu-single-thread",
    "mlax-gpu-map-foralls",
    "func.func(convert-linalg-to-loops)",
    "lower-affine",
    "canonicalize",
    "cse",
    "gpu-launch-sink-index-computations",
    "gpu-kernel-outlining",
    "canonicalize",
])


def nvvm_pipeline(chip=DEFAULT_CHIP):
    """Kernels to the NVVM and LLVM dialects, their gpu.modules targeting `chip`. Memref
    arguments are passed as expanded descriptors: a kernel's arguments may be strided
    views, which bare pointers cannot carry. bf16 tensor-core ops are NVVM's first
    (`--mlax-gpu-bf16-mma`: convert-nvgpu-to-nvvm cannot type them)."""
    return ",".join([
        f"nvvm-attach-target{{chip={chip} features={CHIPS[chip]} O=3}}",
        "mlax-gpu-shared-attributions",
        "mlax-gpu-bf16-mma",
        "gpu.module(convert-nvgpu-to-nvvm,expand-strided-metadata,lower-affine,"
        "convert-scf-to-cf,convert-gpu-to-nvvm,convert-vector-to-llvm,convert-math-to-llvm,"
        "canonicalize,cse,reconcile-unrealized-casts)",
    ])


CUDA_NVVM = nvvm_pipeline()

# Interpret mode: kernels and launches -> CPU loops, then the CPU pipeline from its
# deallocation on (bufferization is done). The kernels' functions are inlined into their
# launch sites: a kernel's arguments may be strided views, which the bare-pointer calling
# convention cannot pass.
_cpu_llvm = CPU_LLVM.split(",")
CUDA_INTERPRET = ",".join(["mlax-gpu-interpret", "inline", "symbol-dce"]
                          + _cpu_llvm[_cpu_llvm.index("buffer-deallocation-pipeline"):])

PIPELINES = {
    "cuda-linalg": CUDA_LINALG,
    "cuda-gpu": CUDA_GPU,
    "cuda-nvvm": CUDA_NVVM,
    "cuda-interpret": CUDA_INTERPRET,
    "cuda": ",".join([MLAX_OPT, CUDA_LINALG, CUDA_GPU, CUDA_NVVM]),
}
