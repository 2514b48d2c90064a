"""Linear algebra: cholesky, lu, triangular_solve, qr, eigh, svd, eig, schur, geqrf and
householder_product as calls of LAPACK.

As XLA does on CPU, each op becomes calls of a LAPACK routine, one per matrix of the batch
(an scf.for over the batch dims). The routines are those of OpenBLAS as the
`scipy-openblas32` wheel builds it: 32-bit integers, symbols prefixed `scipy_` (`scipy_dpotrf_`);
they are declared in the module as external functions of pointers, which the process's JIT
(and a saved module's loader) resolves in that library (mlax.runtime.cpu.runtime_libraries).

LAPACK works in place on column-major matrices and takes every argument by reference. A
rule therefore copies each matrix operand, transposed, into a fresh buffer
(`memref.alloc`), passes the buffers' addresses and those of small buffers holding the
integer and character arguments (and the hidden lengths of the character arguments, as
gfortran passes them), and reads the buffers back as tensors (`bufferization.to_tensor
restrict`), transposed again. Workspace sizes are computed here from the static shapes
(LAPACK's documented minimums, with room for blocking), so no workspace query is made.
What LAPACK leaves undefined is masked with linalg.generic ops: the other triangle, and
NaN for a matrix whose factorization failed (`info != 0`), as JAX returns.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import (arith, bufferization, complex as complex_d, func, llvm, memref,
                          scf, tensor)

from mlax.lowering import linalg_ops as linalg
from mlax.dialects.ops import real_dtype
from mlax.dialects.types import TensorSpec
from mlax.lowering.linalg.builders import (amap, el, extract_slice, filled, generic, identity,
                                           index_const, insert_slice, loop_nest, reassoc_attr,
                                           scalar_const, ttype)
from mlax.passes import PassError

PREFIX = "scipy_"
_I32 = np.dtype(np.int32)


# ---------------------------------------------------------------------------------------
# Buffers, pointers and calls


def _memref(shape, dtype) -> ir.Value:
    return memref.AllocOp(ir.MemRefType.get(list(shape), el(dtype)), [], []).result


def _ptr(buf, offset=None) -> ir.Value:
    """The address of `buf`'s element `offset` (an index Value counting elements)."""
    addr = memref.extract_aligned_pointer_as_index(buf)
    if offset is not None:
        width = np.dtype(_dtype_of(ir.MemRefType(buf.type).element_type)).itemsize
        addr = arith.addi(addr, arith.muli(offset, index_const(width)))
    i64 = ir.IntegerType.get_signless(64)
    return llvm.inttoptr(llvm.PointerType.get(), arith.index_cast(i64, addr))


def _dtype_of(t: ir.Type) -> np.dtype:
    """The NumPy dtype of a buffer element type (f32, i32, complex<f64>, ...)."""
    if isinstance(t, ir.ComplexType):
        part = t.element_type.width
        return np.dtype(np.complex64 if part == 32 else np.complex128)
    return np.dtype(f"i{t.width // 8}") if isinstance(t, ir.IntegerType) else \
        np.dtype(f"f{t.width // 8}")


def _scalar_ptr(dtype, value) -> ir.Value:
    """The address of a one-element buffer holding `value` (Fortran passes by reference)."""
    buf = _memref([1], dtype)
    memref.store(scalar_const(dtype, value, storage=True), buf, [index_const(0)])
    return _ptr(buf)


class _Call:
    """One LAPACK/BLAS routine: `_Call("potrf", dtype)(args, chars)` calls
    scipy_{s,d}potrf_(*args, *hidden lengths of the character arguments)."""

    def __init__(self, routine, dtype, module):
        kind = {np.dtype(np.float32): "s", np.dtype(np.float64): "d",
                np.dtype(np.complex64): "c", np.dtype(np.complex128): "z"}.get(np.dtype(dtype))
        if kind is None:
            raise PassError(f"LAPACK's {routine} has no {np.dtype(dtype).name} version")
        self.name = f"{PREFIX}{kind}{routine}_"
        self.module = module

    def __call__(self, args, n_chars):
        i64 = ir.IntegerType.get_signless(64)
        lengths = [arith.constant(i64, 1) for _ in range(n_chars)]
        types = [a.type for a in args] + [i64] * n_chars
        self._declare(types)
        func.CallOp([], self.name, list(args) + lengths)

    def _declare(self, types):
        table = ir.SymbolTable(self.module)
        if self.name in table:
            return
        with ir.InsertionPoint.at_block_begin(self.module.regions[0].blocks[0]), \
                ir.Location.unknown():
            f = func.FuncOp(self.name, ir.FunctionType.get(types, []), visibility="private")
        del f


