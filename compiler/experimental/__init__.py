"""`mlax.experimental`: JAX's experimental names mlax implements: `io_callback`
(mlax.callbacks) and the module `ode` (`odeint`)."""
from mlax.callbacks import io_callback  # noqa: F401

# Names jax.experimental has and mlax does not yet: NotImplementedError naming them
# (mlax.api_names); `ode` is a submodule, imported on first use.
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.experimental", __name__)
