"""mlax.compiling: `backend_compile`, the one call through which the front end (jit, eager
ops, concrete values, `Lowered.compile`) has a backend compile a module.

It is looked up on this module at every call, so a library may wrap it: chex's
`restrict_backends` does, through JAX's private `jax._src.compiler`, which mlax.compat
aliases to this module, and sees `backend.platform` as under JAX."""
from __future__ import annotations


def backend_compile(backend, module, entries: dict, opt_level=None, pipeline=None):
    """`backend.compile(module, entries, opt_level, pipeline)`: ({name: executable},
    lowered)."""
    return backend.compile(module, entries, opt_level, pipeline)
