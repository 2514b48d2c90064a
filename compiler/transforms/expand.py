"""`--mlax-expand-transforms`: give every transform declaration a body.

Transform declarations (`mlax.jvp`, `mlax.vjp`, `mlax.grad`, `mlax.vmap`; see
mlax.dialects.structural) name a callee that may itself call other transform
declarations, to any depth. They are expanded innermost first: a declaration is ready
when no function reachable from its callee is still an unexpanded transform. Each kind's
expander is registered in `EXPANDERS`:

    EXPANDERS[kind](module_op, decl) -> None

and must turn the declaration `decl` (a func.func op) into an ordinary function with a
body (removing its `mlax.<kind>` attribute), adding any helper functions it needs to the
module. The per-kind passes (`--mlax-jvp`, `--mlax-grad`, `--mlax-vmap`) run this loop
restricted to their kinds.
"""
from __future__ import annotations

from mlir import ir

from mlax.dialects import structural
from mlax.passes import register

EXPANDERS = {}
TRANSFORM_KINDS = ("jvp", "vjp", "grad", "vmap")


class TransformError(Exception):
    pass


def functions(module_op):
    return {ir.StringAttr(op.attributes["sym_name"]).value: op
            for op in module_op.regions[0].blocks[0].operations if op.name == "func.func"}


def callees(fn) -> set:
    """Symbols referenced from fn: call targets and the symbols in structural entries."""
    out = set()
    kind = structural.kind_of(fn)
    if kind is not None:
        for v in structural.entries(fn).values():
            out |= _symbols_in(v)
    if len(fn.regions[0].blocks):
        def visit(op):
            if op.name == "func.call":
                out.add(ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
            return ir.WalkResult.ADVANCE
        fn.walk(visit)
    return out


def _symbols_in(attr):
    if isinstance(attr, ir.FlatSymbolRefAttr):
        return {attr.value}
    if isinstance(attr, ir.ArrayAttr):
        out = set()
        for a in attr:
            out |= _symbols_in(a)
        return out
    return set()


def _pending(fns, kinds):
    return {n for n, f in fns.items() if structural.kind_of(f) in kinds}


def expand(module_op, kinds=TRANSFORM_KINDS):
    """Expand declarations of `kinds`, innermost first, until none is left."""
    while True:
        fns = functions(module_op)
        pending = _pending(fns, kinds)
        if not pending:
            return
        ready = None
        for name in sorted(pending):
            seen, stack, blocked = set(), list(callees(fns[name])), False
            while stack:
                s = stack.pop()
                if s in seen or s not in fns:
                    continue
                seen.add(s)
                if structural.kind_of(fns[s]) in TRANSFORM_KINDS:
                    blocked = True
                    break
                stack.extend(callees(fns[s]))
            if not blocked:
                ready = name
                break
        if ready is None:
            raise TransformError("transform declarations form a cycle: " + ", ".join(sorted(pending)))
        kind = structural.kind_of(fns[ready])
        if kind not in EXPANDERS:
            raise TransformError(f"no expander for mlax.{kind} (declaration @{ready})")
        EXPANDERS[kind](module_op, fns[ready])


@register("mlax-expand-transforms", "Expand all transform declarations (jvp, vjp, grad, vmap), innermost first")
def run(module_op):
    expand(module_op)
