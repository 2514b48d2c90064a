"""The registry of mlax passes, and pass managers built from pipeline strings.

A pipeline is data: a comma-separated string of pass names, as `mlir-opt
--pass-pipeline` takes (without the `builtin.module(...)` wrapper). mlax passes (written
in Python) and upstream passes mix freely; each mlax pass is registered once here under
its command-line flag.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Callable

from mlir import ir, passmanager


@dataclass(frozen=True)
class MlaxPass:
    flag: str
    run: Callable          # run(module_op) -> None; raises on failure
    summary: str


PASSES: dict[str, MlaxPass] = {}


def register(flag, summary):
    def deco(fn):
        PASSES[flag] = MlaxPass(flag, fn, summary)
        return fn
    return deco


# Modules whose import registers passes.
# Backends register their own passes when they are imported (mlax.backends.get).
PASS_MODULES = [
    "mlax.transforms.verify", "mlax.transforms.simplify", "mlax.transforms.expand",
    "mlax.transforms.autodiff", "mlax.transforms.vmap",
    "mlax.lowering.structural", "mlax.lowering.linalg", "mlax.lowering.math_approx",
]


def load_passes():
    """Import the modules that register the target-neutral passes (once)."""
    import importlib
    import importlib.util
    for name in PASS_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


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


class PassFailure(Exception):
    """An upstream pass failed; the message holds MLIR's diagnostics."""


class PassError(Exception):
    """An mlax pass cannot transform the IR it was given; the message names the op and
    its location (the user's source line, for traced code)."""


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


def _python_pass(p: MlaxPass):
    def run(op, pass_):
        try:
            with op.context, ir.Location.unknown():
                p.run(op)
        except Exception as e:
            # Keep the message; MLIR only learns that the pass failed.
            run.error = _unwrap_callback_error(e)
            pass_.signal_pass_failure()
    run.error = None
    return run


def build_pass_manager(pipeline: str, ctx=None, print_ir_after_all=False, timing=False):
    load_passes()
    pm = passmanager.PassManager("builtin.module", context=ctx)
    wrappers = []
    for element in split_pipeline(pipeline):
        name = element.split("{")[0].strip()
        if name in PASSES:
            w = _python_pass(PASSES[name])
            wrappers.append(w)
            pm.add(w, name=name, argument=name, description=PASSES[name].summary)
        else:
            pm.add(element)
    if print_ir_after_all:
        pm.enable_ir_printing(print_after_all=True)
    if timing:
        pm.enable_timing()
    return pm, wrappers


def run_pipeline(module: ir.Module, pipeline: str, print_ir_after_all=False, timing=False):
    """Run `pipeline` on `module`; a failing mlax pass re-raises its own error."""
    pm, wrappers = build_pass_manager(pipeline, module.context, print_ir_after_all, timing)
    try:
        pm.run(module.operation)
    except ir.MLIRError as e:
        for w in wrappers:
            if w.error is not None:
                raise w.error from None
        raise PassFailure(str(e)) from None
