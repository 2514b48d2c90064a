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
bodies come from `SCALAR` (op name -> fn(dtype, *scalars)).
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, func, linalg, math, tensor

from mlax.dialects import OPS, op_attrs, signless, spec_of_type, element_type
from mlax.dialects.types import TensorSpec

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
    one = scalar_const(dtype, 1)
    return arith.divf(one, arith.addf(one, math.exp(arith.negf(x))))


def _rem(dtype, x, y):
    if is_float(dtype):
        return arith.remf(x, y)
    return arith.remui(x, y) if is_unsigned(dtype) else arith.remsi(x, y)


def _div(dtype, x, y):
    if is_float(dtype):
        return arith.divf(x, y)
    return arith.divui(x, y) if is_unsigned(dtype) else arith.divsi(x, y)


def _max(dtype, x, y):
    if is_float(dtype):
        return arith.maximumf(x, y)   # NaN-propagating, like lax.max
    return arith.maxui(x, y) if is_unsigned(dtype) or is_bool(dtype) else arith.maxsi(x, y)


def _min(dtype, x, y):
    if is_float(dtype):
        return arith.minimumf(x, y)
    return arith.minui(x, y) if is_unsigned(dtype) or is_bool(dtype) else arith.minsi(x, y)


def _pow(dtype, x, y):
    if is_float(dtype):
        return math.powf(x, y)
    return math.ipowi(x, y)


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
        acc = arith.divf(one, acc) if is_float(dtype) else arith.divsi(one, acc)
    return acc


def _round(dtype, x):
    # lax.round defaults to rounding half away from zero (jnp.round rounds half to even;
    # the numpy layer passes that choice as a separate op sequence).
    return math.round(x)


def _is_finite(dtype, x):
    return arith.cmpf(arith.CmpFPredicate.ONE, math.absf(x), scalar_const(dtype, np.inf))


def _not(dtype, x):
    allones = scalar_const(dtype, -1 if not is_bool(dtype) else 1)
    return arith.xori(x, allones)


def _shift_right_logical(dtype, x, y):
    return arith.shrui(x, y)


def _nextafter(dtype, x, y):
    raise LoweringError("mlax.nextafter has no CPU lowering yet")


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
    "mul": _fi(arith.mulf, arith.muli), "div": _div, "rem": _rem, "pow": _pow,
    "max": _max, "min": _min, "atan2": _float_only("atan2", math.atan2),
    "and": lambda dtype, x, y: arith.andi(x, y), "or": lambda dtype, x, y: arith.ori(x, y),
    "xor": lambda dtype, x, y: arith.xori(x, y),
    "shift_left": lambda dtype, x, y: arith.shli(x, y),
    "shift_right_logical": _shift_right_logical,
    "shift_right_arithmetic": lambda dtype, x, y: arith.shrsi(x, y),
    "integer_pow": _integer_pow,
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
        return arith.fptoui(td, x) if is_unsigned(dst) else arith.fptosi(td, x)
    # int -> int
    if dst.itemsize > src.itemsize:
        return arith.extui(td, x) if (is_unsigned(src) or is_bool(src)) else arith.extsi(td, x)
    if dst.itemsize < src.itemsize:
        return arith.trunci(td, x)
    return x  # same width, signedness only


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
    out, x = op.out_specs[0], op.in_specs[0]
    n = len(out.shape)
    dims = op.attrs["broadcast_dimensions"]
    exprs = [-1 if x.shape[i] == 1 and out.shape[d] != 1 else d for i, d in enumerate(dims)]
    return generic([out], op.operands, op.in_dtypes, [amap(n, exprs)], [identity(n)],
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
    return [tensor.ExtractSliceOp(ttype(out), op.operands[0], [], [], [],
                                  ir.DenseI64ArrayAttr.get(list(a["start_indices"])),
                                  ir.DenseI64ArrayAttr.get(list(out.shape)),
                                  ir.DenseI64ArrayAttr.get(list(a["strides"]))).result]


def insert_slice(src, dest, offsets, static_offsets=None):
    """tensor.insert_slice of all of src into dest at offsets (ints or index Values)."""
    shape = ir.RankedTensorType(src.type).shape
    dyn = [o for o in offsets if isinstance(o, ir.Value)]
    static = [o if not isinstance(o, ir.Value) else ir.ShapedType.get_dynamic_size() for o in offsets]
    return tensor.InsertSliceOp(src, dest, dyn, [], [], ir.DenseI64ArrayAttr.get(static),
                                ir.DenseI64ArrayAttr.get(list(shape)),
                                ir.DenseI64ArrayAttr.get([1] * len(shape))).result


def _concatenate_rule(op):
    out = op.out_specs[0]
    d = op.attrs["dimension"]
    lhs, rhs = op.operands
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


def _reduce_rule(op):
    x, out = op.in_specs[0], op.out_specs[0]
    axes = set(op.attrs["axes"])
    ident, combine = _REDUCERS[op.name]
    n = len(x.shape)
    init = filled(out, ident(x.dtype))
    out_map = amap(n, [i for i in range(n) if i not in axes])
    its = ["reduction" if i in axes else "parallel" for i in range(n)]
    return generic([out], op.operands, op.in_dtypes, [identity(n)], [out_map], its,
                   lambda a, acc: [combine(x.dtype, acc, a)], inits=[init])


for _n in _REDUCERS:
    LOWERINGS[_n] = _reduce_rule


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
    if is_bool(dtype):
        body = lambda x, y, acc: [arith.ori(acc, arith.andi(x, y))]
    else:
        mul, add = (arith.mulf, arith.addf) if is_float(dtype) else (arith.muli, arith.addi)
        body = lambda x, y, acc: [add(acc, mul(x, y))]
    return generic([out], op.operands, op.in_dtypes, [amap(n, lhs_exprs), amap(n, rhs_exprs)],
                   [out_map], its, body, inits=[filled(out, 0)])


LOWERINGS["mlax.dot_general"] = _dot_general_rule


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


from mlax.passes import register as _register  # noqa: E402

_register("mlax-lower-to-linalg", "Lower mlax ops to linalg, tensor, arith and math on tensors")(lower_module)
