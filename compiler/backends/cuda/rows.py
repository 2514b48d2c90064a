"""Row kernels: sorts and scans along an axis, a block per row (and, through the same two
passes, scatter.py's scatter-add kernels).

The shared linalg lowering sorts a row with a merge sort of scf loops and scans it with
scalar loops, which the GPU can only run as kernels of one thread. Two passes give
`mlax.sort` and `mlax.top_k` of rows of 2 or more elements, and the cumulative ops
(`mlax.cumsum`, `cumprod`, `cummax`, `cummin`, `cumlogsumexp`) of rows of 2 or more, of
operands of any rank along any axis (a row per index of the other dimensions; mlax's
sorts have one key, later operands carried along), a real schedule instead:

- `--mlax-gpu-outline-rows` (on mlax IR, before `mlax-lower-to-linalg`) moves each such op
  into a private function of its own, marked `mlax.gpu_row_kernel` (the op's kind, its
  dtype and axis, k for top_k, reverse for scans), called with `no_inline`: the call crosses
  lowering, fusion and bufferization unchanged (the function's body is the fallback
  lowering, never run).
- `--mlax-gpu-row-kernels` (after bufferization) replaces each call of such a function by
  its kernel (KERNELS, by kind), on the call's buffers (inputs, then outputs), and drops
  the functions.

The sort kernel: P = the row's length rounded up to a power of two, P / 2 threads (at
most 1024). Each thread loads two elements into shared memory (the key and its position
in the row), then the bitonic network's log2(P) (log2(P) + 1) / 2 stages run, one
compare-exchange per thread and a barrier each. The order is total, so the sort is
stable: a key comes first when it is smaller (as mlax's sorts compare: NaNs last, -0 ==
0; top_k: larger first, in the float total order XLA uses), or equal with a smaller
position; positions past the row (padding up to P) come last. (Rows longer than MAX_SORT_ROW:
`_global_sort`; top_k of a small k: `_select_kernel`.) Each thread then writes two
outputs: the key, and every other operand gathered from its input at the sorted position
(argsort's iota gives the positions themselves); top_k writes the first k keys and their
positions.

The scan kernel: T threads (the row's length rounded up to a power of two, 32 to 1024),
each owning a run of C = ceil(n / T) consecutive elements: each folds its run, the T run
totals are scanned in shared memory (Hillis-Steele, two barriers a step), and each thread
scans its run again from the total of the runs before it, writing the outputs. Slots
carry a flag instead of an identity (a thread past the row has no run), so every op's
combine (mlax.lowering.linalg.cumulative.COMBINE) serves as it is. Float sums associate
differently from the sequential scan: results agree to rounding.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, func, gpu, memref, scf

from mlax.backends.cuda import scatter
from mlax.backends.cuda.launch import calls_of, ops_where
from mlax.dialects.types import dtype_of_element
from mlax.lowering.linalg.cumulative import COMBINE
from mlax.lowering.linalg.sort import sort_lt, total_order_key
from mlax.passes import ModulePass, register
from mlax.runtime.dtypes import dtype_kind, is_float

# The longest row one block sorts: 1024 threads, two elements each.
MAX_SORT_ROW = 2048
# Longer rows are sorted in global memory, a row per grid y index (at most 65535).
MAX_GRID_Y = 65535
MAX_THREADS = 1024
MARK = "mlax.gpu_row_kernel"
SCAN_OPS = tuple(COMBINE)


def _next_pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def _axis(op) -> int:
    """The axis `op` sorts or scans along."""
    if op.name == "mlax.top_k":
        return ir.RankedTensorType(op.operands[0].type).rank - 1
    return ir.IntegerAttr(op.attributes["dimension" if op.name == "mlax.sort" else "axis"]).value


def _outlinable(op) -> bool:
    """Whether `op` is a sort, top_k or scan with a row kernel, or a scatter with one
    (KERNELS)."""
    if scatter.outlinable(op):
        return True
    if op.name not in ("mlax.sort", "mlax.top_k") + SCAN_OPS:
        return False
    t = ir.RankedTensorType(op.operands[0].type)
    if t.rank == 0 or not t.has_static_shape or 0 in t.shape:
        return False
    n = t.shape[_axis(op)]
    if n < 2 or dtype_kind(dtype_of_element(t.element_type)) not in "biuf":
        return False
    if op.name in SCAN_OPS:
        return True
    rows = int(np.prod(t.shape)) // n
    if n > MAX_SORT_ROW and rows > MAX_GRID_Y:
        return False
    return op.name == "mlax.sort" or ir.IntegerAttr(op.attributes["k"]).value >= 1


def _row_mark(op) -> dict:
    """The mark of an outlined sort, top_k or scan: its kind, key dtype and axis, k for
    top_k, reverse for scans."""
    t = ir.RankedTensorType(op.operands[0].type)
    mark = {"kind": ir.StringAttr.get(op.name.split(".")[1]),
            "dtype": ir.StringAttr.get(dtype_of_element(t.element_type).name),
            "axis": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), _axis(op))}
    if op.name == "mlax.top_k":
        mark["k"] = op.attributes["k"]
    if op.name in SCAN_OPS:
        mark["reverse"] = op.attributes["reverse"]
    return mark


def _outline(op, index, module_body):
    """Move `op` into `func.func private @__mlax_gpu_row_kernel_<index>` and call it."""
    mark = scatter.mark(op) if op.name == "mlax.scatter" else _row_mark(op)
    name = f"__mlax_gpu_row_kernel_{index}"
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
class GpuOutlineRowsPass(ModulePass):
    """Move sorts, top_k and scans along rows into functions that --mlax-gpu-row-kernels
    replaces by row kernels after bufferization."""
    name = "mlax-gpu-outline-rows"

    def run(self, module_op):
        for i, op in enumerate(ops_where(module_op, _outlinable)):
            _outline(op, i, module_op.regions[0].blocks[0])


def _c(v, t=None):
    return arith.ConstantOp(t or ir.IndexType.get(), v).result


def _forall(count, axis):
    f = scf.ForallOp([0], [count], [1],
                     mapping=ir.ArrayAttr.get([ir.Attribute.parse(axis)]))
    with ir.InsertionPoint(f.regions[0].blocks[0]):
        term = scf.InParallelOp()
    return f, term


def _rows(shape, axis):
    """(rows, row length, at) of a buffer of `shape` sorted or scanned along `axis`: a row
    per index of the other dimensions (row-major), at(row, e) the index of the row's
    element e (a row along any axis but the last is strided, not coalesced)."""
    others = [d for i, d in enumerate(shape) if i != axis]

    def at(row, e):
        index = []
        for d in reversed(others[1:]):
            index.insert(0, arith.RemUIOp(row, _c(d)).result)
            row = arith.DivUIOp(row, _c(d)).result
        if others:
            index.insert(0, row)
        index.insert(axis, e)
        return index
    return int(np.prod(others, dtype=np.int64)), shape[axis], at


def _key_before(kind, dtype):
    """before(b, a): key b comes strictly before key a."""
    if kind == "sort":
        return sort_lt(dtype)
    if is_float(dtype):
        return lambda b, a: arith.cmpi(arith.CmpIPredicate.sgt, total_order_key(dtype, b),
                                       total_order_key(dtype, a))
    lt = sort_lt(dtype)
    return lambda b, a: lt(a, b)


def _order(n, key_before):
    """before(kb, pb, ka, pa): (key, position) b strictly before a in a row of n: padding
    (positions past the row) last, then keys, then positions (so the sort is stable)."""
    i1 = ir.IntegerType.get_signless(1)

    def before(kb, pb, ka, pa):
        n_i32 = _c(n, ir.IntegerType.get_signless(32))
        valid_b = arith.CmpIOp(arith.CmpIPredicate.slt, pb, n_i32).result
        valid_a = arith.CmpIOp(arith.CmpIPredicate.slt, pa, n_i32).result
        tie = arith.AndIOp(arith.XOrIOp(key_before(ka, kb), _c(1, i1)).result,
                           arith.CmpIOp(arith.CmpIPredicate.slt, pb, pa).result).result
        order = arith.OrIOp(key_before(kb, ka), tie).result
        return arith.AndIOp(valid_b, arith.OrIOp(arith.XOrIOp(valid_a, _c(1, i1)).result,
                                                 order).result).result
    return before


def _stages(P):
    """The bitonic network's stages for P elements, in order: (size, stride)."""
    size = 2
    while size <= P:
        stride = size // 2
        while stride >= 1:
            yield size, stride
            stride //= 2
        size *= 2


