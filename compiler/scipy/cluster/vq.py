# Copyright The JAX Authors. Licensed under the Apache License, Version 2.0.
# Ported to mlax from jax/_src/scipy/cluster/vq.py (jax 0.10.2).
"""Vector quantization (jax.scipy.cluster.vq.vq)."""
from __future__ import annotations

import operator

from mlax import numpy as jnp
from mlax.batching import vmap
from mlax.numpy._util import _float_args


def vq(obs, code_book, check_finite=True):
    """The index of each observation's nearest code and the Euclidean distance to it."""
    obs, code_book = _float_args(obs, code_book)
    if obs.ndim != code_book.ndim:
        raise ValueError("Observation and code_book should have the same rank")
    if obs.ndim == 1:
        obs, code_book = obs[..., None], code_book[..., None]
    if obs.ndim != 2:
        raise ValueError("ndim different than 1 or 2 are not supported")
    dist = vmap(lambda ob: jnp.linalg.norm(ob[None] - code_book, axis=-1))(obs)
    code = jnp.argmin(dist, axis=-1)
    dist_min = vmap(operator.getitem)(dist, code)
    return code, dist_min


# Names jax.scipy.cluster.vq has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.cluster.vq", __name__)
