"""`--mlax-lower-to-linalg`: mlax ops -> linalg / tensor / arith / math on tensors.

`LOWERINGS` maps an op name to its rule:

    rule(op: Op) -> list[ir.Value]

where `Op` gives the original operand/result `TensorSpec`s (`op.in_specs`,
`op.out_specs`; unsigned dtypes intact), the already-lowered operand values
(`op.operands`), and the attributes as Python values (`op.attrs`). Rules run with the
insertion point and location of the op they replace. Lowered values are signless
(`ui32` becomes `i32`); rules pick signed or unsigned arith ops from the specs.

Elementwise ops lower to one `linalg.generic` each, so that upstream
`linalg-fuse-elementwise-ops` fuses chains of them into one loop nest; their scalar
bodies come from `SCALAR` (op name -> fn(dtype, *scalars)). Special functions (erf_inv,
lgamma, digamma, nextafter) use XLA's algorithms, so values match jax.jit.

The other families:
- slicing: dynamic_slice / dynamic_update_slice are tensor.extract_slice / insert_slice
  at start indices clamped to [0, dim - size]; pad is fill + strided insert_slice + crop.
- gather: a linalg.generic over the result reading operand elements with tensor.extract;
  scatter: an scf.for nest over the updates, read-combine-write with tensor.insert.
- cumulative ops: scalar scf.for loops along the innermost dim, else an scf.for over
  slabs whose step is a vectorizable linalg.generic.
- sort / top_k: a stable bottom-up merge sort of each row with scf.for loops.
- threefry2x32: one linalg.generic with two results (jax's 20-round schedule).

Ops that update a tensor in place (the last four families) rely on one-shot
bufferization to copy where needed; the pass marks every tensor argument
`bufferization.writable = false`, since arguments are the caller's immutable arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import arith, bufferization, func, linalg, math, scf, tensor

from mlax.dialects import OPS, op_attrs, signless, spec_of_type, element_type
from mlax.dialects.types import TensorSpec
from mlax.passes import ModulePass, register

LOWERINGS = {}
SCALAR = {}


class LoweringError(Exception):
    pass


class Op:
    """An mlax op being lowered, with its types as they were before lowering began."""

    def __init__(self, op, in_specs, out_specs):
        self.op = op
        self.name = op.name
        self.in_specs = in_specs
        self.out_specs = out_specs
        self.attrs = op_attrs(op)

    @property
    def operands(self):
        return list(self.op.operands)

    @property
    def in_dtypes(self):
        return [s.dtype for s in self.in_specs]


# ---------------------------------------------------------------------------------------
# Small builders

def el(dtype) -> ir.Type:
    """The storage element type: signless, and i8 for bool (LLVM stores bytes)."""
    if np.dtype(dtype) == np.bool_:
        return ir.IntegerType.get_signless(8)
    return signless(element_type(dtype))


def scalar_type(dtype) -> ir.Type:
    """The element type inside a linalg body: i1 for bool."""
    return signless(element_type(dtype))


def storage_type(t: ir.Type) -> ir.Type:
    """Tensor/element type `t` of the mlax IR as stored after lowering."""
    if isinstance(t, ir.RankedTensorType):
        return ir.RankedTensorType.get(t.shape, storage_type(t.element_type))
    if isinstance(t, ir.IntegerType) and t.width == 1:
        return ir.IntegerType.get_signless(8)
    return signless(t)


def ttype(spec: TensorSpec) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(spec.shape), el(spec.dtype))


def is_float(dtype):
    return np.dtype(dtype).kind == "f"


def is_unsigned(dtype):
    return np.dtype(dtype).kind == "u"


def is_bool(dtype):
    return np.dtype(dtype) == np.bool_


def scalar_const(dtype, value, storage=False) -> ir.Value:
    t = el(dtype) if storage else scalar_type(dtype)
    if is_float(dtype):
        return arith.constant(t, float(value))
    if is_bool(dtype):
        return arith.constant(t, int(bool(value)))
    v = int(value)
    width = np.dtype(dtype).itemsize * 8
    if v >= 2 ** (width - 1):   # unsigned values above the signed range wrap
        v -= 2 ** width
    return arith.constant(t, v)


def empty(spec: TensorSpec) -> ir.Value:
    return tensor.EmptyOp(list(spec.shape), el(spec.dtype)).result


def filled(spec: TensorSpec, value) -> ir.Value:
    return linalg.fill(scalar_const(spec.dtype, value, storage=True), outs=[empty(spec)])


def amap(ndims, exprs) -> ir.AffineMap:
    return ir.AffineMap.get(ndims, 0, [e if isinstance(e, ir.AffineExpr) else
                                       (ir.AffineDimExpr.get(e) if e >= 0 else ir.AffineConstantExpr.get(0))
                                       for e in exprs])


def identity(n) -> ir.AffineMap:
    return ir.AffineMap.get_identity(n)


def generic(out_specs, inputs, in_dtypes, input_maps, output_maps, iterators, body, inits=None):
    """A linalg.generic; body(*input_scalars, *output_scalars) -> list of yielded scalars.

    Bool elements are stored as i8 and seen by `body` as i1."""
    inits = inits if inits is not None else [empty(s) for s in out_specs]
    maps = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in list(input_maps) + list(output_maps)])
    its = ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{k}>") for k in iterators])
    op = linalg.GenericOp([ttype(s) for s in out_specs], list(inputs), list(inits), maps, its)
    arg_types = [ir.RankedTensorType(v.type).element_type for v in list(inputs) + list(inits)]
    block = op.regions[0].blocks.append(*arg_types)
    dtypes = list(in_dtypes) + [s.dtype for s in out_specs]
    i1 = ir.IntegerType.get_signless(1)
    with ir.InsertionPoint(block):
        args = [arith.trunci(i1, a) if is_bool(d) else a for a, d in zip(block.arguments, dtypes)]
        ys = list(body(*args))
        ys = [arith.extui(el(s.dtype), y) if is_bool(s.dtype) else y for y, s in zip(ys, out_specs)]
        linalg.YieldOp(ys)
    return list(op.results)


def elementwise(out_spec, inputs, in_dtypes, body):
    n = len(out_spec.shape)
    return generic([out_spec], inputs, in_dtypes, [identity(n)] * len(inputs), [identity(n)],
                   ["parallel"] * n, lambda *a: [body(*a[:len(inputs)])])[0]


# ---------------------------------------------------------------------------------------
# Elementwise rules


def def_elementwise(name, scalar):
    """Register `mlax.<name>` as elementwise with scalar body scalar(dtype, *xs)."""
    SCALAR[f"mlax.{name}"] = scalar

    def rule(op):
        dtype = op.in_specs[-1].dtype if op.in_specs else op.out_specs[0].dtype
        return [elementwise(op.out_specs[0], op.operands, op.in_dtypes,
                            lambda *xs: scalar(dtype, *xs, **op.attrs))]
    LOWERINGS[f"mlax.{name}"] = rule


def _fi(f_op, i_op, u_op=None):
    """Pick the float, signed-int or unsigned-int arith op by dtype."""
    def scalar(dtype, *xs):
        if is_float(dtype):
            return f_op(*xs)
        if is_unsigned(dtype) or is_bool(dtype):
            return (u_op or i_op)(*xs)
        return i_op(*xs)
    return scalar


def _float_only(name, f):
    def scalar(dtype, *xs):
        if not is_float(dtype):
            raise LoweringError(f"mlax.{name} needs floating-point operands, got {np.dtype(dtype).name}")
        return f(*xs)
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


def _max(dtype, x, y):
    if is_float(dtype):
        return arith.maximumf(x, y)   # NaN-propagating, like lax.max
    return arith.maxui(x, y) if is_unsigned(dtype) or is_bool(dtype) else arith.maxsi(x, y)


def _min(dtype, x, y):
    if is_float(dtype):
        return arith.minimumf(x, y)
    return arith.minui(x, y) if is_unsigned(dtype) or is_bool(dtype) else arith.minsi(x, y)


def _integer_pow(dtype, x, y):
    """x**y by repeated squaring, unrolled for the static exponent y."""
    n = abs(int(y))
    one = scalar_const(dtype, 1)
    mul = arith.mulf if is_float(dtype) else arith.muli
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
            raise LoweringError(f"integers cannot be raised to negative powers, got "
                                f"integer_pow({np.dtype(dtype).name}, {y})")
        acc = arith.divf(one, acc)
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


def _int_type_of(dtype):
    return ir.IntegerType.get_signless(np.dtype(dtype).itemsize * 8)


def _nextafter(dtype, x, y):
    """The next float after x towards y, on the bits (XLA's NextAfter)."""
    if not is_float(dtype):
        raise LoweringError(f"mlax.nextafter needs floating-point operands, got {np.dtype(dtype).name}")
    it = _int_type_of(dtype)
    bits = np.dtype(dtype).itemsize * 8
    ic = lambda v: arith.constant(it, _wrap(v, np.dtype(f"i{bits // 8}")))
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


# Special functions follow XLA's client library (xla/hlo/builder/lib/math.cc), so that
# mlax's values match jax.jit's: Giles' erfinv, Lanczos lgamma and digamma. They use
# math.log1p/log/sin/cos/sqrt, which `--mlax-expand-math` turns into vectorizable
# polynomials.

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


def _erf_inv(dtype, x):
    c, lt = _fops(dtype)
    w = arith.negf(math.log1p(arith.negf(arith.mulf(x, x))))
    if np.dtype(dtype) == np.float32:
        small, large = _ERF_INV_F32
        lt5 = lt(w, c(5.0))
        coef = lambda i: arith.select(lt5, c(small[i]), c(large[i]))
        w = arith.select(lt5, arith.subf(w, c(2.5)), arith.subf(math.sqrt(w), c(3.0)))
        p = coef(0)
        for i in range(1, 9):
            p = arith.addf(coef(i), arith.mulf(p, w))
    else:
        a, b, d = _ERF_INV_F64
        lt6, lt16 = lt(w, c(6.25)), lt(w, c(16.0))

        def coef(i):
            v = c(a[i])
            if i < 19:
                v = arith.select(lt6, v, c(b[i]))
            if i < 17:
                v = arith.select(lt16, v, c(d[i]))
            return v
        w = arith.select(lt6, arith.subf(w, c(3.125)),
                         arith.subf(math.sqrt(w), arith.select(lt16, c(3.25), c(5.0))))
        p = coef(0)
        for i in range(1, 17):
            p = arith.addf(coef(i), arith.mulf(p, w))
        for i in range(17, 19):
            p = arith.select(lt16, arith.addf(coef(i), arith.mulf(p, w)), p)
        for i in range(19, 23):
            p = arith.select(lt6, arith.addf(coef(i), arith.mulf(p, w)), p)
    result = arith.mulf(p, x)
    at_one = arith.cmpf(arith.CmpFPredicate.OEQ, math.absf(x), c(1.0))
    return arith.select(at_one, arith.mulf(x, c(np.inf)), result)


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
            raise LoweringError(f"mlax.{name} needs floating-point operands, got {np.dtype(dtype).name}")
        if np.dtype(dtype).itemsize < 4:
            f32 = ir.F32Type.get()
            y = f(np.dtype(np.float32), *[arith.extf(f32, x) for x in xs])
            return arith.truncf(el(dtype), y)
        return f(dtype, *xs)
    return scalar


def _copy(dtype, x):
    return x


_CMP_F = {"eq": "OEQ", "ne": "UNE", "lt": "OLT", "le": "OLE", "gt": "OGT", "ge": "OGE"}
_CMP_S = {"eq": "eq", "ne": "ne", "lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge"}
_CMP_U = {"eq": "eq", "ne": "ne", "lt": "ult", "le": "ule", "gt": "ugt", "ge": "uge"}


def _compare(kind):
    def scalar(dtype, x, y):
        if is_float(dtype):
            return arith.cmpf(getattr(arith.CmpFPredicate, _CMP_F[kind]), x, y)
        table = _CMP_U if (is_unsigned(dtype) or is_bool(dtype)) else _CMP_S
        return arith.cmpi(getattr(arith.CmpIPredicate, table[kind]), x, y)
    return scalar


for _name, _scalar in {
    "neg": _neg, "abs": _abs, "sign": _sign, "logistic": _logistic,
    "exp": _float_only("exp", math.exp), "exp2": _float_only("exp2", math.exp2),
    "log": _float_only("log", math.log), "log1p": _float_only("log1p", math.log1p),
    "expm1": _float_only("expm1", math.expm1), "tanh": _float_only("tanh", math.tanh),
    "sin": _float_only("sin", math.sin), "cos": _float_only("cos", math.cos),
    "tan": _float_only("tan", math.tan), "asin": _float_only("asin", math.asin),
    "acos": _float_only("acos", math.acos), "atan": _float_only("atan", math.atan),
    "sinh": _float_only("sinh", math.sinh), "cosh": _float_only("cosh", math.cosh),
    "asinh": _float_only("asinh", math.asinh), "acosh": _float_only("acosh", math.acosh),
    "atanh": _float_only("atanh", math.atanh), "sqrt": _float_only("sqrt", math.sqrt),
    "rsqrt": _float_only("rsqrt", math.rsqrt), "cbrt": _float_only("cbrt", math.cbrt),
    "floor": _float_only("floor", math.floor), "ceil": _float_only("ceil", math.ceil),
    "round": _round, "erf": _float_only("erf", math.erf), "erfc": _float_only("erfc", math.erfc),
    "is_finite": _is_finite, "not": _not, "stop_gradient": _copy, "copy": _copy,
    "population_count": lambda dtype, x: math.ctpop(x),
    "add": _fi(arith.addf, arith.addi), "sub": _fi(arith.subf, arith.subi),
    "mul": _fi(arith.mulf, arith.muli), "div": _div, "rem": _rem, "pow": _float_only("pow", math.powf),
    "max": _max, "min": _min, "atan2": _float_only("atan2", math.atan2),
    "and": lambda dtype, x, y: arith.andi(x, y), "or": lambda dtype, x, y: arith.ori(x, y),
    "xor": lambda dtype, x, y: arith.xori(x, y),
    "shift_left": _shift_left, "shift_right_logical": _shift_right_logical,
    "shift_right_arithmetic": _shift_right_arithmetic,
    "integer_pow": _integer_pow, "nextafter": _nextafter,
    "erf_inv": _special("erf_inv", _erf_inv), "lgamma": _special("lgamma", _lgamma),
    "digamma": _special("digamma", _digamma),
}.items():
    def_elementwise(_name, _scalar)

for _k in _CMP_F:
    def_elementwise(_k, _compare(_k))


def _select_rule(op):
    return [elementwise(op.out_specs[0], op.operands, op.in_dtypes, lambda p, t, f: arith.select(p, t, f))]


def _clamp_rule(op):
    dtype = op.out_specs[0].dtype
    return [elementwise(op.out_specs[0], op.operands, op.in_dtypes,
                        lambda lo, x, hi: _min(dtype, _max(dtype, x, lo), hi))]


LOWERINGS["mlax.select"] = _select_rule
LOWERINGS["mlax.clamp"] = _clamp_rule


def convert_scalar(x, src, dst):
    """Convert scalar x from dtype src to dtype dst with JAX's semantics."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    ts, td = el(src), el(dst)
    if is_bool(dst):
        zero = scalar_const(src, 0)
        if is_float(src):
            return arith.cmpf(arith.CmpFPredicate.UNE, x, zero)
        return arith.cmpi(arith.CmpIPredicate.ne, x, zero)
    if is_bool(src) and not is_float(dst):
        return arith.extui(td, x)
    if is_float(src) and is_float(dst):
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


LOWERINGS["mlax.convert_element_type"] = _convert_rule
LOWERINGS["mlax.bitcast_convert_type"] = _bitcast_rule


# ---------------------------------------------------------------------------------------
# Shape ops


def _iota_rule(op):
    out = op.out_specs[0]
    n = len(out.shape)
    dim = op.attrs["dimension"]

    def body(_):
        i = linalg.IndexOp(dim).result
        if is_float(out.dtype):
            return [arith.sitofp(el(out.dtype), arith.index_cast(ir.IntegerType.get_signless(64), i))]
        return [arith.index_cast(el(out.dtype), i)]
    return generic([out], [], [], [], [identity(n)], ["parallel"] * n, body)


def _broadcast_rule(op):
    """A generic reading x with a projected-permutation map: the size-1 dims that broadcast
    are first collapsed away (a view), so that reshapes propagate through the generic
    (elementwise fusion folds an expand_shape of its result into its loops only when
    every map is a projected permutation; a map to constant 0 blocks that)."""
    out, x = op.out_specs[0], op.in_specs[0]
    n = len(out.shape)
    v = op.operands[0]
    dims = op.attrs["broadcast_dimensions"]
    kept = [i for i, d in enumerate(dims) if not (x.shape[i] == 1 and out.shape[d] != 1)]
    if len(kept) < len(x.shape):
        # Each kept dim's group takes the dropped unit dims before it (the last group
        # also those after it).
        groups, pending = [], []
        for i in range(len(x.shape)):
            pending.append(i)
            if i in kept:
                groups.append(pending)
                pending = []
        if groups:
            groups[-1] += pending
        v = tensor.CollapseShapeOp(ttype(TensorSpec(tuple(x.shape[i] for i in kept), x.dtype)),
                                   v, _reassoc_attr(groups)).result
    return generic([out], [v], op.in_dtypes, [amap(n, [dims[i] for i in kept])], [identity(n)],
                   ["parallel"] * n, lambda a, _: [a])


def _reassoc_attr(groups):
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(ir.IntegerType.get_signless(64), i)
                                               for i in g]) for g in groups])


def _reshape_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    v = op.operands[0]
    if x.shape == out.shape:
        return [v]
    # Collapse to 1-d (or 0-d) and expand to the result: both are views after bufferization.
    flat = TensorSpec((int(np.prod(x.shape, dtype=np.int64)),), x.dtype)
    if len(x.shape) != 1:
        groups = [list(range(len(x.shape)))] if x.shape else []
        v = tensor.CollapseShapeOp(ttype(flat if x.shape else TensorSpec((), x.dtype)), v,
                                   _reassoc_attr(groups)).result if x.shape else \
            tensor.ExpandShapeOp(ttype(flat), v, _reassoc_attr([]), [],
                                 ir.DenseI64ArrayAttr.get([1])).result
    if len(out.shape) == 1:
        return [v]
    if not out.shape:
        return [tensor.CollapseShapeOp(ttype(out), v, _reassoc_attr([])).result]
    return [tensor.ExpandShapeOp(ttype(out), v, _reassoc_attr([list(range(len(out.shape)))]), [],
                                 ir.DenseI64ArrayAttr.get(list(out.shape))).result]


def _transpose_rule(op):
    out = op.out_specs[0]
    perm = op.attrs["permutation"]
    n = len(perm)
    inv = [0] * n
    for i, p in enumerate(perm):
        inv[p] = i
    return generic([out], op.operands, op.in_dtypes, [amap(n, [inv[j] for j in range(n)])],
                   [identity(n)], ["parallel"] * n, lambda a, _: [a])


def _slice_rule(op):
    out = op.out_specs[0]
    a = op.attrs
    if 0 in out.shape:   # no data; extract_slice's verifier rejects its start at the end
        return [empty(out)]
    return [tensor.ExtractSliceOp(ttype(out), op.operands[0], [], [], [],
                                  ir.DenseI64ArrayAttr.get(list(a["start_indices"])),
                                  ir.DenseI64ArrayAttr.get(list(out.shape)),
                                  ir.DenseI64ArrayAttr.get(list(a["strides"]))).result]


def _concatenate_rule(op):
    out = op.out_specs[0]
    d = op.attrs["dimension"]
    lhs, rhs = op.operands
    # A zero-size operand adds nothing (and insert_slice's verifier rejects a start at
    # the end of the result).
    if 0 in op.in_specs[1].shape or 0 in out.shape:
        return [lhs] if op.in_specs[0] == out else [empty(out)]
    if 0 in op.in_specs[0].shape:
        return [rhs]
    res = insert_slice(lhs, empty(out), [0] * len(out.shape))
    offs = [0] * len(out.shape)
    offs[d] = op.in_specs[0].shape[d]
    return [insert_slice(rhs, res, offs)]


LOWERINGS.update({
    "mlax.iota": _iota_rule, "mlax.broadcast_in_dim": _broadcast_rule,
    "mlax.reshape": _reshape_rule, "mlax.transpose": _transpose_rule,
    "mlax.slice": _slice_rule, "mlax.concatenate": _concatenate_rule,
})


# ---------------------------------------------------------------------------------------
# Reductions and contractions

_REDUCERS = {
    # name -> (identity(dtype), combine(dtype, acc, x))
    "mlax.reduce_sum": (lambda dt: 0, lambda dt, a, x: _fi(arith.addf, arith.addi)(dt, a, x)),
    "mlax.reduce_prod": (lambda dt: 1, lambda dt, a, x: _fi(arith.mulf, arith.muli)(dt, a, x)),
    "mlax.reduce_max": (lambda dt: _lowest(dt), lambda dt, a, x: _max(dt, a, x)),
    "mlax.reduce_min": (lambda dt: _highest(dt), lambda dt, a, x: _min(dt, a, x)),
    "mlax.reduce_and": (lambda dt: 1 if is_bool(dt) else -1, lambda dt, a, x: arith.andi(a, x)),
    "mlax.reduce_or": (lambda dt: 0, lambda dt, a, x: arith.ori(a, x)),
}


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if is_float(dtype):
        return -np.inf
    if is_bool(dtype):
        return 0
    return np.iinfo(dtype).min


def _highest(dtype):
    dtype = np.dtype(dtype)
    if is_float(dtype):
        return np.inf
    if is_bool(dtype):
        return 1
    return np.iinfo(dtype).max


def reduce(name, v, x: TensorSpec, axes):
    """One linalg.generic reducing `v` (of spec `x`) over `axes` with reducer `name`."""
    axes = set(axes)
    ident, combine = _REDUCERS[name]
    n = len(x.shape)
    out = TensorSpec(tuple(s for i, s in enumerate(x.shape) if i not in axes), x.dtype)
    init = filled(out, ident(x.dtype))
    out_map = amap(n, [i for i in range(n) if i not in axes])
    its = ["reduction" if i in axes else "parallel" for i in range(n)]
    return generic([out], [v], [x.dtype], [identity(n)], [out_map], its,
                   lambda a, acc: [combine(x.dtype, acc, a)], inits=[init])[0]


def _reduce_rule(op):
    x = op.in_specs[0]
    if op.name == "mlax.reduce_sum" and is_float(x.dtype):
        return [sum_in_blocks(op.operands[0], x, op.attrs["axes"])]
    return [reduce(op.name, op.operands[0], x, op.attrs["axes"])]


for _n in _REDUCERS:
    LOWERINGS[_n] = _reduce_rule


# Float sums in levels. A sum that adds its elements one after another loses accuracy as
# it grows (2**25 copies of 0.1f came out 1% off; the mean of 1e7 values near 1000 was
# off enough to make their var several times too large). NumPy sums pairwise and XLA in a tree; here a long
# reduced dim is split into blocks: one generic sums each block (its outer dim is
# parallel), the next level sums the blocks' sums, and so on. The error grows with the
# block size and the number of levels, not with the length. The splits are reshapes of
# the reduced operand, which elementwise fusion folds into the producer's loops, so a
# fused producer (sum(x * x)) is still computed in the same loop as its sum.


@dataclass(frozen=True)
class SumBlocks:
    block: int          # block size, when no divisor of the dim fits between
    smallest: int       # these sizes (the nearest to `block` is used then)
    largest: int
    sequential: int     # sums of up to this many elements stay one generic
    multiple: int       # prefer divisors that are multiples of this


# A contiguous reduced dim is summed by several interleaved accumulators (vector lanes)
# within each block, so its blocks can be longer, and a multiple of the lanes leaves no
# remainder loop; along a strided dim each output element sums its block in sequence.
SUM_CONTIGUOUS = SumBlocks(block=2048, smallest=512, largest=8192, sequential=8192, multiple=64)
SUM_STRIDED = SumBlocks(block=256, smallest=64, largest=1024, sequential=1024, multiple=1)


def _extent(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _drop(x: TensorSpec, axis, size=None):
    """x's spec without dim `axis`, or with it resized to `size`."""
    shape = list(x.shape)
    if size is None:
        del shape[axis]
    else:
        shape[axis] = size
    return TensorSpec(tuple(shape), x.dtype)


def _block_size(n, p: SumBlocks):
    """The block size for a reduced dim of size n: a divisor of n between p.smallest and
    p.largest if there is one (a multiple of p.multiple if possible, then the nearest to
    p.block), else p.block (and the elements after the last whole block are summed
    apart)."""
    divisors = [b for b in range(p.smallest, min(p.largest, n) + 1) if n % b == 0]
    return min(divisors, default=p.block,
               key=lambda b: (b % p.multiple != 0, abs(np.log2(b / p.block))))


def _elementwise_producer(v):
    """(op, input maps) of the linalg.generic defining `v` if it is elementwise and `v`
    has no other use: all loops parallel, one result indexed by the identity, its initial
    value unread, no linalg.index and no nested regions in its body. Else None."""
    owner = v.owner
    if isinstance(owner, ir.Block):
        return None
    op = owner.operation
    if op.name != "linalg.generic" or len(op.results) != 1:
        return None
    if any(u.owner != next(iter(v.uses)).owner for u in v.uses):   # x * x: one user
        return None
    if any("parallel" not in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])):
        return None
    maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    n_in = len(op.operands) - 1
    if maps[-1] != identity(maps[-1].n_dims):
        return None
    block = op.regions[0].blocks[0]
    if list(block.arguments[n_in].uses):
        return None
    if any(o.name == "linalg.index" or len(o.regions) for o in block.operations):
        return None
    return op, maps[:n_in]