def _compare_exchange(keys, pos, c, size, stride, before, base=None):
    """Compare-exchange number c of the stage (size, stride) on the (key, position) slots
    keys(i) and pos(i) (index lists of the buffers); `base`: the row position of slot 0
    (a chunk's), which the direction of the exchange depends on."""
    kbuf, kat = keys
    pbuf, pat = pos
    log = stride.bit_length() - 1
    low = arith.AndIOp(c, _c(stride - 1)).result
    high = arith.ShLIOp(arith.ShRUIOp(c, _c(log)).result, _c(log + 1)).result
    i = arith.OrIOp(high, low).result
    j = arith.AddIOp(i, _c(stride)).result
    in_row = i if base is None else arith.AddIOp(base, i).result
    up = arith.CmpIOp(arith.CmpIPredicate.eq, arith.AndIOp(in_row, _c(size)).result,
                      _c(0)).result
    ka, pa = memref.LoadOp(kbuf, kat(i)).result, memref.LoadOp(pbuf, pat(i)).result
    kb, pb = memref.LoadOp(kbuf, kat(j)).result, memref.LoadOp(pbuf, pat(j)).result
    swap = arith.SelectOp(up, before(kb, pb, ka, pa), before(ka, pa, kb, pb)).result
    memref.StoreOp(arith.SelectOp(swap, kb, ka).result, kbuf, kat(i))
    memref.StoreOp(arith.SelectOp(swap, pb, pa).result, pbuf, pat(i))
    memref.StoreOp(arith.SelectOp(swap, ka, kb).result, kbuf, kat(j))
    memref.StoreOp(arith.SelectOp(swap, pa, pb).result, pbuf, pat(j))


