"""From a traced module to something callable: the CPU pipeline and the ExecutionEngine."""
from __future__ import annotations

from mlir import ir

from mlax import pipelines
from mlax.passes import run_pipeline
from mlax.runtime import CpuExecutable


def compile_builder(tm, builder, out_avals, pipeline=pipelines.CPU, opt_level=3):
    """Compile the module of `tm` with `builder`'s function as the public entry point."""
    with tm.ctx:
        for op in tm.module.body.operations:
            if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value != builder.name:
                op.attributes["sym_visibility"] = ir.StringAttr.get("private")
        run_pipeline(tm.module, pipeline)
        return CpuExecutable(tm.module, builder.name, [(a.shape, a.dtype) for a in out_avals],
                             opt_level=opt_level)
