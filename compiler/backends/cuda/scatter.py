"""Scatter-add kernels: a thread per update element, adding it into the output with an
atomic read-modify-write (`memref.atomic_rmw`), after a kernel copying the operand into the
output.

Duplicate indices then accumulate in whatever order the threads reach them, as XLA:GPU's
scatter-add does (JAX's semantics leave the order open): integer sums are exact, float
sums associate differently from the CPU's sequential loop. Other scatters (set, whose
last update wins; mul, min, max) keep the sequential loop of the shared lowering, in a
kernel of one thread. `--mlax-gpu-outline-rows` outlines the scatters `outlinable`
accepts (their attributes in the mark); `--mlax-gpu-row-kernels` calls `kernel`.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from mlax.dialects import OPS, attr_from_ir
from mlax.dialects.types import dtype_of_element
from mlax.lowering.linalg.indexing import scatter_position
from mlax.runtime.dtypes import is_float

# The dtypes whose addition PTX has an atomic for (atom.add: f32, f64, u32, u64; signed
# integers add as unsigned ones).
ATOMIC_ADD = frozenset(np.dtype(d) for d in ("float32", "float64", "int32", "int64",
                                             "uint32", "uint64"))
THREADS = 256


def outlinable(op) -> bool:
    """Whether `op` is a scatter-add with an atomic kernel."""
    if op.name != "mlax.scatter" or ir.StringAttr(op.attributes["kind"]).value != "add":
        return False
    types = [ir.RankedTensorType(v.type) for v in op.operands]
    if not all(t.has_static_shape and 0 not in t.shape for t in types):
        return False
    return dtype_of_element(types[0].element_type) in ATOMIC_ADD


def mark(op) -> dict:
    """The mark of an outlined scatter-add: its dtype and its attributes."""
    t = ir.RankedTensorType(op.operands[0].type)
    return {"kind": ir.StringAttr.get("scatter_add"),
            "dtype": ir.StringAttr.get(dtype_of_element(t.element_type).name),
            "scatter": ir.DictAttr.get({name: op.attributes[name]
                                        for name in OPS["mlax.scatter"].attrs})}


def _c(v):
    return arith.ConstantOp(ir.IndexType.get(), v).result


def _delinearize(e, shape):
    """The index of element e (row-major) of a buffer of `shape`."""
    index = []
    for d in reversed(shape[1:]):
        index.insert(0, arith.RemUIOp(e, _c(d)).result)
        e = arith.DivUIOp(e, _c(d)).result
    return [e] + index


def _threads(count):
    """A kernel of a thread per element of `count` (blocks of THREADS along grid x): the
    element's number and the insertion point inside its bounds check."""
    blocks = scf.ForallOp([0], [-(-count // THREADS)], [1],
                          mapping=ir.ArrayAttr.get([ir.Attribute.parse("#gpu.block<x>")]))
    with ir.InsertionPoint(blocks.regions[0].blocks[0]):
        bterm = scf.InParallelOp()
    with ir.InsertionPoint(bterm):
        threads = scf.ForallOp([0], [THREADS], [1], mapping=ir.ArrayAttr.get(
            [ir.Attribute.parse("#gpu.thread<x>")]))
        with ir.InsertionPoint(threads.regions[0].blocks[0]):
            tterm = scf.InParallelOp()
    with ir.InsertionPoint(tterm):
        e = arith.AddIOp(arith.MulIOp(blocks.induction_variables[0], _c(THREADS)).result,
                         threads.induction_variables[0]).result
        inside = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.ult, e, _c(count)).result)
        with ir.InsertionPoint(inside.then_block):
            scf.YieldOp([])
    return e, ir.InsertionPoint.at_block_terminator(inside.then_block)


def kernel(call, mark):
    """The copy and the atomic scatter-add of the call's (operand, indices, updates) into
    its output."""
    dtype = np.dtype(ir.StringAttr(mark["dtype"]).value)
    stored = ir.DictAttr(mark["scatter"])
    a = {name: attr_from_ir(kind, stored[name])
         for name, kind in OPS["mlax.scatter"].attrs.items()}
    operand, indices, updates, out = call.operands
    o_shape = ir.MemRefType(operand.type).shape
    u_shape = ir.MemRefType(updates.type).shape
    i_dtype = dtype_of_element(ir.MemRefType(indices.type).element_type)
    add = arith.AtomicRMWKind.addf if is_float(dtype) else arith.AtomicRMWKind.addi
    with ir.InsertionPoint(call), call.location:
        e, ip = _threads(int(np.prod(o_shape)))
        with ip:
            at = _delinearize(e, o_shape)
            memref.StoreOp(memref.LoadOp(operand, at).result, out, at)
        e, ip = _threads(int(np.prod(u_shape)))
        with ip:
            ivs = _delinearize(e, u_shape)
            full, valid = scatter_position(a, o_shape, u_shape, i_dtype,
                                           lambda at: memref.LoadOp(indices, at).result, ivs)
            value = memref.LoadOp(updates, ivs).result
            if valid is None:
                memref.AtomicRMWOp(add, value, out, full)
            else:
                fits = scf.IfOp(valid)
                with ir.InsertionPoint(fits.then_block):
                    memref.AtomicRMWOp(add, value, out, full)
                    scf.YieldOp([])
    call.erase()
