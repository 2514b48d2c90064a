"""Compiled modules on disk, loaded and called with no compiler in the loop.

A compiled module is a directory (an importable Python package when written by
`mlax-compile --emit module` or `Compiled.save`):

    linreg/
      __init__.py          loads the sibling library with this module (written for `import`)
      mlax_module.json     metadata: entry points, shapes, dtypes, pytrees, target, checksums
      liblinreg.so         the code: one C function per entry point

Every entry point is `void symbol(void *in_0, ..., void *in_n, void *out_0, ..., void *out_m)`:
one pointer per input buffer then one per output buffer, dense and row-major (MLIR's
bare-pointer calling convention, results as out-parameters). Loading is `ctypes` and NumPy
only: no tracing, no MLIR. `load(path)` returns a `Module` with one callable per entry
point; a call flattens its arguments against the stored pytree structure, checks every
leaf's shape and dtype, runs, and returns mlax Arrays in the stored output structure.

The metadata's "files" map each file to its SHA-256; `load` verifies them, so a truncated
or corrupt module is an error, never a crash. Everything here imports nothing of the
compiler (this file, `array.py` and NumPy), so a module loads where only the runtime is.
"""
from __future__ import annotations

import collections
import ctypes
import hashlib
import json
import os
import platform

import numpy as np

from .array import Array

FORMAT = "mlax-module"
FORMAT_VERSION = 1
METADATA = "mlax_module.json"


class ModuleError(Exception):
    """A compiled module that cannot be loaded: missing, corrupt, or for another machine."""


# ---------------------------------------------------------------------------------------
# Pytree structures in JSON
#
#   "*"                                   a leaf
#   null                                  None
#   {"tuple": [t, ...]}  {"list": [t, ...]}
#   {"dict": [[key, t], ...]}             keys in flattening order (sorted)
#   {"odict": [[key, t], ...]}            collections.OrderedDict, insertion order
#   {"namedtuple": name, "fields": [...], "children": [t, ...]}

def tree_num_leaves(tree) -> int:
    if tree == "*":
        return 1
    if tree is None:
        return 0
    return sum(tree_num_leaves(c) for c in _children(tree))


def _children(tree):
    if "tuple" in tree:
        return tree["tuple"]
    if "list" in tree:
        return tree["list"]
    if "dict" in tree:
        return [c for _, c in tree["dict"]]
    if "odict" in tree:
        return [c for _, c in tree["odict"]]
    return tree["children"]


_NAMEDTUPLES: dict = {}


def tree_unflatten(tree, leaves):
    """Rebuild the structure `tree` (JSON, above) from an iterator of leaves."""
    it = iter(leaves)

    def build(t):
        if t == "*":
            return next(it)
        if t is None:
            return None
        if "tuple" in t:
            return tuple(build(c) for c in t["tuple"])
        if "list" in t:
            return [build(c) for c in t["list"]]
        if "dict" in t:
            return {k: build(c) for k, c in t["dict"]}
        if "odict" in t:
            return collections.OrderedDict((k, build(c)) for k, c in t["odict"])
        key = (t["namedtuple"], tuple(t["fields"]))
        cls = _NAMEDTUPLES.get(key)
        if cls is None:
            cls = _NAMEDTUPLES[key] = collections.namedtuple(t["namedtuple"], t["fields"])
        return cls(*[build(c) for c in t["children"]])
    return build(tree)


def _describe(x) -> str:
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x, key=repr)}"
    if x is None:
        return "None"
    return _spec_text_of(x)


def _flatten_into(tree, x, path, out):
    """Append (value, path) for each leaf of `x`, which must have the structure `tree`."""
    if tree == "*":
        out.append((x, path))
        return
    if tree is None:
        if x is not None:
            raise TypeError(f"{path}: expected None, got {_describe(x)}")
        return
    if "tuple" in tree or "list" in tree or "namedtuple" in tree:
        kids = tree.get("tuple", tree.get("list", tree.get("children")))
        # Tuples and lists are interchangeable here: the leaves line up the same way.
        if not isinstance(x, (tuple, list)) or len(x) != len(kids):
            want = "a tuple" if "list" not in tree else "a list"
            raise TypeError(f"{path}: expected {want} of length {len(kids)}, got {_describe(x)}")
        for i, (t, v) in enumerate(zip(kids, x)):
            _flatten_into(t, v, f"{path}[{i}]", out)
        return
    pairs = tree.get("dict", tree.get("odict"))
    keys = [k for k, _ in pairs]
    if not isinstance(x, dict) or set(x) != set(keys):
        raise TypeError(f"{path}: expected a dict with keys {sorted(keys, key=repr)}, "
                        f"got {_describe(x)}")
    for k, t in pairs:
        _flatten_into(t, x[k], f"{path}[{k!r}]", out)