def _write_sorted(kind, ins, outs, at, row, e, key, p):
    """Write element e of the sorted row: its key, and top_k's position or the other
    operands gathered from position p (an i32)."""
    memref.StoreOp(key, outs[0], at(row, e))
    if kind == "top_k":
        idx_t = ir.MemRefType(outs[1].type).element_type
        memref.StoreOp(p if idx_t == ir.IntegerType.get_signless(32) else
                       arith.ExtSIOp(idx_t, p).result, outs[1], at(row, e))
        return
    p = arith.IndexCastOp(ir.IndexType.get(), p).result
    for src, dst in zip(ins[1:], outs[1:]):
        memref.StoreOp(memref.LoadOp(src, at(row, p)).result, dst, at(row, e))


def _if_below(e, bound):
    inside = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.ult, e, _c(bound)).result)
    return ir.InsertionPoint(inside.then_block)


def _sort_kernel(call, mark):
    """The bitonic sort (sort, top_k) of each row of the call's inputs into its outputs:
    in shared memory, a block per row, for rows up to MAX_SORT_ROW; longer rows in global
    memory (_global_sort)."""
    kind = ir.StringAttr(mark["kind"]).value
    dtype = np.dtype(ir.StringAttr(mark["dtype"]).value)    # bfloat16 too (mlax.runtime.dtypes)
    operands = list(call.operands)
    n_in = 1 if kind == "top_k" else len(operands) // 2
    ins, outs = operands[:n_in], operands[n_in:]
    rows, n, at = _rows(ir.MemRefType(ins[0].type).shape, ir.IntegerAttr(mark["axis"]).value)
    count = ir.IntegerAttr(mark["k"]).value if kind == "top_k" else n
    before = _order(n, _key_before(kind, dtype))
    P = _next_pow2(n)
    i32 = ir.IntegerType.get_signless(32)
    key_t = ir.MemRefType(ins[0].type).element_type

    def load_input(row, e):
        """The row's (key, position) e, from the input (padding past n: its key unread)."""
        key = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.ult, e, _c(n)).result, [key_t],
                       has_else=True)
        with ir.InsertionPoint(key.then_block):
            scf.YieldOp([memref.LoadOp(ins[0], at(row, e)).result])
        with ir.InsertionPoint(key.else_block):
            zero = 0.0 if is_float(dtype) else 0
            scf.YieldOp([arith.ConstantOp(key_t, zero).result])
        return key.results[0], arith.IndexCastOp(i32, e).result

    def write_output(row, e, key, p):
        with _if_below(e, count):
            _write_sorted(kind, ins, outs, at, row, e, key, p)
            scf.YieldOp([])

    with ir.InsertionPoint(call), call.location:
        if kind == "top_k" and _next_pow2(count) <= MAX_SELECT_K:
            _select_kernel(rows, n, count, key_t, before, load_input, write_output)
        elif P <= MAX_SORT_ROW:
            _chunk_kernel(rows, P, P, key_t, list(_stages(P)), before, load_input,
                          write_output)
        else:
            _global_sort(rows, P, key_t, before, load_input, write_output)
    call.erase()


