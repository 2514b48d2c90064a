"""The cuda platform's runtime: its device, and whether it can run here.

Two ways to run the cuda backend's kernels:

- interpret mode (`MLAX_GPU_INTERPRET=1`): the same outlined kernels, rewritten into CPU
  loops over blocks and threads (the backend's `--mlax-gpu-interpret`), run as CPU code.
  The platform then exists on any machine; its arrays are host buffers behind the same
  API as the cpu platform's.
- an NVIDIA GPU through the CUDA driver API (`cuda-bindings`, the `gpu` extra): `Driver`
  (cuInit, the device's primary context, module load from cubin or PTX, device memory,
  streams, launches; every CUDA error a `CudaError` carrying CUDA's name and string for
  it) and `LaunchPlan`, which runs a compiled function's host side: the buffers it
  allocates and the kernels it launches, in order. Compiled modules for the GPU
  (`mlax-compile --target cuda -o dir/`) load through `load_module`.

Without a driver and without interpret mode the platform is unavailable, and asking for
it says so, listing the platforms there are. This module imports neither mlir nor the
compiler.
"""
from __future__ import annotations

import base64
import ctypes
import math
import os

import numpy as np

from .array import Array

INTERPRET_ENV = "MLAX_GPU_INTERPRET"


class CudaUnavailable(RuntimeError):
    """The cuda platform cannot run here; the message says why and what to do."""


class CudaDevice:
    """A cuda device (`jax.devices("cuda")` gives `CudaDevice(id=0)`)."""
    platform = "gpu"
    device_kind = "cuda"
    process_index = 0       # mlax runs one process

    def __init__(self, id=0, interpret=False):
        self.id = id
        self.interpret = interpret

    def __repr__(self):
        return f"CudaDevice(id={self.id})"

    def __eq__(self, other):
        return isinstance(other, CudaDevice) and other.id == self.id

    def __hash__(self):
        return hash(("cuda", self.id))


def interpret() -> bool:
    """Whether MLAX_GPU_INTERPRET asks for interpret mode."""
    return os.environ.get(INTERPRET_ENV, "").strip().lower() not in ("", "0", "false", "no")


def driver_present() -> bool:
    """Whether the CUDA driver library loads (an NVIDIA GPU may be attached)."""
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def device_reason() -> str | None:
    """None when an NVIDIA GPU can run kernels here (the driver loads and initializes,
    cuda-bindings imports, a device exists), else why not."""
    if not driver_present():
        return "no NVIDIA GPU here (the CUDA driver, libcuda.so.1, does not load)"
    try:
        Driver.get()
    except CudaUnavailable as e:
        return str(e)
    return None


def unavailable_reason(platforms=()) -> str | None:
    """None when the cuda platform can run kernels here (interpret mode, or a GPU), else
    why not (naming `platforms`, those that can)."""
    if interpret():
        return None
    why = device_reason()
    if why is None:
        return None
    there = ", ".join(platforms) if platforms else "cpu"
    return (f"the cuda platform cannot run kernels: {why}. Set {INTERPRET_ENV}=1 to run its "
            f"kernels on the CPU (interpret mode), or use one of the platforms there are: "
            f"{there}")


def devices(platforms=()):
    """The cuda devices; raises CudaUnavailable when the platform cannot run here."""
    why = unavailable_reason(platforms)
    if why is not None:
        raise CudaUnavailable(why)
    return [CUDA0] if interpret() else [CudaDevice(0)]


CUDA0 = CudaDevice(0, interpret=True)


# ---------------------------------------------------------------------------------------
# The CUDA driver API

class CudaError(RuntimeError):
    """A CUDA driver call failed; the message is CUDA's (e.g. CUDA_ERROR_OUT_OF_MEMORY: out
    of memory), with the call that failed."""

    def __init__(self, call, code, name, text):
        super().__init__(f"{call} failed: {name}: {text}")
        self.call, self.code, self.name, self.text = call, code, name, text


