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
from mlax.passes import ModulePass, PassError, register

EXPANDERS = {}
TRANSFORM_KINDS = ("jvp", "vjp", "grad", "vmap")


def functions(module_op):
    """symbol -> func.func op of the module (`op.name` of a FuncOp view is its symbol, so
    the op kind is read from `op.operation.name`)."""
    return {ir.StringAttr(op.attributes["sym_name"]).value: op
            for op in module_op.regions[0].blocks[0].operations
            if op.operation.name == "func.func"}


def callees(fn) -> set:
    """Symbols referenced from fn: call targets and the symbols in structural entries."""
    out = set()
    decl = structural.read(fn)
    if decl is not None:
        out |= set(decl.symbols())
    if len(fn.regions[0].blocks):
        def visit(op):
            if op.name == "func.call":
                out.add(ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
            return ir.WalkResult.ADVANCE
        fn.walk(visit)
    return out


def _pending(fns, kinds):
    return {n for n, f in fns.items() if structural.kind_of(f) in kinds}


def expand(module_op, kinds=TRANSFORM_KINDS):
    """Expand declarations of `kinds`, innermost first, until none is left.

    Each function's callees are found once: an expander changes only the declaration it
    expands (and adds new functions), so only that one is looked at again. (Walking every
    reachable body again for each declaration made a module of many nested derivatives
    quadratic to expand.)"""
    known = {}

    def callees_of(name):
        if name not in known:
            known[name] = callees(fns[name])
        return known[name]

    while True:
        fns = functions(module_op)
        for name in [n for n in known if n not in fns]:
            del known[name]     # erased by an expander: its name may be used again
        pending = _pending(fns, kinds)
        if not pending:
            return
        ready, blockers = None, {}
        for name in sorted(pending):
            seen, stack, blocker = set(), list(callees_of(name)), None
            while stack:
                s = stack.pop()
                if s in seen or s not in fns:
                    continue
                seen.add(s)
                if structural.kind_of(fns[s]) in TRANSFORM_KINDS:
                    blocker = s
                    break
                stack.extend(callees_of(s))
            if blocker is None:
                ready = name
                break
            blockers[name] = blocker
        if ready is None:
            outside = {n: b for n, b in blockers.items() if structural.kind_of(fns[b]) not in kinds}
            if outside:
                n, b = sorted(outside.items())[0]
                raise PassError(
                    f"@{n} needs @{b} (mlax.{structural.kind_of(fns[b])}) expanded first: run "
                    f"--mlax-expand-transforms, or the pass of that transform before this one",
                    at=fns[n])
            first = sorted(pending)[0]
            raise PassError("transform declarations form a cycle: " + ", ".join(sorted(pending)),
                            at=fns[first])
        kind = structural.kind_of(fns[ready])
        if kind not in EXPANDERS:
            raise PassError(f"no expander for mlax.{kind} (declaration @{ready})", at=fns[ready])
        EXPANDERS[kind](module_op, fns[ready])
        known.pop(ready, None)


# Declarations that a transform may still need to see (custom_jvp / custom_vjp carry the
# user's derivative rules): expanded, into plain calls, once no transform is left.
LATE_KINDS = ("custom_jvp", "custom_vjp")


@register
class ExpandTransformsPass(ModulePass):
    """Expand all transform declarations (jvp, vjp, grad, vmap), innermost first."""
    name = "mlax-expand-transforms"

    def run(self, module_op):
        expand(module_op)
        expand(module_op, kinds=LATE_KINDS)
