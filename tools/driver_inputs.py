"""The input of `mlax-compile` (mlax.tools.driver): a Python file's functions traced on
their argument specs, or a `.mlir` file in the mlax dialect, as one module of entry points
with their metadata."""
from __future__ import annotations

import importlib.util
import inspect
import json
import os
import sys

from mlir import ir

from mlax import api, config, tracing
from mlax.dialects import func_ops, function_signature, make_context, privatize, symbol_name
from mlax.runtime.aot import flat_entry_meta
from mlax.stages import ShapeDtypeStruct, trace_entry
from mlax.tools import opt
from mlax.tools.driver_errors import CompileError, Files, UsageError, format_exception
from mlax.tools.driver_specs import MAX_SPEC_NESTING, FunctionArgs, SpecError, parse_spec
from mlax.transforms.verify import mlax_type_problem
from mlax.pytree import tree_leaves


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
                    isinstance(v, api.PjitFunction)
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
    """`fn` as a PjitFunction whose static arguments include `static_names`."""
    if isinstance(fn, api.PjitFunction):
        if set(static_names) <= set(fn._static_argnames):
            return fn
        return api.PjitFunction(fn._fun, fn._static_argnums,
                          tuple(fn._static_argnames) + tuple(static_names))
    return api.PjitFunction(fn, None, tuple(static_names))


def _call_arguments(fn_args: FunctionArgs, fn, path):
    """(positional args, keyword args, static names) for tracing `fn`."""
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
