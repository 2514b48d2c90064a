"""Shared builders of the StableHLO lowering: ops in generic form, types, constants,
attributes, and reducer regions.

The ops are built in mlax's own MLIR context, where the stablehlo and chlo dialects are
not registered: `hlo("stablehlo.add", ...)` creates an unregistered op (the driver allows
them), whose attributes are builtin attributes or dialect attributes kept as parsed text
(`enum_attr`). Nothing here checks StableHLO's rules; the real verifier does, once the
module is in jaxlib's context (mlax.backends.tpu.crossing).
"""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax.dialects import spec_of_type, tensor_type
from mlax.dialects.ops import real_dtype
# is_float and is_inexact: the rule modules take them from here.
from mlax.runtime.dtypes import dtype_kind, is_float, is_inexact  # noqa: F401


def is_bool(dtype) -> bool:
    return np.dtype(dtype) == np.bool_


def is_unsigned(dtype) -> bool:
    return np.dtype(dtype).kind == "u"


def is_complex(dtype) -> bool:
    return dtype_kind(dtype) == "c"


def ttype(shape, dtype) -> ir.RankedTensorType:
    return tensor_type(tuple(shape), np.dtype(dtype))


def spec(v: ir.Value):
    """The (shape, dtype) TensorSpec of a value."""
    return spec_of_type(v.type)


# ---------------------------------------------------------------------------------------
# Ops

def hlo(name, operands, result_types, attrs=None, regions=0) -> ir.Operation:
    """An op `name` (stablehlo.* or chlo.*) at the insertion point and location."""
    return ir.Operation.create(name, results=list(result_types), operands=list(operands),
                               attributes=dict(attrs or {}), regions=regions)


def op1(name, operands, result_type, **attrs) -> ir.Value:
    """The one result of op `name`."""
    return hlo(name, operands, [result_type], attrs).result


def same(name, *operands, **attrs) -> ir.Value:
    """An elementwise op whose result has the type of its first operand."""
    return op1(name, operands, operands[0].type, **attrs)


def block(op: ir.Operation, region: int, arg_types) -> ir.Block:
    """The entry block of `op`'s region, with arguments of `arg_types`."""
    return op.regions[region].blocks.append(*arg_types)


def ret(values, name="stablehlo.return"):
    hlo(name, values, [])


# ---------------------------------------------------------------------------------------
# Attributes

def i64s(values) -> ir.Attribute:
    return ir.DenseI64ArrayAttr.get([int(v) for v in values])


def i64(value) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(value))


def boolean(value) -> ir.Attribute:
    return ir.BoolAttr.get(bool(value))


def enum_attr(text) -> ir.Attribute:
    """A stablehlo dialect attribute from its textual form, e.g.
    '#stablehlo<comparison_direction LT>' (an opaque attribute in mlax's context)."""
    return ir.Attribute.parse(text)


def precision_config(precision) -> ir.Attribute:
    """The `precision_config` of a dot_general or convolution from the mlax op's
    `precision` (lhs, rhs), as JAX's lowering always gives one."""
    return enum_attr("[" + ", ".join(f"#stablehlo<precision {p}>" for p in precision) + "]")


