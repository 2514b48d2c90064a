"""Elementwise ops: one `linalg.generic` each, so that upstream
`linalg-fuse-elementwise-ops` fuses chains of them into one loop nest.

`SCALAR` maps an op name to its scalar body, `body(dtype, *scalars, **attrs)` (the dtype
of the last operand, unsigned intact: bodies pick signed or unsigned arith ops from it).
Where the hardware traps or LLVM's result is poison, the bodies give XLA's values:
integer `x / 0 = -1`, `x % 0 = x`, `INT_MIN / -1 = INT_MIN`; shifts by the bit width or
more give 0 (the sign for arithmetic right shifts); float -> integer conversion
saturates, NaN -> 0. Comparisons, select, clamp and the two conversions complete the
family; special functions (erf_inv, lgamma, ...) are in special.py.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, complex as complex_d, math

from mlax.dialects.ops import real_dtype
from mlax.lowering.linalg.builders import (el, elementwise, is_bool, is_complex, is_float,
                                           is_unsigned, scalar_const, ttype)
from mlax.passes import PassError
from mlax.runtime.dtypes import is_half_float


def elementwise_rule(scalar):
    """The rule of an elementwise op whose scalar body is scalar(dtype, *xs, **attrs)."""
    def rule(op):
        dtype = op.in_specs[-1].dtype if op.in_specs else op.out_specs[0].dtype
        return [elementwise(op.out_specs[0], op.operands, op.in_dtypes,
                            lambda *xs: scalar(dtype, *xs, **op.attrs))]
    return rule


def elementwise_rules(scalars: dict) -> dict:
    """{op name: rule} for a table of scalar bodies {op name: body}."""
    return {name: elementwise_rule(body) for name, body in scalars.items()}


# The complex op of each float arith op that has one.
_COMPLEX_OF_FLOAT = {arith.addf: complex_d.add, arith.subf: complex_d.sub,
                     arith.mulf: complex_d.mul, arith.divf: complex_d.div}


def by_dtype(f_op, i_op, u_op=None):
    """Pick the float (complex), signed-int or unsigned-int arith op by dtype."""
    def scalar(dtype, *xs):
        if is_complex(dtype):
            return _COMPLEX_OF_FLOAT[f_op](*xs)
        if is_float(dtype):
            return f_op(*xs)
        if is_unsigned(dtype) or is_bool(dtype):
            return (u_op or i_op)(*xs)
        return i_op(*xs)
    return scalar


def float_only(name, f):
    """A scalar body f(*xs) for float operands; other dtypes are an error naming mlax.<name>."""
    def scalar(dtype, *xs):
        if not is_float(dtype):
            raise PassError(f"mlax.{name} needs floating-point operands, got {np.dtype(dtype).name}")
        return f(*xs)
    return scalar


def _float_only_with_dtype(name, f):
    """A scalar body f(dtype, *xs) for float operands; other dtypes are an error."""
    def scalar(dtype, *xs):
        if not is_float(dtype):
            raise PassError(f"mlax.{name} needs floating-point operands, got {np.dtype(dtype).name}")
        return f(dtype, *xs)
    return scalar


def _neg(dtype, x):
    if is_float(dtype):
        return arith.negf(x)
    return arith.subi(scalar_const(dtype, 0), x)


def _abs(dtype, x):
    if is_float(dtype):
        return math.absf(x)
    if is_unsigned(dtype):
        return x
    return math.absi(x)


def _sign(dtype, x):
    if is_float(dtype):
        zero = scalar_const(dtype, 0)
        one = scalar_const(dtype, 1)
        pos = arith.select(arith.cmpf(arith.CmpFPredicate.OGT, x, zero), one, zero)
        neg = arith.select(arith.cmpf(arith.CmpFPredicate.OLT, x, zero), one, zero)
        s = arith.subf(pos, neg)
        # sign(nan) = nan, sign(-0.) = -0.
        isnan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
        return arith.select(isnan, x, arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, zero), x, s))
    zero = scalar_const(dtype, 0)
    one = scalar_const(dtype, 1)
    if is_unsigned(dtype):
        return arith.select(arith.cmpi(arith.CmpIPredicate.ne, x, zero), one, zero)
    pos = arith.select(arith.cmpi(arith.CmpIPredicate.sgt, x, zero), one, zero)
    neg = arith.select(arith.cmpi(arith.CmpIPredicate.slt, x, zero), one, zero)
    return arith.subi(pos, neg)


def _logistic(dtype, x):
    # 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, e = exp(-|x|): no overflow, and
    # tiny results for very negative x keep their precision.
    one = scalar_const(dtype, 1)
    if is_half_float(dtype):
        # XLA's expansion, 1 / (1 + exp(-x)), each op rounded to 16 bits as XLA's CPU
        # backend rounds it: JAX's float16 / bfloat16 results bit for bit.
        return arith.divf(one, arith.addf(one, math.exp(arith.negf(x))))
    e = math.exp(arith.negf(math.absf(x)))
    r = arith.divf(one, arith.addf(one, e))
    return arith.select(arith.cmpf(arith.CmpFPredicate.OLT, x, scalar_const(dtype, 0)), arith.mulf(e, r), r)


def _int_divisor(dtype, x, y):
    """(y == 0, a divisor that cannot trap) for integer x / y: 1 in place of 0 and, for
    signed types, of the -1 in INT_MIN / -1 (its quotient INT_MIN = INT_MIN / 1)."""
    zero = arith.cmpi(arith.CmpIPredicate.eq, y, scalar_const(dtype, 0))
    bad = zero
    if np.dtype(dtype).kind == "i":
        overflow = arith.andi(arith.cmpi(arith.CmpIPredicate.eq, x, scalar_const(dtype, np.iinfo(dtype).min)),
                              arith.cmpi(arith.CmpIPredicate.eq, y, scalar_const(dtype, -1)))
        bad = arith.ori(zero, overflow)
    return zero, arith.select(bad, scalar_const(dtype, 1), y)


def _rem(dtype, x, y):
    """lax.rem, XLA's semantics: the sign of x; x % 0 = x and INT_MIN % -1 = 0 for integers
    (the hardware instruction traps on both)."""
    if is_float(dtype):
        return arith.remf(x, y)
    zero, safe = _int_divisor(dtype, x, y)
    r = arith.remsi(x, safe) if np.dtype(dtype).kind == "i" else arith.remui(x, safe)
    return arith.select(zero, x, r)


def _div(dtype, x, y):
    """lax.div, XLA's semantics: rounds toward zero; for integers x / 0 is -1 (all ones
    unsigned) and INT_MIN / -1 = INT_MIN (the hardware instruction traps on both)."""
    if is_float(dtype):
        return arith.divf(x, y)
    zero, safe = _int_divisor(dtype, x, y)
    q = arith.divsi(x, safe) if np.dtype(dtype).kind == "i" else arith.divui(x, safe)
    return arith.select(zero, scalar_const(dtype, -1), q)


def _complex_pick(x, y, pred):
    """x where it wins over y by `pred` lexicographically (real parts, then imaginary parts
    where the real parts are equal), else y: JAX's lowering of complex max and min."""
    rx, ry = complex_d.re(x), complex_d.re(y)
    by_im = arith.cmpf(pred, complex_d.im(x), complex_d.im(y))
    pick_x = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, rx, ry), by_im,
                          arith.cmpf(pred, rx, ry))
    return arith.select(pick_x, x, y)


