"""The beta distribution (jax.scipy.stats.beta)."""
from __future__ import annotations

import numpy as np

from mlax import numpy as jnp
from mlax.scipy.special import betainc, betaln, xlog1py, xlogy
from mlax.scipy.stats._util import clamp, promote_args_inexact


def logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_args_inexact(x, a, b, loc, scale)
    shape_term = -betaln(a, b)
    y = (x - loc) / scale
    log_linear_term = xlogy(a - 1, y) + xlog1py(b - 1, -y)
    log_probs = (shape_term + log_linear_term) - jnp.log(scale)
    result = jnp.where((x > loc + scale) | (x < loc), -np.inf, log_probs)
    return jnp.where((a <= 0) | (b <= 0) | (scale <= 0), np.nan, result)


def pdf(x, a, b, loc=0, scale=1):
    return jnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_args_inexact(x, a, b, loc, scale)
    return betainc(a, b, clamp(0, (x - loc) / scale, 1))


def logcdf(x, a, b, loc=0, scale=1):
    return jnp.log(cdf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_args_inexact(x, a, b, loc, scale)
    return betainc(b, a, 1 - clamp(0, (x - loc) / scale, 1))


def logsf(x, a, b, loc=0, scale=1):
    return jnp.log(sf(x, a, b, loc, scale))


# Names jax.scipy.stats.beta has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.beta", __name__)
