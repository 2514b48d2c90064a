"""mlax.compiling: `backend_compile`, the one call through which the front end (jit, eager
ops, concrete values, `Lowered.compile`) has a backend compile a module.

It is looked up on this module at every call, so a library may wrap it: chex's
`restrict_backends` does, through JAX's private `jax._src.compiler`, which mlax.compat
aliases to this module, and sees `backend.platform` as under JAX. With the config option
`jax_log_compiles` on (`mlax.log_compiles()`), each compilation is logged."""
from __future__ import annotations

import logging
import time

from mlax.core import config

logger = logging.getLogger(__name__)


def backend_compile(backend, module, entries: dict, opt_level=None, pipeline=None):
    """`backend.compile(module, entries, opt_level, pipeline)`: ({name: executable},
    lowered)."""
    if not config.read("jax_log_compiles"):
        return backend.compile(module, entries, opt_level, pipeline)
    start = time.perf_counter()
    result = backend.compile(module, entries, opt_level, pipeline)
    logger.warning("Finished mlax compilation of %s for %s in %.3f sec",
                   ", ".join(entries), backend.name, time.perf_counter() - start)
    return result