def maximum(dtype, x, y):
    if is_complex(dtype):
        return _complex_pick(x, y, arith.CmpFPredicate.OGT)
    if is_float(dtype):
        return arith.maximumf(x, y)   # NaN-propagating, like lax.max
    return arith.maxui(x, y) if is_unsigned(dtype) or is_bool(dtype) else arith.maxsi(x, y)


def minimum(dtype, x, y):
    if is_complex(dtype):
        return _complex_pick(x, y, arith.CmpFPredicate.OLT)
    if is_float(dtype):
        return arith.minimumf(x, y)
    return arith.minui(x, y) if is_unsigned(dtype) or is_bool(dtype) else arith.minsi(x, y)


def _integer_pow(dtype, x, y):
    """x**y by repeated squaring, unrolled for the static exponent y."""
    n = abs(int(y))
    one = scalar_const(dtype, 1)
    mul = complex_d.mul if is_complex(dtype) else arith.mulf if is_float(dtype) else arith.muli
    acc, base = None, x
    while n:
        if n & 1:
            acc = base if acc is None else mul(acc, base)
        n >>= 1
        if n:
            base = mul(base, base)
    acc = one if acc is None else acc
    if y < 0:
        if not is_float(dtype):   # JAX's rule; the verifier rejects it first
            raise PassError(f"integers cannot be raised to negative powers, got "
                                f"integer_pow({np.dtype(dtype).name}, {y})")
        acc = complex_d.div(one, acc) if is_complex(dtype) else arith.divf(one, acc)
    return acc


