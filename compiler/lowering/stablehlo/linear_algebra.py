"""Linear algebra. cholesky and triangular_solve are StableHLO's ops, as JAX lowers them for
TPUs (jax/_src/lax/linalg.py). StableHLO has no other factorization: on TPUs XLA expands
JAX's own algorithms (QDWH, Jacobi, blocked Householder), on its CPU platform JAX calls
LAPACK through custom calls that jaxlib's CPU client registers. geqrf, householder_product
(orgqr / ungqr), eigh (syevd / heevd), svd (gesdd), lu (getrf), eig (geev), schur (gees)
and qr (geqrf or, pivoted, geqp3, then orgqr / ungqr) are those custom calls, as JAX
emits them, so they run on XLA's CPU client standing in for a TPU but not on a TPU itself
(mlax.runtime.tpu loads LAPACK's routines before the first call)."""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax.dialects import TensorSpec
from mlax.lowering.stablehlo.builders import (binary, block, boolean, broadcast, compare, const,
                                              dims, enum_attr, hlo, i64, i64s, is_float, op1,
                                              reduce, ret, same, select, spec, ttype)


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


# ---------------------------------------------------------------------------------------
# LAPACK through the custom calls jaxlib's CPU client registers

_PREFIX = {np.dtype(np.float32): "s", np.dtype(np.float64): "d",
           np.dtype(np.complex64): "c", np.dtype(np.complex128): "z"}


def _layout(rank, matrix) -> ir.Attribute:
    """Column-major matrices (batch dims outermost), row-major anything else."""
    order = (rank - 2, rank - 1, *range(rank - 3, -1, -1)) if matrix else range(rank - 1, -1, -1)
    return ir.Attribute.parse(f"dense<{dims(order) if rank else ''}> : tensor<{rank}xindex>")


def lapack(routine, operands, result_specs, config=None, aliases=()) -> list:
    """The results of jaxlib's LAPACK handler `routine` (e.g. "geqrf") for the operands'
    dtype: matrices (the operands and results of the largest rank) column-major, batch dims
    first; `aliases` pairs (result, operand) that share a buffer, as JAX declares them."""
    specs = [spec(v) for v in operands]
    rank = max(len(s.shape) for s in specs)
    target = f"lapack_{_PREFIX[specs[0].dtype]}{routine}_ffi"
    alias_attrs = [enum_attr("#stablehlo.output_operand_alias<output_tuple_indices = "
                             f"{[r] if len(result_specs) > 1 else []}, operand_index = {o}, "
                             "operand_tuple_indices = []>")
                   for r, o in aliases]
    attrs = {
        "call_target_name": ir.StringAttr.get(target),
        "api_version": ir.IntegerAttr.get(ir.IntegerType.get_signless(32), 1),
        "backend_config": ir.StringAttr.get(""),
        "has_side_effect": boolean(False),
        "operand_layouts": ir.ArrayAttr.get([_layout(len(s.shape), len(s.shape) == rank)
                                             for s in specs]),
        "result_layouts": ir.ArrayAttr.get([_layout(len(s.shape), len(s.shape) == rank)
                                            for s in result_specs]),
        "output_operand_aliases": ir.ArrayAttr.get(alias_attrs),
        "mhlo.backend_config": ir.Attribute.parse(config or "{}"),
        "mhlo.frontend_attributes": ir.Attribute.parse(
            f'{{num_batch_dims = "{rank - 2}"}}'),
    }
    return list(hlo("stablehlo.custom_call", operands,
                    [ttype(s.shape, s.dtype) for s in result_specs], attrs).results)


def _nan_where(failed, *xs) -> list:
    """The xs, with their matrices (vectors) all NaN where `failed` (one bool per matrix of
    the batch: LAPACK's info said so), as JAX's."""
    batch = spec(failed).shape
    out = []
    for x in xs:
        s = spec(x)
        mask = broadcast(failed, s.shape, range(len(batch)))
        out.append(select(mask, const(s.dtype, np.nan, s.shape), x))
    return out


