"""`mlax-compile`: the compiler driver.

    mlax-compile model.py:predict --arg f32[10,5] --arg f32[5] --arg f32[20,10] -o linreg
    mlax-compile model.py:predict,update --fn predict --arg ... --fn update --arg ...
    mlax-compile kernel.mlir --emit asm --cpu x86-64-v3

Input: `FILE.py:FUNCTION[,FUNCTION...]` with argument specs, or a `.mlir` file in the mlax
dialect (every public function with a body is an entry point). The Python file is
imported under its own name (code under `if __name__ == "__main__":` does not run); a
function may be plain or already `mlax.jit`-wrapped (its static arguments are kept).

Argument specs: a dtype and a shape, `f32[20,10]`, `i32[]` (or just `i32`), and pytrees
of them in Python syntax: `'{"W": f32[10,5], "b": f32[5]}'`, `'(f32[3], [i32[], None])'`.
Dtypes: bool, i8, i16, i32, i64, u8, u16, u32, u64, f16, f32, f64 (or NumPy names;
64-bit types need --x64). `--arg NAME=SPEC` passes a keyword argument. `--static
NAME=VALUE` fixes a static argument (a Python literal; anything else is a string).
`--args-json FILE` reads {"args": [...], "kwargs": {...}, "static": {...}} (or a bare
list of args) with spec strings as leaves.

Several functions: options before the first `--fn` apply to every function without a
section of its own; `--fn NAME` starts the section of function NAME.

--emit picks the output stage: mlax (as traced), mlax-opt (transforms expanded,
simplified), linalg, llvm (LLVM dialect), llvm-ir (LLVM IR after LLVM's -O pipeline;
-O0 gives the plain translation), asm, obj, or module (the default: an importable
compiled module directory, loaded by `mlax.runtime.load(path)` or `import`). Text goes
to -o or stdout; obj to -o or FILE.o; a module to -o or FILE_compiled/.

Exit status: 0 on success, 1 when the input does not compile (with one diagnostic naming
the source line), 2 for a bad command line. `--debug` shows internal tracebacks.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import linecache
import os
import sys
import time
import traceback

import numpy as np
from mlir import ir

import mlax
from mlax import api, backends, config, dialects, passes, runtime, tracing
from mlax.backends import BackendError, BackendUnavailable, Timer, no_timer
from mlax.dialects import (MAX_BYTES, func_ops, function_signature, make_context, privatize,
                           shape_problem, symbol_name)
from mlax.runtime.aot import flat_entry_meta
from mlax.stages import ShapeDtypeStruct, mlir_stages, stage_pipelines, trace_entry
from mlax.tools import opt
from mlax.transforms.verify import mlax_type_problem
from mlax.tree_util import tree_leaves


class UsageError(Exception):
    """A bad command line: exit 2."""


class CompileError(Exception):
    """The input does not compile: exit 1. The text is ready to print."""


# ---------------------------------------------------------------------------------------
# Argument specs

_DTYPES = {
    "bool": "bool", "pred": "bool", "i1": "bool",
    "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "f16": "float16", "f32": "float32", "f64": "float64",
}
_DTYPES.update({v: v for v in set(_DTYPES.values())})


class SpecError(Exception):
    def __init__(self, message, text, pos):
        super().__init__(message)
        self.text, self.pos = text, pos

    def render(self, what="argument spec") -> str:
        return (f"mlax-compile: error: bad {what} '{self.text}': {self}\n"
                f"  {self.text}\n  {' ' * self.pos}^\n")


# The deepest pytree an argument spec (or --args-json) may nest, far within Python's
# recursion limit.
MAX_SPEC_NESTING = 100


class _SpecParser:
    """Recursive descent over `f32[2,3]`, `(a, b)`, `[a, b]`, `{"k": a}`, `None`."""

    def __init__(self, text):
        self.text, self.pos = text, 0
        self.depth = 0

    def error(self, msg, pos=None):
        raise SpecError(msg, self.text, self.pos if pos is None else pos)

    def ws(self):
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self):
        self.ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch):
        if self.peek() != ch:
            self.error(f"expected '{ch}'" + (f", found '{self.peek()}'" if self.peek() else
                                             " at the end"))
        self.pos += 1

    def word(self):
        self.ws()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum()
                                             or self.text[self.pos] == "_"):
            self.pos += 1
        return self.text[start:self.pos], start

    def parse(self):
        v = self.value()
        if self.peek():
            self.error(f"unexpected '{self.peek()}'")
        return v

    def value(self):
        c = self.peek()
        if c and c in "([{":
            self.depth += 1
            if self.depth > MAX_SPEC_NESTING:
                self.error(f"nested more than {MAX_SPEC_NESTING} deep")
            try:
                return self.container(c)
            finally:
                self.depth -= 1
        return self.leaf(c)

    def container(self, c):
        if c == "(":
            items, trailing = self.sequence("(", ")")
            return items[0] if len(items) == 1 and not trailing else tuple(items)
        if c == "[":
            return self.sequence("[", "]")[0]
        return self.mapping()

    def leaf(self, c):
        if not c:
            self.error("expected a spec such as f32[2,3]")
        w, start = self.word()
        if not w:
            self.error(f"unexpected '{c}'")
        if w == "None":
            return None
        if w not in _DTYPES:
            self.error(f"unknown dtype '{w}' (dtypes: bool, i8, i16, i32, i64, u8, u16, u32, "
                       "u64, f16, f32, f64)", start)
        shape = []
        if self.peek() == "[":
            self.pos += 1
            if self.peek() != "]":
                while True:
                    d, dpos = self.word()
                    if not (d.isascii() and d.isdigit()):
                        self.error("expected a non-negative integer dimension", dpos)
                    if int(d) > MAX_BYTES:
                        self.error(f"dimension {d} does not fit in int64", dpos)
                    shape.append(int(d))
                    if self.peek() == ",":
                        self.pos += 1
                        continue
                    break
            self.expect("]")
        dtype = np.dtype(_DTYPES[w])
        why = shape_problem(shape, dtype.itemsize)
        if why is not None:
            self.error(why, start)
        return ShapeDtypeStruct(tuple(shape), dtype)

    def sequence(self, open_, close):
        self.expect(open_)
        items, trailing = [], False
        while self.peek() != close:
            items.append(self.value())
            trailing = False
            if self.peek() == ",":
                self.pos += 1
                trailing = True
            elif self.peek() != close:
                self.error(f"expected ',' or '{close}'")
        self.expect(close)
        return items, trailing

    def mapping(self):
        self.expect("{")
        out = {}
        while self.peek() != "}":
            c = self.peek()
            if c in "\"'":
                end = self.text.find(c, self.pos + 1)
                if end < 0:
                    self.error("unterminated string")
                key = self.text[self.pos + 1:end]
                self.pos = end + 1
            else:
                key, kpos = self.word()
                if not key:
                    self.error("expected a dict key")
                if key.isdigit():
                    key = int(key)
            self.expect(":")
            out[key] = self.value()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                self.error("expected ',' or '}'")
        self.expect("}")
        return out


def parse_spec(text: str):
    """An argument spec -> a pytree of ShapeDtypeStructs (raises SpecError)."""
    return _SpecParser(text).parse()


def _from_json(v, where, depth=0):
    """JSON args: strings are specs, lists/objects/null are pytree nodes."""
    if depth > MAX_SPEC_NESTING:
        raise CompileError(f"mlax-compile: error: {where}: arguments nested more than "
                           f"{MAX_SPEC_NESTING} deep\n")
    if isinstance(v, str):
        try:
            return parse_spec(v)
        except SpecError as e:
            raise CompileError(e.render(f"spec in {where}")) from None
    if isinstance(v, list):
        return [_from_json(x, where, depth + 1) for x in v]
    if isinstance(v, dict):
        return {k: _from_json(x, where, depth + 1) for k, x in v.items()}
    if v is None:
        return None
    raise CompileError(f"mlax-compile: error: {where}: {v!r} is not an argument spec "
                       "(use strings such as \"f32[2,3]\"; static values go under \"static\")\n")


def _static_value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return text


# ---------------------------------------------------------------------------------------
# Command line

class FunctionArgs:
    """The arguments of one entry point: positional and keyword specs, static values."""

    def __init__(self, name=None):
        self.name = name
        self.args: list = []         # spec texts, in order
        self.kwargs: dict = {}       # name -> spec text
        self.static: dict = {}       # name or position -> value
        self.args_json = None

    def empty(self):
        return not (self.args or self.kwargs or self.static or self.args_json)


class _Section(argparse.Action):
    def __call__(self, parser, ns, value, option=None):
        ns.sections.append(FunctionArgs(value))


class _InSection(argparse.Action):
    def __call__(self, parser, ns, value, option=None):
        sec = ns.sections[-1]
        if option == "--arg":
            name, eq, spec = value.partition("=")
            if eq and name.isidentifier():
                if name in sec.kwargs:
                    raise UsageError(f"--arg {name}= given twice")
                sec.kwargs[name] = spec
            else:
                sec.args.append(value)
        elif option == "--static":
            name, eq, v = value.partition("=")
            if not eq or not name:
                raise UsageError(f"--static needs NAME=VALUE, got '{value}'")
            sec.static[int(name) if name.isdigit() else name] = _static_value(v)
        else:
            sec.args_json = value


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def make_parser():
    p = _Parser(prog="mlax-compile", add_help=False,
                description="The mlax compiler driver: Python functions or mlax IR to any "
                            "stage, down to importable compiled modules.",
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("input", nargs="?", help="FILE.py:FUNCTION[,FUNCTION...] or FILE.mlir")
    p.add_argument("-h", "--help", action="store_true", help="show this message")
    p.add_argument("--fn", action=_Section, metavar="NAME",
                   help="start the arguments of function NAME")
    p.add_argument("--arg", action=_InSection, metavar="[NAME=]SPEC",
                   help="the next argument's spec (repeat per argument)")
    p.add_argument("--static", action=_InSection, metavar="NAME=VALUE",
                   help="a static argument's value")
    p.add_argument("--args-json", action=_InSection, metavar="FILE",
                   help="arguments from a JSON file")
    p.add_argument("--target", default="cpu",
                   help="the target, a backend: " + ", ".join(backends.names())
                   + " (default: cpu)")
    p.add_argument("--emit", default="module",
                   help="a stage of the target (cpu: " + "|".join(emit_stages(backends.get("cpu")))
                   + "; default: module)")
    p.add_argument("-o", dest="output", metavar="PATH", help="output file or module directory")
    p.add_argument("--passes", metavar="PIPELINE",
                   help="a pass pipeline replacing the target's own (mlax -> its last MLIR "
                   "stage)")
    p.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR after every pass (stderr)")
    p.add_argument("--timing", action="store_true", help="print each stage's time (stderr)")
    p.add_argument("--cpu", help="the CPU to generate code for, as llc -mcpu (default: this "
                   "machine's)")
    p.add_argument("--cpu-features", help="CPU features to generate code for, as llc -mattr "
                   "(e.g. -avx512f)")
    p.add_argument("--target-triple", help="the LLVM triple to generate code for (llvm-ir, asm, "
                   "obj; default: this machine's)")
    p.add_argument("-O", dest="opt_level", type=int, choices=(0, 1, 2, 3), default=3,
                   help="LLVM optimization level (default 3)")
    p.add_argument("--x64", action="store_true", help="enable 64-bit dtypes (jax_enable_x64)")
    p.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    p.add_argument("--debug", action="store_true", help="show internal tracebacks")
    return p


class Options:
    pass


def parse_args(argv) -> Options:
    parser = make_parser()
    ns = argparse.Namespace(sections=[FunctionArgs()])
    parser.parse_args(argv, namespace=ns)
    opts = Options()
    opts.__dict__.update(vars(ns))
    if opts.help:
        return opts
    if not opts.input:
        raise UsageError("no input: give FILE.py:FUNCTION or FILE.mlir")
    try:
        opts.backend = backends.get(opts.target)
    except BackendUnavailable as e:
        raise UsageError(str(e)) from None
    emits = emit_stages(opts.backend)
    if opts.emit not in emits:
        raise UsageError(f"unknown --emit stage '{opts.emit}' (stages of target "
                         f"{opts.target}: {', '.join(emits)})")
    mlir = mlir_stages(opts.backend)
    if opts.passes is not None and opts.emit in mlir[1:-1]:
        raise UsageError(f"--emit {opts.emit} names a stage of the default pipeline; with "
                         f"--passes, --emit {mlir[-1]} prints the custom pipeline's output")
    try:
        opts.machine = opts.backend.machine_target(opts.target_triple, opts.cpu,
                                                   opts.cpu_features)
    except BackendError as e:
        raise UsageError(str(e)) from None
    if opts.target_triple and opts.emit == "module" and \
            opts.machine.arch != opts.backend.machine_target().arch:
        raise UsageError("a module for another architecture cannot be linked here: "
                         "use --emit obj or asm with --target-triple")
    path, names = _split_input(opts.input)
    opts.path, opts.names = path, names
    opts.is_mlir = path.endswith(".mlir") or path == "-"
    if opts.is_mlir:
        if names:
            raise UsageError(".mlir input names no function: its public functions are the "
                             "entry points")
        if any(not s.empty() or s.name for s in opts.sections):
            raise UsageError("--fn/--arg/--static/--args-json are for FILE.py:FUNCTION input")
    else:
        if not path.endswith(".py"):
            raise UsageError(f"input '{opts.input}' is neither FILE.py:FUNCTION nor FILE.mlir")
        _assign_sections(opts)
    if path != "-" and not os.path.isfile(path):
        raise UsageError(f"cannot open input file '{path}'")
    return opts


def _split_input(text):
    """`dir/file.py:f,g` -> ('dir/file.py', ['f', 'g']); `file.mlir` -> ('file.mlir', [])."""
    idx = text.rfind(".py:")
    if idx >= 0:
        names = [n.strip() for n in text[idx + 4:].split(",") if n.strip()]
        return text[:idx + 3], names
    return text, []


def _assign_sections(opts):
    default, sections = opts.sections[0], opts.sections[1:]
    by_name = {}
    for s in sections:
        if s.name in by_name:
            raise UsageError(f"--fn {s.name} given twice")
        if opts.names and s.name not in opts.names:
            raise UsageError(f"--fn {s.name}: not among the functions named in "
                             f"'{opts.input}' ({', '.join(opts.names)})")
        by_name[s.name] = s
    names = opts.names or [s.name for s in sections]
    if not names:
        raise UsageError(f"name the function to compile: {opts.path}:FUNCTION")
    if len(names) != len(set(names)):
        raise UsageError("a function is named twice")
    opts.functions = []
    for n in names:
        s = by_name.get(n)
        if s is None:
            s = FunctionArgs(n)
            s.args, s.kwargs, s.static, s.args_json = (list(default.args), dict(default.kwargs),
                                                        dict(default.static), default.args_json)
        opts.functions.append(s)


# ---------------------------------------------------------------------------------------
# Diagnostics

def _internal_dirs():
    dirs = {os.path.dirname(os.path.abspath(m.__file__))
            for m in (mlax, dialects, runtime, opt)}
    return tuple(d + os.sep for d in dirs)


class Files:
    """Quotes source lines of any file (the .py input and what it imports) in diagnostics;
    duck-types mlax.opt.Source."""

    def __init__(self, name=None, text=None):
        self.name = name
        self.lines = text.splitlines() if text is not None else None

    def quote(self, file, line, col) -> str:
        if self.lines is not None and file == self.name:
            src = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        else:
            src = linecache.getline(file, line).rstrip("\n")
        if not src:
            return ""
        return opt.quote_line(src, col)


def _user_frame(tb):
    """The innermost traceback frame in the user's code (outside mlax), if any."""
    internal = _internal_dirs()
    user = None
    for fs in traceback.extract_tb(tb):
        fn = os.path.abspath(fs.filename) if not fs.filename.startswith("<") else fs.filename
        if not fn.startswith(internal) and not fs.filename.startswith("<frozen"):
            user = fs
    return user