def dims(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


# ---------------------------------------------------------------------------------------
# Constants, conversions, comparisons

def _scalar_attr(dtype, value):
    dtype = np.dtype(dtype)
    t = tensor_type((), dtype).element_type
    if is_float(dtype):
        return ir.FloatAttr.get(t, float(value))
    if is_bool(dtype):
        return ir.IntegerAttr.get(t, int(bool(value)))
    v = int(value)
    if is_unsigned(dtype) and v >= 1 << (8 * dtype.itemsize - 1):
        v -= 1 << (8 * dtype.itemsize)    # the same bits, as the binding wants them
    return ir.IntegerAttr.get(t, v)


def const(dtype, value, shape=()) -> ir.Value:
    """A splat stablehlo.constant of `shape` (complex: a 0-d constant broadcast, as the
    bindings make no complex splat)."""
    t = ttype(shape, dtype)
    if is_complex(dtype):
        scalar = op1("stablehlo.constant", [], ttype((), dtype),
                     value=ir.DenseElementsAttr.get(np.array(value, dtype), type=ttype((), dtype)))
        return broadcast(scalar, shape, []) if tuple(shape) else scalar
    return op1("stablehlo.constant", [], t,
               value=ir.DenseElementsAttr.get_splat(t, _scalar_attr(dtype, value)))


def const_array(array) -> ir.Value:
    """A stablehlo.constant holding `array` (int64 or int32 values)."""
    array = np.ascontiguousarray(array)
    t = ttype(array.shape, array.dtype)
    return op1("stablehlo.constant", [], t, value=ir.DenseElementsAttr.get(array, type=t))


def compare_type(dtype) -> str:
    """stablehlo.compare's compare_type for operands of `dtype`, as JAX chooses it."""
    if is_inexact(dtype):
        return "FLOAT"
    return "UNSIGNED" if is_unsigned(dtype) or is_bool(dtype) else "SIGNED"


def compare(direction, x, y, kind=None) -> ir.Value:
    """stablehlo.compare (direction EQ, NE, LT, LE, GT, GE), bool result of x's shape."""
    s = spec(x)
    kind = kind or compare_type(s.dtype)
    return op1("stablehlo.compare", [x, y], ttype(s.shape, np.bool_),
               comparison_direction=enum_attr(f"#stablehlo<comparison_direction {direction}>"),
               compare_type=enum_attr(f"#stablehlo<comparison_type {kind}>"))


def real_part(x) -> ir.Value:
    s = spec(x)
    return op1("stablehlo.real", [x], ttype(s.shape, real_dtype(s.dtype)))


def imag_part(x) -> ir.Value:
    s = spec(x)
    return op1("stablehlo.imag", [x], ttype(s.shape, real_dtype(s.dtype)))


def convert(x, dtype) -> ir.Value:
    """x converted to `dtype` with JAX's semantics (to bool: x != 0; complex to real: its
    real part)."""
    s = spec(x)
    if np.dtype(dtype) == s.dtype:
        return x
    if is_bool(dtype):
        return compare("NE", x, const(s.dtype, 0, s.shape))
    if is_complex(s.dtype) and not is_complex(dtype):
        x = real_part(x)
    return op1("stablehlo.convert", [x], ttype(s.shape, dtype))


def select(pred, on_true, on_false) -> ir.Value:
    return op1("stablehlo.select", [pred, on_true, on_false], on_true.type)


def broadcast(x, shape, broadcast_dimensions) -> ir.Value:
    return op1("stablehlo.broadcast_in_dim", [x], ttype(shape, spec(x).dtype),
               broadcast_dimensions=i64s(broadcast_dimensions))


def reshape(x, shape) -> ir.Value:
    return op1("stablehlo.reshape", [x], ttype(shape, spec(x).dtype))


def lowest(dtype):
    """The identity of max over `dtype`."""
    if is_inexact(dtype):
        return -np.inf
    return False if is_bool(dtype) else np.iinfo(dtype).min


def highest(dtype):
    """The identity of min over `dtype`."""
    if is_inexact(dtype):
        return np.inf
    return True if is_bool(dtype) else np.iinfo(dtype).max


# ---------------------------------------------------------------------------------------
# Reducer regions

def scalar_body(op: ir.Operation, region: int, dtypes, body):
    """Fill `op`'s region with a block of 0-d arguments (two per dtype in `dtypes`, as a
    reducer's are: all the accumulators, then all the new values) whose results are
    body(*args), returned with stablehlo.return."""
    types = [ttype((), d) for d in dtypes] * 2
    blk = block(op, region, types)
    with ir.InsertionPoint(blk):
        ret(body(*blk.arguments))


def reduce(xs, inits, axes, body) -> list:
    """stablehlo.reduce of `xs` over `axes` with the reducer body(accs..., xs...)."""
    specs = [spec(x) for x in xs]
    shape = [n for i, n in enumerate(specs[0].shape) if i not in axes]
    op = hlo("stablehlo.reduce", list(xs) + list(inits),
             [ttype(shape, s.dtype) for s in specs], {"dimensions": i64s(sorted(axes))},
             regions=1)
    scalar_body(op, 0, [s.dtype for s in specs], body)
    return list(op.results)


BINARY_OPS = {
    "add": "stablehlo.add", "mul": "stablehlo.multiply", "max": "stablehlo.maximum",
    "min": "stablehlo.minimum", "and": "stablehlo.and", "or": "stablehlo.or",
}


def max_or_min(kind, a, b) -> ir.Value:
    """maximum / minimum (`kind` max or min); complex numbers ordered lexicographically,
    real parts then imaginary parts, as JAX's max_hlo / min_hlo."""
    if not is_complex(spec(a).dtype):
        return same(BINARY_OPS[kind], a, b)
    direction = "GT" if kind == "max" else "LT"
    ra, rb = real_part(a), real_part(b)
    first = select(compare("EQ", ra, rb), compare(direction, imag_part(a), imag_part(b)),
                   compare(direction, ra, rb))
    return select(first, a, b)


def binary(kind):
    """A reducer body of one op (`kind` as in BINARY_OPS)."""
    if kind in ("max", "min"):
        return lambda a, b: [max_or_min(kind, a, b)]
    return lambda a, b: [same(BINARY_OPS[kind], a, b)]
