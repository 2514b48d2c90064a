"""mlax.interpreters.partial_eval: JAX's partial evaluation, as far as libraries use it to
find which results of a function are independent of some of its inputs (flax's scan: the
values it broadcasts into the loop).

`trace_to_jaxpr_nounits(fun, pvals)` calls `fun` with a tracer for each unknown input
(`PartialVal.unknown(aval)`) and the values of the known ones. Ops that use no unknown
value are computed at once, eagerly or in the enclosing trace, as JAX's partial evaluator
does; the others are traced into a scratch function that is dropped. A result computed
from known values only is known (its value); any other is unknown (its abstract value).
mlax has no jaxprs: the jaxpr returned is None and there are no residual constants."""
from __future__ import annotations

from mlax import api_names as _api_names
from mlax import core, eager, tracing

__all__ = ["PartialVal", "trace_to_jaxpr_nounits"]


class PartialVal(tuple):
    """A value known (`known(const)`) or only by its abstract value (`unknown(aval)`), as
    JAX's pair (aval or None, const or None)."""

    def __new__(cls, xs):
        pv, const = xs
        return tuple.__new__(cls, (pv, const))

    @classmethod
    def known(cls, const):
        return PartialVal((None, const))

    @classmethod
    def unknown(cls, aval):
        return PartialVal((aval, None))

    def is_known(self):
        return self[0] is None

    def get_known(self):
        return self[1] if self[0] is None else None

    def get_aval(self):
        return self[0]


class _UnknownBuilder(tracing.FunctionBuilder):
    """Traces the ops that use an unknown value; computes the others where they are known
    (the enclosing trace, or eagerly). Nested jits are traced inline, op by op."""
    inline_calls = True

    def __init__(self, tm, name, parent):
        super().__init__(tm.module, name, parent, tm)
        self.outer = parent

    def emit(self, name, operands, attrs):
        if any(isinstance(x, tracing.Tracer) and x.builder is self for x in operands):
            return super().emit(name, operands, attrs)
        if self.outer is not None:
            return self.outer.emit(name, operands, attrs)
        return eager.run(name, operands, attrs)


def trace_to_jaxpr_nounits(fun, pvals, instantiate=False):
    """(None, the results as PartialVals, []): which results of `fun` (a WrappedFun) are
    known given the known inputs of `pvals`, and their values."""
    outer = tracing.current()
    tm = outer.traced_module if outer is not None else tracing.TracedModule()
    scratch = _UnknownBuilder(tm, tm.unique_name("partial_eval"), outer)
    with tm.ctx:
        args = [pv.get_known() if pv.is_known() else
                scratch.add_argument(core.ShapedArray(tuple(pv.get_aval().shape),
                                                      pv.get_aval().dtype))
                for pv in pvals]
        stack = core.trace_stack()
        stack.append(scratch)
        try:
            outs = fun.call_wrapped(*args)
        finally:
            stack.pop()
            scratch.finished = True      # a value traced there cannot be used later
            scratch.func.operation.erase()
    out_pvals = []
    for o in outs:
        unknown = isinstance(o, tracing.Tracer) and o.builder is scratch
        if unknown or (instantiate is True):
            out_pvals.append(PartialVal.unknown(tracing.aval_of(o)))
        else:
            out_pvals.append(PartialVal.known(o))
    return None, out_pvals, []


__getattr__ = _api_names.module_getattr("jax.interpreters.partial_eval", __name__)
