"""Student's t distribution (jax.scipy.stats.t)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.scipy.stats._util import promote_args_inexact


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_args_inexact(x, df, loc, scale)
    scaled_x = (x - loc) / scale
    df_over_two = df / 2
    df_plus_one_over_two = df_over_two + 0.5
    normalize_term_const = scale * scale * np.asarray(np.pi, x.dtype)
    normalize_term_tmp = jnp.log(normalize_term_const * df) / 2
    normalize_term = (lax.lgamma(df_over_two) + normalize_term_tmp) - lax.lgamma(df_plus_one_over_two)
    quadratic = scaled_x * scaled_x / df
    return -(normalize_term + df_plus_one_over_two * jnp.log1p(quadratic))


def pdf(x, df, loc=0, scale=1):
    return jnp.exp(logpdf(x, df, loc, scale))


# Names jax.scipy.stats.t has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.stats.t", __name__)
