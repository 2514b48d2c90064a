"""The scalar types of mlax.numpy (`jnp.float32`, ...), as JAX's. (mlax.numpy's own modules
use NumPy's scalar types, `_dtypes`; these are what the package exports.)

Each is a class whose `dtype` is the NumPy dtype; calling it makes an mlax array of that
dtype (`jnp.float32(3)` is `Array(3., dtype=float32)`, not a NumPy scalar); it compares
and hashes equal to the NumPy scalar type, converts with `np.dtype`, and `isinstance`
checks against the NumPy type. So it serves wherever a dtype is expected."""
from __future__ import annotations

import ml_dtypes
import numpy as np

from mlax.numpy._creation import asarray
from mlax.runtime.dtypes import bfloat16 as _bfloat16


class _ScalarMeta(type):
    dtype: np.dtype

    @property
    def __numpy_dtype__(cls):
        return cls.dtype        # NumPy 2.4's protocol for np.dtype(cls)

    def __hash__(cls):
        return hash(cls.dtype.type)

    def __eq__(cls, other):
        return cls is other or cls.dtype.type == other

    def __ne__(cls, other):
        return not (cls == other)

    def __call__(cls, x):
        return asarray(x, dtype=cls.dtype)

    def __instancecheck__(cls, instance):
        return isinstance(instance, cls.dtype.type)


def _make_scalar_type(np_scalar_type):
    meta = _ScalarMeta(np_scalar_type.__name__, (object,), {"dtype": np.dtype(np_scalar_type)})
    meta.__module__ = "mlax.numpy"
    meta.__doc__ = (f"An mlax scalar constructor of type {np_scalar_type.__name__}: mlax "
                    "represents scalars as zero-dimensional arrays.")
    return meta


bool_ = _make_scalar_type(np.bool_)
uint8 = _make_scalar_type(np.uint8)
uint16 = _make_scalar_type(np.uint16)
uint32 = _make_scalar_type(np.uint32)
uint64 = _make_scalar_type(np.uint64)
int8 = _make_scalar_type(np.int8)
int16 = _make_scalar_type(np.int16)
int32 = _make_scalar_type(np.int32)
int64 = _make_scalar_type(np.int64)
float16 = _make_scalar_type(np.float16)
bfloat16 = _make_scalar_type(_bfloat16.type)
float32 = single = _make_scalar_type(np.float32)
float64 = double = _make_scalar_type(np.float64)
complex64 = csingle = _make_scalar_type(np.complex64)
complex128 = cdouble = _make_scalar_type(np.complex128)
complex_ = complex128
int_ = int64
uint = uint64
float_ = float64

# The ml_dtypes types mlax does not compute with (float8, float4, the 4- and 2-bit
# integers) are named as in JAX, so code may mention them (flax's fp8 layers use them as
# default attributes): making an array of one is a TypeError naming the dtype.
float8_e3m4 = _make_scalar_type(ml_dtypes.float8_e3m4)
float8_e4m3 = _make_scalar_type(ml_dtypes.float8_e4m3)
float8_e4m3b11fnuz = _make_scalar_type(ml_dtypes.float8_e4m3b11fnuz)
float8_e4m3fn = _make_scalar_type(ml_dtypes.float8_e4m3fn)
float8_e4m3fnuz = _make_scalar_type(ml_dtypes.float8_e4m3fnuz)
float8_e5m2 = _make_scalar_type(ml_dtypes.float8_e5m2)
float8_e5m2fnuz = _make_scalar_type(ml_dtypes.float8_e5m2fnuz)
float8_e8m0fnu = _make_scalar_type(ml_dtypes.float8_e8m0fnu)
float4_e2m1fn = _make_scalar_type(ml_dtypes.float4_e2m1fn)
int2 = _make_scalar_type(ml_dtypes.int2)
int4 = _make_scalar_type(ml_dtypes.int4)
uint2 = _make_scalar_type(ml_dtypes.uint2)
uint4 = _make_scalar_type(ml_dtypes.uint4)
