"""Dtype names and scalar types, NumPy's constants, JAX's dtype rules (`result_type`,
`promote_types`, `can_cast`, `isdtype`), predicates on types (`isscalar`, `iterable`, ...) and
printing (`array_repr`, `array_str`)."""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, dtypes
from mlax.core import ShapedArray
from mlax.runtime import Array
from mlax.runtime.basearray import Array as _AbstractArray

from mlax.numpy._util import _arr, _aval, _dt, _is_array
from mlax.runtime.dtypes import bfloat16 as _bfloat16, dtype_kind as _dtype_kind


ndarray = _AbstractArray     # arrays and tracers, as jnp.ndarray
pi = _np.pi
e = _np.e
euler_gamma = _np.euler_gamma
inf = _np.inf
nan = _np.nan
newaxis = None

float16, float32, float64 = _np.float16, _np.float32, _np.float64
bfloat16 = _bfloat16.type
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
bool_ = _np.bool_
int_, uint, float_ = _np.int64, _np.uint64, _np.float64

single, double = float32, float64

dtype = _np.dtype
iinfo = dtypes.iinfo
finfo = dtypes.finfo
issubdtype = dtypes.issubdtype
generic = _np.generic
floating, integer, signedinteger, unsignedinteger, number, inexact = (
    _np.floating, _np.integer, _np.signedinteger, _np.unsignedinteger, _np.number, _np.inexact)
complexfloating = _np.complexfloating


# -- dtype rules -------------------------------------------------------------------------

def _as_aval(a):
    """An aval for result_type: arrays and scalars as themselves, Python types as weak."""
    if a is int:
        return ShapedArray((), core.default_int(), True)
    if a is float:
        return ShapedArray((), core.default_float(), True)
    if a is complex:
        return ShapedArray((), core.default_complex(), True)
    if a is builtins.bool:
        return ShapedArray((), _np.dtype(_np.bool_), False)
    if isinstance(a, (type, _np.dtype, str)):
        return ShapedArray((), core.canonicalize_dtype(a), False)
    return _aval(a)


def result_type(*args):
    """The dtype JAX gives to combining `args` (arrays, scalars, dtypes or Python types)."""
    return core.result_type(*[_as_aval(a) for a in args])[0]


def promote_types(a, b):
    """As JAX's: the promoted type itself, not narrowed by the x64 setting."""
    return core.promote_types(_np.dtype(a), _np.dtype(b), canonical=False)


def can_cast(from_, to, casting="safe"):
    src = from_ if isinstance(from_, (type, _np.dtype, str)) else _dt(from_)
    return _np.can_cast(src, to, casting)


def isdtype(dtype, kind):
    """The array-API dtype predicate: kind is a dtype, a kind name, or a tuple of them."""
    dt = _np.dtype(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {"bool": "b", "signed integer": "i", "unsigned integer": "u", "integral": "iu",
             "real floating": "f", "complex floating": "c", "numeric": "iufc"}
    for k in kinds:
        if isinstance(k, str):
            if k not in names:
                raise ValueError(f"unknown dtype kind {k!r}")
            if _dtype_kind(dt) in names[k]:
                return True
        elif dt == _np.dtype(k):
            return True
    return False


# -- predicates on types -----------------------------------------------------------------

def isscalar(element):
    if _is_array(element):
        return element.ndim == 0
    return _np.isscalar(element) and not isinstance(element, str)


def iscomplexobj(x):
    if x is None:
        return False
    dtype = getattr(x, "dtype", None)
    return _np.dtype(dtype if dtype is not None else _np.asarray(x).dtype).kind == "c"


def isrealobj(x):
    return not iscomplexobj(x)


def iterable(y):
    return _np.iterable(y)


# -- printing ----------------------------------------------------------------------------

def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    return repr(_arr(arr))


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    return str(_np.asarray(a))


# `jnp.bool` (set last: the functions above use the builtin)
bool = bool_  # noqa: A001