# ---------------------------------------------------------------------------------------
# Leaves

def spec_text(shape, dtype) -> str:
    return f"{np.dtype(dtype).name}[{','.join(str(d) for d in shape)}]"


def _spec_text_of(x) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return spec_text(x.shape, x.dtype)
    return f"{type(x).__name__} {x!r}"


def _scalar_fits(x, dtype: np.dtype) -> bool:
    """JAX's rule for Python scalars passed where a typed 0-d array is expected."""
    if isinstance(x, bool):
        return True
    if isinstance(x, int):
        return dtype.kind in "iuf"
    if isinstance(x, float):
        return dtype.kind == "f"
    return False


class Leaf:
    """The expected shape and dtype of one flattened input."""
    __slots__ = ("shape", "dtype", "weak")

    def __init__(self, shape, dtype, weak=False):
        self.shape, self.dtype, self.weak = tuple(shape), np.dtype(dtype), bool(weak)

    def __repr__(self):
        return spec_text(self.shape, self.dtype)

    def convert(self, x, where: str) -> np.ndarray:
        if isinstance(x, Array):
            a = x._value
        elif isinstance(x, np.ndarray):
            a = x
        elif isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
            if self.shape != () or not _scalar_fits(x, self.dtype):
                raise TypeError(f"{where}: expected {self}, got Python {type(x).__name__} {x!r}")
            return np.asarray(x, self.dtype)
        elif isinstance(x, np.generic) or hasattr(x, "__array__"):
            a = np.asarray(x)
        else:
            raise TypeError(f"{where}: expected {self}, got {type(x).__name__}")
        if a.shape != self.shape or a.dtype != self.dtype:
            raise TypeError(f"{where}: expected {self}, got {spec_text(a.shape, a.dtype)}")
        if not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
        return a


# ---------------------------------------------------------------------------------------
# Calling compiled code

class DirectCall:
    """Calls `symbol(in..., out...)` on NumPy buffers: `call(inputs) -> outputs`.

    No checks: callers pass C-contiguous arrays of the compiled shapes and dtypes (the
    in-process compile cache does; `EntryPoint` checks first)."""
    __slots__ = ("fn", "out_specs", "address")

    def __init__(self, fn, n_in, out_specs):
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]
        fn.argtypes = [ctypes.c_void_p] * (n_in + len(self.out_specs))
        fn.restype = None
        self.fn = fn
        self.address = ctypes.cast(fn, ctypes.c_void_p).value

    def __call__(self, inputs):
        outs = [np.empty(s, d) for s, d in self.out_specs]
        self.fn(*[a.ctypes.data for a in inputs], *[o.ctypes.data for o in outs])
        return outs

    def call_arrays(self, arrays, weak):
        """mlax Arrays in, mlax Arrays out (runtime.cpu.PreparedCall's fast path)."""
        ptrs = [a.unsafe_buffer_pointer for a in arrays]
        outs = []
        for (shape, dtype), w in zip(self.out_specs, weak):
            o = np.empty(shape, dtype)
            p = o.__array_interface__["data"][0]
            ptrs.append(p)
            arr = Array(o, w)
            arr._ptr = p
            outs.append(arr)
        self.fn(*ptrs)
        return outs


