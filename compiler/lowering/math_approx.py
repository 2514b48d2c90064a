"""`--mlax-expand-math`: transcendental math ops -> polynomial arith, so loops vectorize.

`math.exp` and friends lower to libm calls, which LLVM cannot vectorize: a fused
elementwise loop that calls `expf` runs one element at a time. This pass rewrites the
math ops below, wherever they appear (in practice inside `linalg.generic` bodies), into
range reduction plus a polynomial or rational approximation in `arith` and the
vectorizable `math` ops (floor, trunc, abs, copysign, sqrt). Where a rule wants a fused
multiply-add it says so (`math.fma`: Horner steps and final accumulations); no op carries
`fastmath<contract>`, so every op is one IEEE operation and the bits do not depend on
where LLVM chooses to fuse, which differs between targets (AVX2, AVX-512) and between a
loop body and an outlined function.

`EXPANSIONS` maps an op name to its rule:

    rule(f: Float, x: ir.Value) -> ir.Value | None

where `Float` holds the element type and small builders; a rule returns None to leave an
op alone (for an element type it does not handle). Rules run at the op's insertion point.

Accuracy (max error in ulps against NumPy's libm in f64, over wide ranges including
subnormals, huge and special values; test/python/test_lowering_ops.py keeps the bounds):

    op       algorithm                                             f32     f64
    exp      Cephes: n = round(x / ln2), polynomial (f32) or       1.0     2
             rational (f64) in r = x - n ln2, times 2**n
    log      fdlibm: mantissa in [sqrt(2)/2, sqrt(2)), s = f/(2+f)  0.7     1
    log1p    Goldberg: log(u) * x / (u - 1), u = 1 + x              2.1     2
    expm1    Taylor for |x| < 1, exp(x) - 1 beyond                  1.7     2
    tanh     Cephes: odd polynomial/rational below 0.625,           1.3     2
             1 - 2 / (exp(2|x|) + 1) above
    erf      Cephes erf for |x| < 1, 1 - erfc beyond                2.3     2
    sin/cos  f64 argument reduction, exact for every finite f32     1.5     (libm)
             (Cody-Waite below 2**24, Payne-Hanek above), Cephes polynomials

An op carrying the unit attribute `mlax.libm` is left alone, to be a libm call (the f64 log
and erf of `mlax.xla_log` and `mlax.xla_erf`, which must be the very functions XLA calls).
Subnormal results, signed zeros, infinities and NaNs follow libm. f16 and bf16 compute
in f32; f64 sin and cos, and other math ops, are left as they are. The pass reads and
writes scalar ops only, so it runs on tensors or buffers; in the CPU pipeline it belongs
after elementwise fusion, before scheduling and bufferization.

With `outline=N` (the CPU pipeline uses N = 4), an (op, element type) used N or more times
is expanded once, into
a function `@mlax_<op>_<type>` called where the op was, plus vector variants
(`@mlax_<op>_<type>x4`, `x8`, `x16`: the same ops on vectors) that its
`vector-function-abi-variant` attribute offers LLVM's loop vectorizer, which then calls one
per vector. The functions are noinline, so LLVM's time grows with the distinct functions
rather than with their uses (below N uses, inline is faster to run: selu's one exp ran
~15% slower as a call), and weak_odr, so the variants outlive dead-code elimination
until the vectorizer has run and modules linked together share them.

Upstream `convert-math-to-llvm` lowers log1p and expm1 as log(1 + x) and exp(x) - 1,
which lose all precision near 0: this pass is needed for accuracy, not only for speed.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from mlir import ir
from mlir.dialects import arith, func, math

from mlax.passes import ModulePass, option, register

EXPANSIONS = {}


def _shaped(elem: ir.Type, shape) -> ir.Type:
    """`elem`, or a vector of `shape` (a tuple; None for scalars) of it."""
    return elem if shape is None else ir.VectorType.get(list(shape), elem)


def _const(t: ir.Type, v):
    """A scalar constant of type `t`, or a splat when `t` is a vector type."""
    if not isinstance(t, ir.VectorType):
        return arith.constant(t, v)
    elem = t.element_type
    if isinstance(elem, ir.IntegerType):
        attr = ir.IntegerAttr.get(elem, v)
    else:
        attr = ir.FloatAttr.get(elem, v)
    return arith.constant(t, ir.DenseElementsAttr.get_splat(t, attr))


class Float:
    """Builders for one float type (f32 or f64, or a vector of either) and its same-width
    integer type. A vector type gives the same ops, elementwise, as its element type."""

    def __init__(self, t: ir.Type):
        self.t = t
        self.shape = tuple(t.shape) if isinstance(t, ir.VectorType) else None
        elem = t.element_type if self.shape is not None else t
        self.f64 = isinstance(elem, ir.F64Type)
        self.bits = 64 if self.f64 else 32
        self.mant = 52 if self.f64 else 23
        self.bias = 1023 if self.f64 else 127
        self.it = self.like(ir.IntegerType.get_signless(self.bits))

    def like(self, elem: ir.Type) -> ir.Type:
        """`elem` with this type's shape (itself when scalar)."""
        return _shaped(elem, self.shape)

    # constants
    def c(self, v):
        return _const(self.t, float(v))

    def i(self, v):
        v = int(v) % (1 << self.bits)
        return _const(self.it, v - (1 << self.bits) if v >= 1 << (self.bits - 1) else v)

    # arithmetic
    def add(self, a, b):
        return arith.addf(a, b)

    def sub(self, a, b):
        return arith.subf(a, b)

    def mul(self, a, b):
        return arith.mulf(a, b)

    def div(self, a, b):
        return arith.divf(a, b)

    def fma(self, a, b, c):
        """a * b + c, rounded once."""
        return math.fma(a, b, c)

    def neg(self, a):
        return arith.negf(a)

    def poly(self, x, coeffs):
        """Horner's rule; coefficients from the highest power down."""
        p = self.c(coeffs[0])
        for k in coeffs[1:]:
            p = self.fma(p, x, self.c(k))
        return p

    # comparisons and selection
    def cmp(self, pred, a, b):
        return arith.cmpf(getattr(arith.CmpFPredicate, pred), a, b)

    def isnan(self, a):
        return self.cmp("UNO", a, a)

    def sel(self, cond, a, b):
        return arith.select(cond, a, b)

    def clamp(self, x, lo, hi):
        """x clamped to [lo, hi] by compare and select (NaN stays NaN): cheap in vectors,
        unlike arith.minimumf/maximumf, which x86 has no instruction for."""
        x = self.sel(self.cmp("OGT", x, self.c(hi)), self.c(hi), x)
        return self.sel(self.cmp("OLT", x, self.c(lo)), self.c(lo), x)

    # vectorizable math
    def abs(self, a):
        return math.absf(a)

    def floor(self, a):
        return math.floor(a)

    def copysign(self, a, b):
        return math.copysign(a, b)

    # bits
    def to_bits(self, a):
        return arith.bitcast(self.it, a)

    def from_bits(self, a):
        return arith.bitcast(self.t, a)


