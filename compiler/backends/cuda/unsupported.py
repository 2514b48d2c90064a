"""The mlax ops the cuda backend does not lower, each with the reason, and
`--mlax-gpu-check-ops`, which reports them at the user's line before lowering.

The cuda backend shares the linalg lowering (`mlax.lowering.linalg.LOWERINGS`); the rules
listed here lower to calls of host functions (LAPACK through scipy-openblas), which would
read device memory from the host. Until they have GPU kernels (or cuSOLVER calls) a
function using them is compiled for the cpu backend instead.
"""
from __future__ import annotations

from mlir import ir

from mlax.lowering.linalg import LOWERINGS, lapack
from mlax.passes import ModulePass, PassNotImplementedError, register

UNSUPPORTED = {
    name: "it calls LAPACK on the host (no GPU kernel or cuSOLVER call yet)"
    for name in lapack.LOWERINGS
}

# The ops the cuda backend lowers, by rule (the coverage test checks the union with
# UNSUPPORTED is every op).
CUDA_LOWERINGS = {name: rule for name, rule in LOWERINGS.items() if name not in UNSUPPORTED}


@register
class GpuCheckOpsPass(ModulePass):
    """Report mlax ops the cuda backend has no lowering for, at the user's line."""
    name = "mlax-gpu-check-ops"

    def run(self, module_op):
        found = []

        def walk(o):
            if o.name in UNSUPPORTED:
                found.append(o)
                return ir.WalkResult.INTERRUPT
            return ir.WalkResult.ADVANCE
        module_op.walk(walk)
        for o in found:
            raise PassNotImplementedError(
                f"{o.name} has no lowering on the cuda backend: {UNSUPPORTED[o.name]}; "
                f"compute it with jit(..., backend='cpu')", o.location)
