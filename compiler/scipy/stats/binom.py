# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/binom.py (jax 0.10.2).
"""The binomial distribution (jax.scipy.stats.binom)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import gammaln, xlog1py, xlogy
from mlax.scipy.stats._util import promote_args_inexact


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_args_inexact(k, n, p, loc)
    y = k - loc
    comb_term = gammaln(n + 1) - (gammaln(y + 1) + gammaln(n - y + 1))
    log_linear_term = xlogy(y, p) + xlog1py(n - y, -p)
    log_probs = comb_term + log_linear_term
    y_n_cond = ((y == 0) & (n == 0)) | (log_linear_term == 0)
    log_probs = jnp.where(y_n_cond, 0., log_probs)
    return jnp.where((k >= loc) & (k < loc + n + 1), log_probs, -np.inf)


def pmf(k, n, p, loc=0):
    return lax.exp(logpmf(k, n, p, loc))


# Names jax.scipy.stats.binom has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.binom", __name__)
