"""`mlax.Array`: an immutable array in host memory.

The buffer is a read-only, C-contiguous NumPy array; compiled code reads it in place (its
address goes straight into the call), and results are written by compiled code into
buffers allocated here. This module alone holds and converts results, which is what a
loaded AOT module needs. The methods that compute (operators, reductions, indexing) are
mlax.numpy's: it attaches them when it is imported (see `COMPUTING`).
"""
from __future__ import annotations

import ctypes
import importlib

import numpy as np

# The methods and properties mlax.numpy attaches to Array (mlax/numpy/_methods.py). Until
# it is imported, each is a stand-in that imports it first: computing compiles code, so it
# needs the compiler anyway, and an Array from a compiled module loaded with the runtime
# alone still supports `x + 1` once mlax is there.
METHODS_MODULE = "mlax.numpy"
_BINARY = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift")
COMPUTING = tuple(f"__{p}{n}__" for n in _BINARY for p in ("", "r")) + (
    "__neg__", "__pos__", "__abs__", "__round__", "__invert__", "__eq__", "__ne__", "__lt__", "__le__",
    "__gt__", "__ge__", "__getitem__", "sum", "mean", "std", "var", "max", "min", "prod",
    "argmax", "argmin", "any", "all", "ravel", "flatten", "squeeze", "swapaxes", "dot",
    "clip", "round", "astype", "cumsum", "cumprod", "sort", "argsort", "take", "repeat",
    "nonzero", "trace", "diagonal", "conj", "conjugate", "ptp", "searchsorted", "compress",
    "choose", "argpartition", "reshape", "transpose")
COMPUTING_PROPERTIES = ("T", "mT", "at", "real", "imag")


def _stand_in(name):
    def method(self, *args, **kwargs):
        importlib.import_module(METHODS_MODULE)      # replaces this stand-in
        return getattr(self, name)(*args, **kwargs)
    method.__name__ = name
    return method


def _stand_in_property(name):
    def get(self):
        importlib.import_module(METHODS_MODULE)
        return getattr(self, name)
    return property(get)


class CpuDevice:
    platform = "cpu"
    device_kind = "cpu"
    process_index = 0       # mlax runs one process

    def __init__(self, id=0):
        self.id = id

    def __repr__(self):
        return f"CpuDevice(id={self.id})"

    def __eq__(self, other):
        return isinstance(other, CpuDevice) and other.id == self.id

    def __hash__(self):
        return hash(("cpu", self.id))

    def _put(self, value: np.ndarray, sharding, weak: bool):
        """`value` on this device: committed to `sharding`, or uncommitted (None)."""
        if sharding is None:
            return Array(np.array(value), weak)
        return HostArrayOn(np.array(value), weak, self, sharding)


CPU0 = CpuDevice(0)


class Sharding:
    """How an array is laid out over devices (`jax.sharding.Sharding`)."""

    @property
    def device_set(self) -> set:
        raise NotImplementedError

    @property
    def is_fully_replicated(self) -> bool:
        raise NotImplementedError

    @property
    def is_fully_addressable(self) -> bool:
        return True

    @property
    def num_devices(self) -> int:
        return len(self.device_set)

    @property
    def addressable_devices(self) -> set:
        return self.device_set


class SingleDeviceSharding(Sharding):
    """The whole array on one device."""

    def __init__(self, device, *, memory_kind=None):
        self.device = device
        self.memory_kind = memory_kind or "unpinned_host"

    @property
    def device_set(self) -> set:
        return {self.device}

    @property
    def is_fully_replicated(self) -> bool:
        return True

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and other.device == self.device

    def __hash__(self):
        return hash(("SingleDeviceSharding", self.device))

    def __repr__(self):
        return f"SingleDeviceSharding(device={self.device!r}, memory_kind={self.memory_kind})"


