"""The CPU backend's compilation: from a traced module to something callable.

The CPU pipeline (`pipelines.CPU`: mlax -> linalg -> the LLVM dialect, bare-pointer calling
convention, results as out-parameters) runs first. Then either

- in process: codegen.py generates object code, linked into the process's JIT
  (mlax/runtime/cpu.py: `compile_module` when no persistent cache is configured), or
- ahead of time: codegen.py generates object code and links a shared library, written
  as a compiled module directory (format: mlax/runtime/aot.py). `save_module` writes one
  for mlax-compile and `Compiled.save`; the persistent compilation cache (mlax/backends/cache.py)
  stores the same directories, so with a cache directory configured `compile_module`
  loads a stored library instead of compiling, and stores what it compiles.
"""
from __future__ import annotations

import functools
import os
import threading
import warnings

import numpy as np
from mlir import ir

from mlax.backends import BackendError, HostCallbackError, cache, no_timer
from mlax.backends.module_dir import metadata, write_directory, write_metadata
from mlax.backends.cpu import codegen, pipelines
from mlax.dialects import func_ops, function_signature, privatize, structural, symbol_name
from mlax.passes import run_pipeline
from mlax.runtime import aot, callbacks
from mlax.runtime.aot import flat_entry_meta
from mlax.runtime.cpu import CpuExecutable, JitCode, unique_symbol


# ---------------------------------------------------------------------------------------
# Compiled module directories

def write_module_files(directory, llvm_modules, entries: dict, machine, opt_level=3, name=None,
                       package=True, creator="mlax", timer=no_timer, extra=None):
    """Generate code for `llvm_modules` (LLVM dialect; together they define every entry's
    symbol) for `machine` (a codegen.MachineTarget) and write the compiled module into the existing, empty `directory`. `extra`
    adds metadata fields."""
    if any(_calls_host(m) for m in llvm_modules):
        raise HostCallbackError(
            "this module calls host callbacks (jax.pure_callback, io_callback, "
            "jax.debug.print or jax.debug.callback), which are Python functions of the "
            "process that traced it: it can run in this process (jit), not be saved as a "
            "compiled module")
    name = name or os.path.basename(os.path.normpath(directory))
    lib_name = f"lib{_c_name(name)}.so"
    with timer("codegen"):
        obj, declared = codegen.emit([*llvm_modules, signature_module(entries)], machine, "obj",
                                     opt_level)
    with timer("link"):
        shims, libraries = codegen.runtime_needs(declared)
        codegen.link_shared([obj], os.path.join(directory, lib_name), libraries, shims)
    files = {lib_name: aot.file_digest(os.path.join(directory, lib_name))}
    meta = metadata(
        name, creator, {"platform": "cpu", **machine.describe(), "opt_level": opt_level},
        entries, files, library=lib_name,
        # Loaded before the library: name -> where it was at build time.
        runtime_libraries={os.path.basename(p): os.path.abspath(p) for p in libraries},
        **(extra or {}))
    write_metadata(directory, meta, package)
    return meta


def signature_module(entries: dict) -> ir.Module:
    """An LLVM-dialect module defining the string the loader checks the metadata against
    (aot.SIGNATURES: the buffers of every entry point, aot.library_signatures)."""
    data = aot.library_signatures(entries).encode() + b"\0"
    text = "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\{b:02X}"
                   for b in data)
    with ir.Context(), ir.Location.unknown():
        return ir.Module.parse(
            f'llvm.mlir.global external constant @{aot.SIGNATURES}("{text}") '
            f'{{addr_space = 0 : i32}} : !llvm.array<{len(data)} x i8>')


def _c_name(name) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "module"


def _calls_host(module) -> bool:
    """Whether `module` (mlax dialect or lowered) calls host callbacks."""
    op = module.operation if hasattr(module, "operation") else module
    for o in op.regions[0].blocks[0].operations:
        o = o.operation
        if o.name in ("func.func", "llvm.func") and (
                symbol_name(o) == callbacks.SYMBOL or "mlax.callback" in o.attributes):
            return True
    return False


def save_module(path, llvm_modules, entries: dict, machine, opt_level=3, creator="mlax",
                timer=no_timer):
    """Write a compiled module (an importable package) at directory `path`, atomically
    (module_dir.write_directory)."""
    return write_directory(path, lambda tmp, name: write_module_files(
        tmp, llvm_modules, entries, machine, opt_level, name=name, creator=creator,
        timer=timer))


# ---------------------------------------------------------------------------------------
# Compiling for this process

class AotExecutable:
    """An entry point of a loaded shared library, called like CpuExecutable."""

    def __init__(self, entry: aot.EntryPoint, module: aot.Module):
        self.call = entry.flat
        self.module = module      # keeps the library loaded

    def __call__(self, inputs):
        return self.call(inputs)


