"""`mlax.experimental`: JAX's experimental names mlax implements: `io_callback`
(mlax.callbacks) and the module `ode` (`odeint`)."""
from mlax.callbacks import io_callback  # noqa: F401