def expansion(name):
    def register(rule):
        EXPANSIONS[f"math.{name}"] = rule
        return rule
    return register


# ---------------------------------------------------------------------------------------
# exp


@expansion("exp")
def exp(f: Float, x):
    """exp(x) = p(r) * 2**n, x = n ln2 + r, |r| <= ln2 / 2 (Cephes). 2**n is applied as two
    factors so that subnormal results keep their precision.

    The steps are few and short, for a vector loop is bound by the length of this chain:
    n is rounded by adding 1.5 * 2**mant + 2 bias (t's low bits are then n + 2 bias, the
    sum of the two factors' biased exponents, so each factor is one shift of its half),
    r = x - n ln2 is two FMAs (the first is exact, as a multiply and a subtraction were),
    the f32 polynomial is evaluated by Estrin's scheme (3 FMAs deep instead of 5; its
    rounding errors are scaled by r**2 < 1/8), and the factors are products, the first
    an FMA that also adds y's leading 1 (y = 1 + y1; (1 + y1) * 2**(n // 2) is normal, so
    it rounds as 1 + y1 did). A NaN x makes y1 NaN, which stays NaN through the products
    whatever its n's bits are: no select on isnan(x) (adding n // 2 to y's exponent bits
    instead could turn a NaN into a number)."""
    hi, lo = (709.8, -745.2) if f.f64 else (88.8, -104.0)
    xc = f.clamp(x, lo, hi)
    base = 1.5 * 2.0 ** f.mant                     # its bits: exponent bias + mant, 1 << (mant - 1)
    base_bits = (f.bias + f.mant) << f.mant | 1 << (f.mant - 1)
    magic = base + 2 * f.bias                      # a float of spacing 1: t is rounded to an integer
    t = f.fma(xc, f.c(np.log2(np.e)), f.c(magic))
    n = f.sub(t, f.c(magic))
    e = arith.subi(f.to_bits(t), f.i(base_bits))  # n + 2 bias: in [bias - mant, 3 bias + 1]
    if f.f64:
        r = f.fma(n, f.c(-6.93145751953125e-1), xc)
        r = f.fma(n, f.c(-1.42860682030941723212e-6), r)
        rr = f.mul(r, r)
        px = f.mul(r, f.poly(rr, [1.26177193074810590878e-4, 3.02994407707441961300e-2,
                                  9.99999999999999999910e-1]))
        q = f.poly(rr, [3.00198505138664455042e-6, 2.52448340349684104192e-3,
                        2.27265548208155028766e-1, 2.00000000000000000009e0])
        y1 = f.mul(f.c(2.0), f.div(px, f.sub(q, px)))
    else:
        r = f.fma(n, f.c(-0.693359375), xc)
        r = f.fma(n, f.c(2.12194440e-4), r)
        rr = f.mul(r, r)
        c5, c4, c3, c2, c1, c0 = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                  4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)
        p = f.fma(f.fma(f.fma(f.c(c5), r, f.c(c4)), rr, f.fma(f.c(c3), r, f.c(c2))), rr,
                  f.fma(f.c(c1), r, f.c(c0)))
        y1 = f.fma(p, rr, r)
    e1 = arith.shrsi(e, f.i(1))                    # n // 2 + bias
    e2 = arith.subi(e, e1)                         # n - n // 2 + bias
    s1 = f.from_bits(arith.shli(e1, f.i(f.mant)))
    return f.mul(f.fma(y1, s1, s1), f.from_bits(arith.shli(e2, f.i(f.mant))))


