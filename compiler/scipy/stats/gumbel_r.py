# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/gumbel_r.py (jax 0.10.2).
"""The right-skewed Gumbel distribution (jax.scipy.stats.gumbel_r)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import _log1mexp, xlogy
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    z = (x - loc) / scale
    return jnp.where(scale > 0, xlogy(-1, scale) - (z + lax.exp(-z)), np.nan)


def pdf(x, loc=0, scale=1):
    return lax.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    z = (x - loc) / scale
    return jnp.where(scale > 0, -lax.exp(-z), np.nan)


def cdf(x, loc=0, scale=1):
    return lax.exp(logcdf(x, loc, scale))


def ppf(p, loc=0, scale=1):
    p, loc, scale = promote_args_inexact(p, loc, scale)
    quantile = loc - scale * lax.log(xlogy(-1, p))
    return jnp.where((p > 0) & (p < 1), quantile, np.nan)


def sf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return jnp.where(scale > 0, 1 - lax.exp(-lax.exp((loc - x) / scale)), np.nan)


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return jnp.where(scale > 0, _log1mexp(lax.exp((loc - x) / scale)), np.nan)


# Names jax.scipy.stats.gumbel_r has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.gumbel_r", __name__)
