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

from . import scalar_ops
from .array import HostArrayOn

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

    def _put(self, value: np.ndarray, sharding, weak: bool):
        """`value` on this device (host memory: calls copy it to the GPU), committed to
        `sharding` or uncommitted (None)."""
        return HostArrayOn(np.array(value), weak, self, sharding)


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
GPU0 = CudaDevice(0)


class InterpretedExecutable:
    """An entry point of interpret mode: `exe`, the CPU code of its kernels, whose
    results are arrays of the cuda device (host buffers, as the GPU path's are)."""

    def __init__(self, exe):
        self.exe = exe
        self.call = self

    def __call__(self, inputs):
        return self.exe(inputs)

    def call_arrays(self, arrays, weak):
        return [HostArrayOn(o._value, o.weak_type, CUDA0)
                for o in self.exe.call.call_arrays(arrays, weak)]


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
                      [...], "offset": elements, or null when a "view" step sets it}, ...],
         "steps": [step, ...]}

    The steps run in order on the host; each names what it does in "op":

        launch    {"module": gpu.module, "kernel": name, "grid": [x, y, z], "block":
                  [x, y, z], "args": [buffer number | {"value": v}, ...]}
        constant  {"to": v, "value": number, "dtype"}: host value v (values are numbered)
        load      {"to": v, "buffer": b, "indices": [v, ...], "dtype"}: an element read
                  back from the device (the stream is synchronized first)
        view      {"buffer": b, "from": b' | null, "offset": elements, "terms": [[v, m],
                  ...]}: b's offset is b''s (0 for null) + offset + the sum of value * m
        arith.*   {"to": v, "args": [v, ...], "dtype", "predicate"}: a scalar op
                  (mlax.runtime.scalar_ops)
        for       {"bounds": [lower, upper, step], "init": [v, ...], "body": region,
                  "results": [v, ...]}: the body's args are the counter, then the
                  carried values
        while     {"init", "before": region, "after": region, "results"}: `before`
                  yields the condition, then the values `after` takes; `after` yields
                  the next iteration's
        if        {"condition": v, "then": region, "else": region, "results"}
        switch    {"index": v, "cases": [int, ...], "regions": [region, ...], "default":
                  region, "results"}

    where a region is {"args": [v, ...], "steps": [...], "yield": [v, ...]}. A buffer
    allocated inside a loop is one buffer for the whole call: it holds nothing from one
    iteration to the next (state crosses iterations in buffers allocated before the loop,
    which stay on the device).

    A kernel takes each buffer as the memref descriptor convert-gpu-to-nvvm expands it
    to: allocated and aligned pointers, offset, sizes, strides; a host value as a scalar
    parameter of its dtype. `run(inputs)` copies the inputs to the device, allocates
    outputs and temporaries, runs the steps (launches on one stream), copies the outputs
    back."""

    def __init__(self, plan: dict, images: dict):
        self.plan = plan
        self.images = images          # gpu.module name -> cubin or PTX bytes
        self._functions = None

    def functions(self, driver):
        if self._functions is None:
            modules = {name: driver.load_module(image) for name, image in self.images.items()}
            self._functions = {(lc["module"], lc["kernel"]): driver.function(
                modules[lc["module"]], lc["kernel"]) for lc in launches(self.plan["steps"])}
        return self._functions

    def run(self, inputs, driver=None):
        driver = driver or Driver.get()
        driver.make_current()
        bufs = self.plan["buffers"]
        state = _HostState(driver, self.functions(driver), bufs)
        for b in bufs:
            if b["kind"] == "view":
                state.ptrs.append(state.ptrs[b["of"]])
            else:
                state.ptrs.append(driver.alloc(math.prod(b["shape"]) * np.dtype(b["dtype"]).itemsize))
                state.owned.append(state.ptrs[-1])
        try:
            outs, sent = {}, []       # host buffers stay alive until the stream is done
            for b, p in zip(bufs, state.ptrs):
                if b["kind"] == "input":
                    sent.append(np.ascontiguousarray(inputs[b["index"]]))
                    driver.to_device(p, sent[-1])
                elif b["kind"] == "output":
                    outs[b["index"]] = (np.empty(b["shape"], b["dtype"]), p)
                elif b["kind"] == "constant":
                    sent.append(np.frombuffer(base64.b64decode(b["data"]), b["dtype"]))
                    driver.to_device(p, sent[-1])
            state.run(self.plan["steps"])
            for array, p in outs.values():
                driver.to_host(array, p)
            driver.synchronize()
        finally:
            for p in state.owned:
                driver.free(p)
        return [outs[i][0] for i in range(len(outs))]

    def call_arrays(self, arrays, weak):
        """jit's hot path: mlax Arrays in, mlax Arrays out (through host memory)."""
        return [HostArrayOn(o, w, GPU0)
                for o, w in zip(self.run([np.asarray(a) for a in arrays]), weak)]


def launches(steps):
    """The launch steps of `steps`, those of nested regions included."""
    for s in steps:
        if s["op"] == "launch":
            yield s
        for region in _regions(s):
            yield from launches(region["steps"])


