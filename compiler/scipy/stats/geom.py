# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/geom.py (jax 0.10.2).
"""The geometric distribution (jax.scipy.stats.geom)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.special import xlog1py
from mlax.scipy.stats._util import promote_args_inexact


def logpmf(k, p, loc=0):
    k, p, loc = promote_args_inexact(k, p, loc)
    x = k - loc
    log_probs = xlog1py(x - 1, -p) + lax.log(p)
    return jnp.where(x <= 0, -np.inf, log_probs)


def pmf(k, p, loc=0):
    return jnp.exp(logpmf(k, p, loc))


# Names jax.scipy.stats.geom has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.geom", __name__)