class EntryPoint:
    """One compiled function of a module, called like the traced Python function (minus
    its static arguments): positional and keyword arguments, pytrees of arrays."""

    def __init__(self, name, meta, fn):
        self.__name__ = self.name = name
        self.symbol = meta["symbol"]
        self.arg_names = list(meta.get("arg_names") or [])
        self.in_tree = meta["in_tree"]
        self.out_tree = meta["out_tree"]
        self.inputs = [Leaf(i["shape"], i["dtype"], i.get("weak", False)) for i in meta["inputs"]]
        self.outputs = [Leaf(o["shape"], o["dtype"], o.get("weak", False)) for o in meta["outputs"]]
        self.static = meta.get("static") or {}
        self.flat = DirectCall(fn, len(self.inputs), [(o.shape, o.dtype) for o in self.outputs])
        self._out_weak = [o.weak for o in self.outputs]
        args_tree, kwargs_tree = self.in_tree["tuple"]
        self._arg_trees = args_tree["list"]
        self._kwarg_trees = kwargs_tree["dict"]
        self._kwarg_names = [k for k, _ in self._kwarg_trees]
        self.__doc__ = f"Compiled mlax function {self.signature()}"

    def signature(self) -> str:
        parts = []
        it = iter(self.inputs)

        def shown(tree):
            leaves = [_Spec(next(it)) for _ in range(tree_num_leaves(tree))]
            return repr(tree_unflatten(tree, leaves))
        for i, t in enumerate(self._arg_trees):
            name = self.arg_names[i] if i < len(self.arg_names) else f"arg{i}"
            parts.append(f"{name}: {shown(t)}")
        for k, t in self._kwarg_trees:
            parts.append(f"{k}: {shown(t)}")
        outs = iter(self.outputs)
        out = repr(tree_unflatten(self.out_tree, [_Spec(next(outs)) for _ in self.outputs]))
        return f"{self.name}({', '.join(parts)}) -> {out}"

    def __repr__(self):
        return f"<compiled {self.signature()}>"

    def _arg_label(self, i):
        name = self.arg_names[i] if i < len(self.arg_names) else f"args[{i}]"
        return f"{self.name}(): argument '{name}'"

    def flatten(self, args, kwargs) -> list:
        """Check `args`/`kwargs` against the compiled signature -> input buffers."""
        n = len(self._arg_trees)
        if len(args) != n:
            names = ", ".join(self.arg_names[:n]) if self.arg_names else ""
            raise TypeError(f"{self.name}() takes {n} positional argument{'s' * (n != 1)}"
                            f"{f' ({names})' if names else ''} but {len(args)} "
                            f"{'was' if len(args) == 1 else 'were'} given")
        if set(kwargs) != set(self._kwarg_names):
            raise TypeError(f"{self.name}() was compiled with keyword arguments "
                            f"{sorted(self._kwarg_names)}, got {sorted(kwargs)}")
        pairs = []
        for i, (t, a) in enumerate(zip(self._arg_trees, args)):
            _flatten_into(t, a, self._arg_label(i), pairs)
        for k, t in self._kwarg_trees:
            _flatten_into(t, kwargs[k], f"{self.name}(): argument '{k}'", pairs)
        return [spec.convert(x, where) for spec, (x, where) in zip(self.inputs, pairs)]

    def __call__(self, *args, **kwargs):
        outs = self.flat(self.flatten(args, kwargs))
        return tree_unflatten(self.out_tree, [Array(o, w) for o, w in zip(outs, self._out_weak)])


class _Spec:
    def __init__(self, leaf):
        self.leaf = leaf

    def __repr__(self):
        return repr(self.leaf)


# ---------------------------------------------------------------------------------------
# Loading

