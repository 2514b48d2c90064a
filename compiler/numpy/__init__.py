"""mlax.numpy: the NumPy API over mlax primitives, with JAX's broadcasting, dtype promotion
and weak types."""
from __future__ import annotations

import builtins
import math as _math

import numpy as _np

from mlax import core, lax
from mlax.core import ShapedArray
from mlax.runtime import Array
from mlax.tracing import Tracer, user_site

ndarray = Array
pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
newaxis = None

float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
bool_ = _np.bool_
dtype = _np.dtype
iinfo = _np.iinfo
finfo = _np.finfo
issubdtype = _np.issubdtype
floating, integer, signedinteger, unsignedinteger, number, inexact = (
    _np.floating, _np.integer, _np.signedinteger, _np.unsignedinteger, _np.number, _np.inexact)


def _aval(x):
    return lax.aval(x)


def _is_array(x):
    return isinstance(x, (Array, Tracer))


# -- creation ----------------------------------------------------------------------------

def asarray(a, dtype=None, copy=None):
    if isinstance(a, Tracer):
        return lax.convert_element_type(a, dtype) if dtype is not None else a
    if isinstance(a, Array):
        if dtype is None or _np.dtype(dtype) == a.dtype:
            return a
        return lax.convert_element_type(a, dtype)
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(l, Tracer) for l in _flat(a)):
        return stack([asarray(x, dtype) for x in a])
    if isinstance(a, (list, tuple)) and builtins.any(isinstance(l, Array) for l in _flat(a)):
        a = _np.asarray([_np.asarray(x) for x in a]) if not builtins.any(isinstance(x, (list, tuple)) for x in a) \
            else _np.asarray(_to_host(a))
    weak = core.is_python_scalar(a) and not isinstance(a, bool)
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


def array(object, dtype=None, copy=True, ndmin=0):
    out = asarray(object, dtype)
    while out.ndim < ndmin:
        out = expand_dims(out, 0)
    return out


def _shape(shape):
    if isinstance(shape, (int, _np.integer)) or getattr(shape, "shape", None) == ():
        return (int(shape),)   # a traced scalar raises a concretization error here
    return tuple(int(s) for s in shape)


def full(shape, fill_value, dtype=None):
    shape = _shape(shape)
    if _is_array(fill_value):
        v = asarray(fill_value, dtype)
        return lax.broadcast_in_dim(v, shape, tuple(range(len(shape) - v.ndim, len(shape))))
    dt = core.canonicalize_dtype(dtype) if dtype is not None else \
        (core.aval_of_python_scalar(fill_value).dtype if core.is_python_scalar(fill_value)
         else core.canonicalize_dtype(_np.asarray(fill_value).dtype))
    if core.trace_stack():
        return lax.broadcast_in_dim(Array(_np.asarray(fill_value, dt)), shape, ())
    return Array(_np.full(shape, fill_value, dtype=dt))


def zeros(shape, dtype=None):
    return full(shape, 0, dtype or core.default_float())


def ones(shape, dtype=None):
    return full(shape, 1, dtype or core.default_float())


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def _like_dtype(a, dtype):
    return dtype if dtype is not None else _aval(a).dtype


def zeros_like(a, dtype=None, shape=None):
    return full(shape if shape is not None else _aval(a).shape, 0, _like_dtype(a, dtype))


def ones_like(a, dtype=None, shape=None):
    return full(shape if shape is not None else _aval(a).shape, 1, _like_dtype(a, dtype))


def full_like(a, fill_value, dtype=None, shape=None):
    return full(shape if shape is not None else _aval(a).shape, fill_value, _like_dtype(a, dtype))


empty_like = zeros_like


def _concrete(x, what):
    if isinstance(x, Tracer):
        x._concretization(core.ConcretizationTypeError, f"{what} needs a concrete value; got a traced value",
                          "Pass it as a static argument.")
    return x