def _module_of(op) -> ir.Operation:
    m = op.op.operation
    while m.name != "builtin.module":
        m = m.parent
    return m


def _routine(op, routine, dtype):
    return _Call(routine, dtype, _module_of(op))


def _over_batch(count, body):
    """body(b) for b in range(count) (b an index Value): one scf.for with no results."""
    loop = scf.ForOp(index_const(0), index_const(count), index_const(1), [])
    with ir.InsertionPoint(loop.body):
        body(loop.induction_variable)
        scf.YieldOp([])


def _at(b, size) -> ir.Value:
    """The offset of matrix `b` of a batch of matrices of `size` elements each."""
    return arith.muli(b, index_const(size))


# ---------------------------------------------------------------------------------------
# Tensors in and out of column-major buffers


def _swap_last(v, spec: TensorSpec) -> ir.Value:
    """v (of `spec`) with its last two dims swapped."""
    r = len(spec.shape)
    perm = list(range(r - 2)) + [r - 1, r - 2]
    out = TensorSpec(tuple(spec.shape[p] for p in perm), spec.dtype)
    return generic([out], [v], [spec.dtype], [amap(r, perm)], [identity(r)],
                   ["parallel"] * r, lambda a, _: [a])[0]


def _batch_groups(nb, inner):
    """The reassociation of (*batch, *inner) with (count, *inner): the batch dims in one."""
    if nb == 0:   # the unit count dim joins the first inner dim (a scalar has none)
        return reassoc_attr([[0, 1]] + [[i + 1] for i in range(1, inner)] if inner else [])
    return reassoc_attr([list(range(nb))] + [[nb + i] for i in range(inner)])


def _flatten_batch(v, batch, inner, dtype) -> ir.Value:
    """v (*batch, *inner) as (count, *inner): the batch dims collapsed into one."""
    batch, inner = tuple(batch), tuple(inner)
    if len(batch) == 1:
        return v
    out = ttype(TensorSpec((_count(batch),) + inner, np.dtype(dtype)))
    if not batch:
        return tensor.ExpandShapeOp(out, v, _batch_groups(0, len(inner)), [],
                                    ir.DenseI64ArrayAttr.get([1, *inner])).result
    return tensor.CollapseShapeOp(out, v, _batch_groups(len(batch), len(inner))).result


def _unflatten_batch(v, batch, inner, dtype) -> ir.Value:
    """v (count, *inner) as (*batch, *inner)."""
    batch, inner = tuple(batch), tuple(inner)
    if len(batch) == 1:
        return v
    out = ttype(TensorSpec(batch + inner, np.dtype(dtype)))
    if not batch:
        return tensor.CollapseShapeOp(out, v, _batch_groups(0, len(inner))).result
    return tensor.ExpandShapeOp(out, v, _batch_groups(len(batch), len(inner)), [],
                                ir.DenseI64ArrayAttr.get([*batch, *inner])).result


def _to_buffer(t, shape, dtype) -> ir.Value:
    """A fresh buffer holding the tensor `t` (of `shape`)."""
    buf = _memref(shape, dtype)
    bufferization.MaterializeInDestinationOp(None, t, buf, restrict=True, writable=True)
    return buf


def _to_tensor(buf, shape, dtype) -> ir.Value:
    t = ir.RankedTensorType.get(list(shape), el(dtype))
    return bufferization.ToTensorOp(t, buf, restrict=True, writable=True).result


def _column_major(v, spec: TensorSpec, count):
    """A buffer (count, cols, rows) holding the matrices of `v` (..., rows, cols) column-major."""
    rows, cols = spec.shape[-2:]
    t = _swap_last(v, spec)
    t = _flatten_batch(t, spec.shape[:-2], (cols, rows), spec.dtype)
    return _to_buffer(t, (count, cols, rows), spec.dtype)


def _row_major(buf, batch, rows, cols, dtype) -> ir.Value:
    """The tensor (*batch, rows, cols) of the column-major matrices in buf (count, cols, rows)."""
    count = int(np.prod(batch, dtype=np.int64))
    t = _to_tensor(buf, (count, cols, rows), dtype)
    t = _swap_last(t, TensorSpec((count, cols, rows), np.dtype(dtype)))
    return _unflatten_batch(t, batch, (rows, cols), dtype)


