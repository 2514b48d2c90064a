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
or corrupt module is an error, never a crash. The metadata itself is checked field by field
(a missing or malformed field is an error naming the file and the field), and what in it
decides how much memory a call reads and writes - each entry's symbol and the shapes and
dtypes of its buffers - is compared with the signatures the library exports itself (the
JSON string `mlax_signatures`, written into the code at compile time): an edited metadata
file cannot make a call write past a buffer. Everything here imports nothing of the
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

from . import cuda, tpu
from .array import Array
from .cpu import DirectCall, runtime_libraries
from .dtypes import dtype_kind, is_inexact

FORMAT = "mlax-module"
FORMAT_VERSION = 2          # 2: the library exports SIGNATURES
SIGNATURES = "mlax_signatures"
METADATA = "mlax_module.json"
PLATFORMS = ("cpu", "tpu", "cuda")# the platforms of the modules `load` runs


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
    dtype = np.dtype(dtype)
    # Byte order is shown when it is not this machine's: the name alone is the same.
    order = "" if dtype.isnative else "big-endian " if dtype.byteorder == ">" else "little-endian "
    return f"{order}{dtype.name}[{','.join(str(d) for d in shape)}]"


def _spec_text_of(x) -> str:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return spec_text(x.shape, x.dtype)
    return f"{type(x).__name__} {x!r}"


def _scalar_fits(x, dtype: np.dtype) -> bool:
    """JAX's rule for Python scalars passed where a typed 0-d array is expected."""
    if isinstance(x, bool):
        return True
    if isinstance(x, int):
        return dtype_kind(dtype) in "iufc"
    if isinstance(x, float):
        return is_inexact(dtype)
    if isinstance(x, complex):
        return dtype.kind == "c"
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