def _is_finite(dtype, x):
    return arith.cmpf(arith.CmpFPredicate.ONE, math.absf(x), scalar_const(dtype, np.inf))


def _not(dtype, x):
    allones = scalar_const(dtype, -1 if not is_bool(dtype) else 1)
    return arith.xori(x, allones)


def _shift_too_far(dtype, y):
    """Whether shift amount y, read as unsigned (a negative amount is huge), is at least the
    bit width: LLVM's shifts are poison there, XLA's shift all the bits out."""
    width = np.dtype(dtype).itemsize * 8
    return arith.cmpi(arith.CmpIPredicate.uge, y, scalar_const(dtype, width))


def _shift_left(dtype, x, y):
    return arith.select(_shift_too_far(dtype, y), scalar_const(dtype, 0), arith.shli(x, y))


def _shift_right_logical(dtype, x, y):
    return arith.select(_shift_too_far(dtype, y), scalar_const(dtype, 0), arith.shrui(x, y))


def _shift_right_arithmetic(dtype, x, y):
    """Sign fill: shifting by width - 1 already leaves only copies of the sign bit."""
    width = np.dtype(dtype).itemsize * 8
    return arith.shrsi(x, arith.select(_shift_too_far(dtype, y), scalar_const(dtype, width - 1), y))


def _round(dtype, x):
    """lax.round: half away from zero (jnp.round's half-to-even is built from other ops).

    trunc and a compare instead of math.round, which LLVM cannot vectorize on x86."""
    if not is_float(dtype):
        return x
    t = math.trunc(x)
    half = arith.cmpf(arith.CmpFPredicate.OGE, math.absf(arith.subf(x, t)), scalar_const(dtype, 0.5))
    return arith.select(half, arith.addf(t, math.copysign(scalar_const(dtype, 1), x)), t)


def _copy(dtype, x):
    return x


CMP_FLOAT = {"eq": "OEQ", "ne": "UNE", "lt": "OLT", "le": "OLE", "gt": "OGT", "ge": "OGE"}
CMP_SIGNED = {"eq": "eq", "ne": "ne", "lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge"}
CMP_UNSIGNED = {"eq": "eq", "ne": "ne", "lt": "ult", "le": "ule", "gt": "ugt", "ge": "uge"}


def _compare(kind):
    def scalar(dtype, x, y):
        if is_float(dtype):
            return arith.cmpf(getattr(arith.CmpFPredicate, CMP_FLOAT[kind]), x, y)
        table = CMP_UNSIGNED if (is_unsigned(dtype) or is_bool(dtype)) else CMP_SIGNED
        return arith.cmpi(getattr(arith.CmpIPredicate, table[kind]), x, y)
    return scalar


def _exp2_float(dtype, x):
    # At 16 bits, JAX's lowering: exp(log(2) * x) with log(2) rounded to the operand type.
    if is_half_float(dtype):
        return math.exp(arith.mulf(scalar_const(dtype, np.log(2)), x))
    return math.exp2(x)


