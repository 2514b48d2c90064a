"""Sorts on the GPU: a block per row, a bitonic sort in shared memory.

The shared linalg lowering sorts a row with a merge sort of scf loops, which the GPU can
only run as a kernel of one thread. Two passes give `mlax.sort` and `mlax.top_k` along
the last axis of rows of 2 to MAX_ROW elements (rank 1 or 2, one sort key) a real
schedule instead:

- `--mlax-gpu-outline-sorts` (on mlax IR, before `mlax-lower-to-linalg`) moves each such
  op into a private function of its own, marked `mlax.gpu_sort` (the op's kind, its key
  dtype, k for top_k), called with `no_inline`: the call crosses lowering, fusion and
  bufferization unchanged (the function's body is the fallback lowering, never run).
- `--mlax-gpu-bitonic-sort` (after bufferization) replaces each call of such a function
  by the kernel, on the call's buffers (inputs, then outputs), and drops the functions.

The kernel: one block per row, P = the row's length rounded up to a power of two, P / 2
threads (at most 1024). Each thread loads two elements into shared memory (the key and its
position in the row), then the bitonic network's log2(P) (log2(P) + 1) / 2 stages run,
one compare-exchange per thread and a barrier each. The order is total, so the sort is
stable: a key comes first when it is smaller (as mlax's sorts compare: NaNs last, -0 == 0;
top_k: larger first, in the float total order XLA uses), or equal with a smaller position;
positions past the row (padding up to P) come last. Finally each thread writes two
outputs: the key, and every other operand gathered from its input at the sorted position
(argsort's iota gives the positions themselves); top_k writes the first k keys and their
positions.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, func, gpu, memref, scf

from mlax.backends.cpu.generics import defined_functions
from mlax.dialects.types import dtype_of_element
from mlax.lowering.linalg.sort import sort_lt, total_order_key
from mlax.passes import ModulePass, register
from mlax.runtime.dtypes import dtype_kind, is_float

# The longest row one block sorts: 1024 threads, two elements each.
MAX_ROW = 2048
MARK = "mlax.gpu_sort"
SORT_OPS = ("mlax.sort", "mlax.top_k")


def _next_pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def _outlinable(op) -> bool:
    t = ir.RankedTensorType(op.operands[0].type)
    if t.rank not in (1, 2) or not t.has_static_shape:
        return False
    n = t.shape[-1]
    if not 2 <= n <= MAX_ROW or 0 in t.shape:
        return False
    if dtype_kind(dtype_of_element(t.element_type)) not in "biuf":
        return False
    if op.name == "mlax.sort":
        attrs = op.attributes
        keys = ir.IntegerAttr(attrs["num_keys"]).value if "num_keys" in attrs else 1
        return keys == 1 and ir.IntegerAttr(attrs["dimension"]).value == t.rank - 1
    return ir.IntegerAttr(op.attributes["k"]).value >= 1


def _outline(op, index, module_body):
    """Move `op` into `func.func private @__mlax_gpu_sort_<index>` and call it there."""
    t = ir.RankedTensorType(op.operands[0].type)
    mark = {"kind": ir.StringAttr.get(op.name.split(".")[1]),
            "dtype": ir.StringAttr.get(dtype_of_element(t.element_type).name)}
    if op.name == "mlax.top_k":
        mark["k"] = op.attributes["k"]
    name = f"__mlax_gpu_sort_{index}"
    ins = [v.type for v in op.operands]
    outs = [r.type for r in op.results]
    with ir.InsertionPoint.at_block_begin(module_body), op.location:
        fn = func.FuncOp(name, (ins, outs), visibility="private")
        fn.attributes[MARK] = ir.DictAttr.get(mark)
        entry = fn.add_entry_block()
        with ir.InsertionPoint(entry):
            ret = func.ReturnOp([])
    with ir.InsertionPoint(op), op.location:
        call = func.CallOp(outs, ir.FlatSymbolRefAttr.get(name), list(op.operands))
        call.attributes["no_inline"] = ir.UnitAttr.get()
    for old, new in zip(op.results, call.results):
        old.replace_all_uses_with(new)
    op.move_before(ret)
    for i, arg in enumerate(entry.arguments):
        op.operands[i] = arg
    ret.operation.erase()
    with ir.InsertionPoint(entry), op.location:
        func.ReturnOp(list(op.results))


@register
class GpuOutlineSortsPass(ModulePass):
    """Move sorts and top_k of short rows into functions that --mlax-gpu-bitonic-sort
    replaces by a bitonic-sort kernel after bufferization."""
    name = "mlax-gpu-outline-sorts"

    def run(self, module_op):
        found = []

        def walk(o):
            if o.name in SORT_OPS and _outlinable(o):
                found.append(o)
            return ir.WalkResult.ADVANCE
        module_op.walk(walk)
        for i, op in enumerate(found):
            _outline(op, i, module_op.regions[0].blocks[0])


def _c(v, t=None):
    return arith.ConstantOp(t or ir.IndexType.get(), v).result


def _forall(count, axis):
    f = scf.ForallOp([0], [count], [1],
                     mapping=ir.ArrayAttr.get([ir.Attribute.parse(axis)]))
    with ir.InsertionPoint(f.regions[0].blocks[0]):
        term = scf.InParallelOp()
    return f, term


def _key_before(kind, dtype):
    """before(b, a): key b comes strictly before key a."""
    if kind == "sort":
        lt = sort_lt(dtype)
        return lambda b, a: lt(b, a)
    if is_float(dtype):
        return lambda b, a: arith.cmpi(arith.CmpIPredicate.sgt, total_order_key(dtype, b),
                                       total_order_key(dtype, a))
    lt = sort_lt(dtype)
    return lambda b, a: lt(a, b)


def _rewrite(call, mark):
    kind = ir.StringAttr(mark["kind"]).value
    dtype = np.dtype(ir.StringAttr(mark["dtype"]).value)    # bfloat16 too (mlax.runtime.dtypes)
    operands = list(call.operands)
    n_in = 1 if kind == "top_k" else len(operands) // 2
    ins, outs = operands[:n_in], operands[n_in:]
    shape = ir.MemRefType(ins[0].type).shape
    rows, n = (1, shape[0]) if len(shape) == 1 else (shape[0], shape[1])
    count = ir.IntegerAttr(mark["k"]).value if kind == "top_k" else n
    P = _next_pow2(n)
    T = P // 2
    key_t = ir.MemRefType(ins[0].type).element_type
    i32 = ir.IntegerType.get_signless(32)
    space = ir.Attribute.parse("#gpu.address_space<workgroup>")
    key_before = _key_before(kind, dtype)

    def at(row, e):
        return [e] if len(shape) == 1 else [row, e]

    with ir.InsertionPoint(call), call.location:
        blocks, bterm = _forall(rows, "#gpu.block<x>")
        with ir.InsertionPoint(bterm):
            row = blocks.induction_variables[0]
            keys = memref.AllocaOp(ir.MemRefType.get([P], key_t, memory_space=space), [], []).result
            pos = memref.AllocaOp(ir.MemRefType.get([P], i32, memory_space=space), [], []).result
            threads, tterm = _forall(T, "#gpu.thread<x>")
            with ir.InsertionPoint(tterm):
                t = threads.induction_variables[0]
                n_i32 = _c(n, i32)
                for half in (0, T):
                    e = arith.AddIOp(t, _c(half)).result
                    memref.StoreOp(arith.IndexCastOp(i32, e).result, pos, [e])
                    inside = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.ult, e, _c(n)).result)
                    with ir.InsertionPoint(inside.then_block):
                        memref.StoreOp(memref.LoadOp(ins[0], at(row, e)).result, keys, [e])
                        scf.YieldOp([])
                gpu.BarrierOp()

                def before(kb, pb, ka, pa):
                    """(kb, pb) strictly before (ka, pa): padding last, then keys, then
                    positions."""
                    valid_b = arith.CmpIOp(arith.CmpIPredicate.slt, pb, n_i32).result
                    valid_a = arith.CmpIOp(arith.CmpIPredicate.slt, pa, n_i32).result
                    tie = arith.AndIOp(
                        arith.XOrIOp(key_before(ka, kb), _c(1, ir.IntegerType.get_signless(1))
                                     ).result,
                        arith.CmpIOp(arith.CmpIPredicate.slt, pb, pa).result).result
                    order = arith.OrIOp(key_before(kb, ka), tie).result
                    return arith.AndIOp(valid_b, arith.OrIOp(
                        arith.XOrIOp(valid_a, _c(1, ir.IntegerType.get_signless(1))).result,
                        order).result).result

                size = 2
                while size <= P:
                    stride = size // 2
                    while stride >= 1:
                        log = stride.bit_length() - 1
                        low = arith.AndIOp(t, _c(stride - 1)).result
                        high = arith.ShLIOp(arith.ShRUIOp(t, _c(log)).result, _c(log + 1)).result
                        i = arith.OrIOp(high, low).result
                        j = arith.AddIOp(i, _c(stride)).result
                        up = arith.CmpIOp(arith.CmpIPredicate.eq,
                                          arith.AndIOp(i, _c(size)).result, _c(0)).result
                        ka, pa = memref.LoadOp(keys, [i]).result, memref.LoadOp(pos, [i]).result
                        kb, pb = memref.LoadOp(keys, [j]).result, memref.LoadOp(pos, [j]).result
                        swap = arith.SelectOp(up, before(kb, pb, ka, pa),
                                              before(ka, pa, kb, pb)).result
                        memref.StoreOp(arith.SelectOp(swap, kb, ka).result, keys, [i])
                        memref.StoreOp(arith.SelectOp(swap, pb, pa).result, pos, [i])
                        memref.StoreOp(arith.SelectOp(swap, ka, kb).result, keys, [j])
                        memref.StoreOp(arith.SelectOp(swap, pa, pb).result, pos, [j])
                        gpu.BarrierOp()
                        stride //= 2
                    size *= 2
                for half in (0, T):
                    e = arith.AddIOp(t, _c(half)).result
                    inside = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.ult, e, _c(count)).result)
                    with ir.InsertionPoint(inside.then_block):
                        memref.StoreOp(memref.LoadOp(keys, [e]).result, outs[0], at(row, e))
                        p = memref.LoadOp(pos, [e]).result
                        if kind == "top_k":
                            idx_t = ir.MemRefType(outs[1].type).element_type
                            memref.StoreOp(p if idx_t == i32 else arith.ExtSIOp(idx_t, p).result,
                                           outs[1], at(row, e))
                        else:
                            p = arith.IndexCastOp(ir.IndexType.get(), p).result
                            for src, dst in zip(ins[1:], outs[1:]):
                                memref.StoreOp(memref.LoadOp(src, at(row, p)).result, dst,
                                               at(row, e))
                        scf.YieldOp([])
    call.erase()


@register
class GpuBitonicSortPass(ModulePass):
    """Replace calls of functions --mlax-gpu-outline-sorts made by bitonic-sort kernels
    (a block per row, shared memory), and drop those functions."""
    name = "mlax-gpu-bitonic-sort"

    def run(self, module_op):
        marked = {}
        for fn in module_op.regions[0].blocks[0].operations:
            fn = fn.operation
            if fn.name == "func.func" and MARK in fn.attributes:
                marked[ir.StringAttr(fn.attributes["sym_name"]).value] = fn
        if not marked:
            return
        calls = []
        for fn in defined_functions(module_op):
            def walk(o):
                if o.name == "func.call" and \
                        ir.FlatSymbolRefAttr(o.attributes["callee"]).value in marked:
                    calls.append(o)
                return ir.WalkResult.ADVANCE
            fn.walk(walk)
        for call in calls:
            callee = marked[ir.FlatSymbolRefAttr(call.attributes["callee"]).value]
            _rewrite(call, ir.DictAttr(callee.attributes[MARK]))
        for fn in marked.values():
            fn.erase()
