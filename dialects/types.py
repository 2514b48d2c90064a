"""Conversions between NumPy dtypes/shapes and MLIR builtin types.

mlax types are builtin ranked tensors (0-d for scalars). Unsigned integers keep their
signedness in the mlax dialect (`ui32`), so that division, shifts, comparisons and
conversions know it; the lowering turns them into signless integers.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from mlir import ir

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
    "float32": "f32",
    "float64": "f64",
}
_DTYPE_OF_SPELLING = {v: k for k, v in _ELEMENT_SPELLING.items()}


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
    kind = {"f": "f", "i": "i", "u": "u"}[dtype.kind]
    return f"{kind}{dtype.itemsize * 8}"


def element_type(dtype) -> ir.Type:
    name = np.dtype(dtype).name
    if name not in _ELEMENT_SPELLING:
        raise TypeError(f"mlax does not support dtype {name}")
    return ir.Type.parse(_ELEMENT_SPELLING[name])


def tensor_type(shape, dtype) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), element_type(dtype), loc=ir.Location.unknown())


def spec_type(spec: TensorSpec) -> ir.RankedTensorType:
    return tensor_type(spec.shape, spec.dtype)


def dtype_of_element(t: ir.Type) -> np.dtype:
    spelling = str(t)
    if spelling not in _DTYPE_OF_SPELLING:
        raise TypeError(f"mlax has no dtype for MLIR element type {spelling}")
    return np.dtype(_DTYPE_OF_SPELLING[spelling])


def spec_of_type(t: ir.Type) -> TensorSpec:
    return TensorSpec(tuple(t.shape), dtype_of_element(t.element_type))


def signless(t: ir.Type) -> ir.Type:
    """The signless counterpart of an element or tensor type (ui32 -> i32)."""
    if isinstance(t, ir.RankedTensorType):
        return ir.RankedTensorType.get(t.shape, signless(t.element_type))
    if isinstance(t, ir.IntegerType):
        return ir.IntegerType.get_signless(t.width)
    return t