def _rsqrt_float(dtype, x):
    # At 16 bits XLA computes rsqrt in f32 and rounds once; the f16 math.rsqrt that LLVM
    # lowers is 1 / sqrt(x) rounded twice, which differs by 1 ulp at a quarter of the
    # values. (mlax-cpu-bf16 makes a bf16 op one f32 op in any case.)
    if is_half_float(dtype):
        wide = ir.F32Type.get()
        return arith.truncf(x.type, math.rsqrt(arith.extf(wide, x)))
    return math.rsqrt(x)


# Float-only ops that are one op of the math dialect.
_MATH = {
    "exp": math.exp, "log": math.log, "log1p": math.log1p,
    "expm1": math.expm1, "tanh": math.tanh, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
    "sinh": math.sinh, "cosh": math.cosh, "asinh": math.asinh, "acosh": math.acosh,
    "atanh": math.atanh, "sqrt": math.sqrt, "cbrt": math.cbrt,
    "floor": math.floor, "ceil": math.ceil, "erf": math.erf, "erfc": math.erfc,
    "pow": math.powf, "atan2": math.atan2,
}

# ---------------------------------------------------------------------------------------
# Complex numbers: ops of the `complex` dialect, which `convert-complex-to-standard` turns
# into arith and math on the parts.

def _parts(z):
    return complex_d.re(z), complex_d.im(z)


def _complex_type(x):
    return ir.ComplexType.get(x.type)


def _sqrt(z):
    """The principal square root from the parts, as C99's csqrt: t = sqrt((|x| + |z|) / 2),
    then (t, y / 2t) for x >= 0 and (|y| / 2t, copysign(t, y)) for x < 0, so negative reals
    have an exactly zero real part; sqrt(0) keeps y's zero, an infinite y gives (inf, y)."""
    x, y = _parts(z)
    ft = x.type
    zero, half, inf = (arith.constant(ft, v) for v in (0.0, 0.5, float("inf")))
    t = math.sqrt(arith.mulf(arith.addf(math.absf(x), complex_d.abs(z)), half))
    two_t = arith.addf(t, t)
    nonneg = arith.cmpf(arith.CmpFPredicate.OGE, x, zero)
    re = arith.select(nonneg, t, arith.divf(math.absf(y), two_t))
    im = arith.select(nonneg, arith.divf(y, two_t), math.copysign(t, y))
    is_zero = arith.cmpf(arith.CmpFPredicate.OEQ, t, zero)
    re = arith.select(is_zero, zero, re)
    im = arith.select(is_zero, y, im)
    y_inf = arith.cmpf(arith.CmpFPredicate.OEQ, math.absf(y), inf)
    return complex_d.create_(z.type, arith.select(y_inf, inf, re), arith.select(y_inf, y, im))


def _sinh(z):
    """sinh(x + iy) = sinh x cos y + i cosh x sin y (no cancellation near 0)."""
    x, y = _parts(z)
    return complex_d.create_(z.type, arith.mulf(math.sinh(x), math.cos(y)),
                             arith.mulf(math.cosh(x), math.sin(y)))


def _cosh(z):
    """cosh(x + iy) = cosh x cos y + i sinh x sin y."""
    x, y = _parts(z)
    return complex_d.create_(z.type, arith.mulf(math.cosh(x), math.cos(y)),
                             arith.mulf(math.sinh(x), math.sin(y)))


def _complex_const(like, value):
    """A complex constant of the type of the complex scalar `like`."""
    part = ir.ComplexType(like.type).element_type
    return complex_d.constant(like.type, ir.ArrayAttr.get([
        ir.FloatAttr.get(part, value.real), ir.FloatAttr.get(part, value.imag)]))


def _exp2(z):
    """2**z = exp(z ln 2)."""
    return complex_d.exp(complex_d.mul(z, _complex_const(z, complex(np.log(2)))))


def _complex_logistic(z):
    """1 / (1 + exp(-z))."""
    one = _complex_const(z, 1 + 0j)
    return complex_d.div(one, complex_d.add(one, complex_d.exp(complex_d.neg(z))))


