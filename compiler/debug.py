"""`mlax.debug`: JAX's `jax.debug` (`print`, `callback`, `visualize_array_sharding`
as text; `breakpoint` raises NotImplementedError). The callbacks are mlax.callbacks."""
from mlax.callbacks import breakpoint, debug_callback as callback, debug_print as print  # noqa: A004,F401
from mlax.spmd import visualize_array_sharding  # noqa: F401

# Names jax.debug has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.debug", __name__)