def _batch_tensor(buf, batch, inner, dtype) -> ir.Value:
    """The tensor (*batch, *inner) of a buffer (count, *inner)."""
    count = int(np.prod(batch, dtype=np.int64))
    t = _to_tensor(buf, (count,) + tuple(inner), dtype)
    return _unflatten_batch(t, batch, inner, dtype)


def _nan_where_failed(v, spec: TensorSpec, info, batch, mask_lower=None):
    """v where its matrix's `info` is 0, else NaN; with `mask_lower` (True: keep the lower
    triangle, False: the upper) zeros outside that triangle (JAX's values, NaN or not)."""
    r = len(spec.shape)
    nb = len(batch)
    def body(x, ok, _):
        zero = arith.constant(ir.IntegerType.get_signless(32), 0)
        good = arith.cmpi(arith.CmpIPredicate.eq, ok, zero)
        nan = complex(np.nan, np.nan) if spec.dtype.kind == "c" else np.nan   # JAX's NaN
        x = arith.select(good, x, scalar_const(spec.dtype, nan))
        if mask_lower is not None:
            i = linalg.IndexOp(r - 2).result
            j = linalg.IndexOp(r - 1).result
            pred = arith.CmpIPredicate.sge if mask_lower else arith.CmpIPredicate.sle
            x = arith.select(arith.cmpi(pred, i, j), x, scalar_const(spec.dtype, 0))
        return [x]
    return generic([spec], [v, info], [spec.dtype, _I32], [identity(r), amap(r, range(nb))],
                   [identity(r)], ["parallel"] * r, body)[0]


def _eye(spec: TensorSpec) -> ir.Value:
    """Ones on the diagonal of each (..., rows, cols) matrix, zeros elsewhere."""
    r = len(spec.shape)
    def body(_):
        i = linalg.IndexOp(r - 2).result
        j = linalg.IndexOp(r - 1).result
        return [arith.select(arith.cmpi(arith.CmpIPredicate.eq, i, j),
                             scalar_const(spec.dtype, 1), scalar_const(spec.dtype, 0))]
    return generic([spec], [], [], [], [identity(r)], ["parallel"] * r, body)[0]


def _count(batch):
    return int(np.prod(batch, dtype=np.int64))


def _lapack_int(n, what):
    if n > np.iinfo(np.int32).max:
        raise PassError(f"{what} of {n} elements exceeds LAPACK's 32-bit integers")
    return int(n)


def _info_buffer(count):
    return _memref((max(count, 1),), _I32)


# ---------------------------------------------------------------------------------------
# The rules


def _cholesky_rule(op):
    x = op.in_specs[0]
    batch, n = x.shape[:-2], x.shape[-1]
    count = _count(batch)
    if n == 0 or count == 0:
        return [op.operands[0]]
    potrf = _routine(op, "potrf", x.dtype)
    a = _column_major(op.operands[0], x, count)
    info = _info_buffer(count)
    uplo, size = _scalar_ptr(np.int8, ord("L")), _scalar_ptr(_I32, _lapack_int(n, "cholesky"))
    _over_batch(count, lambda b: potrf([uplo, size, _ptr(a, _at(b, n * n)), size, _ptr(info, b)], 1))
    l = _row_major(a, batch, n, n, x.dtype)
    return [_nan_where_failed(l, x, _batch_tensor(info, batch, (), _I32), batch, mask_lower=True)]


def _lu_rule(op):
    x = op.in_specs[0]
    _, piv_spec, perm_spec = op.out_specs
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k = min(m, n)
    count = _count(batch)
    if count == 0 or k == 0:
        perm = generic([perm_spec], [], [], [], [identity(len(perm_spec.shape))],
                       ["parallel"] * len(perm_spec.shape),
                       lambda _: [arith.index_cast(el(_I32), linalg.IndexOp(len(batch)).result)])[0]
        return [op.operands[0], filled(piv_spec, 0), perm]
    getrf = _routine(op, "getrf", x.dtype)
    a = _column_major(op.operands[0], x, count)
    ipiv = _memref((count, k), _I32)
    info = _info_buffer(count)
    rows = _scalar_ptr(_I32, _lapack_int(m, "lu"))
    cols = _scalar_ptr(_I32, _lapack_int(n, "lu"))
    _over_batch(count, lambda b: getrf([rows, cols, _ptr(a, _at(b, m * n)), rows,
                                        _ptr(ipiv, _at(b, k)), _ptr(info, b)], 0))
    # The permutation: the identity with rows i and ipiv[i] - 1 swapped, in order.
    perm = _memref((count, m), _I32)
    i32 = el(_I32)
    one = arith.constant(i32, 1)

    def permute(b):
        def init(ivs):
            memref.store(arith.index_cast(i32, ivs[0]), perm, [b, ivs[0]])
            return []
        loop_nest([m], [], init)

        def swap(ivs):
            i = ivs[0]
            j = arith.index_cast(ir.IndexType.get(),
                                 arith.subi(memref.load(ipiv, [b, i]), one))
            pi, pj = memref.load(perm, [b, i]), memref.load(perm, [b, j])
            memref.store(pj, perm, [b, i])
            memref.store(pi, perm, [b, j])
            return []
        loop_nest([k], [], swap)
    _over_batch(count, permute)
    lu = _row_major(a, batch, m, n, x.dtype)
    pivots = _batch_tensor(ipiv, batch, (k,), _I32)
    r = len(piv_spec.shape)
    pivots = generic([piv_spec], [pivots], [_I32], [identity(r)], [identity(r)], ["parallel"] * r,
                     lambda p, _: [arith.subi(p, one)])[0]
    return [lu, pivots, _batch_tensor(perm, batch, (m,), _I32)]


