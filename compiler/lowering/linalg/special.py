"""Special functions: elementwise ops whose scalar bodies follow XLA's client library
(xla/hlo/builder/lib/math.cc), so that mlax's values match jax.jit's: Giles' erf_inv,
Lanczos lgamma and digamma, and nextafter on the bits. lgamma and digamma use
math.log1p/log/sin/cos/sqrt, which `--mlax-expand-math` turns into vectorizable
polynomials; erf_inv and the `xla_` ops (log, log1p, erf, which mlax.random's samplers
use) spell out XLA's CPU algorithms with their FMAs, so they agree with JAX bit for bit.
`mlax.fma` (a * b + c, one rounding) is here too.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, math

from mlax.lowering.linalg.builders import el, int_type_of, is_float, scalar_const, wrap
from mlax.lowering.linalg.elementwise import elementwise_rules
from mlax.passes import PassError


def _nextafter(dtype, x, y):
    """The next float after x towards y, on the bits (XLA's NextAfter)."""
    if not is_float(dtype):
        raise PassError(f"mlax.nextafter needs floating-point operands, got {np.dtype(dtype).name}")
    it = int_type_of(dtype)
    bits = np.dtype(dtype).itemsize * 8
    ic = lambda v: arith.constant(it, wrap(v, np.dtype(f"i{bits // 8}")))
    xi, yi = arith.bitcast(it, x), arith.bitcast(it, y)
    sign_mask = 1 << (bits - 1)
    x_abs, y_abs = arith.andi(xi, ic(~sign_mask)), arith.andi(yi, ic(~sign_mask))
    x_sign, y_sign = arith.andi(xi, ic(sign_mask)), arith.andi(yi, ic(sign_mask))
    eq = lambda a, b: arith.cmpi(arith.CmpIPredicate.eq, a, b)
    smaller = arith.ori(arith.cmpi(arith.CmpIPredicate.sgt, x_abs, y_abs),
                        arith.cmpi(arith.CmpIPredicate.ne, x_sign, y_sign))
    r = arith.addi(xi, arith.select(smaller, ic(-1), ic(1)))
    from_zero = arith.select(eq(y_abs, ic(0)), yi, arith.ori(y_sign, ic(1)))
    r = arith.select(eq(x_abs, ic(0)), from_zero, r)
    r = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, y), yi, r)
    nan = arith.cmpf(arith.CmpFPredicate.UNO, x, y)
    return arith.select(nan, scalar_const(dtype, np.nan), arith.bitcast(el(dtype), r))


_ERF_INV_F32 = (
    (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
     -0.00125372503, -0.00417768164, 0.246640727, 1.50140941),
    (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
     -0.0076224613, 0.00943887047, 1.00167406, 2.83297682))
_ERF_INV_F64 = (
    (-3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
     1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
     6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
     2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
     1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
     4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
     0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
     0.24015818242558961693, 1.6536545626831027356),
    (2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
     1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
     2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
     6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
     0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
     -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
     3.0838856104922207635),
    (-2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
     -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
     2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
     -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
     7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
     1.0103004648645343977, 4.8499064014085844221))


def _fops(dtype):
    """Float arith shorthands for the special functions below."""
    c = lambda v: scalar_const(dtype, v)
    lt = lambda a, b: arith.cmpf(arith.CmpFPredicate.OLT, a, b)
    return c, lt


# ---------------------------------------------------------------------------------------
# log, log1p, erf and erf_inv as XLA's CPU backend computes them, bit for bit.
#
# XLA emits f32 log inline as Eigen's Cephes-based plog, f64 log and erf as calls to libm,
# and log1p (xla/codegen/intrinsic/log1p.cc) as Cephes' rational approximation for
# |x| < sqrt(2) - 1, log(1 + x) beyond. LLVM contracts each multiply whose product has no
# other use into the add after it (XLA compiles with fp-contract=fast), so these bodies
# spell those FMAs out with math.fma and leave every other multiply and add apart:
# the bits depend on exactly which pairs are fused.

_LOG_F32_P = (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF, 0xBE2AAE50,
              0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)   # Cephes logf's P0..P8, as f32 bits