def _nonzero(info):
    return compare("NE", info, const(np.int32, 0, spec(info).shape))


def _geqrf(op):
    return lapack("geqrf", op.operands, op.out_specs, aliases=[(0, 0)])


def _householder_product(op):
    return lapack("orgqr" if is_float(op.in_specs[0].dtype) else "ungqr", op.operands,
                  op.out_specs, aliases=[(0, 0)])


def _eigh(op):
    """syevd / heevd (vectors, ascending eigenvalues, info), NaN where it fails, as JAX."""
    x = op.in_specs[0]
    routine = "syevd" if is_float(x.dtype) else "heevd"
    uplo = "L" if op.attrs["lower"] else "U"
    info = TensorSpec(x.shape[:-2], np.dtype(np.int32))
    v, w, info = lapack(routine, op.operands, [*op.out_specs, info],
                        config=f"{{mode = {ord('V')} : ui8, uplo = {ord(uplo)} : ui8}}",
                        aliases=[(0, 0)])
    return _nan_where(_nonzero(info), v, w)


def _svd(op):
    """gesdd (all of u and vt, or their first min(m, n) columns / rows), NaN where it fails,
    as JAX."""
    x = op.in_specs[0]
    *batch, m, n = x.shape
    s_spec, u_spec, vt_spec = op.out_specs
    if m == 0 or n == 0:
        return [const(s_spec.dtype, 0, s_spec.shape), _identity_q(u_spec), _identity_q(vt_spec)]
    mode = "A" if op.attrs["full_matrices"] else "S"
    info = TensorSpec(tuple(batch), np.dtype(np.int32))
    _, s, u, vt, info = lapack("gesdd", op.operands, [x, s_spec, u_spec, vt_spec, info],
                               config=f"{{mode = {ord(mode)} : ui8}}", aliases=[(0, 0)])
    return _nan_where(_nonzero(info), s, u, vt)


def _lu(op):
    """getrf (0-based pivots; NaN where its info is negative, an illegal argument), and the
    permutation its row swaps make, as JAX's lu lowering for its CPU."""
    x = op.in_specs[0]
    *batch, m, n = x.shape
    lu_spec, pivots_spec, permutation_spec = op.out_specs
    if m == 0 or n == 0:
        return [op.operands[0], const(np.int32, 0, pivots_spec.shape),
                op1("stablehlo.iota", [], ttype(permutation_spec.shape, np.int32),
                    iota_dimension=i64(len(batch)))]
    info = TensorSpec(tuple(batch), np.dtype(np.int32))
    lu, pivots, info = lapack("getrf", op.operands, [lu_spec, pivots_spec, info],
                              aliases=[(0, 0)])
    pivots = same("stablehlo.subtract", pivots, const(np.int32, 1, pivots_spec.shape))
    lu, = _nan_where(compare("LT", info, const(np.int32, 0, batch)), lu)
    return [lu, pivots, _permutation(pivots, m)]