def arange(start, stop=None, step=None, dtype=None):
    for v in (start, stop, step):
        _concrete(v, "arange")
    start = _np.asarray(start).item() if isinstance(start, Array) else start
    stop = _np.asarray(stop).item() if isinstance(stop, Array) else stop
    step = _np.asarray(step).item() if isinstance(step, Array) else step
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        dtype = core.default_float() if builtins.any(isinstance(v, float) for v in (start, stop, step)) \
            else core.default_int()
    n = builtins.max(0, int(_math.ceil((stop - start) / step)))
    dtype = core.canonicalize_dtype(dtype)
    if start == 0 and step == 1:
        return lax.iota(dtype, n)
    return Array(_np.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    num = int(num)
    div = (num - 1) if endpoint else num
    if _is_array(start) or _is_array(stop):
        start = asarray(start, dtype)
        stop = asarray(stop, dtype)
        step = (stop - start) / builtins.max(div, 1)
        out = start + lax.iota(dtype, num).astype(dtype) * step
        if endpoint and num > 1:
            out = out.at[-1].set(stop)
        return (out, step) if retstep else out
    # Computed as JAX does: start + i * step in float, last point exactly `stop`.
    i = _np.arange(num, dtype=_np.float64)
    step = (stop - start) / div if div > 0 else 0.0
    vals = (start + i * step).astype(dtype)
    if endpoint and num > 1:
        vals[-1] = stop
    out = Array(_np.ascontiguousarray(vals))
    return (out, Array(_np.asarray(step, dtype))) if retstep else out


def eye(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    r = lax.broadcasted_iota(_np.int32, (N, M), 0)
    c = lax.broadcasted_iota(_np.int32, (N, M), 1)
    return lax.convert_element_type(lax.eq(lax.add(r, Array(_np.full((N, M), k, _np.int32))), c), dtype)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


# -- promotion and broadcasting ----------------------------------------------------------

def result_type(*args):
    return core.result_type(*[_aval(a) for a in args])[0]


def _promote(*args):
    """Convert args to their common dtype (JAX rules, weak Python scalars)."""
    avals = [_aval(a) for a in args]
    dtype, weak = core.result_type(*avals)
    out = []
    for a, av in zip(args, avals):
        if core.is_python_scalar(a) or (isinstance(a, _np.ndarray) or isinstance(a, _np.generic)):
            out.append(Array(_np.asarray(a, dtype=dtype), av.weak_type))
        elif av.dtype != dtype:
            c = lax.convert_element_type(a, dtype)
            if av.weak_type and isinstance(c, Array):
                c = Array(c._value, True) if weak else c
            out.append(c)
        else:
            out.append(a)
    return out


def broadcast_shapes(*shapes, names=None):
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
    x = asarray(x) if not _is_array(x) else x
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
    shapes = [_aval(a).shape for a in args]
    shape = broadcast_shapes(*shapes)
    return [broadcast_to(a, shape) for a in args]


def _elementwise(prim, *args):
    return prim(*_broadcast(*_promote(*args)))


def _float_args(*args):
    """Promote integer inputs of float-only functions to the default float."""
    ps = _promote(*args)
    if not _np.issubdtype(_aval(ps[0]).dtype, _np.inexact):
        ps = [lax.convert_element_type(p, core.default_float()) for p in ps]
    return ps


def _unary_float(prim):
    def f(x):
        x = _float_args(x)[0]
        return prim(x)
    f.__name__ = prim.__name__
    return f


def _binary_fn(prim, name):
    def f(x, y):
        return _elementwise(prim, x, y)
    f.__name__ = name
    return f


add = _binary_fn(lax.add, "add")
subtract = _binary_fn(lax.sub, "subtract")
multiply = _binary_fn(lax.mul, "multiply")
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


def logical_and(x, y):
    return _elementwise(lax.bitwise_and, asarray(x, bool_) if not _is_array(x) else x.astype(bool_),
                        asarray(y, bool_) if not _is_array(y) else y.astype(bool_))


def logical_or(x, y):
    return _elementwise(lax.bitwise_or, asarray(x).astype(bool_), asarray(y).astype(bool_))


def logical_xor(x, y):
    return _elementwise(lax.bitwise_xor, asarray(x).astype(bool_), asarray(y).astype(bool_))


def logical_not(x):
    return lax.bitwise_not(asarray(x).astype(bool_))


def bitwise_not(x):
    return lax.bitwise_not(asarray(x))


invert = bitwise_not


def true_divide(x, y):
    x, y = _broadcast(*_float_args(x, y))
    return lax.div(x, y)


divide = true_divide


def floor_divide(x, y):
    x, y = _broadcast(*_promote(x, y))
    if _np.issubdtype(_aval(x).dtype, _np.floating):
        return floor(lax.div(x, y))
    if _aval(x).dtype.kind == "u":
        return lax.div(x, y)
    q = lax.div(x, y)
    r = lax.rem(x, y)
    zero = zeros_like(r)
    fix = logical_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zeros_like(y))))
    return where(fix, q - 1, q)


