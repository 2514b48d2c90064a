"""The Bernoulli distribution (jax.scipy.stats.bernoulli)."""
from __future__ import annotations

import numpy as np

from mlax import numpy as jnp
from mlax.scipy.special import xlog1py, xlogy
from mlax.scipy.stats._util import promote_args_inexact


def logpmf(k, p, loc=0):
    k, p, loc = promote_args_inexact(k, p, loc)
    x = k - loc
    log_probs = xlogy(x, p) + xlog1py(1 - x, -p)
    return jnp.where((x < 0) | (x > 1), -np.inf, log_probs)


def pmf(k, p, loc=0):
    return jnp.exp(logpmf(k, p, loc))


def cdf(k, p):
    k, p = promote_args_inexact(k, p)
    zero, one = np.asarray(0, k.dtype), np.asarray(1, k.dtype)
    conds = [jnp.isnan(k) | jnp.isnan(p) | (p < zero) | (p > one),
             k < zero,
             (k >= zero) & (k < one),
             k >= one]
    vals = [jnp.full_like(k, np.nan), jnp.full_like(k, 0), one - p, jnp.full_like(k, 1)]
    return jnp.select(conds, vals)


def ppf(q, p):
    q, p = promote_args_inexact(q, p)
    zero, one = np.asarray(0, q.dtype), np.asarray(1, q.dtype)
    return jnp.where(jnp.isnan(q) | jnp.isnan(p) | (p < zero) | (p > one) | (q < zero) | (q > one),
                     np.nan, jnp.where(q <= one - p, zero, one))


# Names jax.scipy.stats.bernoulli has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.bernoulli", __name__)
