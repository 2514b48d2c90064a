"""checkify's checks made inside functions that a traced function traces in turn: the
branches and bodies of control flow (mlax.lax.control_flow) and vmap's function
(mlax.batching). Within a checkified function (mlax.experimental.checkify), each such
function is traced with a child frame; a construct whose function made checks traces it
again as a function that also returns its checks (a flag and a payload each): cond's
branches return every branch's checks (the others' as not failed), loops carry them,
keeping the first failure of each effect type, and vmap reduces each check to the last
member where it failed, as JAX's checkify does; a cond or switch whose index vmap maps
runs every branch for every member, so every branch's checks are reported."""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax import core, tracing
from mlax.lax import primitives as lax


def check_frame():
    """The checkify frame collecting the checks of the function being traced, or None."""
    frames = core.check_frames()
    return frames[-1] if frames and frames[-1].builder is tracing.current() else None


class Checked:
    """`fun` with its own check frame: returns `(out, [(failed, payload), ...])` for the
    checks made in it; `checks` keeps those of the last trace, with their exceptions."""

    def __init__(self, frame, fun):
        self.frame, self.fun, self.checks = frame, fun, []
        self.__name__ = getattr(fun, "__name__", "fn")

    def __call__(self, *args, **kwargs):
        child = self.frame.child(tracing.current())
        frames = core.check_frames()
        frames.append(child)
        try:
            out = self.fun(*args, **kwargs)
        finally:
            frames.pop()
        self.checks = child.checks
        return out, [(failed, list(payload)) for failed, payload, _ in child.checks]


def mark_mapped(builder, tracers):
    """Record the arguments of `builder` (vmap's function, traced inside checkify) that
    vmap maps: a cond or switch whose index depends on one runs every branch for every
    member (`mapped_by_vmap`)."""
    builder.mapped_by_vmap = frozenset(t.value for t in tracers)


def mapped_by_vmap(x) -> bool:
    """Whether the traced value `x` of the function being traced depends on an argument
    that vmap maps (`mark_mapped`): a walk back over the ops that compute it."""
    roots = getattr(tracing.current(), "mapped_by_vmap", None)
    if not roots or not isinstance(x, tracing.Tracer):
        return False
    seen, todo = set(), [x.value]
    while todo:
        v = todo.pop()
        if v in roots:
            return True
        if v in seen or isinstance(v.owner, ir.Block):      # another argument
            continue
        seen.add(v)
        todo.extend(v.owner.operands)
    return False


def not_failed(checks):
    """Checks that did not fail, shaped as `checks`: False flags, zero payloads."""
    return [(np.zeros((), np.bool_), [np.zeros(tracing.aval_of(p).shape, tracing.aval_of(p).dtype)
                                      for p in payload]) for _, payload, _ in checks]


def _kinds(frame, checks):
    """For each check, the indices of the checks of its effect type (frame.effect_type)."""
    kinds = [frame.effect_type(c) for c in checks]
    return [[j for j, k in enumerate(kinds) if k == kind] for kind in kinds]


def _any(flags):
    out = flags[0]
    for f in flags[1:]:
        out = lax.bitwise_or(out, f)
    return out


def first_failure(frame, checks, old, new):
    """The carried values of each check whose effect type already failed, else the new
    ones: JAX keeps the first failure of each type."""
    out = []
    for same, (fo, ps), (fn, qs) in zip(_kinds(frame, checks), old, new):
        failed = _any([old[j][0] for j in same])
        out.append((lax.select(failed, fo, fn),
                    [lax.select(failed, po, pn) for po, pn in zip(ps, qs)]))
    return out


def _index(x, i):
    """`x[i]` along the leading axis, `i` a traced int32 scalar."""
    shape = tracing.aval_of(x).shape
    part = lax.dynamic_slice(x, [i] + [np.int32(0)] * (len(shape) - 1), (1,) + tuple(shape[1:]))
    return lax.reshape(part, tuple(shape[1:]))


def last_failed_member(values, size):
    """Batched checks (flags and payloads mapped along axis 0, `size` members) as one
    member's values each: the last member where the check failed, as JAX reduces a check
    made under vmap (`argsort(errs)[-1]`)."""
    out = []
    for failed, payload in values:
        flags = lax.convert_element_type(failed, np.int32)
        last = lax.sub(np.int32(size - 1), lax.argmax(lax.rev(flags, (0,)), 0, np.int32))
        out.append((_index(failed, last), [_index(p, last) for p in payload]))
    return out


def report(frame, checks, values):
    """Add to `frame` the checks whose (failed, payload) values a construct returned."""
    for (_, _, make), (failed, payload) in zip(checks, values):
        frame.checks.append((failed, list(payload), make))