def _triangular_solve_rule(op):
    a_spec, b_spec = op.in_specs
    at = op.attrs
    batch, m = a_spec.shape[:-2], a_spec.shape[-1]
    rows, cols = b_spec.shape[-2:]
    count = _count(batch)
    if count == 0 or rows == 0 or cols == 0:
        return [op.operands[1]]
    trsm = _routine(op, "trsm", a_spec.dtype)
    a = _column_major(op.operands[0], a_spec, count)
    b = _column_major(op.operands[1], b_spec, count)
    chars = [_scalar_ptr(np.int8, ord(c)) for c in ("L" if at["left_side"] else "R",
                                                      "L" if at["lower"] else "U",
                                                      "T" if at["transpose_a"] else "N",
                                                      "U" if at["unit_diagonal"] else "N")]
    size_m = _scalar_ptr(_I32, _lapack_int(rows, "triangular_solve"))
    size_n = _scalar_ptr(_I32, _lapack_int(cols, "triangular_solve"))
    lda = _scalar_ptr(_I32, m)
    alpha = _scalar_ptr(a_spec.dtype, 1.0)
    _over_batch(count, lambda i: trsm(chars + [size_m, size_n, alpha, _ptr(a, _at(i, m * m)), lda,
                                               _ptr(b, _at(i, rows * cols)), size_m], 4))
    return [_row_major(b, batch, rows, cols, b_spec.dtype)]


