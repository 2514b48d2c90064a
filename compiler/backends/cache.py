"""The persistent compilation cache: compiled code on disk, shared between processes.

Off by default, like JAX's. Turn it on with

    mlax.config.update("compilation_cache_dir", "/path/to/cache")

or the environment variable MLAX_COMPILATION_CACHE_DIR (the config setting wins). Then
every compilation (jit, eager ops, Lowered.compile) looks for its key first: a hit loads
the stored shared library (a few milliseconds) and compiles nothing; a miss compiles to a
shared library, stores it, and loads it.

An entry is a compiled module directory (mlax/runtime/aot.py) named after the key:

    <cache_dir>/<key>/mlax_module.json, libmodule.so

The key is the SHA-256 of everything the code depends on: the module as traced (without
source locations), the pass pipeline, the optimization level, the mlax version, a
fingerprint of the compiler's own sources (their sizes and modification times: an edited
lowering never reuses stale code), and what the backend names (`Backend.cache_key`: for
the CPU the machine target (LLVM triple, CPU and features), the thread count, and the
identity of the MLIR and LLVM libraries).

Entries are written in a private temporary directory and renamed into place, so readers
never see half an entry and concurrent writers of one key leave one complete entry. The
metadata holds the SHA-256 of the library: a truncated or corrupt entry is detected on
load, removed, recompiled and replaced; it never crashes the process.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile

from mlax.runtime import aot
from mlax.runtime.config import config

ENV_VAR = "MLAX_COMPILATION_CACHE_DIR"
KEY_VERSION = "mlax-cache-2"    # 2: module format 2 (signatures in the library)

log = logging.getLogger("mlax.cache")

# Counters for this process (tests and benchmarks read them).
stats = {"hits": 0, "misses": 0, "corrupt": 0, "writes": 0}


def directory() -> str | None:
    """The cache directory in use, or None when the cache is off."""
    d = config.read("compilation_cache_dir") or os.environ.get(ENV_VAR)
    return os.fspath(d) if d else None


_fingerprint = None


def compiler_fingerprint() -> str:
    """A digest of mlax's compiler sources (by stat)."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256()
        roots = sorted({os.path.dirname(os.path.abspath(sys.modules[m].__file__))
                        for m in ("mlax", "mlax.dialects") if m in sys.modules})
        for root in roots:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                for fn in sorted(filenames):
                    if fn.endswith((".py", ".mlir")):
                        # Size and modification time stand for the contents: stat is cheap
                        # on every first compile of a process, hashing 600 KB is not.
                        p = os.path.join(dirpath, fn)
                        st = os.stat(p)
                        h.update(f"{os.path.relpath(p, root)}:{st.st_size}:{st.st_mtime_ns}\0"
                                 .encode())
        _fingerprint = h.hexdigest()
    return _fingerprint


def key(module, pipeline: str, opt_level: int, parts) -> str:
    """The cache key of compiling `module` (mlax dialect, as traced) with `pipeline` at
    `opt_level`; `parts` are what else the backend's code depends on (its
    `Backend.cache_key`: machine target, thread count, library versions)."""
    op = module.operation if hasattr(module, "operation") else module
    text = op.get_asm(enable_debug_info=False, assume_verified=True)
    h = hashlib.sha256()
    for part in (KEY_VERSION, mlax_version(), compiler_fingerprint(), pipeline, str(opt_level),
                 *parts, text):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def mlax_version() -> str:
    return getattr(sys.modules.get("mlax"), "__version__", "unknown")


def entry_path(directory_, key_) -> str:
    return os.path.join(directory_, key_)


def _load(path, key_):
    """The entry at `path`, loaded; raises ModuleError or OSError if it is not sound."""
    module = aot.load(path)
    if module.metadata.get("cache_key") != key_:
        raise aot.ModuleError(f"{path}: entry written for another key")
    return module


def get(directory_, key_):
    """The loaded module of entry `key_`, or None on a miss. A corrupt entry is removed."""
    path = entry_path(directory_, key_)
    if not os.path.isdir(path):
        stats["misses"] += 1
        return None
    try:
        module = _load(path, key_)
    except (aot.ModuleError, OSError) as e:
        stats["corrupt"] += 1
        stats["misses"] += 1
        log.warning("mlax compilation cache: discarding a corrupt entry: %s", e)
        _discard(path)
        return None
    stats["hits"] += 1
    log.debug("mlax compilation cache hit: %s", key_)
    return module


def put(directory_, key_, write):
    """Store an entry and return it loaded. `write(tmpdir)` writes the module files, with
    "cache_key": key_ in their metadata.

    If another process stored the key first, its entry is used (and ours dropped)."""
    os.makedirs(directory_, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{key_[:16]}-", dir=directory_)
    final = entry_path(directory_, key_)
    try:
        write(tmp)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, final)
        except OSError:
            # An entry is there already (another process's): use it if it is sound.
            try:
                existing = _load(final, key_)
            except (aot.ModuleError, OSError):
                _discard(final)
                os.rename(tmp, final)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
                return existing
        stats["writes"] += 1
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _load(final, key_)


def _discard(path):
    """Move a bad entry out of the way (one rename: atomic for readers), then delete it."""
    parent = os.path.dirname(path)
    try:
        trash = tempfile.mkdtemp(prefix=".trash-", dir=parent)
        os.rename(path, os.path.join(trash, "entry"))
    except OSError:
        return  # another process moved it already
    shutil.rmtree(trash, ignore_errors=True)


def clear(directory_=None):
    """Remove every entry of the cache directory (the directory itself stays)."""
    d = directory_ or directory()
    if not d or not os.path.isdir(d):
        return
    for name in os.listdir(d):
        p = os.path.join(d, name)
        if os.path.isdir(p):
            _discard(p)
