"""mlax.numpy: the NumPy API over mlax primitives, with JAX's broadcasting, dtype promotion
and weak types.

Every function is built from mlax.lax primitives (or, for shapes and static index maps, from
NumPy computations on concrete Python values), so it runs eagerly and under jit, grad and vmap.
Functions whose result shape depends on array values (`nonzero`, `unique`, boolean masks, ...)
need concrete values unless given a static `size=`, as in JAX. The dtype rules are JAX's:
int32/float32 defaults with x64 off, weak Python scalars, `mean` of ints is float, `sum` of
bools and small ints is the default int.
"""
from __future__ import annotations

import builtins
import math as _math
import operator as _operator
import string as _string
import warnings as _warnings

import numpy as _np
from numpy.exceptions import AxisError as _AxisError

from mlax import batching, core, lax
from mlax.core import ShapedArray
from mlax.runtime import Array
from mlax.tracing import Tracer, user_site

from mlax.runtime.basearray import Array as ndarray  # noqa: E402  (arrays and tracers, as jnp.ndarray)
pi = _np.pi
e = _np.e
euler_gamma = _np.euler_gamma
inf = _np.inf
nan = _np.nan
newaxis = None

from mlax.numpy.scalar_types import (bool_, float16, float32, float64, float_,  # noqa: E402
                                     int8, int16, int32, int64, int_, uint, uint8, uint16,
                                     uint32, uint64)
from mlax.dtypes import issubdtype  # noqa: E402
dtype = _np.dtype
iinfo = _np.iinfo
finfo = _np.finfo
generic = _np.generic
floating, integer, signedinteger, unsignedinteger, number, inexact = (
    _np.floating, _np.integer, _np.signedinteger, _np.unsignedinteger, _np.number, _np.inexact)


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
    return asarray(x)


def _check_arraylike(x):
    if isinstance(x, (list, tuple)):
        raise TypeError(f"mlax.numpy functions take arrays or scalars as array arguments, got a "
                        f"{type(x).__name__} (at {user_site()}): convert it with jnp.asarray or "
                        "jnp.array first")


def _dt(x):
    return _np.dtype(_aval(x).dtype)


def _is_float(x):
    return _dt(x).kind == "f"


# -- dtype helpers -----------------------------------------------------------------------

def _as_aval(a):
    """An aval for result_type: arrays and scalars as themselves, Python types as weak."""
    if a is int:
        return ShapedArray((), core.default_int(), True)
    if a is float:
        return ShapedArray((), core.default_float(), True)
    if a is builtins.bool:
        return ShapedArray((), _np.dtype(_np.bool_), False)
    if isinstance(a, (type, _np.dtype, str)):
        return ShapedArray((), core.canonicalize_dtype(a), False)
    return _aval(a)


def result_type(*args):
    """The dtype JAX gives to combining `args` (arrays, scalars, dtypes or Python types)."""
    return core.result_type(*[_as_aval(a) for a in args])[0]


def promote_types(a, b):
    return core.promote_types(core.canonicalize_dtype(a), core.canonicalize_dtype(b))


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
            if dt.kind in names[k]:
                return True
        elif dt == _np.dtype(k):
            return True
    return False


def isscalar(element):
    if _is_array(element):
        return element.ndim == 0
    return _np.isscalar(element) and not isinstance(element, str)


def iscomplexobj(x):
    return False


def isrealobj(x):
    return True


# -- creation ----------------------------------------------------------------------------

def asarray(a, dtype=None, order=None, *, copy=None, device=None):
    if isinstance(a, Tracer):
        return lax.convert_element_type(a, dtype) if dtype is not None else a
    if isinstance(a, Array):
        if dtype is None or _np.dtype(core.canonicalize_dtype(dtype)) == a.dtype:
            return a
        return lax.convert_element_type(a, dtype)
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(l, Tracer) for l in _flat(a)):
        return stack([asarray(x, dtype) for x in a])
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(l, Array) for l in _flat(a)):
        a = _np.asarray([_np.asarray(x) for x in a]) if not builtins.any(isinstance(x, (list, tuple)) for x in a) \
            else _np.asarray(_to_host(a))
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
        elif arr.dtype.kind == "i" and not isinstance(a, (_np.ndarray, _np.generic)):
            arr = arr.astype(core.default_int())
        arr = arr.astype(core.canonicalize_dtype(arr.dtype), copy=False)
    return Array(_np.array(arr, copy=True, order="C"), weak)


def _flat(a):
    for x in a:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _to_host(a):
    if isinstance(a, (list, tuple)):
        return [_to_host(x) for x in a]
    return _np.asarray(a)


def array(object, dtype=None, copy=True, order="K", ndmin=0):
    out = asarray(object, dtype)
    while out.ndim < ndmin:
        out = expand_dims(out, 0)
    return out


def copy(a, order=None):
    """A copy of `a` (mlax arrays are immutable, so the same values as a new array)."""
    a = _arr(a)
    return lax.convert_element_type(a, a.dtype) if a.weak_type else a


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


def full(shape, fill_value, dtype=None, *, device=None):
    _check_arraylike(fill_value)
    shape = _shape(shape)
    if _is_array(fill_value):
        v = asarray(fill_value, dtype)
        return lax.broadcast_in_dim(v, shape, tuple(range(len(shape) - v.ndim, len(shape))))
    dt = core.canonicalize_dtype(dtype) if dtype is not None else \
        (core.aval_of_python_scalar(fill_value).dtype if core.is_python_scalar(fill_value)
         else core.canonicalize_dtype(_np.asarray(fill_value).dtype))
    if _np.ndim(fill_value):
        return broadcast_to(asarray(fill_value, dt), shape)
    if core.trace_stack():
        return lax.broadcast_in_dim(Array(_np.asarray(fill_value, dt)), shape, ())
    return Array(_np.full(shape, fill_value, dtype=dt))


def zeros(shape, dtype=None, *, device=None):
    return full(shape, 0, dtype or core.default_float())


def ones(shape, dtype=None, *, device=None):
    return full(shape, 1, dtype or core.default_float())


def empty(shape, dtype=None, *, device=None):
    return zeros(shape, dtype)


def _like_dtype(a, dtype):
    _check_arraylike(a)
    return dtype if dtype is not None else _aval(a).dtype


def zeros_like(a, dtype=None, shape=None, *, device=None):
    return full(shape if shape is not None else _aval(a).shape, 0, _like_dtype(a, dtype))


def ones_like(a, dtype=None, shape=None, *, device=None):
    return full(shape if shape is not None else _aval(a).shape, 1, _like_dtype(a, dtype))


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    return full(shape if shape is not None else _aval(a).shape, fill_value, _like_dtype(a, dtype))


empty_like = zeros_like


def _concrete(x, what):
    if isinstance(x, Tracer):
        x._concretization(core.ConcretizationTypeError, f"{what} needs a concrete value; got a traced value",
                          "Pass it as a static argument.")
    return x