# ---------------------------------------------------------------------------------------
# log, log1p


_LOG_F32 = dict(ln2_hi=6.9313812256e-01, ln2_lo=9.0580006145e-06,
                lg=[0xaaaaaa * 2.0 ** -24, 0xccce13 * 2.0 ** -25, 0x91e9ee * 2.0 ** -25,
                    0xf89e26 * 2.0 ** -26],
                one=0x3f800000, sqrt_half=0x3f3504f3, subnormal_scale=25)
_LOG_F64 = dict(ln2_hi=6.93147180369123816490e-01, ln2_lo=1.90821492927058770002e-10,
                lg=[6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
                    2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
                    1.479819860511658591e-01],
                one=0x3ff0000000000000, sqrt_half=0x3fe6a09e667f3bcd, subnormal_scale=54)


@expansion("log")
def log(f: Float, x):
    """fdlibm: x = 2**k * m, m in [sqrt(2)/2, sqrt(2)); log(m) = f - f*f/2 + s*(f*f/2 + R(s*s)),
    f = m - 1, s = f / (2 + f)."""
    k = _LOG_F64 if f.f64 else _LOG_F32
    tiny = f.cmp("OLT", x, f.c(np.finfo(np.float64 if f.f64 else np.float32).tiny))
    xs = f.sel(tiny, f.mul(x, f.c(2.0 ** k["subnormal_scale"])), x)
    e_adj = f.sel(tiny, f.c(-k["subnormal_scale"]), f.c(0.0))
    ix = arith.addi(f.to_bits(xs), f.i(k["one"] - k["sqrt_half"]))
    e = arith.subi(arith.shrsi(ix, f.i(f.mant)), f.i(f.bias))
    m = f.from_bits(arith.addi(arith.andi(ix, f.i((1 << f.mant) - 1)), f.i(k["sqrt_half"])))
    dk = f.add(arith.sitofp(f.t, e), e_adj)
    fm = f.sub(m, f.c(1.0))
    s = f.div(fm, f.add(f.c(2.0), fm))
    z = f.mul(s, s)
    w = f.mul(z, z)
    lg = k["lg"]
    odd, even = lg[0::2], lg[1::2]     # Lg1, Lg3, ... in w; Lg2, Lg4, ... in w
    t1 = f.mul(w, f.poly(w, even[::-1]))
    t2 = f.mul(z, f.poly(w, odd[::-1]))
    r = f.add(t2, t1)
    hfsq = f.mul(f.mul(f.c(0.5), fm), fm)
    inner = f.fma(s, f.add(hfsq, r), f.mul(dk, f.c(k["ln2_lo"])))
    result = f.sub(f.mul(dk, f.c(k["ln2_hi"])), f.sub(f.sub(hfsq, inner), fm))
    result = f.sel(f.cmp("OEQ", x, f.c(np.inf)), x, result)
    result = f.sel(f.cmp("OEQ", x, f.c(0.0)), f.c(-np.inf), result)
    return f.sel(f.cmp("ULT", x, f.c(0.0)), f.c(np.nan), result)   # x < 0 or NaN