def _permutation(pivots, m):
    """The permutation of m rows that swapping row i with row pivots[..., i], for each i in
    turn, makes (JAX's lu_pivots_to_permutation): a stablehlo.while over the swaps, each
    reading and writing the two entries by comparing positions (they differ per matrix)."""
    *batch, k = spec(pivots).shape
    shape = (*batch, m)
    perm_type, index_type = ttype(shape, np.int32), ttype((), np.int32)
    rank = len(shape)
    start = op1("stablehlo.iota", [], perm_type, iota_dimension=i64(rank - 1))
    loop = hlo("stablehlo.while", [const(np.int32, 0), start, pivots],
               [index_type, perm_type, pivots.type], regions=2)
    before = block(loop, 0, [index_type, perm_type, pivots.type])
    with ir.InsertionPoint(before):
        ret([compare("LT", before.arguments[0], const(np.int32, k))])
    after = block(loop, 1, [index_type, perm_type, pivots.type])
    with ir.InsertionPoint(after):
        i, perm, swaps = after.arguments
        zero = const(np.int32, 0)
        j = op1("stablehlo.dynamic_slice", [swaps, *[zero] * len(batch), i],
                ttype((*batch, 1), np.int32), slice_sizes=i64s([*batch, 1]))
        j = broadcast(j, shape, range(rank))
        positions = op1("stablehlo.iota", [], perm_type, iota_dimension=i64(rank - 1))
        at_i = compare("EQ", positions, broadcast(i, shape, []))
        at_j = compare("EQ", positions, j)

        def entry(at):
            picked = select(at, perm, const(np.int32, 0, shape))
            total, = reduce([picked], [zero], [rank - 1], binary("add"))
            return broadcast(total, shape, range(rank - 1))

        p_i, p_j = entry(at_i), entry(at_j)
        perm = select(at_i, p_j, select(at_j, p_i, perm))
        ret([same("stablehlo.add", i, const(np.int32, 1)), perm, swaps])
    return loop.results[1]


_COMPUTE = {True: ord("V"), False: ord("N")}     # jaxlib's eig / schur ComputationMode


def _eig(op):
    """geev (real: the eigenvalues' real and imaginary parts; complex eigenvectors), NaN
    where it fails, as JAX; an eigenvector result not asked for has no columns."""
    x = op.in_specs[0]
    w_spec, vl_spec, vr_spec = op.out_specs
    left, right = op.attrs["compute_left"], op.attrs["compute_right"]
    if 0 in x.shape:
        return [const(sp.dtype, 0, sp.shape) for sp in op.out_specs]
    vectors = TensorSpec(x.shape, w_spec.dtype)
    info = TensorSpec(x.shape[:-2], np.dtype(np.int32))
    values = [TensorSpec(x.shape[:-1], x.dtype)] * (2 if is_float(x.dtype) else 1)
    *w, vl, vr, info = lapack(
        "geev", op.operands, [*values, vectors, vectors, info],
        config=f"{{compute_left = {_COMPUTE[left]} : ui8, compute_right = {_COMPUTE[right]} : ui8}}")
    if len(w) == 2:
        w = [op1("stablehlo.complex", w, ttype(w_spec.shape, w_spec.dtype))]
    w, vl, vr = _nan_where(_nonzero(info), *w, vl, vr)
    return [w, vl if left else const(vl_spec.dtype, 0, vl_spec.shape),
            vr if right else const(vr_spec.dtype, 0, vr_spec.shape)]


def _schur(op):
    """gees, unsorted (t, vs, the eigenvalues, sdim, info), NaN where it fails, as JAX;
    vs has no columns when not asked for."""
    x = op.in_specs[0]
    t_spec, vs_spec = op.out_specs
    vectors = op.attrs["compute_schur_vectors"]
    if 0 in x.shape:
        return [op.operands[0], const(vs_spec.dtype, 0, vs_spec.shape)]
    info = TensorSpec(x.shape[:-2], np.dtype(np.int32))
    values = [TensorSpec(x.shape[:-1], x.dtype)] * (2 if is_float(x.dtype) else 1)
    t, vs, *_, info = lapack("gees", op.operands, [x, x, *values, info, info],
                             config=f"{{mode = {_COMPUTE[vectors]} : ui8, sort = {ord('N')} : ui8}}",
                             aliases=[(0, 0)])
    t, vs = _nan_where(_nonzero(info), t, vs)
    return [t, vs if vectors else const(vs_spec.dtype, 0, vs_spec.shape)]


def _slice(x, limits):
    """x[..., :limits[0], :limits[1]]."""
    s = spec(x)
    shape = (*s.shape[:-2], *limits)
    return op1("stablehlo.slice", [x], ttype(shape, s.dtype),
               start_indices=i64s([0] * len(shape)), limit_indices=i64s(shape),
               strides=i64s([1] * len(shape)))


