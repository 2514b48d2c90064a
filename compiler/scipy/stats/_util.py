"""Argument handling shared by the distributions of mlax.scipy.stats."""
from __future__ import annotations

from mlax import lax
from mlax import numpy as jnp
from mlax.numpy._util import _float_args
from mlax.numpy._shapes import _broadcast


def promote_args_inexact(*args):
    """The arguments at their common floating dtype (integers and bools become the default
    float) and broadcast to one shape, as JAX's `promote_args_inexact` leaves them for lax
    ops. Lists are refused, as in JAX."""
    return _broadcast(*_float_args(*args))


def clamp(lo, x, hi):
    """lax.clamp with scalar bounds (JAX's distributions clamp with lax, whose derivative
    differs from jnp.clip's at the bounds)."""
    return lax.clamp(jnp.full_like(x, lo), x, jnp.full_like(x, hi))