@expansion("log1p")
def log1p(f: Float, x):
    """log(u) * x / (u - 1) with u = 1 + x rounded (Goldberg): the rounding error of u
    cancels between numerator and denominator."""
    u = f.add(f.c(1.0), x)
    d = f.sub(u, f.c(1.0))
    result = f.mul(log(f, u), f.div(x, d))
    result = f.sel(f.cmp("OEQ", d, f.c(0.0)), x, result)
    return f.sel(f.cmp("OEQ", x, f.c(np.inf)), x, result)


# ---------------------------------------------------------------------------------------
# expm1, tanh


@expansion("expm1")
def expm1(f: Float, x):
    """Taylor series for |x| < 1 (no cancellation), exp(x) - 1 beyond."""
    degree = 20 if f.f64 else 12
    inv_fact = [1.0 / float(np.prod(np.arange(1, n + 1, dtype=np.float64))) for n in range(2, degree + 1)]
    tail = f.poly(x, inv_fact[::-1])               # 1/2! + x/3! + ... + x**(d-2)/d!
    small = f.fma(f.mul(x, x), tail, x)
    small = f.sel(f.cmp("OEQ", x, f.c(0.0)), x, small)   # keeps -0.0
    large = f.sub(exp(f, x), f.c(1.0))
    return f.sel(f.cmp("OLT", f.abs(x), f.c(1.0)), small, large)


@expansion("tanh")
def tanh(f: Float, x):
    """Cephes: an odd polynomial (f32) or rational (f64) for |x| < 0.625, else
    1 - 2 / (exp(2|x|) + 1), with the sign of x."""
    ax = f.abs(x)
    z = f.mul(ax, ax)
    if f.f64:
        p = f.poly(z, [-9.64399179425052238628e-1, -9.92877231001918586564e1,
                       -1.61468768441708447952e3])
        q = f.poly(z, [1.0, 1.12811678491632931402e2, 2.23548839060100448583e3,
                       4.84406305325125486048e3])
        small = f.fma(f.mul(ax, z), f.div(p, q), ax)
    else:
        p = f.poly(z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2,
                       1.33314422036e-1, -3.33332819422e-1])
        small = f.fma(f.mul(p, z), ax, ax)
    large = f.sub(f.c(1.0), f.div(f.c(2.0), f.add(exp(f, f.add(ax, ax)), f.c(1.0))))
    return f.copysign(f.sel(f.cmp("OLT", ax, f.c(0.625)), small, large), x)


# ---------------------------------------------------------------------------------------
# erf (XLA's approximations, so values match jax.jit)


