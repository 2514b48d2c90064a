"""Running compiled CPU code in process.

Compiled functions use the bare-pointer calling convention: every argument and result is
a pointer to a dense row-major buffer, results are out-parameters after the inputs. A call
is one ctypes call with the buffers' addresses as arguments (`DirectCall`): ctypes builds
each call's arguments itself, so threads may call one function at once.

Code compiled in process is object code (the CPU backend's codegen makes the same for shared
libraries), linked into one ORC LLJIT that serves the whole process (`ProcessJit`, LLVM's C
API through ctypes). Each linked object keeps only its code and data pages (~10 KB for a
small function), and they are freed when its last executable is: a JIT per function
(MLIR's ExecutionEngine) kept a target machine and its tables alive for each, ~1.5 MB, and
took ~30 ms to set up. Undefined symbols resolve in the process, where the runtime
libraries are loaded once (`load_runtime_libraries`).
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import itertools
import os
import platform
import sys
import threading
import warnings
import weakref

import numpy as np

from . import callbacks
from .array import Array


def _package_dir(name) -> str | None:
    """Where package `name` is installed, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    return os.path.dirname(spec.origin)


def runtime_libraries() -> list[str]:
    """Shared libraries compiled code may call into (memref copies, printing, LAPACK,
    OpenMP): MLIR's runtime support from the `mlir` package and OpenBLAS from the
    `scipy-openblas32` package, found without importing them."""
    lib = os.path.join(_package_dir("mlir") or "", "lib")
    names = ["libmlir_c_runner_utils.so"]
    libs = [os.path.join(lib, n) for n in names if os.path.exists(os.path.join(lib, n))]
    lapack = lapack_library()
    omp = openmp_library()
    return libs + ([lapack] if lapack else []) + ([omp] if omp else [])


def lapack_library() -> str | None:
    """Path of the OpenBLAS build whose LAPACK routines (`scipy_dpotrf_`, ...) the linear
    algebra ops call, or None when the `scipy-openblas32` package is missing."""
    lib = os.path.join(_package_dir("scipy_openblas32") or "", "lib", "libscipy_openblas.so")
    return lib if os.path.exists(lib) else None


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


@functools.lru_cache(maxsize=None)
def load_runtime_libraries() -> tuple:
    """Load the runtime libraries into the process's global symbol scope, once: code
    linked by `ProcessJit` finds their symbols there."""
    return tuple(ctypes.CDLL(p, mode=ctypes.RTLD_GLOBAL) for p in runtime_libraries())


# ---------------------------------------------------------------------------------------
# Calling compiled code

class DirectCall:
    """Calls `symbol(in..., out...)` on NumPy buffers: `call(inputs) -> outputs`.

    `fn` is a ctypes function (from a shared library) or an address. No checks: callers
    pass C-contiguous arrays of the compiled shapes and dtypes (the jit caches do;
    aot.EntryPoint checks first). `keep` is what keeps the code alive (its JitCode): a
    call in flight holds it even after its executable has moved to other code.
    `countdown` calls later, `on_hot()` runs (see CpuExecutable)."""
    __slots__ = ("fn", "out_specs", "address", "keep", "countdown", "on_hot")

    def __init__(self, fn, n_in, out_specs, keep=None):
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]
        argtypes = [ctypes.c_void_p] * (n_in + len(self.out_specs))
        if isinstance(fn, int):
            fn = ctypes.CFUNCTYPE(None, *argtypes)(fn)
        else:
            fn.argtypes, fn.restype = argtypes, None
        self.fn = fn
        self.address = ctypes.cast(fn, ctypes.c_void_p).value
        self.keep = keep
        self.countdown = 0
        self.on_hot = None

    def _count(self):
        self.countdown -= 1
        if self.countdown <= 0:
            self.on_hot()

    def __call__(self, inputs):
        if self.countdown > 0:
            self._count()
        outs = [np.empty(s, d) for s, d in self.out_specs]
        self.fn(*[a.__array_interface__["data"][0] for a in inputs],
                *[o.__array_interface__["data"][0] for o in outs])
        callbacks.raise_pending()
        return outs

    def call_arrays(self, arrays, weak):
        """The hot path of jit: mlax Arrays in (buffer addresses cached on them), mlax
        Arrays out."""
        if self.countdown > 0:
            self._count()
        ptrs = [a.unsafe_buffer_pointer for a in arrays]
        outs = []
        for (shape, dtype), w in zip(self.out_specs, weak):
            arr = Array.fresh(shape, dtype, w)
            ptrs.append(arr._ptr)
            outs.append(arr)
        self.fn(*ptrs)
        callbacks.raise_pending()
        return outs