def remainder(x, y):
    x, y = _broadcast(*_promote(x, y))
    r = lax.rem(x, y)
    if _aval(x).dtype.kind == "u":
        return r
    zero = zeros_like(r)
    fix = logical_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zeros_like(y))))
    return where(fix, r + y, r)


mod = remainder


def fmod(x, y):
    return _elementwise(lax.rem, x, y)


def power(x, y):
    if isinstance(y, int) and not isinstance(y, bool):
        x = asarray(x) if not _is_array(x) else x
        return lax.integer_pow(x, y)
    x, y = _promote(x, y)
    if _aval(x).dtype.kind in "iu":
        raise NotImplementedError("integer power with an array exponent")
    return lax.pow(*_broadcast(x, y))


pow = power


def negative(x):
    return lax.neg(asarray(x) if not _is_array(x) else x)


def positive(x):
    return asarray(x) if not _is_array(x) else x


exp = _unary_float(lax.exp)
exp2 = _unary_float(lax.exp2)
log = _unary_float(lax.log)
log1p = _unary_float(lax.log1p)
expm1 = _unary_float(lax.expm1)
tanh = _unary_float(lax.tanh)
sin = _unary_float(lax.sin)
cos = _unary_float(lax.cos)
tan = _unary_float(lax.tan)
arcsin = _unary_float(lax.asin)
arccos = _unary_float(lax.acos)
arctan = _unary_float(lax.atan)
sinh = _unary_float(lax.sinh)
cosh = _unary_float(lax.cosh)
arcsinh = _unary_float(lax.asinh)
arccosh = _unary_float(lax.acosh)
arctanh = _unary_float(lax.atanh)
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


def abs(x):
    x = asarray(x) if not _is_array(x) else x
    if _aval(x).dtype.kind in "ub":
        return x
    return lax.abs(x)


absolute = abs


def sign(x):
    return lax.sign(asarray(x) if not _is_array(x) else x)


def floor(x):
    x = asarray(x) if not _is_array(x) else x
    return lax.floor(x) if _aval(x).dtype.kind == "f" else x


def ceil(x):
    x = asarray(x) if not _is_array(x) else x
    return lax.ceil(x) if _aval(x).dtype.kind == "f" else x


def round(x, decimals=0):
    x = asarray(x) if not _is_array(x) else x
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


def square(x):
    return lax.integer_pow(asarray(x) if not _is_array(x) else x, 2)


def reciprocal(x):
    return true_divide(1, x)


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


def where(condition, x=None, y=None):
    if x is None and y is None:
        return nonzero(condition)
    condition = asarray(condition) if not _is_array(condition) else condition
    if _aval(condition).dtype != _np.bool_:
        condition = lax.ne(condition, zeros_like(condition))
    x, y = _promote(x, y)
    c, x, y = _broadcast(condition, x, y)
    return lax.select(c, x, y)


def isnan(x):
    x = asarray(x) if not _is_array(x) else x
    return lax.ne(x, x)


def isfinite(x):
    x = asarray(x) if not _is_array(x) else x
    if _aval(x).dtype.kind != "f":
        return full_like(x, True, bool_)
    return lax.is_finite(x)


def isinf(x):
    x = asarray(x) if not _is_array(x) else x
    return logical_and(logical_not(isfinite(x)), logical_not(isnan(x)))


# -- linear algebra ----------------------------------------------------------------------

def dot(a, b, precision=None, preferred_element_type=None):
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