@expansion("erf")
def erf(f: Float, x):
    """Cephes (the polynomials of XLA's Erfc): x T(x^2) for |x| < 1, else 1 - erfc(|x|)
    with the sign of x, erfc(x) = exp(-x^2) / x * P(1/x^2)."""
    if not f.f64:
        z = f.mul(x, x)
        inner = f.mul(x, f.poly(z, [7.853861353153693e-5, -8.010193625184903e-4, 5.188327685732524e-3,
                                    -2.685381193529856e-2, 1.128358514861418e-1, -3.761262582423300e-1,
                                    1.128379165726710e+0]))
        ax = f.abs(x)
        q = f.div(f.c(1.0), ax)
        y = f.mul(q, q)
        p = f.sel(f.cmp("OLT", ax, f.c(2.0)),
                  f.poly(y, [2.326819970068386e-2, -1.387039388740657e-1, 3.687424674597105e-1,
                             -5.824733027278666e-1, 6.210004621745983e-1, -4.944515323274145e-1,
                             3.404879937665872e-1, -2.741127028184656e-1, 5.638259427386472e-1]),
                  f.poly(y, [-1.047766399936249e+1, 1.297719955372516e+1, -7.495518717768503e+0,
                             2.921019019210786e+0, -1.015265279202700e+0, 4.218463358204948e-1,
                             -2.820767439740514e-1, 5.641895067754075e-1]))
        erfc = f.mul(f.mul(exp(f, f.neg(z)), q), p)
        outer = f.copysign(f.sub(f.c(1.0), erfc), x)
        return f.sel(f.cmp("OLT", ax, f.c(1.0)), inner, outer)
    # Cephes erf for |x| < 1, 1 - erfc(x) beyond.
    z = f.mul(x, x)
    t = f.poly(z, [9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
                   7.00332514112805075473e3, 5.55923013010394962768e4])
    u = f.poly(z, [1.0, 3.35617141647503099647e1, 5.21357949780152679795e2,
                   4.59432382970980127987e3, 2.26290000613890934246e4, 4.92673942608635921086e4])
    inner = f.div(f.mul(x, t), u)
    ax = f.abs(x)
    ez = exp(f, f.neg(z))
    pq = f.div(f.poly(ax, [2.46196981473530512524e-10, 5.64189564831068821977e-1,
                           7.46321056442269912687e0, 4.86371970985681366614e1,
                           1.96520832956077098242e2, 5.26445194995477358631e2,
                           9.34528527171957607540e2, 1.02755188689515710272e3,
                           5.57535335369399327526e2]),
               f.poly(ax, [1.0, 1.32281951154744992508e1, 8.67072140885989742329e1,
                           3.54937778887819891062e2, 9.75708501743205489753e2,
                           1.82390916687909736289e3, 2.24633760818710981792e3,
                           1.65666309194161350182e3, 5.57535340817727675546e2]))
    rs = f.div(f.poly(ax, [5.64189583547755073984e-1, 1.27536670759978104416e0,
                           5.01905042251180477414e0, 6.16021097993053585195e0,
                           7.40974269950448939160e0, 2.97886665372100240670e0]),
               f.poly(ax, [1.0, 2.26052863220117276590e0, 9.39603524938001434673e0,
                           1.20489539808096656605e1, 1.70814450747565897222e1,
                           9.60896809063285878198e0, 3.36907645100081516050e0]))
    erfc = f.mul(ez, f.sel(f.cmp("OLT", ax, f.c(8.0)), pq, rs))
    erfc = f.sel(f.cmp("OLT", f.neg(z), f.c(-7.09782712893383996843e2)), f.c(0.0), erfc)
    outer = f.copysign(f.sub(f.c(1.0), erfc), x)
    return f.sel(f.cmp("OLT", ax, f.c(1.0)), inner, outer)


# ---------------------------------------------------------------------------------------
# sin, cos (f32)
#
# x = k * pi/2 + r, |r| <= pi/4, then a Cephes polynomial for sin or cos of r picked by
# k mod 4. The reduction runs in f64 and is exact enough for every finite f32:
# - |x| < 2**24: Cody-Waite, k * (pi/2 in four 26-bit parts), each product exact;
# - |x| >= 2**24: x = m * 2**s with an integer m < 2**24 and 1 <= s <= 104, so
#   x * 2/pi = m * T (mod 4) with T = 2**s * 2/pi mod 4, cut from the bits of 2/pi
#   at position s - 1 (Payne-Hanek) in three parts so that m * T1 and m * T2 are exact.


def _machin_half_pi():
    """pi/2 as an exact fraction, good to ~400 bits (Machin's formula)."""

    def arctan_inv(m, terms):
        return sum(Fraction((-1) ** i, (2 * i + 1) * m ** (2 * i + 1)) for i in range(terms))
    return 2 * (4 * arctan_inv(5, 90) - arctan_inv(239, 30))


def _pio2_parts(n, bits):
    """pi/2 as n doubles of `bits` significant bits each (the last one full), so that
    k * part is exact for k < 2**(53 - bits)."""
    parts, rest = [], _machin_half_pi()
    for i in range(n):
        if i == n - 1:
            v = float(rest)
        else:
            e = int(np.floor(np.log2(float(rest))))
            scale = Fraction(2) ** (bits - 1 - e)
            v = float(Fraction(int(rest * scale)) / scale)
        parts.append(v)
        rest -= Fraction(v)
    return parts