def _qr_rule(op, pivoting=False):
    x = op.in_specs[0]
    q_spec, r_spec = op.out_specs[:2]
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k, qc = min(m, n), q_spec.shape[-1]
    count = _count(batch)
    if count == 0 or k == 0:
        outs = [_eye(q_spec), filled(r_spec, 0)]
        return outs + [filled(op.out_specs[2], 0)] if pivoting else outs   # JAX's zeros
    geqrf = _routine(op, "geqp3" if pivoting else "geqrf", x.dtype)
    orgqr = _routine(op, "ungqr" if x.dtype.kind == "c" else "orgqr", x.dtype)
    a = _column_major(op.operands[0], x, count)
    tau = _memref((count, k), x.dtype)
    lwork = _lapack_int(max(m, n) * 64 + 2 * n + 1, "qr's workspace")
    work = _memref((lwork,), x.dtype)
    info = _info_buffer(count)
    size_m = _scalar_ptr(_I32, _lapack_int(m, "qr"))
    size_n = _scalar_ptr(_I32, _lapack_int(n, "qr"))
    size_k, size_qc, size_w = _scalar_ptr(_I32, k), _scalar_ptr(_I32, qc), _scalar_ptr(_I32, lwork)
    if pivoting:   # geqp3: every column free to move (jpvt = 0), jpvt 1-based on return
        jpvt = _to_buffer(filled(TensorSpec((count, n), _I32), 0), (count, n), _I32)
        _over_batch(count, lambda b: geqrf([size_m, size_n, _ptr(a, _at(b, m * n)), size_m,
                                            _ptr(jpvt, _at(b, n)), _ptr(tau, _at(b, k)),
                                            _ptr(work), size_w, _ptr(info, b)], 0))
    else:
        _over_batch(count, lambda b: geqrf([size_m, size_n, _ptr(a, _at(b, m * n)), size_m,
                                            _ptr(tau, _at(b, k)), _ptr(work), size_w,
                                            _ptr(info, b)], 0))
    # a holds R above its diagonal and the Householder reflectors below, column-major.
    packed = _to_tensor(a, (count, n, m), x.dtype)
    rr = r_spec.shape[-2]
    flat_r = TensorSpec((count, rr, n), x.dtype)
    top = packed if rr == m else extract_slice(packed, [0, 0, 0], [count, n, rr])
    r = generic([flat_r], [top], [x.dtype], [amap(3, [0, 2, 1])], [identity(3)],
                ["parallel"] * 3,
                lambda v, _: [arith.select(arith.cmpi(arith.CmpIPredicate.sle,
                                                      linalg.IndexOp(1).result,
                                                      linalg.IndexOp(2).result),
                                           v, scalar_const(x.dtype, 0))])[0]
    # Q from the reflectors: orgqr on their first qc columns (zeros beyond the n of x).
    used = min(n, qc)
    reflectors = extract_slice(packed, [0, 0, 0], [count, used, m])
    q_init = insert_slice(reflectors, filled(TensorSpec((count, qc, m), x.dtype), 0), [0, 0, 0])
    q = _to_buffer(q_init, (count, qc, m), x.dtype)
    _over_batch(count, lambda b: orgqr([size_m, size_qc, size_k, _ptr(q, _at(b, m * qc)), size_m,
                                        _ptr(tau, _at(b, k)), _ptr(work), size_w,
                                        _ptr(info, b)], 0))
    outs = [_row_major(q, batch, m, qc, x.dtype), _unflatten_batch(r, batch, (rr, n), x.dtype)]
    if pivoting:
        p_spec = op.out_specs[2]
        r_ = len(p_spec.shape)
        one = arith.constant(el(_I32), 1)
        p = generic([p_spec], [_batch_tensor(jpvt, batch, (n,), _I32)], [_I32], [identity(r_)],
                    [identity(r_)], ["parallel"] * r_, lambda j, _: [arith.subi(j, one)])[0]
        outs.append(p)
    return outs


def _schur_rule(op):
    x = op.in_specs[0]
    t_spec, vs_spec = op.out_specs
    want = op.attrs["compute_schur_vectors"]
    batch, n = x.shape[:-2], x.shape[-1]
    count = _count(batch)
    if count == 0 or n == 0:
        return [op.operands[0], filled(vs_spec, 0)]
    real = x.dtype.kind == "f"
    gees = _routine(op, "gees", x.dtype)
    a = _column_major(op.operands[0], x, count)
    vs = _memref((count, n, n) if want else (1,), x.dtype)
    size = _scalar_ptr(_I32, _lapack_int(n, "schur"))
    ldvs = size if want else _scalar_ptr(_I32, 1)
    jobvs, sort = _scalar_ptr(np.int8, ord("V" if want else "N")), _scalar_ptr(np.int8, ord("N"))
    # Not referenced with sort 'N': the selection function, sdim and bwork.
    unused, sdim, bwork = _memref((1,), _I32), _memref((1,), _I32), _memref((n,), _I32)
    lwork = _lapack_int(67 * n, "schur's workspace")
    work, size_w = _memref((lwork,), x.dtype), _scalar_ptr(_I32, lwork)
    info = _info_buffer(count)
    if real:
        wr, wi = _memref((n,), x.dtype), _memref((n,), x.dtype)
        eigenvalues = [_ptr(wr), _ptr(wi)]
        rwork = []
    else:
        eigenvalues = [_ptr(_memref((n,), x.dtype))]
        rwork = [_ptr(_memref((n,), real_dtype(x.dtype)))]
    _over_batch(count, lambda b: gees(
        [jobvs, sort, _ptr(unused), size, _ptr(a, _at(b, n * n)), size, _ptr(sdim)]
        + eigenvalues + [_ptr(vs, _at(b, n * n) if want else None), ldvs, _ptr(work), size_w]
        + rwork + [_ptr(bwork), _ptr(info, b)], 2))
    ok = _batch_tensor(info, batch, (), _I32)
    t = _nan_where_failed(_row_major(a, batch, n, n, x.dtype), t_spec, ok, batch)
    if not want:
        return [t, filled(vs_spec, 0)]
    return [t, _nan_where_failed(_row_major(vs, batch, n, n, x.dtype), vs_spec, ok, batch)]


