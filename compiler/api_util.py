"""mlax.api_util: `debug_info` and `flatten_fun_nokwargs`, the helpers of `jax.api_util`
that libraries use to trace a function themselves (flax's scan, with
mlax.interpreters.partial_eval). The other names raise NotImplementedError."""
from __future__ import annotations

from dataclasses import dataclass

from mlax import api_names as _api_names
from mlax.extend.linear_util import WrappedFun
from mlax.pytree import tree_flatten, tree_unflatten

__all__ = ["DebugInfo", "debug_info", "flatten_fun_nokwargs"]


@dataclass(frozen=True)
class DebugInfo:
    """What a function is traced for, and its name (for messages)."""
    traced_for: str
    func_name: str


def debug_info(traced_for, fun, args, kwargs, **_) -> DebugInfo:
    return DebugInfo(traced_for, getattr(fun, "__name__", repr(fun)))


def flatten_fun_nokwargs(fun: WrappedFun, in_tree):
    """`fun` taking its arguments as the leaves of `in_tree` and returning its results'
    leaves; the second result, called after the first ran, is the results' tree."""
    store = {}

    def flat(*leaves):
        out_leaves, store["tree"] = tree_flatten(fun.call_wrapped(*tree_unflatten(in_tree,
                                                                                  leaves)))
        return out_leaves
    return WrappedFun(flat, debug_info=fun.debug_info), lambda: store["tree"]


__getattr__ = _api_names.module_getattr("jax.api_util", __name__)
