"""Abstract values, JAX's dtype rules, the user-facing errors, the trace stack and the
bounded caches of compiled functions: what every part of the front end shares.
(`bind`, the entry point of every primitive, is in mlax.dispatch.)"""
from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field

import numpy as np

from mlax.dialects import TensorSpec, short_dtype_name
from mlax.runtime.dtypes import bfloat16, dtype_kind

from mlax.runtime.config import config  # noqa: F401  (mlax.core.config, as before)



class LRU:
    """A bounded cache of compiled functions: past the bound set by the config option
    `size_option`, the least recently used entries are dropped (`on_evict(value)` is called
    for each). Safe to use from several threads: a lock guards the bookkeeping only."""

    def __init__(self, size_option: str, on_evict=None):
        self.size_option = size_option
        self.on_evict = on_evict
        self._data = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            # One hash of the key (jit keys hash pytree structures in Python): move it to
            # the end, then read the last value.
            try:
                self._data.move_to_end(key)
            except KeyError:
                return default
            return next(reversed(self._data.values()))

    def put(self, key, value):
        bound = config.read(self.size_option)
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            dropped = [self._data.popitem(last=False)[1]
                       for _ in range(len(self._data) - bound)]
        if self.on_evict is not None:
            for v in dropped:
                self.on_evict(v)

    def clear(self):
        with self._lock:
            dropped = list(self._data.values())
            self._data.clear()
        if self.on_evict is not None:
            for v in dropped:
                self.on_evict(v)

    def __len__(self):
        return len(self._data)


# ---------------------------------------------------------------------------------------
# dtypes

_X64_NARROW = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.int64): np.dtype(np.int32),
               np.dtype(np.uint64): np.dtype(np.uint32),
               np.dtype(np.complex128): np.dtype(np.complex64)}
SUPPORTED = {np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                    np.uint16, np.uint32, np.uint64, np.float16, np.float32,
                                    np.float64, np.complex64, np.complex128, bfloat16)}


def canonicalize_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in SUPPORTED:
        if not dtype.isnative and dtype.newbyteorder("=") in SUPPORTED:
            # JAX refuses these too; the name alone ("float32") would hide the difference.
            raise TypeError(f"mlax does not support dtype {dtype.str} ({dtype.name} in "
                            "non-native byte order), as JAX does not: convert the array with "
                            f".astype(numpy.{dtype.name})")
        raise TypeError(f"mlax does not support dtype {dtype.name}")
    if not config.x64_enabled:
        return _X64_NARROW.get(dtype, dtype)
    return dtype


def default_float():
    return np.dtype(np.float64 if config.x64_enabled else np.float32)


def default_int():
    return np.dtype(np.int64 if config.x64_enabled else np.int32)


def default_complex():
    return np.dtype(np.complex128 if config.x64_enabled else np.complex64)


def _category(dtype):
    return {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}[dtype_kind(dtype)]


def _complex_of(dtype) -> np.dtype:
    """The complex dtype whose parts have (at least) float `dtype`'s precision."""
    return np.dtype(np.complex128 if np.dtype(dtype).itemsize == 8 else np.complex64)


def promote_types(a, b, canonical=True) -> np.dtype:
    """JAX's promotion of two strong dtypes (ints and floats meet at the float, floats and
    complex numbers at the complex type with the wider parts), narrowed to 32 bits with x64
    off unless `canonical` is false (as jnp.promote_types answers)."""
    fix = canonicalize_dtype if canonical else np.dtype
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if {ca, cb} == {2, 3}:
        return fix(np.promote_types(_complex_of(a if ca == 2 else b), a if ca == 3 else b))
    if ca != cb:
        hi = a if ca > cb else b
        return fix(hi)
    if bfloat16 in (a, b):       # NumPy knows no promotion of ml_dtypes' bfloat16
        other = b if a == bfloat16 else a
        return fix(np.dtype(np.float32) if other.itemsize <= 2 else other)
    out = np.promote_types(a, b)
    if out.kind in "iu" and out.itemsize > max(a.itemsize, b.itemsize):
        return canonicalize_dtype(out)   # JAX narrows the int64 that mixed signs create
    return fix(out)


def result_type(*avals) -> tuple[np.dtype, bool]:
    """(dtype, weak_type) of combining values, as jax.numpy does with weak Python scalars."""
    strong = [a for a in avals if not a.weak_type]
    weak = [a for a in avals if a.weak_type]
    if config.values["jax_numpy_dtype_promotion"] == "strict":
        _check_strict_promotion(avals, strong, weak)
    if not strong:
        cat = max(_category(a.dtype) for a in weak)
        dtype = {0: np.dtype(np.bool_), 1: default_int(), 2: default_float(),
                 3: default_complex()}[cat]
        return dtype, cat != 0
    dtype = strong[0].dtype
    for a in strong[1:]:
        dtype = promote_types(dtype, a.dtype)
    wcat = max((_category(a.dtype) for a in weak), default=-1)
    if wcat == 3 and _category(dtype) == 2:
        return canonicalize_dtype(_complex_of(dtype)), False
    if wcat > _category(dtype):
        return ({1: default_int(), 2: default_float(), 3: default_complex()}[wcat]), False
    return dtype, False