def _two_over_pi_words(n=4):
    """The bits of 2/pi from its (zero) units bit on, bit j of weight 2**-j, as n 64-bit
    words."""
    two_over_pi = 1 / _machin_half_pi()
    bits = int(two_over_pi * 2 ** (64 * n - 1))
    return [(bits >> (64 * (n - 1 - k))) & (2 ** 64 - 1) for k in range(n)]


_PIO2 = _pio2_parts(4, 26)
_TWO_OVER_PI_WORDS = _two_over_pi_words()


def _two_over_pi_window(f: Float, pos, words):
    """Bits [pos, pos + 128) of 2/pi (bit j has weight 2**-j) as two i64 words, for an i64
    0 <= pos < 128: the three words holding them are picked with selects (no memory
    gathers, which are slow on current x86) and funnel-shifted by pos mod 64."""
    i64 = f.like(ir.IntegerType.get_signless(64))
    c = lambda v: _const(i64, v - (1 << 64) if v >= 1 << 63 else v)
    second = arith.cmpi(arith.CmpIPredicate.uge, pos, c(64))
    o = arith.andi(pos, c(63))
    w = [arith.select(second, c(words[k + 1]), c(words[k])) for k in range(3)]

    def funnel(hi, lo):   # (hi:lo) << o, top word; lo >> (64 - o) as two shifts: o = 0 is defined
        return arith.ori(arith.shli(hi, o), arith.shrui(arith.shrui(lo, c(1)), arith.subi(c(63), o)))
    return funnel(w[0], w[1]), funnel(w[1], w[2])


def _small_int_to_f64(f: Float, v):
    """An i64 below 2**52 as f64, exactly: or it into the mantissa of 2**52 and subtract
    (AVX2 has no vector i64 -> f64 conversion)."""
    i64, f64 = f.like(ir.IntegerType.get_signless(64)), f.like(ir.F64Type.get())
    magic = arith.bitcast(f64, arith.ori(v, _const(i64, 0x4330000000000000)))
    return arith.subf(magic, _const(f64, 2.0 ** 52))


def _reduce_f32(f: Float, ax):
    """(r, q) with ax = (4j + q) * pi/2 + r for f32 ax >= 0: r as f32, |r| <= pi/4, and
    q in {0, 1, 2, 3} as an i32."""
    f64, i32, i64 = (f.like(t) for t in (ir.F64Type.get(), ir.IntegerType.get_signless(32),
                                         ir.IntegerType.get_signless(64)))
    fd = Float(f64)
    c32 = lambda v: _const(i32, v)
    # |x| < 2**24: Cody-Waite.
    xd = arith.extf(f64, ax)
    k = fd.floor(fd.add(fd.mul(xd, fd.c(2 / np.pi)), fd.c(0.5)))
    r_small = xd
    for part in _PIO2:
        r_small = arith.subf(r_small, arith.mulf(k, fd.c(part)))   # plain: products exact
    # |x| >= 2**24: x = m * 2**s, 1 <= s <= 104, and x * 2/pi = m * T (mod 4) with
    # T = 2**s * 2/pi mod 4 = bits [s - 1, ...) of 2/pi (bit s - 1 has weight 2 in T),
    # taken as T1 (29 bits, to 2**-27),
    # T2 (27 bits, to 2**-54) and T3 (52 bits): m * T1 and m * T2 are exact.
    bits = arith.bitcast(i32, ax)
    s = arith.subi(arith.shrui(bits, c32(23)), c32(150))
    s = arith.minsi(arith.maxsi(s, c32(1)), c32(104))
    pos = arith.extsi(i64, arith.subi(s, c32(1)))
    m = arith.sitofp(f64, arith.ori(arith.andi(bits, c32(0x7FFFFF)), c32(0x800000)))
    hi, lo = _two_over_pi_window(f, pos, _TWO_OVER_PI_WORDS)
    c64 = lambda v: _const(i64, v)
    a = arith.shrui(hi, c64(35))                                     # bits 0..28
    b = arith.andi(arith.shrui(hi, c64(8)), c64((1 << 27) - 1))      # bits 29..55
    cc = arith.ori(arith.shli(arith.andi(hi, c64(0xFF)), c64(44)), arith.shrui(lo, c64(20)))  # 56..107
    t1 = arith.mulf(_small_int_to_f64(f, a), fd.c(2.0 ** -27))
    t2 = arith.mulf(_small_int_to_f64(f, b), fd.c(2.0 ** -54))
    t3 = arith.mulf(_small_int_to_f64(f, cc), fd.c(2.0 ** -106))
    p1 = arith.mulf(m, t1)
    p1 = arith.subf(p1, arith.mulf(fd.c(4.0), fd.floor(arith.mulf(p1, fd.c(0.25)))))
    p2, p3 = arith.mulf(m, t2), arith.mulf(m, t3)
    kb = fd.floor(arith.addf(arith.addf(p1, p2), fd.c(0.5)))
    frac = arith.addf(arith.addf(arith.subf(p1, kb), p2), p3)
    r_big = arith.mulf(frac, fd.c(np.pi / 2))
    big = f.cmp("OGE", ax, f.c(2.0 ** 24))
    r = fd.sel(big, r_big, r_small)
    k = fd.sel(big, kb, k)
    q = arith.subf(k, arith.mulf(fd.c(4.0), fd.floor(arith.mulf(k, fd.c(0.25)))))
    return arith.truncf(f.t, r), arith.fptosi(i32, q)


