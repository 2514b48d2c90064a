# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/pareto.py (jax 0.10.2).
"""The Pareto distribution (jax.scipy.stats.pareto)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote_args_inexact(x, b, loc, scale)
    scaled_x = (x - loc) / scale
    log_probs = -(lax.log(scale / b) + (b + 1) * lax.log(scaled_x))
    return jnp.where(x < loc + scale, -np.inf, log_probs)


def pdf(x, b, loc=0, scale=1):
    return lax.exp(logpdf(x, b, loc, scale))


def cdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote_args_inexact(x, b, loc, scale)
    value = 1 - lax.pow((x - loc) / scale, -b)
    return jnp.where(x < loc + scale, 0, value)


def logcdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote_args_inexact(x, b, loc, scale)
    value = lax.log1p(-lax.pow((x - loc) / scale, -b))
    return jnp.where(x < loc + scale, -np.inf, value)


def logsf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote_args_inexact(x, b, loc, scale)
    value = -(b * lax.log((x - loc) / scale))
    return jnp.where(x < loc + scale, 0, value)


def sf(x, b, loc=0, scale=1):
    return lax.exp(logsf(x, b, loc, scale))


def ppf(q, b, loc=0, scale=1):
    q, b, loc, scale = promote_args_inexact(q, b, loc, scale)
    value = loc + scale * lax.pow(1 - q, -(1 / b))
    return jnp.where(jnp.isnan(q) | (q < 0) | (q > 1), np.nan, value)


# Names jax.scipy.stats.pareto has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.pareto", __name__)
