"""`--mlax-gpu-tree-reduce`: long and full reductions as block tree reductions.

A bufferized `linalg.generic` with one output, whose body folds each element into the
output with one combiner (`arith.addf`, `maximumf`, `addi`, ...: COMBINERS), and which
either has no parallel loop (a full reduction) or reduces at least TREE_MIN_EXTENT
elements per output (and is not a contraction, which keeps the per-output schedule),
becomes a forall nest that `--mlax-gpu-map-foralls` turns into a kernel:

    one block per output element (the parallel loops, flattened), THREADS threads:
      phase 1: thread t folds elements t, t + THREADS, ... (consecutive threads read
               consecutive elements: coalesced) from the combiner's identity, then
               stores its partial in shared memory (`#gpu.address_space<workgroup>`)
      log2(THREADS) phases: threads t < h combine partials t and t + h (h halving)
      last phase: thread 0 combines the output's initial value with the block's total

Each phase is a thread forall; `--mlax-gpu-map-foralls` puts a barrier after each. A
full reduction of SPLIT_MIN elements or more takes two kernels: up to SPLIT_BLOCKS blocks
each fold a grid-strided share into a partial, then one block reduces the partials
(combined with the output's initial value). Float sums are reassociated (the tree's order),
as XLA's GPU reductions are.
"""
from __future__ import annotations

import math

from mlir import ir
from mlir.dialects import arith, gpu, memref, scf

from mlax.backends.cpu.generics import defined_functions, read_contraction, read_generic
from mlax.passes import ModulePass, register

THREADS = 256              # threads of a reducing block (a power of two, >= WARP)
WARP = 32                  # threads of a warp: they exchange registers by gpu.shuffle
WARPS = THREADS // WARP    # the partials that meet in shared memory
TREE_MIN_EXTENT = 1024     # reduced elements per output from which a block per output pays
SPLIT_MIN = 1 << 16        # a full reduction this long is split over blocks, then combined
SPLIT_BLOCKS = 1024        # at most this many blocks (partials) in the first pass

# combiner -> its identity, as a function of the element type.
COMBINERS = {
    "arith.addf": lambda t: ir.FloatAttr.get(t, -0.0),
    "arith.mulf": lambda t: ir.FloatAttr.get(t, 1.0),
    "arith.maximumf": lambda t: ir.FloatAttr.get(t, -math.inf),
    "arith.minimumf": lambda t: ir.FloatAttr.get(t, math.inf),
    "arith.maxnumf": lambda t: ir.FloatAttr.get(t, -math.inf),
    "arith.minnumf": lambda t: ir.FloatAttr.get(t, math.inf),
    "arith.addi": lambda t: ir.IntegerAttr.get(t, 0),
    "arith.muli": lambda t: ir.IntegerAttr.get(t, 1),
    "arith.ori": lambda t: ir.IntegerAttr.get(t, 0),
    "arith.xori": lambda t: ir.IntegerAttr.get(t, 0),
    "arith.andi": lambda t: ir.IntegerAttr.get(t, -1),
    "arith.maxsi": lambda t: ir.IntegerAttr.get(t, -(1 << (t.width - 1))),
    "arith.minsi": lambda t: ir.IntegerAttr.get(t, (1 << (t.width - 1)) - 1),
    "arith.maxui": lambda t: ir.IntegerAttr.get(t, 0),
    "arith.minui": lambda t: ir.IntegerAttr.get(t, -1),
}


def combiner(op):
    """(the combiner op, the index of its operand that is the accumulator) of a one-output
    reduction generic's body, or None."""
    body = op.regions[0].blocks[0]
    out = body.arguments[len(body.arguments) - 1]
    yield_op = body.operations[len(body.operations) - 1]
    if len(yield_op.operands) != 1:
        return None
    comb = yield_op.operands[0].owner
    if not isinstance(comb, ir.Operation) and hasattr(comb, "operation"):
        comb = comb.operation
    if not isinstance(comb, ir.Operation) or comb.name not in COMBINERS:
        return None
    uses = [u.owner for u in out.uses]
    if len(uses) != 1 or len(comb.operands) != 2:
        return None
    for i, v in enumerate(comb.operands):
        if v == out:
            return comb, i
    return None


def wants_tree(op) -> bool:
    """Whether the generic `op` (on tensors or buffers) gets a tree reduction."""
    g = read_generic(op)
    if g is None or not any(g.reduction) or any(m is None for m in g.maps) or 0 in g.sizes:
        return False
    if len(op.opview.outputs) != 1 or combiner(op) is None:
        return False
    parallel = [s for s, r in zip(g.sizes, g.reduction) if not r]
    reduced = math.prod(s for s, r in zip(g.sizes, g.reduction) if r)
    if not parallel:
        return True
    return reduced >= TREE_MIN_EXTENT and read_contraction(g) is None