_PYTHON_TYPE_OF_KIND = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}


def _check_strict_promotion(avals, strong, weak):
    """JAX's 'strict' dtype promotion: strong dtypes must agree, and a weak (Python)
    scalar may only join a dtype of its own kind or a higher one (1 into float32, not
    1.0 into int32)."""
    dtypes = {np.dtype(a.dtype) for a in strong}
    ok = len(dtypes) <= 1
    if ok and dtypes and weak:
        ok = max(_category(a.dtype) for a in weak) <= _category(next(iter(dtypes)))
    if not ok:
        names = tuple(f"<class '{_PYTHON_TYPE_OF_KIND[dtype_kind(a.dtype)]}'>"
                      if a.weak_type else np.dtype(a.dtype).name for a in avals)
        raise TypePromotionError(
            f"Input dtypes {names} have no available implicit dtype promotion path when "
            "jax_numpy_dtype_promotion=strict. Try explicitly casting inputs to the desired "
            "output type, or set jax_numpy_dtype_promotion=standard.")


class AbstractValue:
    """Base of abstract values (`jax.core.AbstractValue`)."""


@dataclass(frozen=True)
class ShapedArray(AbstractValue):
    """Shape, dtype and JAX's weak-type bit of an array value; `sharding`, where known
    (`typeof` of a concrete array), how it is laid out, which equality ignores."""
    shape: tuple
    dtype: np.dtype
    weak_type: bool = False
    sharding: object = field(default=None, compare=False, repr=False)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def spec(self):
        return TensorSpec(self.shape, self.dtype)

    def str_short(self, short_dtypes=True):
        name = short_dtype_name(self.dtype) if short_dtypes else np.dtype(self.dtype).name
        return f"{name}[{','.join(map(str, self.shape))}]"

    def __str__(self):
        """JAX's spelling (`jax.typeof(x)` prints it): `float32[3]`, `~float32[]` if weak."""
        return f"{'~' if self.weak_type else ''}{self.dtype.name}[{','.join(map(str, self.shape))}]"

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapedArray({self.dtype.name}[{','.join(map(str, self.shape))}]{weak})"


def aval_of_python_scalar(x) -> ShapedArray:
    if isinstance(x, (bool, np.bool_)):
        return ShapedArray((), np.dtype(np.bool_), False)
    if isinstance(x, int):
        return ShapedArray((), default_int(), True)
    if isinstance(x, float):
        return ShapedArray((), default_float(), True)
    if isinstance(x, complex):
        return ShapedArray((), default_complex(), True)
    raise TypeError(f"unsupported Python scalar {x!r}")


def is_python_scalar(x):
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


# ---------------------------------------------------------------------------------------
# Errors


class MlaxError(Exception):
    """Base class of mlax's user-facing errors."""


class JAXTypeError(MlaxError, TypeError):
    """Base of the TypeErrors JAX names (`jax.errors.JAXTypeError`)."""


class JAXIndexError(MlaxError, IndexError):
    """Base of the IndexErrors JAX names (`jax.errors.JAXIndexError`)."""


class ConcretizationTypeError(JAXTypeError):
    pass


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(ConcretizationTypeError):
    pass


class TracerArrayConversionError(ConcretizationTypeError):
    """A traced value converted to a NumPy array (`np.asarray(tracer)`)."""


class UnexpectedTracerError(JAXTypeError):
    """A traced value used after the function it was traced in returned."""


class NonConcreteBooleanIndexError(JAXIndexError):
    pass


class JaxRuntimeError(MlaxError, RuntimeError):
    """An error found while running compiled code (`jax.errors.JaxRuntimeError`)."""


class TypePromotionError(MlaxError, ValueError):
    """An implicit dtype promotion that `jax_numpy_dtype_promotion='strict'` forbids
    (`jax.dtypes.TypePromotionError`)."""


# ---------------------------------------------------------------------------------------
# bind

_state = threading.local()


def trace_stack():
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


def check_frames():
    """The active `checkify` frames of this thread, innermost last (mlax.experimental.
    checkify): `bind` gives each op emitted into a frame's trace to it."""
    if not hasattr(_state, "check_frames"):
        _state.check_frames = []
    return _state.check_frames


def axis_env():
    """The named mapped axes being traced, innermost last: (name, size, index) where
    `index` is the tracer of the member's position on the axis (vmap(axis_name=...))."""
    if not hasattr(_state, "axes"):
        _state.axes = []
    return _state.axes