_LOG_F32_Q1, _LOG_F32_Q2 = 0xB95E8083, 0x3F318000      # ln 2 = Q2 - Q1, split
_LOG1P_DEN = (1., 1.5062909083469192043167E1, 8.3047565967967209469434E1,
              2.2176239823732856465394E2, 3.0909872225312059774938E2,
              2.1642788614495947685003E2, 6.0118660497603843919306E1)
_LOG1P_NUM = (4.5270000862445199635215E-5, 4.9854102823193375972212E-1,
              6.5787325942061044846969E0, 2.9911919328553073277375E1,
              6.0949667980987787057556E1, 5.7112963590585538103336E1,
              2.0039553499201281259648E1)


def _f32_bits(v):
    return float(np.array(v, np.uint32).view(np.float32))


def _xla_log(dtype, x):
    """XLA CPU's log: libm for f64; for f32, Cephes' polynomial on the mantissa m in
    [sqrt(1/2), sqrt(2)) with the exponent e, as Eigen's plog_float writes it."""
    if np.dtype(dtype) == np.float64:
        return _libm(math.log(x))
    c, lt = _fops(dtype)
    i32 = ir.IntegerType.get_signless(32)
    ic = lambda v: arith.constant(i32, wrap(v, np.dtype(np.int32)))
    fma = math.fma
    tiny = c(_f32_bits(0x00800000))
    b = arith.bitcast(i32, arith.select(arith.cmpf(arith.CmpFPredicate.OGT, x, tiny), x, tiny))
    m = arith.bitcast(el(dtype), arith.ori(arith.andi(b, ic(0x807FFFFF)), ic(0x3F000000)))
    e = arith.addf(arith.sitofp(el(dtype), arith.subi(arith.shrui(b, ic(23)), ic(127))), c(1.0))
    below = lt(m, c(_f32_bits(0x3F3504F3)))
    e = arith.subf(e, arith.select(below, c(1.0), c(0.0)))
    f = arith.addf(arith.addf(m, c(-1.0)), arith.select(below, m, c(0.0)))
    f2 = arith.mulf(f, f)
    f3 = arith.mulf(f2, f)
    p = [c(_f32_bits(v)) for v in _LOG_F32_P]
    y0 = fma(fma(f, p[0], p[1]), f, p[2])
    y1 = fma(fma(f, p[3], p[4]), f, p[5])
    y2 = fma(fma(f, p[6], p[7]), f, p[8])
    y = fma(fma(fma(y0, f3, y1), f3, y2), f3, arith.mulf(e, c(_f32_bits(_LOG_F32_Q1))))
    r = arith.addf(fma(arith.negf(f2), c(0.5), f), y)
    r = fma(e, c(_f32_bits(_LOG_F32_Q2)), r)
    invalid = arith.cmpf(arith.CmpFPredicate.ULE, x, c(0.0))          # x <= 0 or NaN
    r = arith.select(invalid, c(np.nan), r)
    r = arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, c(0.0)), c(-np.inf), r)
    return arith.select(arith.cmpf(arith.CmpFPredicate.OEQ, x, c(np.inf)), x, r)


def _libm(op_value):
    """Mark a math op to stay a libm call (--mlax-expand-math skips it)."""
    op_value.owner.attributes["mlax.libm"] = ir.UnitAttr.get()
    return op_value


# XLA's f32 erf (Eigen's rational minimax approximation): x P(x^2) / Q(x^2), +-1 beyond
# |x| = 3.8325, each Horner step one FMA. Coefficients as f32 bits.
_ERF_F32_P = (0x39702D51, 0x3B5F5DA2, 0x3D50B6EB, 0x3E3DA740, 0x3F906EBA)
_ERF_F32_Q = (0xB3FD3906, 0x37C588DF, 0x3A856D28, 0x3C6687D4, 0x3DE34C21, 0x3EFEB44A, 0x3F800000)
_ERF_F32_CLAMP = 0x407547CB


