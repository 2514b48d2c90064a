"""Host-side input and output as jax.numpy offers it: NumPy's file and buffer readers with
their results made mlax arrays, and NumPy's print options (which mlax arrays print with)."""
from __future__ import annotations

import numpy as _np

from mlax.numpy._creation import asarray

printoptions = _np.printoptions
get_printoptions = _np.get_printoptions
set_printoptions = _np.set_printoptions
save = _np.save
savez = _np.savez


def load(file, *args, **kwargs):
    """np.load, with an array result made an mlax array (an .npz archive is returned as is)."""
    out = _np.load(file, *args, **kwargs)
    if isinstance(out, _np.ndarray):
        return asarray(out) if out.dtype != object else out
    return out


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return asarray(_np.frombuffer(buffer=buffer, dtype=dtype, count=count, offset=offset))


def fromstring(string, dtype=float, count=-1, *, sep):
    return asarray(_np.fromstring(string=string, dtype=dtype, count=count, sep=sep))


def fromiter(*args, **kwargs):
    raise NotImplementedError(
        "jnp.fromiter() is not implemented because it may be non-pure and thus unsafe for use "
        "with JIT and other JAX transformations. Consider using jnp.asarray(np.fromiter(...)) "
        "instead, and if you need to use this inside a JIT, use a pure_callback.")


def fromfile(*args, **kwargs):
    raise NotImplementedError(
        "jnp.fromfile() is not implemented because it may be non-pure and thus unsafe for use "
        "with JIT and other JAX transformations. If you need to read a file, use "
        "jnp.asarray(np.fromfile(...)).")
