"""Running compiled CPU code in process.

Compiled functions use the bare-pointer calling convention: every argument and result is
a pointer to a dense row-major buffer, results are out-parameters after the inputs. The
per-call path is prepared once: an array of pointer slots and the packed-call argument
vector pointing at them. A call stores the buffers' addresses into the slots and jumps;
calls in flight at once (from several threads) each use their own vector.
"""
from __future__ import annotations

import ctypes
import functools
import os
import sys

import numpy as np


def runtime_libraries() -> list[str]:
    """Shared libraries compiled code may call into (memref copies, printing, OpenMP)."""
    from mlir import ir
    lib = os.path.join(os.path.dirname(ir.__file__), "lib")
    names = ["libmlir_c_runner_utils.so"]
    libs = [os.path.join(lib, n) for n in names if os.path.exists(os.path.join(lib, n))]
    omp = openmp_library()
    return libs + ([omp] if omp else [])


# An OpenMP runtime with LLVM's ABI (`__kmpc_*`), for code lowered by convert-scf-to-openmp:
# the `intel-openmp` wheel puts libiomp5.so in the environment's lib/; LLVM's libomp works
# too. GCC's libgomp lacks that ABI.
_OPENMP_CANDIDATES = [
    os.path.join(sys.prefix, "lib", "libiomp5.so"),
    os.path.join(sys.base_prefix, "lib", "libiomp5.so"),
    "/usr/lib/x86_64-linux-gnu/libomp.so.5",
    "/usr/lib/aarch64-linux-gnu/libomp.so.5",
]


@functools.lru_cache(maxsize=None)
def openmp_library() -> str | None:
    """Path of the OpenMP runtime compiled code links against, or None (then nothing is
    compiled to run on several threads). `MLAX_OPENMP_LIBRARY` names one explicitly; set
    it to an empty string to compile single-threaded code."""
    env = os.environ.get("MLAX_OPENMP_LIBRARY")
    if env is not None:
        return _configure_openmp(env) if env and os.path.exists(env) else None
    for path in _OPENMP_CANDIDATES:
        if os.path.exists(path):
            return _configure_openmp(path)
    return None


def _configure_openmp(path):
    # Worker threads sleep as soon as a parallel region ends instead of spinning for 200 ms
    # (the runtime's default): on 2 cores a spinning worker takes a core from Python, from
    # other libraries' threads and from the next single-threaded op. Regions are only
    # made for work of ~1 ms, so the wake-up (microseconds) is noise. The runtime reads
    # this when it starts; a value the user set wins.
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    return path


# glibc serves allocations over 128 KiB (raised dynamically up to 32 MiB) with fresh mmaps
# and hands freed heap tops back to the kernel, so every call of compiled code - its
# out-parameter arrays and its temporaries (memref.alloc -> malloc) - pays page faults
# and page clearing again: ~30% of an MLP training step. A fixed 32 MiB mmap threshold
# and a large trim threshold keep those buffers in the heap for reuse, like the caching
# allocators of other array libraries. Applied once, on import; MLAX_MALLOC_TUNING=0
# leaves the allocator alone.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20    # the most glibc accepts on 64-bit


def _tune_malloc():
    if not sys.platform.startswith("linux") or os.environ.get("MLAX_MALLOC_TUNING") == "0":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, 512 << 20))


_MALLOC_TUNED = _tune_malloc()


class PreparedCall:
    """Calls `fn(void** args)` with n_in input and n_out output buffer pointers.

    The packed argument vector (pointer slots, and the vector of the slots' addresses) is
    made once and reused, but never shared between calls in flight: ctypes releases the
    GIL for the duration of the call, so other threads may call the same function at the
    same time. Idle vectors wait in a free list; a call pops one (or makes one when all
    are in use), fills it, jumps, and puts it back. `list.pop` and `list.append` are
    atomic, so no lock is taken."""

    def __init__(self, address: int, out_specs):
        self._fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]
        self._n_out = len(self.out_specs)
        self._free = []

    def _vector(self, n_in):
        """A fresh (n_in, slots, packed) argument vector for n_in inputs."""
        n = n_in + self._n_out
        slots = (ctypes.c_void_p * max(n, 1))()
        base = ctypes.addressof(slots)
        size = ctypes.sizeof(ctypes.c_void_p)
        packed = (ctypes.c_void_p * max(n, 1))(*[base + i * size for i in range(n)])
        return n_in, slots, packed

    def _take(self, n_in):
        try:
            vector = self._free.pop()
        except IndexError:
            return self._vector(n_in)
        return vector if vector[0] == n_in else self._vector(n_in)

    def call_arrays(self, arrays, weak):
        """Fast path: mlax Arrays in, mlax Arrays out (buffer addresses cached on Arrays)."""
        from .array import Array
        vector = self._take(len(arrays))
        slots = vector[1]
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
        self._fn(vector[2])
        self._free.append(vector)
        return outs

    def __call__(self, inputs):
        vector = self._take(len(inputs))
        outs = [np.empty(shape, dtype) for shape, dtype in self.out_specs]
        slots = vector[1]
        i = 0
        for a in inputs:
            slots[i] = a.ctypes.data
            i += 1
        for o in outs:
            slots[i] = o.ctypes.data
            i += 1
        self._fn(vector[2])
        self._free.append(vector)
        return outs


@functools.lru_cache(maxsize=None)
def load_runtime_libraries() -> tuple:
    """Load the runtime libraries into the process's global symbol scope, once.

    Compiled code finds their symbols there: an ExecutionEngine resolves undefined symbols
    in the process. Given as an engine's `shared_libs` instead, each library is added to
    that engine's JIT again, ~1.4 MB per executable."""
    return tuple(ctypes.CDLL(p, mode=ctypes.RTLD_GLOBAL) for p in runtime_libraries())


class CpuExecutable:
    """An LLVM-dialect module JIT-compiled by MLIR's ExecutionEngine, entry `name`."""

    def __init__(self, llvm_module, name: str, out_specs, opt_level: int = 3):
        from mlir.execution_engine import ExecutionEngine
        load_runtime_libraries()
        self.engine = ExecutionEngine(llvm_module, opt_level=opt_level)
        self.call = PreparedCall(self.engine.raw_lookup(name), out_specs)

    def __call__(self, inputs):
        return self.call(inputs)
