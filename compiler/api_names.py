"""The public names of JAX's modules, and the module `__getattr__` that answers for the
ones mlax does not have yet.

    __getattr__ = api_names.module_getattr("jax.numpy", __name__)

at the end of an mlax module makes `jnp.fft` raise
`NotImplementedError("mlax does not implement jax.numpy.fft yet")`, a name JAX does not
have either AttributeError, and a submodule not yet imported (`mlax.flatten_util`) import.
The names are data (jax_api_names.json, written by scripts/jax_api_names.py from an
installed jax), so jax is not needed at run time.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "jax_api_names.json")) as _f:
    _DATA = json.load(_f)

JAX_VERSION = _DATA["jax_version"]
NAMES: dict[str, frozenset] = {m: frozenset(ns) for m, ns in _DATA["modules"].items()}


class NotImplementedInMlax(NotImplementedError):
    """A public JAX name that mlax does not implement yet."""


def not_implemented(qualname: str) -> NotImplementedInMlax:
    return NotImplementedInMlax(f"mlax does not implement {qualname} yet")


def module_getattr(jax_module: str, module: str):
    """A module-level `__getattr__` for `module`, which stands for JAX's `jax_module`."""
    names = NAMES[jax_module]

    def __getattr__(name):
        if not name.startswith("_") and hasattr(sys.modules[module], "__path__") and \
                importlib.util.find_spec(f"{module}.{name}") is not None:
            # A submodule nobody imported yet, as `import jax` makes jax.flatten_util usable.
            return importlib.import_module(f"{module}.{name}")
        if name in names:
            raise not_implemented(f"{jax_module}.{name}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return __getattr__