# The inverse trigonometric and hyperbolic functions: Kahan's formulas ("Branch cuts for
# complex elementary functions", 1987), which take their branch cuts' sides from the sign of
# a zero imaginary part (C99's and NumPy's conventions) and lose no accuracy near 0; 1 - z and
# 1 + z are built from the parts so that a zero's sign survives (complex.sub would give
# 0 - 0 = +0).

def _part_const(z, value):
    return arith.constant(ir.ComplexType(z.type).element_type, float(value))


def _sqrt_of(z, re, im):
    return _parts(_sqrt(complex_d.create_(z.type, re, im)))


def _far(z):
    """(|x| or |y| beyond 1/eps, log(2|z|)): where the formulas' products of infinities
    would give NaN, the leading terms of the expansions at infinity are exact to rounding."""
    x, y = _parts(z)
    c = lambda v: _part_const(z, v)
    width = ir.ComplexType(z.type).element_type.width
    ax, ay = math.absf(x), math.absf(y)
    s = arith.maximumf(ax, ay)
    r = arith.divf(arith.minimumf(ax, ay), s)
    r = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, r, r), r, c(1.0))   # inf / inf
    log2z = arith.addf(arith.addf(math.log(s), c(np.log(2.0))),
                       arith.mulf(c(0.5), math.log1p(arith.mulf(r, r))))
    eps = np.finfo(np.float32 if width == 32 else np.float64).eps
    return arith.cmpf(arith.CmpFPredicate.OGT, s, c(1.0 / eps)), log2z


def _asin(z):
    """asin z = atan2(x, re(sqrt(1-z) sqrt(1+z))) + i asinh(im(conj(sqrt(1-z)) sqrt(1+z)));
    far out, atan2(x, |y|) + i sign(y) log(2|z|)."""
    x, y = _parts(z)
    one = _part_const(z, 1.0)
    ar, ai = _sqrt_of(z, arith.subf(one, x), arith.negf(y))
    br, bi = _sqrt_of(z, arith.addf(one, x), y)
    re = math.atan2(x, arith.subf(arith.mulf(ar, br), arith.mulf(ai, bi)))
    im = math.asinh(arith.subf(arith.mulf(ar, bi), arith.mulf(ai, br)))
    far, log2z = _far(z)
    re = arith.select(far, math.atan2(x, math.absf(y)), re)
    im = arith.select(far, math.copysign(log2z, y), im)
    return complex_d.create_(z.type, re, im)


def _acos(z):
    """acos z = 2 atan2(re sqrt(1-z), re sqrt(1+z)) + i asinh(im(conj(sqrt(1+z)) sqrt(1-z)));
    far out, atan2(|y|, x) - i sign(y) log(2|z|)."""
    x, y = _parts(z)
    one = _part_const(z, 1.0)
    ar, ai = _sqrt_of(z, arith.subf(one, x), arith.negf(y))
    br, bi = _sqrt_of(z, arith.addf(one, x), y)
    re = arith.mulf(_part_const(z, 2.0), math.atan2(ar, br))
    im = math.asinh(arith.subf(arith.mulf(br, ai), arith.mulf(bi, ar)))
    far, log2z = _far(z)
    re = arith.select(far, math.atan2(math.absf(y), x), re)
    im = arith.select(far, arith.negf(math.copysign(log2z, y)), im)
    return complex_d.create_(z.type, re, im)


def _acosh(z):
    """acosh z = asinh(re(conj(sqrt(z-1)) sqrt(z+1))) + 2i atan2(im sqrt(z-1), re sqrt(z+1));
    far out, log(2|z|) + i atan2(y, x)."""
    x, y = _parts(z)
    one = _part_const(z, 1.0)
    ar, ai = _sqrt_of(z, arith.subf(x, one), y)
    br, bi = _sqrt_of(z, arith.addf(x, one), y)
    re = math.asinh(arith.addf(arith.mulf(ar, br), arith.mulf(ai, bi)))
    im = arith.mulf(_part_const(z, 2.0), math.atan2(ai, br))
    far, log2z = _far(z)
    re = arith.select(far, log2z, re)
    im = arith.select(far, math.atan2(y, x), im)
    return complex_d.create_(z.type, re, im)


