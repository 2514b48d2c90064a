"""Elementwise functions (NumPy's ufuncs and their kin): arithmetic and comparisons, logical
and bitwise functions, division and powers, exponents, logarithms and trigonometry, rounding,
floating-point bit functions, `clip` and `select`, NaN and infinity predicates.

Binary functions promote their operands with JAX's rules (`_promote`), then broadcast them;
float-only functions promote integers to the default float (`_float_args`). Where the lax op
traps or differs from NumPy (integer division by zero, negative integer powers, rounding half
to even), the function builds JAX's result from selects.
"""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax

from mlax.numpy._util import _arr, _aval, _check_arraylike, _dt, _float_args, _is_float, _promote
from mlax.numpy._dtypes import bool_
from mlax.numpy._shapes import _broadcast
from mlax.numpy._creation import _const, full_like, ones_like, zeros_like
from mlax.runtime.dtypes import dtype_kind, finfo, is_float, is_inexact


def _elementwise(prim, *args):
    return prim(*_broadcast(*_promote(*args)))


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


# -- arithmetic and comparisons ----------------------------------------------------------

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


def fmax(x1, x2):
    x1, x2 = _broadcast(*_promote(x1, x2))
    return lax.select(isnan(x1), x2, lax.select(isnan(x2), x1, lax.max(x1, x2)))


def fmin(x1, x2):
    x1, x2 = _broadcast(*_promote(x1, x2))
    return lax.select(isnan(x1), x2, lax.select(isnan(x2), x1, lax.min(x1, x2)))


equal = _binary_fn(lax.eq, "equal")
not_equal = _binary_fn(lax.ne, "not_equal")
def _comparison_fn(prim, name):
    """An ordering comparison; complex numbers compare lexicographically (real parts, then
    imaginary parts where the real parts are equal), as jax.numpy compares them."""
    def f(x, y):
        x, y = _broadcast(*_promote(x, y))
        if _dt(x).kind == "c":
            rx, ry = lax.real(x), lax.real(y)
            return lax.select(lax.eq(rx, ry), prim(lax.imag(x), lax.imag(y)), prim(rx, ry))
        return prim(x, y)
    f.__name__ = name
    return f


less = _comparison_fn(lax.lt, "less")
less_equal = _comparison_fn(lax.le, "less_equal")
greater = _comparison_fn(lax.gt, "greater")
greater_equal = _comparison_fn(lax.ge, "greater_equal")


def negative(x):
    return lax.neg(_arr(x))


def positive(x):
    return _arr(x)


def square(x):
    x = _arr(x)
    if _dt(x) == _np.bool_:   # JAX squares booleans as integers
        x = lax.convert_element_type(x, core.default_int())
    return lax.integer_pow(x, 2)


def reciprocal(x):
    return true_divide(1, x)


bitwise_and = _binary_fn(lax.bitwise_and, "bitwise_and")
bitwise_or = _binary_fn(lax.bitwise_or, "bitwise_or")
bitwise_xor = _binary_fn(lax.bitwise_xor, "bitwise_xor")
left_shift = _binary_fn(lax.shift_left, "left_shift")
right_shift = _binary_fn(lambda x, y: lax.shift_right_logical(x, y) if _aval(x).dtype.kind == "u"
                         else lax.shift_right_arithmetic(x, y), "right_shift")
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


# -- logical and bitwise functions -------------------------------------------------------

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


# -- division and powers -----------------------------------------------------------------

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
    # JAX raises a float base to an integer power without promoting their types, so the
    # result is weak only if both are.
    weak = _aval(x).weak_type and _aval(y).weak_type if is_inexact(_dt(x)) and \
        dtype_kind(_dt(y)) in "iu" else None
    x, y = _promote(x, y)
    x, y = _broadcast(x, y)
    if _dt(x).kind in "iub":
        if _dt(x) == _np.bool_:
            x, y = x.astype(core.default_int()), y.astype(core.default_int())
        return _int_power(x, y)
    out = lax.pow(x, y)
    return out if weak is None else lax._convert_element_type(out, _dt(out), weak)


pow = power


def float_power(x, y):
    x, y = _broadcast(*_float_args(x, y))
    return lax.pow(x, y)


# -- exponents, logarithms, trigonometry -------------------------------------------------

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
    # JAX's formula (log(x) times 1/log(10) in x's dtype), so results match it bit for bit.
    x = _float_args(x)[0]
    return lax.mul(lax.log(x), full_like(x, 0.4342944819032518))


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


def i0(x):
    """The modified Bessel function of order 0, exp(|x|) * lax.bessel_i0e(|x|), for real x
    (its derivative is 0 at 0, as JAX's)."""
    x = _float_args(x)[0]
    if not is_float(_aval(x).dtype):
        raise ValueError(f"Unsupported input type to jax.numpy.i0: {_aval(x).dtype}")
    # |x| as x * sign(x): the same value, with the derivative sign(x), 0 at 0 (where the
    # derivative of lax.abs is 1).
    abs_x = lax.mul(x, lax.sign(x))
    return lax.mul(lax.exp(abs_x), lax.bessel_i0e(abs_x))


def heaviside(x1, x2):
    x1, x2 = _broadcast(*_float_args(x1, x2))
    zero = zeros_like(x1)
    return lax.select(lax.lt(x1, zero), zero, lax.select(lax.gt(x1, zero), ones_like(x1), x2))


# -- absolute values, signs and rounding -------------------------------------------------

def abs(x):
    x = _arr(x)
    if _aval(x).dtype.kind in "ub":
        return x
    return lax.abs(x)


absolute = abs


