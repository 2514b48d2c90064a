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


def _complex_of(dtype) -> np.dtype:
    """The complex dtype whose parts have (at least) float `dtype`'s precision."""
    return np.dtype(np.complex128 if np.dtype(dtype).itemsize == 8 else np.complex64)


# JAX's type promotion lattice (jax/_src/dtypes.py): each node maps to the nodes just above
# it. Strong types are dtypes; the weak types of Python scalars are the types int, float
# and complex, each just above the strong types of the kind below it, so `int32 * 2.0` is
# a weak float and `weak float * float16` is float16.
_D = np.dtype
_B1 = _D(np.bool_)
_U8, _U16, _U32, _U64 = map(_D, (np.uint8, np.uint16, np.uint32, np.uint64))
_I8, _I16, _I32, _I64 = map(_D, (np.int8, np.int16, np.int32, np.int64))
_BF16, _F16, _F32, _F64 = _D(bfloat16), _D(np.float16), _D(np.float32), _D(np.float64)
_C64, _C128 = _D(np.complex64), _D(np.complex128)
_WEAK_TYPES = (int, float, complex)


def _lattice(strict: bool, x64: bool) -> dict:
    if strict:
        ints = [_U8, _U16, _U32, _U64, _I8, _I16, _I32, _I64]
        floats, complexes = [_BF16, _F16, _F32, _F64], [_C64, _C128]
        return {int: [float] + ints, float: [complex] + floats, complex: complexes,
                **{t: [] for t in [_B1] + ints + floats + complexes}}
    return {_B1: [int], int: [_U8, _I8], _U8: [_I16, _U16], _U16: [_I32, _U32],
            # Without x64, uint32 meets int32 at int32: no 64-bit type from 32-bit inputs.
            _U32: [_I64, _U64] if x64 else [_I32, _U64], _U64: [float],
            _I8: [_I16], _I16: [_I32], _I32: [_I64], _I64: [float],
            float: [_BF16, _F16, complex], _BF16: [_F32], _F16: [_F32], _F32: [_F64, _C64],
            _F64: [_C128], complex: [_C64], _C64: [_C128], _C128: []}


_UPPER_BOUNDS = {}


def _upper_bounds(strict: bool, x64: bool) -> dict:
    """node -> every node at or above it, for one lattice."""
    key = (strict, x64)
    if key not in _UPPER_BOUNDS:
        lattice = _lattice(strict, x64)
        bounds = {}
        for node in lattice:
            above, todo = {node}, [node]
            while todo:
                for up in lattice[todo.pop()]:
                    if up not in above:
                        above.add(up)
                        todo.append(up)
            bounds[node] = above
        _UPPER_BOUNDS[key] = bounds
    return _UPPER_BOUNDS[key]


def _node_name(n):
    return str(n) if isinstance(n, type) else n.name


def _least_upper_bound(*nodes):
    """The least common upper bound of lattice nodes, as JAX computes it."""
    strict = config.values["jax_numpy_dtype_promotion"] == "strict"
    ub = _upper_bounds(strict, config.x64_enabled)
    nodes = list(dict.fromkeys(nodes))
    common = set.intersection(*[ub[n] for n in nodes])
    least = (common & set(nodes)) or {c for c in common if common <= ub[c]}
    if len(least) == 1:
        return least.pop()
    names = tuple(_node_name(n) for n in nodes)
    if strict:
        raise TypePromotionError(
            f"Input dtypes {names} have no available implicit dtype promotion path when "
            "jax_numpy_dtype_promotion=strict. Try explicitly casting inputs to the desired "
            "output type, or set jax_numpy_dtype_promotion=standard.")
    raise TypePromotionError(f"Input dtypes {names} have no available implicit dtype promotion "
                             "path. Try explicitly casting inputs to the desired output type.")


def _node(dtype, weak):
    """The lattice node of a dtype and weak bit (a weak bool is bool)."""
    dtype = np.dtype(dtype)
    if weak and dtype != _B1:
        return {"i": int, "u": int, "f": float, "c": complex}[dtype_kind(dtype)]
    return dtype


def _dtype_of_node(node) -> np.dtype:
    if node is int:
        return default_int()
    if node is float:
        return default_float()
    if node is complex:
        return default_complex()
    return canonicalize_dtype(node)


def promote_types(a, b, canonical=True) -> np.dtype:
    """JAX's promotion of two strong dtypes, narrowed to 32 bits with x64 off unless
    `canonical` is false (as jnp.promote_types answers)."""
    out = _least_upper_bound(np.dtype(a), np.dtype(b))
    if canonical:
        return _dtype_of_node(out)
    return np.dtype(out)    # int / float / complex: NumPy's 64-bit types, as JAX's answer


def lattice_result_type(*avals) -> tuple[np.dtype, bool]:
    """(dtype, weak_type) of combining values, as JAX's `dtypes.lattice_result_type`: what
    jax.numpy converts the operands of a function to. A weak operand of a higher kind than
    every strong one makes a weak result (`int32 * 2.0` is a weak float32)."""
    dtypes = [np.dtype(a.dtype) for a in avals]
    weaks = [bool(a.weak_type) for a in avals]
    if len(avals) == 1:
        dtype, weak = dtypes[0], weaks[0]
    elif len(set(dtypes)) == 1 and not all(weaks):
        dtype, weak = dtypes[0], False
    elif all(weaks) and config.values["jax_numpy_dtype_promotion"] != "strict":
        # The bound of their strong counterparts, weak (JAX's special case: weak int16
        # and weak int32 meet at int32, not at a default int).
        dtype, weak = _dtype_of_node(_least_upper_bound(*dtypes)), True
    else:
        node = _least_upper_bound(*[_node(d, w) for d, w in zip(dtypes, weaks)])
        dtype, weak = _dtype_of_node(node), node in _WEAK_TYPES
    return dtype, weak and dtype != _B1


def result_type(*avals) -> tuple[np.dtype, bool]:
    """(dtype, weak_type) as JAX's `dtypes.result_type(..., return_weak_type_flag=True)`:
    the lattice's answer, a weak result being the default type of its kind."""
    dtype, weak = lattice_result_type(*avals)
    if weak:
        dtype = {"i": default_int, "u": default_int, "f": default_float,
                 "c": default_complex}[dtype_kind(dtype)]()
    return dtype, weak


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
