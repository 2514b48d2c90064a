"""The Poisson distribution (jax.scipy.stats.poisson)."""
from __future__ import annotations

import numpy as np

from mlax import numpy as jnp
from mlax.numpy._util import _float_args
from mlax.api import jit
from mlax.scipy.special import entr, gammaincc, gammaln, xlogy
from mlax.scipy.stats._util import promote_args_inexact


def logpmf(k, mu, loc=0):
    k, mu, loc = promote_args_inexact(k, mu, loc)
    x = k - loc
    log_probs = xlogy(x, mu) - gammaln(x + 1) - mu
    return jnp.where((x < 0) | (jnp.round(k) != k), -np.inf, log_probs)


def pmf(k, mu, loc=0):
    return jnp.exp(logpmf(k, mu, loc))


def cdf(k, mu, loc=0):
    k, mu, loc = promote_args_inexact(k, mu, loc)
    x = k - loc
    p = gammaincc(jnp.floor(1 + x), mu)
    return jnp.where(x < 0, jnp.zeros_like(p), p)


def _entropy_truncated_sum(mu, max_k, upper_bounds):
    """-sum p log p over k < upper_bounds (at most max_k terms, a static bound)."""
    k = jnp.arange(max_k, dtype=mu.dtype)[:, None]
    probs = pmf(k, mu, 0)
    mask = k < upper_bounds[None, :]
    return jnp.sum(entr(jnp.where(mask, probs, 0.0)), axis=0)


@jit
def entropy(mu, loc=0):
    """The entropy, as JAX computes it: an explicit sum for mu < 100, the asymptotic
    expansion beyond (loc shifts the distribution and does not change it)."""
    mu, loc = _float_args(mu, loc)
    shape = jnp.broadcast_shapes(mu.shape, loc.shape)
    flat = jnp.ravel(mu)
    small = _entropy_truncated_sum(flat, 35, jnp.ceil(flat + 20).astype(flat.dtype))
    medium = _entropy_truncated_sum(flat, 250, jnp.ceil(flat + 10 * jnp.sqrt(flat) + 20)
                                    .astype(flat.dtype))
    large = 0.5 * jnp.log(2 * np.pi * np.e * flat) - 1.0 / (12 * flat)
    result = jnp.where(flat == 0, jnp.zeros_like(flat),
                       jnp.where(flat < 10, small, jnp.where(flat < 100, medium, large)))
    return jnp.broadcast_to(jnp.reshape(result, mu.shape), shape)


# Names jax.scipy.stats.poisson has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.poisson", __name__)