def arange(start, stop=None, step=None, dtype=None, *, device=None):
    for v in (start, stop, step):
        _concrete(v, "arange")
    start = _np.asarray(start).item() if isinstance(start, Array) else start
    stop = _np.asarray(stop).item() if isinstance(stop, Array) else stop
    step = _np.asarray(step).item() if isinstance(step, Array) else step
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        dtype = core.default_float() if builtins.any(isinstance(v, (float, _np.floating)) for v in (start, stop, step)) \
            else core.default_int()
    n = builtins.max(0, int(_math.ceil((stop - start) / step)))
    dtype = core.canonicalize_dtype(dtype)
    if start == 0 and step == 1:
        return lax.iota(dtype, n)
    return Array(_np.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    num = int(num)
    div = (num - 1) if endpoint else num
    _check_arraylike(start)
    _check_arraylike(stop)
    if _is_array(start) or _is_array(stop) or _np.ndim(start) or _np.ndim(stop):
        start = asarray(start, dtype)
        stop = asarray(stop, dtype)
        start, stop = _broadcast(start, stop)
        step = (stop - start) / builtins.max(div, 1)
        i = lax.broadcasted_iota(dtype, (num,) + start.shape, 0)
        out = start[None] + i * step[None]
        if endpoint and num > 1:
            out = out.at[-1].set(stop)
        out = moveaxis(out, 0, axis)
        return (out, step) if retstep else out
    # Computed as JAX does: start + i * step in float, last point exactly `stop`.
    i = _np.arange(num, dtype=_np.float64)
    step = (stop - start) / div if div > 0 else 0.0
    vals = (start + i * step).astype(dtype)
    if endpoint and num > 1:
        vals[-1] = stop
    out = Array(_np.ascontiguousarray(vals))
    return (out, Array(_np.asarray(step, dtype))) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    lin = linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    return power(asarray(base, dtype), lin).astype(dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    if _is_array(start) or _is_array(stop):
        start, stop = asarray(start, dtype), asarray(stop, dtype)
        sign = lax.sign(start)
        lin = linspace(log(abs(start)), log(abs(stop)), num, endpoint=endpoint, dtype=dtype, axis=axis)
        return sign * exp(lin)
    return Array(_np.ascontiguousarray(_np.geomspace(start, stop, num, endpoint=endpoint, axis=axis).astype(dtype)))


def _tri_mask(n, m, k):
    """bool[n, m]: True where column <= row + k."""
    r = lax.broadcasted_iota(_np.int32, (n, m), 0)
    c = lax.broadcasted_iota(_np.int32, (n, m), 1)
    return lax.ge(lax.add(r, full((n, m), _np.int32(k), _np.int32)), c)


def eye(N, M=None, k=0, dtype=None, *, device=None):
    N, M = _shape((N, N if M is None else M))
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    r = lax.broadcasted_iota(_np.int32, (N, M), 0)
    c = lax.broadcasted_iota(_np.int32, (N, M), 1)
    return lax.convert_element_type(lax.eq(lax.add(r, Array(_np.full((N, M), k, _np.int32))), c), dtype)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    return lax.convert_element_type(_tri_mask(int(N), int(M), int(k)),
                                    core.canonicalize_dtype(dtype or core.default_float()))


def tril(m, k=0):
    m = _arr(m)
    if m.ndim < 2:
        raise ValueError(f"tril requires an array of at least 2 dimensions, got shape {m.shape}")
    mask = broadcast_to(_tri_mask(m.shape[-2], m.shape[-1], k), m.shape)
    return lax.select(mask, m, zeros_like(m))


def triu(m, k=0):
    m = _arr(m)
    if m.ndim < 2:
        raise ValueError(f"triu requires an array of at least 2 dimensions, got shape {m.shape}")
    mask = broadcast_to(_tri_mask(m.shape[-2], m.shape[-1], k - 1), m.shape)
    return lax.select(mask, zeros_like(m), m)


def _index_array_const(a):
    return Array(_np.ascontiguousarray(_np.asarray(a).astype(core.default_int())))


def tril_indices(n, k=0, m=None):
    return tuple(_index_array_const(i) for i in _np.tril_indices(n, k, m))


def triu_indices(n, k=0, m=None):
    return tuple(_index_array_const(i) for i in _np.triu_indices(n, k, m))


def tril_indices_from(arr, k=0):
    _check_arraylike(arr)
    return tril_indices(shape(arr)[-2], k, shape(arr)[-1])


def triu_indices_from(arr, k=0):
    _check_arraylike(arr)
    return triu_indices(shape(arr)[-2], k, shape(arr)[-1])


def diag_indices(n, ndim=2):
    return tuple(_index_array_const(i) for i in _np.diag_indices(n, ndim))


def diag_indices_from(arr):
    _check_arraylike(arr)
    return diag_indices(shape(arr)[0], ndim(arr))


def indices(dimensions, dtype=None, sparse=False):
    dims = _shape(dimensions)
    dtype = core.canonicalize_dtype(dtype or core.default_int())
    if sparse:
        return tuple(lax.broadcasted_iota(dtype, tuple(n if j == i else 1 for j, n in enumerate(dims)), i)
                     for i in range(len(dims)))
    if not dims:
        return zeros((0,), dtype)
    return stack([lax.broadcasted_iota(dtype, dims, i) for i in range(len(dims))])


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for indexing are 'xy' and 'ij', got {indexing!r}")
    args = [ravel(_arr(x)) for x in xi]
    n = len(args)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    full_shape = [0] * n
    for i, a in enumerate(args):
        full_shape[pos[i]] = a.shape[0]
    out = []
    for i, a in enumerate(args):
        s = [1] * n
        s[pos[i]] = a.shape[0]
        r = reshape(a, s)
        out.append(r if sparse else broadcast_to(r, full_shape))
    return out


class _Grid:
    """`mgrid[...]` / `ogrid[...]`: NumPy's index tricks with static slices."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, key):
        host = _np.ogrid[key] if self.sparse else _np.mgrid[key]
        if isinstance(host, (list, tuple)):
            return [asarray(h) for h in host]
        return asarray(host)


mgrid = _Grid(False)
ogrid = _Grid(True)


def fromfunction(function, shape, *, dtype=float, **kwargs):
    return function(*indices(shape, dtype=core.canonicalize_dtype(dtype)), **kwargs)


def diag(v, k=0):
    v = _arr(v)
    k = int(k)
    if v.ndim == 1:
        n = v.shape[0]
        N = n + builtins.abs(k)
        vp = lax.pad(v, Array(_np.zeros((), v.dtype)), [(0, builtins.abs(k), 0)])
        vb = lax.broadcast_in_dim(vp, (N, N), (0,) if k >= 0 else (1,))
        r = lax.broadcasted_iota(_np.int32, (N, N), 0)
        c = lax.broadcasted_iota(_np.int32, (N, N), 1)
        mask = lax.eq(lax.sub(c, r), full((N, N), _np.int32(k), _np.int32))
        return lax.select(mask, vb, zeros_like(vb))
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError(f"diag input must be 1d or 2d, got shape {v.shape}")


def diagflat(v, k=0):
    return diag(ravel(v), k)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal at `offset` over axes (axis1, axis2), as the last axis of the result."""
    a = _arr(a)
    nd = a.ndim
    if nd < 2:
        raise ValueError(f"diagonal requires an array of at least 2 dimensions, got shape {a.shape}")
    axis1, axis2 = _axis(axis1, nd), _axis(axis2, nd)
    if axis1 == axis2:
        raise TypeError(f"diagonal: axis1 and axis2 cannot be the same axis ({axis1}) (at {user_site()})")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    n, m = a.shape[-2:]
    offset = int(offset)
    count = builtins.max(0, builtins.min(n, m - offset) if offset >= 0 else builtins.min(n + offset, m))
    rows = _np.arange(count) + builtins.max(0, -offset)
    cols = rows + offset
    return a[..., rows, cols]


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    if inplace:
        raise ValueError("mlax arrays are immutable: call fill_diagonal(..., inplace=False) and use the result")
    a = _arr(a)
    if a.ndim < 2 or (a.ndim > 2 and len(set(a.shape)) != 1):
        raise ValueError("fill_diagonal needs a 2-d array or an array whose dims are all equal")
    n = builtins.min(a.shape)
    if wrap and a.ndim == 2 and a.shape[0] > a.shape[1] + 1:
        raise NotImplementedError("fill_diagonal(wrap=True) on a tall matrix")
    idx = _np.arange(n)
    v = ravel(_arr(val))
    if v.size not in (1, n):
        v = resize(v, (n,))
    return a.at[(idx,) * a.ndim].set(v.astype(a.dtype) if v.size == n else reshape(v, ()).astype(a.dtype))


# -- promotion and broadcasting ----------------------------------------------------------

def _promote(*args):
    """Convert args to their common dtype (JAX rules, weak Python scalars)."""
    for a in args:
        _check_arraylike(a)
    avals = [_aval(a) for a in args]
    dtype, weak = core.result_type(*avals)
    out = []
    for a, av in zip(args, avals):
        if core.is_python_scalar(a) or (isinstance(a, _np.ndarray) or isinstance(a, _np.generic)):
            # A C-ordered copy: Array reads the buffer in place and freezes it.
            out.append(Array(_np.array(a, dtype=dtype, order="C", copy=True), av.weak_type))
        elif av.dtype != dtype:
            c = lax.convert_element_type(a, dtype)
            if av.weak_type and isinstance(c, Array):
                c = Array(c._value, True) if weak else c
            out.append(c)
        else:
            out.append(a)
    return out


def broadcast_shapes(*shapes, names=None):
    shapes = [tuple(s) if not isinstance(s, int) else (s,) for s in shapes]
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        size = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d != 1:
                if size != 1 and size != d:
                    raise ValueError(
                        "Incompatible shapes for broadcasting: "
                        + ", ".join(str(tuple(s)) for s in shapes) + f" (at {user_site()})")
                size = d
        out.append(size)
    return tuple(out)


def broadcast_to(x, shape):
    x = _arr(x)
    a = _aval(x)
    shape = _shape(shape)
    if a.shape == shape:
        return x
    if len(shape) < a.ndim or broadcast_shapes(a.shape, shape) != shape:
        raise ValueError(f"Incompatible shapes for broadcasting: {a.shape} and requested shape {shape} (at {user_site()})")
    if isinstance(x, Array) and x.ndim == 0 and x.size == 1 and not core.trace_stack():
        return Array(_np.ascontiguousarray(_np.broadcast_to(x._value, shape)), x.weak_type)
    return lax.broadcast_in_dim(x, shape, tuple(range(len(shape) - a.ndim, len(shape))))


def _broadcast(*args):
    """The operands of an elementwise function broadcast to one shape (JAX's implicit
    rank promotion, checked as the jax_numpy_rank_promotion option says)."""
    shapes = [_aval(a).shape for a in args]
    if core.config.values["jax_numpy_rank_promotion"] != "allow":
        _check_rank_promotion(shapes)
    shape = broadcast_shapes(*shapes)
    return [broadcast_to(a, shape) for a in args]


def _check_rank_promotion(shapes):
    if len({len(s) for s in shapes if s}) < 2:
        return       # equal ranks, or scalars: no rank promotion
    shapes = " ".join(map(str, shapes))
    url = "https://docs.jax.dev/en/latest/rank_promotion_warning.html"
    if core.config.values["jax_numpy_rank_promotion"] == "warn":
        _warnings.warn(f"Following NumPy automatic rank promotion on shapes {shapes} (at "
                       f"{user_site()}). Set the jax_numpy_rank_promotion config option to "
                       f"'allow' to disable this warning; for more information, see {url}.",
                       stacklevel=3)
    else:
        raise ValueError(f"Operands could not be broadcast together on shapes {shapes} and "
                         "with the config option jax_numpy_rank_promotion='raise' (at "
                         f"{user_site()}). For more information, see {url}.")


def broadcast_arrays(*args):
    args = [_arr(a) for a in args]
    shape = broadcast_shapes(*[_aval(a).shape for a in args])
    return [broadcast_to(a, shape) for a in args]


def _elementwise(prim, *args):
    return prim(*_broadcast(*_promote(*args)))


def _float_args(*args):
    """Promote integer inputs of float-only functions to the default float."""
    ps = _promote(*args)
    if not _np.issubdtype(_aval(ps[0]).dtype, _np.inexact):
        ps = [lax.convert_element_type(p, core.default_float()) for p in ps]
    return ps


def _unary_float(prim, name=None):
    def f(x):
        x = _float_args(x)[0]
        return prim(x)
    f.__name__ = name or prim.__name__
    return f


def _binary_fn(prim, name):
    def f(x, y):
        return _elementwise(prim, x, y)
    f.__name__ = name
    return f


def _const(like, value):
    """A scalar of `like`'s dtype broadcast to its shape (a constant operand for lax ops)."""
    return full(_aval(like).shape, _np.asarray(value, _dt(like)), _dt(like))


def add(x, y):
    """x + y; for booleans logical or, as in JAX (True + True is True)."""
    x, y = _broadcast(*_promote(x, y))
    return lax.bitwise_or(x, y) if _dt(x) == _np.bool_ else lax.add(x, y)


def multiply(x, y):
    """x * y; for booleans logical and, as in JAX."""
    x, y = _broadcast(*_promote(x, y))
    return lax.bitwise_and(x, y) if _dt(x) == _np.bool_ else lax.mul(x, y)


subtract = _binary_fn(lax.sub, "subtract")
maximum = _binary_fn(lax.max, "maximum")
minimum = _binary_fn(lax.min, "minimum")
equal = _binary_fn(lax.eq, "equal")
not_equal = _binary_fn(lax.ne, "not_equal")
less = _binary_fn(lax.lt, "less")
less_equal = _binary_fn(lax.le, "less_equal")
greater = _binary_fn(lax.gt, "greater")
greater_equal = _binary_fn(lax.ge, "greater_equal")
bitwise_and = _binary_fn(lax.bitwise_and, "bitwise_and")
bitwise_or = _binary_fn(lax.bitwise_or, "bitwise_or")
bitwise_xor = _binary_fn(lax.bitwise_xor, "bitwise_xor")
left_shift = _binary_fn(lax.shift_left, "left_shift")
right_shift = _binary_fn(lambda x, y: lax.shift_right_logical(x, y) if _aval(x).dtype.kind == "u"
                         else lax.shift_right_arithmetic(x, y), "right_shift")
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def _as_bool(x):
    x = _arr(x)
    return x if _dt(x) == _np.bool_ else lax.ne(x, zeros_like(x))


def logical_and(x, y):
    return _elementwise(lax.bitwise_and, _as_bool(x), _as_bool(y))


def logical_or(x, y):
    return _elementwise(lax.bitwise_or, _as_bool(x), _as_bool(y))


def logical_xor(x, y):
    return _elementwise(lax.bitwise_xor, _as_bool(x), _as_bool(y))


def logical_not(x):
    return lax.bitwise_not(_as_bool(x))


def bitwise_not(x):
    return lax.bitwise_not(_arr(x))


invert = bitwise_invert = bitwise_not


def bitwise_count(x):
    """The number of 1 bits in |x| (NumPy's and JAX's rule for signed ints)."""
    x = _arr(x)
    if _dt(x).kind == "i":
        x = lax.abs(x)
    return lax.population_count(x).astype(_np.uint8)


def true_divide(x, y):
    x, y = _broadcast(*_float_args(x, y))
    return lax.div(x, y)


divide = true_divide


def _promote_numeric(*args):
    """_promote, then bool to the default int: JAX's promote_args_numeric, for functions
    with no boolean meaning (//, %)."""
    args = _promote(*args)
    if _dt(args[0]) == _np.bool_:
        args = [lax.convert_element_type(a, core.default_int()) for a in args]
    return args


def _nonzero_divisor(y):
    """y with integer zeros replaced by 1: JAX's % and fmod give 0 for x % 0."""
    if _dt(y).kind not in "iu":
        return y
    return lax.select(lax.eq(y, zeros_like(y)), ones_like(y), y)


def floor_divide(x, y):
    """JAX's floor_divide: lax.div (x // 0 = -1) corrected where signs differ, so
    7 // 0 = -2 as in JAX; floats as Python's float divmod."""
    x, y = _broadcast(*_promote_numeric(x, y))
    kind = _dt(x).kind
    if kind == "u":
        return lax.div(x, y)
    if kind == "i":
        q = lax.div(x, y)
        fix = logical_and(lax.ne(lax.sign(x), lax.sign(y)), lax.ne(lax.rem(x, y), zeros_like(x)))
        return lax.select(fix, lax.sub(q, ones_like(q)), q)
    return _float_divmod(x, y)[0]


def _float_divmod(x, y):
    """(x // y, x % y) for floats as CPython's float_divmod (and JAX) compute them: from
    the exact remainder, so 1.0 // 0.1 is 9.0 (floor(1.0 / 0.1) would be 10.0)."""
    mod = lax.rem(x, y)
    div = lax.div(lax.select(lax.eq(y, zeros_like(y)), x, lax.sub(x, mod)), y)
    fix = logical_and(lax.ne(mod, zeros_like(mod)), lax.ne(lax.sign(y), lax.sign(mod)))
    mod = lax.select(fix, lax.add(mod, y), mod)
    div = lax.select(fix, lax.sub(div, ones_like(div)), div)
    return lax.round(div), mod


def remainder(x, y):
    """JAX's remainder: the sign of y, and x % 0 = 0 for integers."""
    x, y = _broadcast(*_promote_numeric(x, y))
    y = _nonzero_divisor(y)
    r = lax.rem(x, y)
    zero = zeros_like(r)
    fix = logical_and(lax.ne(lax.lt(r, zero), lax.lt(y, zeros_like(y))), lax.ne(r, zero))
    return lax.select(fix, lax.add(r, y), r)


mod = remainder


def fmod(x, y):
    """lax.rem (the sign of x), with x % 0 = 0 for integers as in JAX (booleans promote to
    int after that rule, as in JAX: fmod(True, False) is 1)."""
    x, y = _broadcast(*_promote(x, y))
    y = _nonzero_divisor(y)
    return lax.rem(*_promote_numeric(x, y))


def divmod(x, y):
    x, y = _broadcast(*_promote_numeric(x, y))
    if _dt(x).kind in "iu":
        return floor_divide(x, y), remainder(x, y)
    return _float_divmod(x, y)


def _int_power(x, y):
    """x ** y for integer arrays, by squaring over the low 6 bits of y (anything larger
    overflows for |x| > 1), 0 for negative y: JAX's rule."""
    zero, one = zeros_like(y), ones_like(y)
    acc = lax.select(lax.lt(y, zero), zeros_like(x), ones_like(x))
    for _ in range(6):
        acc = lax.select(lax.ne(lax.bitwise_and(y, one), zero), lax.mul(acc, x), acc)
        x = lax.mul(x, x)
        y = lax.shift_right_logical(y, one)
    return acc


def power(x, y):
    if isinstance(y, (int, _np.integer)) and not isinstance(y, (builtins.bool, _np.bool_)):
        x = _arr(x)
        if _dt(x) == _np.bool_:
            x = x.astype(core.default_int())
        return lax.integer_pow(x, int(y))
    x, y = _promote(x, y)
    x, y = _broadcast(x, y)
    if _dt(x).kind in "iub":
        if _dt(x) == _np.bool_:
            x, y = x.astype(core.default_int()), y.astype(core.default_int())
        return _int_power(x, y)
    return lax.pow(x, y)


pow = power


def float_power(x, y):
    x, y = _broadcast(*_float_args(x, y))
    return lax.pow(x, y)


def negative(x):
    return lax.neg(_arr(x))


def positive(x):
    return _arr(x)


exp = _unary_float(lax.exp)
exp2 = _unary_float(lax.exp2)
log = _unary_float(lax.log)
log1p = _unary_float(lax.log1p)
expm1 = _unary_float(lax.expm1)
tanh = _unary_float(lax.tanh)
sin = _unary_float(lax.sin)
cos = _unary_float(lax.cos)
tan = _unary_float(lax.tan)
arcsin = asin = _unary_float(lax.asin, "arcsin")
arccos = acos = _unary_float(lax.acos, "arccos")
arctan = atan = _unary_float(lax.atan, "arctan")
sinh = _unary_float(lax.sinh)
cosh = _unary_float(lax.cosh)
arcsinh = asinh = _unary_float(lax.asinh, "arcsinh")
arccosh = acosh = _unary_float(lax.acosh, "arccosh")
arctanh = atanh = _unary_float(lax.atanh, "arctanh")
sqrt = _unary_float(lax.sqrt)
cbrt = _unary_float(lax.cbrt)


def log2(x):
    x = _float_args(x)[0]
    return lax.div(lax.log(x), full_like(x, _np.log(2)))


def log10(x):
    x = _float_args(x)[0]
    return lax.div(lax.log(x), full_like(x, _np.log(10)))


def arctan2(y, x):
    y, x = _broadcast(*_float_args(y, x))
    return lax.atan2(y, x)


atan2 = arctan2


def hypot(x, y):
    """sqrt(x**2 + y**2) without overflow: max * sqrt(1 + (min/max)**2)."""
    x, y = _broadcast(*_float_args(x, y))
    x, y = lax.abs(x), lax.abs(y)
    big, small = lax.max(x, y), lax.min(x, y)
    safe = lax.select(lax.eq(big, zeros_like(big)), ones_like(big), big)
    r = lax.div(small, safe)
    out = lax.mul(big, lax.sqrt(lax.add(ones_like(r), lax.mul(r, r))))
    return lax.select(logical_or(isinf(x), isinf(y)), full_like(out, _np.inf), out)


def _log_add(x1, x2, log1p_exp):
    """log(f(x1) + f(x2)) as the larger operand plus log1p_exp(-|x1 - x2|), written as a
    select of two branches that are smooth everywhere: the derivative at x1 == x2 is 1/2 for
    each operand (JAX's), and the unselected branch never overflows."""
    x1, x2 = _broadcast(*_float_args(x1, x2))
    d = lax.sub(x1, x2)
    zero = zeros_like(d)
    ge = lax.ge(d, zero)
    d_pos = lax.select(ge, d, zero)
    d_neg = lax.select(ge, zero, d)
    out = lax.select(ge, lax.add(x1, log1p_exp(lax.neg(d_pos))), lax.add(x2, log1p_exp(d_neg)))
    return lax.select(isnan(d), lax.add(x1, x2), out)


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow."""
    return _log_add(x1, x2, lambda t: lax.log1p(lax.exp(t)))


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2) without overflow."""
    return _log_add(x1, x2, lambda t: lax.div(lax.log1p(lax.exp2(t)), full_like(t, _np.log(2))))


def deg2rad(x):
    x = _float_args(x)[0]
    return lax.mul(x, full_like(x, _np.pi / 180))


def rad2deg(x):
    x = _float_args(x)[0]
    return lax.mul(x, full_like(x, 180 / _np.pi))


radians, degrees = deg2rad, rad2deg


def sinc(x):
    """sin(pi x) / (pi x), 1 at 0 (with a finite derivative there)."""
    x = _float_args(x)[0]
    is_zero = lax.eq(x, zeros_like(x))
    safe = lax.mul(lax.select(is_zero, ones_like(x), x), full_like(x, _np.pi))
    return lax.select(is_zero, ones_like(x), lax.div(lax.sin(safe), safe))


def heaviside(x1, x2):
    x1, x2 = _broadcast(*_float_args(x1, x2))
    zero = zeros_like(x1)
    return lax.select(lax.lt(x1, zero), zero, lax.select(lax.gt(x1, zero), ones_like(x1), x2))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    x = _arr(x)
    if not _is_float(x):
        return x
    info = _np.finfo(_dt(x))
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = lax.select(isnan(x), _const(x, nan), x)
    out = lax.select(isposinf(x), _const(x, posinf), out)
    return lax.select(isneginf(x), _const(x, neginf), out)


def abs(x):
    x = _arr(x)
    if _aval(x).dtype.kind in "ub":
        return x
    return lax.abs(x)


absolute = abs


def fabs(x):
    return lax.abs(_float_args(x)[0])


def sign(x):
    return lax.sign(_arr(x))


def floor(x):
    x = _arr(x)
    return lax.floor(x) if _aval(x).dtype.kind == "f" else x


def ceil(x):
    x = _arr(x)
    return lax.ceil(x) if _aval(x).dtype.kind == "f" else x


def trunc(x):
    x = _arr(x)
    if not _is_float(x):
        return x
    return lax.select(lax.lt(x, zeros_like(x)), lax.ceil(x), lax.floor(x))


fix = trunc


def modf(x):
    x = _float_args(x)[0]
    t = trunc(x)
    return lax.sub(x, t), t


def round(x, decimals=0, out=None):
    x = _arr(x)
    if _aval(x).dtype.kind != "f":
        return x
    if decimals:
        f = 10.0 ** decimals
        return _round_half_even(x * f) / f
    return _round_half_even(x)


def _round_half_even(x):
    r = lax.round(x)   # half away from zero
    half = lax.abs(lax.sub(x, lax.floor(x)))
    is_half = lax.eq(half, full_like(x, 0.5))
    odd = lax.ne(lax.rem(r, full_like(x, 2.0)), full_like(x, 0.0))
    return where(logical_and(is_half, odd), lax.sub(r, lax.sign(x)), r)


around = round


def rint(x):
    return round(x)


def square(x):
    x = _arr(x)
    if _dt(x) == _np.bool_:   # JAX squares booleans as integers
        x = lax.convert_element_type(x, core.default_int())
    return lax.integer_pow(x, 2)


def reciprocal(x):
    return true_divide(1, x)


def signbit(x):
    """True where the sign bit is set (also for -0.0 and negative NaNs)."""
    x = _arr(x)
    dt = _dt(x)
    if dt.kind == "f":
        bits = lax.bitcast_convert_type(x, {2: _np.int16, 4: _np.int32, 8: _np.int64}[dt.itemsize])
        return lax.lt(bits, zeros_like(bits))
    if dt.kind == "i":
        return lax.lt(x, zeros_like(x))
    return full_like(x, False, _np.bool_)


def copysign(x1, x2):
    x1, x2 = _broadcast(*_float_args(x1, x2))
    a = lax.abs(x1)
    return lax.select(signbit(x2), lax.neg(a), a)


def nextafter(x1, x2):
    x1, x2 = _broadcast(*_float_args(x1, x2))
    return lax.nextafter(x1, x2)


def _float_int_type(dt):
    """(int dtype of the same width, mantissa bits, exponent bias) of a float dtype."""
    return {2: (_np.int16, 10, 15), 4: (_np.int32, 23, 127), 8: (_np.int64, 52, 1023)}[_np.dtype(dt).itemsize]


def _exact_pow2(n, dt):
    """2.0**n as `dt`, exactly, for integer n in the normal range (built from its bits)."""
    it, mant, bias = _float_int_type(dt)
    n = clip(n.astype(it), 1 - bias, bias)
    bits = lax.shift_left(lax.add(n, _const(n, bias)), _const(n, mant))
    return lax.bitcast_convert_type(bits, dt)


def ldexp(x1, x2):
    """x1 * 2**x2, exact (2**x2 is built from its bits, split in two factors for range)."""
    x1 = _float_args(x1)[0]
    x2 = _arr(x2)
    if _dt(x2).kind not in "iub":
        raise TypeError(f"ldexp exponents must be integers, got {_dt(x2)}")
    x1, x2 = _broadcast(x1, x2.astype(_float_int_type(_dt(x1))[0]))
    half = lax.div(x2, _const(x2, 2))
    return lax.mul(lax.mul(x1, _exact_pow2(half, _dt(x1))), _exact_pow2(lax.sub(x2, half), _dt(x1)))


def frexp(x):
    """(mantissa in [0.5, 1), exponent) with x == mantissa * 2**exponent."""
    x = _float_args(x)[0]
    dt = _dt(x)
    it, mant, bias = _float_int_type(dt)
    # Scale subnormals into the normal range first.
    tiny = lax.lt(lax.abs(x), _const(x, _np.finfo(dt).tiny))
    scale = mant + 1
    xs = lax.select(tiny, lax.mul(x, _const(x, 2.0 ** scale)), x)
    bits = lax.bitcast_convert_type(xs, it)
    emask = _const(bits, (1 << (8 * _np.dtype(dt).itemsize - 1 - mant)) - 1)
    e = lax.bitwise_and(lax.shift_right_logical(bits, _const(bits, mant)), emask)
    mbits = lax.bitwise_or(lax.bitwise_and(bits, lax.bitwise_not(lax.shift_left(emask, _const(bits, mant)))),
                           _const(bits, (bias - 1) << mant))
    m = lax.bitcast_convert_type(mbits, dt)
    e = lax.sub(e, _const(e, bias - 1))
    e = lax.select(tiny, lax.sub(e, _const(e, scale)), e)
    special = logical_or(lax.eq(x, zeros_like(x)), logical_not(lax.is_finite(x)))
    m = lax.select(special, x, m)
    e = lax.select(special, zeros_like(e), e)
    return m, e.astype(core.default_int() if _np.dtype(it).itemsize <= 4 else it)


def fmax(x1, x2):
    x1, x2 = _broadcast(*_promote(x1, x2))
    return lax.select(isnan(x1), x2, lax.select(isnan(x2), x1, lax.max(x1, x2)))


def fmin(x1, x2):
    x1, x2 = _broadcast(*_promote(x1, x2))
    return lax.select(isnan(x1), x2, lax.select(isnan(x2), x1, lax.min(x1, x2)))


def conjugate(x):
    return _arr(x)


conj = conjugate


def real(x):
    return _arr(x)


def imag(x):
    return zeros_like(_arr(x))


def angle(z, deg=False):
    z = _float_args(z)[0]
    out = lax.select(signbit(z), full_like(z, _np.pi), zeros_like(z))
    return rad2deg(out) if deg else out


def isreal(x):
    return full_like(_arr(x), True, _np.bool_)


def iscomplex(x):
    return full_like(_arr(x), False, _np.bool_)


def clip(a=None, a_min=None, a_max=None, *, min=None, max=None, arr=None):
    a = _arr(arr if a is None else a)
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


def _where3(condition, x, y):
    _check_arraylike(condition)
    condition = _as_bool(condition)
    x, y = _promote(x, y)
    c, x, y = _broadcast(condition, x, y)
    return lax.select(c, x, y)


def where(condition, x=None, y=None, *, size=None, fill_value=None):
    _check_arraylike(condition)
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("Either both or neither of the x and y arguments should be provided to jax.numpy.where")
    return _where3(condition, x, y)


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError(f"condlist must have length equal to choicelist ({len(condlist)} vs {len(choicelist)})")
    if not condlist:
        raise ValueError("condlist must be non-empty")
    choices = _promote(*choicelist, default)
    out = choices[-1]
    for c, v in reversed(list(zip(condlist, choices[:-1]))):
        out = _where3(c, v, out)
    return out


def piecewise(x, condlist, funclist, *args, **kw):
    x = _arr(x)
    if isinstance(condlist, (Array, Tracer, _np.ndarray)) and _np.ndim(condlist) == x.ndim:
        condlist = [condlist]
    condlist = list(condlist)
    funclist = list(funclist)
    if len(funclist) == len(condlist) + 1:
        otherwise = logical_not(_any_of(condlist))
        condlist.append(otherwise)
    elif len(funclist) != len(condlist):
        raise ValueError(f"piecewise: {len(condlist)} conditions need {len(condlist)} or "
                         f"{len(condlist) + 1} functions, got {len(funclist)}")
    out = zeros_like(x)
    for c, f in zip(condlist, funclist):
        v = f(x, *args, **kw) if callable(f) else f
        out = _where3(c, asarray(v, x.dtype) if not _is_array(v) else v.astype(x.dtype), out)
    return out


def _any_of(conds):
    out = _as_bool(conds[0])
    for c in conds[1:]:
        out = logical_or(out, c)
    return out


def isnan(x):
    x = _arr(x)
    return lax.ne(x, x)


def isfinite(x):
    x = _arr(x)
    if _aval(x).dtype.kind != "f":
        return full_like(x, True, bool_)
    return lax.is_finite(x)


def isinf(x):
    x = _arr(x)
    if _aval(x).dtype.kind != "f":
        return full_like(x, False, bool_)
    return lax.eq(lax.abs(x), full_like(x, _np.inf))


def isposinf(x):
    x = _arr(x)
    if not _is_float(x):
        return full_like(x, False, bool_)
    return lax.eq(x, full_like(x, _np.inf))


def isneginf(x):
    x = _arr(x)
    if not _is_float(x):
        return full_like(x, False, bool_)
    return lax.eq(x, full_like(x, -_np.inf))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b| in floating point (integers are converted, as in JAX);
    infinities are close only to themselves, NaNs never unless equal_nan."""
    a, b = _broadcast(*_float_args(a, b))
    out = lax.le(lax.abs(lax.sub(a, b)), lax.add(_const(a, atol), lax.mul(_const(a, rtol), lax.abs(b))))
    a_inf, b_inf = isinf(a), isinf(b)
    out = logical_and(out, logical_not(logical_or(a_inf, b_inf)))
    out = logical_or(out, logical_and(logical_and(a_inf, b_inf), lax.eq(a, b)))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    a1, a2 = asarray(a1), asarray(a2)   # lists are accepted here, as in JAX
    if a1.shape != a2.shape:
        return asarray(False)
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)


def array_equiv(a1, a2):
    a1, a2 = asarray(a1), asarray(a2)
    try:
        broadcast_shapes(a1.shape, a2.shape)
    except ValueError:
        return asarray(False)
    return all(equal(a1, a2))


# -- linear algebra ----------------------------------------------------------------------

def dot(a, b, precision=None, preferred_element_type=None):
    lax.canonicalize_precision(precision)   # validated; no effect on CPU code
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        return multiply(a, b)
    if bv.ndim == 1:
        _check_contract(av, bv, av.ndim - 1, 0)
        return lax.dot_general(a, b, (([av.ndim - 1], [0]), ([], [])))
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 2)
    return lax.dot_general(a, b, (([av.ndim - 1], [bv.ndim - 2]), ([], [])))


def _check_contract(av, bv, i, j):
    if av.shape[i] != bv.shape[j]:
        raise TypeError(f"dot_general requires contracting dimensions to have the same shape, "
                        f"got {av.shape} and {bv.shape} (at {user_site()})")


def matmul(a, b, precision=None, preferred_element_type=None):
    lax.canonicalize_precision(precision)   # validated; no effect on CPU code
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        raise ValueError("matmul: operands must not be scalars")
    if av.ndim == 1 or bv.ndim == 1:
        if av.ndim == 1 and bv.ndim == 1:
            _check_contract(av, bv, 0, 0)
            return lax.dot_general(a, b, (([0], [0]), ([], [])))
        if av.ndim == 1:
            _check_contract(av, bv, 0, bv.ndim - 2)
            out = matmul(expand_dims(a, 0), b)
            return squeeze(out, -2)
        _check_contract(av, bv, av.ndim - 1, 0)
        return squeeze(matmul(a, expand_dims(b, -1)), -1)
    batch = broadcast_shapes(av.shape[:-2], bv.shape[:-2])
    a = broadcast_to(a, batch + av.shape[-2:])
    b = broadcast_to(b, batch + bv.shape[-2:])
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 2)
    nb = len(batch)
    return lax.dot_general(a, b, (([nb + 1], [nb]), (list(range(nb)), list(range(nb)))))


def matvec(x1, x2):
    return einsum("...ij,...j->...i", x1, x2)


def vecmat(x1, x2):
    return einsum("...i,...ij->...j", x1, x2)


def vecdot(x1, x2, axis=-1):
    x1, x2 = _broadcast(*_promote(x1, x2))
    return sum(multiply(x1, x2), axis=axis)


def matrix_transpose(x):
    x = _arr(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {x.shape}")
    return swapaxes(x, -1, -2)


def inner(a, b):
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        return multiply(a, b)
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 1)
    return lax.dot_general(a, b, (([av.ndim - 1], [bv.ndim - 1]), ([], [])))


def outer(a, b, out=None):
    a, b = ravel(a), ravel(b)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def vdot(a, b, precision=None):
    lax.canonicalize_precision(precision)   # validated; no effect on CPU code
    return dot(ravel(a), ravel(b))


def tensordot(a, b, axes=2, precision=None, preferred_element_type=None):
    lax.canonicalize_precision(precision)   # validated; no effect on CPU code
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if isinstance(axes, (int, _np.integer)):
        axes = int(axes)
        if axes > builtins.min(av.ndim, bv.ndim) or axes < 0:
            raise ValueError(f"tensordot: axes={axes} does not fit shapes {av.shape} and {bv.shape}")
        la, lb = list(range(av.ndim - axes, av.ndim)), list(range(axes))
    else:
        la, lb = axes
        la = [la] if isinstance(la, (int, _np.integer)) else list(la)
        lb = [lb] if isinstance(lb, (int, _np.integer)) else list(lb)
        if len(la) != len(lb):
            raise TypeError(f"tensordot requires axes lists of equal length, got {la} and {lb}")
    la, lb = [_axis(x, av.ndim) for x in la], [_axis(x, bv.ndim) for x in lb]
    for i, j in zip(la, lb):
        _check_contract(av, bv, i, j)
    return lax.dot_general(a, b, ((la, lb), ([], [])))


def kron(a, b):
    a, b = _promote(_arr(a), _arr(b))
    nd = builtins.max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = reshape(b, (1,) * (nd - b.ndim) + b.shape)
    ae = reshape(a, [s for n in a.shape for s in (n, 1)])
    be = reshape(b, [s for n in b.shape for s in (1, n)])
    return reshape(multiply(ae, be), [n * m for n, m in zip(a.shape, b.shape)])


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _promote(_arr(a), _arr(b))
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ValueError(f"incompatible dimensions for cross product (dimension must be 2 or 3), "
                         f"got {a.shape[-1]} and {b.shape[-1]}")
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    a2 = a[..., 2] if a.shape[-1] == 3 else zeros_like(a0)
    b2 = b[..., 2] if b.shape[-1] == 3 else zeros_like(b0)
    c = stack(_broadcast(a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0), axis=-1)
    return moveaxis(c, -1, axisc)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


_EINSUM_LETTERS = _string.ascii_letters


def _einsum_parse(subscripts, operands):
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins, out = subscripts, None
    ins = ins.split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(operands)} operands")
    used = set(c for s in ins for c in s if c.isalpha())
    free = [c for c in _EINSUM_LETTERS if c not in used]
    n_ell = 0
    for s, op in zip(ins, operands):
        if "..." in s:
            n_ell = builtins.max(n_ell, op.ndim - (len(s) - 3))
    ell = "".join(free[:n_ell])
    terms = []
    for s, op in zip(ins, operands):
        if "..." in s:
            k = op.ndim - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != op.ndim:
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand of shape {op.shape}")
        terms.append(s)
    if out is None:
        counts = {}
        for s in terms:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return terms, out


def _einsum_interleaved(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublist_out]) as a subscript string."""
    args = list(args)
    out = args.pop() if len(args) % 2 else None

    def letters(sub):
        return "".join("..." if s is Ellipsis else _EINSUM_LETTERS[int(s)] for s in sub)
    ops = args[0::2]
    subs = ",".join(letters(s) for s in args[1::2])
    if out is not None:
        subs += "->" + letters(out)
    return subs, ops


def einsum(subscripts, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None, _dot_general=None):
    """Einstein summation: repeated indices in one operand take diagonals, indices found in
    one operand only are summed, operands are contracted left to right with dot_general."""
    lax.canonicalize_precision(precision)   # validated; no effect on CPU code
    if not isinstance(subscripts, str):
        subscripts, operands = _einsum_interleaved((subscripts,) + operands)
    operands = _promote(*[_arr(o) for o in operands])
    terms, out_sub = _einsum_parse(subscripts, operands)
    sizes = {}
    for s, op in zip(terms, operands):
        for c, n in zip(s, op.shape):
            if sizes.get(c, 1) == 1:   # size 1 broadcasts (to any size, 0 included)
                sizes[c] = n
            elif n != 1 and sizes[c] != n:
                raise ValueError(f"einsum: size of label {c!r} differs between operands ({sizes[c]} and {n})")
    for c in out_sub:
        if c not in sizes:
            raise ValueError(f"einsum: output label {c!r} does not appear in an input")

    def needed_after(k):
        return set(out_sub).union(*[set(s) for s in terms[k + 1:]])

    def reduce_one(x, s, keep):
        # Diagonals for labels repeated within the operand.
        while True:
            rep = next((c for c in s if s.count(c) > 1), None)
            if rep is None:
                break
            i = s.index(rep)
            j = s.index(rep, i + 1)
            x = diagonal(x, 0, i, j)
            s = "".join(c for k, c in enumerate(s) if k not in (i, j)) + rep
        axes = tuple(i for i, c in enumerate(s) if c not in keep)
        if axes:
            x = lax.reduce_sum(x, axes) if _dt(x) != _np.bool_ else lax.reduce_or(x, axes)
            s = "".join(c for c in s if c in keep)
        # Size-1 dims broadcast against the other operands' sizes.
        target = tuple(sizes[c] for c in s)
        if x.shape != target:
            x = broadcast_to(x, target)
        return x, s

    others = [set().union(*[set(t) for j, t in enumerate(terms) if j != k]) for k in range(len(terms))]
    x, s = reduce_one(operands[0], terms[0], set(out_sub) | others[0])
    for k in range(1, len(operands)):
        y, t = reduce_one(operands[k], terms[k], set(out_sub) | others[k])
        later = needed_after(k)
        common = [c for c in s if c in t]
        batch = [c for c in common if c in later]
        contract = [c for c in common if c not in later]
        x_only = [c for c in s if c not in t and c not in later]
        if x_only:
            x = lax.reduce_sum(x, tuple(s.index(c) for c in x_only))
            s = "".join(c for c in s if c not in x_only)
        x = lax.dot_general(x, y, (([s.index(c) for c in contract], [t.index(c) for c in contract]),
                                   ([s.index(c) for c in batch], [t.index(c) for c in batch])))
        s = "".join(batch) + "".join(c for c in s if c not in common) + \
            "".join(c for c in t if c not in common)
    extra = tuple(i for i, c in enumerate(s) if c not in out_sub)
    if extra:
        x = lax.reduce_sum(x, extra)
        s = "".join(c for c in s if c in out_sub)
    x = lax.transpose(x, tuple(s.index(c) for c in out_sub))
    if preferred_element_type is not None:
        x = x.astype(preferred_element_type)
    return x


# -- reductions --------------------------------------------------------------------------

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


def _keep(x, out, axes, keepdims):
    if not keepdims:
        return out
    shape = [1 if i in axes else n for i, n in enumerate(_aval(x).shape)]
    return reshape(out, shape)


def _sum_dtype(dt):
    """The accumulation dtype of sum/prod: bools and narrow ints widen to the default ints."""
    dt = _np.dtype(dt)
    if dt == _np.bool_ or (dt.kind == "i" and dt.itemsize < core.default_int().itemsize):
        return core.default_int()
    if dt.kind == "u" and dt.itemsize < core.default_int().itemsize:
        return core.canonicalize_dtype(_np.uint64)
    return dt


_IDENTITY = {"sum": 0, "prod": 1}


def _reduction(prim, name, upcast=False):
    binary = {"sum": add, "prod": multiply, "max": maximum, "min": minimum}[name]

    def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
          promote_integers=True):
        a = _arr(a)
        if dtype is not None:
            a = a.astype(dtype)
        elif upcast and promote_integers:
            a = a.astype(_sum_dtype(_dt(a)))
        axes = _axes(axis, a.ndim)
        if name not in _IDENTITY and initial is None and builtins.any(a.shape[d] == 0 for d in axes):
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity: "
                             f"shape {a.shape}, axis {axis} (pass initial= for a value) (at {user_site()})")
        out_dt = _dt(a)
        if upcast and out_dt == _np.float16:
            a = a.astype(_np.float32)   # accumulate half floats in float32, as JAX does
        if where is not None:
            if name in _IDENTITY:
                ident = _IDENTITY[name]
            elif initial is None:
                raise ValueError(f"reduction operation {name} does not have an identity, so to use "
                                 "a where mask one has to specify 'initial'")
            else:
                ident = _np.asarray(_extreme(_dt(a), name == "max"))
            mask = broadcast_to(_as_bool(where), a.shape)
            a = lax.select(mask, a, full(a.shape, _np.asarray(ident, _dt(a)), _dt(a)))
        r = prim(a, axes)
        if initial is not None:
            r = binary(r, initial).astype(_dt(a))
        return _keep(a, r.astype(out_dt) if out_dt != _dt(r) else r, axes, keepdims)
    f.__name__ = name
    return f