# ---------------------------------------------------------------------------------------
# The process's JIT

def llvm_library() -> str:
    """The LLVM shared library of the `llvm` package, the one MLIR's bindings link."""
    return os.path.join(_package_dir("llvm") or "", "lib", "libLLVM.so")


# Held while LLVM targets are initialized (here and by the CPU backend's codegen): their registration
# is not safe to run from two threads at once.
LLVM_INIT_LOCK = threading.RLock()


class JitError(Exception):
    """Linking compiled code into the process failed (an undefined symbol, ...)."""


_P = ctypes.c_void_p
# LLVM target name of this machine, for its LLVMInitialize<Name>* functions.
_NATIVE_TARGETS = {"x86_64": "X86", "amd64": "X86", "aarch64": "AArch64", "arm64": "AArch64"}


class ProcessJit:
    """One ORC LLJIT for the process: `link(object code)` -> a tracker; `lookup`; `remove`.

    Every linked object goes into the main JITDylib under its own resource tracker, so its
    memory is freed on its own; symbols must be unique across objects (compile.py names
    entry points uniquely). Undefined symbols resolve in the process. ORC is thread-safe."""

    _instance = None

    @classmethod
    def get(cls) -> "ProcessJit":
        with LLVM_INIT_LOCK:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def __init__(self):
        L = self.llvm = ctypes.CDLL(llvm_library())
        sigs = {
            "LLVMOrcCreateLLJIT": ([ctypes.POINTER(_P), _P], _P),
            "LLVMOrcLLJITGetMainJITDylib": ([_P], _P),
            "LLVMOrcLLJITGetGlobalPrefix": ([_P], ctypes.c_char),
            "LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess":
                ([ctypes.POINTER(_P), ctypes.c_char, _P, _P], _P),
            "LLVMOrcJITDylibAddGenerator": ([_P, _P], None),
            "LLVMOrcJITDylibCreateResourceTracker": ([_P], _P),
            "LLVMOrcLLJITAddObjectFileWithRT": ([_P, _P, _P], _P),
            "LLVMOrcLLJITLookup": ([_P, ctypes.POINTER(ctypes.c_uint64), ctypes.c_char_p], _P),
            "LLVMOrcResourceTrackerRemove": ([_P], _P),
            "LLVMOrcReleaseResourceTracker": ([_P], None),
            "LLVMCreateMemoryBufferWithMemoryRangeCopy":
                ([ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p], _P),
            "LLVMOrcLLJITMangleAndIntern": ([_P, ctypes.c_char_p], _P),
            "LLVMOrcAbsoluteSymbols": ([ctypes.POINTER(_SymbolMapPair), ctypes.c_size_t], _P),
            "LLVMOrcJITDylibDefine": ([_P, _P], _P),
            "LLVMGetErrorMessage": ([_P], _P),
            "LLVMDisposeErrorMessage": ([_P], None),
        }
        for name, (args, res) in sigs.items():
            fn = getattr(L, name)
            fn.argtypes, fn.restype = args, res
        arch = _NATIVE_TARGETS.get(platform.machine().lower())
        if arch is None:
            raise JitError(f"no in-process JIT for this machine ({platform.machine()})")
        for part in ("TargetInfo", "Target", "TargetMC"):
            init = getattr(L, f"LLVMInitialize{arch}{part}")
            init.argtypes, init.restype = [], None
            init()
        load_runtime_libraries()
        self.jit = _P()
        self._check(L.LLVMOrcCreateLLJIT(ctypes.byref(self.jit), None), "creating the JIT")
        self.dylib = L.LLVMOrcLLJITGetMainJITDylib(self.jit)
        process = _P()
        self._check(L.LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
            ctypes.byref(process), L.LLVMOrcLLJITGetGlobalPrefix(self.jit), None, None),
            "searching the process for symbols")
        L.LLVMOrcJITDylibAddGenerator(self.dylib, process)
        self.define(callbacks.SYMBOL, callbacks.ENTRY_ADDRESS)

    def define(self, symbol: str, address: int):
        """Define `symbol` at `address` (a function of this process) for linked code."""
        L = self.llvm
        pair = _SymbolMapPair(L.LLVMOrcLLJITMangleAndIntern(self.jit, symbol.encode()),
                              _EvaluatedSymbol(address, _SymbolFlags(_EXPORTED_CALLABLE, 0)))
        unit = L.LLVMOrcAbsoluteSymbols(ctypes.byref(pair), 1)
        self._check(L.LLVMOrcJITDylibDefine(self.dylib, unit), f"defining {symbol}")

    def _check(self, err, doing):
        if err:
            msg = self.llvm.LLVMGetErrorMessage(err)
            text = ctypes.string_at(msg).decode("utf-8", "replace")
            self.llvm.LLVMDisposeErrorMessage(msg)
            raise JitError(f"{doing}: {text}")

    def link(self, obj: bytes) -> int:
        """Add object code; returns its resource tracker (for `lookup`'s sake, nothing
        is linked until a symbol is looked up)."""
        L = self.llvm
        tracker = L.LLVMOrcJITDylibCreateResourceTracker(self.dylib)
        buf = L.LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, len(obj), b"mlax-object")
        try:
            self._check(L.LLVMOrcLLJITAddObjectFileWithRT(self.jit, tracker, buf),
                        "adding compiled code")
        except JitError:
            self.remove(tracker)
            raise
        return tracker

    def lookup(self, symbol: str) -> int:
        addr = ctypes.c_uint64()
        self._check(self.llvm.LLVMOrcLLJITLookup(self.jit, ctypes.byref(addr), symbol.encode()),
                    f"linking compiled code (looking up {symbol})")
        return addr.value

    def remove(self, tracker):
        """Free the code and data of the object added under `tracker`."""
        try:
            self._check(self.llvm.LLVMOrcResourceTrackerRemove(tracker), "freeing compiled code")
        finally:
            self.llvm.LLVMOrcReleaseResourceTracker(tracker)


