"""mlax.random: JAX's explicit-key PRNG, bit for bit.

Keys and the threefry2x32 hash are in mlax.prng (`PRNGKey`, `key`, `split`, `fold_in`,
... are re-exported here); the samplers drawing directly from bits are in mlax.random_core,
the distributions composed from them in mlax.random_distributions; this module is the
public namespace. Every sampler derives its
random bits by hashing counters with threefry2x32, exactly as JAX's default
implementation does, and draws from the same keys in the same order. The transcendental
functions on the samplers' paths are XLA's CPU algorithms (`lax.xla_log`, `xla_log1p`,
`xla_erf`, `erf_inv`, and `lax.fma` where XLA fuses a multiply-add), so keys, bits,
`uniform`, `normal`, `truncated_normal`, `exponential`, `gumbel` and the samplers built
only on them are bit-identical to JAX's for the same seed; the rest (through `exp`, `pow`,
reductions) agree to a few ulps. docs/design.md lists which is which.

Samplers are jitted internally (static shape and dtype), so an eager call compiles once per
signature and runs as one executable; under a trace they become a nested function.
"""
from __future__ import annotations

from mlax import api_names as _api_names
from mlax.prng import (KeyDType, PRNGKey, PRNGKeyArray, clone, fold_in, key, key_data,  # noqa: F401
                       key_impl, split, threefry_2x32, wrap_key_data)
from mlax.random_core import (bernoulli, bits, categorical, choice, exponential, gumbel, normal,
                              permutation, randint, shuffle, truncated_normal, uniform)  # noqa: F401
from mlax.random_distributions import (ball, beta, binomial, cauchy, chisquare, dirichlet,
                                       double_sided_maxwell, f, gamma, generalized_normal,
                                       geometric, laplace, loggamma, logistic, lognormal, maxwell,
                                       multinomial, multivariate_normal, orthogonal, pareto,
                                       poisson, rademacher, rayleigh, t, triangular, wald,
                                       weibull_min)  # noqa: F401

__all__ = ["PRNGKey", "key", "key_data", "wrap_key_data", "key_impl", "clone", "split",
           "fold_in", "bits", "uniform", "normal", "bernoulli", "randint", "choice",
           "permutation", "shuffle", "categorical", "truncated_normal", "gumbel",
           "exponential", "threefry_2x32", "PRNGKeyArray", "laplace", "logistic", "cauchy",
           "rademacher", "pareto", "weibull_min", "maxwell", "double_sided_maxwell",
           "rayleigh", "wald", "geometric", "triangular", "lognormal", "multivariate_normal",
           "orthogonal", "gamma", "loggamma", "beta", "dirichlet", "chisquare", "f", "t",
           "generalized_normal", "ball", "key_dtype", "poisson", "binomial",
           "multinomial"]


def key_dtype(impl=None):
    """The dtype of typed keys: mlax implements only threefry2x32 (`key<fry>`)."""
    if impl not in (None, "threefry2x32"):
        raise NotImplementedError(f"random.key_dtype: PRNG implementation {impl!r}; mlax "
                                  "implements only 'threefry2x32'.")
    return KeyDType()


# Names jax.random has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
__getattr__ = _api_names.module_getattr("jax.random", __name__)
