"""mlax.dtypes: JAX's `jax.dtypes` (dtype promotion, canonicalization, the `float0`
tangent dtype and the extended dtype of typed PRNG keys).

mlax supports bool, (u)int8-64, float16/32/64, complex64/128 and `bfloat16` (ml_dtypes' type, as
in JAX); the other ml_dtypes types (float8 and the 4-bit types) raise NotImplementedError.
"""
from __future__ import annotations

import numpy as np

from mlax import core
from mlax.core import TypePromotionError  # noqa: F401
from mlax.runtime.dtypes import bfloat16 as _bfloat16_dtype, dtype_kind, finfo, iinfo

__all__ = ["TypePromotionError", "bfloat16", "canonicalize_dtype", "extended", "finfo", "float0",
           "iinfo", "issubdtype", "itemsize_bits", "prng_key", "result_type", "scalar_type_of"]

bfloat16 = _bfloat16_dtype.type

# The dtype of tangents and cotangents of integer and boolean values, as in JAX.
float0 = np.dtype([("float0", np.void, 0)])

# The NumPy abstract types bfloat16 counts under, as in JAX: NumPy puts ml_dtypes' scalar
# types directly under np.generic, so np.issubdtype(bfloat16, np.floating) is False.
_BFLOAT16_PARENTS = (np.floating, np.inexact, np.number, np.generic)


class extended(np.generic):
    """Scalar type of the extended dtypes (dtypes that are not NumPy's: typed PRNG keys)."""


class prng_key(extended):
    """Scalar type of the dtypes of typed PRNG key arrays (`mlax.random.key`)."""


# JAX's private `jax._src.dtypes` names that libraries subclass or annotate with (flax's
# fp8 dtypes): `jax._src.dtypes` is this module under mlax.compat.
DType = np.dtype


class ExtendedDType:
    """Base class of dtype objects that are not NumPy's: `type` is their scalar type (a
    subclass of `extended`), `_rules` their behaviour under transforms. mlax computes with
    none of them but typed PRNG keys; a library may define them."""
    type: type
    _rules: type


def _extended_type(x):
    """The scalar type of an extended dtype or scalar type, else None."""
    if isinstance(x, type) and issubclass(x, extended):
        return x
    t = getattr(x, "type", None)
    if isinstance(t, type) and issubclass(t, extended):
        return t
    return None


def issubdtype(a, b) -> bool:
    """np.issubdtype, extended to the dtype of typed PRNG keys:
    `issubdtype(key.dtype, mlax.dtypes.prng_key)` is True."""
    ta, tb = _extended_type(a), _extended_type(b)
    if ta is not None or tb is not None:
        return ta is not None and tb is not None and issubclass(ta, tb)
    if _is_bfloat16(a) and b in _BFLOAT16_PARENTS:
        return True
    return bool(np.issubdtype(a, b))


def _is_bfloat16(a) -> bool:
    try:
        return np.dtype(a) == _bfloat16_dtype
    except TypeError:
        return False


def canonicalize_dtype(dtype, allow_extended_dtype=False):
    """The dtype values of `dtype` get: 64-bit types narrowed unless jax_enable_x64."""
    if _extended_type(dtype) is not None:
        if not allow_extended_dtype:
            raise ValueError(f"Internal: canonicalize_dtype called on extended dtype {dtype} "
                             "with allow_extended_dtype=False")
        return dtype
    return core.canonicalize_dtype(dtype)


def _aval(a) -> core.ShapedArray:
    """What result_type sees of an argument: Python types and scalars are weak, dtypes and
    scalar types strong, arrays (and tracers) their dtype and weak type."""
    if a is int or a is float or a is complex:
        default = {int: core.default_int, float: core.default_float, complex: core.default_complex}[a]
        return core.ShapedArray((), default(), True)
    if a is bool:
        return core.ShapedArray((), np.dtype(np.bool_), False)
    if isinstance(a, (type, np.dtype, str)) or (hasattr(a, "dtype") and not hasattr(a, "shape")):
        return core.ShapedArray((), core.canonicalize_dtype(a), False)
    if core.is_python_scalar(a):
        return core.aval_of_python_scalar(a)
    dtype = a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype
    return core.ShapedArray((), core.canonicalize_dtype(dtype), bool(getattr(a, "weak_type", False)))


def result_type(*args, return_weak_type_flag=False):
    """The dtype JAX gives to combining `args` (arrays, scalars, dtypes, Python types); with
    return_weak_type_flag, also whether the result is weakly typed."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    dtype, weak = core.result_type(*[_aval(a) for a in args])
    return (dtype, weak) if return_weak_type_flag else dtype


def scalar_type_of(x):
    """The Python scalar type (bool, int, float, complex) matching the dtype of `x`."""
    dtype = np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)
    return {"b": bool, "i": int, "u": int, "f": float, "c": complex}[dtype_kind(dtype)]


def itemsize_bits(dtype) -> int:
    """The size in bits of one element of `dtype`."""
    if dtype is None:
        raise ValueError("dtype cannot be None.")
    return np.dtype(dtype).itemsize * 8


# Names jax.dtypes has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.dtypes", __name__)