def _regions(step):
    return [step[k] for k in ("body", "before", "after", "then", "else", "default")
            if k in step] + step.get("regions", [])


class _HostState:
    """What running a plan's steps keeps: the buffers' device pointers and offsets (views'
    offsets change when a "view" step runs), the host values."""

    def __init__(self, driver, functions, bufs):
        self.driver, self.functions, self.bufs = driver, functions, bufs
        self.ptrs, self.owned, self.values = [], [], {}
        self.offsets = [b.get("offset") or 0 for b in bufs]

    def run(self, steps):
        for s in steps:
            _STEPS.get(s["op"], _scalar_step)(self, s)

    def region(self, region, args):
        """Run `region` with its args bound to `args`; the values it yields."""
        for k, v in zip(region["args"], args):
            self.values[k] = v
        self.run(region["steps"])
        return [self.values[k] for k in region["yield"]]

    def bind(self, keys, values):
        for k, v in zip(keys, values):
            self.values[k] = v

    def strides(self, b):
        buf = self.bufs[b]
        if "strides" in buf:
            return buf["strides"]
        return _row_major(buf["shape"])

    def root_dtype(self, b):
        buf = self.bufs[b]
        return np.dtype(self.bufs[buf["of"]]["dtype"] if buf["kind"] == "view" else buf["dtype"])


def _row_major(shape):
    strides, step = [], 1
    for d in reversed(shape):
        strides.insert(0, step)
        step *= d
    return strides


def _launch_step(st, s):
    params = []
    for a in s["args"]:
        if isinstance(a, dict):
            params.append(_SCALAR_PARAMS[st.values[a["value"]].dtype](st.values[a["value"]]))
        else:
            b = st.bufs[a]
            params += descriptor(st.ptrs[a], b["shape"], b.get("strides"), st.offsets[a])
    st.driver.launch(st.functions[(s["module"], s["kernel"])], s["grid"], s["block"], params)


def _constant_step(st, s):
    st.values[s["to"]] = np.asarray(s["value"]).astype(s["dtype"])[()]


def _load_step(st, s):
    dtype = st.root_dtype(s["buffer"])
    element = st.offsets[s["buffer"]] + sum(
        int(st.values[i]) * m for i, m in zip(s["indices"], st.strides(s["buffer"])))
    host = np.empty((), dtype)
    st.driver.to_host(host, st.ptrs[s["buffer"]] + element * dtype.itemsize)
    st.driver.synchronize()
    st.values[s["to"]] = host.astype(s["dtype"])[()]


def _view_step(st, s):
    base = st.offsets[s["from"]] if s["from"] is not None else 0
    st.offsets[s["buffer"]] = base + s["offset"] + sum(int(st.values[v]) * m
                                                       for v, m in s["terms"])


def _for_step(st, s):
    lower, upper, step = (int(st.values[v]) for v in s["bounds"])
    carried = [st.values[v] for v in s["init"]]
    for i in range(lower, upper, step):
        carried = st.region(s["body"], [np.int64(i)] + carried)
    st.bind(s["results"], carried)


def _while_step(st, s):
    carried = [st.values[v] for v in s["init"]]
    while True:
        condition, *forwarded = st.region(s["before"], carried)
        if not condition:
            break
        carried = st.region(s["after"], forwarded)
    st.bind(s["results"], forwarded)


def _if_step(st, s):
    st.bind(s["results"], st.region(s["then"] if st.values[s["condition"]] else s["else"], []))


def _switch_step(st, s):
    index = int(st.values[s["index"]])
    region = s["regions"][s["cases"].index(index)] if index in s["cases"] else s["default"]
    st.bind(s["results"], st.region(region, []))


def _scalar_step(st, s):
    st.values[s["to"]] = scalar_ops.compute(s, [st.values[v] for v in s["args"]])


_STEPS = {"launch": _launch_step, "constant": _constant_step, "load": _load_step,
          "view": _view_step, "for": _for_step, "while": _while_step, "if": _if_step,
          "switch": _switch_step}
# Kernel parameters of host values, by dtype (index values are int64).
_SCALAR_PARAMS = {np.dtype(k): v for k, v in {
    "int64": ctypes.c_int64, "int32": ctypes.c_int32, "int16": ctypes.c_int16,
    "int8": ctypes.c_int8, "bool": ctypes.c_bool, "float32": ctypes.c_float,
    "float64": ctypes.c_double}.items()}


def descriptor(ptr: int, shape, strides=None, offset=0) -> list:
    """The kernel parameters of a buffer at `ptr` (a view of it: `strides` and `offset` in
    elements; None: the whole row-major buffer): allocated and aligned pointers, offset,
    sizes, strides."""
    if strides is None:
        strides = _row_major(shape)
    return ([ctypes.c_void_p(ptr), ctypes.c_void_p(ptr), ctypes.c_int64(offset)]
            + [ctypes.c_int64(d) for d in shape] + [ctypes.c_int64(s) for s in strides])
