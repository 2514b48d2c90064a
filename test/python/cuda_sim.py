"""A CUDA driver stand-in for running launch plans without a GPU: `CpuDriver` has the
interface of mlax.runtime.cuda.Driver over host memory, and launches each kernel as the
CPU function interpret mode makes of it (`--mlax-gpu-interpret`), called with the very
parameters the plan would pass cuLaunchKernel (memref descriptors, host values), then the
grid and block sizes. So a plan's host side (its buffers, views, loops, branches and the
values it reads back) runs for real, with the kernels' own numbers."""
import ctypes

import numpy as np
from mlir import ir
from mlir.execution_engine import ExecutionEngine

from mlax.backends.cpu.pipelines import CPU_LLVM
from mlax.passes import run_pipeline

# Interpret mode's pipeline after the rewrite, with memrefs passed as descriptors (the
# kernels' parameters on the GPU) instead of bare pointers.
_cpu = CPU_LLVM.split(",")
KERNELS_TO_CPU = ",".join(
    ["mlax-gpu-interpret"]
    + [p.replace("convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}", "convert-func-to-llvm")
       for p in _cpu[_cpu.index("buffer-deallocation-pipeline"):]])


class CpuDriver:
    """mlax.runtime.cuda.Driver's interface: memory is host memory, a kernel module's
    "image" is its gpu.module's name, kernels are the interpreted kernels of the gpu-stage
    module `gpu_text`, compiled for the CPU."""

    def __init__(self, gpu_text):
        self.ctx = ir.Context()
        with self.ctx, ir.Location.unknown():
            m = ir.Module.parse(gpu_text)
            for o in list(m.body.operations):
                if o.operation.name == "func.func":      # the host side: the plan runs it
                    o.operation.erase()
            run_pipeline(m, KERNELS_TO_CPU.split(",")[0])
            for o in m.body.operations:
                for attr in ("sym_visibility", "llvm.linkage"):
                    if attr in o.operation.attributes:
                        del o.operation.attributes[attr]
            run_pipeline(m, ",".join(KERNELS_TO_CPU.split(",")[1:]))
            self.engine = ExecutionEngine(m, opt_level=1)
        self.memory = {}
        self.launches = self.reads = 0

    def make_current(self):
        pass

    def load_module(self, image):
        return image.decode()

    def function(self, module, name):
        address = self.engine.raw_lookup(f"{module}_{name}")
        return ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)

    def alloc(self, nbytes):
        buf = np.zeros(max(nbytes, 1), np.uint8)
        self.memory[buf.ctypes.data] = buf
        return buf.ctypes.data

    def free(self, ptr):
        del self.memory[ptr]

    def to_device(self, ptr, array):
        ctypes.memmove(ptr, array.ctypes.data, array.nbytes)

    def to_host(self, array, ptr):
        ctypes.memmove(array.ctypes.data, ptr, array.nbytes)
        self.reads += array.size == 1

    def launch(self, function, grid, block, params):
        params = list(params) + [ctypes.c_int64(d) for d in (*grid, *block)]
        argv = (ctypes.c_void_p * len(params))(*[ctypes.addressof(p) for p in params])
        function(ctypes.addressof(argv))
        self.launches += 1

    def synchronize(self):
        pass


def run_plan(fn, args):
    """Compile `fn` for the cuda backend, read its launch plan, and run the plan on a
    CpuDriver; returns (outputs, driver)."""
    import mlax
    from mlax.backends.cuda import host
    from mlax.runtime import cuda

    lowered = mlax.jit(fn, backend="cuda").lower(*args)
    gpu = lowered.compiler_ir("gpu")
    with gpu.context:
        (entry,) = [o.operation for o in gpu.body.operations
                    if o.operation.name == "func.func"
                    and "sym_visibility" not in o.operation.attributes]
        names = {o.operation.attributes["sym_name"].value for o in gpu.body.operations
                 if o.operation.name == "gpu.module"}
        n_out = len(entry.regions[0].blocks[0].arguments) - len(args)
        out_dtypes = [o.dtype for o in mlax.tree_util.tree_leaves(mlax.eval_shape(fn, *args))]
        assert len(out_dtypes) == n_out
        plan = host.launch_plan(gpu.operation, entry, len(args), out_dtypes)
        text = str(gpu)
    driver = CpuDriver(text)
    outs = cuda.LaunchPlan(plan, {n: n.encode() for n in names}).run(
        [np.asarray(a) for a in args], driver)
    return outs, driver
