"""mlax.extend: the parts of `jax.extend` that libraries written against JAX import.

`core.get_opaque_trace_state` is real (flax compares it to find transforms it does not
expect); `linear_util` exists so that imports of it succeed, and its names raise
NotImplementedError when used (mlax has no jaxprs to wrap functions into)."""
from mlax import api_names as _api_names

__getattr__ = _api_names.module_getattr("jax.extend", __name__)
