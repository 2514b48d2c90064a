"""The element types mlax arrays hold, and the one predicate every layer asks about them.

NumPy's own dtypes plus `bfloat16`, which comes from `ml_dtypes` as in JAX (importing
ml_dtypes registers it with NumPy, so `np.dtype("bfloat16")` works and results convert
with `np.asarray`). NumPy gives ml_dtypes' types the kind 'V' (void), so code must not
ask `dtype.kind == "f"`: it asks `dtype_kind(dtype) == "f"` (or `is_float` / `is_inexact`),
which counts bfloat16 as a float, and takes machine limits from `finfo` (ml_dtypes', which
knows bfloat16 and is NumPy's for the others).
"""
from __future__ import annotations

import ml_dtypes
import numpy as np

bfloat16 = np.dtype(ml_dtypes.bfloat16)

# The ml_dtypes floats mlax supports (NumPy's kind for them is 'V').
_ML_FLOATS = frozenset([bfloat16])

finfo = ml_dtypes.finfo
iinfo = ml_dtypes.iinfo


def dtype_kind(dtype) -> str:
    """NumPy's one-letter kind ('b', 'i', 'u', 'f', 'c', ...), with 'f' for bfloat16."""
    dtype = np.dtype(dtype)
    return "f" if dtype in _ML_FLOATS else dtype.kind


def is_float(dtype) -> bool:
    """True for the real floating dtypes (float16, bfloat16, float32, float64)."""
    return dtype_kind(dtype) == "f"


def is_inexact(dtype) -> bool:
    """True for the real floating and complex dtypes."""
    return dtype_kind(dtype) in "fc"


def is_half_float(dtype) -> bool:
    """True for the 16-bit floats (float16, bfloat16), which JAX sums, and XLA computes
    special functions in, at float32."""
    return is_float(dtype) and np.dtype(dtype).itemsize == 2