def slice_of(v, offsets, sizes, done=None):
    """v[offsets : offsets + sizes] (static). When v comes from an elementwise producer
    tree (single users), the tree is recomputed on slices of its inputs instead: slicing
    a producer's result would keep elementwise fusion from fusing the producer into the
    slice's consumer, and the producer would be computed whole into a buffer.
    `done` maps (value, offsets, sizes) already sliced to their slices."""
    shape = list(ir.RankedTensorType(v.type).shape)
    if list(offsets) == [0] * len(shape) and list(sizes) == shape:
        return v
    done = {} if done is None else done
    key = (v, tuple(offsets), tuple(sizes))
    if key in done:
        return done[key]
    producer = _elementwise_producer(v)
    if producer is None:
        done[key] = extract_slice(v, offsets, sizes)
        return done[key]
    op, in_maps = producer
    inputs = []
    for u, m in zip(list(op.operands)[:-1], in_maps):
        u_shape = ir.RankedTensorType(u.type).shape
        u_offsets, u_sizes = [], []
        for k, e in enumerate(m.results):
            if isinstance(e, ir.AffineDimExpr):
                d = e.position
                u_offsets.append(offsets[d])
                u_sizes.append(sizes[d])
            else:   # a broadcast unit dim
                u_offsets.append(0)
                u_sizes.append(u_shape[k])
        inputs.append(slice_of(u, u_offsets, u_sizes, done))
    et = ir.RankedTensorType(v.type).element_type
    init = tensor.EmptyOp(list(sizes), et).result
    new = op.clone()
    for i, u in enumerate(inputs + [init]):
        new.operands[i] = u
    new.results[0].set_type(ir.RankedTensorType.get(list(sizes), et))
    done[key] = new.results[0]
    return done[key]