def _triu(x):
    s = spec(x)
    rank = len(s.shape)
    index = ttype(s.shape, np.int32)
    upper = compare("LE", op1("stablehlo.iota", [], index, iota_dimension=i64(rank - 2)),
                    op1("stablehlo.iota", [], index, iota_dimension=i64(rank - 1)))
    return select(upper, x, const(s.dtype, 0, s.shape))


def _qr(op):
    """geqrf, then orgqr / ungqr of its reflectors (zero-padded to m columns for a full q
    of a tall matrix), as JAX's qr lowering composes them."""
    x = op.in_specs[0]
    q_spec, r_spec = op.out_specs
    if 0 in x.shape[-2:]:
        return [_identity_q(q_spec), const(r_spec.dtype, 0, r_spec.shape)]
    a, taus = lapack("geqrf", op.operands, [x, _taus(x)], aliases=[(0, 0)])
    return _q_and_r(a, taus, x, q_spec, r_spec, op.attrs["full_matrices"])


def _qr_pivoted(op):
    """geqp3 (from no fixed columns; its 1-based column pivots made 0-based), then q and r
    as qr's, as JAX."""
    x = op.in_specs[0]
    q_spec, r_spec, p_spec = op.out_specs
    if 0 in x.shape[-2:]:
        return [_identity_q(q_spec), const(r_spec.dtype, 0, r_spec.shape),
                op1("stablehlo.iota", [], ttype(p_spec.shape, np.int32),
                    iota_dimension=i64(len(p_spec.shape) - 1))]
    free = const(np.int32, 0, p_spec.shape)
    a, p, taus = lapack("geqp3", [op.operands[0], free], [x, p_spec, _taus(x)],
                        aliases=[(0, 0), (1, 1)])
    p = same("stablehlo.subtract", p, const(np.int32, 1, p_spec.shape))
    return [*_q_and_r(a, taus, x, q_spec, r_spec, op.attrs["full_matrices"]), p]


def _taus(x):
    *batch, m, n = x.shape
    return TensorSpec((*batch, min(m, n)), x.dtype)


def _q_and_r(a, taus, x, q_spec, r_spec, full_matrices):
    *batch, m, n = x.shape
    routine = "orgqr" if is_float(x.dtype) else "ungqr"
    if m < n:
        reflectors = _slice(a, (m, m))
    elif full_matrices:
        reflectors = op1("stablehlo.pad", [a, const(x.dtype, 0)],
                         ttype((*batch, m, m), x.dtype),
                         edge_padding_low=i64s([0] * len(x.shape)),
                         edge_padding_high=i64s([0] * (len(x.shape) - 1) + [m - n]),
                         interior_padding=i64s([0] * len(x.shape)))
    else:
        reflectors = a
    q, = lapack(routine, [reflectors, taus], [q_spec], aliases=[(0, 0)])
    return [q, _triu(_slice(a, r_spec.shape[-2:]))]


def _identity_q(q):
    """The q of an empty matrix: the identity's first columns."""
    rank = len(q.shape)
    index = ttype(q.shape, np.int32)
    diagonal = compare("EQ", op1("stablehlo.iota", [], index, iota_dimension=i64(rank - 2)),
                       op1("stablehlo.iota", [], index, iota_dimension=i64(rank - 1)))
    return select(diagonal, const(q.dtype, 1, q.shape), const(q.dtype, 0, q.shape))


LOWERINGS.update({
    "mlax.geqrf": _geqrf,
    "mlax.householder_product": _householder_product,
    "mlax.eigh": _eigh,
    "mlax.qr": _qr,
    "mlax.qr_pivoted": _qr_pivoted,
    "mlax.svd": _svd,
    "mlax.lu": _lu,
    "mlax.eig": _eig,
    "mlax.schur": _schur,
})
