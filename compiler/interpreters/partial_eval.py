"""mlax.interpreters.partial_eval: `PartialVal`, the one name of
`jax.interpreters.partial_eval` that libraries (flax's scan) name at import time. mlax
has no jaxprs: tracing to one (`trace_to_jaxpr_nounits`, ...) raises NotImplementedError."""
from __future__ import annotations

from mlax import api_names as _api_names


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


__getattr__ = _api_names.module_getattr("jax.interpreters.partial_eval", __name__)
