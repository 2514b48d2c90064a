"""Operators and methods shared by `mlax.Array` and `Tracer`, attached once at import."""
from __future__ import annotations

from mlax.core import ShapedArray
from mlax.runtime import Array
from mlax.tracing import Tracer

from mlax.numpy._shapes import ravel, reshape, squeeze, swapaxes, transpose
from mlax.numpy._creation import astype, diagonal
from mlax.numpy._ufuncs import (abs, add, bitwise_and, bitwise_or, bitwise_xor, clip, conj, equal,
                                floor_divide, greater, greater_equal, imag, invert, left_shift,
                                less, less_equal, multiply, negative, not_equal, positive, power,
                                real, remainder, right_shift, round, subtract, true_divide)
from mlax.numpy._reductions import (all, any, argmax, argmin, cumprod, cumsum, max, mean, min,
                                    prod, ptp, std, sum, var)
from mlax.numpy._index_routines import choose, compress, nonzero, take
from mlax.numpy._sorting import argpartition, argsort, searchsorted, sort
from mlax.numpy._rearrange import repeat
from mlax.numpy._products import dot, matmul, trace
from mlax.numpy import _indexing


def _operator_round(number, ndigits=None):
    """`round(x)` / `round(x, n)`: as Python's for a float, no `ndigits` gives an integer
    array (JAX's)."""
    out = round(number, decimals=ndigits or 0)
    return out.astype(int) if ndigits is None else out


_BINARY = {
    "add": add, "sub": subtract, "mul": multiply, "truediv": true_divide,
    "floordiv": floor_divide, "mod": remainder, "pow": power,
    "matmul": matmul, "and": bitwise_and, "or": bitwise_or, "xor": bitwise_xor,
    "lshift": left_shift, "rshift": right_shift,
}

_METHODS = {
    "__neg__": negative, "__pos__": positive, "__abs__": abs, "__round__": _operator_round,
    "__invert__": invert,
    "__eq__": equal, "__ne__": not_equal, "__lt__": less, "__le__": less_equal,
    "__gt__": greater, "__ge__": greater_equal,
    "__getitem__": _indexing.getitem,
    "sum": sum, "mean": mean, "std": std, "var": var, "max": max,
    "min": min, "prod": prod, "argmax": argmax, "argmin": argmin,
    "any": any, "all": all, "ravel": ravel, "flatten": ravel,
    "squeeze": squeeze, "swapaxes": swapaxes, "dot": dot, "clip": clip,
    "round": round, "astype": astype,
    "cumsum": cumsum, "cumprod": cumprod, "sort": sort, "argsort": argsort,
    "take": take, "repeat": repeat, "nonzero": nonzero, "trace": trace,
    "diagonal": diagonal, "conj": conj, "conjugate": conj, "ptp": ptp,
    "searchsorted": searchsorted, "compress": lambda self, c, axis=None: compress(c, self, axis),
    "choose": lambda self, choices, mode="raise": choose(self, choices, mode=mode),
    "argpartition": argpartition,
}


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], int):
        shape = shape[0]
    return reshape(self, shape)


def _transpose(self, *axes):
    if len(axes) == 1 and not isinstance(axes[0], int):
        axes = axes[0]
    return transpose(self, axes or None)


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
    cls.T = property(lambda self: transpose(self))
    cls.mT = property(lambda self: swapaxes(self, -1, -2))
    cls.at = property(lambda self: _indexing._IndexUpdateHelper(self))
    cls.real = property(lambda self: real(self))
    cls.imag = property(lambda self: imag(self))


_attach(Array)
_attach(Tracer)
# A concrete array's abstract value, as a Tracer's (`x.aval`, as in JAX).
Array.aval = property(lambda self: ShapedArray(self.shape, self.dtype, self.weak_type))
