"""cholesky and triangular_solve: StableHLO's ops, as JAX lowers them for TPUs
(jax/_src/lax/linalg.py). The other factorizations have no StableHLO op: JAX calls LAPACK
through custom calls on its CPU platform and solver libraries on GPUs, neither of which a
TPU has (the driver's UNSUPPORTED says so)."""
from __future__ import annotations

import numpy as np

from mlax.lowering.stablehlo.builders import (boolean, broadcast, compare, const, enum_attr, i64,
                                              op1, reduce, same, select, ttype)


def _cholesky(op):
    """The lower factor with zeros above the diagonal (JAX's tril of it); the lower triangle
    of a matrix whose factor has a NaN (not positive definite) all NaN, as JAX's."""
    x, s = op.operands[0], op.in_specs[0]
    rank = len(s.shape)
    factor = op1("stablehlo.cholesky", [x], x.type, lower=boolean(True))
    index = ttype(s.shape, np.int32)
    lower = compare("GE", op1("stablehlo.iota", [], index, iota_dimension=i64(rank - 2)),
                    op1("stablehlo.iota", [], index, iota_dimension=i64(rank - 1)))
    zero = const(s.dtype, 0, s.shape)
    factor = select(lower, factor, zero)     # XLA leaves the upper triangle undefined
    failed, = reduce([compare("NE", factor, factor)], [const(np.bool_, False)],
                     [rank - 2, rank - 1], lambda a, b: [same("stablehlo.or", a, b)])
    failed = broadcast(failed, s.shape, range(rank - 2))
    return [select(lower, select(failed, const(s.dtype, np.nan, s.shape), factor), zero)]


def _triangular_solve(op):
    a = op.attrs
    out = op.out_specs[0]
    transpose = "TRANSPOSE" if a["transpose_a"] else "NO_TRANSPOSE"
    return [op1("stablehlo.triangular_solve", op.operands, ttype(out.shape, out.dtype),
                left_side=boolean(a["left_side"]), lower=boolean(a["lower"]),
                unit_diagonal=boolean(a["unit_diagonal"]),
                transpose_a=enum_attr(f"#stablehlo<transpose {transpose}>"))]


LOWERINGS = {
    "mlax.cholesky": _cholesky,
    "mlax.triangular_solve": _triangular_solve,
}
