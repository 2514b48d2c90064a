"""Helpers shared by the modules of mlax.numpy: array arguments (`_arr`), avals and dtypes,
shape and axis arguments, JAX's dtype promotion (`_promote`, `_float_args`), and the gathers
that take or reverse along one axis.

The lowest module of the package: it imports none of the others, and each of the others takes
what it needs from here.
"""
from __future__ import annotations

import builtins
import operator as _operator

import numpy as _np
from numpy.exceptions import AxisError as _AxisError

from mlax import core, lax
from mlax.dispatch import bind
from mlax.runtime import Array
from mlax.tracing import Tracer, user_site
from mlax.runtime.dtypes import is_float, is_inexact


def _aval(x):
    return lax.aval(x)


def _is_array(x):
    return isinstance(x, (Array, Tracer))


def _arr(x):
    """An array argument as an Array or Tracer. Lists and tuples are refused, as in JAX: each
    would be a new constant, and a list of traced values would silently stack them."""
    if _is_array(x):
        return x
    _check_arraylike(x)
    return _host_array(x)


def _host_array(a, dtype=None):
    """A host value (a Python scalar, a NumPy array or scalar, nested lists of them) as an
    Array, with JAX's dtype rules: Python scalars are weak, lists take the default float or
    int, and every dtype is canonicalized (no 64-bit types unless x64 is on)."""
    weak = core.is_python_scalar(a) and not isinstance(a, builtins.bool)
    if dtype is not None:
        arr = _np.asarray(a, dtype=core.canonicalize_dtype(dtype))
        weak = False
    elif core.is_python_scalar(a):
        arr = _np.asarray(a, dtype=core.aval_of_python_scalar(a).dtype)
    else:
        arr = _np.asarray(a)
        if arr.dtype == _np.float64 and not isinstance(a, _np.ndarray) and not isinstance(a, _np.generic):
            arr = arr.astype(core.default_float())
        elif arr.dtype == _np.complex128 and not isinstance(a, (_np.ndarray, _np.generic)):
            arr = arr.astype(core.default_complex())
        elif arr.dtype.kind == "i" and not isinstance(a, (_np.ndarray, _np.generic)):
            arr = arr.astype(core.default_int())
        arr = arr.astype(core.canonicalize_dtype(arr.dtype), copy=False)
    return Array(_np.array(arr, copy=True, order="C"), weak)


def _check_arraylike(x):
    if isinstance(x, (list, tuple)):
        raise TypeError(f"mlax.numpy functions take arrays or scalars as array arguments, got a "
                        f"{type(x).__name__} (at {user_site()}): convert it with jnp.asarray or "
                        "jnp.array first")


def _dt(x):
    return _np.dtype(_aval(x).dtype)


def _is_float(x):
    return is_float(_dt(x))


def _shape(shape, unknown_ok=False):
    """A shape argument as a tuple of ints. A float or a negative size is JAX's TypeError
    (reshape may have one -1, `unknown_ok`); a traced size raises a concretization error."""
    dims = (shape,) if _np.ndim(shape) == 0 else tuple(shape)
    try:
        out = tuple(_operator.index(d) for d in dims)
    except TypeError as e:
        if isinstance(e, core.ConcretizationTypeError):
            raise
        raise TypeError(f"Shapes must be 1D sequences of concrete values of integer type, got "
                        f"{dims} (at {user_site()})") from None
    if builtins.any(d < 0 and not (unknown_ok and d == -1) for d in out):
        raise TypeError(f"Shape sizes must be non-negative, got {dims} (at {user_site()})")
    return out


def _concrete(x, what):
    """`x`, or the value of a tracer whose value is known (mlax.concrete)."""
    if isinstance(x, Tracer):
        known = x.concrete()
        if known is not None:
            return known
        x._concretization(core.ConcretizationTypeError, f"{what} needs a concrete value; got a traced value",
                          "Pass it as a static argument.")
    return x


def _promote(*args):
    """Convert args to their common dtype and weak type (JAX's `promote_dtypes`: the
    lattice's answer, so `int32 * 2.0` is a weak float32)."""
    for a in args:
        _check_arraylike(a)
    avals = [_aval(a) for a in args]
    dtype, weak = core.lattice_result_type(*avals)
    out = []
    for a, av in zip(args, avals):
        if core.is_python_scalar(a) or (isinstance(a, _np.ndarray) or isinstance(a, _np.generic)):
            # A C-ordered copy: Array reads the buffer in place and freezes it.
            out.append(Array(_np.array(a, dtype=dtype, order="C", copy=True), weak))
        else:
            out.append(lax._convert_element_type(a, dtype, weak))
    return out


def _float_args(*args):
    """Promote integer inputs of float-only functions to the default float."""
    ps = _promote(*args)
    a = _aval(ps[0])
    if not is_inexact(a.dtype):
        ps = [lax._convert_element_type(p, core.default_float(), a.weak_type) for p in ps]
    return ps


def _axis(axis, ndim):
    """One axis argument as an int in [0, ndim). Out of range is NumPy's AxisError, which is
    both the ValueError and the IndexError JAX raises for it; a float axis is a TypeError."""
    axis = _operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(f"axis {axis} is out of bounds for array of dimension {ndim} (at {user_site()})")
    return axis % ndim


def _axes(axis, ndim):
    """An axis argument (None: all axes, an int, or a sequence) as sorted distinct axes."""
    if axis is None:
        return tuple(range(ndim))
    given = (axis,) if isinstance(axis, (int, _np.integer)) else tuple(axis)
    out = [_axis(a, ndim) for a in given]
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in 'axis': {given} (at {user_site()})")
    return tuple(sorted(out))


def _reverse(x, axes):
    """x with `axes` reversed (a gather at a descending iota; lax has no rev op here)."""
    for d in sorted({a % x.ndim for a in axes}):
        n = x.shape[d]
        if n <= 1:
            continue
        take_index = Array(_np.arange(n - 1, -1, -1, dtype=_np.int32))
        x = _take_axis(x, take_index, d)
    return x


def _take_axis(x, index, axis, mode="clip"):
    """x indexed along `axis` by an int32 array `index` (in range after wrapping): the result has
    index.shape in place of that axis."""
    ni = index.ndim
    ind = lax.reshape(index, tuple(index.shape) + (1,))
    offset_dims = tuple(range(axis)) + tuple(range(axis + ni, x.ndim - 1 + ni))
    sizes = tuple(1 if d == axis else n for d, n in enumerate(x.shape))
    return bind("mlax.gather", x, ind, offset_dims=offset_dims, collapsed_slice_dims=(axis,),
                     start_index_map=(axis,), operand_batching_dims=(),
                     start_indices_batching_dims=(), slice_sizes=sizes, mode=mode)