class _SymbolFlags(ctypes.Structure):
    _fields_ = [("generic", ctypes.c_uint8), ("target", ctypes.c_uint8)]


class _EvaluatedSymbol(ctypes.Structure):
    _fields_ = [("address", ctypes.c_uint64), ("flags", _SymbolFlags)]


class _SymbolMapPair(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("symbol", _EvaluatedSymbol)]


_EXPORTED_CALLABLE = 1 | 4    # LLVMJITSymbolGenericFlagsExported | ...Callable


_SYMBOL_IDS = itertools.count()


def unique_symbol(name: str) -> str:
    """A process-unique symbol for entry point `name` of code to link into ProcessJit."""
    return f"{name}.mlax{next(_SYMBOL_IDS)}"


class JitCode:
    """Object code linked into the process JIT; freed when this object is."""

    def __init__(self, obj: bytes):
        jit = ProcessJit.get()
        self._tracker = jit.link(obj)
        self._free = weakref.finalize(self, jit.remove, self._tracker)
        self._free.atexit = False     # the process's end frees it all at once

    def address(self, symbol: str) -> int:
        try:
            return ProcessJit.get().lookup(symbol)
        except JitError:
            self._free()
            raise


# Calls of code compiled quickly at a low optimization level before it is compiled again
# fully optimized (CpuExecutable's `recompile`).
HOT_CALLS = 16

_RECOMPILE_LOCK = threading.Lock()


class CpuExecutable:
    """Entry point `symbol` (n_in inputs, outputs of `out_specs`) of linked `code`.

    `recompile`, given for code compiled at a low optimization level to make the first
    call quick, returns the same entry point fully optimized: () -> (JitCode, symbol).
    The HOT_CALLS-th call runs it, and later calls run its code. Both compile the same
    LLVM IR, without fast-math flags, so their results are the same bits."""

    def __init__(self, code: JitCode, symbol: str, n_in: int, out_specs, recompile=None):
        self.code = code          # keeps the code linked
        self.n_in = n_in
        self.call = DirectCall(code.address(symbol), n_in, out_specs, keep=code)
        self._recompile = recompile
        self.optimized = recompile is None
        if recompile is not None:
            self.call.countdown = HOT_CALLS
            self.call.on_hot = self._recompiled

    def __call__(self, inputs):
        return self.call(inputs)

    def _recompiled(self):
        with _RECOMPILE_LOCK:       # once, whichever thread's call comes first
            recompile, self._recompile = self._recompile, None
        if recompile is None:
            return
        try:
            code, symbol = recompile()
            # The first code stays linked too: the new object's references to weak symbols
            # it also defines (the outlined math functions) resolved to the first one's.
            call = DirectCall(code.address(symbol), self.n_in, self.call.out_specs,
                              keep=(code, self.code))
        except Exception as e:  # noqa: BLE001 - the code compiled first goes on serving
            warnings.warn(f"mlax: compiling a hot function again, optimized, failed ({e}); it "
                          "keeps its first code", RuntimeWarning)
            return
        # A call in flight on the old code holds it (DirectCall.keep).
        self.code, self.call, self.optimized = code, call, True