class Driver:
    """Device 0 through the CUDA driver API (cuda-bindings), its primary context current
    on the calling thread. `Driver.get()` makes one per process."""
    _instance = None

    @classmethod
    def get(cls) -> "Driver":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def __init__(self):
        try:
            from cuda.bindings import driver
        except ImportError:
            raise CudaUnavailable("the CUDA driver's Python bindings are not installed: pip "
                                  "install 'mlax[gpu]' (cuda-bindings)") from None
        self.cu = driver
        try:
            self.check("cuInit", driver.cuInit(0))
        except CudaError as e:
            raise CudaUnavailable(f"the CUDA driver does not initialize ({e})") from None
        except Exception as e:      # the bindings' own error when libcuda does not load
            raise CudaUnavailable(f"the CUDA driver does not load ({type(e).__name__}: "
                                  f"{e})") from None
        count = self.check("cuDeviceGetCount", driver.cuDeviceGetCount())
        if not count:
            raise CudaUnavailable("the CUDA driver reports no device")
        self.device = self.check("cuDeviceGet", driver.cuDeviceGet(0))
        self.context = self.check("cuDevicePrimaryCtxRetain",
                                  driver.cuDevicePrimaryCtxRetain(self.device))
        self.make_current()
        self.stream = self.check("cuStreamCreate", driver.cuStreamCreate(0))

    def make_current(self):
        self.check("cuCtxSetCurrent", self.cu.cuCtxSetCurrent(self.context))

    def check(self, call, result):
        """The values of a cuda-bindings call's (error, values...) result; CudaError with
        CUDA's name and string for the error otherwise."""
        err, rest = result[0], result[1:]
        if int(err) != 0:
            _, name = self.cu.cuGetErrorName(err)
            _, text = self.cu.cuGetErrorString(err)
            raise CudaError(call, int(err), _text(name), _text(text))
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else rest

    def capability(self) -> str:
        """The device's compute capability as a chip name (sm_90)."""
        attr = self.cu.CUdevice_attribute
        major = self.check("cuDeviceGetAttribute", self.cu.cuDeviceGetAttribute(
            attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, self.device))
        minor = self.check("cuDeviceGetAttribute", self.cu.cuDeviceGetAttribute(
            attr.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, self.device))
        return f"sm_{major}{minor}"

    def load_module(self, image: bytes):
        """A CUmodule from a cubin, or from PTX text (the driver compiles it for the
        device: code for an older chip runs on a newer one)."""
        if not image.startswith(b"\x7fELF") and not image.endswith(b"\0"):
            image += b"\0"
        data = np.frombuffer(image, np.uint8)      # alive until the driver has copied it
        return self.check("cuModuleLoadData", self.cu.cuModuleLoadData(data.ctypes.data))

    def function(self, module, name: str):
        return self.check("cuModuleGetFunction", self.cu.cuModuleGetFunction(module,
                                                                              name.encode()))

    def alloc(self, nbytes: int) -> int:
        return int(self.check("cuMemAlloc", self.cu.cuMemAlloc(max(nbytes, 1))))

    def free(self, ptr: int):
        self.check("cuMemFree", self.cu.cuMemFree(ptr))

    def to_device(self, ptr: int, array: np.ndarray):
        if array.nbytes:
            self.check("cuMemcpyHtoDAsync", self.cu.cuMemcpyHtoDAsync(
                ptr, array.ctypes.data, array.nbytes, self.stream))

    def to_host(self, array: np.ndarray, ptr: int):
        if array.nbytes:
            self.check("cuMemcpyDtoHAsync", self.cu.cuMemcpyDtoHAsync(
                array.ctypes.data, ptr, array.nbytes, self.stream))

    def launch(self, function, grid, block, params):
        """Launch `function` on the driver's stream with `params`, a list of ctypes values
        (one per kernel parameter, as the kernel's signature lists them)."""
        pointers = (ctypes.c_void_p * len(params))(*[ctypes.addressof(p) for p in params])
        self.check("cuLaunchKernel", self.cu.cuLaunchKernel(
            function, *grid, *block, 0, self.stream, ctypes.addressof(pointers), 0))

    def synchronize(self):
        """Wait for the stream; a kernel's failure (an illegal address) surfaces here."""
        self.check("cuStreamSynchronize", self.cu.cuStreamSynchronize(self.stream))


