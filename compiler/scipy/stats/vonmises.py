# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/vonmises.py (jax 0.10.2).
"""The von Mises distribution (jax.scipy.stats.vonmises)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, kappa):
    x, kappa = promote_args_inexact(x, kappa)
    return jnp.where(kappa > 0,
                     kappa * (jnp.cos(x) - 1) - jnp.log(2 * np.pi * lax.bessel_i0e(kappa)), np.nan)


def pdf(x, kappa):
    return lax.exp(logpdf(x, kappa))


# Names jax.scipy.stats.vonmises has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.vonmises", __name__)
