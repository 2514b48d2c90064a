"""The one way rules build IR: `Builder`.

Every rule table (autodiff's JVP and VJP rules, vmap's batching rules) and every rewrite
(mlax-algebraic) builds mlax ops through a Builder, at the current insertion point and at
one location (that of the op being transformed, so a derivative op points at the user's
line):

    b = Builder(op.location)
    b.mul(g, b.cos(x))                       # any op of mlax.dialects.OPS by its short name
    b.reduce_sum(x, axes=(0,))               # attributes as Python values
    b.emit("mlax.and", [p, q])               # a computed name, or one Python reserves
    b.full((3,), np.float32, 0)              # splat constants
    b.call("f_jvp", operands, result_types)  # func.call

Result types come from the op's type rule (mlax.dialects.create), so no rule spells them.
An op whose operands do not fit its rule is a PassTypeError naming the op being
transformed, the op being built, and the location.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith
from mlir.dialects import func as func_d

from mlax.dialects import OPS, create, dense_attr, spec_of_type, tensor_type
from mlax.passes import PassTypeError
from mlax.runtime.dtypes import is_float


def splat(shape, dtype, value) -> ir.Value:
    """An arith.constant of `shape` and `dtype` holding `value` everywhere (at the current
    insertion point and location)."""
    t = tensor_type(shape, dtype)
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        # The bindings make no complex splat: a 0-d constant, broadcast.
        scalar = arith.ConstantOp(tensor_type((), dtype),
                                  dense_attr(np.array(value, dtype))).result
        if not shape:
            return scalar
        return create("mlax.broadcast_in_dim", [scalar],
                      {"shape": tuple(shape), "broadcast_dimensions": ()})[0]
    if is_float(dtype):
        elt = ir.FloatAttr.get(t.element_type, float(value))
    else:
        elt = ir.IntegerAttr.get(t.element_type, int(value))
    attr = ir.DenseElementsAttr.get_splat(t, elt)
    return arith.ConstantOp(t, attr).result


def zeros(t: ir.Type, loc=None) -> ir.Value:
    """A splat constant 0 of the tensor type `t`."""
    s = spec_of_type(t)
    with loc or ir.Location.unknown():
        return splat(s.shape, s.dtype, 0)


def call(callee: str, result_types, operands, loc=None) -> list:
    """`func.call @callee(operands)` at the current insertion point; its results."""
    with loc or ir.Location.unknown():
        return list(func_d.CallOp(list(result_types), callee, list(operands)).results)


class Builder:
    """Builds ops at the current insertion point, all at `loc`. `origin` says what is being
    transformed, for the message when a built op is ill-typed (e.g. "the jvp rule of
    'mlax.sin'")."""

    def __init__(self, loc=None, origin: str | None = None):
        self.loc = loc
        self.origin = origin

    def emit(self, name, operands, **attrs) -> list:
        """The op `name` (full name, "mlax.add") on `operands`; its results, as a list."""
        try:
            return create(name, list(operands), attrs, loc=self.loc)
        except TypeError as e:
            if self.origin is None:
                raise
            raise PassTypeError(f"{self.origin} built an ill-typed {name}: {e}",
                                at=self.loc) from None

    def __getattr__(self, name):
        full = "mlax." + name
        if full not in OPS:
            raise AttributeError(name)

        def build(*operands, **attrs):
            results = self.emit(full, operands, **attrs)
            return results[0] if len(results) == 1 else results
        build.__name__ = name
        return build

    # -- constants -----------------------------------------------------------------------
    def full(self, shape, dtype, value) -> ir.Value:
        with self.loc or ir.Location.unknown():
            return splat(shape, dtype, value)

    def constant(self, arr: np.ndarray) -> ir.Value:
        """An arith.constant holding the NumPy array `arr`."""
        with self.loc or ir.Location.unknown():
            return arith.ConstantOp(tensor_type(arr.shape, arr.dtype), dense_attr(arr)).result

    def full_like(self, v, value) -> ir.Value:
        s = spec_of_type(v.type)
        return self.full(s.shape, s.dtype, value)

    def zeros_like(self, v) -> ir.Value:
        return self.full_like(v, 0)

    def ones_like(self, v) -> ir.Value:
        return self.full_like(v, 1)

    def scalar(self, v, value) -> ir.Value:
        """A 0-d constant of v's dtype."""
        return self.full((), spec_of_type(v.type).dtype, value)

    def array(self, value: np.ndarray) -> ir.Value:
        """An arith.constant holding the NumPy array `value`."""
        with self.loc or ir.Location.unknown():
            attr = dense_attr(np.asarray(value))
            return arith.ConstantOp(attr.type, attr).result

    # -- calls and small compositions -----------------------------------------------------
    def call(self, callee: str, operands, result_types) -> list:
        return call(callee, result_types, operands, self.loc)

    def add_any(self, a, b):
        """a + b where None is a symbolic zero."""
        if a is None:
            return b
        if b is None:
            return a
        return self.add(a, b)
