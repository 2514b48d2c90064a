"""The registry of mlax passes, their options, their errors, and pass managers built from
pipeline strings.

A pass is one class (as in xDSL): a subclass of `ModulePass` whose `name` is its
command-line flag, whose docstring's first paragraph is its summary, and whose fields are its
options, each declared once with its type, default and help:

    @register
    class CpuSchedule(ModulePass):
        \"\"\"Tile, vectorize and parallelize linalg ops on tensors for the host CPU.\"\"\"
        name = "mlax-cpu-schedule"
        threads: int = option(0, "threads a parallel loop is split over (0: the default)")

        def run(self, module_op):
            schedule(module_op, self.threads)

`register` makes the class a frozen dataclass and lists it in `PASSES` under its flag.
A pipeline is data: a comma-separated string of pass names, as `mlir-opt --pass-pipeline`
takes (without the `builtin.module(...)` wrapper); mlax passes (written in Python) and
upstream passes mix freely. An mlax pass's options are written as upstream ones are,
`mlax-cpu-schedule{threads=1}`; an unknown or ill-typed option is a `PassOptionError`
naming the pass and the option.

A pass that cannot transform the IR it is given raises `PassError` (or one of its
subclasses that are also the builtin exception JAX raises in that case: `PassTypeError`,
`PassValueError`, `PassNotImplementedError`); the message names the op and its location.
"""
from __future__ import annotations

import builtins
import dataclasses
import functools
import importlib
import importlib.util
import threading
import typing
from typing import ClassVar

from mlir import ir, passmanager

from mlax import dialects


# ---------------------------------------------------------------------------------------
# Errors


def location_text(loc) -> str:
    """`file:line:col` of a Location (the first file location inside a name, call site
    or fused location), or its text without `loc(...)`; a string is returned as it is."""
    if isinstance(loc, str):
        return loc
    found = _file_location(loc)
    if found is not None:
        return found
    text = str(loc)
    if text.startswith("loc(") and text.endswith(")"):
        text = text[4:-1]
    return text.replace('"', "")


def _file_location(loc):
    if loc.is_a_file():
        return f"{loc.filename}:{loc.start_line}:{loc.start_col}"
    if loc.is_a_name():
        return _file_location(loc.child_loc)
    if loc.is_a_callsite():
        return _file_location(loc.callee)
    if loc.is_a_fused():
        for sub in loc.locations:
            found = _file_location(sub)
            if found is not None:
                return found
    return None


class PassError(Exception):
    """An mlax pass cannot transform the IR it was given.

    `PassError(message, at=op)` (an op or a Location) adds the location to the message,
    ` (at file:line:col)` at its end (before a final period, as JAX writes it), which
    mlax-opt moves to the front of its diagnostic; `location` keeps it (`file:line:col`, or
    None). The message names the op."""

    def __init__(self, message: str, at=None):
        self.location = None
        if at is not None:
            self.location = location_text(getattr(at, "location", at))
            if message.endswith("."):
                message = f"{message[:-1]} (at {self.location})."
            else:
                message = f"{message} (at {self.location})"
        super().__init__(message)


class PassTypeError(PassError, TypeError):
    """A pass failure that JAX reports as a TypeError (differentiating what cannot be)."""


class PassValueError(PassError, ValueError):
    """A pass failure that JAX reports as a ValueError."""


class PassNotImplementedError(PassError, NotImplementedError):
    """A transform has no rule for an op (JAX raises NotImplementedError)."""


class PassFailure(Exception):
    """An upstream pass failed; the message holds MLIR's diagnostics."""


class PassOptionError(ValueError):
    """A pipeline names an option its mlax pass does not have, or gives it a value of the
    wrong type. A ValueError, as MLIR's own pipeline parser raises."""


# ---------------------------------------------------------------------------------------
# Passes and their options