def _c(v):
    return arith.ConstantOp(ir.IndexType.get(), v).result


def _delinearize(v, sizes):
    """Indices of the linear index `v` over `sizes` (row-major)."""
    out = []
    for s in reversed(sizes):
        sc = _c(s)
        out.append(arith.RemUIOp(v, sc).result)
        v = arith.DivUIOp(v, sc).result
    return list(reversed(out))


def _clone_combiner(comb, acc_index, acc, other):
    operands = [None, None]
    operands[acc_index], operands[1 - acc_index] = acc, other
    new = comb.clone()
    for i, v in enumerate(operands):
        new.operands[i] = v
    return new.results[0]


def _thread_forall(n):
    f = scf.ForallOp([0], [n], [1],
                     mapping=ir.ArrayAttr.get([ir.Attribute.parse("#gpu.thread<x>")]))
    with ir.InsertionPoint(f.regions[0].blocks[0]):
        term = scf.InParallelOp()
    return f, term


def _shuffle_xor(v, offset):
    """`v` of the thread whose lane is this one's xor `offset` (`gpu.shuffle xor` over the
    warp). NVVM shuffles 32 or 64 bits: narrower values are widened first, exactly."""
    t = v.type
    i32 = ir.IntegerType.get_signless(32)
    f32 = ir.F32Type.get()
    if isinstance(t, ir.IntegerType) and t.width < 32:
        wide = arith.ExtUIOp(i32, v).result
    elif isinstance(t, (ir.F16Type, ir.BF16Type)):
        wide = arith.ExtFOp(f32, v).result
    else:
        wide = v
    got = gpu.ShuffleOp(wide, arith.ConstantOp(i32, offset).result,
                        arith.ConstantOp(i32, WARP).result, gpu.ShuffleMode.XOR).results[0]
    if wide is v:
        return got
    if isinstance(t, ir.IntegerType):
        return arith.TruncIOp(t, got).result
    return arith.TruncFOp(t, got).result


def _warp_combine(comb, acc_index, v, lanes):
    """Every lane's `v` combined over each group of `lanes` lanes (a power of two up to
    WARP), by xor shuffles: after log2(lanes) exchanges every lane holds its group's
    total. No barrier: a warp's lanes exchange registers in lockstep."""
    offset = lanes // 2
    while offset:
        v = _clone_combiner(comb, acc_index, v, _shuffle_xor(v, offset))
        offset //= 2
    return v


def _tree(elem, comb, acc_index, n_blocks, step, count, fold, finish, grid_strided=False):
    """A forall nest of `n_blocks` blocks of THREADS threads reducing with `comb`: thread t
    of block b folds (`fold(acc, r, b) -> acc`) the indices r = t (b * THREADS + t when
    `grid_strided`), + step, ... below `count`, from the combiner's identity; each warp
    combines its lanes' partials by shuffles and lane 0 stores the warp's total in shared
    memory; after the barrier every warp combines the WARPS totals by shuffles and thread
    0 calls `finish(b, total)`. Every thread runs every shuffle (the warps' control flow
    stays uniform, as `gpu.shuffle` requires)."""
    block = scf.ForallOp([0], [n_blocks], [1],
                         mapping=ir.ArrayAttr.get([ir.Attribute.parse("#gpu.block<x>")]))
    with ir.InsertionPoint(block.regions[0].blocks[0]):
        bterm = scf.InParallelOp()
    with ir.InsertionPoint(bterm):
        b = block.induction_variables[0]
        shared = memref.AllocaOp(ir.MemRefType.get(
            [WARPS], elem, memory_space=ir.Attribute.parse("#gpu.address_space<workgroup>")),
            [], []).result
        # Phase 1: strided partial folds, each warp's partials combined, one slot per warp.
        f1, t1 = _thread_forall(THREADS)
        with ir.InsertionPoint(t1):
            t = f1.induction_variables[0]
            ident = arith.ConstantOp(elem, COMBINERS[comb.name](elem)).result
            start = arith.AddIOp(arith.MulIOp(b, _c(THREADS)).result, t).result \
                if grid_strided else t
            loop = scf.ForOp(start, _c(count), _c(step), [ident])
            with ir.InsertionPoint(loop.body):
                scf.YieldOp([fold(loop.inner_iter_args[0], loop.induction_variable, b)])
            total = _warp_combine(comb, acc_index, loop.results[0], WARP)
            lane0 = arith.CmpIOp(arith.CmpIPredicate.eq, arith.RemUIOp(t, _c(WARP)).result,
                                 _c(0)).result
            branch = scf.IfOp(lane0)
            with ir.InsertionPoint(branch.then_block):
                memref.StoreOp(total, shared, [arith.DivUIOp(t, _c(WARP)).result])
                scf.YieldOp([])
        # Phase 2: the warps' totals, combined by every warp; thread 0 has the block's.
        f2, t2 = _thread_forall(THREADS)
        with ir.InsertionPoint(t2):
            t = f2.induction_variables[0]
            slot = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.ult, t, _c(WARPS)).result,
                            [elem], has_else=True)
            with ir.InsertionPoint(slot.then_block):
                scf.YieldOp([memref.LoadOp(shared, [t]).result])
            with ir.InsertionPoint(slot.else_block):
                scf.YieldOp([arith.ConstantOp(elem, COMBINERS[comb.name](elem)).result])
            total = _warp_combine(comb, acc_index, slot.results[0], WARPS)
            first = scf.IfOp(arith.CmpIOp(arith.CmpIPredicate.eq, t, _c(0)).result)
            with ir.InsertionPoint(first.then_block):
                finish(b, total)
                scf.YieldOp([])