def inner(a, b):
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if av.ndim == 0 or bv.ndim == 0:
        return multiply(a, b)
    _check_contract(av, bv, av.ndim - 1, bv.ndim - 1)
    return lax.dot_general(a, b, (([av.ndim - 1], [bv.ndim - 1]), ([], [])))


def outer(a, b):
    a, b = ravel(a), ravel(b)
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def vdot(a, b):
    return dot(ravel(a), ravel(b))


def tensordot(a, b, axes=2):
    a, b = _promote(a, b)
    av, bv = _aval(a), _aval(b)
    if isinstance(axes, int):
        la, lb = list(range(av.ndim - axes, av.ndim)), list(range(axes))
    else:
        la, lb = axes
        la = [la] if isinstance(la, int) else list(la)
        lb = [lb] if isinstance(lb, int) else list(lb)
    return lax.dot_general(a, b, (([x % av.ndim for x in la], [x % bv.ndim for x in lb]), ([], [])))


# -- reductions --------------------------------------------------------------------------

def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, _np.integer)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for array of dimension {ndim} (at {user_site()})")
        out.append(a % builtins.max(ndim, 1))
    return tuple(sorted(set(out)))


def _keep(x, out, axes, keepdims):
    if not keepdims:
        return out
    shape = [1 if i in axes else n for i, n in enumerate(_aval(x).shape)]
    return reshape(out, shape)


def _reduction(prim, upcast_bool=False):
    def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        a = asarray(a) if not _is_array(a) else a
        if dtype is not None:
            a = a.astype(dtype)
        elif upcast_bool and _aval(a).dtype.kind in "bi" and _aval(a).dtype.itemsize < 4 or \
                (upcast_bool and _aval(a).dtype == _np.bool_):
            a = a.astype(core.default_int())
        axes = _axes(axis, _aval(a).ndim)
        r = prim(a, axes)
        if initial is not None:
            r = _binary_of(prim)(r, initial)
        return _keep(a, r, axes, keepdims)
    return f


def _binary_of(prim):
    return {lax.reduce_sum: add, lax.reduce_prod: multiply, lax.reduce_max: maximum,
            lax.reduce_min: minimum}.get(prim)


sum = _reduction(lax.reduce_sum, upcast_bool=True)
prod = _reduction(lax.reduce_prod, upcast_bool=True)
max = _reduction(lax.reduce_max)
min = _reduction(lax.reduce_min)
amax, amin = max, min


def any(a, axis=None, keepdims=False):
    a = asarray(a).astype(bool_) if not _is_array(a) else a.astype(bool_)
    axes = _axes(axis, _aval(a).ndim)
    return _keep(a, lax.reduce_or(a, axes), axes, keepdims)


def all(a, axis=None, keepdims=False):
    a = asarray(a).astype(bool_) if not _is_array(a) else a.astype(bool_)
    axes = _axes(axis, _aval(a).ndim)
    return _keep(a, lax.reduce_and(a, axes), axes, keepdims)


def mean(a, axis=None, dtype=None, keepdims=False):
    a = asarray(a) if not _is_array(a) else a
    if _aval(a).dtype.kind != "f":
        a = a.astype(dtype or core.default_float())
    axes = _axes(axis, _aval(a).ndim)
    n = 1
    for i in axes:
        n *= _aval(a).shape[i]
    s = sum(a, axis=axes, keepdims=keepdims)
    return true_divide(s, float(n))


def var(a, axis=None, dtype=None, ddof=0, keepdims=False):
    a = asarray(a) if not _is_array(a) else a
    if _aval(a).dtype.kind != "f":
        a = a.astype(core.default_float())
    axes = _axes(axis, _aval(a).ndim)
    m = mean(a, axis=axes, keepdims=True)
    d = subtract(a, m)
    n = 1
    for i in axes:
        n *= _aval(a).shape[i]
    return true_divide(sum(multiply(d, d), axis=axes, keepdims=keepdims), float(builtins.max(n - ddof, 0)))