def file_digest(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_metadata(path) -> dict:
    """The metadata of the module at `path` (its directory or its mlax_module.json)."""
    meta_path = path if os.path.isfile(path) else os.path.join(path, METADATA)
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ModuleError(f"{path} is not a compiled mlax module (no {METADATA})") from None
    except (OSError, ValueError) as e:
        raise ModuleError(f"{meta_path}: unreadable metadata ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModuleError(f"{meta_path}: not an mlax module metadata file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModuleError(f"{meta_path}: module format version {meta.get('format_version')}, "
                          f"this mlax reads version {FORMAT_VERSION}: recompile the module")
    return meta


def verify_files(directory, meta):
    """Raise ModuleError unless every file listed in the metadata has its checksum."""
    for name, digest in meta.get("files", {}).items():
        p = os.path.join(directory, name)
        if not os.path.isfile(p):
            raise ModuleError(f"{directory}: missing {name}")
        if file_digest(p) != digest:
            raise ModuleError(f"{p}: checksum mismatch (the file is truncated or corrupt): "
                              "recompile the module")


# LLVM feature name -> /proc/cpuinfo flag, for the vector extensions that matter most.
_CPU_FLAGS = {"sse4.1": "sse4_1", "sse4.2": "sse4_2", "avx": "avx", "avx2": "avx2",
              "fma": "fma", "f16c": "f16c", "avx512f": "avx512f", "avx512bw": "avx512bw",
              "avx512dq": "avx512dq", "avx512vl": "avx512vl", "avx512cd": "avx512cd",
              "avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16",
              "avx512fp16": "avx512_fp16"}


def _host_cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


def check_target(meta, where):
    """Refuse code for another architecture, or that needs vector units this CPU lacks
    (running it would die of SIGILL)."""
    target = meta.get("target", {})
    if target.get("platform", "cpu") != "cpu":
        raise ModuleError(f"{where}: compiled for the {target.get('platform')} platform; "
                          "this loader runs cpu modules")
    arch = target.get("triple", "").split("-")[0]
    machine = platform.machine().lower()
    same = {"x86_64": {"x86_64", "amd64"}, "aarch64": {"aarch64", "arm64"},
            "arm64": {"aarch64", "arm64"}}
    if arch and machine and machine not in same.get(arch, {arch}):
        raise ModuleError(f"{where}: compiled for {target.get('triple')}, this machine is "
                          f"{machine}: recompile with --target-triple matching it")
    wanted = [f[1:] for f in target.get("features", "").split(",") if f.startswith("+")]
    if arch == "x86_64" and wanted:
        flags = _host_cpu_flags()
        if flags is not None:
            missing = [f for f in wanted if f in _CPU_FLAGS and _CPU_FLAGS[f] not in flags]
            if missing:
                raise ModuleError(f"{where}: compiled for a CPU with {', '.join(missing)}, which "
                                  "this CPU lacks: recompile on this machine or with "
                                  f"--cpu-features=-{',-'.join(missing)}")


class Module:
    """A loaded compiled module: `module.<entry>(...)` or `module["<entry>"](...)`."""

    def __init__(self, path, meta, library):
        self.path = path
        self.metadata = meta
        self.library = library
        self.entries = {name: EntryPoint(name, m, getattr(library, m["symbol"]))
                        for name, m in meta["entries"].items()}

    def __getattr__(self, name):
        entries = self.__dict__.get("entries", {})
        if name in entries:
            return entries[name]
        raise AttributeError(f"compiled module {self.__dict__.get('path')!r} has no entry point "
                             f"{name!r} (entry points: {', '.join(entries) or 'none'})")

    def __getitem__(self, name):
        return self.entries[name]

    def __dir__(self):
        return list(super().__dir__()) + list(self.entries)

    def __repr__(self):
        return f"<mlax compiled module {self.path!r}: {', '.join(self.entries)}>"


def preload_runtime_libraries(meta, where):
    """Load the runtime libraries the module needs (the OpenMP runtime for parallel code)
    before it: from where they were at build time, else from this environment's lib/.
    A library of that name already loaded in this process is the one used."""
    import sys
    for name, built_at in meta.get("runtime_libraries", {}).items():
        candidates = [built_at, os.path.join(sys.prefix, "lib", name),
                      os.path.join(sys.base_prefix, "lib", name), name]
        for c in candidates:
            try:
                ctypes.CDLL(c, mode=ctypes.RTLD_GLOBAL)
                break
            except OSError:
                continue
        else:
            raise ModuleError(f"{where}: needs the runtime library {name} (built with "
                              f"{built_at}), which is not found: install it or put it on "
                              "LD_LIBRARY_PATH")


def load(path, check_files=True) -> Module:
    """Load the compiled module at `path` (a module directory, or its mlax_module.json)."""
    path = os.fspath(path)
    directory = os.path.dirname(path) if os.path.isfile(path) else path
    meta = read_metadata(path)
    check_target(meta, directory)
    if check_files:
        verify_files(directory, meta)
    preload_runtime_libraries(meta, directory)
    lib_path = os.path.join(os.path.abspath(directory), meta["library"])
    try:
        library = ctypes.CDLL(lib_path)
    except OSError as e:
        raise ModuleError(f"{lib_path}: cannot load the library: {e}") from None
    try:
        return Module(directory, meta, library)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModuleError(f"{directory}: inconsistent module metadata ({type(e).__name__}: {e})") \
            from None