def rewrite(op):
    g = read_generic(op)
    comb, acc_index = combiner(op)
    body = op.regions[0].blocks[0]
    ins, out = list(op.opview.inputs), op.opview.outputs[0]
    n_in = len(ins)
    elem = ir.MemRefType(out.type).element_type
    pdims = [d for d in range(len(g.sizes)) if not g.reduction[d]]
    rdims = [d for d in range(len(g.sizes)) if g.reduction[d]]
    n_out = math.prod(g.sizes[d] for d in pdims)
    n_red = math.prod(g.sizes[d] for d in rdims)

    def fold_body(acc, r, b):
        """The generic's body at reduction index r of output b, folded into acc."""
        pidx = _delinearize(b, [g.sizes[d] for d in pdims]) if pdims else []
        ridx = _delinearize(r, [g.sizes[d] for d in rdims])
        idx = [None] * len(g.sizes)
        for d, v in list(zip(pdims, pidx)) + list(zip(rdims, ridx)):
            idx[d] = v
        mapping = {body.arguments[n_in]: acc}
        for i, v in enumerate(ins):
            mapping[body.arguments[i]] = memref.LoadOp(v, [idx[d] for d in g.maps[i]]).result
        for bop in list(body.operations)[:-1]:
            bop = bop.operation
            new = bop.clone()
            for k, v in enumerate(new.operands):
                if v in mapping:
                    new.operands[k] = mapping[v]
            for old_r, new_r in zip(bop.results, new.results):
                mapping[old_r] = new_r
        yielded = body.operations[len(body.operations) - 1].operands[0]
        return mapping.get(yielded, yielded)

    def finish_out(b, total):
        pidx = _delinearize(b, [g.sizes[d] for d in pdims]) if pdims else []
        out_idx = [pidx[pdims.index(d)] for d in g.maps[n_in]]
        init = memref.LoadOp(out, out_idx).result
        memref.StoreOp(_clone_combiner(comb, acc_index, init, total), out, out_idx)

    with ir.InsertionPoint(op), op.location:
        if pdims or n_red < SPLIT_MIN:
            _tree(elem, comb, acc_index, n_out, THREADS, n_red, fold_body, finish_out)
        else:
            # Two passes: SPLIT_BLOCKS blocks fold a grid-strided share each into a
            # partial, then one block reduces the partials into the output.
            blocks = min(SPLIT_BLOCKS, -(-n_red // (THREADS * 8)))
            partial = memref.AllocOp(ir.MemRefType.get([blocks], elem), [], []).result
            _tree(elem, comb, acc_index, blocks, THREADS * blocks, n_red,
                  lambda acc, r, b: fold_body(acc, r, None),
                  lambda b, total: memref.StoreOp(total, partial, [b]), grid_strided=True)

            def fold_partial(acc, r, b):
                return _clone_combiner(comb, acc_index, acc, memref.LoadOp(partial, [r]).result)
            _tree(elem, comb, acc_index, 1, THREADS, blocks, fold_partial, finish_out)
    op.erase()


def _top_level_generics(fn):
    found = []

    def walk(o):
        if o.name == "scf.forall":
            return ir.WalkResult.SKIP
        if o.name == "linalg.generic" and not len(o.results):
            found.append(o)
        return ir.WalkResult.ADVANCE
    fn.walk(walk, ir.WalkOrder.PRE_ORDER)
    return found


@register
class GpuTreeReducePass(ModulePass):
    """Bufferized long and full reductions as block tree reductions through shared memory."""
    name = "mlax-gpu-tree-reduce"

    def run(self, module_op):
        for fn in defined_functions(module_op):
            for op in _top_level_generics(fn):
                if wants_tree(op):
                    rewrite(op)
