"""mlax.scipy.integrate: `trapezoid`, as jax.scipy.integrate (mlax.numpy's trapezoid)."""
from __future__ import annotations

from mlax import numpy as jnp


def trapezoid(y, x=None, dx=1.0, axis=-1):
    return jnp.trapezoid(y, x, dx, axis)


# Names jax.scipy.integrate has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.integrate", __name__)