class Array:
    """An immutable n-d array, like `jax.Array`.

    `_buffer` is a copy of it in a device's memory that the runtime of the platform
    which made it keeps for its later calls (the tpu platform's PJRT buffer), or None."""
    __slots__ = ("_value", "weak_type", "_ptr", "_buffer", "__weakref__")
    __array_priority__ = 100

    def __init__(self, value: np.ndarray, weak_type: bool = False):
        if value.flags.writeable:
            value.flags.writeable = False
        self._value = value
        self.weak_type = weak_type
        self._ptr = None
        self._buffer = None

    @classmethod
    def fresh(cls, shape, dtype, weak_type=False) -> "Array":
        """A new Array of uninitialized memory for compiled code to write its result into
        (through `_ptr`, its address): read-only at once, as nothing in Python writes it."""
        return cls._adopt(np.empty(shape, dtype), weak_type)

    @classmethod
    def scalar(cls, x, dtype, weak_type=False) -> "Array":
        """Python scalar `x` as a 0-d Array of `dtype` (OverflowError for an int out of
        its range, as NumPy's)."""
        return cls._adopt(np.array(x, dtype), weak_type)

    @classmethod
    def _adopt(cls, value: np.ndarray, weak_type) -> "Array":
        # The address through ctypes costs a third of __array_interface__'s; it needs
        # the buffer still writable, and a dtype the buffer protocol knows (not
        # ml_dtypes' bfloat16).
        arr = cls.__new__(cls)
        try:
            arr._ptr = ctypes.addressof(ctypes.c_char.from_buffer(value))
        except (ValueError, TypeError):
            arr._ptr = value.__array_interface__["data"][0]
        value.flags.writeable = False
        arr._value = value
        arr.weak_type = weak_type
        arr._buffer = None
        return arr

    @property
    def unsafe_buffer_pointer(self) -> int:
        """The address of the (immutable) buffer, cached: compiled code reads it in place."""
        p = self._ptr
        if p is None:
            p = self._ptr = self._value.__array_interface__["data"][0]
        return p

    # -- metadata -------------------------------------------------------------------------
    shape = property(lambda self: self._value.shape)
    dtype = property(lambda self: self._value.dtype)
    ndim = property(lambda self: self._value.ndim)
    size = property(lambda self: self._value.size)
    nbytes = property(lambda self: self._value.nbytes)
    itemsize = property(lambda self: self._value.itemsize)

    def devices(self):
        return {CPU0}

    @property
    def committed(self) -> bool:
        """Whether the array is committed to its devices (by device_put with a device, or
        as the result of a call on committed arrays): calls taking it run there."""
        return getattr(self, "_sharding", None) is not None

    @property
    def device(self):
        return CPU0

    @property
    def sharding(self):
        return SingleDeviceSharding(CPU0)

    def block_until_ready(self):
        return self

    def is_fully_addressable(self):
        return True

    # -- conversion -----------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype) != self._value.dtype:
            return self._value.astype(dtype)
        if copy:
            return self._value.copy()
        return self._value

    def tolist(self):
        return self._value.tolist()

    def item(self, *args):
        return self._value.item(*args)

    def copy(self):
        return Array(self._value.copy(), self.weak_type)

    def with_weak_type(self, weak_type: bool) -> "Array":
        """This array, sharing its buffer, with JAX's weak-type bit set to `weak_type`
        (jax.numpy's promotion keeps a Python scalar's weakness through a conversion)."""
        return Array(self._value, weak_type)

    def __bool__(self):
        return bool(self._value)

    def __int__(self):
        return int(self._value)

    def __float__(self):
        return float(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if self._value.dtype.kind not in "iub" or self._value.ndim:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self._value)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __hash__(self):
        raise TypeError("unhashable type: 'Array'")

    def __setitem__(self, idx, value):
        raise TypeError(
            "mlax arrays are immutable and do not support in-place item assignment. Instead of "
            "x[idx] = y, use x = x.at[idx].set(y) or another .at[] method "
            "(add, mul, min, max).")

    # -- printing -------------------------------------------------------------------------
    def __repr__(self):
        v = self._value
        if v.size == 0 and v.ndim:
            body = f"[], shape={v.shape}"
        else:
            body = np.array2string(v, separator=", ", prefix="Array(")
        parts = [body, f"dtype={v.dtype.name}"]
        if self.weak_type:
            parts.append("weak_type=True")
        return f"Array({', '.join(parts)})"

    def __str__(self):
        return str(self._value)

    def __format__(self, spec):
        if self._value.ndim == 0:
            return format(self._value.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (Array, (np.array(self._value), self.weak_type))


class HostArrayOn(Array):
    """An Array in host memory that reports `device`: one of a platform whose arrays are
    host buffers (cpu; cuda, whose calls copy through host memory), committed to it when
    `_sharding` is set (`device_put(x, device)`: calls taking it run on that device's
    platform, mlax.spmd), else uncommitted (the results of cuda calls)."""
    __slots__ = ("_device", "_sharding")

    def __init__(self, value: np.ndarray, weak_type, device, sharding=None):
        super().__init__(value, weak_type)
        self._device = device
        self._sharding = sharding

    def devices(self):
        return {self._device}

    @property
    def device(self):
        return self._device

    @property
    def sharding(self):
        return self._sharding or SingleDeviceSharding(self._device)

    def copy(self):
        return HostArrayOn(self._value.copy(), self.weak_type, self._device, self._sharding)

    def with_weak_type(self, weak_type: bool) -> "Array":
        return HostArrayOn(self._value, weak_type, self._device, self._sharding)

    def __reduce__(self):
        return (Array, (np.array(self._value), self.weak_type))


class ScalarBroadcast(Array):
    """A 0-d value broadcast to `shape`, as eager mlax.numpy broadcasts a scalar operand
    (a Python number beside a large array). An eager op taking it broadcasts the scalar
    inside its compiled function (mlax.eager), so no buffer of the full shape is made;
    anything else that reads it gets the broadcast values, made on first use."""
    __slots__ = ("scalar", "_shape", "_host")

    def __init__(self, scalar: np.ndarray, shape: tuple, weak_type=False):
        self.scalar = scalar
        self._shape = shape
        self._host = None
        self.weak_type = weak_type
        self._ptr = None
        self._buffer = None

    @property
    def _value(self):
        host = self._host
        if host is None:
            host = np.ascontiguousarray(np.broadcast_to(self.scalar, self._shape))
            host.flags.writeable = False
            self._host = host
        return host

    def with_weak_type(self, weak_type: bool) -> "Array":
        return ScalarBroadcast(self.scalar, self._shape, weak_type)

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self.scalar.dtype)
    ndim = property(lambda self: len(self._shape))
    size = property(lambda self: int(np.prod(self._shape, dtype=np.int64)))
    nbytes = property(lambda self: self.size * self.scalar.dtype.itemsize)
    itemsize = property(lambda self: self.scalar.dtype.itemsize)


def install_stand_ins(cls):
    """Give `cls` the stand-ins of the methods mlax.numpy attaches (Array here; the
    tracer class of the front end too)."""
    for name in COMPUTING:
        setattr(cls, name, _stand_in(name))
    for name in COMPUTING_PROPERTIES:
        setattr(cls, name, _stand_in_property(name))


install_stand_ins(Array)
