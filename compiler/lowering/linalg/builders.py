"""Builders shared by the families of `--mlax-lower-to-linalg` rules: storage types,
constants, `linalg.generic`, slices, index values and loop nests.

Storage types: unsigned integers are signless after lowering, and bool is stored as `i8`
(LLVM stores bytes) but seen as `i1` inside a generic's body (`generic` converts).
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, complex as complex_d, scf, tensor

from mlax.lowering import linalg_ops as linalg
from mlax.dialects import element_type, signless
from mlax.dialects.types import TensorSpec
from mlax.runtime.dtypes import is_float  # noqa: F401  (the rule modules take it from here)


# ---------------------------------------------------------------------------------------
# Types and constants


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


def is_complex(dtype):
    return np.dtype(dtype).kind == "c"


def is_unsigned(dtype):
    return np.dtype(dtype).kind == "u"


def is_bool(dtype):
    return np.dtype(dtype) == np.bool_


def int_type_of(dtype):
    """The signless integer type of `dtype`'s width (a float's bits)."""
    return ir.IntegerType.get_signless(np.dtype(dtype).itemsize * 8)


def wrap(value, dtype):
    """`value` as the signed integer of `dtype`'s width with the same bits."""
    width = np.dtype(dtype).itemsize * 8
    value = int(value) % (2 ** width)
    return value - 2 ** width if value >= 2 ** (width - 1) else value


def scalar_const(dtype, value, storage=False) -> ir.Value:
    """An arith.constant of `dtype`: of its body type (i1 for bool), or with `storage`
    its stored type."""
    t = el(dtype) if storage else scalar_type(dtype)
    if is_complex(dtype):
        part = ir.ComplexType(t).element_type
        value = complex(value)
        return complex_d.constant(t, ir.ArrayAttr.get([ir.FloatAttr.get(part, value.real),
                                                       ir.FloatAttr.get(part, value.imag)]))
    if is_float(dtype):
        return arith.constant(t, float(value))
    if is_bool(dtype):
        return arith.constant(t, int(bool(value)))
    v = int(value)
    width = np.dtype(dtype).itemsize * 8
    if v >= 2 ** (width - 1):   # unsigned values above the signed range wrap
        v -= 2 ** width
    return arith.constant(t, v)


# ---------------------------------------------------------------------------------------
# linalg.generic


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
    """One elementwise linalg.generic: body(*input_scalars) -> the result's scalar."""
    n = len(out_spec.shape)
    return generic([out_spec], inputs, in_dtypes, [identity(n)] * len(inputs), [identity(n)],
                   ["parallel"] * n, lambda *a: [body(*a[:len(inputs)])])[0]


# ---------------------------------------------------------------------------------------
# Shapes


def reassoc_attr(groups):
    """The reassociation attribute of collapse_shape / expand_shape: groups of dims."""
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(ir.IntegerType.get_signless(64), i)
                                               for i in g]) for g in groups])


def extent(shape, axes):
    """The number of elements along `axes` of `shape`."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def drop_dim(x: TensorSpec, axis, size=None):
    """x's spec without dim `axis`, or with it resized to `size`."""
    shape = list(x.shape)
    if size is None:
        del shape[axis]
    else:
        shape[axis] = size
    return TensorSpec(tuple(shape), x.dtype)


# ---------------------------------------------------------------------------------------
# Index values, slices and loops


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