def _all_pointer_args(module, names) -> bool:
    """Whether the llvm.funcs `names` take only pointers (the bare-pointer convention)."""
    op = module.operation if hasattr(module, "operation") else module
    for o in op.regions[0].blocks[0].operations:
        o = o.operation
        if o.name == "llvm.func" and symbol_name(o) in names and len(o.regions[0].blocks):
            if any(str(a.type) != "!llvm.ptr" for a in o.regions[0].blocks[0].arguments):
                return False
    return True


def _jit(module, entries: dict, signatures: dict, opt_level, recompile_at=None):
    """Object code for `module` (LLVM dialect) linked into this process: {name: executable}.
    Entry points get process-unique symbols (every eager `add` is named add).
    `recompile_at`: the opt level hot entry points are compiled again at (see
    CpuExecutable), from the module's LLVM bitcode kept for that."""
    names = list(entries)
    if not _all_pointer_args(module, names):
        # The runtime passes one pointer per buffer: a signature that kept memref
        # descriptors would read garbage for its arguments.
        raise RuntimeError(f"internal error: the compiled entry points {names} do not take bare "
                           "pointers (a memref in their signature has dynamic strides)")
    symbols = {n: unique_symbol(n) for n in names}
    machine = codegen.MachineTarget.host()
    keep = [] if recompile_at is not None else None
    obj, _ = codegen.emit([module], machine, "obj", opt_level, rename=symbols, keep=keep)
    code = JitCode(obj)
    recompile = {n: None for n in names}
    if keep:
        shared = _Recompile(keep[0], machine, list(symbols.values()), recompile_at)
        recompile = {n: functools.partial(shared, symbols[n]) for n in names}
    return {n: CpuExecutable(code, symbols[n], len(signatures[n][0]), entries[n], recompile[n])
            for n in names}


class _Recompile:
    """Compiles a module's bitcode again at `opt_level` once, for all its entry points:
    `recompile(symbol)` -> (JitCode, the entry point's new symbol): LLVM alone, in a
    context of its own, no MLIR. The fast-math flags some upstream
    lowerings set are dropped first, so that the optimized code gives the same bits as
    the level-0 code it replaces (which ignores them)."""

    def __init__(self, bitcode, machine, symbols, opt_level):
        self.bitcode, self.machine, self.symbols = bitcode, machine, symbols
        self.opt_level = opt_level
        self.lock = threading.Lock()
        self.done = None

    def __call__(self, symbol):
        with self.lock:
            if self.done is None:
                renamed = {s: unique_symbol(s.rsplit(".mlax", 1)[0]) for s in self.symbols}
                with codegen.LLVMModule([], self.machine, self.bitcode) as m:
                    for old, new in renamed.items():
                        m.rename_function(old, new)
                    m.strip_fast_math()
                    m.optimize(self.opt_level)
                    obj = m.emit("obj")
                self.done = (JitCode(obj), renamed)
                self.bitcode = None
            code, renamed = self.done
        return code, renamed[symbol]


_cache_warned: set = set()


def compile_module(module, entries: dict, pipeline=pipelines.CPU, opt_level=3, key_parts=(),
                   recompile_at=None):
    """Compile `module` (mlax dialect; in its context) for this machine.

    `entries` maps each public function to its results' [(shape, dtype)]; every other
    function becomes private. Returns ({name: executable}, lowered), where `lowered` says
    whether `module` itself now holds the LLVM dialect (False after a cache hit: nothing
    was compiled). Executables are called with a list of C-contiguous NumPy arrays.
    `recompile_at`: compiled in process, entry points called often are compiled again
    at this opt level (CpuExecutable); with a persistent cache, the stored code is
    compiled at this level from the start."""
    privatize(module, entries)
    signatures = {n: function_signature(module, n) for n in entries}
    directory = cache.directory()
    if directory is None or _calls_host(module):
        # Host callbacks are Python functions of this process: such code is not cached.
        run_pipeline(module, pipeline)
        return _jit(module, entries, signatures, opt_level, recompile_at), True
    # A cached entry is loaded by later processes, which never compile it again when it is
    # hot: it is stored at the level hot code would reach.
    opt_level = recompile_at if recompile_at is not None else opt_level
    machine = codegen.MachineTarget.host()
    key = cache.key(module, pipeline, opt_level, key_parts)
    loaded = cache.get(directory, key)
    lowered = False
    if loaded is None:
        run_pipeline(module, pipeline)
        lowered = True
        metas = {n: flat_entry_meta(n, signatures[n][0], entries[n]) for n in entries}
        try:
            loaded = cache.put(directory, key, lambda d: write_module_files(
                d, [module], metas, machine, opt_level, name="module", package=False,
                creator="mlax compilation cache", extra={"cache_key": key}))
        except Exception as e:  # a cache that cannot be written never stops a compile
            if directory not in _cache_warned:
                _cache_warned.add(directory)
                warnings.warn(f"mlax compilation cache: could not store an entry in {directory} "
                              f"({type(e).__name__}: {e}); compiling in process",
                              RuntimeWarning)
            return _jit(module, entries, signatures, opt_level, recompile_at), True
    return {n: AotExecutable(loaded.entries[n], loaded) for n in entries}, lowered


