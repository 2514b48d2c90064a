"""Abstract values, JAX's dtype rules, and `bind`: the one entry point of every primitive.

`bind("mlax.add", x, y)` emits an op when an operand is a Tracer (inside jit, grad, vmap,
make_ir) and otherwise runs the op at once through a compiled one-op function, cached per
op, attributes and operand types: un-jitted code runs op by op, as in JAX.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from mlax.dialects import TensorSpec, short_dtype_name

# ---------------------------------------------------------------------------------------
# Configuration


class Config:
    """`mlax.config.update("jax_enable_x64", True)` as in JAX."""

    def __init__(self):
        self.values = {"jax_enable_x64": False, "compilation_cache_dir": None,
                       "jax_platform_name": "cpu", "jax_threefry_partitionable": True}

    def update(self, name, value):
        key = name if name in self.values else f"jax_{name}"
        if key not in self.values:
            raise KeyError(f"unknown mlax config option {name!r}")
        self.values[key] = value

    def read(self, name):
        return self.values[name]

    @property
    def x64_enabled(self):
        return self.values["jax_enable_x64"]

    # JAX spells these as attributes too.
    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)


config = Config()

# ---------------------------------------------------------------------------------------
# dtypes

_X64_NARROW = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.int64): np.dtype(np.int32),
               np.dtype(np.uint64): np.dtype(np.uint32)}
SUPPORTED = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                    np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                                    np.float64)}


def canonicalize_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.byteorder not in "=|":   # big-endian data is converted to native order
        dtype = dtype.newbyteorder("=")
    if dtype not in SUPPORTED:
        raise TypeError(f"mlax does not support dtype {dtype.name}")
    if not config.x64_enabled:
        return _X64_NARROW.get(dtype, dtype)
    return dtype


def default_float():
    return np.dtype(np.float64 if config.x64_enabled else np.float32)


def default_int():
    return np.dtype(np.int64 if config.x64_enabled else np.int32)


def _category(dtype):
    return {"b": 0, "i": 1, "u": 1, "f": 2}[np.dtype(dtype).kind]


def promote_types(a, b) -> np.dtype:
    """JAX's promotion of two strong dtypes (ints and floats meet at the float)."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi = a if ca > cb else b
        return canonicalize_dtype(hi)
    return canonicalize_dtype(np.promote_types(a, b))


def result_type(*avals) -> tuple[np.dtype, bool]:
    """(dtype, weak_type) of combining values, as jax.numpy does with weak Python scalars."""
    strong = [a for a in avals if not a.weak_type]
    weak = [a for a in avals if a.weak_type]
    if not strong:
        cat = max(_category(a.dtype) for a in weak)
        dtype = {0: np.dtype(np.bool_), 1: default_int(), 2: default_float()}[cat]
        return dtype, cat != 0
    dtype = strong[0].dtype
    for a in strong[1:]:
        dtype = promote_types(dtype, a.dtype)
    wcat = max((_category(a.dtype) for a in weak), default=-1)
    if wcat > _category(dtype):
        return ({1: default_int(), 2: default_float()}[wcat]), False
    return dtype, False


@dataclass(frozen=True)
class ShapedArray:
    """Shape, dtype and JAX's weak-type bit of an array value."""
    shape: tuple
    dtype: np.dtype
    weak_type: bool = False

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def spec(self):
        return TensorSpec(self.shape, self.dtype)

    def str_short(self):
        return f"{short_dtype_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __str__(self):
        return self.str_short()


def aval_of_python_scalar(x) -> ShapedArray:
    if isinstance(x, (bool, np.bool_)):
        return ShapedArray((), np.dtype(np.bool_), False)
    if isinstance(x, int):
        return ShapedArray((), default_int(), True)
    if isinstance(x, float):
        return ShapedArray((), default_float(), True)
    raise TypeError(f"unsupported Python scalar {x!r}")


def is_python_scalar(x):
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


# ---------------------------------------------------------------------------------------
# Errors


class MlaxError(Exception):
    """Base class of mlax's user-facing errors."""


class ConcretizationTypeError(MlaxError, TypeError):
    pass


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(ConcretizationTypeError):
    pass


class NonConcreteBooleanIndexError(MlaxError, IndexError):
    pass


# ---------------------------------------------------------------------------------------
# bind

_state = threading.local()


def trace_stack():
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


def bind(name: str, *operands, **attrs):
    """Apply primitive `name`: emit it into the current trace, or run it now.

    Operands are Tracers, Arrays or NumPy arrays of the exact types the op requires (the
    numpy layer does broadcasting and promotion). Returns one value or a list when the op
    has several results."""
    from mlax import tracing
    trace = tracing.find_trace(operands)
    if trace is not None:
        outs = trace.emit(name, operands, attrs)
    else:
        from mlax import eager
        outs = eager.run(name, operands, attrs)
    return outs[0] if len(outs) == 1 else outs