def _geqrf_rule(op):
    x = op.in_specs[0]
    _, taus_spec = op.out_specs
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k = min(m, n)
    count = _count(batch)
    if count == 0 or k == 0:
        return [op.operands[0], filled(taus_spec, 0)]
    geqrf = _routine(op, "geqrf", x.dtype)
    a = _column_major(op.operands[0], x, count)
    tau = _memref((count, k), x.dtype)
    lwork = _lapack_int(max(m, n) * 64, "geqrf's workspace")
    work, size_w = _memref((lwork,), x.dtype), _scalar_ptr(_I32, lwork)
    info = _info_buffer(count)
    size_m = _scalar_ptr(_I32, _lapack_int(m, "geqrf"))
    size_n = _scalar_ptr(_I32, _lapack_int(n, "geqrf"))
    _over_batch(count, lambda b: geqrf([size_m, size_n, _ptr(a, _at(b, m * n)), size_m,
                                        _ptr(tau, _at(b, k)), _ptr(work), size_w,
                                        _ptr(info, b)], 0))
    return [_row_major(a, batch, m, n, x.dtype), _batch_tensor(tau, batch, (k,), x.dtype)]


def _householder_product_rule(op):
    a_spec, taus_spec = op.in_specs
    batch, (m, n) = a_spec.shape[:-2], a_spec.shape[-2:]
    k = taus_spec.shape[-1]
    count = _count(batch)
    if count == 0 or n == 0:
        return [op.operands[0]]
    orgqr = _routine(op, "ungqr" if a_spec.dtype.kind == "c" else "orgqr", a_spec.dtype)
    q = _column_major(op.operands[0], a_spec, count)
    tau = _to_buffer(_flatten_batch(op.operands[1], batch, (k,), a_spec.dtype), (count, k),
                     a_spec.dtype) if k else _memref((1,), a_spec.dtype)
    lwork = _lapack_int(max(m, n) * 64, "householder_product's workspace")
    work, size_w = _memref((lwork,), a_spec.dtype), _scalar_ptr(_I32, lwork)
    info = _info_buffer(count)
    size_m = _scalar_ptr(_I32, _lapack_int(m, "householder_product"))
    size_n, size_k = _scalar_ptr(_I32, n), _scalar_ptr(_I32, k)
    _over_batch(count, lambda b: orgqr([size_m, size_n, size_k, _ptr(q, _at(b, m * n)), size_m,
                                        _ptr(tau, _at(b, k) if k else None), _ptr(work), size_w,
                                        _ptr(info, b)], 0))
    return [_row_major(q, batch, m, n, a_spec.dtype)]


def _eigh_rule(op):
    x = op.in_specs[0]
    v_spec, w_spec = op.out_specs
    batch, n = x.shape[:-2], x.shape[-1]
    count = _count(batch)
    if count == 0 or n == 0:
        return [op.operands[0], filled(w_spec, 0)]
    hermitian = x.dtype.kind == "c"
    evd = _routine(op, "heevd" if hermitian else "syevd", x.dtype)
    a = _column_major(op.operands[0], x, count)
    w = _memref((count, n), w_spec.dtype)
    if hermitian:   # cheevd / zheevd: complex work, real rwork
        lwork, lrwork = 2 * n + n * n, 1 + 5 * n + 2 * n * n
    else:
        lwork, lrwork = 1 + 6 * n + 2 * n * n, 0
    lwork = _lapack_int(lwork, "eigh's workspace")
    liwork = 3 + 5 * n
    work, iwork = _memref((lwork,), x.dtype), _memref((liwork,), _I32)
    info = _info_buffer(count)
    jobz = _scalar_ptr(np.int8, ord("V"))
    uplo = _scalar_ptr(np.int8, ord("L" if op.attrs["lower"] else "U"))
    size = _scalar_ptr(_I32, n)
    size_w, size_iw = _scalar_ptr(_I32, lwork), _scalar_ptr(_I32, liwork)
    rwork = []
    if hermitian:
        lrwork = _lapack_int(lrwork, "eigh's workspace")
        rwork = [_ptr(_memref((lrwork,), w_spec.dtype)), _scalar_ptr(_I32, lrwork)]
    _over_batch(count, lambda b: evd([jobz, uplo, size, _ptr(a, _at(b, n * n)), size,
                                      _ptr(w, _at(b, n)), _ptr(work), size_w] + rwork
                                     + [_ptr(iwork), size_iw, _ptr(info, b)], 2))
    ok = _batch_tensor(info, batch, (), _I32)
    v = _row_major(a, batch, n, n, x.dtype)
    return [_nan_where_failed(v, v_spec, ok, batch),
            _nan_where_failed(_batch_tensor(w, batch, (n,), w_spec.dtype), w_spec, ok, batch)]