class EntryPoint:
    """One compiled function of a module, called like the traced Python function (minus
    its static arguments): positional and keyword arguments, pytrees of arrays."""

    def __init__(self, name, meta, flat):
        self.__name__ = self.name = name
        self.symbol = meta["symbol"]
        self.arg_names = list(meta.get("arg_names") or [])
        self.in_tree = meta["in_tree"]
        self.out_tree = meta["out_tree"]
        self.inputs = [Leaf(i["shape"], i["dtype"], i.get("weak", False)) for i in meta["inputs"]]
        self.outputs = [Leaf(o["shape"], o["dtype"], o.get("weak", False)) for o in meta["outputs"]]
        self.static = meta.get("static") or {}
        self.flat = flat       # flat(input buffers) -> output buffers
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
    """The metadata of the module at `path` (its directory or its mlax_module.json),
    checked field by field (`check_metadata`)."""
    meta_path = path if os.path.isfile(path) else os.path.join(path, METADATA)
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ModuleError(f"{path} is not a compiled mlax module (no {METADATA})") from None
    except (OSError, ValueError, RecursionError) as e:
        raise ModuleError(f"{meta_path}: unreadable metadata ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModuleError(f"{meta_path}: not an mlax module metadata file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModuleError(f"{meta_path}: module format version {meta.get('format_version')}, "
                          f"this mlax reads version {FORMAT_VERSION}: recompile the module")
    check_metadata(meta, meta_path)
    return meta


# ---------------------------------------------------------------------------------------
# Checking the metadata

# The dtypes of the buffers mlax compiles functions for.
DTYPES = frozenset(["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                    "uint64", "float16", "bfloat16", "float32", "float64", "complex64",
                    "complex128"])

_KIND_TEXT = {str: "a string", dict: "an object", list: "an array", bool: "true or false"}


def _json_type(v) -> str:
    return {str: "a string", dict: "an object", list: "an array", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(v), type(v).__name__)


class _Fields:
    """Reads the fields of the metadata file `where`: a missing or malformed field is a
    ModuleError naming the file and the field."""

    def __init__(self, where):
        self.where = where

    def fail(self, field, problem):
        raise ModuleError(f"{self.where}: field '{field}' {problem}: the metadata is corrupt "
                          "or was edited; recompile the module")

    def get(self, obj, key, kind, field, optional=False, default=None):
        if key not in obj:
            if optional:
                return default
            self.fail(field, "is missing")
        value = obj[key]
        if not isinstance(value, kind):
            self.fail(field, f"must be {_KIND_TEXT[kind]}, not {_json_type(value)}")
        return value

    def tree(self, t, field):
        """Check the pytree structure `t` (JSON, above)."""
        if t == "*" or t is None:
            return
        if not isinstance(t, dict) or len(t) not in (1, 3):
            self.fail(field, "is not a pytree structure")
        if len(t) == 1 and ("tuple" in t or "list" in t):
            kind = next(iter(t))
            for i, c in enumerate(self.get(t, kind, list, f"{field}.{kind}")):
                self.tree(c, f"{field}.{kind}[{i}]")
        elif len(t) == 1 and ("dict" in t or "odict" in t):
            kind = next(iter(t))
            for i, pair in enumerate(self.get(t, kind, list, f"{field}.{kind}")):
                if not (isinstance(pair, list) and len(pair) == 2 and
                        isinstance(pair[0], (str, int, float, bool, type(None)))):
                    self.fail(f"{field}.{kind}[{i}]", "must be a [key, structure] pair")
                self.tree(pair[1], f"{field}.{kind}[{i}][1]")
        elif set(t) == {"namedtuple", "fields", "children"}:
            self.get(t, "namedtuple", str, f"{field}.namedtuple")
            fields = self.get(t, "fields", list, f"{field}.fields")
            children = self.get(t, "children", list, f"{field}.children")
            if not all(isinstance(n, str) and n.isidentifier() for n in fields) or \
                    len(fields) != len(children):
                self.fail(f"{field}.fields", "must name one field per child")
            for i, c in enumerate(children):
                self.tree(c, f"{field}.children[{i}]")
        else:
            self.fail(field, "is not a pytree structure")

    def leaves(self, entry, key, field):
        """Check the list of buffer descriptions entry[key]."""
        for i, leaf in enumerate(self.get(entry, key, list, field)):
            at = f"{field}[{i}]"
            if not isinstance(leaf, dict):
                self.fail(at, f"must be an object, not {_json_type(leaf)}")
            shape = self.get(leaf, "shape", list, f"{at}.shape")
            if not all(type(d) is int and d >= 0 for d in shape):
                self.fail(f"{at}.shape", f"must be a list of non-negative integers, not {shape}")
            dtype = self.get(leaf, "dtype", str, f"{at}.dtype")
            if dtype not in DTYPES:
                self.fail(f"{at}.dtype", f"is {dtype!r}, which is not a dtype of compiled code "
                          f"({', '.join(sorted(DTYPES))})")
            self.get(leaf, "weak", bool, f"{at}.weak", optional=True)


def check_metadata(meta: dict, where):
    """Raise ModuleError naming the first field `load` needs that is missing or malformed."""
    f = _Fields(where)
    files = f.get(meta, "files", dict, "files")
    for name, digest in files.items():
        if os.path.basename(name) != name or name in ("", ".", ".."):
            f.fail("files", f"must map file names in the module's directory, not {name!r}")
        if not (isinstance(digest, str) and len(digest) == 64 and
                all(c in "0123456789abcdef" for c in digest)):
            f.fail(f"files.{name}", "must be a SHA-256 digest (64 hexadecimal digits)")
    target = f.get(meta, "target", dict, "target", optional=True, default={})
    for key in ("platform", "triple", "features"):
        f.get(target, key, str, f"target.{key}", optional=True)
    platform = target.get("platform", "cpu")
    if platform == "cpu":
        lib = f.get(meta, "library", str, "library")
        if os.path.basename(lib) != lib or lib in ("", ".", ".."):
            f.fail("library", f"must be a file name in the module's directory, not {lib!r}")
        if lib not in files:
            f.fail("files", f"must hold the checksum of the library {lib}")
    elif platform == "cuda":
        # GPU kernels: a cubin and PTX per kernel module, a launch plan per entry point.
        for name, kernel_files in f.get(meta, "kernels", dict, "kernels").items():
            for kind in ("cubin", "ptx"):
                if f.get(kernel_files, kind, str, f"kernels.{name}.{kind}") not in files:
                    f.fail("files", f"must hold the checksum of kernels.{name}.{kind}")
        plans = f.get(meta, "plans", dict, "plans")
        for name in f.get(meta, "entries", dict, "entries"):
            f.get(plans, name, dict, f"plans.{name}")
    for name, built_at in f.get(meta, "runtime_libraries", dict, "runtime_libraries",
                                optional=True, default={}).items():
        if not isinstance(built_at, str):
            f.fail(f"runtime_libraries.{name}", f"must be a string, not {_json_type(built_at)}")
    for name, entry in f.get(meta, "entries", dict, "entries").items():
        at = f"entries.{name}"
        if not isinstance(entry, dict):
            f.fail(at, f"must be an object, not {_json_type(entry)}")
        f.get(entry, "symbol", str, f"{at}.symbol")
        if platform == "tpu":
            artifact = f.get(entry, "artifact", str, f"{at}.artifact")
            if artifact not in files:
                f.fail(f"{at}.artifact", f"names {artifact!r}, which 'files' does not list")
        arg_names = f.get(entry, "arg_names", list, f"{at}.arg_names", optional=True,
                          default=[])
        if not all(isinstance(n, str) for n in arg_names):
            f.fail(f"{at}.arg_names", "must be a list of strings")
        f.get(entry, "static", dict, f"{at}.static", optional=True)
        f.leaves(entry, "inputs", f"{at}.inputs")
        f.leaves(entry, "outputs", f"{at}.outputs")
        in_tree = f.get(entry, "in_tree", dict, f"{at}.in_tree")
        f.tree(in_tree, f"{at}.in_tree")
        args_kwargs = in_tree.get("tuple")
        if not (isinstance(args_kwargs, list) and len(args_kwargs) == 2 and
                isinstance(args_kwargs[0], dict) and "list" in args_kwargs[0] and
                isinstance(args_kwargs[1], dict) and "dict" in args_kwargs[1]):
            f.fail(f"{at}.in_tree", "must be the structure of (positional arguments list, "
                   "keyword arguments dict)")
        if "out_tree" not in entry:
            f.fail(f"{at}.out_tree", "is missing")
        f.tree(entry["out_tree"], f"{at}.out_tree")
        for tree, leaves in (("in_tree", "inputs"), ("out_tree", "outputs")):
            n, m = tree_num_leaves(entry[tree]), len(entry[leaves])
            if n != m:
                f.fail(f"{at}.{tree}", f"has {n} leaves, but '{at}.{leaves}' lists {m} buffers")


def library_signatures(entries: dict) -> str:
    """The text a module's library exports as SIGNATURES: JSON mapping each entry
    symbol to the [dtype, shape] of its input and of its output buffers, in call order.
    Written from the metadata at compile time, compared with it at load time."""
    sigs = {}
    for e in entries.values():
        sigs[e["symbol"]] = {key: [[leaf["dtype"], [int(d) for d in leaf["shape"]]]
                                   for leaf in e[key]] for key in ("inputs", "outputs")}
    return json.dumps(sigs, sort_keys=True, separators=(",", ":"))


def check_signatures(meta: dict, library, lib_path, where):
    """Raise ModuleError unless each entry's symbol, inputs and outputs are what the
    library says its code was compiled for: those decide how much memory a call reads
    and writes."""
    try:
        head = ctypes.c_char.in_dll(library, SIGNATURES)
    except ValueError:
        raise ModuleError(f"{lib_path}: the library exports no {SIGNATURES} (it was not "
                          "written by this version of mlax): recompile the module") from None
    try:
        exported = json.loads(ctypes.string_at(ctypes.addressof(head)).decode())
        if not isinstance(exported, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as e:
        raise ModuleError(f"{lib_path}: unreadable {SIGNATURES} ({e}): recompile the module") \
            from None
    f = _Fields(where)
    for name, entry in meta["entries"].items():
        at, symbol = f"entries.{name}", entry["symbol"]
        sig = exported.get(symbol)
        if not isinstance(sig, dict):
            f.fail(f"{at}.symbol", f"names {symbol!r}, which is not a function compiled into "
                   f"{os.path.basename(lib_path)} (it has {', '.join(sorted(exported))})")
        for key in ("inputs", "outputs"):
            mine = [(leaf["dtype"], leaf["shape"]) for leaf in entry[key]]
            theirs = [tuple(x) for x in sig.get(key, [])]
            if len(mine) != len(theirs):
                f.fail(f"{at}.{key}", f"lists {len(mine)} buffers, but {symbol} was compiled "
                       f"with {len(theirs)} {key}")
            for i, ((dtype, shape), (dtype2, shape2)) in enumerate(zip(mine, theirs)):
                if shape != shape2:
                    f.fail(f"{at}.{key}[{i}].shape", f"is {shape}, but {symbol} was compiled "
                           f"for {spec_text(shape2, dtype2)}")
                if dtype != dtype2:
                    f.fail(f"{at}.{key}[{i}].dtype", f"is {dtype!r}, but {symbol} was compiled "
                           f"for {spec_text(shape2, dtype2)}")


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
    if target.get("platform", "cpu") not in PLATFORMS:
        raise ModuleError(f"{where}: compiled for the {target.get('platform')} platform; "
                          f"this loader runs modules of {', '.join(PLATFORMS)}")
    if target.get("platform") == "tpu":
        if tpu.available() is not None:
            raise ModuleError(f"{where}: a tpu module: {tpu.available()}")
        return
    if target.get("platform") == "cuda":
        return   # _load_cuda says why a machine cannot run it
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

    def __init__(self, path, meta, calls, library=None):
        self.path = path
        self.metadata = meta
        self.library = library      # the cpu platform's shared library (kept loaded)
        self.entries = {name: EntryPoint(name, m, calls[name])
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
    """Load the runtime libraries the module needs (the OpenMP runtime for parallel code,
    OpenBLAS for LAPACK calls) before it: from where they were at build time, else from
    this environment's (mlax.runtime.cpu.runtime_libraries, lib/).
    A library of that name already loaded in this process is the one used."""
    import sys
    for name, built_at in meta.get("runtime_libraries", {}).items():
        here = [p for p in runtime_libraries() if os.path.basename(p) == name]
        candidates = [built_at, *here, os.path.join(sys.prefix, "lib", name),
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
    """Load the compiled module at `path` (a module directory, or its mlax_module.json).

    `check_files=False` skips the checksums of the files (not the checks of the metadata
    against the library)."""
    path = os.fspath(path)
    directory = os.path.dirname(path) if os.path.isfile(path) else path
    meta_path = os.path.join(directory, METADATA)
    meta = read_metadata(path)
    check_target(meta, directory)
    if check_files:
        verify_files(directory, meta)
    if meta.get("target", {}).get("platform") == "tpu":
        return _load_tpu(directory, meta)
    if meta.get("target", {}).get("platform") == "cuda":
        return _load_cuda(directory, meta)
    preload_runtime_libraries(meta, directory)
    lib_path = os.path.join(os.path.abspath(directory), meta["library"])
    try:
        library = ctypes.CDLL(lib_path)
    except OSError as e:
        raise ModuleError(f"{lib_path}: cannot load the library: {e}") from None
    check_signatures(meta, library, lib_path, meta_path)
    try:
        calls = {name: DirectCall(getattr(library, m["symbol"]), len(m["inputs"]),
                                  [(o["shape"], np.dtype(o["dtype"])) for o in m["outputs"]])
                 for name, m in meta["entries"].items()}
        return Module(directory, meta, calls, library)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModuleError(f"{directory}: inconsistent module metadata ({type(e).__name__}: {e})") \
            from None


def _load_tpu(directory, meta) -> Module:
    """A tpu module: each entry's StableHLO artifact compiled by XLA (mlax.runtime.tpu,
    jaxlib's PJRT client), which checks the buffers a call passes against the compiled
    signature."""
    calls = {}
    for name, m in meta["entries"].items():
        with open(os.path.join(directory, m["artifact"]), "rb") as f:
            data = f.read()
        try:
            calls[name] = tpu.load_artifact(
                data, [(o["shape"], np.dtype(o["dtype"])) for o in m["outputs"]])
        except tpu.TpuRuntimeError as e:
            raise ModuleError(f"{directory}: entry point {name!r}: {e}") from None
    return Module(directory, meta, calls)


def _load_cuda(directory, meta) -> Module:
    """A module of GPU kernels (`mlax-compile --target cuda -o dir/`): each kernel module's
    cubin where it was assembled for this device's chip, else its PTX (the driver compiles
    it for a newer chip), and each entry point's launch plan (mlax.runtime.cuda)."""
    chip = meta["target"].get("chip", "?")
    why = cuda.device_reason()
    if why is not None:
        raise ModuleError(f"{directory}: compiled for NVIDIA GPUs ({chip}), and {why}: load it "
                          "on a machine with an NVIDIA GPU and its driver")
    use_cubin = cuda.Driver.get().capability() == chip
    images = {}
    for name, files in meta["kernels"].items():
        with open(os.path.join(directory, files["cubin" if use_cubin else "ptx"]), "rb") as f:
            images[name] = f.read()
    calls = {name: cuda.LaunchPlan(meta["plans"][name], images).run for name in meta["entries"]}
    return Module(directory, meta, calls)


# ---------------------------------------------------------------------------------------
# Writing metadata (the compilers write what `load` reads)

def leaf_meta(shape, dtype, weak=False) -> dict:
    return {"shape": [int(d) for d in shape], "dtype": np.dtype(dtype).name, "weak": bool(weak)}


def flat_entry_meta(symbol, in_specs, out_specs, out_weak=None) -> dict:
    """Metadata of an entry point called with flat positional arrays, returning a tuple
    (one leaf when there is one result): .mlir inputs, and the cache."""
    out_weak = out_weak or [False] * len(out_specs)
    return {
        "symbol": symbol,
        "arg_names": [f"arg{i}" for i in range(len(in_specs))],
        "in_tree": {"tuple": [{"list": ["*"] * len(in_specs)}, {"dict": []}]},
        "out_tree": "*" if len(out_specs) == 1 else {"tuple": ["*"] * len(out_specs)},
        "inputs": [leaf_meta(s, d) for s, d in in_specs],
        "outputs": [leaf_meta(s, d, w) for (s, d), w in zip(out_specs, out_weak)],
    }


def treedef_to_json(treedef):
    """An mlax.tree_util.PyTreeDef in the JSON form of mlax/runtime/aot.py."""
    t = treedef.node_type
    if t is None:
        return "*"
    kids = [treedef_to_json(c) for c in treedef.children]
    if t is type(None):
        return None
    if t is tuple:
        return {"tuple": kids}
    if t is list:
        return {"list": kids}
    if t is dict or t is collections.OrderedDict:
        for k in treedef.aux:
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise ValueError(f"cannot store the dict key {k!r} in a compiled module: "
                                 "keys must be strings or numbers")
        return {"dict" if t is dict else "odict": [[k, c] for k, c in zip(treedef.aux, kids)]}
    if issubclass(t, tuple) and hasattr(t, "_fields"):
        return {"namedtuple": t.__name__, "fields": list(t._fields), "children": kids}
    raise ValueError(f"cannot store the pytree node type {t.__name__} in a compiled module: "
                     "arguments and results must be arrays in tuples, lists, dicts, "
                     "namedtuples or None")
