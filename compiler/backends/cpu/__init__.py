"""The CPU backend: mlax -> linalg -> the LLVM dialect -> native code for this machine
(linked into the process) or for another machine (a shared library).

Files:
- pipelines.py: the stages' pipelines (CPU_LINALG, CPU_LLVM), named for `mlax-opt`.
- schedule.py: `--mlax-cpu-schedule` (tiling, vectorization, threads), built on
  generics.py (reading linalg.generics), rewrites.py (rewrites made in Python) and
  script.py (the transform script and the schedules).
- after_bufferization.py: `--mlax-cpu-buffer-cleanup` and `--mlax-cpu-vector-width`.
- bfloat16.py: `--mlax-cpu-bf16` (bf16 ops computed in f32, each result rounded as XLA's).
- abi.py: the calling convention's passes (zero-size boundaries, aliased results).
- codegen.py: LLVM IR, assembly, object code and shared libraries, in process.
- compile.py: compiling for this process (with the persistent cache), compiled module
  directories (the artifact), and the opt level jit chooses.
"""
from __future__ import annotations

from mlax.backends import Backend, Stage, no_timer
from mlax.backends.cpu import (abi, after_bufferization, bfloat16, codegen,  # noqa: F401 (passes)
                               compile, pipelines, schedule)
from mlax.lowering import linalg
from mlax.transforms import MLAX_OPT


class CpuBackend(Backend):
    """Code for this machine's CPU (or another machine's, named by an LLVM triple, CPU and
    features), through linalg and LLVM."""
    name = "cpu"
    platform = "cpu"
    stages = (
        Stage("linalg", pipelines.CPU_LINALG, "linalg, tensor, arith and math on tensors, fused"),
        Stage("llvm", pipelines.CPU_LLVM, "the LLVM dialect, scheduled and bufferized"),
        Stage("llvm-ir", None, "optimized LLVM IR"),
        Stage("asm", None, "assembly"),
        Stage("obj", None, "an object file", binary_suffix=".o"),
    )
    artifact = "a compiled module directory: a shared library, mlax_module.json, __init__.py"
    named_pipelines = pipelines.PIPELINES
    lowerings = linalg.LOWERINGS

    def compile(self, module, entries, opt_level=None, pipeline=None):
        # Chosen here, a low level makes the first call quick: hot entry points are
        # compiled again fully optimized (compile.auto_opt_level).
        recompile_at = None
        if opt_level is None:
            opt_level = self.default_opt_level(module)
            recompile_at = 3 if opt_level < 3 else None
        full = pipeline if pipeline is not None else ",".join([MLAX_OPT, self.pipeline()])
        machine = codegen.MachineTarget.host()
        return compile.compile_module(module, entries, full, opt_level,
                                      key_parts=self.cache_key(machine),
                                      recompile_at=recompile_at)

    def translate(self, module, stage, opt_level=3, machine=None):
        data, _ = codegen.emit([module], machine or codegen.MachineTarget.host(), stage,
                               opt_level)
        return data

    def save(self, path, modules, entries, opt_level=3, machine=None, creator="mlax",
             timer=no_timer):
        return compile.save_module(path, modules, entries,
                                   machine or codegen.MachineTarget.host(), opt_level,
                                   creator=creator, timer=timer)

    def default_opt_level(self, module):
        return compile.auto_opt_level(module)

    def machine_target(self, triple=None, cpu=None, features=None):
        return codegen.MachineTarget.make(triple, cpu, features).check()

    def cache_key(self, machine):
        # The thread count shapes the generated code (which loops are split over threads);
        # the MLIR and LLVM builds, by their libraries' size and time.
        return [machine.triple, machine.cpu, machine.features,
                f"threads={schedule.num_threads()}", *codegen.library_stamps()]


BACKEND = CpuBackend()
