"""The cuda backend: mlax -> linalg (shared) -> GPU schedule -> gpu.launch -> outlined
kernels -> NVVM -> PTX for NVIDIA GPUs, and an interpret mode that runs the same kernels
on the CPU.

Files:
- pipelines.py: the stages' pipelines (CUDA_LINALG, CUDA_GPU, CUDA_NVVM) and interpret
  mode's (CUDA_INTERPRET), the chips.
- schedule.py: `--mlax-gpu-schedule` (linalg generics tiled over blocks and threads).
- launch.py: `--mlax-gpu-single-thread` (what has no schedule, as one-thread kernels) and
  `--mlax-gpu-map-foralls` (forall nests -> gpu.launch).
- matmul.py: `--mlax-gpu-tile-matmul` (2-D matmuls tiled through shared memory).
- mma.py: `--mlax-gpu-bf16-mma` (bf16 tensor-core ops as NVVM's, their PTX types given).
- rows.py: `--mlax-gpu-outline-rows`, `--mlax-gpu-row-kernels` (sorts, top_k and scans
  along rows: a block per row, a bitonic sort or a block scan in shared memory; long rows
  sorted in global memory; top_k by selection; and scatter.py's kernels).
- scatter.py: scatter-adds, a thread per update adding it with an atomic.
- reduction.py: `--mlax-gpu-tree-reduce` (long and full reductions, block tree reductions).
- interpret.py: `--mlax-gpu-interpret` (kernels and launches -> CPU loops).
- ptx.py: PTX from the NVVM stage, ptxas.
- unsupported.py: the ops it does not lower (LAPACK calls), `--mlax-gpu-check-ops`.

- host.py: launch plans (a function's host side as data), writing GPU modules.

`compile` (jit, eager ops) runs in interpret mode (`MLAX_GPU_INTERPRET=1`) through the CPU
backend's code generation, else on an NVIDIA GPU through the CUDA driver
(mlax.runtime.cuda: cubins and launch plans); mlax-compile's stages (gpu, nvvm, ptx,
cubin) and modules (-o dir/) work anywhere.
"""
from __future__ import annotations

import os

from mlax.backends import Backend, BackendError, Stage, backend_platforms, module_dir, no_timer
from mlax.backends.cpu import compile as cpu_compile
from mlax.backends.cpu import codegen
from mlax.backends.cuda import (host, interpret, launch, pipelines,  # noqa: F401 (passes)
                                ptx, matmul, mma, reduction, rows, schedule,
                                unsupported)
from mlax.passes import run_pipeline
from mlax.runtime import cuda as cuda_runtime
from mlax.transforms import MLAX_OPT


class GpuMachine:
    """What code is generated for: an NVIDIA chip (`sm_80`) and its PTX features."""
    arch = "nvptx64"

    def __init__(self, chip=pipelines.DEFAULT_CHIP):
        self.chip = ptx.check_chip(chip)
        self.features = pipelines.CHIPS[chip]

    def describe(self):
        return {"chip": self.chip, "features": self.features}


# The LLVM optimization level of interpret-mode code (see CudaBackend.compile).
INTERPRET_OPT_LEVEL = 0


