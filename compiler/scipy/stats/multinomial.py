# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/stats/multinomial.py (jax 0.10.2).
"""The multinomial distribution (jax.scipy.stats.multinomial)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.numpy._util import _float_args, _promote
from mlax.scipy.special import gammaln, xlogy


def logpmf(x, n, p):
    p, = _float_args(p)
    x, n = _promote(jnp.asarray(x), jnp.asarray(n))
    if not jnp.issubdtype(x.dtype, np.integer):
        raise ValueError(f"x and n must be of integer type; got x.dtype={x.dtype}, n.dtype={n.dtype}")
    x = x.astype(p.dtype)
    n = n.astype(p.dtype)
    logprobs = gammaln(n + 1) + jnp.sum(xlogy(x, p) - gammaln(x + 1), axis=-1)
    return jnp.where(jnp.equal(jnp.sum(x), n), logprobs, -np.inf)


def pmf(x, n, p):
    return lax.exp(logpmf(x, n, p))


# Names jax.scipy.stats.multinomial has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.multinomial", __name__)
