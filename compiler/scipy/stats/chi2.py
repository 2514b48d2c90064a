# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/chi2.py (jax 0.10.2).
"""The chi-squared distribution (jax.scipy.stats.chi2)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import gammainc, gammaincc
from mlax.scipy.stats._util import clamp, promote_args_inexact


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_args_inexact(x, df, loc, scale)
    y = (x - loc) / scale
    df_on_two = df / 2
    kernel = (df_on_two - 1) * lax.log(y) - y / 2
    nrml_cnst = -(lax.lgamma(df_on_two) + np.log(2).astype(x.dtype) * df / 2)
    log_probs = nrml_cnst - lax.log(scale) + kernel
    return jnp.where(x < loc, -np.inf, log_probs)


def pdf(x, df, loc=0, scale=1):
    return lax.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_args_inexact(x, df, loc, scale)
    return gammainc(df / 2, clamp(0, (x - loc) / (scale * 2), np.inf))


def logcdf(x, df, loc=0, scale=1):
    return lax.log(cdf(x, df, loc, scale))


def sf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_args_inexact(x, df, loc, scale)
    return gammaincc(df / 2, clamp(0, (x - loc) / (scale * 2), np.inf))


def logsf(x, df, loc=0, scale=1):
    return lax.log(sf(x, df, loc, scale))


# Names jax.scipy.stats.chi2 has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.chi2", __name__)