def _xla_erf(dtype, x):
    """XLA CPU's erf: libm for f64; for f32 the rational approximation above."""
    if np.dtype(dtype) == np.float64:
        return _libm(math.erf(x))
    c, lt = _fops(dtype)
    z = arith.mulf(x, x)

    def horner(coeffs):
        p = math.fma(z, c(_f32_bits(coeffs[0])), c(_f32_bits(coeffs[1])))
        for k in coeffs[2:]:
            p = math.fma(z, p, c(_f32_bits(k)))
        return p
    r = arith.divf(arith.mulf(x, horner(_ERF_F32_P)), horner(_ERF_F32_Q))
    saturated = arith.cmpf(arith.CmpFPredicate.OGE, math.absf(x), c(_f32_bits(_ERF_F32_CLAMP)))
    return arith.select(saturated, math.copysign(c(1.0), x), r)


def _xla_log1p(dtype, x):
    """XLA's log1p: x - x^2/2 + x^3 P(x)/Q(x) (Cephes) for |x| < sqrt(2) - 1, else
    log(1 + x) by _xla_log."""
    c, lt = _fops(dtype)
    large = _xla_log(dtype, arith.addf(x, c(1.0)))
    x2 = arith.mulf(x, x)
    den, num = c(_LOG1P_DEN[0]), c(_LOG1P_NUM[0])
    for d, n in zip(_LOG1P_DEN[1:], _LOG1P_NUM[1:]):
        den, num = math.fma(den, x, c(d)), math.fma(num, x, c(n))
    tail = arith.mulf(arith.mulf(x, x2), arith.divf(num, den))
    small = arith.addf(x, math.fma(x2, c(-0.5), tail))
    return arith.select(lt(math.absf(x), c(0.41421356237309504880)), small, large)


def _erf_inv(dtype, x):
    """Giles' approximation in w = -log1p(-x^2), as XLA's ErfInv (xla/hlo/builder/lib/math.cc):
    Horner steps are FMAs on the CPU."""
    c, lt = _fops(dtype)
    gt = lambda a, b: arith.cmpf(arith.CmpFPredicate.OGT, a, b)
    fma = math.fma
    l = _xla_log1p(dtype, arith.mulf(x, arith.negf(x)))     # l = -w
    if np.dtype(dtype) == np.float32:
        small, large = _ERF_INV_F32
        lt5 = gt(l, c(-5.0))
        coef = lambda i: arith.select(lt5, c(small[i]), c(large[i]))
        w = arith.select(lt5, arith.subf(c(-2.5), l), arith.subf(math.sqrt(arith.negf(l)), c(3.0)))
        p = fma(coef(0), w, coef(1))
        for i in range(2, 9):
            p = fma(w, p, coef(i))
    else:
        a, b, d = _ERF_INV_F64
        lt6, lt16 = gt(l, c(-6.25)), gt(l, c(-16.0))

        def coef(i):
            v = c(a[i])
            if i < 19:
                v = arith.select(lt6, v, c(b[i]))
            if i < 17:
                v = arith.select(lt16, v, c(d[i]))
            return v
        w = arith.select(lt6, arith.subf(c(-3.125), l),
                         arith.subf(math.sqrt(arith.negf(l)),
                                    arith.select(lt16, c(3.25), c(5.0))))
        p = fma(coef(0), w, coef(1))
        for i in range(2, 17):
            p = fma(w, p, coef(i))
        for i in range(17, 19):
            p = arith.select(lt16, fma(w, p, coef(i)), p)
        for i in range(19, 23):
            p = arith.select(lt6, fma(w, p, coef(i)), p)
    at_one = arith.cmpf(arith.CmpFPredicate.OEQ, math.absf(x), c(1.0))
    return arith.mulf(x, arith.select(at_one, c(np.inf), p))


_LANCZOS_G = 7.0
_LANCZOS_BASE = 0.99999999999980993227684700473478
_LANCZOS = (676.520368121885098567009190444019, -1259.13921672240287047156078755283,
            771.3234287776530788486528258894, -176.61502916214059906584551354,
            12.507343278686904814458936853, -0.13857109526572011689554707,
            9.984369578019570859563e-6, 1.50563273514931155834e-7)


def _lanczos_log_t(dtype, z):
    """(t, log t) for t = z + g + 1/2, log t = log(g + 1/2) + log1p(z / (g + 1/2))."""
    c, _ = _fops(dtype)
    t = arith.addf(c(_LANCZOS_G + 0.5), z)
    log_t = arith.addf(c(np.log(_LANCZOS_G + 0.5)),
                       math.log1p(arith.divf(z, c(_LANCZOS_G + 0.5))))
    return t, log_t