def _sin_poly(f, r, z):
    p = f.poly(z, [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1])
    return f.fma(f.mul(p, z), r, r)


def _cos_poly(f, z):
    p = f.poly(z, [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2])
    return f.add(f.sub(f.mul(f.mul(p, z), z), f.mul(f.c(0.5), z)), f.c(1.0))


def _sincos(f: Float, x, shift):
    """sin(x + shift * pi/2) for f32 x, from |x| (sin is odd, cos even)."""
    if f.f64:
        return None
    r, q = _reduce_f32(f, f.abs(x))
    i32 = f.like(ir.IntegerType.get_signless(32))
    q = arith.andi(arith.addi(q, _const(i32, shift)), _const(i32, 3))
    z = f.mul(r, r)
    s, c = _sin_poly(f, r, z), _cos_poly(f, z)
    use_cos = arith.cmpi(arith.CmpIPredicate.eq, arith.andi(q, _const(i32, 1)), _const(i32, 1))
    negate = arith.cmpi(arith.CmpIPredicate.uge, q, _const(i32, 2))
    if shift == 0:   # sin(-x) = -sin(x)
        negate = arith.xori(negate, f.cmp("OLT", x, f.c(0.0)))
    v = f.sel(use_cos, c, s)
    v = f.sel(negate, f.neg(v), v)
    v = f.sel(f.cmp("OEQ", x, f.c(0.0)), x if shift == 0 else f.c(1.0), v)   # sin(-0) = -0
    finite = f.cmp("OLT", f.abs(x), f.c(np.inf))
    return f.sel(finite, v, f.c(np.nan))


@expansion("sin")
def sin(f: Float, x):
    return _sincos(f, x, 0)


@expansion("cos")
def cos(f: Float, x):
    return _sincos(f, x, 1)


# ---------------------------------------------------------------------------------------
# The pass

# Vector widths of the variants an outlined function offers LLVM's loop vectorizer.
OUTLINE_WIDTHS = (4, 8, 16)

# An outlined function reads and writes no memory (LLVM cannot infer it for a weak_odr one).
_NO_MEMORY = ("#llvm.memory_effects<other = none, argMem = none, inaccessibleMem = none, "
              "errnoMem = none, targetMem0 = none, targetMem1 = none>")


def _type_name(t: ir.Type) -> str:
    return str(t.element_type) + "x" + "x".join(map(str, t.shape)) if isinstance(t, ir.VectorType) else str(t)