def _atanh(z):
    """atanh z = sign(x) log1p(4|x| / ((1-|x|)^2 + y^2)) / 4 + i atan2(2y, (1-x)(1+x) - y^2) / 2
    (log1p of a non-negative argument: no cancellation near x = -1); far out,
    x / (x^2 + y^2) (x and y scaled by max(|x|, |y|)) + i sign(y) pi/2, which neither
    overflows nor loses the quadrant at infinity."""
    x, y = _parts(z)
    c = lambda v: _part_const(z, v)
    one = c(1.0)
    ax = math.absf(x)
    omx = arith.subf(one, ax)
    den = arith.addf(arith.mulf(omx, omx), arith.mulf(y, y))
    four_x = arith.mulf(c(4.0), ax)
    re = arith.mulf(c(0.25), math.log1p(arith.divf(four_x, den)))
    # Near x = +-1 (den < 4|x|): log((1+|x|)^2 + y^2) - 2 log|1 - |x| + iy|, the second from
    # scaled parts, so that a tiny y^2 neither underflows nor makes 4|x| / den overflow.
    opx = arith.addf(one, ax)
    am, ay = math.absf(omx), math.absf(y)
    s2 = arith.maximumf(am, ay)
    r2 = arith.divf(arith.minimumf(am, ay), s2)
    r2 = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, r2, r2), r2, c(0.0))   # 0 / 0
    log_den = arith.addf(arith.mulf(c(2.0), math.log(s2)), math.log1p(arith.mulf(r2, r2)))
    log_num = math.log(arith.addf(arith.mulf(opx, opx), arith.mulf(y, y)))
    near = arith.cmpf(arith.CmpFPredicate.OLT, den, four_x)
    re = arith.select(near, arith.mulf(c(0.25), arith.subf(log_num, log_den)), re)
    im = arith.mulf(c(0.5), math.atan2(
        arith.mulf(c(2.0), y), arith.subf(arith.mulf(arith.subf(one, x), arith.addf(one, x)),
                                          arith.mulf(y, y))))
    far, _ = _far(z)
    s = arith.maximumf(ax, math.absf(y))
    xs, ys = arith.divf(ax, s), arith.divf(y, s)
    far_re = arith.divf(arith.divf(xs, s), arith.addf(arith.mulf(xs, xs), arith.mulf(ys, ys)))
    far_re = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, far_re, far_re), far_re, c(0.0))
    re = math.copysign(arith.select(far, far_re, re), x)
    im = arith.select(far, math.copysign(c(np.pi / 2), y), im)
    return complex_d.create_(z.type, re, im)


def _times_i(f, z):
    """-i f(i z): asinh from asin and atan from atanh."""
    x, y = _parts(z)
    w = f(complex_d.create_(z.type, arith.negf(y), x))
    p, q = _parts(w)
    return complex_d.create_(z.type, q, arith.negf(p))


def _complex_compare(kind):
    def scalar(x, y):
        return complex_d.eq(x, y) if kind == "eq" else complex_d.neq(x, y)
    return scalar


# Op name -> scalar body(*xs) for complex operands; COMPLEX_OK (dialects/ops.py) lists
# the ops that accept them.
COMPLEX_SCALAR = {
    "mlax.neg": complex_d.neg, "mlax.abs": complex_d.abs, "mlax.sign": complex_d.sign,
    "mlax.exp": complex_d.exp, "mlax.exp2": _exp2, "mlax.logistic": _complex_logistic,
    "mlax.log": complex_d.log, "mlax.log1p": complex_d.log1p,
    "mlax.expm1": complex_d.expm1, "mlax.tanh": complex_d.tanh, "mlax.sin": complex_d.sin,
    "mlax.cos": complex_d.cos, "mlax.tan": complex_d.tan, "mlax.sqrt": _sqrt,
    "mlax.rsqrt": complex_d.rsqrt, "mlax.sinh": _sinh, "mlax.cosh": _cosh,
    "mlax.asin": _asin, "mlax.acos": _acos, "mlax.atan": lambda z: _times_i(_atanh, z),
    "mlax.asinh": lambda z: _times_i(_asin, z), "mlax.acosh": _acosh, "mlax.atanh": _atanh,
    "mlax.add": complex_d.add, "mlax.sub": complex_d.sub, "mlax.mul": complex_d.mul,
    "mlax.div": complex_d.div, "mlax.pow": complex_d.pow,
    "mlax.eq": _complex_compare("eq"), "mlax.ne": _complex_compare("ne"),
    "mlax.max": lambda x, y: maximum(np.complex64, x, y),
    "mlax.min": lambda x, y: minimum(np.complex64, x, y),
    "mlax.stop_gradient": lambda x: x, "mlax.copy": lambda x: x,
}


