"""Operators and methods shared by `mlax.Array` and `Tracer`, attached once at import."""
from __future__ import annotations

from mlax import numpy as jnp
from mlax.numpy import _indexing
from mlax.runtime import Array
from mlax.tracing import Tracer


_BINARY = {
    "add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "truediv": jnp.true_divide,
    "floordiv": jnp.floor_divide, "mod": jnp.remainder, "pow": jnp.power,
    "matmul": jnp.matmul, "and": jnp.bitwise_and, "or": jnp.bitwise_or, "xor": jnp.bitwise_xor,
    "lshift": jnp.left_shift, "rshift": jnp.right_shift,
}

_METHODS = {
    "__neg__": jnp.negative, "__pos__": jnp.positive, "__abs__": jnp.abs,
    "__invert__": jnp.invert,
    "__eq__": jnp.equal, "__ne__": jnp.not_equal, "__lt__": jnp.less, "__le__": jnp.less_equal,
    "__gt__": jnp.greater, "__ge__": jnp.greater_equal,
    "__getitem__": _indexing.getitem,
    "sum": jnp.sum, "mean": jnp.mean, "std": jnp.std, "var": jnp.var, "max": jnp.max,
    "min": jnp.min, "prod": jnp.prod, "argmax": jnp.argmax, "argmin": jnp.argmin,
    "any": jnp.any, "all": jnp.all, "ravel": jnp.ravel, "flatten": jnp.ravel,
    "squeeze": jnp.squeeze, "swapaxes": jnp.swapaxes, "dot": jnp.dot, "clip": jnp.clip,
    "round": jnp.round, "astype": jnp.astype,
    "cumsum": jnp.cumsum, "cumprod": jnp.cumprod, "sort": jnp.sort, "argsort": jnp.argsort,
    "take": jnp.take, "repeat": jnp.repeat, "nonzero": jnp.nonzero, "trace": jnp.trace,
    "diagonal": jnp.diagonal, "conj": jnp.conj, "conjugate": jnp.conj, "ptp": jnp.ptp,
    "searchsorted": jnp.searchsorted, "compress": lambda self, c, axis=None: jnp.compress(c, self, axis),
    "choose": lambda self, choices, mode="raise": jnp.choose(self, choices, mode=mode),
    "argpartition": jnp.argpartition,
}


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return jnp.reshape(self, shape)


def _transpose(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    return jnp.transpose(self, axes or None)


# The names _attach sets (mlax.runtime.array lists them too: its stand-ins).
ATTACHED = ([f"__{p}{n}__" for n in _BINARY for p in ("", "r")] + list(_METHODS)
            + ["reshape", "transpose", "T", "mT", "at", "real", "imag"])


def _attach(cls):
    for name, f in _BINARY.items():
        setattr(cls, f"__{name}__", lambda self, other, f=f: f(self, other))
        setattr(cls, f"__r{name}__", lambda self, other, f=f: f(other, self))
    for name, f in _METHODS.items():
        setattr(cls, name, f)
    cls.reshape = _reshape
    cls.transpose = _transpose
    cls.T = property(lambda self: jnp.transpose(self))
    cls.mT = property(lambda self: jnp.swapaxes(self, -1, -2))
    cls.at = property(lambda self: _indexing._IndexUpdateHelper(self))
    cls.real = property(lambda self: jnp.real(self))
    cls.imag = property(lambda self: jnp.imag(self))


_attach(Array)
_attach(Tracer)