def format_exception(e: BaseException, what: str) -> str:
    """`file:line: error: <what>: Type: message` + the source line, no traceback."""
    if isinstance(e, SyntaxError) and e.filename:
        col = e.offset or 1
        src = (e.text or linecache.getline(e.filename, e.lineno or 0)).rstrip("\n")
        quote = f"{src}\n{' ' * max(col - 1, 0)}^\n" if src else ""
        return f"{e.filename}:{e.lineno}:{col}: error: {what}: SyntaxError: {e.msg}\n{quote}"
    frame = _user_frame(e.__traceback__)
    msg = f"{type(e).__name__}: {e}"
    if frame is None:
        return f"mlax-compile: error: {what}: {msg}\n"
    # mlax's own messages end in "(at file:line)": the location is in front already.
    msg = msg.replace(f" (at {frame.filename}:{frame.lineno})", "")
    src = (frame.line or "").strip()
    quote = f"    {src}\n" if src else ""
    return f"{frame.filename}:{frame.lineno}: error: {what}: {msg}\n{quote}"


# ---------------------------------------------------------------------------------------
# Loading the input

def load_python(path):
    """Import the user's file (as its own module, `__name__` != "__main__")."""
    path = os.path.abspath(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    modname = stem if stem.isidentifier() and stem not in sys.modules else "__mlax_compile_input__"
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise CompileError(format_exception(e, f"importing {os.path.basename(path)} failed")) from e
    return module


def _lookup(module, path, name):
    obj = module
    for part in name.split("."):
        if not hasattr(obj, part):
            candidates = sorted(
                n for n, v in vars(module).items() if not n.startswith("_") and (
                    isinstance(v, api.Jitted)
                    or (callable(v) and getattr(v, "__module__", None) == module.__name__)))
            raise CompileError(f"mlax-compile: error: {path} has no function '{name}'"
                               + (f" (functions there: {', '.join(candidates)})" if candidates
                                  else "") + "\n")
        obj = getattr(obj, part)
    if not callable(obj):
        raise CompileError(f"mlax-compile: error: {path}:{name} is a {type(obj).__name__}, "
                           "not a function\n")
    return obj


def _jitted_for(fn, static_names):
    """`fn` as a Jitted whose static arguments include `static_names`."""
    if isinstance(fn, api.Jitted):
        if set(static_names) <= set(fn._static_argnames):
            return fn
        return api.Jitted(fn._fun, fn._static_argnums,
                          tuple(fn._static_argnames) + tuple(static_names))
    return api.Jitted(fn, None, tuple(static_names))


def _call_arguments(fn_args: FunctionArgs, fn, path):
    """(positional args, keyword args, static names) for tracing `fn`."""
    import inspect
    args = list(fn_args.args)
    kwargs = dict(fn_args.kwargs)
    static = dict(fn_args.static)
    where = f"{path}:{fn_args.name}"
    if fn_args.args_json:
        try:
            with open(fn_args.args_json, encoding="utf-8") as f:
                data = json.load(f)
        except OSError as e:
            raise UsageError(f"cannot open --args-json file '{fn_args.args_json}': {e.strerror}")
        except ValueError as e:   # UnicodeDecodeError included
            raise CompileError(f"{fn_args.args_json}: error: invalid JSON: {e}\n") from None
        except RecursionError:
            raise CompileError(f"{fn_args.args_json}: error: JSON nested too deeply\n") from None
        if isinstance(data, list):
            data = {"args": data}
        if not isinstance(data, dict) or set(data) - {"args", "kwargs", "static"}:
            raise CompileError(f"{fn_args.args_json}: error: expected a list of argument specs "
                               "or an object with \"args\", \"kwargs\", \"static\"\n")
        json_args = [_from_json(v, fn_args.args_json) for v in data.get("args", [])]
        json_kwargs = {k: _from_json(v, fn_args.args_json)
                       for k, v in data.get("kwargs", {}).items()}
        static.update(data.get("static", {}))
    else:
        json_args, json_kwargs = [], {}
    parsed = []
    for text in args:
        try:
            parsed.append(parse_spec(text))
        except SpecError as e:
            raise CompileError(e.render()) from None
    pkw = {}
    for k, text in kwargs.items():
        try:
            pkw[k] = parse_spec(text)
        except SpecError as e:
            raise CompileError(e.render()) from None
    parsed = json_args + parsed
    pkw.update(json_kwargs)
    # Static values go where the signature puts them; dynamic specs fill the rest in order.
    wrapped = fn._fun if hasattr(fn, "_fun") else fn
    try:
        params = list(inspect.signature(wrapped).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    by_name = {k: v for k, v in static.items() if isinstance(k, str)}
    by_pos = {k: v for k, v in static.items() if isinstance(k, int)}
    for k in by_name:
        if k not in [p.name for p in params] and not any(p.kind == p.VAR_KEYWORD for p in params):
            raise CompileError(f"mlax-compile: error: {where} has no parameter '{k}' "
                               f"(parameters: {', '.join(p.name for p in params)})\n")
    call_args, static_kw, static_names = [], {}, []
    it = iter(parsed)
    i = 0
    while True:
        name = positional[i] if i < len(positional) else None
        if i in by_pos:
            call_args.append(by_pos[i])
            if name:
                static_names.append(name)
        elif name is not None and name in by_name:
            call_args.append(by_name[name])
            static_names.append(name)
        else:
            nxt = next(it, _END)
            if nxt is _END:
                break
            call_args.append(nxt)
        i += 1
    for k, v in by_name.items():
        if k not in positional:
            static_kw[k] = v
            static_names.append(k)
    if by_pos and not all(i < len(call_args) for i in by_pos):
        raise CompileError(f"mlax-compile: error: {where}: static position beyond the arguments\n")
    pkw.update(static_kw)
    return call_args, pkw, static_names


_END = object()


class Input:
    """What was loaded: the module (mlax dialect), its entry points' metadata, and how
    to quote sources in diagnostics."""

    def __init__(self, module, ctx, entries_meta, files, stem):
        self.module, self.ctx, self.entries_meta, self.files, self.stem = \
            module, ctx, entries_meta, files, stem


def load_input(opts, timer) -> Input:
    stem = os.path.splitext(os.path.basename(opts.path))[0] if opts.path != "-" else "stdin"
    if opts.is_mlir:
        return _load_mlir(opts, timer, stem)
    with timer("import"):
        if opts.x64:
            config.update("jax_enable_x64", True)
        module = load_python(opts.path)
    tm = tracing.TracedModule()
    entries = {}
    with timer("trace"):
        for fa in opts.functions:
            fn = _lookup(module, opts.path, fa.name)
            args, kwargs, static_names = _call_arguments(fa, fn, opts.path)
            _check_x64(args, kwargs, opts)
            jitted = _jitted_for(fn, static_names)
            try:
                entry = trace_entry(jitted, args, kwargs, tm, name=fa.name.split(".")[-1])
            except CompileError:
                raise
            except Exception as e:
                if opts.debug:
                    raise
                raise CompileError(format_exception(e, f"tracing {fa.name} failed")) from e
            try:
                entries[entry.name] = entry.metadata()
            except ValueError as e:
                raise CompileError(f"mlax-compile: error: {fa.name}: {e}\n") from None
        with tm.ctx:
            privatize(tm.module, {m["symbol"] for m in entries.values()})
    return Input(tm.module, tm.ctx, entries, Files(), stem)


def _check_x64(args, kwargs, opts):
    if config.x64_enabled:
        return
    for leaf in tree_leaves((args, kwargs)):
        if isinstance(leaf, ShapeDtypeStruct) and leaf.dtype.itemsize == 8:
            raise CompileError(f"mlax-compile: error: {leaf.dtype.name} arguments need --x64 "
                               "(64-bit types are off by default, as in JAX)\n")


def _load_mlir(opts, timer, stem):
    try:
        name, text = opt.read_source(opts.path, "mlax-compile")
    except opt.InputError as e:
        raise UsageError(str(e).removeprefix("mlax-compile: error: ")) from None
    except opt.OptError as e:
        raise CompileError(str(e)) from None
    source = opt.Source(name, text)
    ctx = make_context()
    with timer("parse"):
        try:
            module, _ = opt.parse_module(text, source.name, ctx)
        except opt.OptError as e:
            raise CompileError(str(e)) from None
        except ir.MLIRError as e:
            raise CompileError(opt.format_mlir_error(e, source)) from None
    entries = {}
    with ctx:
        for f in func_ops(module):
            vis = f.attributes["sym_visibility"] if "sym_visibility" in f.attributes else None
            if vis is not None and ir.StringAttr(vis).value != "public":
                continue
            if len(f.regions[0].blocks) == 0:
                continue
            sym = symbol_name(f)
            _check_entry_types(f, sym, source)
            try:
                ins, outs = function_signature(module, sym)
            except TypeError as e:
                raise CompileError(f"{source.name}: error: @{sym}: {e}\n") from None
            entries[sym] = flat_entry_meta(sym, ins, outs)
    if not entries:
        raise CompileError(f"{source.name}: error: no public function with a body to compile\n")
    return Input(module, ctx, entries, source, stem)


def _check_entry_types(fn, sym, source):
    """Raise CompileError unless entry point `fn` takes and returns mlax arrays (ranked
    tensors of static shape and a dtype mlax has): what a compiled module passes."""
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    for kind, types in (("argument", ftype.inputs), ("result", ftype.results)):
        for i, t in enumerate(types):
            why = mlax_type_problem(t)
            if why is not None:
                fl = opt._file_loc(fn.location)
                where = f"{fl[0]}:{fl[1]}:{fl[2]}" if fl else source.name
                raise CompileError(f"{where}: error: entry point @{sym}: {kind} #{i} {why}\n"
                                   + (source.quote(*fl) if fl else ""))


# ---------------------------------------------------------------------------------------
# Running the stages

def run_stage(inp: Input, stage: str, pipeline: str, opts, timer):
    with timer(stage), inp.ctx:
        pm, wrappers = passes.build_pass_manager(pipeline, inp.ctx, opts.print_ir_after_all)
        try:
            pm.run(inp.module.operation)
        except ir.MLIRError as e:
            flags = [f for f in opt._element_names(passes.split_pipeline(pipeline))
                     if f in passes.PASSES]
            for flag, w in zip(flags, wrappers):
                if w.error is not None:
                    if opts.debug:
                        raise w.error
                    raise CompileError(opt.format_pass_error(flag, w.error, inp.files)) from None
            raise CompileError(opt.format_mlir_error(e, inp.files)) from None


def check_passes(opts):
    if opts.passes is None:
        return
    try:
        passes.build_pass_manager(opts.passes, make_context())
    except ValueError as e:
        raise UsageError(f"invalid --passes pipeline: {e}".rstrip())


def _write(opts, data, default=None, binary=False):
    out = opts.output or default
    if out in (None, "-"):
        if binary:
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    try:
        with open(out, "wb" if binary else "w") as f:
            f.write(data)
    except OSError as e:
        raise CompileError(f"mlax-compile: error: cannot write '{out}': {e.strerror}\n") from None


def emit_stages(backend) -> tuple[str, ...]:
    """What --emit takes for `backend`: its stages, then `module` (its artifact)."""
    return backend.stage_names() + ("module",)


def run(opts) -> int:
    timer = Timer() if opts.timing else no_timer
    t0 = time.perf_counter()
    check_passes(opts)
    backend, machine = opts.backend, opts.machine
    inp = load_input(opts, timer)
    with timer("load passes"):
        passes.load_passes()
    mlir = mlir_stages(backend)
    mlir_stage = opts.emit if opts.emit in mlir else mlir[-1]
    for stage, pipeline in stage_pipelines(backend, mlir_stage, opts.passes):
        run_stage(inp, stage, pipeline, opts, timer)
    try:
        if opts.emit in mlir:
            _write(opts, inp.module.operation.get_asm(enable_debug_info=opts.mlir_print_debuginfo))
        elif opts.emit != "module":
            with timer(opts.emit), inp.ctx:
                data = backend.translate(inp.module, opts.emit, opts.opt_level, machine)
            if opts.emit == "obj":
                _write(opts, data, default=f"{inp.stem}.o", binary=True)
            else:
                _write(opts, data.decode())
        else:
            out = opts.output or f"{inp.stem}_compiled"
            with inp.ctx:
                backend.save(out, [inp.module], inp.entries_meta, opts.opt_level, machine,
                             creator="mlax-compile", timer=timer)
    except BackendError as e:
        raise CompileError(f"mlax-compile: error: {e}\n") from None
    if opts.timing:
        total = time.perf_counter() - t0
        lines = ["mlax-compile timing (wall clock):"]
        for name, dt in timer.times:
            lines.append(f"  {dt * 1e3:9.1f} ms  {name}")
        lines.append(f"  {total * 1e3:9.1f} ms  total")
        sys.stderr.write("\n".join(lines) + "\n")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        opts = parse_args(argv)
        if opts.help:
            sys.stdout.write(make_parser().format_help())
            return 0
        return run(opts)
    except UsageError as e:
        sys.stderr.write(f"mlax-compile: error: {e}\n(see mlax-compile --help)\n")
        return 2
    except CompileError as e:
        if debug and e.__cause__ is not None:
            traceback.print_exception(e.__cause__)
        sys.stderr.write(str(e))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a traceback, unless asked for
        if debug:
            raise
        sys.stderr.write(f"mlax-compile: internal error: {type(e).__name__}: {e}\n"
                         "(rerun with --debug for a traceback)\n")
        return 1
