# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/betabinom.py (jax 0.10.2).
"""The beta-binomial distribution (jax.scipy.stats.betabinom)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import betaln
from mlax.scipy.stats._util import promote_args_inexact


def logpmf(k, n, a, b, loc=0):
    k, n, a, b, loc = promote_args_inexact(k, n, a, b, loc)
    y = lax.floor(k) - loc
    combiln = -(lax.log1p(n) + betaln(n - y + 1, y + 1))
    beta_lns = betaln(y + a, n - y + b) - betaln(a, b)
    log_probs = combiln + beta_lns
    log_probs = jnp.where((y == 0) & (n == 0), 0., log_probs)
    y_cond = (y < -loc) | (y > n) | (y + a <= 0)
    log_probs = jnp.where(y_cond, -np.inf, log_probs)
    return jnp.where((n < 0) | (a <= 0) | (b <= 0), np.nan, log_probs)


def pmf(k, n, a, b, loc=0):
    return lax.exp(logpmf(k, n, a, b, loc))


# Names jax.scipy.stats.betabinom has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.betabinom", __name__)
