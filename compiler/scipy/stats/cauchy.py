"""The Cauchy distribution (jax.scipy.stats.cauchy)."""
from __future__ import annotations

import numpy as np

from mlax import numpy as jnp
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    scaled_x = (x - loc) / scale
    normalize_term = jnp.log(np.asarray(np.pi, x.dtype) * scale)
    return -(normalize_term + jnp.log1p(scaled_x * scaled_x))


def pdf(x, loc=0, scale=1):
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    scaled_x = (x - loc) / scale
    return 0.5 + (np.asarray(1, x.dtype) / np.asarray(np.pi, x.dtype)) * jnp.arctan(scaled_x)


def logcdf(x, loc=0, scale=1):
    return jnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return cdf(-x, -loc, scale)


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return logcdf(-x, -loc, scale)


def isf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact(q, loc, scale)
    unscaled = jnp.tan(np.asarray(np.pi / 2, q.dtype) - np.asarray(np.pi, q.dtype) * q)
    return unscaled * scale + loc


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact(q, loc, scale)
    unscaled = jnp.tan(np.asarray(np.pi, q.dtype) * q - np.asarray(np.pi / 2, q.dtype))
    return unscaled * scale + loc


# Names jax.scipy.stats.cauchy has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.cauchy", __name__)