class CudaBackend(Backend):
    """NVIDIA GPUs through the gpu and NVVM dialects; kernels interpreted on the CPU where
    no GPU runtime is available (MLAX_GPU_INTERPRET=1)."""
    name = "cuda"
    platform = "gpu"
    stages = (
        Stage("linalg", pipelines.CUDA_LINALG, "linalg, tensor, arith and math on tensors, fused"),
        Stage("gpu", pipelines.CUDA_GPU, "host functions launching outlined gpu.func kernels"),
        Stage("nvvm", pipelines.CUDA_NVVM, "kernels in the NVVM and LLVM dialects"),
        Stage("ptx", None, "PTX, one module per kernel"),
        Stage("cubin", None, "cubin (ptxas), one module per kernel", binary_suffix=".cubin"),
    )
    artifact = ("a module directory: each kernel module's cubin and PTX, a launch plan per "
                "entry point, a loader (runs where an NVIDIA GPU and its driver are)")
    named_pipelines = pipelines.PIPELINES
    lowerings = unsupported.CUDA_LOWERINGS

    def unavailable(self):
        return cuda_runtime.unavailable_reason()

    def compile(self, module, entries, opt_level=None, pipeline=None):
        why = cuda_runtime.unavailable_reason(backend_platforms())
        if why is not None:
            raise BackendError(why)
        if not cuda_runtime.interpret():
            return self.compile_for_device(module, entries, pipeline), True
        if opt_level is None:
            # Interpret mode is for checking what the kernels compute, not for speed: its
            # modules are large loop nests that LLVM compiles at O0 several times faster
            # than at O3, and the tests' kernels still run faster in all.
            opt_level = min(cpu_compile.auto_opt_level(module), INTERPRET_OPT_LEVEL)
        full = pipeline if pipeline is not None else ",".join(
            [MLAX_OPT, pipelines.CUDA_LINALG, pipelines.CUDA_GPU, pipelines.CUDA_INTERPRET])
        machine = codegen.MachineTarget.host()
        exes, compiled = cpu_compile.compile_module(
            module, entries, full, opt_level,
            key_parts=["cuda-interpret", machine.triple, machine.cpu, machine.features,
                       *codegen.library_stamps()])
        return {n: cuda_runtime.InterpretedExecutable(e) for n, e in exes.items()}, compiled

    def compile_for_device(self, module, entries, pipeline=None):
        """Kernels for this process's GPU: the stages to NVVM, a cubin per kernel module for
        the device's chip (PTX for the driver to compile where mlax has no such chip), and
        each entry point's launch plan."""
        device_chip = cuda_runtime.Driver.get().capability()
        chip = device_chip if device_chip in pipelines.CHIPS else pipelines.DEFAULT_CHIP
        run_pipeline(module, pipeline or ",".join(
            [MLAX_OPT, pipelines.CUDA_LINALG, pipelines.CUDA_GPU, pipelines.nvvm_pipeline(chip)]))
        texts = ptx.ptx(module, chip)
        images = {k: ptx.ptxas(t, chip) if chip == device_chip else t.encode()
                  for k, t in texts.items()}
        functions = {host.fn_name(o.operation): o.operation
                     for o in module.body.operations if o.operation.name == "func.func"}
        exes = {}
        for name, results in entries.items():
            fn = functions[name]
            n_inputs = len(fn.regions[0].blocks[0].arguments) - len(results)
            plan = host.launch_plan(module.operation, fn, n_inputs, [d for _, d in results])
            exes[name] = GpuExecutable(cuda_runtime.LaunchPlan(plan, images))
        return exes

    def translate(self, module, stage, opt_level=3, machine=None):
        machine = machine or self.machine_target()
        texts = ptx.ptx(module, machine.chip)
        if stage == "ptx":
            return "".join(f"// gpu.module @{name}\n{text}\n" for name, text in texts.items()
                           ).encode()
        if stage == "cubin":
            if len(texts) != 1:
                raise BackendError(f"--emit cubin writes one kernel module; this module has "
                                   f"{len(texts)}: emit ptx instead")
            return ptx.ptxas(next(iter(texts.values())), machine.chip)
        raise BackendError(f"the cuda backend has no stage {stage!r}")

    def save(self, path, modules, entries, opt_level=3, machine=None, creator="mlax",
             timer=no_timer):
        machine = machine or self.machine_target()
        with timer("ptx, ptxas"):
            return module_dir.write_directory(path, lambda d, name: host.write_module_files(
                d, modules, entries, machine, name, creator))

    def machine_target(self, triple=None, cpu=None, features=None):
        if triple or features:
            raise BackendError("the cuda backend takes --chip (sm_80, sm_90, ...), not "
                               "--target-triple or --cpu-features")
        return GpuMachine(cpu or pipelines.DEFAULT_CHIP)

    def cache_key(self, machine):
        return [f"chip={machine.chip}"]

    def devices(self):
        return cuda_runtime.devices(backend_platforms())


class GpuExecutable:
    """An entry point running on the GPU (the calling convention of Backend's docstring;
    inputs and outputs cross through host memory on each call)."""

    def __init__(self, plan):
        self.call = plan

    def __call__(self, inputs):
        return self.call.run(inputs)


BACKEND = CudaBackend()
