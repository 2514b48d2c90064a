"""Conversions between NumPy dtypes/shapes and MLIR builtin types.

mlax types are builtin ranked tensors (0-d for scalars). Unsigned integers keep their
signedness in the mlax dialect (`ui32`), so that division, shifts, comparisons and
conversions know it; the lowering turns them into signless integers.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from mlir import ir

from mlax.runtime.dtypes import bfloat16, is_float

# dtype name -> MLIR element type spelling
_ELEMENT_SPELLING = {
    "bool": "i1",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "ui8",
    "uint16": "ui16",
    "uint32": "ui32",
    "uint64": "ui64",
    "float16": "f16",
    "bfloat16": "bf16",
    "float32": "f32",
    "float64": "f64",
    "complex64": "complex<f32>",
    "complex128": "complex<f64>",
}
_DTYPE_OF_SPELLING = {v: np.dtype(k) for k, v in _ELEMENT_SPELLING.items()}
_FLOAT_TYPES = {"f16": ir.F16Type, "bf16": ir.BF16Type, "f32": ir.F32Type, "f64": ir.F64Type}
_FLOAT_SPELLING = {cls: spelling for spelling, cls in _FLOAT_TYPES.items()}

# The largest array, in bytes. Sizes, strides and byte offsets are 64-bit integers in the
# generated code, and MLIR asserts when a layout's size computation overflows: an array's
# byte size must fit in int64, as XLA requires of every shape (JAX compiles f32[2**60] and
# rejects f32[2**61]). Zero-size dimensions count as 1, since strides are products of
# the inner dimensions whatever the outer ones are.
MAX_BYTES = 2**63 - 1


class TensorSpec(NamedTuple):
    """The abstract type of a value: a static shape and a NumPy dtype."""
    shape: tuple
    dtype: np.dtype

    def __str__(self):
        return f"{short_dtype_name(self.dtype)}[{','.join(map(str, self.shape))}]"


def short_dtype_name(dtype) -> str:
    """`f32`, `i32`, `u32`, `bool`: the spelling JAX uses in its messages."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "bool"
    if dtype == bfloat16:
        return "bf16"
    kind = {"f": "f", "i": "i", "u": "u", "c": "c"}[dtype.kind]
    return f"{kind}{dtype.itemsize * 8}"


def element_type(dtype) -> ir.Type:
    name = np.dtype(dtype).name
    if name not in _ELEMENT_SPELLING:
        raise TypeError(f"mlax does not support dtype {name}")
    return _element_of_spelling(_ELEMENT_SPELLING[name])


# Types are built and recognized by their classes: parsing a type costs ~4 us and printing
# one ~10 us, paid several times per op when tracing and lowering.
def _element_of_spelling(spelling: str) -> ir.Type:
    if spelling in _FLOAT_TYPES:
        return _FLOAT_TYPES[spelling].get()
    if spelling.startswith("complex<"):
        return ir.ComplexType.get(_element_of_spelling(spelling[len("complex<"):-1]))
    if spelling.startswith("ui"):
        return ir.IntegerType.get_unsigned(int(spelling[2:]))
    return ir.IntegerType.get_signless(int(spelling[1:]))


def _spelling_of_element(t: ir.Type) -> str:
    if type(t) in _FLOAT_SPELLING:
        return _FLOAT_SPELLING[type(t)]
    if isinstance(t, ir.IntegerType) and not t.is_signed:
        return f"{'ui' if t.is_unsigned else 'i'}{t.width}"
    if isinstance(t, ir.ComplexType):
        return f"complex<{_spelling_of_element(t.element_type)}>"
    return str(t)


def tensor_type(shape, dtype) -> ir.RankedTensorType:
    check_shape(shape, dtype)
    return ir.RankedTensorType.get(list(shape), element_type(dtype), loc=ir.Location.unknown())


def spec_type(spec: TensorSpec) -> ir.RankedTensorType:
    return tensor_type(spec.shape, spec.dtype)


def dtype_of_element(t: ir.Type) -> np.dtype:
    spelling = _spelling_of_element(t)
    if spelling not in _DTYPE_OF_SPELLING:
        raise TypeError(f"mlax has no dtype for MLIR element type {spelling} (element types: "
                        f"{', '.join(_DTYPE_OF_SPELLING)})")
    return _DTYPE_OF_SPELLING[spelling]