def _chunk_kernel(rows, P, L, key_t, stages, before, load, store):
    """A kernel sorting chunks of L elements of rows padded to P: a block per chunk (P / L
    along grid x, rows along grid y) of L / 2 threads, the chunk's (key, position) pairs
    in shared memory, `stages` run on them with a barrier after each. load(row, e) gives
    pair e of the row; store(row, e, key, position) takes it sorted."""
    i32 = ir.IntegerType.get_signless(32)
    space = ir.Attribute.parse("#gpu.address_space<workgroup>")
    row, chunk, t, ip, threads = _grid(P // L, rows, L // 2)
    with ir.InsertionPoint(threads):        # shared memory: a block's
        keys = memref.AllocaOp(ir.MemRefType.get([L], key_t, memory_space=space), [], []).result
        pos = memref.AllocaOp(ir.MemRefType.get([L], i32, memory_space=space), [], []).result
    with ir.InsertionPoint(ip):
        base = arith.MulIOp(chunk, _c(L)).result if P > L else None
        for half in (0, L // 2):
            e = arith.AddIOp(t, _c(half)).result
            key, p = load(row, e if base is None else arith.AddIOp(base, e).result)
            memref.StoreOp(key, keys, [e])
            memref.StoreOp(p, pos, [e])
        gpu.BarrierOp()
        for size, stride in stages:
            _compare_exchange((keys, lambda i: [i]), (pos, lambda i: [i]), t, size, stride,
                              before, base)
            gpu.BarrierOp()
        for half in (0, L // 2):
            e = arith.AddIOp(t, _c(half)).result
            store(row, e if base is None else arith.AddIOp(base, e).result,
                  memref.LoadOp(keys, [e]).result, memref.LoadOp(pos, [e]).result)


def _grid(chunks, rows, threads):
    """A kernel of `chunks` x `rows` blocks (grid x, y; a row per block along x where there
    is one chunk) of `threads`: (row, chunk or None, thread, the insertion point inside the
    threads' loop, that loop)."""
    if chunks == 1:
        blocks, bterm = _forall(rows, "#gpu.block<x>")
        row, chunk = blocks.induction_variables[0], None
    else:
        blocks = scf.ForallOp([0, 0], [chunks, rows], [1, 1], mapping=ir.ArrayAttr.get(
            [ir.Attribute.parse("#gpu.block<x>"), ir.Attribute.parse("#gpu.block<y>")]))
        with ir.InsertionPoint(blocks.regions[0].blocks[0]):
            bterm = scf.InParallelOp()
        chunk, row = blocks.induction_variables
    with ir.InsertionPoint(bterm):
        threads_op, tterm = _forall(threads, "#gpu.thread<x>")
    return row, chunk, threads_op.induction_variables[0], tterm, threads_op


def _global_sort(rows, P, key_t, before, load_input, write_output):
    """Rows longer than a block sorts, as (key, position) pairs in global buffers of rows x
    P: a chunk kernel sorts each MAX_SORT_ROW chunk (the stages of sizes up to it); then
    for each larger size, a kernel per stage of stride MAX_SORT_ROW or more (rows x P / 2
    threads, one compare-exchange each: a launch is the barrier between stages) and a
    chunk kernel for the strides below; the last writes the outputs."""
    i32 = ir.IntegerType.get_signless(32)
    L = MAX_SORT_ROW
    keys = memref.AllocOp(ir.MemRefType.get([rows, P], key_t), [], []).result
    pos = memref.AllocOp(ir.MemRefType.get([rows, P], i32), [], []).result

    def load(row, e):
        return memref.LoadOp(keys, [row, e]).result, memref.LoadOp(pos, [row, e]).result

    def store(row, e, key, p):
        memref.StoreOp(key, keys, [row, e])
        memref.StoreOp(p, pos, [row, e])

    _chunk_kernel(rows, P, L, key_t, list(_stages(L)), before, load_input, store)
    size = 2 * L
    while size <= P:
        stride = size // 2
        while stride >= L:
            row, chunk, t, ip, _ = _grid(P // 2 // GLOBAL_THREADS, rows, GLOBAL_THREADS)
            with ir.InsertionPoint(ip):
                c = arith.AddIOp(arith.MulIOp(chunk, _c(GLOBAL_THREADS)).result, t).result
                _compare_exchange((keys, lambda i, r=row: [r, i]),
                                  (pos, lambda i, r=row: [r, i]), c, size, stride, before)
            stride //= 2
        small = [(size, s) for s in (L // 2 ** k for k in range(1, L.bit_length())) if s >= 1]
        _chunk_kernel(rows, P, L, key_t, small, before, load,
                      write_output if size == P else store)
        size *= 2


# top_k of k up to MAX_SELECT_K selects (_select_kernel); its candidates fill SELECT_SLOTS.
MAX_SELECT_K = 64
SELECT_SLOTS = 4096


def _select_kernel(rows, n, k, key_t, before, load_input, write_output):
    """top_k keeping only k: a block per row of B threads, each keeping the K (k rounded up
    to a power of two) first of the elements it reads (t, t + B, ...: coalesced) in order,
    in its K slots of shared memory (insertion: an element goes in where it comes before
    the slot's pair, the rest shift down; most elements, not before the last, touch
    nothing); then the B x K candidates sorted by the bitonic network (each thread K / 2
    compare-exchanges a stage) and the first k written. Elements are read in position
    order, so ties keep XLA's order (the lower position first)."""
    K = _next_pow2(k)
    B = min(MAX_THREADS, SELECT_SLOTS // K, max(32, _next_pow2(-(-n // K))))
    M = B * K
    i32 = ir.IntegerType.get_signless(32)
    space = ir.Attribute.parse("#gpu.address_space<workgroup>")
    row, _, t, ip, threads = _grid(1, rows, B)
    with ir.InsertionPoint(threads):
        keys = memref.AllocaOp(ir.MemRefType.get([M], key_t, memory_space=space), [], []).result
        pos = memref.AllocaOp(ir.MemRefType.get([M], i32, memory_space=space), [], []).result
    with ir.InsertionPoint(ip):
        first = arith.MulIOp(t, _c(K)).result
        padding_key, _ = load_input(row, _c(n))         # a padding pair: position n
        for j in range(K):
            slot = arith.AddIOp(first, _c(j)).result
            memref.StoreOp(padding_key, keys, [slot])
            memref.StoreOp(_c(n, i32), pos, [slot])
        reads = scf.ForOp(_c(0), _c(-(-n // B)), _c(1))
        with ir.InsertionPoint(reads.body):
            e = arith.AddIOp(arith.MulIOp(reads.induction_variable, _c(B)).result, t).result
            with _if_below(e, n):
                key, p = load_input(row, e)
                last = arith.AddIOp(first, _c(K - 1)).result
                goes_in = scf.IfOp(before(key, p, memref.LoadOp(keys, [last]).result,
                                          memref.LoadOp(pos, [last]).result))
                with ir.InsertionPoint(goes_in.then_block):
                    for j in range(K):
                        slot = arith.AddIOp(first, _c(j)).result
                        ks, ps = memref.LoadOp(keys, [slot]).result, memref.LoadOp(pos, [slot]).result
                        swap = before(key, p, ks, ps)
                        memref.StoreOp(arith.SelectOp(swap, key, ks).result, keys, [slot])
                        memref.StoreOp(arith.SelectOp(swap, p, ps).result, pos, [slot])
                        key = arith.SelectOp(swap, ks, key).result
                        p = arith.SelectOp(swap, ps, p).result
                    scf.YieldOp([])
                scf.YieldOp([])
            scf.YieldOp([])
        gpu.BarrierOp()
        for size, stride in _stages(M):
            each = scf.ForOp(_c(0), _c(-(-M // 2 // B)), _c(1))   # K / 2, or 1 of 2 threads
            with ir.InsertionPoint(each.body):
                c = arith.AddIOp(arith.MulIOp(each.induction_variable, _c(B)).result, t).result
                with _if_below(c, M // 2):
                    _compare_exchange((keys, lambda i: [i]), (pos, lambda i: [i]), c, size,
                                      stride, before)
                    scf.YieldOp([])
                scf.YieldOp([])
            gpu.BarrierOp()
        for q in range(-(-k // B)):
            e = arith.AddIOp(t, _c(q * B)).result
            write_output(row, e, memref.LoadOp(keys, [e]).result, memref.LoadOp(pos, [e]).result)


# Threads per block of the global-memory sort's stage kernels.
GLOBAL_THREADS = 256


def _scan_kernel(call, mark):
    """The block scan of each row of the call's input into its output."""
    kind = ir.StringAttr(mark["kind"]).value
    dtype = np.dtype(ir.StringAttr(mark["dtype"]).value)
    reverse = ir.BoolAttr(mark["reverse"]).value
    combine = COMBINE[f"mlax.{kind}"]
    src, dst = call.operands
    shape = ir.MemRefType(src.type).shape
    rows, n, index = _rows(shape, ir.IntegerAttr(mark["axis"]).value)
    T = min(MAX_THREADS, max(32, _next_pow2(n)))
    C = -(-n // T)
    elem = ir.MemRefType(src.type).element_type
    i1, i8 = ir.IntegerType.get_signless(1), ir.IntegerType.get_signless(8)
    space = ir.Attribute.parse("#gpu.address_space<workgroup>")

    def at(row, e):
        """The element of logical position e in scan order."""
        if reverse:
            e = arith.SubIOp(_c(n - 1), e).result
        return index(row, e)

    def join(acc, have, x, valid):
        """(acc, have) followed by (x, valid): the combined value and whether it is one."""
        both = arith.AndIOp(have, valid).result
        value = arith.SelectOp(both, combine(dtype, acc, x),
                               arith.SelectOp(have, acc, x).result).result
        return value, arith.OrIOp(have, valid).result

    def run(row, t, acc, have, write):
        """Fold thread t's run from (acc, have), writing each prefix when `write`."""
        loop = scf.ForOp(_c(0), _c(C), _c(1), [acc, have])
        with ir.InsertionPoint(loop.body):
            e = arith.AddIOp(arith.MulIOp(t, _c(C)).result, loop.induction_variable).result
            inside = arith.CmpIOp(arith.CmpIPredicate.ult, e, _c(n)).result
            load = scf.IfOp(inside, [elem], has_else=True)
            with ir.InsertionPoint(load.then_block):
                scf.YieldOp([memref.LoadOp(src, at(row, e)).result])
            with ir.InsertionPoint(load.else_block):
                scf.YieldOp([loop.inner_iter_args[0]])
            value, valid = join(*loop.inner_iter_args, load.results[0], inside)
            if write:
                store = scf.IfOp(inside)
                with ir.InsertionPoint(store.then_block):
                    memref.StoreOp(value, dst, at(row, e))
                    scf.YieldOp([])
            scf.YieldOp([value, valid])
        return loop.results

    with ir.InsertionPoint(call), call.location:
        blocks, bterm = _forall(rows, "#gpu.block<x>")
        with ir.InsertionPoint(bterm):
            row = blocks.induction_variables[0]
            totals = memref.AllocaOp(ir.MemRefType.get([T], elem, memory_space=space),
                                     [], []).result
            # Flags as i8: memref-to-llvm lowers no memory of i1.
            flags = memref.AllocaOp(ir.MemRefType.get([T], i8, memory_space=space),
                                    [], []).result

            def store_flag(v, i):
                memref.StoreOp(arith.ExtUIOp(i8, v).result, flags, [i])

            def load_flag(i):
                return arith.TruncIOp(i1, memref.LoadOp(flags, [i]).result).result
            threads, tterm = _forall(T, "#gpu.thread<x>")
            with ir.InsertionPoint(tterm):
                t = threads.induction_variables[0]
                first = memref.LoadOp(src, at(row, _c(0))).result    # any value: not valid
                total, has = run(row, t, first, _c(0, i1), write=False)
                memref.StoreOp(total, totals, [t])
                store_flag(has, t)
                gpu.BarrierOp()
                d = 1
                while d < T:
                    later = arith.CmpIOp(arith.CmpIPredicate.uge, t, _c(d)).result
                    back = arith.SelectOp(later, arith.SubIOp(t, _c(d)).result, t).result
                    value, valid = join(memref.LoadOp(totals, [back]).result,
                                        arith.AndIOp(later, load_flag(back)).result,
                                        memref.LoadOp(totals, [t]).result, load_flag(t))
                    gpu.BarrierOp()
                    memref.StoreOp(value, totals, [t])
                    store_flag(valid, t)
                    gpu.BarrierOp()
                    d *= 2
                later = arith.CmpIOp(arith.CmpIPredicate.uge, t, _c(1)).result
                back = arith.SelectOp(later, arith.SubIOp(t, _c(1)).result, t).result
                run(row, t, memref.LoadOp(totals, [back]).result,
                    arith.AndIOp(later, load_flag(back)).result, write=True)
    call.erase()


def _write_results_in_place(call):
    """A call result bufferization puts in a fresh buffer only to copy it into the
    function's out-parameter: the kernel writes the out-parameter (else the copy would be
    a kernel of one thread)."""
    for i, out in enumerate(list(call.operands)):
        owner = out.owner
        if isinstance(owner, ir.Block) or owner.name != "memref.alloc":
            continue
        uses = [u.owner for u in out.uses]
        copies = [u for u in uses if u.name == "memref.copy" and u.operands[0] == out]
        if len(uses) != 2 or len(copies) != 1 or \
                not isinstance(copies[0].operands[1].owner, ir.Block):
            continue
        call.operands[i] = copies[0].operands[1]
        copies[0].erase()
        owner.erase()


# The kernel of each kind of marked function: kernel(call, mark) builds it before the call
# (on the call's buffers) and erases the call.
KERNELS = {"sort": _sort_kernel, "top_k": _sort_kernel, "scatter_add": scatter.kernel,
           **{name.split(".")[1]: _scan_kernel for name in SCAN_OPS}}


@register
class GpuRowKernelsPass(ModulePass):
    """Replace calls of functions --mlax-gpu-outline-rows made by row kernels (a block per
    row, shared memory), and drop those functions."""
    name = "mlax-gpu-row-kernels"

    def run(self, module_op):
        marked = {}
        for fn in module_op.regions[0].blocks[0].operations:
            fn = fn.operation
            if fn.name == "func.func" and MARK in fn.attributes:
                marked[ir.StringAttr(fn.attributes["sym_name"]).value] = fn
        if not marked:
            return
        for call in calls_of(module_op, marked):
            _write_results_in_place(call)
            mark = ir.DictAttr(marked[ir.FlatSymbolRefAttr(call.attributes["callee"]).value]
                               .attributes[MARK])
            KERNELS[ir.StringAttr(mark["kind"]).value](call, mark)
        for fn in marked.values():
            fn.erase()
