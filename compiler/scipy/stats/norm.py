"""The normal distribution (jax.scipy.stats.norm)."""
from __future__ import annotations

import numpy as np

from mlax import numpy as jnp
from mlax.scipy import special
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    scale_sqrd = scale * scale
    log_normalizer = jnp.log(np.asarray(2 * np.pi, x.dtype) * scale_sqrd)
    quadratic = (x - loc) * (x - loc) / scale_sqrd
    return (log_normalizer + quadratic) / np.asarray(-2, x.dtype)


def pdf(x, loc=0, scale=1):
    return jnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return special.ndtr((x - loc) / scale)


def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return special.log_ndtr((x - loc) / scale)


def ppf(q, loc=0, scale=1):
    return jnp.asarray(special.ndtri(q) * scale + loc, float)


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return logcdf(-x, -loc, scale)


def sf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact(x, loc, scale)
    return cdf(-x, -loc, scale)


def isf(q, loc=0, scale=1):
    q = jnp.asarray(q)
    return ppf(np.asarray(1, q.dtype) - q, loc, scale)


# Names jax.scipy.stats.norm has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.norm", __name__)