def _real_only(x, name, error=TypeError):
    """x, unless it is complex: `name` is not defined for complex values (JAX's error)."""
    x = _arr(x)
    if _aval(x).dtype.kind == "c":
        raise error(f"{name} does not support complex-valued inputs (got {_aval(x).dtype})")
    return x


def fabs(x):
    return lax.abs(_float_args(_real_only(x, "fabs"))[0])


def sign(x):
    return lax.sign(_arr(x))


def floor(x):
    x = _real_only(x, "floor")
    return lax.floor(x) if is_float(_aval(x).dtype) else x


def ceil(x):
    x = _real_only(x, "ceil")
    return lax.ceil(x) if is_float(_aval(x).dtype) else x


def trunc(x):
    x = _real_only(x, "trunc")
    if not _is_float(x):
        return x
    return lax.select(lax.lt(x, zeros_like(x)), lax.ceil(x), lax.floor(x))


fix = trunc


def modf(x):
    x = _float_args(_real_only(x, "modf"))[0]
    t = trunc(x)
    return lax.sub(x, t), t


def round(x, decimals=0, out=None):
    x = _arr(x)
    if _aval(x).dtype.kind == "c":   # each part, as JAX
        return lax.complex(round(lax.real(x), decimals), round(lax.imag(x), decimals))
    if not is_float(_aval(x).dtype):
        return x
    if decimals:
        f = 10.0 ** decimals
        return _round_half_even(x * f) / f
    return _round_half_even(x)


def _round_half_even(x):
    return lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)


around = round


def rint(x):
    return round(x)


# -- floating-point bits -----------------------------------------------------------------

def signbit(x):
    """True where the sign bit is set (also for -0.0 and negative NaNs)."""
    x = _real_only(x, "signbit", ValueError)
    dt = _dt(x)
    if is_float(dt):
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
    tiny = lax.lt(lax.abs(x), _const(x, finfo(dt).tiny))
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


def spacing(x):
    """The distance from x to the next float away from zero."""
    x = _float_args(x)[0]
    away = lax.select(signbit(x), full_like(x, -_np.inf), full_like(x, _np.inf))
    return lax.sub(lax.nextafter(x, away), x)


# -- complex parts -----------------------------------------------------------------------

def _is_complex(x):
    return _aval(x).dtype.kind == "c"


def conjugate(x):
    x = _arr(x)
    return lax.conj(x) if _is_complex(x) else x


conj = conjugate


def real(val):
    val = _arr(val)
    return lax.real(val) if _is_complex(val) else val


def imag(val):
    val = _arr(val)
    return lax.imag(val) if _is_complex(val) else zeros_like(val)


def angle(z, deg=False):
    z = _arr(z)
    if _is_complex(z):
        out = lax.atan2(lax.imag(z), lax.real(z))
    else:
        z = _float_args(z)[0]
        out = lax.atan2(zeros_like(z), z)
    return rad2deg(out) if deg else out


def isreal(x):
    x = _arr(x)
    return lax.eq(lax.imag(x), zeros_like(lax.imag(x))) if _is_complex(x) else full_like(x, True, _np.bool_)


def iscomplex(x):
    x = _arr(x)
    return lax.ne(lax.imag(x), zeros_like(lax.imag(x))) if _is_complex(x) else full_like(x, False, _np.bool_)


# -- clipping and selecting --------------------------------------------------------------

def clip(a=None, a_min=None, a_max=None, *, min=None, max=None, arr=None):
    a = _arr(arr if a is None else a)
    lo = a_min if a_min is not None else min
    hi = a_max if a_max is not None else max
    if any(v is not None and _aval(v).dtype.kind == "c" for v in (a, lo, hi)):
        raise ValueError("Clip received a complex value either through the input or the min/max "
                         "keywords. Complex values have no ordering and cannot be clipped.")
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


# -- naN and infinity predicates ---------------------------------------------------------

def isnan(x):
    x = _arr(x)
    return lax.ne(x, x)


def isfinite(x):
    x = _arr(x)
    if _is_complex(x):
        return logical_and(isfinite(lax.real(x)), isfinite(lax.imag(x)))
    if not is_float(_aval(x).dtype):
        return full_like(x, True, bool_)
    return lax.is_finite(x)


def isinf(x):
    x = _arr(x)
    if _is_complex(x):
        return logical_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    if not is_float(_aval(x).dtype):
        return full_like(x, False, bool_)
    return lax.eq(lax.abs(x), full_like(x, _np.inf))


def isposinf(x):
    x = _real_only(x, "isposinf", ValueError)
    if not _is_float(x):
        return full_like(x, False, bool_)
    return lax.eq(x, full_like(x, _np.inf))


def isneginf(x):
    x = _real_only(x, "isneginf", ValueError)
    if not _is_float(x):
        return full_like(x, False, bool_)
    return lax.eq(x, full_like(x, -_np.inf))


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    x = _arr(x)
    if not _is_float(x):
        return x
    info = finfo(_dt(x))
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = lax.select(isnan(x), _const(x, nan), x)
    out = lax.select(isposinf(x), _const(x, posinf), out)
    return lax.select(isneginf(x), _const(x, neginf), out)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b| in floating point (integers are converted, as in JAX);
    infinities are close only to themselves, NaNs never unless equal_nan."""
    a, b = _broadcast(*_float_args(a, b))
    mag = lax.abs(b)     # real for complex b
    out = lax.le(lax.abs(lax.sub(a, b)), lax.add(_const(mag, atol), lax.mul(_const(mag, rtol), mag)))
    a_inf, b_inf = isinf(a), isinf(b)
    out = logical_and(out, logical_not(logical_or(a_inf, b_inf)))
    out = logical_or(out, logical_and(logical_and(a_inf, b_inf), lax.eq(a, b)))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out