def _define(module_op, name, t, rule, passthrough):
    """`func.func @name(t) -> t` computing `rule`, weak_odr (kept until the loop vectorizer
    has run, and merged when modules link) and noinline."""
    with ir.InsertionPoint(module_op.regions[0].blocks[0]), ir.Location.unknown():
        fn = func.FuncOp(name, ir.FunctionType.get([t], [t]))
        fn.attributes["llvm.linkage"] = ir.Attribute.parse("#llvm.linkage<weak_odr>")
        fn.attributes["passthrough"] = ir.ArrayAttr.get(passthrough)
        fn.attributes["memory_effects"] = ir.Attribute.parse(_NO_MEMORY)
        block = fn.add_entry_block()
        with ir.InsertionPoint(block):
            func.ReturnOp([rule(Float(t), block.arguments[0])])
    return fn


def _outlined(module_op, defined, op_name, t):
    """The name of the function computing `op_name` on scalar type `t`, defined on first
    use with its vector variants (`mlax_sin_f32` and `mlax_sin_f32x4`, ...), which the
    scalar one names in LLVM's vector-function-abi-variant attribute."""
    name = f"mlax_{op_name.removeprefix('math.')}_{_type_name(t)}"
    if name not in defined:
        rule = EXPANSIONS[op_name]
        strings = [ir.StringAttr.get(a) for a in ("noinline", "nounwind", "willreturn")]
        variants = []
        for n in OUTLINE_WIDTHS:
            vt = ir.VectorType.get([n], t)
            vname = f"{name}x{n}"
            _define(module_op, vname, vt, rule, strings)
            variants.append(f"_ZGV_LLVM_N{n}v_{name}({vname})")
        mapping = ir.ArrayAttr.get([ir.StringAttr.get("vector-function-abi-variant"),
                                    ir.StringAttr.get(",".join(variants))])
        _define(module_op, name, t, rule, strings + [mapping])
        defined.add(name)
    return name


def expand_math(module_op, outline=0):
    """Replace every scalar float op of `EXPANSIONS` with its expansion: inline, or as a call
    to one function per op and type for an (op, type) used at least `outline` times (0:
    never)."""
    pending = []

    def collect(op):
        if op.name in EXPANSIONS and len(op.results) == 1 and "mlax.libm" not in op.attributes:
            t = op.results[0].type
            if isinstance(t, (ir.F16Type, ir.BF16Type, ir.F32Type, ir.F64Type)):
                pending.append(op)
        return ir.WalkResult.ADVANCE

    module_op.walk(collect)

    def computed_in(t):
        return ir.F32Type.get() if isinstance(t, (ir.F16Type, ir.BF16Type)) else t
    uses = {}
    for op in pending:
        key = (op.name, computed_in(op.results[0].type))
        uses[key] = uses.get(key, 0) + 1
    defined, declined = set(), {}
    for op in pending:
        t = op.results[0].type
        wide = computed_in(t)
        called = 0 < outline <= uses[op.name, wide]
        # Rules that decline a type (f64 sin) are asked before anything is built.
        if called:
            if (op.name, wide) not in declined:
                declined[op.name, wide] = _declines(op.name, wide)
            if declined[op.name, wide]:
                continue
        with ir.InsertionPoint(op), op.location:
            x = arith.extf(wide, op.operands[0]) if wide != t else op.operands[0]
            if called:
                callee = _outlined(module_op, defined, op.name, wide)
                new = func.CallOp([wide], ir.FlatSymbolRefAttr.get(callee), [x]).result
            else:
                new = EXPANSIONS[op.name](Float(wide), x)
                if new is None:
                    continue
            new = arith.truncf(t, new) if wide != t else new
        op.results[0].replace_all_uses_with(new)
        op.erase()


def _declines(op_name, t) -> bool:
    """Whether the rule of `op_name` leaves type `t` alone (tried in a scratch module)."""
    with ir.Location.unknown():
        scratch = ir.Module.create()
        with ir.InsertionPoint(scratch.body):
            fn = func.FuncOp("probe", ir.FunctionType.get([t], []))
            block = fn.add_entry_block()
        with ir.InsertionPoint(block):
            return EXPANSIONS[op_name](Float(t), block.arguments[0]) is None


@register
class ExpandMathPass(ModulePass):
    """Expand exp, log, log1p, expm1, tanh, erf, sin, cos into vectorizable polynomials."""
    name = "mlax-expand-math"
    outline: int = option(0, "an (op, element type) used at least this many times is computed "
                             "in one function with vector variants for LLVM's loop vectorizer, "
                             "called where the op was (0: never)")

    def run(self, module_op):
        expand_math(module_op, self.outline)