def _extreme(dt, lowest):
    dt = _np.dtype(dt)
    if dt.kind == "f":
        return -_np.inf if lowest else _np.inf
    if dt == _np.bool_:
        return not lowest
    info = _np.iinfo(dt)
    return info.min if lowest else info.max


sum = _reduction(lax.reduce_sum, "sum", upcast=True)
prod = _reduction(lax.reduce_prod, "prod", upcast=True)
max = _reduction(lax.reduce_max, "max")
min = _reduction(lax.reduce_min, "min")
amax, amin = max, min


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    a = _as_bool(a)
    if where is not None:
        a = logical_and(a, where)
    axes = _axes(axis, _aval(a).ndim)
    return _keep(a, lax.reduce_or(a, axes), axes, keepdims)


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    a = _as_bool(a)
    if where is not None:
        a = logical_or(a, logical_not(where))
    axes = _axes(axis, _aval(a).ndim)
    return _keep(a, lax.reduce_and(a, axes), axes, keepdims)


def _mean_dtype(a, dtype):
    if dtype is not None:
        return core.canonicalize_dtype(dtype)
    return _dt(a) if _is_float(a) else core.default_float()


def _count(a, axes, keepdims, where, dt):
    """The number of elements reduced over `axes` (per output element when masked)."""
    if where is None:
        n = 1
        for i in axes:
            n *= a.shape[i]
        return float(n)
    mask = broadcast_to(_as_bool(where), a.shape)
    return sum(mask, axis=axes, keepdims=keepdims).astype(dt)


