"""mlax.scipy.stats: probability distributions as in jax.scipy.stats.

Each distribution is a module of functions (`norm.logpdf(x, loc, scale)`, ...) with JAX's
signatures and formulas, built from mlax.numpy and mlax.scipy.special, so they run eagerly
and under jit, grad and vmap."""
from mlax.scipy.stats import (bernoulli, beta, betabinom, binom, cauchy, chi2,  # noqa: F401
                              dirichlet, expon, gamma, gennorm, geom, gumbel_l, gumbel_r,
                              laplace, logistic, multinomial, multivariate_normal, nbinom, norm,
                              pareto, poisson, t, truncnorm, uniform, vonmises, wrapcauchy)
from mlax.scipy.stats._core import mode, rankdata, sem  # noqa: F401
from mlax.scipy.stats._kde import gaussian_kde  # noqa: F401


# Names jax.scipy.stats has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats", __name__)
