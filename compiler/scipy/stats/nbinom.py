# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/nbinom.py (jax 0.10.2).
"""The negative binomial distribution (jax.scipy.stats.nbinom)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import gammaln, xlogy
from mlax.scipy.stats._util import promote_args_inexact


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_args_inexact(k, n, p, loc)
    y = k - loc
    comb_term = gammaln(y + n) - gammaln(n) - gammaln(y + 1)
    log_linear_term = xlogy(n, p) + xlogy(y, 1 - p)
    return jnp.where(k < loc, -np.inf, comb_term + log_linear_term)


def pmf(k, n, p, loc=0):
    return lax.exp(logpmf(k, n, p, loc))


# Names jax.scipy.stats.nbinom has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.nbinom", __name__)
