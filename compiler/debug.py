"""`mlax.debug`: JAX's `jax.debug` (`print`, `callback`; `breakpoint` raises
NotImplementedError). The callbacks are mlax.callbacks."""
from mlax.callbacks import breakpoint, debug_callback as callback, debug_print as print  # noqa: A004,F401
