"""mlax.extend.core: `get_opaque_trace_state`, the one name of `jax.extend.core` that
libraries (flax's scopes) call; the rest raise NotImplementedError (mlax.api_names)."""
from __future__ import annotations

from mlax import api_names as _api_names
from mlax import core as _core


class OpaqueTraceState:
    """The trace active when it was made: equal to another exactly when both were taken
    under the same trace (the same function being traced, or none)."""

    def __init__(self, trace):
        self._trace = trace

    def __eq__(self, other):
        return isinstance(other, OpaqueTraceState) and self._trace is other._trace

    def __hash__(self):
        return id(self._trace)


def get_opaque_trace_state(convention=None):
    """The current trace as an opaque, comparable value (`convention` is accepted as JAX's
    is, and changes nothing)."""
    stack = _core.trace_stack()
    return OpaqueTraceState(stack[-1] if stack else None)


__getattr__ = _api_names.module_getattr("jax.extend.core", __name__)
