"""The gamma distribution (jax.scipy.stats.gamma)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import gammainc, gammaincc, xlogy
from mlax.scipy.stats._util import clamp, promote_args_inexact


def logpdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact(x, a, loc, scale)
    ok = x >= loc
    y = jnp.where(ok, (x - loc) / scale, 1)
    log_linear_term = xlogy(a - 1, y) - y
    shape_terms = lax.lgamma(a) + jnp.log(scale)
    return jnp.where(ok, log_linear_term - shape_terms, -np.inf)


def pdf(x, a, loc=0, scale=1):
    return jnp.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact(x, a, loc, scale)
    return gammainc(a, clamp(0, (x - loc) / scale, np.inf))


def logcdf(x, a, loc=0, scale=1):
    return jnp.log(cdf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact(x, a, loc, scale)
    y = (x - loc) / scale
    return jnp.where(y < 0, 1, gammaincc(a, y))


def logsf(x, a, loc=0, scale=1):
    return jnp.log(sf(x, a, loc, scale))


# Names jax.scipy.stats.gamma has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.gamma", __name__)
