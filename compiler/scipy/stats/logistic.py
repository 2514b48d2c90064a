"""The logistic distribution (jax.scipy.stats.logistic)."""
from __future__ import annotations

from mlax import numpy as jnp
from mlax.scipy.special import expit, logit
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    x = (x - loc) / scale
    half_x = x / 2
    return -2 * jnp.logaddexp(half_x, -half_x) - jnp.log(scale)


def pdf(x, loc=0, scale=1):
    return jnp.exp(logpdf(x, loc, scale))


def ppf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return logit(x) * scale + loc


def sf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return expit(-((x - loc) / scale))


def isf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return -logit(x) * scale + loc


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return expit((x - loc) / scale)


# Names jax.scipy.stats.logistic has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.logistic", __name__)