def _svd_rule(op):
    x = op.in_specs[0]
    s_spec, u_spec, vt_spec = op.out_specs
    full = op.attrs["full_matrices"]
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k = min(m, n)
    uc, vr = u_spec.shape[-1], vt_spec.shape[-2]
    count = _count(batch)
    if count == 0 or k == 0:
        return [filled(s_spec, 0), _eye(u_spec), _eye(vt_spec)]
    gesdd = _routine(op, "gesdd", x.dtype)
    a = _column_major(op.operands[0], x, count)
    s = _memref((count, k), s_spec.dtype)
    u = _memref((count, uc, m), x.dtype)
    vt = _memref((count, n, vr), x.dtype)
    lwork = _lapack_int(3 * k + max(max(m, n), 5 * k * k + 4 * k) + 64 * max(m, n), "svd's workspace")
    work, iwork = _memref((lwork,), x.dtype), _memref((8 * k,), _I32)
    info = _info_buffer(count)
    jobz = _scalar_ptr(np.int8, ord("A" if full else "S"))
    size_m = _scalar_ptr(_I32, _lapack_int(m, "svd"))
    size_n = _scalar_ptr(_I32, _lapack_int(n, "svd"))
    ldvt, size_w = _scalar_ptr(_I32, vr), _scalar_ptr(_I32, lwork)
    rwork = []
    if x.dtype.kind == "c":   # cgesdd / zgesdd: a real rwork
        lrwork = _lapack_int(k * max(5 * k + 7, 2 * max(m, n) + 2 * k + 1), "svd's workspace")
        rwork = [_ptr(_memref((lrwork,), s_spec.dtype))]
    _over_batch(count, lambda b: gesdd([jobz, size_m, size_n, _ptr(a, _at(b, m * n)), size_m,
                                        _ptr(s, _at(b, k)), _ptr(u, _at(b, m * uc)), size_m,
                                        _ptr(vt, _at(b, vr * n)), ldvt, _ptr(work), size_w]
                                       + rwork + [_ptr(iwork), _ptr(info, b)], 1))
    ok = _batch_tensor(info, batch, (), _I32)
    return [_nan_where_failed(_batch_tensor(s, batch, (k,), s_spec.dtype), s_spec, ok, batch),
            _nan_where_failed(_row_major(u, batch, m, uc, x.dtype), u_spec, ok, batch),
            _nan_where_failed(_row_major(vt, batch, vr, n, x.dtype), vt_spec, ok, batch)]


def _eig_rule(op):
    x = op.in_specs[0]
    w_spec, vl_spec, vr_spec = op.out_specs
    batch, n = x.shape[:-2], x.shape[-1]
    count = _count(batch)
    left, right = op.attrs["compute_left"], op.attrs["compute_right"]
    c = w_spec.dtype
    if count == 0 or n == 0:
        return [filled(w_spec, 0), filled(vl_spec, 0), filled(vr_spec, 0)]
    real = x.dtype.kind == "f"
    geev = _routine(op, "geev", x.dtype)
    a = _column_major(op.operands[0], x, count)
    size = _scalar_ptr(_I32, _lapack_int(n, "eig"))
    one = _scalar_ptr(_I32, 1)
    # Eigenvectors in the input's dtype: for a real matrix, a complex pair's vectors as
    # LAPACK packs them (real part in column j, imaginary part in column j + 1).
    vecs = [_memref((count, n, n) if want else (1,), x.dtype) for want in (left, right)]
    jobs = [_scalar_ptr(np.int8, ord("V" if want else "N")) for want in (left, right)]
    lds = [size if want else one for want in (left, right)]
    lwork = _lapack_int((4 + 2 * 64 + 64) * n, "eig's workspace")
    work, size_w = _memref((lwork,), x.dtype), _scalar_ptr(_I32, lwork)
    info = _info_buffer(count)

    # geev rejects a matrix holding a NaN as an illegal argument, and OpenBLAS's xerbla
    # prints a message: such a matrix is not passed (info -4, NaN results, as JAX gives).
    def geev_if_no_nan(b, args, n_chars):
        stmt = scf.IfOp(_no_nan(a, b, n, x.dtype), has_else=True)
        with ir.InsertionPoint(stmt.then_block):
            geev(args, n_chars)
            scf.YieldOp([])
        with ir.InsertionPoint(stmt.else_block):
            memref.store(arith.constant(el(_I32), -4), info, [b])
            scf.YieldOp([])

    def vec_args(b):
        return [arg for buf, ld, want in zip(vecs, lds, (left, right))
                for arg in (_ptr(buf, _at(b, n * n) if want else None), ld)]
    if real:
        wr, wi = _memref((count, n), x.dtype), _memref((count, n), x.dtype)
        _over_batch(count, lambda b: geev_if_no_nan(b,
            jobs + [size, _ptr(a, _at(b, n * n)), size, _ptr(wr, _at(b, n)), _ptr(wi, _at(b, n))]
            + vec_args(b) + [_ptr(work), size_w, _ptr(info, b)], 2))
        parts = [_batch_tensor(v, batch, (n,), x.dtype) for v in (wr, wi)]
        nb = len(batch)
        w = generic([w_spec], parts, [x.dtype, x.dtype], [identity(nb + 1)] * 2,
                    [identity(nb + 1)], ["parallel"] * (nb + 1),
                    lambda re, im, _: [complex_d.CreateOp(el(c), re, im).result])[0]
        vecs = [_unpack_pairs(v, wi, count, n, x.dtype, c) if want else None
                for v, want in zip(vecs, (left, right))]
    else:
        wbuf = _memref((count, n), c)
        rwork = _memref((2 * n,), real_dtype(c))
        _over_batch(count, lambda b: geev_if_no_nan(b,
            jobs + [size, _ptr(a, _at(b, n * n)), size, _ptr(wbuf, _at(b, n))]
            + vec_args(b) + [_ptr(work), size_w, _ptr(rwork), _ptr(info, b)], 2))
        w = _batch_tensor(wbuf, batch, (n,), c)
    ok = _batch_tensor(info, batch, (), _I32)
    outs = [_nan_where_failed(w, w_spec, ok, batch)]
    for v, want, spec in zip(vecs, (left, right), (vl_spec, vr_spec)):
        outs.append(_nan_where_failed(_row_major(v, batch, n, n, c), spec, ok, batch)
                    if want else filled(spec, 0))
    return outs