def _text(b) -> str:
    return b.decode() if isinstance(b, (bytes, bytearray)) else str(b)


# ---------------------------------------------------------------------------------------
# Running a compiled function's host side

class LaunchPlan:
    """A compiled function's host side as data (what `mlax-compile --target cuda` writes
    for each entry point, from the host function of the gpu stage):

        {"buffers": [{"kind": "input" | "output" | "temp" | "constant", "index": i
                      (input, output), "data": base64 bytes (constant), "shape": [...],
                      "dtype": "float32"},
                     {"kind": "view", "of": buffer number, "shape": [...], "strides":
                      [...], "offset": elements}, ...],
         "launches": [{"module": gpu.module name, "kernel": name, "grid": [x, y, z],
                       "block": [x, y, z], "args": [buffer number, ...]}, ...]}

    A kernel takes each buffer as the memref descriptor convert-gpu-to-nvvm expands it
    to: allocated and aligned pointers, offset, sizes, strides (row-major, whole
    buffers). `run(inputs)` copies the inputs to the device, allocates outputs and
    temporaries, launches every kernel in order on one stream, copies the outputs back."""

    def __init__(self, plan: dict, images: dict):
        self.plan = plan
        self.images = images          # gpu.module name -> cubin or PTX bytes
        self._functions = None

    def functions(self, driver):
        if self._functions is None:
            modules = {name: driver.load_module(image) for name, image in self.images.items()}
            self._functions = {(lc["module"], lc["kernel"]): driver.function(
                modules[lc["module"]], lc["kernel"]) for lc in self.plan["launches"]}
        return self._functions

    def run(self, inputs, driver=None):
        driver = driver or Driver.get()
        driver.make_current()
        functions = self.functions(driver)
        bufs = self.plan["buffers"]
        ptrs, owned = [], []
        for b in bufs:
            if b["kind"] == "view":
                ptrs.append(ptrs[b["of"]])
            else:
                ptrs.append(driver.alloc(math.prod(b["shape"]) * np.dtype(b["dtype"]).itemsize))
                owned.append(ptrs[-1])
        try:
            outs, sent = {}, []       # host buffers stay alive until the stream is done
            for b, p in zip(bufs, ptrs):
                if b["kind"] == "input":
                    sent.append(np.ascontiguousarray(inputs[b["index"]]))
                    driver.to_device(p, sent[-1])
                elif b["kind"] == "output":
                    outs[b["index"]] = (np.empty(b["shape"], b["dtype"]), p)
                elif b["kind"] == "constant":
                    sent.append(np.frombuffer(base64.b64decode(b["data"]), b["dtype"]))
                    driver.to_device(p, sent[-1])
            for lc in self.plan["launches"]:
                params = []
                for i in lc["args"]:
                    params += descriptor(ptrs[i], bufs[i]["shape"], bufs[i].get("strides"),
                                         bufs[i].get("offset", 0))
                driver.launch(functions[(lc["module"], lc["kernel"])], lc["grid"],
                              lc["block"], params)
            for array, p in outs.values():
                driver.to_host(array, p)
            driver.synchronize()
        finally:
            for p in owned:
                driver.free(p)
        return [outs[i][0] for i in range(len(outs))]

    def call_arrays(self, arrays, weak):
        """jit's hot path: mlax Arrays in, mlax Arrays out (through host memory)."""
        return [Array(o, w) for o, w in zip(self.run([np.asarray(a) for a in arrays]), weak)]


def descriptor(ptr: int, shape, strides=None, offset=0) -> list:
    """The kernel parameters of a buffer at `ptr` (a view of it: `strides` and `offset` in
    elements; None: the whole row-major buffer): allocated and aligned pointers, offset,
    sizes, strides."""
    if strides is None:
        strides, step = [], 1
        for d in reversed(shape):
            strides.insert(0, step)
            step *= d
    return ([ctypes.c_void_p(ptr), ctypes.c_void_p(ptr), ctypes.c_int64(offset)]
            + [ctypes.c_int64(d) for d in shape] + [ctypes.c_int64(s) for s in strides])