def _lgamma(dtype, x):
    c, lt = _fops(dtype)
    reflect = lt(x, c(0.5))
    z = arith.select(reflect, arith.negf(x), arith.subf(x, c(1.0)))
    acc = c(_LANCZOS_BASE)
    for i, k in enumerate(_LANCZOS):
        acc = arith.addf(acc, arith.divf(c(k), arith.addf(arith.addf(z, c(i)), c(1.0))))
    t, log_t = _lanczos_log_t(dtype, z)
    log_y = arith.addf(arith.addf(c((np.log(2) + np.log(np.pi)) / 2),
                                  arith.mulf(arith.subf(arith.addf(z, c(0.5)), arith.divf(t, log_t)), log_t)),
                       math.log(acc))
    ax = math.absf(x)
    frac = arith.subf(ax, math.floor(ax))
    frac = arith.select(arith.cmpf(arith.CmpFPredicate.OGT, frac, c(0.5)), arith.subf(c(1.0), frac), frac)
    denom = math.log(math.sin(arith.mulf(c(np.pi), frac)))
    finite = arith.cmpf(arith.CmpFPredicate.ONE, math.absf(denom), c(np.inf))
    reflection = arith.select(finite, arith.subf(arith.subf(c(np.log(np.pi)), denom), log_y),
                              arith.negf(denom))
    result = arith.select(reflect, reflection, log_y)
    is_inf = arith.cmpf(arith.CmpFPredicate.OEQ, ax, c(np.inf))
    return arith.select(is_inf, c(np.inf), result)


def _digamma(dtype, x):
    c, lt = _fops(dtype)
    reflect = lt(x, c(0.5))
    z = arith.select(reflect, arith.negf(x), arith.subf(x, c(1.0)))
    num, denom = c(0.0), c(_LANCZOS_BASE)
    for i, k in enumerate(_LANCZOS):
        zi = arith.addf(arith.addf(z, c(i)), c(1.0))
        num = arith.subf(num, arith.divf(c(k), arith.mulf(zi, zi)))
        denom = arith.addf(denom, arith.divf(c(k), zi))
    t, log_t = _lanczos_log_t(dtype, z)
    y = arith.subf(arith.addf(log_t, arith.divf(num, denom)), arith.divf(c(_LANCZOS_G), t))
    reduced = arith.addf(x, math.absf(math.floor(arith.addf(x, c(0.5)))))
    pix = arith.mulf(c(np.pi), reduced)
    reflection = arith.subf(y, arith.divf(arith.mulf(c(np.pi), math.cos(pix)), math.sin(pix)))
    result = arith.select(reflect, reflection, y)
    pole = arith.andi(arith.cmpf(arith.CmpFPredicate.OLE, x, c(0.0)),
                      arith.cmpf(arith.CmpFPredicate.OEQ, x, math.floor(x)))
    return arith.select(pole, c(np.nan), result)


def _special(name, f):
    """A float-only scalar body, computed in f32 for f16 operands (as XLA does)."""
    def scalar(dtype, *xs):
        if not is_float(dtype):
            raise PassError(f"mlax.{name} needs floating-point operands, got {np.dtype(dtype).name}")
        if np.dtype(dtype).itemsize < 4:
            f32 = ir.F32Type.get()
            y = f(np.dtype(np.float32), *[arith.extf(f32, x) for x in xs])
            return arith.truncf(el(dtype), y)
        return f(dtype, *xs)
    return scalar


# Op name -> scalar body(dtype, *xs).
SCALAR = {
    "mlax.nextafter": _nextafter,
    "mlax.erf_inv": _special("erf_inv", _erf_inv),
    "mlax.xla_log": _special("xla_log", _xla_log),
    "mlax.xla_log1p": _special("xla_log1p", _xla_log1p),
    "mlax.xla_erf": _special("xla_erf", _xla_erf),
    "mlax.fma": _special("fma", lambda dtype, a, b, c: math.fma(a, b, c)),
    "mlax.lgamma": _special("lgamma", _lgamma),
    "mlax.digamma": _special("digamma", _digamma),
}

LOWERINGS = elementwise_rules(SCALAR)
