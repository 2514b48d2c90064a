"""`--mlax-gpu-tile-matmul`: 2-D matmuls tiled through shared memory.

A bufferized `linalg.generic` computing C[m, n] += A * B (a multiply-add body, two inputs
in any layout, one m, n and k loop; what `dot_general` of two matrices lowers to), or
C[b, m, n] += A * B with one batch loop (C's first dim; `vmap` of a matmul, `einsum
"bij,bjk"`), with m, n and k at least TILE becomes a forall nest that
`--mlax-gpu-map-foralls` turns into a kernel:

    a TILE x TILE block of threads per TILE x TILE tile of C (grid: N/TILE x M/TILE,
    x the batch along z);
    for each TILE-wide step along k (a loop the whole block runs):
      phase 1: each thread copies one element of A's and one of B's tile into shared
               memory (consecutive threads: consecutive columns, coalesced for
               row-major operands)
      phase 2: each thread adds the step's TILE products from shared memory to its
               element of C (read and written in place: C holds the initial value)

Partial tiles at the edges are guarded (threads outside C copy nothing and compute
nothing; the last k step runs only its valid length). Each operand element is read from
global memory M/TILE or N/TILE times instead of N or M times.

Where C has at least REG_TILE rows and columns, register tiles instead:

    a TILE x TILE block of threads per REG_TILE x REG_TILE (64 x 64) tile of C; one
    thread forall whose body is the whole kernel: thread (ty, tx) keeps the REG x REG
    (4 x 4) outputs C[ty + 16 i, tx + 16 j] as the iteration values of the k loop
    (registers), starting from C's initial values;
    for each K_TILE-wide step along k:
      copy the step's 64 x 16 tile of A and 16 x 64 tile of B into shared memory (4
      elements of each per thread, zero outside the operands), gpu.barrier
      16 times: 4 loads of A and 4 of B from shared memory, 16 multiply-adds, gpu.barrier
    store the 16 outputs (guarded at the edges).

Operands are read from global memory M/64 or N/64 times, and each shared load feeds 4
products instead of 1.

f16 and bf16 matmuls of the same size (mlax lowers them to a body widening both factors
to f32) use tensor cores instead: the same block tiles and shared tiles, 4 warps each
computing a 32 x 32 quarter as 2 x 4 `nvgpu.mma.sync` m16n8k16 tiles accumulated in f32
(`rewrite_tensor_cores`; bf16 ones reach NVVM through `--mlax-gpu-bf16-mma`).
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, gpu, memref, nvgpu, scf, vector

from mlax.backends.cpu.generics import defined_functions, read_generic
from mlax.passes import ModulePass, register

TILE = 16     # 16 x 16 = 256 threads per block, 2 KB of shared memory per operand (f32)
# Register tiles: a REG_TILE x REG_TILE block of C per block of TILE x TILE threads, each
# thread REG x REG outputs (rows ty + TILE * i, columns tx + TILE * j: a warp's stores are
# consecutive columns), K_TILE-deep shared tiles of A (REG_TILE x K_TILE) and B (K_TILE x
# REG_TILE), 4 KB each for f32.
REG = 4
REG_TILE = TILE * REG
K_TILE = 16
# Tensor cores: mma.sync m16n8k16 (sm_80), 4 warps per REG_TILE x REG_TILE block tile, each
# warp a 32 x 32 quarter: 2 x 4 MMA tiles of 16 x 8, accumulated in f32.
MMA_M, MMA_N, MMA_K = 16, 8, 16
MMA_WARPS = 4


def _widened(op) -> bool:
    """Whether the matmul generic `op` multiplies its inputs after widening them
    (`arith.extf` of each, as mlax lowers f16 and bf16 matmuls, accumulating in f32)."""
    return op.regions[0].blocks[0].operations[0].operation.name == "arith.extf"


def _roles(op):
    """(g, m, n, k, a, b, batch) of a matmul generic: its m, n, k loop dims, which input is
    A and which B, and its batch loop dim (None for a 2-D matmul); None for other ops.
    The body multiplies the inputs (each widened by `arith.extf` first, or neither) and
    adds the product to the output."""
    g = read_generic(op)
    if g is None or len(g.sizes) not in (3, 4) or any(m is None for m in g.maps) \
            or 0 in g.sizes:
        return None
    view = op.opview
    if len(view.inputs) != 2 or len(view.outputs) != 1:
        return None
    block = op.regions[0].blocks[0]
    body = [o.operation for o in block.operations]
    a0, a1, out = block.arguments
    factors = {}
    if len(body) == 5 and body[0].name == body[1].name == "arith.extf":
        factors = {body[0].results[0]: body[0].operands[0],
                   body[1].results[0]: body[1].operands[0]}
        body = body[2:]
    if len(body) != 3 or (body[0].name, body[1].name) not in (
            ("arith.mulf", "arith.addf"), ("arith.muli", "arith.addi")):
        return None
    mul, add = body[0], body[1]
    if {factors.get(v, v) for v in mul.operands} != {a0, a1} or \
            set(add.operands) != {out, mul.results[0]} or body[2].operands[0] != add.results[0]:
        return None
    if len(g.maps[2]) != len(g.sizes) - 1 or sum(g.reduction) != 1:
        return None
    m, n = g.maps[2][-2:]
    batch = g.maps[2][0] if len(g.sizes) == 4 else None
    k = g.reduction.index(True)
    extra = {batch} if batch is not None else set()
    if set(g.maps[0]) == {m, k} | extra and set(g.maps[1]) == {k, n} | extra:
        a, b = 0, 1
    elif set(g.maps[1]) == {m, k} | extra and set(g.maps[0]) == {k, n} | extra:
        a, b = 1, 0
    else:
        return None
    if batch is not None and g.sizes[batch] > 65535:
        return None         # the grid's z extent
    return g, m, n, k, a, b, batch


def wants_tiled_matmul(op) -> bool:
    r = _roles(op)
    if r is None:
        return False
    g, m, n, k = r[:4]
    if _widened(op):            # only the tensor-core kernel widens its factors
        return wants_tensor_cores(g, m, n, k, _input_type(op))
    return min(g.sizes[m], g.sizes[n], g.sizes[k]) >= TILE


def _input_type(op):
    return ir.ShapedType(op.opview.inputs[0].type).element_type


def wants_tensor_cores(g, m, n, k, elem):
    """Tensor cores for f16 and bf16 matmuls of at least one REG_TILE x REG_TILE block
    tile and one MMA_K step (bf16 mma.sync reaches NVVM through `--mlax-gpu-bf16-mma`,
    mma.py)."""
    return isinstance(elem, (ir.F16Type, ir.BF16Type)) and \
        min(g.sizes[m], g.sizes[n]) >= REG_TILE and g.sizes[k] >= MMA_K


def wants_register_tiles(g, m, n):
    """Register tiles where C is at least one REG_TILE x REG_TILE block tile; smaller
    matmuls keep one output per thread (a 64 x 64 block would mostly idle)."""
    return min(g.sizes[m], g.sizes[n]) >= REG_TILE


def _c(v):
    return arith.ConstantOp(ir.IndexType.get(), v).result


def _forall(counts, mapping):
    f = scf.ForallOp([0] * len(counts), counts, [1] * len(counts),
                     mapping=ir.ArrayAttr.get([ir.Attribute.parse(x) for x in mapping]))
    with ir.InsertionPoint(f.regions[0].blocks[0]):
        term = scf.InParallelOp()
    return f, term

def _tile_blocks(g, batch, M, N):
    """The forall over the REG_TILE x REG_TILE output tiles (grid y, x) and the batch dim
    (grid z, if any): (the forall, its terminator)."""
    grid = [-(-M // REG_TILE), -(-N // REG_TILE)]
    axes = ["#gpu.block<y>", "#gpu.block<x>"]
    if batch is not None:
        grid, axes = [g.sizes[batch]] + grid, ["#gpu.block<z>"] + axes
    return _forall(grid, axes)


def _tile_origin(blocks, batch):
    """In a `_tile_blocks` forall: the batch dim's fixed index, and the tile's first row
    and column."""
    ivs = list(blocks.induction_variables)
    fixed = {batch: ivs[0]} if batch is not None else {}
    return (fixed, arith.MulIOp(ivs[-2], _c(REG_TILE)).result,
            arith.MulIOp(ivs[-1], _c(REG_TILE)).result)



def _lt(a, b):
    return arith.CmpIOp(arith.CmpIPredicate.ult, a, b).result


def rewrite(op):
    roles = _roles(op)
    g, m, n, k = roles[:4]
    if wants_tensor_cores(g, m, n, k, _input_type(op)):
        rewrite_tensor_cores(op, *roles)
        return
    if wants_register_tiles(g, m, n):
        rewrite_register_tiled(op, *roles)
        return
    rewrite_one_per_thread(op, *roles)


def rewrite_one_per_thread(op, g, m, n, k, a, b, batch):
    view = op.opview
    ins, out = list(view.inputs), view.outputs[0]
    elem = ir.MemRefType(out.type).element_type
    block_args = op.regions[0].blocks[0].arguments
    mul, add = [o.operation for o in op.regions[0].blocks[0].operations][:2]
    M, N, K = g.sizes[m], g.sizes[n], g.sizes[k]
    shared_t = ir.MemRefType.get([TILE, TILE], elem, memory_space=ir.Attribute.parse(
        "#gpu.address_space<workgroup>"))

    def load(i, dims):
        return memref.LoadOp(ins[i], [dims[d] for d in g.maps[i]]).result

    with ir.InsertionPoint(op), op.location:
        grid = [-(-M // TILE), -(-N // TILE)]
        axes = ["#gpu.block<y>", "#gpu.block<x>"]
        if batch is not None:
            grid, axes = [g.sizes[batch]] + grid, ["#gpu.block<z>"] + axes
        blocks, bterm = _forall(grid, axes)
        with ir.InsertionPoint(bterm):
            ivs = list(blocks.induction_variables)
            bi, bj = ivs[-2:]
            fixed = {batch: ivs[0]} if batch is not None else {}
            tile = _c(TILE)
            row0 = arith.MulIOp(bi, tile).result
            col0 = arith.MulIOp(bj, tile).result
            a_s = memref.AllocaOp(shared_t, [], []).result
            b_s = memref.AllocaOp(shared_t, [], []).result
            steps = scf.ForOp(_c(0), _c(-(-K // TILE)), _c(1))
            with ir.InsertionPoint(steps.body):
                k0 = arith.MulIOp(steps.induction_variable, tile).result
                # Phase 1: the step's tiles of A and B into shared memory.
                copy, cterm = _forall([TILE, TILE], ["#gpu.thread<y>", "#gpu.thread<x>"])
                with ir.InsertionPoint(cterm):
                    ty, tx = copy.induction_variables
                    i, kk = arith.AddIOp(row0, ty).result, arith.AddIOp(k0, tx).result
                    guard = scf.IfOp(arith.AndIOp(_lt(i, _c(M)), _lt(kk, _c(K))).result)
                    with ir.InsertionPoint(guard.then_block):
                        memref.StoreOp(load(a, {m: i, k: kk, **fixed}), a_s, [ty, tx])
                        scf.YieldOp([])
                    kk2, j = arith.AddIOp(k0, ty).result, arith.AddIOp(col0, tx).result
                    guard = scf.IfOp(arith.AndIOp(_lt(kk2, _c(K)), _lt(j, _c(N))).result)
                    with ir.InsertionPoint(guard.then_block):
                        memref.StoreOp(load(b, {k: kk2, n: j, **fixed}), b_s, [ty, tx])
                        scf.YieldOp([])
                # Phase 2: this step's products into C.
                comp, pterm = _forall([TILE, TILE], ["#gpu.thread<y>", "#gpu.thread<x>"])
                with ir.InsertionPoint(pterm):
                    ty, tx = comp.induction_variables
                    i, j = arith.AddIOp(row0, ty).result, arith.AddIOp(col0, tx).result
                    guard = scf.IfOp(arith.AndIOp(_lt(i, _c(M)), _lt(j, _c(N))).result)
                    with ir.InsertionPoint(guard.then_block):
                        idx = {m: i, n: j, **fixed}
                        c_idx = [idx[d] for d in g.maps[2]]
                        length = arith.MinUIOp(_c(TILE), arith.SubIOp(_c(K), k0).result).result
                        init = memref.LoadOp(out, c_idx).result
                        loop = scf.ForOp(_c(0), length, _c(1), [init])
                        with ir.InsertionPoint(loop.body):
                            kt = loop.induction_variable
                            av = memref.LoadOp(a_s, [ty, kt]).result
                            bv = memref.LoadOp(b_s, [kt, tx]).result
                            vals = {block_args[a]: av, block_args[b]: bv,
                                    block_args[2]: loop.inner_iter_args[0]}
                            prod = mul.clone()
                            for q, v in enumerate(prod.operands):
                                prod.operands[q] = vals[v]
                            acc = add.clone()
                            for q, v in enumerate(acc.operands):
                                acc.operands[q] = prod.results[0] if v == mul.results[0] \
                                    else vals[v]
                            scf.YieldOp([acc.results[0]])
                        memref.StoreOp(loop.results[0], out, c_idx)
                        scf.YieldOp([])
                scf.YieldOp([])
    op.erase()


def _zero(elem):
    if isinstance(elem, ir.IntegerType):
        return arith.ConstantOp(elem, ir.IntegerAttr.get(elem, 0)).result
    return arith.ConstantOp(elem, ir.FloatAttr.get(elem, 0.0)).result


def _guarded_load(buf, idx, cond, elem):
    """buf[idx] where `cond`, else zero (padding of the edge tiles)."""
    branch = scf.IfOp(cond, [elem], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        scf.YieldOp([memref.LoadOp(buf, idx).result])
    with ir.InsertionPoint(branch.else_block):
        scf.YieldOp([_zero(elem)])
    return branch.results[0]


def rewrite_register_tiled(op, g, m, n, k, a, b, batch):
    """The register-tiled kernel: one thread forall whose body is the whole k loop, a
    barrier after the step's copy into shared memory and one after its products (so the
    accumulators stay in registers, as the loop's iteration values, across steps)."""
    view = op.opview
    ins, out = list(view.inputs), view.outputs[0]
    elem = ir.MemRefType(out.type).element_type
    block_args = op.regions[0].blocks[0].arguments
    mul, add = [o.operation for o in op.regions[0].blocks[0].operations][:2]
    M, N, K = g.sizes[m], g.sizes[n], g.sizes[k]
    space = ir.Attribute.parse("#gpu.address_space<workgroup>")
    a_t = ir.MemRefType.get([REG_TILE, K_TILE], elem, memory_space=space)
    b_t = ir.MemRefType.get([K_TILE, REG_TILE], elem, memory_space=space)
    threads = TILE * TILE

    def madd(acc, av, bv):
        vals = {block_args[a]: av, block_args[b]: bv, block_args[2]: acc}
        prod = mul.clone()
        for q, v in enumerate(prod.operands):
            prod.operands[q] = vals[v]
        total = add.clone()
        for q, v in enumerate(total.operands):
            total.operands[q] = prod.results[0] if v == mul.results[0] else vals[v]
        return total.results[0]

    with ir.InsertionPoint(op), op.location:
        blocks, bterm = _tile_blocks(g, batch, M, N)
        with ir.InsertionPoint(bterm):
            fixed, row0, col0 = _tile_origin(blocks, batch)
            a_s = memref.AllocaOp(a_t, [], []).result
            b_s = memref.AllocaOp(b_t, [], []).result
            thr, tterm = _forall([TILE, TILE], ["#gpu.thread<y>", "#gpu.thread<x>"])
            with ir.InsertionPoint(tterm):
                ty, tx = thr.induction_variables
                lin = arith.AddIOp(arith.MulIOp(ty, _c(TILE)).result, tx).result
                rows = [arith.AddIOp(row0, arith.AddIOp(ty, _c(TILE * i)).result).result
                        for i in range(REG)]
                cols = [arith.AddIOp(col0, arith.AddIOp(tx, _c(TILE * j)).result).result
                        for j in range(REG)]

                def c_index(i, j):
                    idx = {m: rows[i], n: cols[j], **fixed}
                    return [idx[d] for d in g.maps[2]]

                def inside(i, j):
                    return arith.AndIOp(_lt(rows[i], _c(M)), _lt(cols[j], _c(N))).result
                init = [_guarded_load(out, c_index(i, j), inside(i, j), elem)
                        for i in range(REG) for j in range(REG)]
                steps = scf.ForOp(_c(0), _c(K), _c(K_TILE), init)
                with ir.InsertionPoint(steps.body):
                    k0 = steps.induction_variable
                    # The step's tiles into shared memory, REG_TILE * K_TILE / threads
                    # elements of each per thread, consecutive threads on consecutive
                    # elements of a row (coalesced for row-major operands).
                    for q in range(REG_TILE * K_TILE // threads):
                        e = arith.AddIOp(lin, _c(q * threads)).result
                        r, col = arith.DivUIOp(e, _c(K_TILE)).result, \
                            arith.RemUIOp(e, _c(K_TILE)).result
                        i, kk = arith.AddIOp(row0, r).result, arith.AddIOp(k0, col).result
                        v = _guarded_load(ins[a], [{m: i, k: kk, **fixed}[d] for d in g.maps[a]],
                                          arith.AndIOp(_lt(i, _c(M)), _lt(kk, _c(K))).result,
                                          elem)
                        memref.StoreOp(v, a_s, [r, col])
                        r, col = arith.DivUIOp(e, _c(REG_TILE)).result, \
                            arith.RemUIOp(e, _c(REG_TILE)).result
                        kk, j = arith.AddIOp(k0, r).result, arith.AddIOp(col0, col).result
                        v = _guarded_load(ins[b], [{k: kk, n: j, **fixed}[d] for d in g.maps[b]],
                                          arith.AndIOp(_lt(kk, _c(K)), _lt(j, _c(N))).result,
                                          elem)
                        memref.StoreOp(v, b_s, [r, col])
                    gpu.BarrierOp()
                    # The step's products: REG + REG shared loads per REG * REG products.
                    inner = scf.ForOp(_c(0), _c(K_TILE), _c(1), list(steps.inner_iter_args))
                    with ir.InsertionPoint(inner.body):
                        kk = inner.induction_variable
                        av = [memref.LoadOp(a_s, [arith.AddIOp(ty, _c(TILE * i)).result, kk]
                                            ).result for i in range(REG)]
                        bv = [memref.LoadOp(b_s, [kk, arith.AddIOp(tx, _c(TILE * j)).result]
                                            ).result for j in range(REG)]
                        accs = list(inner.inner_iter_args)
                        scf.YieldOp([madd(accs[i * REG + j], av[i], bv[j])
                                     for i in range(REG) for j in range(REG)])
                    gpu.BarrierOp()
                    scf.YieldOp(list(inner.results))
                for i in range(REG):
                    for j in range(REG):
                        guard = scf.IfOp(inside(i, j))
                        with ir.InsertionPoint(guard.then_block):
                            memref.StoreOp(steps.results[i * REG + j], out, c_index(i, j))
                            scf.YieldOp([])
    op.erase()


def rewrite_tensor_cores(op, g, m, n, k, a, b, batch):
    """The tensor-core kernel: as the register-tiled one (one thread forall holding the k
    loop and its barriers, shared tiles of REG_TILE x K_TILE and K_TILE x REG_TILE), with
    MMA_WARPS warps, each computing its 32 x 32 quarter of the block tile as 2 x 4
    `nvgpu.mma.sync` m16n8k16 tiles. Each lane holds PTX's fragments: with g = lane / 4
    and q = lane % 4, of A rows g and g + 8, columns 2q, 2q + 1 and those + 8; of B
    columns g, rows 2q, 2q + 1 and those + 8; of C rows g and g + 8, columns 2q, 2q + 1.
    Products accumulate in f32 (C's initial values included), as the widened body mlax
    lowers f16 and bf16 matmuls to asks; a C of the inputs' type is rounded to it once."""
    view = op.opview
    ins, out = list(view.inputs), view.outputs[0]
    elem = _input_type(op)
    out_elem = ir.MemRefType(out.type).element_type
    f32 = ir.F32Type.get()
    M, N, K = g.sizes[m], g.sizes[n], g.sizes[k]
    space = ir.Attribute.parse("#gpu.address_space<workgroup>")
    a_t = ir.MemRefType.get([REG_TILE, K_TILE], elem, memory_space=space)
    b_t = ir.MemRefType.get([K_TILE, REG_TILE], elem, memory_space=space)
    a_frag = ir.VectorType.get([4, 2], elem)
    b_frag = ir.VectorType.get([2, 2], elem)
    c_frag = ir.VectorType.get([2, 2], f32)
    threads = 32 * MMA_WARPS
    tiles_m, tiles_n = 32 // MMA_M, 32 // MMA_N

    with ir.InsertionPoint(op), op.location:
        blocks, bterm = _tile_blocks(g, batch, M, N)
        with ir.InsertionPoint(bterm):
            fixed, row0, col0 = _tile_origin(blocks, batch)
            a_s = memref.AllocaOp(a_t, [], []).result
            b_s = memref.AllocaOp(b_t, [], []).result
            thr, tterm = _forall([threads], ["#gpu.thread<x>"])
            with ir.InsertionPoint(tterm):
                t = thr.induction_variables[0]
                warp, lane = arith.DivUIOp(t, _c(32)).result, arith.RemUIOp(t, _c(32)).result
                grp, quad = arith.DivUIOp(lane, _c(4)).result, arith.RemUIOp(lane, _c(4)).result
                wm = arith.MulIOp(arith.DivUIOp(warp, _c(2)).result, _c(32)).result
                wn = arith.MulIOp(arith.RemUIOp(warp, _c(2)).result, _c(32)).result
                two_q = arith.MulIOp(quad, _c(2)).result

                def add(*vs):
                    v = vs[0]
                    for w in vs[1:]:
                        v = arith.AddIOp(v, w if isinstance(w, ir.Value) else _c(w)).result
                    return v

                def c_place(mi, ni, r, e):
                    """(row, column) in C of element (r, e) of C fragment (mi, ni)."""
                    return (add(row0, wm, grp, mi * MMA_M + 8 * r),
                            add(col0, wn, two_q, ni * MMA_N + e))

                def c_index(i, j):
                    idx = {m: i, n: j, **fixed}
                    return [idx[d] for d in g.maps[2]]

                def inside(i, j):
                    return arith.AndIOp(_lt(i, _c(M)), _lt(j, _c(N))).result
                init = []
                for mi in range(tiles_m):
                    for ni in range(tiles_n):
                        vals = []
                        for r in range(2):
                            for e in range(2):
                                i, j = c_place(mi, ni, r, e)
                                v = _guarded_load(out, c_index(i, j), inside(i, j), out_elem)
                                vals.append(v if out_elem == f32 else arith.ExtFOp(f32, v).result)
                        init.append(vector.FromElementsOp(c_frag, vals).result)
                steps = scf.ForOp(_c(0), _c(K), _c(K_TILE), init)
                with ir.InsertionPoint(steps.body):
                    k0 = steps.induction_variable
                    for p in range(REG_TILE * K_TILE // threads):
                        e_ = add(t, p * threads)
                        r, col = arith.DivUIOp(e_, _c(K_TILE)).result, \
                            arith.RemUIOp(e_, _c(K_TILE)).result
                        i, kk = add(row0, r), add(k0, col)
                        v = _guarded_load(ins[a], [{m: i, k: kk, **fixed}[d] for d in g.maps[a]],
                                          arith.AndIOp(_lt(i, _c(M)), _lt(kk, _c(K))).result,
                                          elem)
                        memref.StoreOp(v, a_s, [r, col])
                        r, col = arith.DivUIOp(e_, _c(REG_TILE)).result, \
                            arith.RemUIOp(e_, _c(REG_TILE)).result
                        kk, j = add(k0, r), add(col0, col)
                        v = _guarded_load(ins[b], [{k: kk, n: j, **fixed}[d] for d in g.maps[b]],
                                          arith.AndIOp(_lt(kk, _c(K)), _lt(j, _c(N))).result,
                                          elem)
                        memref.StoreOp(v, b_s, [r, col])
                    gpu.BarrierOp()
                    a_frags = []
                    for mi in range(tiles_m):
                        rows = [add(wm, grp, mi * MMA_M + 8 * (reg % 2)) for reg in range(4)]
                        a_frags.append(vector.FromElementsOp(a_frag, [
                            memref.LoadOp(a_s, [rows[reg], add(two_q, 8 * (reg // 2) + e)]).result
                            for reg in range(4) for e in range(2)]).result)
                    b_frags = []
                    for ni in range(tiles_n):
                        column = add(wn, grp, ni * MMA_N)
                        b_frags.append(vector.FromElementsOp(b_frag, [
                            memref.LoadOp(b_s, [add(two_q, 8 * reg + e), column]).result
                            for reg in range(2) for e in range(2)]).result)
                    accs = list(steps.inner_iter_args)
                    new = [nvgpu.MmaSyncOp(c_frag, a_frags[mi], b_frags[ni],
                                           accs[mi * tiles_n + ni],
                                           [MMA_M, MMA_N, MMA_K]).result
                           for mi in range(tiles_m) for ni in range(tiles_n)]
                    gpu.BarrierOp()
                    scf.YieldOp(new)
                for mi in range(tiles_m):
                    for ni in range(tiles_n):
                        for r in range(2):
                            for e in range(2):
                                i, j = c_place(mi, ni, r, e)
                                guard = scf.IfOp(inside(i, j))
                                with ir.InsertionPoint(guard.then_block):
                                    v = vector.ExtractOp(steps.results[mi * tiles_n + ni], [],
                                                         [r, e]).result
                                    if out_elem != f32:
                                        v = arith.TruncFOp(out_elem, v).result
                                    memref.StoreOp(v, out, c_index(i, j))
                                    scf.YieldOp([])
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
class GpuTileMatmulPass(ModulePass):
    """Bufferized 2-D matmuls as kernels tiled through shared memory."""
    name = "mlax-gpu-tile-matmul"

    def run(self, module_op):
        for fn in defined_functions(module_op):
            for op in _top_level_generics(fn):
                if wants_tiled_matmul(op):
                    rewrite(op)