# LLVM's optimizing code generation (any level above 0: the IR pipeline plus SelectionDAG
# instruction selection) costs ~100 ms even for a few small loops, 5-10x the fast path at
# level 0. Level-0 code costs ~0.2 ns more per element operation (measured: a 16x64x64
# matmul +10 us), so below SMALL_WORK operations a call is at most ~10 us slower while
# dispatch costs tens of microseconds anyway: jit and eager ops compile such functions at
# level 0, halving the first call (linreg_update: ~200 -> ~85 ms).
SMALL_WORK = 1 << 16       # element operations (est_work) below which opt level 0 is used


def est_work(module) -> int | None:
    """Rough element operations of one call of `module`'s public functions (mlax
    dialect): per op the largest of its operand and result sizes, a dot_general's
    multiply-adds; a call costs its callee, a vmap its callee times the batch size, an
    autodiff transform 3x its callee, a cond its costliest branch, a scan its body times
    the length. None when that cannot be told (a while loop, an op with regions)."""
    fns = {symbol_name(fn): fn for fn in func_ops(module)}
    memo = {}

    def sym(a):
        return ir.FlatSymbolRefAttr(a).value

    def fn_work(name):
        if name in memo:
            if memo[name] is _BUSY:
                raise _Unknown
            return memo[name]
        memo[name] = _BUSY
        fn = fns.get(name)
        if fn is None:
            raise _Unknown
        d = structural.read(fn)
        if d is None:
            w = body_work(fn)
        elif d.kind == "vmap":
            w = fn_work(d.callee) * d.axis_size
        elif d.kind in ("grad", "vjp", "jvp", "custom_jvp", "custom_vjp"):
            w = 3 * fn_work(d.callee)
        elif d.kind == "cond":
            w = max(fn_work(b) for b in d.branches)
        elif d.kind == "scan":
            w = fn_work(d.body) * d.length
        else:
            raise _Unknown
        memo[name] = w
        return w

    def body_work(fn):
        if not len(fn.regions[0].blocks):
            raise _Unknown
        total = 0
        for op in fn.regions[0].blocks[0].operations:
            op = op.operation
            if len(op.regions):
                raise _Unknown
            if op.name == "func.call":
                total += fn_work(sym(op.attributes["callee"]))
                continue
            sizes = [_numel(v.type) for v in list(op.operands) + list(op.results)]
            n = max(sizes, default=0)
            if op.name == "mlax.dot_general":
                lhs = ir.RankedTensorType(op.operands[0].type).shape
                for d in ir.DenseI64ArrayAttr(op.attributes["lhs_contracting_dimensions"]):
                    n *= lhs[d]
            elif op.name == "mlax.conv":
                # Each result element is a dot product over the window and input features.
                rhs = ir.RankedTensorType(op.operands[1].type).shape
                out_features = rhs[ir.DenseI64ArrayAttr(op.attributes["rhs_spec"])[0]]
                n = _numel(op.results[0].type) * (_numel(op.operands[1].type)
                                                   // max(out_features, 1))
            elif op.name in ("mlax.reduce_window", "mlax.select_and_gather_add",
                             "mlax.select_and_scatter_add"):
                window = ir.DenseI64ArrayAttr(op.attributes["window_dimensions"])
                n *= int(np.prod(list(window), dtype=np.int64))
            total += n
        return total

    try:
        return sum(fn_work(symbol_name(fn)) for fn in fns.values()
                   if "sym_visibility" not in fn.attributes
                   or ir.StringAttr(fn.attributes["sym_visibility"]).value == "public")
    except (_Unknown, KeyError, ValueError, TypeError):
        return None


class _Unknown(Exception):
    pass


_BUSY = object()


def _numel(t):
    if not isinstance(t, ir.RankedTensorType):
        return 1
    n = 1
    for d in t.shape:
        n *= d if d >= 0 else 1
    return n


def auto_opt_level(module) -> int:
    """3, or 0 for a module whose estimated work is below SMALL_WORK (see above)."""
    try:
        work = est_work(module)
    except Exception:  # noqa: BLE001 - an estimate never stops a compile
        return 3
    return 0 if work is not None and work < SMALL_WORK else 3