def _merge_reduced_runs(v, x: TensorSpec, axes):
    """Collapse each run of adjacent reduced dims into one dim (a view)."""
    groups, reduced = [], []
    for d in range(len(x.shape)):
        if d in axes and groups and reduced[-1] and groups[-1][-1] == d - 1:
            groups[-1].append(d)
        else:
            groups.append([d])
            reduced.append(d in axes)
    if len(groups) == len(x.shape):
        return v, x, sorted(axes)
    spec = TensorSpec(tuple(_extent(x.shape, g) for g in groups), x.dtype)
    v = tensor.CollapseShapeOp(ttype(spec), v, _reassoc_attr(groups)).result
    return v, spec, [i for i, r in enumerate(reduced) if r]


def sum_in_blocks(v, x: TensorSpec, axes):
    """reduce_sum of float `v` (spec `x`) over `axes`, in levels of short sums."""
    axes = sorted(axes)
    if _extent(x.shape, axes) <= SUM_STRIDED.sequential:
        return reduce("mlax.reduce_sum", v, x, axes)
    v, x, axes = _merge_reduced_runs(v, x, axes)
    r = axes[-1]
    p = SUM_CONTIGUOUS if all(s == 1 for s in x.shape[r + 1:]) else SUM_STRIDED
    if _extent(x.shape, axes) <= p.sequential:
        return reduce("mlax.reduce_sum", v, x, axes)
    n = x.shape[r]
    if n <= p.sequential:
        # The innermost run is short but others are left: sum it first, then the rest.
        return sum_in_blocks(reduce("mlax.reduce_sum", v, x, [r]), _drop(x, r), axes[:-1])
    b = _block_size(n, p)
    m = n // b * b
    head = x if m == n else _drop(x, r, m)
    blocks = TensorSpec(x.shape[:r] + (m // b, b) + x.shape[r + 1:], x.dtype)
    groups = [[d] for d in range(r)] + [[r, r + 1]] + [[d + 1] for d in range(r + 1, len(x.shape))]
    offsets = [0] * len(x.shape)
    w = tensor.ExpandShapeOp(ttype(blocks), slice_of(v, offsets, head.shape), _reassoc_attr(groups),
                             [], ir.DenseI64ArrayAttr.get(list(blocks.shape))).result
    partial = reduce("mlax.reduce_sum", w, blocks, [r + 1])
    total = sum_in_blocks(partial, _drop(x, r, m // b), axes)
    if m == n:
        return total
    # The elements after the last whole block, summed apart.
    tail = _drop(x, r, n - m)
    offsets[r] = m
    rest = sum_in_blocks(slice_of(v, offsets, tail.shape), tail, axes)
    out = TensorSpec(tuple(s for i, s in enumerate(x.shape) if i not in axes), x.dtype)
    return elementwise(out, [total, rest], [x.dtype] * 2, arith.addf)


def _argreduce_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    axis = op.attrs["axis"]
    n = len(x.shape)
    is_max = op.name == "mlax.argmax"
    val_spec = TensorSpec(out.shape, x.dtype)
    vinit = filled(val_spec, _lowest(x.dtype) if is_max else _highest(x.dtype))
    iinit = filled(out, 0)
    out_map = amap(n, [i for i in range(n) if i != axis])
    its = ["reduction" if i == axis else "parallel" for i in range(n)]

    def body(a, best, best_i):
        i = arith.index_cast(el(out.dtype), linalg.IndexOp(axis).result)
        if is_float(x.dtype):
            pred = arith.CmpFPredicate.OGT if is_max else arith.CmpFPredicate.OLT
            better = arith.cmpf(pred, a, best)
            # NaN wins (first NaN), as in NumPy and JAX.
            a_nan = arith.cmpf(arith.CmpFPredicate.UNO, a, a)
            b_nan = arith.cmpf(arith.CmpFPredicate.UNO, best, best)
            better = arith.ori(arith.andi(better, arith.xori(b_nan, scalar_const(np.bool_, 1))),
                               arith.andi(a_nan, arith.xori(b_nan, scalar_const(np.bool_, 1))))
        else:
            table = _CMP_U if (is_unsigned(x.dtype) or is_bool(x.dtype)) else _CMP_S
            better = arith.cmpi(getattr(arith.CmpIPredicate, table["gt" if is_max else "lt"]), a, best)
        # the first element always initializes (handles all -inf / +inf inputs)
        first = arith.cmpi(arith.CmpIPredicate.eq, linalg.IndexOp(axis).result,
                           arith.constant(ir.IndexType.get(), 0))
        take = arith.ori(better, first)
        return [arith.select(take, a, best), arith.select(take, i, best_i)]

    res = generic([val_spec, out], op.operands, op.in_dtypes, [identity(n)], [out_map, out_map],
                  its, body, inits=[vinit, iinit])
    return [res[1]]


LOWERINGS["mlax.argmax"] = _argreduce_rule
LOWERINGS["mlax.argmin"] = _argreduce_rule


def _dot_general_rule(op):
    a, b = op.in_specs
    out = op.out_specs[0]
    at = op.attrs
    lc, rc = at["lhs_contracting_dimensions"], at["rhs_contracting_dimensions"]
    lb, rb = at["lhs_batch_dimensions"], at["rhs_batch_dimensions"]
    lf = [i for i in range(len(a.shape)) if i not in lc and i not in lb]
    rf = [i for i in range(len(b.shape)) if i not in rc and i not in rb]
    # loop dims: batch, lhs free, rhs free, contracting
    nb, nlf, nrf, nc = len(lb), len(lf), len(rf), len(lc)
    n = nb + nlf + nrf + nc
    lhs_exprs = [0] * len(a.shape)
    rhs_exprs = [0] * len(b.shape)
    for k, (i, j) in enumerate(zip(lb, rb)):
        lhs_exprs[i] = k
        rhs_exprs[j] = k
    for k, i in enumerate(lf):
        lhs_exprs[i] = nb + k
    for k, j in enumerate(rf):
        rhs_exprs[j] = nb + nlf + k
    for k, (i, j) in enumerate(zip(lc, rc)):
        lhs_exprs[i] = nb + nlf + nrf + k
        rhs_exprs[j] = nb + nlf + nrf + k
    out_map = amap(n, list(range(nb + nlf + nrf)))
    its = ["parallel"] * (nb + nlf + nrf) + ["reduction"] * nc
    dtype = out.dtype
    mul, add = ((arith.andi, arith.ori) if is_bool(dtype) else
                (arith.mulf, arith.addf) if is_float(dtype) else (arith.muli, arith.addi))
    if nc == 0:
        # No contraction (an outer product): an elementwise generic that does not read its
        # output, so elementwise fusion treats it like any other.
        return generic([out], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                       [out_map], its, lambda x, y, _: [mul(x, y)])
    k = _extent(a.shape, lc)
    if is_float(dtype) and nlf == nrf == 0 and k > SUM_STRIDED.sequential:
        # A long dot product (no free dims: vdot, batched or not) is a sum: the products,
        # then a sum in blocks (elementwise fusion puts them back in one loop).
        prod = TensorSpec(tuple(a.shape[i] for i in lb) + tuple(a.shape[i] for i in lc), dtype)
        p = generic([prod], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                    [identity(n)], ["parallel"] * n, lambda x, y, _: [mul(x, y)])[0]
        return [sum_in_blocks(p, prod, range(nb, n))]
    acc_dtype = ACCUMULATOR.get(np.dtype(dtype), dtype)
    if acc_dtype != dtype:
        # Half-precision products accumulate in float32, as XLA does, then round once.
        acc = TensorSpec(out.shape, acc_dtype)
        wide = generic([acc], op.operands, op.in_dtypes,
                       [amap(n, lhs_exprs), amap(n, rhs_exprs)], [out_map], its,
                       lambda x, y, c: [add(c, mul(convert_scalar(x, dtype, acc_dtype),
                                                   convert_scalar(y, dtype, acc_dtype)))],
                       inits=[filled(acc, 0)])[0]
        return [elementwise(out, [wide], [acc_dtype],
                            lambda c: convert_scalar(c, acc_dtype, dtype))]
    return generic([out], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                   [out_map], its, lambda x, y, acc: [add(acc, mul(x, y))], inits=[filled(out, 0)])


# Contractions of these element types accumulate in a wider one.
ACCUMULATOR = {np.dtype(np.float16): np.dtype(np.float32)}

LOWERINGS["mlax.dot_general"] = _dot_general_rule


# ---------------------------------------------------------------------------------------
# Index helpers, dynamic slices and padding


def index_const(n) -> ir.Value:
    return arith.constant(ir.IndexType.get(), int(n))


def to_index(v, dtype) -> ir.Value:
    """An integer scalar of `dtype` as an index (unsigned values zero-extend)."""
    if is_unsigned(dtype) or is_bool(dtype):
        return arith.index_castui(ir.IndexType.get(), v)
    return arith.index_cast(ir.IndexType.get(), v)


def clamp_index(v, lo, hi) -> ir.Value:
    return arith.minsi(arith.maxsi(v, index_const(lo)), index_const(hi))


def _mixed(values):
    """(dynamic Values, static DenseI64ArrayAttr) of a list of ints and index Values."""
    dyn = [v for v in values if isinstance(v, ir.Value)]
    static = [ir.ShapedType.get_dynamic_size() if isinstance(v, ir.Value) else int(v) for v in values]
    return dyn, ir.DenseI64ArrayAttr.get(static)


def extract_slice(src, offsets, sizes, strides=None, result_shape=None) -> ir.Value:
    """tensor.extract_slice with static sizes; `result_shape` drops unit dims (rank-reducing)."""
    et = ir.RankedTensorType(src.type).element_type
    shape = list(sizes) if result_shape is None else list(result_shape)
    dyn, static = _mixed(offsets)
    return tensor.ExtractSliceOp(ir.RankedTensorType.get(shape, et), src, dyn, [], [], static,
                                 ir.DenseI64ArrayAttr.get(list(sizes)),
                                 ir.DenseI64ArrayAttr.get(list(strides or [1] * len(sizes)))).result


def insert_slice(src, dest, offsets, sizes=None, strides=None) -> ir.Value:
    """tensor.insert_slice of all of src into dest at offsets (ints or index Values).

    `sizes` (default: src's shape) may hold unit dims that src drops."""
    sizes = list(ir.RankedTensorType(src.type).shape) if sizes is None else list(sizes)
    dyn, static = _mixed(offsets)
    return tensor.InsertSliceOp(src, dest, dyn, [], [], static, ir.DenseI64ArrayAttr.get(sizes),
                                ir.DenseI64ArrayAttr.get(list(strides or [1] * len(sizes)))).result


def loop_nest(shape, inits, body):
    """scf.for loops over `shape` carrying `inits`; body(ivs, *carried) -> new carried values."""
    def build(d, ivs, carried):
        if d == len(shape):
            return list(body(ivs, *carried))
        loop = scf.ForOp(index_const(0), index_const(shape[d]), index_const(1), carried)
        with ir.InsertionPoint(loop.body):
            scf.YieldOp(build(d + 1, ivs + [loop.induction_variable], list(loop.inner_iter_args)))
        return list(loop.results)
    return build(0, [], list(inits))


def _dynamic_starts(x_spec, sizes, index_values, index_specs):
    """Start indices as index Values, clamped to [0, dim - size] as XLA does."""
    starts = []
    for d, (v, s) in enumerate(zip(index_values, index_specs)):
        i = to_index(tensor.extract(v, []), s.dtype)
        starts.append(clamp_index(i, 0, x_spec.shape[d] - sizes[d]))
    return starts


def _dynamic_slice_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    if not x.shape:
        return [op.operands[0]]
    starts = _dynamic_starts(x, out.shape, op.operands[1:], op.in_specs[1:])
    return [extract_slice(op.operands[0], starts, out.shape)]


def _dynamic_update_slice_rule(op):
    x, u = op.in_specs[0], op.in_specs[1]
    if not x.shape:
        return [op.operands[1]]
    starts = _dynamic_starts(x, u.shape, op.operands[2:], op.in_specs[2:])
    return [insert_slice(op.operands[1], op.operands[0], starts)]


def _pad_rule(op):
    """Fill, write x strided by interior + 1 past the non-negative low padding, then crop
    what negative low/high padding removes."""
    x, out = op.in_specs[0], op.out_specs[0]
    low, high, interior = op.attrs["low"], op.attrs["high"], op.attrs["interior"]
    if any(n == 0 for n in out.shape):
        return [empty(out)]
    lo = [max(v, 0) for v in low]
    hi = [max(v, 0) for v in high]
    full_shape = [l + h + n + max(0, n - 1) * i for l, h, n, i in zip(lo, hi, x.shape, interior)]
    value = tensor.extract(op.operands[1], [])
    full = linalg.fill(value, outs=[empty(TensorSpec(tuple(full_shape), x.dtype))])
    if all(n > 0 for n in x.shape):
        full = insert_slice(op.operands[0], full, lo, strides=[i + 1 for i in interior])
    if tuple(full_shape) == tuple(out.shape):
        return [full]
    return [extract_slice(full, [max(-v, 0) for v in low], out.shape)]


LOWERINGS.update({
    "mlax.dynamic_slice": _dynamic_slice_rule,
    "mlax.dynamic_update_slice": _dynamic_update_slice_rule,
    "mlax.pad": _pad_rule,
})


# ---------------------------------------------------------------------------------------
# Gather and scatter (XLA semantics; the index vector is the last dim of `indices`)


def _gather_fill_value(dtype):
    """What jax fills out-of-bounds gathers with in mode "fill"."""
    dtype = np.dtype(dtype)
    if is_float(dtype):
        return np.nan
    if is_bool(dtype):
        return True
    return np.iinfo(dtype).max if is_unsigned(dtype) else np.iinfo(dtype).min


def _gather_rule(op):
    """A linalg.generic over the result: each element computes its operand index and
    reads it with tensor.extract."""
    operand, indices = op.in_specs
    out = op.out_specs[0]
    a = op.attrs
    mode = a["mode"]
    if mode not in ("clip", "fill", "promise_in_bounds"):
        raise LoweringError(f"mlax.gather: unknown mode {mode!r} (expected clip or fill)")
    rank, orank = len(out.shape), len(operand.shape)
    offset_dims, sizes = a["offset_dims"], a["slice_sizes"]
    batch_dims = [d for d in range(rank) if d not in offset_dims]
    window_dims = [d for d in range(orank)
                   if d not in a["collapsed_slice_dims"] and d not in a["operand_batching_dims"]]
    operand_v, indices_v = op.operands

    def body(_):
        ivs = [linalg.IndexOp(d).result for d in range(rank)]
        batch = [ivs[d] for d in batch_dims]
        start = [index_const(0)] * orank
        valid = None
        for k, od in enumerate(a["start_index_map"]):
            s = to_index(tensor.extract(indices_v, batch + [index_const(k)]), indices.dtype)
            upper = operand.shape[od] - sizes[od]
            if mode == "fill":
                ok = arith.andi(arith.cmpi(arith.CmpIPredicate.sge, s, index_const(0)),
                                arith.cmpi(arith.CmpIPredicate.sle, s, index_const(upper)))
                valid = ok if valid is None else arith.andi(valid, ok)
            start[od] = clamp_index(s, 0, upper)
        for od, idim in zip(a["operand_batching_dims"], a["start_indices_batching_dims"]):
            start[od] = batch[idim]
        full = list(start)
        for j, od in enumerate(window_dims):
            full[od] = arith.addi(start[od], ivs[offset_dims[j]])
        v = tensor.extract(operand_v, full)
        if is_bool(out.dtype):
            v = arith.trunci(ir.IntegerType.get_signless(1), v)
        if valid is not None:
            v = arith.select(valid, v, scalar_const(out.dtype, _gather_fill_value(out.dtype)))
        return [v]
    return generic([out], [], [], [], [identity(rank)], ["parallel"] * rank, body)


def _scatter_combine(kind, dtype):
    """combine(old, update) on stored scalars (bool as i8 holding 0 or 1)."""
    if kind == "set":
        return lambda old, u: u
    if is_bool(dtype):
        return {"add": arith.ori, "mul": arith.andi, "min": arith.minui, "max": arith.maxui}[kind]
    return {"add": lambda o, u: _fi(arith.addf, arith.addi)(dtype, o, u),
            "mul": lambda o, u: _fi(arith.mulf, arith.muli)(dtype, o, u),
            "min": lambda o, u: _min(dtype, o, u),
            "max": lambda o, u: _max(dtype, o, u)}[kind]


def _scatter_rule(op):
    """scf.for loops over the updates, in order, each reading the operand element it
    updates and writing it back: duplicate indices accumulate. Windows that do not fit
    the operand are dropped (mode "drop"/"fill") or moved in bounds (mode "clip")."""
    operand, indices, updates = op.in_specs
    a = op.attrs
    mode = a["mode"]
    if mode not in ("drop", "fill", "clip", "promise_in_bounds"):
        raise LoweringError(f"mlax.scatter: unknown mode {mode!r} (expected drop or clip)")
    orank, urank = len(operand.shape), len(updates.shape)
    uwd = a["update_window_dims"]
    scatter_dims = [d for d in range(urank) if d not in uwd]
    window_dims = [d for d in range(orank)
                   if d not in a["inserted_window_dims"] and d not in a["operand_batching_dims"]]
    window = [1] * orank
    for j, od in enumerate(window_dims):
        window[od] = updates.shape[uwd[j]]
    combine = _scatter_combine(a["kind"], operand.dtype)
    operand_v, indices_v, updates_v = op.operands

    def body(ivs, acc):
        batch = [ivs[d] for d in scatter_dims]
        start = [index_const(0)] * orank
        valid = None
        for k, od in enumerate(a["scatter_dims_to_operand_dims"]):
            s = to_index(tensor.extract(indices_v, batch + [index_const(k)]), indices.dtype)
            upper = operand.shape[od] - window[od]
            if mode == "clip":
                s = clamp_index(s, 0, upper)
            else:
                ok = arith.andi(arith.cmpi(arith.CmpIPredicate.sge, s, index_const(0)),
                                arith.cmpi(arith.CmpIPredicate.sle, s, index_const(upper)))
                valid = ok if valid is None else arith.andi(valid, ok)
            start[od] = s
        for od, idim in zip(a["operand_batching_dims"], a["scatter_indices_batching_dims"]):
            start[od] = batch[idim]
        full = list(start)
        for j, od in enumerate(window_dims):
            full[od] = arith.addi(start[od], ivs[uwd[j]])
        if valid is not None:   # keep the (unused) access in bounds
            full = [clamp_index(f, 0, max(n - 1, 0)) for f, n in zip(full, operand.shape)]
        old = tensor.extract(acc, full)
        new = combine(old, tensor.extract(updates_v, ivs))
        if valid is not None:
            new = arith.select(valid, new, old)
        return [tensor.insert(new, acc, full)]

    if any(n == 0 for n in operand.shape) or any(n == 0 for n in updates.shape):
        return [operand_v]
    return loop_nest(updates.shape, [operand_v], body)


LOWERINGS["mlax.gather"] = _gather_rule
LOWERINGS["mlax.scatter"] = _scatter_rule


# ---------------------------------------------------------------------------------------
# Cumulative ops


def _logaddexp(dtype, a, b):
    """log(exp(a) + exp(b)) as jax.numpy.logaddexp computes it."""
    amax = arith.maximumf(a, b)
    delta = arith.subf(a, b)
    tail = math.log1p(math.exp(arith.negf(math.absf(delta))))
    return arith.select(arith.cmpf(arith.CmpFPredicate.UNO, delta, delta), arith.addf(a, b),
                        arith.addf(amax, tail))


_CUMULATIVE = {
    # name -> combine(dtype, acc, x) on body scalars (bool as i1)
    "mlax.cumsum": lambda dt, a, x: arith.ori(a, x) if is_bool(dt) else _fi(arith.addf, arith.addi)(dt, a, x),
    "mlax.cumprod": lambda dt, a, x: arith.andi(a, x) if is_bool(dt) else _fi(arith.mulf, arith.muli)(dt, a, x),
    "mlax.cummax": _max,
    "mlax.cummin": _min,
    "mlax.cumlogsumexp": lambda dt, a, x: _float_only("cumlogsumexp", lambda a, x: _logaddexp(dt, a, x))(dt, a, x),
}


def _cumulative_rule(op):
    x = op.in_specs[0]
    axis, reverse = op.attrs["axis"], op.attrs["reverse"]
    if x.shape[axis] <= 1 or any(s == 0 for s in x.shape):
        return [op.operands[0]]
    if op.name in _SCAN_IDENTITY and is_float(x.dtype):
        return [scan_in_blocks(op.name, op.operands[0], x, axis, reverse)]
    return [scan(op.name, op.operands[0], x, axis, reverse)]


def scan(name, v, x: TensorSpec, axis, reverse, block=None, seeds=None):
    """out[k] = combine(out[k - 1], x[k]) along `axis` (from the end with `reverse`), in
    place in a copy of x.

    With `block` and `seeds`: the dim is scanned as independent blocks of `block` elements
    in scan order (the last block may be shorter); in block p, out[k] = combine(seed,
    the scan of the block up to k) with seed = seeds[..., p, ...] (x's shape with `axis`
    sized to the number of blocks). The scan within the block starts from the identity,
    so its roundings are those of small values; the seed is combined in once per element.

    Along the innermost dim: scalar scf.for loops (contiguous, with the running value in a
    register). Along an outer dim: scf.for loops whose steps are linalg.generics over a
    whole slab (contiguous, so they vectorize)."""
    n = x.shape[axis]
    b = block or n
    nb = -(-n // b)
    combine = _CUMULATIVE[name]

    def position(t):
        """The index along `axis` of the t-th element in scan order."""
        return arith.subi(index_const(n - 1), t) if reverse else t

    def block_bounds(p):
        lo = arith.muli(p, index_const(b))
        return lo, arith.minsi(arith.addi(lo, index_const(b)), index_const(n))

    if axis == len(x.shape) - 1:
        # Values as stored: bool as i8, which the or/and/max/min combines handle as 0/1.
        def row(ivs, out):
            ivs = list(ivs)
            if seeds is None:
                lo, hi = index_const(1), index_const(n)
                local, seed = tensor.extract(v, ivs + [position(index_const(0))]), None
            else:
                lo, hi = block_bounds(ivs[-1])
                local = scalar_const(x.dtype, _SCAN_IDENTITY[name], storage=True)
                seed = tensor.extract(seeds, ivs)
                ivs = ivs[:-1]
            loop = scf.ForOp(lo, hi, index_const(1), [local, out])
            with ir.InsertionPoint(loop.body):
                k = position(loop.induction_variable)
                local, cur = loop.inner_iter_args
                local = combine(x.dtype, local, tensor.extract(v, ivs + [k]))
                value = local if seed is None else combine(x.dtype, seed, local)
                scf.YieldOp([local, tensor.insert(value, cur, ivs + [k])])
            return [loop.results[1]]
        return loop_nest(x.shape[:-1] + ((nb,) if seeds is not None else ()), [v], row)[0]

    slab_shape = tuple(s for d, s in enumerate(x.shape) if d != axis)
    slab = TensorSpec(slab_shape, x.dtype)
    sizes = [1 if d == axis else s for d, s in enumerate(x.shape)]
    r = len(slab_shape)

    def at(i):
        offs = [0] * len(x.shape)
        offs[axis] = i
        return offs

    def get(acc, k):
        return extract_slice(acc, at(k), sizes, result_shape=slab_shape)

    if seeds is None:
        loop = scf.ForOp(index_const(1), index_const(n), index_const(1), [v])
        with ir.InsertionPoint(loop.body):
            t = loop.induction_variable
            acc = loop.inner_iter_args[0]
            k = position(t)
            prev = arith.addi(k, index_const(1)) if reverse else arith.subi(k, index_const(1))
            new = generic([slab], [get(acc, prev)], [x.dtype], [identity(r)], [identity(r)],
                          ["parallel"] * r, lambda p, c: [combine(x.dtype, p, c)],
                          inits=[get(acc, k)])[0]
            scf.YieldOp([insert_slice(new, acc, at(k), sizes)])
        return loop.results[0]

    blocks = scf.ForOp(index_const(0), index_const(nb), index_const(1), [v])
    with ir.InsertionPoint(blocks.body):
        lo, hi = block_bounds(blocks.induction_variable)
        seed = get(seeds, blocks.induction_variable)
        loop = scf.ForOp(lo, hi, index_const(1),
                         [blocks.inner_iter_args[0], filled(slab, _SCAN_IDENTITY[name])])
        with ir.InsertionPoint(loop.body):
            k = position(loop.induction_variable)
            acc, local = loop.inner_iter_args

            def body(s, l, c):
                l = combine(x.dtype, l, c)
                return [l, combine(x.dtype, s, l)]
            # In place: the running slab, and the slab at k (read before it is replaced).
            local, value = generic([slab, slab], [seed], [x.dtype], [identity(r)], [identity(r)] * 2,
                                   ["parallel"] * r, body, inits=[local, get(acc, k)])
            scf.YieldOp([insert_slice(value, acc, at(k), sizes), local])
        scf.YieldOp([loop.results[0]])
    return blocks.results[0]


# Float scans in blocks. A scan that runs along its whole dim loses accuracy as it goes
# (a cumsum of 2**22 copies of 0.1f ended 4% off; XLA scans in a tree, its error grows
# with the log of the length). Here the dim is split into blocks of SCAN_BLOCK elements:
# one reduction gives each block's total, the totals are scanned the same way
# (recursively), and then each block is scanned on its own, each element combined with
# the total of the blocks before it. One pass over the data for the totals (it
# vectorizes) and one for the scan.

SCAN_BLOCK = 64     # a multiple of the vector lanes: the block totals' sums vectorize
_SCAN_IDENTITY = {"mlax.cumsum": 0.0, "mlax.cumprod": 1.0, "mlax.cumlogsumexp": -np.inf}


def scan_in_blocks(name, v, x: TensorSpec, axis, reverse):
    n = x.shape[axis]
    if n <= 2 * SCAN_BLOCK:
        return scan(name, v, x, axis, reverse)
    combine, b, rank = _CUMULATIVE[name], SCAN_BLOCK, len(x.shape)
    m = n // b                                    # whole blocks (in scan order, first)
    nb = -(-n // b)
    # The whole blocks' totals, in index order.
    offsets = [0] * rank
    offsets[axis] = n - m * b if reverse else 0
    blocks = TensorSpec(x.shape[:axis] + (m, b) + x.shape[axis + 1:], x.dtype)
    groups = [[d] for d in range(axis)] + [[axis, axis + 1]] + [[d + 1] for d in range(axis + 1, rank)]
    w = extract_slice(v, offsets, _drop(x, axis, m * b).shape) if m * b < n else v
    w = tensor.ExpandShapeOp(ttype(blocks), w, _reassoc_attr(groups), [],
                             ir.DenseI64ArrayAttr.get(list(blocks.shape))).result
    ident = _SCAN_IDENTITY[name]
    totals = _drop(blocks, axis + 1)
    out_map = amap(rank + 1, [d for d in range(rank + 1) if d != axis + 1])
    its = ["reduction" if d == axis + 1 else "parallel" for d in range(rank + 1)]
    t = generic([totals], [w], [x.dtype], [identity(rank + 1)], [out_map], its,
                lambda a, acc: [combine(x.dtype, acc, a)], inits=[filled(totals, ident)])[0]
    scanned = scan_in_blocks(name, t, totals, axis, reverse)
    # Block p (in scan order) starts from the total of the blocks before it: scanned[p - 1]
    # in index order, scanned[m - p] scanning in reverse; the first from the identity.
    seeds = _drop(x, axis, nb)

    def seed(_):
        idx = [linalg.IndexOp(d).result for d in range(rank)]
        p = idx[axis]
        first = arith.cmpi(arith.CmpIPredicate.eq, p, index_const(0))
        j = arith.subi(index_const(m), p) if reverse else arith.subi(p, index_const(1))
        idx[axis] = arith.minsi(arith.maxsi(j, index_const(0)), index_const(m - 1))
        return [arith.select(first, scalar_const(x.dtype, ident), tensor.extract(scanned, idx))]
    seeds = generic([seeds], [], [], [], [identity(rank)], ["parallel"] * rank, seed)[0]
    return scan(name, v, x, axis, reverse, block=b, seeds=seeds)


for _n in _CUMULATIVE:
    LOWERINGS[_n] = _cumulative_rule


# ---------------------------------------------------------------------------------------
# Sorting


def _sort_lt(dtype):
    """a < b on stored scalars for an ascending sort: -0 == 0, NaNs last (equal to each other)."""
    if is_float(dtype):
        def lt(a, b):
            ordered = arith.cmpf(arith.CmpFPredicate.OLT, a, b)
            nan_b = arith.andi(arith.cmpf(arith.CmpFPredicate.UNO, b, b),
                               arith.cmpf(arith.CmpFPredicate.ORD, a, a))
            return arith.ori(ordered, nan_b)
        return lt
    pred = arith.CmpIPredicate.ult if (is_unsigned(dtype) or is_bool(dtype)) else arith.CmpIPredicate.slt
    return lambda a, b: arith.cmpi(pred, a, b)


def _total_order_key(dtype, v):
    """A float's bits as a signed int ordered like the float (-NaN < -inf < -0 < 0 < inf < NaN),
    the order XLA's TopK uses."""
    it = _int_type_of(dtype)
    bits = np.dtype(dtype).itemsize * 8
    i = arith.bitcast(it, v)
    neg = arith.cmpi(arith.CmpIPredicate.slt, i, arith.constant(it, 0))
    return arith.select(neg, arith.xori(i, arith.constant(it, (1 << (bits - 1)) - 1)), i)


def _merge_sort_1d(rows, n, before):
    """Stable bottom-up merge sort of 1-d tensors `rows` by rows[0].

    before(b, a) -> i1: b must come strictly before a. Each pass merges runs of width w
    from `src` into `dst` with a two-pointer scf.for; the passes are unrolled (n is static)."""
    src = list(rows)
    dst = [tensor.EmptyOp([n], ir.RankedTensorType(r.type).element_type).result for r in rows]
    w = 1
    while w < n:
        def block(ivs, *outs, w=w, src=src):
            b = ivs[0]
            end_a = arith.minsi(arith.addi(b, index_const(w)), index_const(n))
            end_b = arith.minsi(arith.addi(b, index_const(2 * w)), index_const(n))
            loop = scf.ForOp(b, end_b, index_const(1), [b, end_a] + list(outs))
            with ir.InsertionPoint(loop.body):
                k = loop.induction_variable
                i, j, *cur = loop.inner_iter_args
                ic = arith.minsi(i, index_const(n - 1))
                jc = arith.minsi(j, index_const(n - 1))
                a_left = arith.cmpi(arith.CmpIPredicate.slt, i, end_a)
                b_left = arith.cmpi(arith.CmpIPredicate.slt, j, end_b)
                b_first = before(tensor.extract(src[0], [jc]), tensor.extract(src[0], [ic]))
                a_done = arith.xori(a_left, arith.constant(ir.IntegerType.get_signless(1), 1))
                take_b = arith.andi(b_left, arith.ori(a_done, b_first))
                pos = arith.select(take_b, jc, ic)
                new = [tensor.insert(tensor.extract(s, [pos]), d, [k]) for s, d in zip(src, cur)]
                one, zero = index_const(1), index_const(0)
                scf.YieldOp([arith.addi(i, arith.select(take_b, zero, one)),
                             arith.addi(j, arith.select(take_b, one, zero))] + new)
            return list(loop.results)[2:]
        blocks = scf.ForOp(index_const(0), index_const(n), index_const(2 * w), dst)
        with ir.InsertionPoint(blocks.body):
            scf.YieldOp(block([blocks.induction_variable], *blocks.inner_iter_args))
        src, dst = list(blocks.results), src
        w *= 2
    return src


def sort_along(values, shape, dimension, before):
    """Sort same-shaped tensors along `dimension` by values[0], stably, permuting the others
    alike: an scf.for nest over the other dims extracts each row and merge-sorts it."""
    n = shape[dimension]
    if n <= 1 or any(s == 0 for s in shape):
        return list(values)
    rank = len(shape)
    row_dims = [d for d in range(rank) if d != dimension]
    sizes = [n if d == dimension else 1 for d in range(rank)]

    def row(ivs, *tensors):
        offs = [0] * rank
        for d, iv in zip(row_dims, ivs):
            offs[d] = iv
        rows = [extract_slice(t, offs, sizes, result_shape=[n]) for t in tensors]
        done = _merge_sort_1d(rows, n, before)
        return [insert_slice(r, t, offs, sizes) for r, t in zip(done, tensors)]
    return loop_nest([shape[d] for d in row_dims], list(values), row)


def _sort_rule(op):
    keys = op.in_specs[0]
    lt = _sort_lt(keys.dtype)
    return sort_along(op.operands, keys.shape, op.attrs["dimension"], lambda b, a: lt(b, a))


def _top_k_rule(op):
    """A stable descending sort of (x, iota) along the last dim, sliced to k."""
    x = op.in_specs[0]
    vals_spec, idx_spec = op.out_specs
    k = op.attrs["k"]
    n = x.shape[-1]
    rank = len(x.shape)
    if k == 0 or any(s == 0 for s in x.shape):
        return [empty(vals_spec), empty(idx_spec)]
    if is_float(x.dtype):
        def before(b, a):
            return arith.cmpi(arith.CmpIPredicate.sgt, _total_order_key(x.dtype, b),
                              _total_order_key(x.dtype, a))
    else:
        lt = _sort_lt(x.dtype)
        before = lambda b, a: lt(a, b)
    iota = generic([TensorSpec(x.shape, idx_spec.dtype)], [], [], [], [identity(rank)], ["parallel"] * rank,
                   lambda _: [arith.index_cast(el(idx_spec.dtype), linalg.IndexOp(rank - 1).result)])[0]
    vals, idx = sort_along([op.operands[0], iota], x.shape, rank - 1, before)
    if k == n:
        return [vals, idx]
    return [extract_slice(vals, [0] * rank, vals_spec.shape), extract_slice(idx, [0] * rank, idx_spec.shape)]


LOWERINGS["mlax.sort"] = _sort_rule
LOWERINGS["mlax.top_k"] = _top_k_rule


# ---------------------------------------------------------------------------------------
# Random bits


_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def threefry2x32_scalar(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds on i32 scalars, exactly as jax's
    `_threefry2x32_lowering` (jax/_src/random/threefry2x32.py)."""
    i32 = ir.IntegerType.get_signless(32)
    c = lambda v: arith.constant(i32, _wrap(v, np.int32))

    def rotl(v, r):
        return arith.ori(arith.shli(v, c(r)), arith.shrui(v, c(32 - r)))

    ks = [k0, k1, arith.xori(arith.xori(k0, k1), c(0x1BD11BDA))]
    x = [arith.addi(x0, ks[0]), arith.addi(x1, ks[1])]
    for step in range(5):
        for r in _THREEFRY_ROTATIONS[step % 2]:
            x[0] = arith.addi(x[0], x[1])
            x[1] = arith.xori(x[0], rotl(x[1], r))
        x[0] = arith.addi(x[0], ks[(step + 1) % 3])
        x[1] = arith.addi(arith.addi(x[1], ks[(step + 2) % 3]), c(step + 1))
    return x


def _threefry_rule(op):
    out = op.out_specs[0]
    n = len(out.shape)
    return generic([out, out], op.operands, op.in_dtypes, [identity(n)] * 4, [identity(n)] * 2,
                   ["parallel"] * n, lambda k0, k1, x0, x1, _a, _b: threefry2x32_scalar(k0, k1, x0, x1))


LOWERINGS["mlax.threefry2x32"] = _threefry_rule


# ---------------------------------------------------------------------------------------
# The pass


def _lower_constant(op):
    """arith.constant of an unsigned tensor -> the same bits as a signless tensor."""
    t = op.result.type
    st = storage_type(t)
    if st == t:
        return
    attr = ir.DenseElementsAttr(op.attributes["value"])
    spec = spec_of_type(t)
    if attr.is_splat:
        value = ir.IntegerAttr(attr.get_splat_value()).value
        new_attr = ir.DenseElementsAttr.get_splat(st, ir.IntegerAttr.get(st.element_type, _wrap(value, spec.dtype)))
    elif spec.dtype == np.bool_:
        arr = np.array(attr).astype(np.int8)
        new_attr = ir.DenseElementsAttr.get(np.ascontiguousarray(arr).reshape(-1), type=st)
    else:
        arr = np.array(attr).astype(spec.dtype).view(np.dtype(f"i{spec.dtype.itemsize}"))
        new_attr = ir.DenseElementsAttr.get(np.ascontiguousarray(arr).reshape(-1), type=st)
    with ir.InsertionPoint(op), op.location:
        new = arith.ConstantOp(st, new_attr).result
    op.result.replace_all_uses_with(new)
    op.erase()


def _wrap(value, dtype):
    width = np.dtype(dtype).itemsize * 8
    value = int(value) % (2 ** width)
    return value - 2 ** width if value >= 2 ** (width - 1) else value


def _lower_function_types(fn):
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    ins = [storage_type(t) for t in ftype.inputs]
    outs = [storage_type(t) for t in ftype.results]
    fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(ins, outs))
    if len(fn.regions[0].blocks):
        for arg in fn.regions[0].blocks[0].arguments:
            arg.set_type(storage_type(arg.type))
        _mark_arguments_read_only(fn, len(ins))


def _mark_arguments_read_only(fn, n):
    """`bufferization.writable = false` on every tensor argument: arguments are the
    caller's (immutable) arrays, so ops that update a tensor in place (insert_slice,
    tensor.insert, scf.for iter_args) must bufferize to a copy, never into the argument."""
    old = list(ir.ArrayAttr(fn.attributes["arg_attrs"])) if "arg_attrs" in fn.attributes else [None] * n
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    dicts = []
    for a, t in zip(old, ftype.inputs):
        entries = {na.name: na.attr for na in ir.DictAttr(a)} if a is not None else {}
        if isinstance(t, ir.RankedTensorType):
            entries["bufferization.writable"] = ir.BoolAttr.get(False)
        dicts.append(ir.DictAttr.get(entries))
    fn.attributes["arg_attrs"] = ir.ArrayAttr.get(dicts)


def _lower_call(op):
    types = [storage_type(r.type) for r in op.results]
    if all(t == r.type for t, r in zip(types, op.results)):
        return
    with ir.InsertionPoint(op), op.location:
        new = func.CallOp(types, ir.FlatSymbolRefAttr(op.attributes["callee"]).value,
                          list(op.operands))
    for old, v in zip(op.results, new.results):
        old.replace_all_uses_with(v)
    op.erase()


def lower_module(module_op):
    """Lower every mlax op in the module, in program order, to upstream dialects."""
    pending = []

    def collect(op):
        name = op.name
        if name.startswith("mlax."):
            pending.append(("mlax", op, [spec_of_type(v.type) for v in op.operands],
                            [spec_of_type(r.type) for r in op.results]))
        elif name == "arith.constant":
            pending.append(("const", op, None, None))
        elif name == "func.call":
            pending.append(("call", op, None, None))
        elif name == "func.func":
            pending.append(("func", op, None, None))
        return ir.WalkResult.ADVANCE

    module_op.walk(collect, ir.WalkOrder.PRE_ORDER)
    for kind, op, ins, outs in pending:
        if kind == "func":
            _lower_function_types(op)
            continue
        if kind == "const":
            _lower_constant(op)
            continue
        if kind == "call":
            _lower_call(op)
            continue
        rule = LOWERINGS.get(op.name)
        if rule is None:
            raise LoweringError(f"no CPU lowering for '{op.name}' (at {op.location})")
        with ir.InsertionPoint(op), op.location:
            try:
                results = rule(Op(op, ins, outs))
            except LoweringError as e:
                raise LoweringError(f"{e} (at {op.location})") from None
        for old, new in zip(op.results, results):
            old.replace_all_uses_with(new)
        op.erase()


@register
class LowerToLinalgPass(ModulePass):
    """Lower mlax ops to linalg, tensor, arith and math on tensors."""
    name = "mlax-lower-to-linalg"

    def run(self, module_op):
        lower_module(module_op)