def std(a, axis=None, dtype=None, ddof=0, keepdims=False):
    return sqrt(var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def argmax(a, axis=None, keepdims=False):
    a = asarray(a) if not _is_array(a) else a
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axes(axis, _aval(a).ndim)[0]
    r = lax.argmax(a, axis, core.default_int())
    return _keep(a, r, (axis,), keepdims)


def argmin(a, axis=None, keepdims=False):
    a = asarray(a) if not _is_array(a) else a
    if axis is None:
        a = ravel(a)
        axis = 0
    axis = _axes(axis, _aval(a).ndim)[0]
    r = lax.argmin(a, axis, core.default_int())
    return _keep(a, r, (axis,), keepdims)


# -- shapes ------------------------------------------------------------------------------

def shape(a):
    return _aval(a).shape


def ndim(a):
    return _aval(a).ndim


def size(a, axis=None):
    s = _aval(a).shape
    return int(_np.prod(s)) if axis is None else s[axis]


def reshape(a, newshape=None, order="C", *, shape=None):
    a = asarray(a) if not _is_array(a) else a
    newshape = shape if newshape is None else newshape
    newshape = list(_shape(newshape))
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
    return lax.reshape(a, newshape)


def ravel(a, order="C"):
    return reshape(a, (-1,))


def transpose(a, axes=None):
    a = asarray(a) if not _is_array(a) else a
    n = _aval(a).ndim
    axes = tuple(reversed(range(n))) if axes is None else tuple(int(x) % n for x in axes)
    return lax.transpose(a, axes)


def swapaxes(a, axis1, axis2):
    n = ndim(a)
    perm = list(range(n))
    perm[axis1 % n], perm[axis2 % n] = perm[axis2 % n], perm[axis1 % n]
    return transpose(a, perm)


def moveaxis(a, source, destination):
    n = ndim(a)
    src = [source % n] if isinstance(source, int) else [s % n for s in source]
    dst = [destination % n] if isinstance(destination, int) else [d % n for d in destination]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def squeeze(a, axis=None):
    a = asarray(a) if not _is_array(a) else a
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
    a = asarray(a) if not _is_array(a) else a
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return lax.expand_dims(a, axes)


def atleast_1d(*arys):
    out = [reshape(a, (1,)) if ndim(a) == 0 else asarray(a) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        a = asarray(a) if not _is_array(a) else a
        out.append(reshape(a, (1,) * (2 - ndim(a)) + shape(a)) if ndim(a) < 2 else a)
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0, dtype=None):
    arrays = [asarray(a) if not _is_array(a) else a for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    arrays = _promote(*arrays)
    nd = _aval(arrays[0]).ndim
    if nd == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    axis = _axes(axis, nd)[0]
    for a in arrays[1:]:
        s0, s1 = _aval(arrays[0]).shape, _aval(a).shape
        if len(s0) != len(s1) or builtins.any(x != y for i, (x, y) in enumerate(zip(s0, s1)) if i != axis):
            raise TypeError(f"Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated: {s0} and {s1} (at {user_site()})")
    return lax.concatenate(arrays, axis)


def stack(arrays, axis=0, dtype=None):
    arrays = [asarray(a) if not _is_array(a) else a for a in arrays]
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    nd = _aval(arrays[0]).ndim
    axis = axis % (nd + 1)
    for a in arrays[1:]:
        if _aval(a).shape != _aval(arrays[0]).shape:
            raise ValueError(f"All input arrays must have the same shape, got {_aval(arrays[0]).shape} and {_aval(a).shape} (at {user_site()})")
    return concatenate([expand_dims(a, axis) for a in arrays], axis)


def hstack(tup):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if ndim(arrs[0]) == 1 else 1)


def vstack(tup):
    return concatenate([atleast_2d(a) for a in tup], 0)


def nonzero(a, *, size=None, fill_value=None):
    if isinstance(a, Tracer):
        raise core.ConcretizationTypeError(
            f"nonzero of a traced array: the size of the result depends on the values (at {user_site()}). "
            "Pass size= to bound it, or compute it outside jit.")
    idx = _np.nonzero(_np.asarray(a))
    return tuple(Array(i.astype(core.default_int())) for i in idx)


def astype(x, dtype):
    return lax.convert_element_type(x, dtype)


from mlax.numpy._indexing import getitem as _getitem, _IndexUpdateHelper  # noqa: E402,F401
from mlax.numpy import _methods  # noqa: E402,F401
