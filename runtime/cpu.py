"""Running compiled CPU code in process.

Compiled functions use the bare-pointer calling convention: every argument and result is
a pointer to a dense row-major buffer, results are out-parameters after the inputs. The
per-call path is prepared once: an array of pointer slots and the packed-call argument
vector pointing at them. A call stores the buffers' addresses into the slots and jumps.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np


def runtime_libraries() -> list[str]:
    """Shared libraries compiled code may call into (memref copies, printing)."""
    from mlir import ir
    lib = os.path.join(os.path.dirname(ir.__file__), "lib")
    names = ["libmlir_c_runner_utils.so"]
    return [os.path.join(lib, n) for n in names if os.path.exists(os.path.join(lib, n))]


class PreparedCall:
    """Calls `fn(void** args)` with n_in input and n_out output buffer pointers."""

    def __init__(self, address: int, out_specs):
        self._fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]
        self._n_out = len(self.out_specs)
        self._slots = None
        self._packed = None
        self._n_in = None

    def _prepare(self, n_in):
        n = n_in + self._n_out
        self._slots = (ctypes.c_void_p * max(n, 1))()
        base = ctypes.addressof(self._slots)
        size = ctypes.sizeof(ctypes.c_void_p)
        self._packed = (ctypes.c_void_p * max(n, 1))(*[base + i * size for i in range(n)])
        self._n_in = n_in

    def call_arrays(self, arrays, weak):
        """Fast path: mlax Arrays in, mlax Arrays out (buffer addresses cached on Arrays)."""
        from .array import Array
        if self._n_in != len(arrays):
            self._prepare(len(arrays))
        slots = self._slots
        i = 0
        for a in arrays:
            slots[i] = a.unsafe_buffer_pointer
            i += 1
        outs = []
        for (shape, dtype), w in zip(self.out_specs, weak):
            o = np.empty(shape, dtype)
            p = o.__array_interface__["data"][0]
            slots[i] = p
            i += 1
            arr = Array(o, w)
            arr._ptr = p
            outs.append(arr)
        self._fn(self._packed)
        return outs

    def __call__(self, inputs):
        if self._n_in != len(inputs):
            self._prepare(len(inputs))
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        slots = self._slots
        i = 0
        for a in inputs:
            slots[i] = a.ctypes.data
            i += 1
        for o in outs:
            slots[i] = o.ctypes.data
            i += 1
        self._fn(self._packed)
        return outs


class CpuExecutable:
    """An LLVM-dialect module JIT-compiled by MLIR's ExecutionEngine, entry `name`."""

    def __init__(self, llvm_module, name: str, out_specs, opt_level: int = 3):
        from mlir.execution_engine import ExecutionEngine
        self.engine = ExecutionEngine(llvm_module, opt_level=opt_level,
                                      shared_libs=runtime_libraries())
        self.call = PreparedCall(self.engine.raw_lookup(name), out_specs)

    def __call__(self, inputs):
        return self.call(inputs)
