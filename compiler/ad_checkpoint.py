"""mlax.ad_checkpoint: `checkpoint` / `remat`, `checkpoint_name` and `checkpoint_policies`,
as in `jax.ad_checkpoint`.

JAX's checkpoint trades memory for compute: the backward pass recomputes the function's
intermediates instead of storing them. mlax accepts the same arguments and computes the
same values and gradients, but does not rematerialize yet: a checkpointed function is
differentiated like any other (its residuals are stored). The policies are the functions
JAX names, which decide nothing here; `checkpoint_name(x, name)` is the identity.
"""
from __future__ import annotations

import functools
import types

from mlax.api import PjitFunction

__all__ = ["checkpoint", "remat", "checkpoint_name", "checkpoint_policies"]


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=(), static_argnames=()):
    """`fun` with JAX's checkpoint signature; values and gradients are fun's (see the
    module docstring: no rematerialization yet). The static arguments reach fun as Python
    values, as in JAX."""
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}")
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if not nums and not names:
        return functools.wraps(fun)(lambda *args, **kwargs: fun(*args, **kwargs))
    # JAX traces fun once per value of its static arguments: so does a jit with them static.
    return functools.wraps(fun)(PjitFunction(fun, static_argnums=nums or None,
                                       static_argnames=names or None))


remat = checkpoint


def checkpoint_name(x, name):
    """`x`, named for a checkpoint policy (the identity: mlax does not rematerialize)."""
    return x


def _everything_saveable(*_, **__):
    return True


def _nothing_saveable(*_, **__):
    return False


def _save_names(*names):
    names = set(names)
    return lambda prim, *_, name=None, **__: name in names


def _save_all_but_names(*names):
    names = set(names)
    return lambda prim, *_, name=None, **__: name not in names


checkpoint_policies = types.SimpleNamespace(
    everything_saveable=_everything_saveable,
    nothing_saveable=_nothing_saveable,
    dots_saveable=_nothing_saveable,
    checkpoint_dots=_nothing_saveable,
    dots_with_no_batch_dims_saveable=_nothing_saveable,
    checkpoint_dots_with_no_batch_dims=_nothing_saveable,
    save_any_names_but_these=_save_all_but_names,
    save_only_these_names=_save_names,
    save_anything_except_these_names=_save_all_but_names,
    save_from_both_policies=lambda p1, p2: (lambda *a, **k: p1(*a, **k) or p2(*a, **k)),
    offload_dot_with_no_batch_dims=lambda *a, **k: _nothing_saveable,
    save_and_offload_only_these_names=lambda **k: _nothing_saveable,
)


# Names jax.ad_checkpoint has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.ad_checkpoint", __name__)
