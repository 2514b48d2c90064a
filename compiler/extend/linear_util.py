"""mlax.extend.linear_util: `wrap_init` and `WrappedFun`, a Python function carried with
what it is traced for, as `jax.extend.linear_util` has them (flax's scan wraps its body in
one for partial evaluation, mlax.interpreters.partial_eval). The other names raise
NotImplementedError."""
from __future__ import annotations

from mlax import api_names as _api_names

__all__ = ["WrappedFun", "wrap_init"]


class WrappedFun:
    """`f`, called by `call_wrapped(*args)` with `params` as keyword arguments."""

    def __init__(self, f, params=None, debug_info=None):
        self.f = f
        self.params = dict(params or {})
        self.debug_info = debug_info

    def call_wrapped(self, *args):
        return self.f(*args, **self.params)

    def __repr__(self):
        return f"Wrapped function: {getattr(self.f, '__name__', self.f)!r}"


def wrap_init(f, params=None, *, debug_info=None) -> WrappedFun:
    return WrappedFun(f, params, debug_info)


__getattr__ = _api_names.module_getattr("jax.extend.linear_util", __name__)