def _no_nan(buf, b, n, dtype) -> ir.Value:
    """i1: matrix b of the buffer (count, n, n) holds no NaN (an element, or for complex
    numbers a part, that is unordered with itself)."""
    i1 = ir.IntegerType.get_signless(1)

    def body(ivs, ok):
        v = memref.load(buf, [b, ivs[0], ivs[1]])
        parts = [complex_d.re(v), complex_d.im(v)] if dtype.kind == "c" else [v]
        for p in parts:
            ok = arith.andi(ok, arith.cmpf(arith.CmpFPredicate.ORD, p, p))
        return [ok]
    return loop_nest([n, n], [arith.constant(i1, 1)], body)[0]


def _unpack_pairs(v, wi, count, n, dtype, c):
    """The complex eigenvectors (count, n, n, column-major) of a real geev's packed ones:
    column j is v_j where wi[j] = 0, v_j + i v_{j+1} where wi[j] > 0 (the first of a
    conjugate pair) and v_{j-1} - i v_j where wi[j] < 0."""
    out = _memref((count, n, n), c)
    zero = scalar_const(dtype, 0)
    last = index_const(n - 1)

    def body(ivs):
        b, j, i = ivs
        w = memref.load(wi, [b, j])
        nxt = arith.minsi(arith.addi(j, index_const(1)), last)
        prev = arith.maxsi(arith.subi(j, index_const(1)), index_const(0))
        here, after, before = (memref.load(v, [b, k, i]) for k in (j, nxt, prev))
        first = arith.cmpf(arith.CmpFPredicate.OGT, w, zero)
        second = arith.cmpf(arith.CmpFPredicate.OLT, w, zero)
        re = arith.select(second, before, here)
        im = arith.select(first, after, arith.select(second, arith.negf(here), zero))
        memref.store(complex_d.CreateOp(el(c), re, im).result, out, [b, j, i])
        return []
    loop_nest([count, n, n], [], body)
    return out


LOWERINGS = {
    "mlax.cholesky": _cholesky_rule,
    "mlax.lu": _lu_rule,
    "mlax.triangular_solve": _triangular_solve_rule,
    "mlax.qr": _qr_rule,
    "mlax.qr_pivoted": lambda op: _qr_rule(op, pivoting=True),
    "mlax.eigh": _eigh_rule,
    "mlax.svd": _svd_rule,
    "mlax.eig": _eig_rule,
    "mlax.schur": _schur_rule,
    "mlax.geqrf": _geqrf_rule,
    "mlax.householder_product": _householder_product_rule,
}