def option(default, help: str):
    """Declare a pass option: its type is the field's annotation (int, float, bool, str)."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass(frozen=True)
class Option:
    """One option of a pass, as `mlax-opt --help` lists it."""
    name: str
    type: type
    default: object
    help: str


@dataclasses.dataclass(frozen=True)
class ModulePass:
    """Base of every mlax pass; see the module docstring. Subclasses set `name` and
    define `run(module_op)`, which transforms the module in place. A pass that creates
    ops of dialects mlax's context does not register (StableHLO, in generic form) sets
    `creates_unregistered_ops`: a pipeline holding it allows unregistered dialects in its
    context before it runs (MLIR forbids changing that while passes run)."""
    name: ClassVar[str]
    creates_unregistered_ops: ClassVar[bool] = False

    def run(self, module_op) -> None:
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of the class docstring, on one line."""
        first = (cls.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(line.strip() for line in first.splitlines()).rstrip(".")

    @classmethod
    @functools.cache
    def options(cls) -> tuple[Option, ...]:
        hints = typing.get_type_hints(cls)
        return tuple(Option(f.name.replace("_", "-"), hints[f.name], f.default,
                            f.metadata["help"]) for f in dataclasses.fields(cls))

    @classmethod
    def from_text(cls, text: str) -> "ModulePass":
        """The pass with the options of `text` (`key=value key2=value2`, as in
        `name{...}`); PassOptionError names an unknown option or an ill-typed value."""
        known = {o.name: o for o in cls.options()}
        values = {}
        for item in _split_options(text):
            key, eq, value = item.partition("=")
            key = key.strip()
            if key not in known:
                have = (f"its options: {', '.join(known)}" if known
                        else "it has no options")
                raise PassOptionError(f"{cls.name}: unknown option '{key}' ({have})")
            text = value.strip() if eq else None
            values[key.replace("-", "_")] = _parse_value(cls.name, known[key], text)
        return cls(**values)


def _parse_bool(text):
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(text)


# Option types -> (their name in messages, a parser of their text that raises ValueError
# when the text does not fit).
OPTION_TYPES = {
    int: ("an integer", int),
    float: ("a number", float),
    bool: ("true or false", _parse_bool),
    str: ("a string", str),
}


def _parse_value(pass_name, opt: Option, text):
    what, parse = OPTION_TYPES[opt.type]
    if text is None:
        if opt.type is bool:   # `{flag}` alone sets a bool option, as in MLIR
            return True
        raise PassOptionError(f"{pass_name}: option '{opt.name}' needs a value ({what})")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    try:
        return parse(text)
    except ValueError:
        raise PassOptionError(f"{pass_name}: option '{opt.name}' takes {what}, got "
                              f"'{text}'") from None


def _split_options(text: str) -> list[str]:
    """`a=1 b='x y' c={1,2}` -> ['a=1', "b='x y'", 'c={1,2}']."""
    items, cur, depth, quote = [], "", 0, None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch.isspace() and depth == 0:
            if cur:
                items.append(cur)
            cur = ""
            continue
        cur += ch
    if cur:
        items.append(cur)
    return items


PASSES: dict[str, type[ModulePass]] = {}


def register(cls):
    """List the pass class `cls` in PASSES under its flag; it becomes a frozen dataclass
    (its fields are its options)."""
    if not (cls.__dict__.get("__doc__") or "").strip():
        raise TypeError(f"pass {cls.__name__} needs a docstring (its summary)")
    cls = dataclasses.dataclass(frozen=True)(cls)
    for o in cls.options():
        if o.type not in OPTION_TYPES:
            raise TypeError(f"pass {cls.name}: option '{o.name}' has type {o.type}; option "
                            f"types are {', '.join(t.__name__ for t in OPTION_TYPES)}")
    PASSES[cls.name] = cls
    return cls


# Modules whose import registers passes.
# Backends register their own passes when they are imported (mlax.backends.get).
PASS_MODULES = [
    "mlax.transforms.verify", "mlax.transforms.simplify", "mlax.transforms.expand",
    "mlax.transforms.autodiff", "mlax.transforms.vmap",
    "mlax.lowering.structural", "mlax.lowering.linalg", "mlax.lowering.elementwise_fusion",
    "mlax.lowering.math_approx",
    "mlax.lowering.stablehlo",
]


def load_passes():
    """Import the modules that register the target-neutral passes (once)."""
    for name in PASS_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


# ---------------------------------------------------------------------------------------
# Pipelines


def split_pipeline(text: str) -> list[str]:
    """Split a pipeline string at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            if cur.strip():
                parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_element(element: str) -> tuple[str, str]:
    """`name{options}` -> (name, options text); `name` -> (name, ""). A nested upstream
    pipeline, `anchor(pass{options},...)`, is returned whole as its name."""
    paren, brace = element.find("("), element.find("{")
    if paren >= 0 and (brace < 0 or paren < brace):
        return element.strip(), ""
    name, brace, rest = element.partition("{")
    if brace and not rest.rstrip().endswith("}"):
        raise PassOptionError(f"{name.strip()}: options must end with '}}': '{element}'")
    return name.strip(), rest.rstrip()[:-1] if brace else ""


_CALLBACK_PREFIX = "Exception raised in callback: Traceback"


def _unwrap_callback_error(e: Exception) -> Exception:
    """The exception a pass raised inside `Operation.walk`, without the traceback text.

    The bindings turn an exception in a walk callback into a RuntimeError whose message
    is the formatted traceback; keep its last part, the exception's own message (with the
    type name of a builtin exception, which says what went wrong)."""
    text = str(e)
    if not isinstance(e, RuntimeError) or not text.startswith(_CALLBACK_PREFIX):
        return e
    lines = text.splitlines()
    start = max((i for i, ln in enumerate(lines) if ln.startswith("  File ")), default=0) + 1
    while start < len(lines) - 1 and lines[start].startswith("    "):
        start += 1   # the quoted source line of the innermost frame, and its carets
    tail = "\n".join(lines[start:])
    name, sep, message = tail.partition(": ")
    if sep and not hasattr(builtins, name.split(".")[-1]):
        tail = message   # a pass's own error class: its message is the diagnostic
    return PassFailure(tail)


def _python_pass(p: ModulePass):
    def run(op, pass_):
        try:
            with op.context, ir.Location.unknown():
                # A fresh instance per run: a pass manager is reused (run_pipeline), and
                # a pass may keep state on itself while it runs.
                dataclasses.replace(p).run(op)
        except Exception as e:
            # Keep the message; MLIR only learns that the pass failed.
            run.error = _unwrap_callback_error(e)
            pass_.signal_pass_failure()
    run.error = None
    run.creates_unregistered_ops = p.creates_unregistered_ops
    return run


def build_pass_manager(pipeline: str, ctx=None, print_ir_after_all=False, timing=False):
    """A PassManager for `pipeline`, and the wrapper of each mlax pass in it (in pipeline
    order; a failed one holds its error in `.error`). Raises PassOptionError for a bad
    option of an mlax pass, ValueError (MLIR's) for a bad upstream pass."""
    load_passes()
    pm = passmanager.PassManager("builtin.module", context=ctx)
    wrappers = []
    for element in split_pipeline(pipeline):
        name, options = parse_element(element)
        if name in PASSES:
            cls = PASSES[name]
            w = _python_pass(cls.from_text(options))
            if cls.creates_unregistered_ops:
                (ctx or ir.Context.current).allow_unregistered_dialects = True
            wrappers.append(w)
            pm.add(w, name=name, argument=name, description=cls.summary())
        else:
            pm.add(element)
    if print_ir_after_all:
        pm.enable_ir_printing(print_after_all=True)
    if timing:
        pm.enable_timing()
    return pm, wrappers


# Pass managers kept per shared Context (dialects.context_cache), at most this many: a
# PassManager initializes its passes (builds their pattern sets: canonicalize's holds every
# loaded op's patterns) on its first run only, which is a fifth of a small function's
# compile.
PASS_MANAGER_CACHE = 32


def run_pipeline(module: ir.Module, pipeline: str, print_ir_after_all=False, timing=False):
    """Run `pipeline` on `module`; a failing mlax pass re-raises its own error."""
    ctx = module.context
    cache = None if print_ir_after_all or timing else dialects.context_cache(ctx)
    key = (threading.get_ident(), pipeline)
    if cache is not None and key in cache:
        pm, wrappers = cache[key]
        for w in wrappers:
            w.error = None
            if w.creates_unregistered_ops:
                ctx.allow_unregistered_dialects = True
    else:
        pm, wrappers = build_pass_manager(pipeline, ctx, print_ir_after_all, timing)
        if cache is not None:
            if len(cache) >= PASS_MANAGER_CACHE:
                cache.clear()
            cache[key] = pm, wrappers
    try:
        pm.run(module.operation)
    except ir.MLIRError as e:
        for w in wrappers:
            if w.error is not None:
                raise w.error from None
        raise PassFailure(str(e)) from None
