# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/gennorm.py (jax 0.10.2).
"""The generalized normal distribution (jax.scipy.stats.gennorm)."""
from __future__ import annotations

from mlax import lax
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, beta):
    x, beta = promote_args_inexact(x, beta)
    return lax.log(.5 * beta) - lax.lgamma(1 / beta) - lax.abs(x) ** beta


def cdf(x, beta):
    x, beta = promote_args_inexact(x, beta)
    return .5 * (1 + lax.sign(x) * lax.igamma(1 / beta, lax.abs(x) ** beta))


def pdf(x, beta):
    return lax.exp(logpdf(x, beta))


# Names jax.scipy.stats.gennorm has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.gennorm", __name__)