def shape_problem(shape, itemsize: int) -> str | None:
    """Why no array of `shape` with `itemsize`-byte elements can exist, or None."""
    count = 1
    for d in shape:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            return f"dimension {d!r} is not an integer"
        if d < 0:
            return f"dimension {d} is negative"
        count *= max(int(d), 1)
    if count * itemsize > MAX_BYTES:
        dims = "x".join(str(int(d)) for d in shape)
        return (f"an array of {dims} elements of {itemsize} bytes is larger than "
                f"2**63 - 1 bytes")
    return None


def check_shape(shape, dtype):
    """Raise ValueError unless `shape` is a valid array shape for `dtype`."""
    why = shape_problem(shape, np.dtype(dtype).itemsize)
    if why is not None:
        raise ValueError(f"invalid shape {tuple(shape)} for {np.dtype(dtype).name}: {why}")


def element_bytes(t: ir.Type) -> int:
    """The storage size of an MLIR element type in bytes (8 for those of no fixed size)."""
    if isinstance(t, ir.IntegerType):
        return max(1, (t.width + 7) // 8)
    if isinstance(t, ir.FloatType):
        return max(1, (t.width + 7) // 8)
    if isinstance(t, ir.ComplexType):
        return 2 * element_bytes(t.element_type)
    if isinstance(t, ir.VectorType):
        return max(1, _count(t.shape)) * element_bytes(t.element_type)
    return 8   # index, pointers, and anything else: 64-bit


def _count(shape):
    n = 1
    for d in shape:
        n *= max(d, 1)
    return n


def type_problem(t: ir.Type) -> str | None:
    """Why a value of type `t` cannot exist (an array larger than MAX_BYTES), or None.

    Ranked tensors, memrefs and vectors have sizes; a dynamic dimension counts as 1."""
    if not isinstance(t, (ir.RankedTensorType, ir.MemRefType, ir.VectorType)):
        return None
    static = [d for d in t.shape if not ir.ShapedType.is_dynamic_size(d)]
    if _count(static) * element_bytes(t.element_type) > MAX_BYTES:
        return f"{t} is larger than 2**63 - 1 bytes"
    return None


def spec_of_type(t: ir.Type) -> TensorSpec:
    return TensorSpec(tuple(t.shape), dtype_of_element(t.element_type))


def signless(t: ir.Type) -> ir.Type:
    """The signless counterpart of an element or tensor type (ui32 -> i32)."""
    if isinstance(t, ir.RankedTensorType):
        return ir.RankedTensorType.get(t.shape, signless(t.element_type))
    if isinstance(t, ir.IntegerType):
        return ir.IntegerType.get_signless(t.width)
    return t


def scalar_attr(element: ir.Type, dtype, value) -> ir.Attribute:
    if np.dtype(dtype).kind == "c":
        part = ir.ComplexType(element).element_type
        return ir.ArrayAttr.get([ir.FloatAttr.get(part, float(value.real)),
                                 ir.FloatAttr.get(part, float(value.imag))])
    if is_float(dtype):
        return ir.FloatAttr.get(element, float(value))
    value = int(value)
    if value >= 2 ** 63:      # a uint64 above int64's range: the bindings take an int64
        value -= 2 ** 64      # of the same bits
    return ir.IntegerAttr.get(element, value)


def dense_attr(arr: np.ndarray) -> ir.DenseElementsAttr:
    """A constant's value as a dense elements attribute (a splat when all are equal)."""
    t = tensor_type(arr.shape, arr.dtype)
    flat = np.ascontiguousarray(arr).reshape(-1)
    # (The bindings make no complex splat, and give a parsed one back as a plain Attribute.)
    if flat.size and (flat == flat[0]).all() and arr.dtype.kind != "c":
        return ir.DenseElementsAttr.get_splat(t, scalar_attr(t.element_type, arr.dtype, flat[0]))
    if arr.dtype == np.bool_:
        return ir.DenseElementsAttr.get(np.packbits(flat, bitorder="little"), type=t)
    return ir.DenseElementsAttr.get(flat, type=t)
