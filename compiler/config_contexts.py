"""The config options JAX also offers as context managers and flags:
`with mlax.numpy_rank_promotion("raise"): ...` sets the option for the block and restores
it after (even on an exception); `mlax.enable_x64.value` reads it. As mlax's config, the
setting is process-wide (JAX's context managers are per thread)."""
from __future__ import annotations

import contextlib

from mlax import dispatch
from mlax.core import config

__all__ = ["debug_infs", "debug_nans", "default_device", "default_matmul_precision", "disable_jit", "enable_x64",
           "ensure_compile_time_eval", "log_compiles", "numpy_dtype_promotion",
           "numpy_rank_promotion", "threefry_partitionable"]


class _OptionContext:
    """`option(value)` is a context manager setting the config option `name`."""

    def __init__(self, name):
        self.name = name
        self.__name__ = name.removeprefix("jax_")

    @property
    def value(self):
        return config.read(self.name)

    @contextlib.contextmanager
    def __call__(self, new_val=True):
        old = config.read(self.name)
        config.update(self.name, new_val)
        try:
            yield
        finally:
            config.update(self.name, old)

    def __repr__(self):
        return f"<config option {self.name}={self.value!r}>"


threefry_partitionable = _OptionContext("jax_threefry_partitionable")
numpy_rank_promotion = _OptionContext("jax_numpy_rank_promotion")
numpy_dtype_promotion = _OptionContext("jax_numpy_dtype_promotion")
enable_x64 = _OptionContext("jax_enable_x64")
default_matmul_precision = _OptionContext("jax_default_matmul_precision")
default_device = _OptionContext("jax_default_device")
disable_jit = _OptionContext("jax_disable_jit")
debug_nans = _OptionContext("jax_debug_nans")
debug_infs = _OptionContext("jax_debug_infs")
log_compiles = _OptionContext("jax_log_compiles")


@contextlib.contextmanager
def ensure_compile_time_eval():
    """Within the block, ops on known values run at once even under jit (their results are
    concrete, usable in Python control flow); ops on traced values are traced as usual."""
    old = dispatch.compile_time_eval
    dispatch.compile_time_eval = True
    try:
        yield
    finally:
        dispatch.compile_time_eval = old
