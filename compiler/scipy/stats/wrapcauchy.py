# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/wrapcauchy.py (jax 0.10.2).
"""The wrapped Cauchy distribution (jax.scipy.stats.wrapcauchy)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, c):
    x, c = promote_args_inexact(x, c)
    inside = (x >= 0) & (x <= np.pi * 2)
    value = jnp.log(1 - c * c) - jnp.log(2 * np.pi) - jnp.log(1 + c * c - 2 * c * jnp.cos(x))
    return jnp.where((c > 0) & (c < 1), jnp.where(inside, value, -np.inf), np.nan)


def pdf(x, c):
    return lax.exp(logpdf(x, c))


# Names jax.scipy.stats.wrapcauchy has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.wrapcauchy", __name__)