def _or_complex(name, body):
    """`body`, or for complex operands the op's complex body (an error if it has none)."""
    def scalar(dtype, *xs, **attrs):
        if is_complex(dtype) and name != "mlax.integer_pow":
            if name not in COMPLEX_SCALAR:
                raise PassError(f"{name} does not accept complex operands, got "
                                f"{np.dtype(dtype).name}")
            return COMPLEX_SCALAR[name](*xs)
        return body(dtype, *xs, **attrs)
    return scalar


# Op name -> scalar body(dtype, *xs, **attrs).
SCALAR = {
    **{f"mlax.{name}": float_only(name, fn) for name, fn in _MATH.items()},
    **{f"mlax.{kind}": _compare(kind) for kind in CMP_FLOAT},
    "mlax.neg": _neg, "mlax.abs": _abs, "mlax.sign": _sign, "mlax.logistic": _logistic,
    "mlax.exp2": _float_only_with_dtype("exp2", _exp2_float),
    "mlax.rsqrt": _float_only_with_dtype("rsqrt", _rsqrt_float),
    "mlax.round": _round, "mlax.is_finite": _is_finite,
    "mlax.not": _not, "mlax.population_count": lambda dtype, x: math.ctpop(x),
    "mlax.stop_gradient": _copy, "mlax.copy": _copy,
    "mlax.add": by_dtype(arith.addf, arith.addi), "mlax.sub": by_dtype(arith.subf, arith.subi),
    "mlax.mul": by_dtype(arith.mulf, arith.muli), "mlax.div": _div, "mlax.rem": _rem,
    "mlax.max": maximum, "mlax.min": minimum, "mlax.integer_pow": _integer_pow,
    "mlax.and": lambda dtype, x, y: arith.andi(x, y),
    "mlax.or": lambda dtype, x, y: arith.ori(x, y),
    "mlax.xor": lambda dtype, x, y: arith.xori(x, y),
    "mlax.shift_left": _shift_left, "mlax.shift_right_logical": _shift_right_logical,
    "mlax.shift_right_arithmetic": _shift_right_arithmetic,
}
SCALAR = {name: _or_complex(name, body) for name, body in SCALAR.items()}


def _real(dtype, z):
    return complex_d.re(z)


def _imag(dtype, z):
    return complex_d.im(z)


def _conj(dtype, z):
    return complex_d.conj(z)


def _complex(dtype, re, im):
    return complex_d.create_(_complex_type(re), re, im)


def _select_rule(op):
    return [elementwise(op.out_specs[0], op.operands, op.in_dtypes, lambda p, t, f: arith.select(p, t, f))]


def _clamp_rule(op):
    dtype = op.out_specs[0].dtype
    return [elementwise(op.out_specs[0], op.operands, op.in_dtypes,
                        lambda lo, x, hi: minimum(dtype, maximum(dtype, x, lo), hi))]


