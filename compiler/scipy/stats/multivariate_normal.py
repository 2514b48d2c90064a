"""The multivariate normal distribution (jax.scipy.stats.multivariate_normal)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.numpy._util import _float_args


def _solve_lower(L, b):
    """y with L y = b, L lower triangular (n, n), b a vector: forward substitution."""
    n = L.shape[0]
    ridx = lax.iota(np.int32, n)

    def step(k, y):
        row = jnp.take(L, k, axis=0, mode="clip")
        done = jnp.where(ridx < k, row, 0.0) @ y
        yk = (jnp.take(b, k, mode="clip") - done) / jnp.take(row, k, mode="clip")
        return jnp.where(ridx == k, yk, y)
    return lax.fori_loop(0, n, step, jnp.zeros_like(b))


def logpdf(x, mean, cov, allow_singular=None):
    if allow_singular is not None:
        raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
    x, mean, cov = _float_args(x, mean, cov)
    if not mean.shape:
        return (-1 / 2 * jnp.square(x - mean) / cov
                - 1 / 2 * (jnp.log(2 * np.pi) + jnp.log(cov)))
    n = mean.shape[-1]
    if not np.shape(cov):
        y = x - mean
        return (-1 / 2 * jnp.einsum("...i,...i->...", y, y) / cov
                - n / 2 * (jnp.log(2 * np.pi) + jnp.log(cov)))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ValueError("multivariate_normal.logpdf got incompatible shapes")
    L = jnp.linalg.cholesky(cov)
    y = jnp.vectorize(_solve_lower, signature="(n,n),(n)->(n)")(L, x - mean)
    return (-1 / 2 * jnp.einsum("...i,...i->...", y, y) - n / 2 * jnp.log(2 * np.pi)
            - jnp.log(jnp.diagonal(L, axis1=-1, axis2=-2)).sum(-1))


def pdf(x, mean, cov):
    return jnp.exp(logpdf(x, mean, cov))


# Names jax.scipy.stats.multivariate_normal has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.multivariate_normal", __name__)