def _compute_dtype(dt):
    return _np.dtype(_np.float32) if _np.dtype(dt) == _np.float16 else dt


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    a = _arr(a)
    dt = _mean_dtype(a, dtype)
    a = a.astype(_compute_dtype(dt))
    axes = _axes(axis, a.ndim)
    s = sum(a, axis=axes, keepdims=keepdims, where=where)
    return true_divide(s, _count(a, axes, keepdims, where, dt)).astype(dt)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    a = _arr(a)
    if correction is not None:
        ddof = correction
    dt = _mean_dtype(a, dtype)
    a = a.astype(_compute_dtype(dt))
    axes = _axes(axis, a.ndim)
    m = mean(a, axis=axes, keepdims=True, where=where)
    d = subtract(a, m)
    if where is not None:
        d = _where3(where, d, zeros_like(d))
    n = _count(a, axes, keepdims, where, dt)
    denom = builtins.max(n - ddof, 0) if isinstance(n, float) else maximum(n - ddof, 0)
    return true_divide(sum(multiply(d, d), axis=axes, keepdims=keepdims), denom).astype(dt)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, correction=None):
    return sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                    correction=correction))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    a = _arr(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        axes = _axes(axis, a.ndim)
        n = 1
        for i in axes:
            n *= a.shape[i]
        wsum = full_like(avg, n)
    else:
        a, w = _float_args(a, weights)
        axes = _axes(axis, a.ndim)
        if w.shape != a.shape:
            if axis is None:
                raise ValueError("Axis must be specified when shapes of a and weights differ.")
            if w.ndim != 1 or len(axes) != 1 or w.shape[0] != a.shape[axes[0]]:
                raise ValueError(f"weights of shape {w.shape} do not match a of shape {a.shape} along axis {axis}")
            w = lax.broadcast_in_dim(w, a.shape, (axes[0],))
        wsum = sum(w, axis=axes, keepdims=keepdims)
        avg = true_divide(sum(multiply(a, w), axis=axes, keepdims=keepdims), wsum)
    if returned:
        return avg, broadcast_to(wsum, avg.shape).astype(avg.dtype)
    return avg


def count_nonzero(a, axis=None, keepdims=False):
    return sum(_as_bool(a), axis=axis, keepdims=keepdims)


def ptp(a, axis=None, out=None, keepdims=False):
    return subtract(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


def argmax(a, axis=None, out=None, keepdims=False):
    a = _arr(a)
    if axis is None:
        r = argmax(ravel(a), axis=0)
        return reshape(r, (1,) * a.ndim) if keepdims else r
    axis = _axis(axis, _aval(a).ndim)
    if a.shape[axis] == 0:
        raise ValueError(f"attempt to get argmax of an empty sequence: shape {a.shape}, axis {axis} "
                         f"(at {user_site()})")
    r = lax.argmax(a, axis, core.default_int())
    return _keep(a, r, (axis,), keepdims)


def argmin(a, axis=None, out=None, keepdims=False):
    a = _arr(a)
    if axis is None:
        r = argmin(ravel(a), axis=0)
        return reshape(r, (1,) * a.ndim) if keepdims else r
    axis = _axis(axis, _aval(a).ndim)
    if a.shape[axis] == 0:
        raise ValueError(f"attempt to get argmin of an empty sequence: shape {a.shape}, axis {axis} "
                         f"(at {user_site()})")
    r = lax.argmin(a, axis, core.default_int())
    return _keep(a, r, (axis,), keepdims)


# NaN-ignoring reductions: NaNs replaced by the reduction's identity.

def _nan_to(a, value):
    a = _arr(a)
    if not _is_float(a):
        return a
    return lax.select(isnan(a), _const(a, value), a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return sum(_nan_to(a, 0), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return prod(_nan_to(a, 1), axis=axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def _nan_extreme(fn, lowest):
    def f(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a = _arr(a)
        if not _is_float(a):
            return fn(a, axis=axis, keepdims=keepdims, initial=initial, where=where)
        r = fn(_nan_to(a, -_np.inf if lowest else _np.inf), axis=axis, keepdims=keepdims,
               initial=initial, where=where)
        all_nan = all(isnan(a), axis=axis, keepdims=keepdims)
        return _where3(all_nan, full_like(r, _np.nan), r)
    return f


nanmax = _nan_extreme(max, True)
nanmin = _nan_extreme(min, False)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    a = _arr(a)
    if not _is_float(a):
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    valid = logical_not(isnan(a))
    if where is not None:
        valid = logical_and(valid, where)
    return mean(_nan_to(a, 0), axis=axis, dtype=dtype, keepdims=keepdims, where=valid)


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    a = _arr(a)
    if not _is_float(a):
        return var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where, correction=correction)
    valid = logical_not(isnan(a))
    if where is not None:
        valid = logical_and(valid, where)
    return var(_nan_to(a, 0), axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=valid,
               correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    return sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                       correction=correction))


def _nan_arg(fn, lowest):
    def f(a, axis=None, out=None, keepdims=False):
        a = _arr(a)
        if not _is_float(a):
            return fn(a, axis=axis, keepdims=keepdims)
        r = fn(_nan_to(a, -_np.inf if lowest else _np.inf), axis=axis, keepdims=keepdims)
        all_nan = all(isnan(a), axis=axis, keepdims=keepdims)
        return _where3(all_nan, full_like(r, -1), r)
    return f


nanargmax = _nan_arg(argmax, True)
nanargmin = _nan_arg(argmin, False)


# -- cumulative ----------------------------------------------------------------------------

def _cumulative(prim, name, upcast_bool=True):
    def f(a, axis=None, dtype=None, out=None):
        a = _arr(a)
        if axis is None:
            a = ravel(a)
            axis = 0
        if dtype is not None:
            a = a.astype(dtype)
        elif _dt(a) == _np.bool_ and upcast_bool:
            a = a.astype(core.default_int())
        return prim(a, _axis(axis, a.ndim))
    f.__name__ = name
    return f


cumsum = _cumulative(lax.cumsum, "cumsum")
cumprod = _cumulative(lax.cumprod, "cumprod")
cumproduct = cumprod


def nancumsum(a, axis=None, dtype=None, out=None):
    return cumsum(_nan_to(a, 0), axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    return cumprod(_nan_to(a, 1), axis=axis, dtype=dtype)


def _cumulative_include(fn, ident):
    def f(x, /, *, axis=None, dtype=None, include_initial=False):
        x = _arr(x)
        if axis is None:
            if x.ndim > 1:
                raise ValueError(f"The array API requires an axis for arrays of ndim > 1, got shape {x.shape}")
            axis = 0
        out = fn(x, axis=axis, dtype=dtype)
        if include_initial:
            axis = _axis(axis, out.ndim)
            pad_cfg = [(1 if d == axis else 0, 0, 0) for d in range(out.ndim)]
            out = lax.pad(out, Array(_np.asarray(ident, out.dtype)), pad_cfg)
        return out
    return f


cumulative_sum = _cumulative_include(cumsum, 0)
cumulative_prod = _cumulative_include(cumprod, 1)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    a = _arr(a)
    if a.ndim == 0:
        raise ValueError(f"diff requires input that is at least one dimensional; got {a}")
    axis = _axis(axis, a.ndim)
    if prepend is not None or append is not None:
        def edge(v):
            v = _arr(v)
            if v.ndim == 0:
                shp = list(a.shape)
                shp[axis] = 1
                v = broadcast_to(v, shp)
            return v
        pieces = ([edge(prepend)] if prepend is not None else []) + [a] + \
            ([edge(append)] if append is not None else [])
        a = concatenate(pieces, axis=axis)
    for _ in range(int(n)):
        m = a.shape[axis]
        if m == 0:   # nothing left to difference (NumPy's slices clamp: a[1:] is empty)
            break
        hi = lax.slice_in_dim(a, 1, m, 1, axis)
        lo = lax.slice_in_dim(a, 0, m - 1, 1, axis)
        a = not_equal(hi, lo) if _dt(a) == _np.bool_ else subtract(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    out = diff(ravel(ary))
    parts = []
    if to_begin is not None:
        parts.append(ravel(_arr(to_begin)).astype(out.dtype))
    parts.append(out)
    if to_end is not None:
        parts.append(ravel(_arr(to_end)).astype(out.dtype))
    return concatenate(parts) if len(parts) > 1 else out


def gradient(f, *varargs, axis=None, edge_order=None):
    """Second-order central differences inside, first-order one-sided at the edges (NumPy's
    default), with scalar spacings."""
    f = _float_args(f)[0]
    axes = _axes(axis, f.ndim)
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and _np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    else:
        spacing = list(varargs)
    if builtins.any(_np.ndim(h) for h in spacing):
        raise NotImplementedError("gradient with coordinate arrays (only scalar spacings)")
    if edge_order not in (None, 1):
        raise NotImplementedError("gradient(edge_order=2)")
    out = []
    for ax, h in zip(axes, spacing):
        n = f.shape[ax]
        if n < 2:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at least 2 elements are required.")
        sl = lambda s, e: lax.slice_in_dim(f, s, e, 1, ax)
        first = (sl(1, 2) - sl(0, 1)) / h
        last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        mid = (sl(2, n) - sl(0, n - 2)) / (2.0 * h) if n > 2 else None
        out.append(concatenate([first] + ([mid] if mid is not None else []) + [last], axis=ax))
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _float_args(y)[0]
    axis = _axis(axis, y.ndim)
    n = y.shape[axis]
    lo, hi = lax.slice_in_dim(y, 0, n - 1, 1, axis), lax.slice_in_dim(y, 1, n, 1, axis)
    if x is None:
        d = dx
    else:
        x = _arr(x)
        if x.ndim == 1:
            d = diff(x)
            shp = [1] * y.ndim
            shp[axis] = n - 1
            d = reshape(d, shp)
        else:
            d = diff(x, axis=axis)
    return sum(multiply(d, add(lo, hi)) / 2.0, axis=axis)


trapz = trapezoid


def polyval(p, x, *, unroll=16):
    p = _arr(p)
    x = _arr(x)
    out = zeros(x.shape, result_type(p, x))
    for i in range(p.shape[0]):
        out = out * x + p[i]
    return out


# -- shapes ------------------------------------------------------------------------------

def shape(a):
    return _aval(a).shape


def ndim(a):
    return _aval(a).ndim


def size(a, axis=None):
    s = _aval(a).shape
    return int(_np.prod(s)) if axis is None else s[axis]


def reshape(a, newshape=None, order="C", *, shape=None, copy=None):
    a = _arr(a)
    newshape = shape if newshape is None else newshape
    newshape = list(_shape(newshape, unknown_ok=True))
    size_ = _aval(a).size
    if newshape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in newshape:
        known = int(_np.prod([s for s in newshape if s != -1]))
        if known == 0 or size_ % known:
            raise TypeError(f"cannot reshape array of shape {_aval(a).shape} (size {size_}) into shape {tuple(newshape)} (at {user_site()})")
        newshape[newshape.index(-1)] = size_ // known
    if int(_np.prod(newshape)) != size_:
        raise TypeError(f"cannot reshape array of shape {_aval(a).shape} (size {size_}) into shape {tuple(newshape)} (at {user_site()})")
    if order == "F":
        a = transpose(a)
        return transpose(lax.reshape(a, newshape[::-1]))
    return lax.reshape(a, newshape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order=order)


def transpose(a, axes=None):
    a = _arr(a)
    n = _aval(a).ndim
    if axes is None:
        return lax.transpose(a, tuple(reversed(range(n))))
    perm = tuple(_axis(x, n) for x in axes)
    if sorted(perm) != list(range(n)):
        raise TypeError(f"transpose: axes {tuple(axes)} are not a permutation of the {n} axes of an "
                        f"array of shape {a.shape}: give each axis in range({n}) exactly once "
                        f"(at {user_site()})")
    return lax.transpose(a, perm)


def permute_dims(a, axes):
    return transpose(a, axes)


def swapaxes(a, axis1, axis2):
    n = ndim(a)
    axis1, axis2 = _axis(axis1, n), _axis(axis2, n)
    perm = list(range(n))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return transpose(a, perm)


def moveaxis(a, source, destination):
    n = ndim(a)
    src = [_axis(source, n)] if isinstance(source, (int, _np.integer)) else [_axis(s, n) for s in source]
    dst = [_axis(destination, n)] if isinstance(destination, (int, _np.integer)) else [_axis(d, n) for d in destination]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must have the "
                         f"same number of elements (at {user_site()})")
    # JAX raises TypeError for a repeated source axis (as a transpose would); NumPy raises
    # ValueError for a repeated destination.
    if len(set(src)) != len(src):
        raise TypeError(f"moveaxis: repeated axis in source {source!r} (at {user_site()})")
    if len(set(dst)) != len(dst):
        raise ValueError(f"moveaxis: repeated axis in destination {destination!r} (at {user_site()})")
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def rollaxis(a, axis, start=0):
    n = ndim(a)
    axis = _axis(axis, n)
    if not -n <= start <= n:
        raise _AxisError(f"rollaxis: start={start} must satisfy {-n}<=start<={n} (at {user_site()})")
    start = start % (n + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def squeeze(a, axis=None):
    a = _arr(a)
    s = _aval(a).shape
    if axis is None:
        axes = tuple(i for i, n in enumerate(s) if n == 1)
    else:
        axes = _axes(axis, len(s))
        for i in axes:
            if s[i] != 1:
                raise ValueError(f"cannot select an axis to squeeze out which has size not equal to one, got shape={s} and dimensions={axes}")
    return lax.squeeze(a, axes)


def expand_dims(a, axis):
    a = _arr(a)
    axes = (axis,) if isinstance(axis, (int, _np.integer)) else tuple(axis)
    n = a.ndim + len(axes)
    if len({_axis(d, n) for d in axes}) != len(axes):
        raise ValueError(f"repeated axis in expand_dims: {axes} (at {user_site()})")
    return lax.expand_dims(a, axes)


def atleast_1d(*arys):
    out = [reshape(a, (1,)) if ndim(a) == 0 else _arr(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        a = _arr(a)
        out.append(reshape(a, (1,) * (2 - ndim(a)) + shape(a)) if ndim(a) < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in arys:
        a = _arr(a)
        if a.ndim == 0:
            a = reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = reshape(a, a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0, dtype=None):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = _promote(*arrays)
    if dtype is not None:
        arrays = [a.astype(dtype) for a in arrays]
    nd = _aval(arrays[0]).ndim
    if nd == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    axis = _axis(axis, nd)
    for a in arrays[1:]:
        s0, s1 = _aval(arrays[0]).shape, _aval(a).shape
        if len(s0) != len(s1) or builtins.any(x != y for i, (x, y) in enumerate(zip(s0, s1)) if i != axis):
            raise TypeError(f"Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated: {s0} and {s1} (at {user_site()})")
    arrays = [a for a in arrays if a.shape[axis]] or arrays[:1]
    return lax.concatenate(arrays, axis)


concat = concatenate


def stack(arrays, axis=0, out=None, dtype=None):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    nd = _aval(arrays[0]).ndim
    axis = _axis(axis, nd + 1)
    for a in arrays[1:]:
        if _aval(a).shape != _aval(arrays[0]).shape:
            raise ValueError(f"All input arrays must have the same shape, got {_aval(arrays[0]).shape} and {_aval(a).shape} (at {user_site()})")
    return concatenate([expand_dims(a, axis) for a in arrays], axis, dtype=dtype)


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if ndim(arrs[0]) == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], 0, dtype=dtype)


row_stack = vstack


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], 2, dtype=dtype)


def column_stack(tup):
    arrs = []
    for a in tup:
        a = _arr(a)
        arrs.append(reshape(a, (-1, 1)) if a.ndim < 2 else a)
    return concatenate(arrs, 1)


def block(arrays):
    """Assemble an array from nested lists of blocks (NumPy's rules: the innermost lists join
    along the last axis)."""
    def depth(x):
        if isinstance(x, list):
            if not x:
                raise ValueError("block: lists cannot be empty")
            ds = {depth(v) for v in x}
            if len(ds) != 1:
                raise ValueError("block: list depths are mismatched")
            return ds.pop() + 1
        return 0

    def leaves(x):
        if isinstance(x, list):
            for v in x:
                yield from leaves(v)
        else:
            yield x
    if isinstance(arrays, tuple):
        raise TypeError("block: arrays must be nested lists, not tuples")
    d = depth(arrays)
    nd = builtins.max([d] + [ndim(v) for v in leaves(arrays)])

    def rec(x, level):
        if isinstance(x, list):
            return concatenate([rec(v, level + 1) for v in x], axis=-(d - level))
        x = _arr(x)
        return reshape(x, (1,) * (nd - x.ndim) + x.shape)
    return rec(arrays, 0)


def _split_points(n, indices_or_sections, even):
    if isinstance(indices_or_sections, (int, _np.integer)) or _np.ndim(indices_or_sections) == 0 \
            and not isinstance(indices_or_sections, (list, tuple)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        if even and n % k:
            raise ValueError(f"array split does not result in an equal division: {n} into {k}")
        q, r = builtins.divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return [0] + list(_np.cumsum(sizes))
    pts = [int(i) for i in _np.asarray(_concrete(indices_or_sections, "split indices"))]
    return [0] + [builtins.min(builtins.max(p if p >= 0 else p + n, 0), n) for p in pts] + [n]


def _split(ary, indices_or_sections, axis, even):
    ary = _arr(ary)
    axis = _axis(axis, ary.ndim)
    n = ary.shape[axis]
    pts = _split_points(n, indices_or_sections, even)
    return [lax.slice_in_dim(ary, int(s), builtins.max(int(s), int(e)), 1, axis) for s, e in zip(pts[:-1], pts[1:])]


def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


def hsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=1 if ndim(ary) > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=2)


def unstack(x, axis=0):
    x = _arr(x)
    axis = _axis(axis, x.ndim)
    return tuple(squeeze(lax.slice_in_dim(x, i, i + 1, 1, axis), axis) for i in range(x.shape[axis]))


def tile(A, reps):
    A = _arr(A)
    reps = _shape(reps)
    d = builtins.max(A.ndim, len(reps))
    A = reshape(A, (1,) * (d - A.ndim) + A.shape)
    reps = (1,) * (d - len(reps)) + reps
    bshape = [s for r, n in zip(reps, A.shape) for s in (r, n)]
    B = lax.broadcast_in_dim(A, bshape, tuple(range(1, 2 * d, 2)))
    return reshape(B, [r * n for r, n in zip(reps, A.shape)])


def _flat_or_axis(a, axis):
    """NumPy's convention for one-axis functions: axis=None works on the flattened array."""
    if axis is None:
        return ravel(a), 0
    return a, _axis(axis, a.ndim)


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    a = _arr(a)
    a, axis = _flat_or_axis(a, axis)
    n = a.shape[axis]
    if isinstance(repeats, Tracer):
        if total_repeat_length is None:
            repeats._concretization(core.ConcretizationTypeError,
                                    "repeat with traced repeats needs total_repeat_length",
                                    "Pass total_repeat_length= (a static int) or make repeats static.")
        repeats = broadcast_to(repeats.astype(_np.int32), (n,))
        ends = cumsum(repeats)
        idx = searchsorted(ends, lax.iota(_np.int32, int(total_repeat_length)), side="right")
        idx = minimum(idx, n - 1).astype(_np.int32)
        return _take_axis(a, idx, axis)
    r = _np.asarray(repeats)
    if r.ndim == 0:
        r = int(r)
        shp = list(a.shape)
        shp.insert(axis + 1, r)
        b = lax.broadcast_in_dim(a, shp, tuple(d if d <= axis else d + 1 for d in range(a.ndim)))
        out_shape = list(a.shape)
        out_shape[axis] = n * r
        out = reshape(b, out_shape)
    else:
        idx = _np.repeat(_np.arange(n), _np.broadcast_to(r, (n,))).astype(_np.int32)
        out = _take_axis(a, Array(idx), axis)
    if total_repeat_length is not None and out.shape[axis] != total_repeat_length:
        m = out.shape[axis]
        t = int(total_repeat_length)
        if t <= m:
            out = lax.slice_in_dim(out, 0, t, 1, axis)
        else:
            out = _take_axis(out, Array(_np.minimum(_np.arange(t), m - 1).astype(_np.int32)), axis)
    return out


def _take_axis(x, idx, axis, mode="clip"):
    from mlax.numpy._indexing import take_axis
    return take_axis(x, idx, axis, mode)


def flip(m, axis=None):
    from mlax.numpy._indexing import reverse
    m = _arr(m)
    if axis is not None and not isinstance(axis, (int, _np.integer)) and \
            len({_axis(a, m.ndim) for a in axis}) != len(axis):
        raise TypeError(f"flip: axes must be unique, got {tuple(axis)} (at {user_site()})")
    return reverse(m, _axes(axis, m.ndim))


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def roll(a, shift, axis=None):
    a = _arr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    for s, ax in zip(shifts, axes):
        ax = _axis(ax, a.ndim)
        n = a.shape[ax]
        if n == 0:
            continue
        if isinstance(s, Tracer):
            s = _arr(s).astype(_np.int32)
            start = remainder(n - remainder(s, n), n)
            doubled = concatenate([a, a], axis=ax)
            a = lax.dynamic_slice_in_dim(doubled, start, n, ax)
            continue
        s = int(s) % n
        if s:
            a = concatenate([lax.slice_in_dim(a, n - s, n, 1, ax), lax.slice_in_dim(a, 0, n - s, 1, ax)], axis=ax)
    return a


def rot90(m, k=1, axes=(0, 1)):
    m = _arr(m)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must be 2 axes, got {axes!r}")
    ax0, ax1 = (_axis(a, m.ndim) for a in axes)
    if ax0 == ax1:
        raise ValueError(f"rot90: axes must be different, got {tuple(axes)}")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, ax0), ax1)
    perm = list(range(m.ndim))
    perm[ax0], perm[ax1] = perm[ax1], perm[ax0]
    if k == 1:
        return transpose(flip(m, ax1), perm)
    return flip(transpose(m, perm), ax1)


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """a indexed by `indices` along `axis`; out-of-range indices give NaN / the lowest int
    (mode "fill", JAX's default), the nearest end ("clip") or wrap ("wrap")."""
    if out is not None:
        raise NotImplementedError("The 'out' argument to jnp.take is not supported.")
    if mode == "raise":
        raise NotImplementedError("The 'raise' mode to jnp.take is not supported: indices are "
                                  "not checked at run time; use mode 'fill', 'clip' or 'wrap'")
    if mode not in (None, "fill", "clip", "wrap"):
        raise ValueError(f"Invalid mode {mode!r} for np.take: use 'fill' (the default), 'clip' "
                         "or 'wrap'")
    a = _arr(a)
    a, axis = _flat_or_axis(a, axis)
    idx = _arr(indices)
    if _dt(idx).kind not in "iu":
        raise TypeError(f"take: indices must be integers, got {_dt(idx)}")
    n = a.shape[axis]
    if n == 0:
        if idx.size:
            raise IndexError("Cannot do a non-empty jnp.take() from an empty axis.")
        return zeros(a.shape[:axis] + idx.shape + a.shape[axis + 1:], a.dtype)
    idx = idx.astype(_np.int32)
    if mode == "wrap":
        idx = remainder(idx, _np.int32(n))
    elif mode == "clip":
        idx = clip(idx, 0, n - 1).astype(_np.int32)
    else:
        idx = _where3(lax.lt(idx, zeros_like(idx)), idx + _np.int32(n), idx)
    fill = mode in (None, "fill")
    out = _take_axis(a, idx, axis, "fill" if fill else "clip")
    if fill and fill_value is not None:
        ok = logical_and(greater_equal(idx, 0), less(idx, n))
        ok = lax.broadcast_in_dim(ok, out.shape, tuple(range(axis, axis + idx.ndim)))
        out = _where3(ok, out, asarray(fill_value, out.dtype))
    return out


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """arr indexed along `axis` by `indices` broadcast against it; out-of-range indices read
    `fill_value` (mode "fill", the default: NaN / the lowest int) or the nearest end ("clip")."""
    arr = _arr(arr)
    indices = _arr(indices)
    if _dt(indices).kind not in "iu":
        raise TypeError(f"take_along_axis indices must be of integer type, got {_dt(indices)}")
    if axis is None:
        if indices.ndim != 1:
            raise ValueError(f"take_along_axis with axis=None needs 1-d indices, got shape {indices.shape}")
        arr = ravel(arr)
        axis = 0
    if arr.ndim != indices.ndim:
        raise ValueError(f"indices and arr must have the same number of dimensions; "
                         f"{indices.ndim} vs. {arr.ndim}")
    axis = _axis(axis, arr.ndim)
    shp = broadcast_shapes(*[tuple(1 if d == axis else n for d, n in enumerate(s))
                             for s in (arr.shape, indices.shape)])
    n = arr.shape[axis]
    if n == 0:   # JAX gives zeros: there is nothing to read
        return zeros(tuple(indices.shape[axis] if d == axis else m for d, m in enumerate(shp)), arr.dtype)
    arr = broadcast_to(arr, tuple(n if d == axis else m for d, m in enumerate(shp)))
    indices = broadcast_to(indices, tuple(indices.shape[axis] if d == axis else m for d, m in enumerate(shp)))
    idx = indices.astype(_np.int32)
    index = tuple(idx if d == axis else lax.broadcasted_iota(_np.int32, idx.shape, d) for d in range(arr.ndim))
    return arr.at[index].get(mode="fill" if mode is None else mode, fill_value=fill_value)


def put(a, ind, v, mode=None, *, inplace=True):
    if inplace:
        raise ValueError("mlax arrays are immutable: call put(..., inplace=False) and use the result")
    a = _arr(a)
    ind = ravel(_arr(ind)).astype(_np.int32)
    n = a.size
    if mode == "wrap":
        ind = remainder(ind, _np.int32(n))
    elif mode == "clip":
        ind = clip(ind, 0, n - 1).astype(_np.int32)
    v = ravel(_arr(v)).astype(a.dtype)
    if v.size != ind.size:
        v = resize(v, ind.shape) if v.size else v
    return reshape(ravel(a).at[ind].set(v), a.shape)


def _pad_width(pad_width, nd):
    pw = _np.asarray(_concrete(pad_width, "pad_width"))
    if pw.dtype.kind not in "iu":
        raise TypeError(f"pad_width must be integers, got {pw.dtype}")
    return _np.broadcast_to(pw, (nd, 2)).astype(int).tolist()


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad modes constant, edge, reflect, symmetric, wrap (one gather per axis at the source
    indices NumPy's pad would read), maximum, minimum, mean and empty."""
    a = _arr(array)
    pw = _pad_width(pad_width, a.ndim)
    if callable(mode):
        raise NotImplementedError("pad with a callable mode")
    if mode in ("constant", "empty"):
        cv = kwargs.get("constant_values", 0) if mode == "constant" else 0
        if _np.ndim(cv) == 0 and not (_is_array(cv) and cv.ndim):
            v = asarray(cv, a.dtype) if not _is_array(cv) else cv.astype(a.dtype)
            return lax.pad(a, reshape(v, ()), [(lo, hi, 0) for lo, hi in pw])
        cv = broadcast_to(asarray(cv).astype(a.dtype), (a.ndim, 2))   # pairs may be tuples
        for d, (lo, hi) in enumerate(pw):
            cfg = [(0, 0, 0)] * a.ndim
            cfg[d] = (lo, 0, 0)
            a = lax.pad(a, cv[d, 0], cfg)
            cfg[d] = (0, hi, 0)
            a = lax.pad(a, cv[d, 1], cfg)
        return a
    if mode in ("edge", "reflect", "symmetric", "wrap"):
        if kwargs.get("reflect_type", "even") != "even":
            raise NotImplementedError("pad(reflect_type='odd')")
        for d, (lo, hi) in enumerate(pw):
            if lo == 0 and hi == 0:
                continue
            n = a.shape[d]
            if n == 0:
                raise ValueError(f"can't extend empty axis {d} using modes other than 'constant' or 'empty'")
            src = _np.pad(_np.arange(n), (lo, hi), mode=mode).astype(_np.int32)
            a = _take_axis(a, Array(src), d)
        return a
    if mode in ("maximum", "minimum", "mean"):
        if kwargs.get("stat_length") is not None:
            raise NotImplementedError(f"pad(mode={mode!r}, stat_length=...)")
        stat = {"maximum": max, "minimum": min, "mean": mean}[mode]
        for d, (lo, hi) in enumerate(pw):
            s = stat(a, axis=d, keepdims=True).astype(a.dtype)
            parts = []
            if lo:
                parts.append(broadcast_to(s, tuple(lo if k == d else n for k, n in enumerate(a.shape))))
            parts.append(a)
            if hi:
                parts.append(broadcast_to(s, tuple(hi if k == d else n for k, n in enumerate(a.shape))))
            a = concatenate(parts, axis=d)
        return a
    raise NotImplementedError(f"pad mode {mode!r}")


def append(arr, values, axis=None):
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def _static_positions(obj, n, what):
    if isinstance(obj, slice):
        return _np.arange(*obj.indices(n))
    obj = _np.asarray(_concrete(obj, f"{what} positions"))
    if obj.dtype == _np.bool_:
        return _np.nonzero(obj)[0]
    return obj.astype(int)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    arr = _arr(arr)
    arr, axis = _flat_or_axis(arr, axis)
    n = arr.shape[axis]
    pos = _static_positions(obj, n, "delete")
    keep = _np.delete(_np.arange(n), pos).astype(_np.int32)
    return _take_axis(arr, Array(keep), axis)


def insert(arr, obj, values, axis=None):
    """NumPy's insert with static positions: the values are joined to `arr` and one gather
    puts every element where NumPy would."""
    arr = _arr(arr)
    arr, axis = _flat_or_axis(arr, axis)
    n = arr.shape[axis]
    values = _arr(values).astype(arr.dtype)
    if isinstance(obj, slice) or _np.ndim(obj) > 0:
        idx = _static_positions(obj, n, "insert")
    else:
        idx = _np.asarray(int(_concrete(obj, "insert position")))
    if idx.size == 1:
        k = int(idx.item())
        k = k + n if k < 0 else k
        if not 0 <= k <= n:
            raise IndexError(f"index {int(idx.item())} is out of bounds for axis {axis} with size {n}")
        # NumPy: values get at least arr.ndim dims; a scalar position moves their first axis.
        v = reshape(values, (1,) * (arr.ndim - values.ndim) + values.shape)
        if idx.ndim == 0:
            v = moveaxis(v, 0, axis)
        m = v.shape[axis]
        v = broadcast_to(v, tuple(m if d == axis else s for d, s in enumerate(arr.shape)))
        positions = k + _np.arange(m)
    else:
        idx = _np.where(idx < 0, idx + n, idx)
        m = idx.size
        v = values
        if v.ndim == 0 or v.ndim < arr.ndim:
            shp = [1] * (arr.ndim - v.ndim) + list(v.shape)
            v = reshape(v, shp)
        v = broadcast_to(v, tuple(m if d == axis else s for d, s in enumerate(arr.shape)))
        order = _np.argsort(idx, kind="mergesort")
        positions = idx.copy()
        positions[order] += _np.arange(m)
    total = n + m
    src = _np.empty(total, _np.int32)
    is_old = _np.ones(total, bool)
    is_old[positions] = False
    src[is_old] = _np.arange(n)
    src[positions] = n + _np.arange(m)
    return _take_axis(concatenate([arr, v], axis=axis), Array(src), axis)


def resize(a, new_shape):
    a = ravel(_arr(a))
    new_shape = _shape(new_shape)
    total = int(_np.prod(new_shape))
    if a.size == 0:
        return zeros(new_shape, a.dtype)
    reps = -(-total // a.size)
    return reshape(lax.slice_in_dim(tile(a, reps), 0, total), new_shape)


def trim_zeros(filt, trim="fb"):
    _check_arraylike(filt)
    host = _np.asarray(_concrete(filt, "trim_zeros"))
    return asarray(_np.trim_zeros(host, trim))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    dims = _shape(dims)
    idx = [_arr(i).astype(core.default_int()) for i in multi_index]
    if len(idx) != len(dims):
        raise ValueError(f"ravel_multi_index: {len(idx)} index arrays for {len(dims)} dims")
    if mode == "raise":
        for i, n in zip(idx, dims):
            if isinstance(i, Tracer):
                raise core.ConcretizationTypeError(
                    f"ravel_multi_index(mode='raise') needs concrete indices (at {user_site()}); use mode='clip' or 'wrap'.")
            host = _np.asarray(i)
            if (host < 0).any() or (host >= n).any():
                raise ValueError("invalid entry in coordinates array")
    elif mode == "wrap":
        idx = [remainder(i, n) for i, n in zip(idx, dims)]
    elif mode == "clip":
        idx = [clip(i, 0, n - 1) for i, n in zip(idx, dims)]
    else:
        raise ValueError(f"invalid mode {mode!r}")
    strides = _np.cumprod((1,) + dims[::-1][:-1])[::-1] if order == "C" else _np.cumprod((1,) + dims[:-1])
    out = None
    for i, s in zip(idx, strides):
        t = i * int(s)
        out = t if out is None else out + t
    return out


def unravel_index(indices, shape):
    """The coordinates of flat indices (out-of-range indices are clipped, as in JAX)."""
    shape = _shape(shape)
    idx = _arr(indices)
    total = int(_np.prod(shape))
    idx = _where3(lax.lt(idx, zeros_like(idx)), idx + total, idx)
    idx = clip(idx, 0, builtins.max(total - 1, 0))
    out = []
    for n in reversed(shape):
        out.append(remainder(idx, n))
        idx = floor_divide(idx, n)
    return tuple(reversed(out))


def ix_(*args):
    n = len(args)
    out = []
    for k, a in enumerate(args):
        a = _arr(a)
        if a.ndim != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if a.dtype == _np.bool_:
            a = nonzero(a)[0]
        out.append(reshape(a, tuple(a.shape[0] if j == k else 1 for j in range(n))))
    return tuple(out)


def choose(a, choices, out=None, mode="raise"):
    a = _arr(a)
    choices = _broadcast(*_promote(*[_arr(c) for c in choices]), a)[:-1]
    n = len(choices)
    if mode == "wrap":
        a = remainder(a, n)
    elif mode == "clip":
        a = clip(a, 0, n - 1)
    elif mode == "raise":
        if not isinstance(a, Tracer):
            host = _np.asarray(a)
            if (host < 0).any() or (host >= n).any():
                raise ValueError("invalid entry in choice array")
    else:
        raise ValueError(f"invalid mode {mode!r}")
    a = broadcast_to(a, choices[0].shape)
    st = stack(choices)
    return take_along_axis(st, expand_dims(a, 0), 0, mode="clip")[0]


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    a = _arr(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    cond = ravel(_arr(condition))
    n = a.shape[axis]
    if size is None:
        host = _np.asarray(_concrete(cond, "compress condition")).astype(bool)[:n]
        return _take_axis(a, Array(_np.nonzero(host)[0].astype(_np.int32)), axis)
    pos = nonzero(cond[:n] if cond.shape[0] > n else cond, size=size, fill_value=n)[0]
    return take(a, pos, axis=axis, mode="fill", fill_value=fill_value)


def extract(condition, arr, *, size=None, fill_value=0):
    return compress(ravel(condition), ravel(arr), size=size, fill_value=fill_value)


def astype(x, dtype, /, *, copy=False, device=None):
    return lax.convert_element_type(_arr(x), dtype)


# -- sorting and searching ---------------------------------------------------------------

def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    a = _arr(a)
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axis(axis, a.ndim)
    out = lax.sort(a, dimension=axis, is_stable=builtins.bool(stable))
    return flip(out, axis) if descending else out


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    a = _arr(a)
    a, axis = _flat_or_axis(a, axis)
    n = a.shape[axis]
    if descending:
        # Stable descending: sort the reversed input ascending, then map the order back.
        r = argsort(flip(a, axis), axis=axis)
        return (_np.int32(n - 1) - flip(r, axis)).astype(core.default_int())
    iota = lax.broadcasted_iota(core.default_int(), a.shape, axis)
    _, idx = lax.sort((a, iota), dimension=axis, is_stable=True)
    return idx


def lexsort(keys, axis=-1):
    """Indices sorting by the last key first, then the others (stable argsorts, least
    significant key first)."""
    keys = [_arr(k) for k in keys]
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    keys = _broadcast(*keys)
    axis = _axis(axis, keys[0].ndim)
    order = argsort(keys[0], axis=axis)
    for k in keys[1:]:
        o = argsort(take_along_axis(k, order, axis, mode="clip"), axis=axis)
        order = take_along_axis(order, o, axis, mode="clip")
    return order


def partition(a, kth, axis=-1):
    """A valid partition: the sorted array (every element at or below `kth` is in place)."""
    return sort(a, axis=axis)


def argpartition(a, kth, axis=-1):
    return argsort(a, axis=axis)


def sort_complex(a):
    return sort(a)


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Insertion points of v into the sorted 1-d a: a binary search unrolled over
    ceil(log2(n+1)) steps ("scan", "sort"), or all comparisons at once ("compare_all")."""
    a, v = _promote(_arr(a), _arr(v))
    if a.ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-d, got shape {a.shape}")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        a = take(a, sorter, mode="clip")
    n = a.shape[0]
    idt = core.default_int()
    if n == 0:
        return zeros(v.shape, idt)
    go_right = (lambda am, x: lax.le(am, x)) if side == "right" else (lambda am, x: lax.lt(am, x))
    if method == "compare_all":
        cmp = go_right(lax.broadcast_in_dim(a, v.shape + (n,), (v.ndim,)),
                       lax.broadcast_in_dim(v, v.shape + (n,), tuple(range(v.ndim))))
        return sum(cmp, axis=-1).astype(idt)
    if method not in ("scan", "scan_unrolled", "sort"):
        raise ValueError(f"unknown searchsorted method {method!r}")
    lo = zeros(v.shape, _np.int32)
    hi = full(v.shape, _np.int32(n), _np.int32)
    one = ones(v.shape, _np.int32)
    for _ in range(int(n).bit_length()):
        mid = lax.shift_right_logical(lax.add(lo, hi), one)
        am = _take_axis(a, lax.min(mid, full(v.shape, _np.int32(n - 1), _np.int32)), 0)
        right = logical_and(go_right(am, v), lax.lt(lo, hi))
        left = logical_and(logical_not(right), lax.lt(lo, hi))
        lo = lax.select(right, lax.add(mid, one), lo)
        hi = lax.select(left, mid, hi)
    return lo.astype(idt)


def digitize(x, bins, right=False, *, method="scan"):
    x, bins = _arr(x), _arr(bins)
    if bins.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-d, got shape {bins.shape}")
    if bins.shape[0] == 0:
        return zeros(x.shape, core.default_int())
    side = "left" if right else "right"
    up = searchsorted(bins, x, side=side, method=method)
    down = bins.shape[0] - searchsorted(flip(bins), x, side=side, method=method)
    return _where3(greater_equal(bins[-1], bins[0]), up, down)


def _nonzero_sized(a, size, fill_value):
    """nonzero with a static result size: the flat positions of the true entries scattered
    to their ranks (a cumulative sum), then split into coordinates."""
    mask = ravel(_as_bool(a))
    n = mask.shape[0]
    size = int(size)
    rank = cumsum(mask.astype(_np.int32)) - 1
    target = _where3(mask, rank, full_like(rank, size))
    flat = zeros((size,), _np.int32).at[target].set(lax.iota(_np.int32, n), mode="drop")
    count = sum(mask.astype(_np.int32))
    valid = lax.lt(lax.iota(_np.int32, size), broadcast_to(count, (size,)))
    coords = unravel_index(flat, _aval(a).shape) if _aval(a).ndim != 1 else (flat,)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * len(coords)
    if len(fills) != len(coords):
        raise ValueError(f"fill_value must be a scalar or a tuple of length {len(coords)}")
    out = []
    for c, fv in zip(coords, fills):
        c = c.astype(core.default_int())
        out.append(_where3(valid, c, asarray(0 if fv is None else fv, c.dtype)))
    return tuple(out)


def nonzero(a, *, size=None, fill_value=None):
    _check_arraylike(a)
    if size is not None:
        return _nonzero_sized(_arr(a), size, fill_value)
    if isinstance(a, Tracer):
        raise core.ConcretizationTypeError(
            f"nonzero of a traced array: the size of the result depends on the values (at {user_site()}). "
            "Pass size= to bound it, or compute it outside jit.")
    idx = _np.nonzero(_np.atleast_1d(_np.asarray(a)))
    return tuple(Array(i.astype(core.default_int())) for i in idx)


def flatnonzero(a, *, size=None, fill_value=None):
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    a = _arr(a)
    if a.ndim == 0:
        n = size if size is not None else int(builtins.bool(_concrete(a, "argwhere of a 0-d array")))
        return zeros((n, 0), core.default_int())
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None, sorted=True):
    """The sorted unique values; concrete values only, unless a static `size` is given
    (then the first `size` uniques, padded with fill_value or the smallest value)."""
    ar = _arr(ar)
    if size is None:
        if isinstance(ar, Tracer):
            ar._concretization(core.ConcretizationTypeError, "unique of a traced array",
                               "Pass size= (a static bound on the number of unique values) to use it under jit.")
        host = _np.asarray(ar)
        res = _np.unique(host, return_index=return_index, return_inverse=return_inverse,
                         return_counts=return_counts, axis=axis, equal_nan=equal_nan)
        if not isinstance(res, tuple):
            return Array(_np.ascontiguousarray(res))
        out = [Array(_np.ascontiguousarray(res[0]))]
        out += [Array(_np.ascontiguousarray(r.astype(core.default_int()))) for r in res[1:]]
        if return_inverse and axis is None:
            k = 1 + int(return_index)
            out[k] = reshape(out[k], host.shape)
        return tuple(out)
    if axis is not None:
        raise NotImplementedError("unique(size=..., axis=...)")
    shape_in = ar.shape
    flat = ravel(ar)
    n = flat.shape[0]
    idt = core.default_int()
    s, perm = lax.sort((flat, lax.iota(idt, n)), dimension=0, is_stable=True)
    differs = not_equal(s[1:], s[:-1])
    if equal_nan and _is_float(s):
        differs = logical_and(differs, logical_not(logical_and(isnan(s[1:]), isnan(s[:-1]))))
    first = concatenate([full((1,), True, _np.bool_), differs])
    rank = cumsum(first.astype(_np.int32)) - 1
    target = _where3(first, rank, full_like(rank, int(size)))
    fill = s[0] if fill_value is None else asarray(fill_value, s.dtype)
    values = broadcast_to(fill, (size,)).at[target].set(s, mode="drop")
    out = [values]
    if return_index:
        fill_i = perm[0]
        out.append(broadcast_to(fill_i, (size,)).at[target].set(perm, mode="drop"))
    if return_inverse:
        inv = zeros((n,), idt).at[perm].set(rank.astype(idt))
        out.append(reshape(inv, shape_in))
    if return_counts:
        out.append(zeros((size,), idt).at[rank].add(ones((n,), idt), mode="drop"))
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x, *, size=None, fill_value=None):
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, *, size=None, fill_value=None):
    return unique(x, return_counts=True, size=size, fill_value=fill_value)


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    element = _arr(element)
    test = ravel(_arr(test_elements))
    element, test = _promote(element, test)
    m = test.shape[0]
    eq = lax.eq(lax.broadcast_in_dim(element, element.shape + (m,), tuple(range(element.ndim))),
                lax.broadcast_in_dim(test, element.shape + (m,), (element.ndim,)))
    out = any(eq, axis=-1)
    return logical_not(out) if invert else out


def _concrete_set_op(name, *arrays, **kw):
    hosts = []
    for a in arrays:
        _check_arraylike(a)
        if isinstance(a, Tracer):
            a._concretization(core.ConcretizationTypeError, f"{name} of a traced array",
                              "Compute it outside jit (the result's size depends on the values).")
        hosts.append(_np.asarray(a))
    return asarray(getattr(_np, name)(*hosts, **kw))


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    if return_indices:
        raise NotImplementedError("intersect1d(return_indices=True)")
    return _concrete_set_op("intersect1d", ar1, ar2, assume_unique=assume_unique)


def union1d(ar1, ar2):
    return _concrete_set_op("union1d", ar1, ar2)


def setdiff1d(ar1, ar2, assume_unique=False):
    return _concrete_set_op("setdiff1d", ar1, ar2, assume_unique=assume_unique)


def setxor1d(ar1, ar2, assume_unique=False):
    return _concrete_set_op("setxor1d", ar1, ar2, assume_unique=assume_unique)


def bincount(x, weights=None, minlength=0, *, length=None):
    x = _arr(x)
    if _dt(x).kind not in "iu":
        raise TypeError(f"bincount: x must be integers, got {_dt(x)}")
    if x.ndim != 1:
        raise ValueError(f"bincount: x must be 1-d, got shape {x.shape}")
    if length is None:
        if isinstance(x, Tracer):
            x._concretization(core.ConcretizationTypeError, "bincount of a traced array without length",
                              "Pass length= (a static int).")
        host = _np.asarray(x)
        length = builtins.max(int(minlength), int(host.max()) + 1 if host.size else 0)
    length = int(length)
    if weights is None:
        w = ones(x.shape, core.default_int())
    else:
        w = broadcast_to(_arr(weights), x.shape)
    out = zeros((length,), _dt(w))
    idx = clip(x.astype(_np.int32), 0)
    return out.at[idx].add(w, mode="drop")


def histogram_bin_edges(a, bins=10, range=None, weights=None):
    a = _float_args(a)[0]
    if _np.ndim(bins) > 0 or _is_array(bins):
        return _arr(bins).astype(a.dtype)
    if range is None:
        lo, hi = min(a), max(a)
    else:
        lo, hi = asarray(range[0], a.dtype), asarray(range[1], a.dtype)
    same = lax.eq(lo, hi)
    lo = _where3(same, lo - 0.5, lo)
    hi = _where3(same, hi + 0.5, hi)
    return linspace(lo, hi, int(bins) + 1, dtype=a.dtype)


def histogram(a, bins=10, range=None, weights=None, density=None):
    a = ravel(_float_args(a)[0])
    edges = histogram_bin_edges(a, bins, range)
    nb = edges.shape[0] - 1
    idx = searchsorted(edges, a, side="right") - 1
    idx = _where3(equal(a, edges[-1]), full_like(idx, nb - 1), idx)
    inside = logical_and(greater_equal(idx, 0), less(idx, nb))
    idx = _where3(inside, idx, full_like(idx, nb))
    w = ones_like(a) if weights is None else ravel(_arr(weights)).astype(a.dtype)
    counts = zeros((nb,), a.dtype).at[idx].add(w, mode="drop")
    if density:
        widths = diff(edges)
        counts = counts / (sum(counts) * widths)
    return counts, edges


# -- statistics via sorting ----------------------------------------------------------------

_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, axis, method, keepdims, ignore_nan):
    a = _float_args(a)[0]
    q = _arr(q).astype(a.dtype)
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"quantile: method {method!r} is not supported (use one of {_QUANTILE_METHODS})")
    nd = a.ndim
    axes = _axes(axis, nd)
    rest = [d for d in range(nd) if d not in axes]
    a2 = transpose(a, rest + list(axes))
    n = 1
    for d in axes:
        n *= a.shape[d]
    a2 = reshape(a2, tuple(a.shape[d] for d in rest) + (n,))   # (n, not -1: n may be 0)
    n = a2.shape[-1]
    if n == 0:   # there is no element to interpolate between (JAX raises a TypeError)
        raise TypeError(f"quantile of an empty array: shape {a.shape}, axis {axis} (at {user_site()})")
    s = sort(a2, axis=-1)
    qf = ravel(q)
    nq = qf.shape[0]
    lead = s.shape[:-1]
    if ignore_nan:
        count = sum(logical_not(isnan(a2)), axis=-1, keepdims=True).astype(a.dtype)
    else:
        count = full(lead + (1,), float(n), a.dtype)
    pos = multiply(reshape(qf, (1,) * len(lead) + (nq,)), count - 1)
    pos = clip(pos, 0, None)
    lo = floor(pos)
    hi = ceil(pos)
    top = (count - 1).astype(_np.int32)
    ilo = minimum(lo.astype(_np.int32), top)
    ihi = minimum(hi.astype(_np.int32), top)
    ilo, ihi = broadcast_to(clip(ilo, 0), lead + (nq,)), broadcast_to(clip(ihi, 0), lead + (nq,))
    vlo = take_along_axis(s, ilo, -1, mode="clip")
    vhi = take_along_axis(s, ihi, -1, mode="clip")
    if method == "linear":
        frac = pos - lo
        res = vlo + (vhi - vlo) * frac
    elif method == "lower":
        res = vlo
    elif method == "higher":
        res = vhi
    elif method == "midpoint":
        res = (vlo + vhi) * 0.5
    else:
        near = minimum(round(pos).astype(_np.int32), top)
        res = take_along_axis(s, broadcast_to(clip(near, 0), lead + (nq,)), -1, mode="clip")
    if ignore_nan:
        res = _where3(lax.eq(count, zeros_like(count)), full_like(res, _np.nan), res)
    else:
        res = _where3(any(isnan(a2), axis=-1, keepdims=True), full_like(res, _np.nan), res)
    # NumPy's layout: q's dims first, then the kept dims.
    res = moveaxis(res, -1, 0)
    res = reshape(res, q.shape + lead)
    if keepdims:
        kshape = q.shape + tuple(1 if d in axes else a.shape[d] for d in range(nd))
        res = reshape(res, kshape)
    return res


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, interpolation=None):
    return _quantile(a, q, axis, interpolation or method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
                *, interpolation=None):
    return _quantile(a, q, axis, interpolation or method, keepdims, True)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
               *, interpolation=None):
    return quantile(a, true_divide(q, 100.0), axis=axis, method=interpolation or method, keepdims=keepdims)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
                  *, interpolation=None):
    return nanquantile(a, true_divide(q, 100.0), axis=axis, method=interpolation or method, keepdims=keepdims)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return nanquantile(a, 0.5, axis=axis, keepdims=keepdims)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov with fweights/aweights")
    X = atleast_2d(_float_args(m)[0])
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if y is not None:
        Y = atleast_2d(_float_args(y)[0])
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = concatenate(_promote(X, Y), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = X.shape[1]
    Xc = X - mean(X, axis=1, keepdims=True)
    c = matmul(Xc, Xc.T) / float(n - ddof)
    return squeeze(c) if c.shape == (1, 1) else c


def corrcoef(x, y=None, rowvar=True):
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = diagonal(c)
    stddev = sqrt(d)
    c = c / stddev[:, None] / stddev[None, :]
    return clip(c, -1, 1)


# -- convolution and interpolation ---------------------------------------------------------

def _conv1d(a, v, mode):
    """1-d convolution of a and v (the longer one is slid over by the shorter one)."""
    a, v = _float_args(_arr(a), _arr(v))
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError("convolve/correlate only support 1-dimensional inputs")
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError("convolve/correlate: inputs cannot be empty")
    if m > n:
        a, v, n, m = v, a, m, n
    # full[k] = sum_j apad[k + j] * v[m-1-j]: one gather of sliding windows, one dot.
    zero = Array(_np.zeros((), a.dtype))
    apad = lax.pad(a, zero, [(m - 1, m - 1, 0)])
    L = n + m - 1
    windows = _np.arange(L)[:, None] + _np.arange(m)[None, :]
    w = apad[windows.astype(_np.int32)]
    full_out = matmul(w, flip(v, 0))
    if mode == "full":
        return full_out
    if mode == "same":
        start = (m - 1) // 2
        return lax.slice_in_dim(full_out, start, start + n)
    if mode == "valid":
        return lax.slice_in_dim(full_out, m - 1, n)
    raise ValueError(f"mode must be one of 'full', 'same' or 'valid', got {mode!r}")


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    return _conv1d(a, v, mode)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    a, v = _arr(a), _arr(v)
    if v.ndim == 1 and a.ndim == 1 and v.shape[0] > a.shape[0]:
        # NumPy slides the longer input: correlate(v, a) reversed.
        return flip(_conv1d(v, flip(a, 0), mode), 0)
    return _conv1d(a, flip(v, 0), mode)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x (xp increasing)."""
    if period is not None:
        raise NotImplementedError("interp(period=...)")
    x, xp, fp = _float_args(x, xp, fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ValueError("xp and fp must be one-dimensional arrays of equal size")
    n = xp.shape[0]
    i = clip(searchsorted(xp, x, side="right"), 1, n - 1).astype(_np.int32)
    x0, x1 = _take_axis(xp, i - 1, 0), _take_axis(xp, i, 0)
    f0, f1 = _take_axis(fp, i - 1, 0), _take_axis(fp, i, 0)
    dx = x1 - x0
    safe = _where3(lax.eq(dx, zeros_like(dx)), ones_like(dx), dx)
    f = f0 + (x - x0) / safe * (f1 - f0)
    f = _where3(lax.eq(dx, zeros_like(dx)), f0, f)
    left = fp[0] if left is None else left
    right = fp[-1] if right is None else right
    f = _where3(less(x, xp[0]), left, f)
    f = _where3(greater(x, xp[-1]), right, f)
    return f


# -- functional helpers (built on vmap) ------------------------------------------------------

def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = _arr(arr)
    axis = _axis(axis, arr.ndim)
    f = lambda x: func1d(x, *args, **kwargs)
    for _ in range(arr.ndim - axis - 1):
        f = batching.vmap(f, in_axes=-1, out_axes=-1)
    for _ in range(axis):
        f = batching.vmap(f, in_axes=0, out_axes=0)
    return f(arr)


def apply_over_axes(func, a, axes):
    a = _arr(a)
    for ax in ([axes] if isinstance(axes, int) else axes):
        res = func(a, ax)
        if res.ndim == a.ndim - 1:
            res = expand_dims(res, ax)
        elif res.ndim != a.ndim:
            raise ValueError("function is not returning an array of the correct shape")
        a = res
    return a


def _parse_signature(signature):
    import re
    ins, outs = signature.replace(" ", "").split("->")

    def parse(part):
        return [tuple(d for d in grp.split(",") if d) for grp in re.findall(r"\(([^)]*)\)", part)]
    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """NumPy's vectorize as nested vmaps over the broadcast loop dims (core dims from the
    gufunc signature stay with each call)."""
    import functools

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        excl_pos = {e for e in excluded if isinstance(e, int)}
        excl_kw = {k: v for k, v in kwargs.items() if k in excluded}
        kw = {k: v for k, v in kwargs.items() if k not in excluded}
        if kw:
            raise NotImplementedError("vectorize: pass non-excluded arguments positionally")
        arr_pos = [i for i in range(len(args)) if i not in excl_pos]
        arrs = [_arr(args[i]) for i in arr_pos]
        if signature is not None:
            in_core = _parse_signature(signature)[0]
            if len(in_core) != len(arrs):
                raise TypeError(f"vectorize: signature {signature!r} has {len(in_core)} inputs, got {len(arrs)}")
        else:
            in_core = [()] * len(arrs)
        dims = {}
        loops = []
        for a, cd in zip(arrs, in_core):
            if a.ndim < len(cd):
                raise ValueError(f"vectorize: input with shape {a.shape} has fewer dims than its core dims {cd}")
            for name, n in zip(cd, a.shape[a.ndim - len(cd):]):
                if dims.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: inconsistent size for core dimension {name!r}: {dims[name]} vs {n}")
            loops.append(a.shape[:a.ndim - len(cd)])
        loop_shape = broadcast_shapes(*loops)
        arrs = [broadcast_to(a, loop_shape + a.shape[a.ndim - len(cd):]) for a, cd in zip(arrs, in_core)]

        def call(*xs):
            full_args = list(args)
            for i, x in zip(arr_pos, xs):
                full_args[i] = x
            return pyfunc(*full_args, **excl_kw)
        f = call
        for _ in range(len(loop_shape)):
            f = batching.vmap(f)
        return f(*arrs)
    return wrapped


def frompyfunc(func, nin, nout, *, identity=None):
    raise NotImplementedError("frompyfunc (use vectorize)")


# -- more of NumPy's namespace ---------------------------------------------------------------

single, double = float32, float64
s_ = _np.s_
index_exp = _np.index_exp


def iterable(y):
    return _np.iterable(y)


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    return repr(_arr(arr))


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    return str(_np.asarray(a))


class _Concatenator:
    """`r_[...]` / `c_[...]`: slices become ranges (NumPy's rules), scalars and arrays are
    joined along the first axis (r_) or as columns (c_). String directives are not supported."""

    def __init__(self, columns):
        self.columns = columns

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        parts = []
        for k in key:
            if isinstance(k, str):
                raise NotImplementedError("r_/c_ string directives")
            if isinstance(k, slice):
                parts.append(asarray(_np.r_[k]))
            else:
                parts.append(atleast_1d(_arr(k)))
        if self.columns:
            parts = [reshape(p, (-1, 1)) if p.ndim == 1 else p for p in parts]
            return concatenate(parts, axis=-1)
        return concatenate(parts, axis=0)


r_ = _Concatenator(False)
c_ = _Concatenator(True)


def place(arr, mask, vals, *, inplace=True):
    if inplace:
        raise ValueError("mlax arrays are immutable: call place(..., inplace=False) and use the result")
    arr = _arr(arr)
    m = _np.asarray(_concrete(mask, "place mask")).astype(builtins.bool)
    pos = _np.nonzero(_np.broadcast_to(m, arr.shape).ravel())[0].astype(_np.int32)
    if pos.size == 0:
        return arr
    v = resize(ravel(_arr(vals)).astype(arr.dtype), (pos.size,))
    return reshape(ravel(arr).at[Array(pos)].set(v), arr.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    if inplace:
        raise ValueError("mlax arrays are immutable: call put_along_axis(..., inplace=False) and use the result")
    arr, indices = _arr(arr), _arr(indices)
    if axis is None:
        return reshape(put_along_axis(ravel(arr), ravel(indices), ravel(_arr(values)), 0, inplace=False,
                                      mode=mode), arr.shape)
    axis = _axis(axis, arr.ndim)
    shp = broadcast_shapes(*[tuple(1 if d == axis else n for d, n in enumerate(s)) for s in (arr.shape, indices.shape)])
    if tuple(n for d, n in enumerate(arr.shape) if d != axis) != tuple(n for d, n in enumerate(shp) if d != axis):
        raise ValueError(f"put_along_axis: indices of shape {indices.shape} do not fit arr of shape {arr.shape}")
    indices = broadcast_to(indices, tuple(indices.shape[axis] if d == axis else n for d, n in enumerate(shp)))
    index = tuple(indices if d == axis else lax.broadcasted_iota(_np.int32, indices.shape, d) for d in range(arr.ndim))
    return arr.at[index].set(values, mode=mode)


def _int_args(name, *args):
    args = _broadcast(*_promote(*args))
    if _dt(args[0]).kind not in "iu":
        raise TypeError(f"{name} requires integer arguments, got {_dt(args[0])}")
    return args


def gcd(x1, x2):
    """The greatest common divisor, by Euclid's algorithm in a while_loop."""
    x1, x2 = _int_args("gcd", x1, x2)
    x1, x2 = abs(x1), abs(x2)

    def cond(c):
        return any(lax.ne(c[1], zeros_like(c[1])))

    def body(c):
        a, b = c
        nz = lax.ne(b, zeros_like(b))
        safe = lax.select(nz, b, ones_like(b))
        return lax.select(nz, b, a), lax.select(nz, lax.rem(a, safe), zeros_like(b))
    return lax.while_loop(cond, body, (x1, x2))[0]


def lcm(x1, x2):
    x1, x2 = _int_args("lcm", x1, x2)
    d = gcd(x1, x2)
    safe = lax.select(lax.eq(d, zeros_like(d)), ones_like(d), d)
    out = abs(lax.mul(x1, lax.div(x2, safe)))
    return lax.select(lax.eq(d, zeros_like(d)), zeros_like(d), out)


def spacing(x):
    """The distance from x to the next float away from zero."""
    x = _float_args(x)[0]
    away = lax.select(signbit(x), full_like(x, -_np.inf), full_like(x, _np.inf))
    return lax.sub(lax.nextafter(x, away), x)


def unwrap(p, discont=None, axis=-1, period=2 * _np.pi):
    p = _float_args(p)[0]
    axis = _axis(axis, p.ndim)
    if discont is None:
        discont = period / 2
    dd = diff(p, axis=axis)
    half = period / 2
    ddmod = remainder(dd + half, period) - half
    ddmod = _where3(logical_and(lax.eq(ddmod, _const(ddmod, -half)), lax.gt(dd, zeros_like(dd))),
                    _const(ddmod, half), ddmod)
    correct = ddmod - dd
    correct = _where3(lax.lt(lax.abs(dd), _const(dd, discont)), zeros_like(correct), correct)
    n = p.shape[axis]
    head = lax.slice_in_dim(p, 0, 1, 1, axis)
    return concatenate([head, lax.slice_in_dim(p, 1, n, 1, axis) + cumsum(correct, axis=axis)], axis=axis)


def unique_inverse(x, *, size=None, fill_value=None):
    return unique(x, return_inverse=True, size=size, fill_value=fill_value)


def unique_all(x, *, size=None, fill_value=None):
    return unique(x, return_index=True, return_inverse=True, return_counts=True, size=size,
                  fill_value=fill_value)


def mask_indices(n, mask_func, k=0, *, size=None):
    m = _np.asarray(mask_func(_np.ones((n, n), _np.int32), k))
    return tuple(_index_array_const(i) for i in _np.nonzero(m))


# Window functions: static lengths, computed once on the host.

def _window(name, M, *args):
    return asarray(getattr(_np, name)(int(_concrete(M, f"{name} length")), *args).astype(core.default_float()))


def bartlett(M):
    return _window("bartlett", M)


def blackman(M):
    return _window("blackman", M)


def hamming(M):
    return _window("hamming", M)


def hanning(M):
    return _window("hanning", M)


def kaiser(M, beta):
    return _window("kaiser", M, float(_concrete(beta, "kaiser beta")))


# Polynomials (coefficients highest power first, as NumPy).

def _poly_pair(a1, a2):
    a1, a2 = _promote(atleast_1d(_arr(a1)), atleast_1d(_arr(a2)))
    n = builtins.max(a1.shape[0], a2.shape[0])
    pad_to = lambda a: lax.pad(a, Array(_np.zeros((), a.dtype)), [(n - a.shape[0], 0, 0)])
    return pad_to(a1), pad_to(a2)


def polyadd(a1, a2):
    a1, a2 = _poly_pair(a1, a2)
    return add(a1, a2)


def polysub(a1, a2):
    a1, a2 = _poly_pair(a1, a2)
    return subtract(a1, a2)


def polymul(a1, a2, *, trim_leading_zeros=False):
    a1, a2 = _promote(atleast_1d(_arr(a1)), atleast_1d(_arr(a2)))
    return convolve(a1, a2) if _is_float(a1) else convolve(a1, a2).astype(a1.dtype)


def polyder(p, m=1):
    p = atleast_1d(_arr(p))
    for _ in range(int(m)):
        n = p.shape[0]
        if n <= 1:
            return zeros((0,) if n == 0 else (0,), p.dtype)
        p = p[:-1] * _np.arange(n - 1, 0, -1).astype(p.dtype)
    return p


def polyint(p, m=1, k=None):
    p = atleast_1d(_float_args(p)[0]) if not _is_float(_arr(p)) else atleast_1d(_arr(p))
    m = int(m)
    ks = [0.0] * m if k is None else list(_np.broadcast_to(_np.asarray(k, float), (m,)))
    for i in range(m):
        n = p.shape[0]
        p = concatenate([p / _np.arange(n, 0, -1).astype(p.dtype), asarray([ks[i]], p.dtype)])
    return p


def polydiv(u, v, *, trim_leading_zeros=False):
    u, v = _float_args(atleast_1d(_arr(u)), atleast_1d(_arr(v)))
    n, m = u.shape[0], v.shape[0]
    if m > n:
        return zeros((1,), u.dtype), u
    scale = 1.0 / v[0]
    q = []
    r = u
    for k in range(n - m + 1):
        c = r[k] * scale
        q.append(c)
        r = r - concatenate([zeros((k,), u.dtype), c * v, zeros((n - m - k,), u.dtype)])
    return stack(q), r


def poly(seq_of_zeros):
    z = _arr(seq_of_zeros)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] > 0:
        raise NotImplementedError("poly of a matrix (needs eigenvalues)")
    z = ravel(_float_args(z)[0])
    out = ones((1,), z.dtype)
    for i in range(z.shape[0]):
        out = convolve(out, stack([ones((), z.dtype), -z[i]]))
    return out


def vander(x, N=None, increasing=False):
    x = _arr(x)
    if x.ndim != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    N = x.shape[0] if N is None else int(N)
    powers = _np.arange(N) if increasing else _np.arange(N - 1, -1, -1)
    cols = [power(x, int(p)) for p in powers]
    return stack(cols, axis=1) if cols else zeros((x.shape[0], 0), x.dtype)


from mlax.numpy._indexing import getitem as _getitem, _IndexUpdateHelper  # noqa: E402,F401
from mlax.numpy import _methods  # noqa: E402,F401
from mlax.numpy import linalg  # noqa: E402,F401

# `jnp.bool` (set last: the functions above use the builtin)
bool = bool_  # noqa: A001


# Names jax.numpy has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.numpy", __name__)