def convert_scalar(x, src, dst):
    """Convert scalar x from dtype src to dtype dst with JAX's semantics."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    if is_complex(src) or is_complex(dst):
        return _convert_complex(x, src, dst)
    ts, td = el(src), el(dst)
    if is_bool(dst):
        zero = scalar_const(src, 0)
        if is_float(src):
            return arith.cmpf(arith.CmpFPredicate.UNE, x, zero)
        return arith.cmpi(arith.CmpIPredicate.ne, x, zero)
    if is_bool(src) and not is_float(dst):
        return arith.extui(td, x)
    if is_float(src) and is_float(dst):
        if dst.itemsize == src.itemsize:    # float16 <-> bfloat16: exact through f32
            x, src = arith.extf(ir.F32Type.get(), x), np.dtype(np.float32)
        return arith.extf(td, x) if dst.itemsize > src.itemsize else arith.truncf(td, x)
    if is_float(dst):
        return arith.uitofp(td, x) if (is_unsigned(src) or is_bool(src)) else arith.sitofp(td, x)
    if is_float(src):
        return _float_to_int(x, src, dst)
    # int -> int
    if dst.itemsize > src.itemsize:
        return arith.extui(td, x) if (is_unsigned(src) or is_bool(src)) else arith.extsi(td, x)
    if dst.itemsize < src.itemsize:
        return arith.trunci(td, x)
    return x  # same width, signedness only


def _convert_complex(x, src, dst):
    """Conversions from and to complex types, as JAX's: a real value becomes the real part
    (imaginary part 0); a complex value converts its real part to a real type (bool: z != 0)."""
    if is_complex(src) and is_complex(dst):
        part = real_dtype(dst)
        re, im = _parts(x)
        return complex_d.create_(el(dst), convert_scalar(re, real_dtype(src), part),
                                 convert_scalar(im, real_dtype(src), part))
    if is_complex(dst):
        part = real_dtype(dst)
        return complex_d.create_(el(dst), convert_scalar(x, src, part), scalar_const(part, 0))
    if is_bool(dst):
        return complex_d.neq(x, scalar_const(src, 0))
    return convert_scalar(complex_d.re(x), real_dtype(src), dst)


def _float_to_int(x, src, dst):
    """XLA's float -> integer conversion: toward zero, saturating at the integer type's
    bounds, NaN to 0. (arith.fptosi / fptoui are poison out of range: the hardware gives
    INT_MIN, or garbage for unsigned.) The bounds -2**(w-1) and 2**(w-1) (0 and 2**w
    unsigned) are powers of two, exact in the float type or beyond its range (then inf)."""
    info = np.iinfo(dst)
    td = el(dst)
    with np.errstate(over="ignore"):
        lo, hi = (float(np.asarray(float(v), src)) for v in (info.min, info.max + 1))
    lo, hi = arith.constant(el(src), lo), arith.constant(el(src), hi)
    r = arith.fptoui(td, x) if is_unsigned(dst) else arith.fptosi(td, x)
    r = arith.select(arith.cmpf(arith.CmpFPredicate.OGE, x, hi), scalar_const(dst, info.max), r)
    r = arith.select(arith.cmpf(arith.CmpFPredicate.OLE, x, lo), scalar_const(dst, info.min), r)
    return arith.select(arith.cmpf(arith.CmpFPredicate.UNO, x, x), scalar_const(dst, 0), r)


def _convert_rule(op):
    src, dst = op.in_specs[0].dtype, op.out_specs[0].dtype
    if src == dst or (el(src) == el(dst) and not is_bool(src) and not is_bool(dst)):
        return [op.operands[0]] if ttype(op.in_specs[0]) == ttype(op.out_specs[0]) else \
            [elementwise(op.out_specs[0], op.operands, op.in_dtypes, lambda x: x)]
    return [elementwise(op.out_specs[0], op.operands, op.in_dtypes, lambda x: convert_scalar(x, src, dst))]


def _bitcast_rule(op):
    td = el(op.out_specs[0].dtype)
    if el(op.in_specs[0].dtype) == td:
        return [op.operands[0]]
    return [elementwise(op.out_specs[0], op.operands, op.in_dtypes, lambda x: arith.bitcast(td, x))]


LOWERINGS = {
    **elementwise_rules(SCALAR),
    "mlax.select": _select_rule,
    "mlax.clamp": _clamp_rule,
    "mlax.convert_element_type": _convert_rule,
    "mlax.bitcast_convert_type": _bitcast_rule,
    **elementwise_rules({"mlax.real": _real, "mlax.imag": _imag, "mlax.conj": _conj,
                         "mlax.complex": _complex}),
}
