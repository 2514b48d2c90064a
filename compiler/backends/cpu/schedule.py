"""CPU code generation: `--mlax-cpu-schedule` (linalg on tensors) and
`--mlax-cpu-buffer-cleanup` (after bufferization).

`--mlax-cpu-schedule` gives each `linalg.generic` a schedule for the host CPU. It reads
the generic's shape (its iterators, indexing maps and body) and picks the first that fits
(`plan_function`):

    packed       a large 2-D contraction (C[m,n] += A * B, any operand layout, M >= 64,
                 N a multiple of the vector tile): B is first copied into NR-wide panels
                 (a `linalg.transpose` into [N/NR][K][NR], split over threads), C is
                 viewed as [M][N/NR][NR] (a reshape), the panels are split over threads,
                 and each thread runs Kc x Mc blocks of register tiles over its panels.
    contraction  two inputs, a multiply-add body, reduction dims (what dot_general lowers
                 to), C's last dim longer than 1 and B contiguous along it (else a 2-D
                 one gets a transposed copy of B): tiles of MR x NR accumulators kept in
                 vector registers across a k loop of rank-1 updates (vector.contract,
                 lowered to outer-product FMAs). Partial tiles are peeled off so every
                 tile has a static shape.
    reduction    when the innermost (non-unit) loop is a reduction, float combiners get
                 `fastmath<reassoc,contract>` so LLVM vectorizes it (a float sum cannot be
                 reordered without it); an outer reduction (column sums) vectorizes along
                 its inner parallel loop as it is, in the same order as op-by-op code.
    elementwise  (and reductions with an outer parallel loop) with enough work: split over
                 threads along the outermost loop. LLVM's loop vectorizer handles the
                 inner loops.

Each schedule is a few lines of transform dialect. The pass tags every scheduled op with
`mlax_schedule = <id>`, writes one `transform.named_sequence` that matches the tags, runs
it with the transform interpreter, and removes the tags. A function whose schedule fails
is restored, keeps only the fastmath flags, and a ScheduleWarning says so. Threads are `scf.forall` loops, which the CPU
pipeline turns into OpenMP (`scf-forall-to-parallel`, `convert-scf-to-openmp`); without an
OpenMP runtime (`mlax.runtime.cpu.openmp_library()`) nothing is split over threads.

`--mlax-cpu-buffer-cleanup` runs after bufferization: strided `memref.copy` becomes
`linalg.copy` (a loop nest LLVM vectorizes, not a call to the generic runtime copy), and a
result computed in a temporary buffer and then copied into its out-parameter is computed in
the out-parameter directly.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field

from mlir import ir
from mlir.dialects import linalg, memref, tensor
from mlir.dialects.transform import interpreter

from mlax.passes import ModulePass, option, register
from mlax.runtime.cpu import openmp_library

TAG = "mlax_schedule"

# Tuning, measured on the 2-core AVX-512 machine (DESIGN.md).
VECTOR_BYTES = 64          # one AVX-512 register
MR = 8                     # accumulator rows of a register tile
MC = 256                   # at most this many rows of A per block of the packed kernel
KC = 256                   # depth of a block of the packed kernel
MIN_VECTOR_MACS = 4096     # smaller contractions stay scalar loops (dispatch-bound anyway)
MIN_PACKED_MACS = 1 << 21  # 2M multiply-adds (~10 us) before B packing pays off
MIN_PARALLEL_MACS = 1 << 23  # 8M multiply-adds (~100 us) before a contraction uses threads
MIN_PACKED_ROWS = 64       # packing B (K*N copies) pays off when each panel serves many rows
MIN_PARALLEL_WORK = 1 << 22       # work units (see `work`) before a loop is split over
                                  # threads: ~1 ms single-threaded, so the fork/join (5-50 us,
                                  # far more when the cores are shared) stays small
MIN_REASSOC_EXTENT = 16    # reductions shorter than this gain nothing from reordering


def num_threads() -> int:
    """Threads a schedule may use: the usable cores, 1 without an OpenMP runtime.

    `MLAX_NUM_THREADS` sets the count (code compiled for more than one thread needs the
    OpenMP runtime to run)."""
    env = os.environ.get("MLAX_NUM_THREADS")
    if env:
        return max(1, int(env))
    if openmp_library() is None:
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------------------------------
# Reading a linalg.generic


@dataclass
class Generic:
    """A linalg.generic seen as loops: sizes, iterator kinds, per-operand dim lists."""
    op: ir.Operation
    sizes: list
    reduction: list           # bool per loop dim
    maps: list                # per operand: list of loop dims, or None if not a permutation
    n_inputs: int
    element: ir.Type          # element type of the (first) output

    @property
    def numel(self):
        n = 1
        for s in self.sizes:
            n *= s
        return n

    def extent(self, dims):
        n = 1
        for d in dims:
            n *= self.sizes[d]
        return n


# Rough cost of a body op in "work units" (one unit ~ an add on one element, with its
# share of the loads and stores); transcendentals cost tens.
OP_COST = {"arith.divf": 4, "arith.remf": 8, "math.sqrt": 4, "math.rsqrt": 4}


def work(g: Generic) -> int:
    """Estimated work of a generic: iteration points x (loads/stores + body op costs)."""
    per_point = 1 + g.n_inputs
    for op in g.op.regions[0].blocks[0].operations:
        name = op.name
        per_point += OP_COST.get(name, 20 if name.startswith("math.") else 1)
    return g.numel * per_point


def _read_generic(op) -> Generic | None:
    maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    its = ["reduction" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    n = len(its)
    sizes = [None] * n
    dims = []
    for v, m in zip(op.operands, maps):
        shape = ir.ShapedType(v.type).shape if isinstance(v.type, ir.ShapedType) else []
        ds = []
        for i, e in enumerate(m.results):
            if isinstance(e, ir.AffineDimExpr):
                d = e.position
                ds.append(d)
                if shape[i] < 0:
                    return None
                sizes[d] = shape[i]
            else:
                ds = None
                break
        dims.append(ds)
    if any(s is None for s in sizes):
        return None
    n_in = len(op.operands) - len(op.results)
    out_t = ir.ShapedType(op.results[0].type).element_type if len(op.results) else None
    return Generic(op, sizes, its, dims, n_in, out_t)


def _is_float(t):
    return any(isinstance(t, c) for c in (ir.F16Type, ir.BF16Type, ir.F32Type, ir.F64Type))


def _itemsize(t):
    if isinstance(t, ir.IntegerType):
        return max(1, t.width // 8)
    return {"f16": 2, "bf16": 2, "f32": 4, "f64": 8}.get(str(t), 4)


@dataclass
class Contraction:
    """Loop-dim roles of C[...] += A[...] * B[...]; `b` holds C's innermost dim."""
    a: int
    b: int
    m: list = field(default_factory=list)
    n: list = field(default_factory=list)
    k: list = field(default_factory=list)
    batch: list = field(default_factory=list)


def _contraction(g: Generic) -> Contraction | None:
    op = g.op
    if g.n_inputs != 2 or len(op.results) != 1 or any(m is None for m in g.maps):
        return None
    block = op.regions[0].blocks[0]
    body = list(block.operations)
    if len(body) != 3:
        return None
    mul, add, yld = body
    kinds = {("arith.mulf", "arith.addf"), ("arith.muli", "arith.addi")}
    if (mul.name, add.name) not in kinds or yld.name != "linalg.yield":
        return None
    a0, a1, out = block.arguments
    if set(mul.operands) != {a0, a1} or \
            set(add.operands) != {out, mul.results[0]} or \
            yld.operands[0] != add.results[0]:
        return None
    ma, mb, mc = (set(m) for m in g.maps)
    if not g.maps[2]:
        return None
    last = g.maps[2][-1]
    c = Contraction(0, 1) if last in mb and last not in ma else Contraction(1, 0)
    sa, sb = (ma, mb) if c.a == 0 else (mb, ma)
    for d in range(len(g.sizes)):
        where = (d in sa, d in sb, d in mc)
        role = {(True, True, True): c.batch, (True, False, True): c.m,
                (False, True, True): c.n, (True, True, False): c.k}.get(where)
        if role is None or (role is c.k) != g.reduction[d]:
            return None
        role.append(d)
    if last not in c.n or not c.k:
        return None
    return c


def _producer(v):
    """The op defining `v`, or None for a block argument."""
    owner = v.owner
    return None if isinstance(owner, ir.Block) else owner


# ---------------------------------------------------------------------------------------
# Schedules: each returns transform-dialect lines for the op tagged `tag`


class Script:
    """A transform script being written: fresh handle names, one line at a time."""

    def __init__(self):
        self.lines = []
        self.count = 0

    def fresh(self, n=1):
        self.count += 1
        name = f"%h{self.count}"
        return name if n == 1 else [f"{name}#{i}" for i in range(n)]

    def emit(self, line):
        self.lines.append("    " + line)

    def match(self, tag):
        h = self.fresh()
        self.emit(f'{h} = transform.structured.match attributes{{{TAG} = {tag} : i64}} in %root '
                  f': (!transform.any_op) -> !transform.any_op')
        return h

    def tile_for(self, h, sizes, interchange=None):
        loops = sum(1 for s in sizes if s)
        t = self.fresh()
        if loops == 0:
            return h, []
        name = t[1:]
        res = f"%{name}_t, %{name}_l:{loops}" if loops > 1 else f"%{name}_t, %{name}_l"
        inter = f" interchange = {list(interchange)}" if interchange else ""
        types = ", ".join(["!transform.any_op"] * (loops + 1))
        self.emit(f"{res} = transform.structured.tile_using_for {h} tile_sizes {list(sizes)}{inter} "
                  f": (!transform.any_op) -> ({types})")
        ls = [f"%{name}_l#{i}" for i in range(loops)] if loops > 1 else [f"%{name}_l"]
        return f"%{name}_t", ls

    def tile_forall(self, h, num_threads):
        name = self.fresh()[1:]
        self.emit(f"%{name}_t, %{name}_f = transform.structured.tile_using_forall {h} "
                  f"num_threads {list(num_threads)} : (!transform.any_op) -> "
                  f"(!transform.any_op, !transform.any_op)")
        return f"%{name}_t"

    def peel(self, loops):
        """Peel the partial last iteration off each loop (innermost last in `loops`)."""
        casts = []
        for loop in loops:
            c = self.fresh()
            self.emit(f'{c} = transform.cast {loop} : !transform.any_op to !transform.op<"scf.for">')
            casts.append(c)
        for c in reversed(casts):
            name = self.fresh()[1:]
            self.emit(f'%{name}_m, %{name}_r = transform.loop.peel {c} : '
                      f'(!transform.op<"scf.for">) -> (!transform.any_op, !transform.any_op)')

    def canonicalize(self):
        f = self.fresh()
        self.emit(f'{f} = transform.structured.match ops{{["func.func"]}} in %root '
                  f': (!transform.any_op) -> !transform.any_op')
        self.emit(f"transform.apply_patterns to {f} {{ transform.apply_patterns.canonicalization }} "
                  f": !transform.any_op")

    def vectorize(self, h):
        """Vectorize, then fold the vectorized multiply and reduction (and the broadcasts
        of its operands) into a vector.contract, before any canonicalization folds the
        unit-dim reduction away.

        The contraction keeps its unit dims (batch dims, each contracting dim, size-1 output
        dims); convert-vector-to-llvm unrolls them. Folding leading unit dims away first
        (cast_away_vector_leading_one_dim) can drop a reduction dim from one operand only,
        a vector.contract the LLVM lowering aborts on."""
        self.emit(f"transform.structured.vectorize {h} : !transform.any_op")
        f = self.fresh()
        self.emit(f'{f} = transform.structured.match ops{{["func.func"]}} in %root '
                  f': (!transform.any_op) -> !transform.any_op')
        self.emit(f"transform.apply_patterns to {f} {{")
        self.emit("  transform.apply_patterns.vector.transfer_permutation_patterns")
        self.emit("  transform.apply_patterns.vector.reduction_to_contract")
        self.emit("} : !transform.any_op")

    def hoist_subsets(self, loops):
        """Lift the read and write of each loop's accumulator tile out of the loop (the
        tile then lives in registers across the loop), innermost loop first."""
        for loop in reversed(loops):
            self.emit(f"transform.loop.hoist_loop_invariant_subsets {loop} : !transform.any_op")

    def text(self):
        body = "\n".join(self.lines)
        return ("module attributes {transform.with_named_sequence} {\n"
                "  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {\n"
                f"{body}\n    transform.yield\n  }}\n}}\n")


def schedule_parallel(s: Script, g: Generic, tag, threads):
    """Split the outermost loop over the threads, if it is parallel and long enough.

    Loops outside the split one would repeat the fork/join, and a split inner parallel dim
    under a reduction (column sums) makes every thread read every cache line."""
    d = next((d for d in range(len(g.sizes)) if g.sizes[d] > 1), None)
    if d is None or g.reduction[d] or g.sizes[d] < threads:
        return False
    nt = [0] * len(g.sizes)
    nt[d] = threads
    s.tile_forall(s.match(tag), nt)
    return True


def register_tiles(g: Generic, c: Contraction):
    """Tile sizes (parallel dims only) of the register-tiled kernel, and its m and n dims."""
    lanes = max(1, VECTOR_BYTES // _itemsize(g.element))
    n = c.n[-1]
    nr = min(2 * lanes, g.sizes[n])
    m = g.maps[2][-2] if len(g.maps[2]) > 1 and g.maps[2][-2] in c.m else (c.m[-1] if c.m else None)
    sizes = [0 if g.reduction[d] else 1 for d in range(len(g.sizes))]
    sizes[n] = nr
    if m is not None:
        sizes[m] = min(MR, g.sizes[m])
    return sizes, m, n


def schedule_contraction(s: Script, g: Generic, c: Contraction, tag, threads):
    """Register tiles of MR x NR accumulators over a k loop of rank-1 updates."""
    sizes, m, n = register_tiles(g, c)
    h = s.match(tag)
    # Threads take equal blocks of whole tiles (static shapes inside), of rows or columns.
    split = [d for d in (m, n) if d is not None and threads > 1
             and g.sizes[d] % (threads * sizes[d]) == 0]
    if split:
        nt = [0] * len(sizes)
        nt[split[0]] = threads
        h = s.tile_forall(h, nt)
    t, loops = s.tile_for(h, sizes)
    tiled = [d for d in range(len(sizes)) if sizes[d]]
    s.peel([loops[tiled.index(d)] for d in sorted(x for x in (m, n) if x is not None)
            if g.sizes[d] % sizes[d]])
    s.canonicalize()
    k_sizes = [1 if g.reduction[d] else 0 for d in range(len(sizes))]
    t, k_loops = s.tile_for(s.match(tag), k_sizes)
    s.vectorize(t)
    s.hoist_subsets(k_loops)


def schedule_packed(s: Script, g: Generic, tag, pack_tag, threads, mr, mc):
    """The packed kernel on the 4-d generic (m, n_outer, k, n_inner) from `pack_b`: panels
    split over threads; per thread Kc x Mc blocks; per block, each panel's mr x nr register
    tiles accumulate over a k loop of rank-1 updates."""
    n_outer = g.sizes[1]
    t = min(threads, n_outer)
    p = s.match(pack_tag)
    if t > 1:
        s.tile_forall(p, [t])
    h = s.match(tag)
    if t > 1:
        h = s.tile_forall(h, [0, t, 0, 0])
    h, _ = s.tile_for(h, [0, 0, KC, 0])
    h, _ = s.tile_for(h, [mc, 0, 0, 0])
    h, _ = s.tile_for(h, [0, 1, 0, 0])
    h, _ = s.tile_for(h, [mr, 0, 0, 0])
    h, k_loops = s.tile_for(h, [0, 0, 1, 0])
    s.vectorize(h)
    s.hoist_subsets(k_loops)


# ---------------------------------------------------------------------------------------
# Rewrites done in Python before the script runs


FASTMATH_REDUCE = "#arith.fastmath<reassoc,contract>"
FLOAT_COMBINERS = {"arith.addf", "arith.mulf", "arith.maximumf", "arith.minimumf",
                   "arith.maxnumf", "arith.minnumf"}


def mark_reassociative(g: Generic):
    """fastmath<reassoc,contract> on float ops that combine into an output (the
    accumulator), and `contract` on a multiply feeding one, so LLVM may vectorize the
    reduction and fuse multiply-adds."""
    block = g.op.regions[0].blocks[0]
    outs = {a for a in list(block.arguments)[g.n_inputs:]}
    attr = ir.Attribute.parse(FASTMATH_REDUCE)
    for op in block.operations:
        if op.name in FLOAT_COMBINERS and any(v in outs for v in op.operands):
            op.attributes["fastmath"] = attr
            for v in op.operands:
                p = _producer(v)
                if p is not None and p.name == "arith.mulf":
                    p.attributes["fastmath"] = ir.Attribute.parse("#arith.fastmath<contract>")


def _reassoc(groups):
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, i) for i in g]) for g in groups])


def _map(ndims, dims):
    return ir.AffineMapAttr.get(ir.AffineMap.get(ndims, 0, [ir.AffineDimExpr.get(d) for d in dims]))


def pack_b(g: Generic, c: Contraction, nr, tag, pack_tag):
    """Rewrite C[m,n] += A * B as a 4-d generic over (m, no, k, ni) reading B packed into
    panels Bp[no][k][ni] = B[k][no*nr+ni] by a linalg.transpose. C is viewed as [m][no][ni]
    (a reshape, no copy). Returns the new generic."""
    op = g.op
    (m,), (n,), (k,) = c.m, c.n, c.k
    M, N, K = g.sizes[m], g.sizes[n], g.sizes[k]
    no = N // nr
    a_val, b_val = op.operands[c.a], op.operands[c.b]
    c_val = op.operands[2]
    el = g.element
    with ir.InsertionPoint(op), op.location:
        b_dims = g.maps[c.b]
        if b_dims == [k, n]:
            b3 = tensor.ExpandShapeOp(ir.RankedTensorType.get([K, no, nr], el), b_val,
                                      _reassoc([[0], [1, 2]]), [],
                                      ir.DenseI64ArrayAttr.get([K, no, nr])).result
            perm = [1, 0, 2]
        else:
            b3 = tensor.ExpandShapeOp(ir.RankedTensorType.get([no, nr, K], el), b_val,
                                      _reassoc([[0, 1], [2]]), [],
                                      ir.DenseI64ArrayAttr.get([no, nr, K])).result
            perm = [0, 2, 1]
        empty = tensor.EmptyOp([no, K, nr], el).result
        bp_op = linalg.transpose(b3, outs=[empty], permutation=perm)
        bp_op = bp_op.owner if isinstance(bp_op, ir.Value) else bp_op
        bp = bp_op.results[0]
        bp_op.attributes[TAG] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), pack_tag)
        c3_t = ir.RankedTensorType.get([M, no, nr], el)
        c3 = tensor.ExpandShapeOp(c3_t, c_val, _reassoc([[0], [1, 2]]), [],
                                  ir.DenseI64ArrayAttr.get([M, no, nr])).result
        # new loop dims: 0 = m, 1 = no, 2 = k, 3 = ni
        old_to_new = {m: 0, k: 2}
        a_map = _map(4, [old_to_new[d] for d in g.maps[c.a]])
        maps = [a_map, _map(4, [1, 2, 3])]
        if c.a == 1:
            maps.reverse()
        maps.append(_map(4, [0, 1, 3]))
        its = ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{x}>")
                                for x in ("parallel", "parallel", "reduction", "parallel")])
        inputs = [a_val, bp] if c.a == 0 else [bp, a_val]
        new = linalg.GenericOp([c3_t], inputs, [c3], ir.ArrayAttr.get(maps), its)
        old_block = op.regions[0].blocks[0]
        block = new.regions[0].blocks.append(*[a.type for a in old_block.arguments])
        mapping = {o: n_ for o, n_ in zip(old_block.arguments, block.arguments)}
        with ir.InsertionPoint(block):
            _clone_ops(list(old_block.operations), mapping)
        new.attributes[TAG] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), tag)
        res = tensor.CollapseShapeOp(op.results[0].type, new.result, _reassoc([[0], [1, 2]])).result
    op.results[0].replace_all_uses_with(res)
    op.erase()
    return new


# ---------------------------------------------------------------------------------------
# The pass


def _functions(module_op):
    for op in module_op.regions[0].blocks[0].operations:
        if op.operation.name == "func.func" and len(op.regions[0].blocks):
            yield op.operation


def _generics(fn):
    found = []

    def walk(op):
        if op.name == "linalg.generic":
            found.append(op)
        return ir.WalkResult.ADVANCE
    fn.walk(walk)
    return found


def _set_tag(op, tag):
    op.attributes[TAG] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), tag)


def _trace_operand(v, block, n_in):
    """The input args (indices) and body ops (in order) that body value `v` is computed
    from, or None if it reads the accumulator. Values from above the generic are captured
    as they are."""
    args = list(block.arguments)
    body = {o.operation for o in block.operations}
    leaves, ops, seen = set(), [], set()

    def visit(x):
        p = _producer(x)
        if p is None:
            if x not in args:
                return True
            i = args.index(x)
            if i >= n_in:
                return False
            leaves.add(i)
            return True
        if p.operation not in body or p.operation in seen:
            return True
        if not all(visit(o) for o in p.operands):
            return False
        seen.add(p.operation)
        ops.append(p)
        return True
    return (sorted(leaves), ops) if visit(v) else None


def split_prologue(g: Generic):
    """C += f(A, ..) * h(B, ..) with the elementwise producers f and h fused into the
    contraction (linalg-fuse-elementwise-ops does that, e.g. bias and relu into the next
    layer's matmul) evaluates f once per output column. Compute f(A, ..) and h(B, ..) as
    their own elementwise generics instead, leaving a plain multiply-add contraction.
    Returns the new contraction op, or None when `g` is not of that form."""
    op = g.op
    block = op.regions[0].blocks[0]
    body = list(block.operations)
    if len(body) <= 3 or len(op.results) != 1 or any(m is None for m in g.maps):
        return None
    mul, add, yld = body[-3:]
    kinds = {("arith.mulf", "arith.addf"), ("arith.muli", "arith.addi")}
    out = list(block.arguments)[g.n_inputs]
    if (mul.name, add.name) not in kinds or yld.name != "linalg.yield" or \
            set(add.operands) != {out, mul.results[0]} or yld.operands[0] != add.results[0]:
        return None
    if mul.operands[0] == mul.operands[1]:
        # A square (x * x): nothing to split into two prologues. Checked before any op
        # is built: returning later left an empty-bodied generic behind.
        return None
    traced = [_trace_operand(v, block, g.n_inputs) for v in mul.operands]
    if any(t is None for t in traced) or any(len(t[1]) == 0 and not t[0] for t in traced):
        return None
    # Decide everything before building anything: a rewrite abandoned halfway would leave
    # a generic without a body. A square (x * x) has no two operands to separate, and a
    # bool producer would need an i1 tensor (bools are stored as bytes).
    if mul.operands[0] == mul.operands[1]:
        return None
    if any(ops and isinstance(v.type, ir.IntegerType) and v.type.width == 1
           for v, (_, ops) in zip(mul.operands, traced)):
        return None
    n_loops = len(g.sizes)
    old_maps = list(ir.ArrayAttr(op.attributes["indexing_maps"]))
    new_inputs, new_maps, new_types = [], [], []
    with ir.InsertionPoint(op), op.location:
        for v, (leaves, ops) in zip(mul.operands, traced):
            if not ops:                       # a plain input
                i = leaves[0]
                new_inputs.append(op.operands[i])
                new_maps.append(old_maps[i])
                new_types.append(v.type)
                continue
            # The producer's loops: those its inputs and its linalg.index ops (an iota
            # fused into the contraction) read.
            dims = sorted({d for i in leaves for d in g.maps[i]} | _index_dims(ops))
            rank = len(dims)
            t = ir.RankedTensorType.get([g.sizes[d] for d in dims], v.type)
            init = tensor.EmptyOp([g.sizes[d] for d in dims], v.type).result
            maps = [_map(rank, [dims.index(d) for d in g.maps[i]]) for i in leaves]
            maps.append(_map(rank, list(range(rank))))
            its = ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * rank)
            pro = linalg.GenericOp([t], [op.operands[i] for i in leaves], [init],
                                   ir.ArrayAttr.get(maps), its)
            pblock = pro.regions[0].blocks.append(
                *[list(block.arguments)[i].type for i in leaves], v.type)
            mapping = {list(block.arguments)[i]: a for i, a in zip(leaves, pblock.arguments)}
            with ir.InsertionPoint(pblock):
                _clone_ops(ops, mapping, loops=dims)
                linalg.YieldOp([mapping[v]])
            new_inputs.append(pro.result)
            new_maps.append(_map(n_loops, dims))
            new_types.append(v.type)
        out_val = op.operands[g.n_inputs]
        new = linalg.GenericOp([r.type for r in op.results], new_inputs, [out_val],
                               ir.ArrayAttr.get(new_maps + [old_maps[g.n_inputs]]),
                               op.attributes["iterator_types"])
        nblock = new.regions[0].blocks.append(*new_types, out.type)
        a, b, acc = nblock.arguments
        mapping = {mul.operands[0]: a, mul.operands[1]: b, out: acc}
        with ir.InsertionPoint(nblock):
            _clone_ops([mul, add, yld], mapping)
    op.results[0].replace_all_uses_with(new.results[0])
    op.erase()
    return new


def _index_dims(ops):
    """The loop dims that the linalg.index ops among `ops` read."""
    return {ir.IntegerAttr(o.attributes["dim"]).value for o in ops if o.name == "linalg.index"}


def _clone_ops(ops, mapping, loops=None):
    """Re-create `ops` at the insertion point, operands renamed through `mapping` (which
    gains their results). In a generic over a subset of the original loops, `loops` lists
    them (original numbers, in the new order) and renumbers `linalg.index` ops."""
    for bop in ops:
        attrs = {a: bop.attributes[a] for a in bop.attributes}
        if loops is not None and bop.name == "linalg.index":
            old = ir.IntegerAttr(attrs["dim"]).value
            attrs["dim"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), loops.index(old))
        new_op = ir.Operation.create(
            bop.name, results=[r.type for r in bop.results],
            operands=[mapping.get(v, v) for v in bop.operands], attributes=attrs)
        for r_old, r_new in zip(bop.results, new_op.results):
            mapping[r_old] = r_new


def _is_2d_matmul(g: Generic, c: Contraction):
    """One m, n and k dim, no batch dims, C indexed [m, n]."""
    return (not c.batch and len(c.m) == len(c.n) == len(c.k) == 1
            and g.maps[2] == [c.m[0], c.n[0]])


def packed_tiles(g: Generic, c: Contraction):
    """(nr, mr, mc) of the packed kernel for this contraction, or None if it does not fit:
    a register tile of mr x nr holds 16 vector registers, nr divides N and mr divides M."""
    lanes = max(1, VECTOR_BYTES // _itemsize(g.element))
    M, N = g.sizes[c.m[0]], g.sizes[c.n[0]]
    for nr in (2 * lanes, lanes):
        mr = 16 * lanes // nr
        if N % nr == 0 and M % mr == 0:
            mc = max(b for b in range(mr, min(M, MC) + 1, mr) if M % b == 0)
            return nr, mr, mc
    return None


def transpose_b(g: Generic, c: Contraction):
    """Give a 2-d contraction a copy of B transposed to [k, n], so that register tiles
    read rows of B (contiguous along n). Returns the rewritten generic's op."""
    op = g.op
    b_val = op.operands[c.b]
    shape = ir.RankedTensorType(b_val.type).shape
    with ir.InsertionPoint(op), op.location:
        empty = tensor.EmptyOp([shape[1], shape[0]], g.element).result
        t = linalg.transpose(b_val, outs=[empty], permutation=[1, 0])
        t = t.owner if isinstance(t, ir.Value) else t
    op.operands[c.b] = t.results[0]
    maps = list(ir.ArrayAttr(op.attributes["indexing_maps"]))
    n_loops = len(g.sizes)
    maps[c.b] = _map(n_loops, [c.k[0], c.n[0]])
    op.attributes["indexing_maps"] = ir.ArrayAttr.get(maps)
    return op


def plan_function(fn, threads, script: Script, next_tag):
    """Tag the function's generics and append their schedules to `script`.

    Returns the next free tag. Fastmath flags and the B copies of contractions (packed
    panels, or a transposed B) are made here, directly in the IR."""
    for op in _generics(fn):
        g = _read_generic(op)
        if g is None or not op.results:
            continue
        if any(g.reduction) and g.numel >= MIN_VECTOR_MACS:
            split = split_prologue(g)
            if split is not None:
                op = split
                g = _read_generic(op)
        c = _contraction(g)
        # Only a reduction along the innermost loop needs reordering to vectorize; an
        # outer one (column sums) vectorizes along its inner parallel loop and keeps the
        # sequential order that op-by-op (eager) evaluation also has.
        inner = next((d for d in reversed(range(len(g.sizes))) if g.sizes[d] > 1), None)
        if inner is not None and g.reduction[inner] and _is_float(g.element):
            red_extent = g.extent([d for d in range(len(g.sizes)) if g.reduction[d]])
            if red_extent >= MIN_REASSOC_EXTENT:
                mark_reassociative(g)
        # Register tiles are vectors along C's innermost dim; with one column they would be
        # vectors of one element. Such a contraction is a set of dot products, which the
        # reduction path above vectorizes along k (twice as fast for a matrix-vector).
        if c is not None and g.numel >= MIN_VECTOR_MACS and g.sizes[g.maps[2][-1]] > 1:
            big = g.numel >= MIN_PACKED_MACS
            t = threads if g.numel >= MIN_PARALLEL_MACS else 1
            if (big and _is_2d_matmul(g, c) and _is_float(g.element)
                    and g.sizes[c.m[0]] >= MIN_PACKED_ROWS and packed_tiles(g, c)):
                nr, mr, mc = packed_tiles(g, c)
                new = pack_b(g, c, nr, next_tag, next_tag + 1)
                schedule_packed(script, _read_generic(new), next_tag, next_tag + 1, t, mr, mc)
                next_tag += 2
                continue
            if g.maps[c.b][-1] != c.n[-1] and _is_2d_matmul(g, c) and g.sizes[c.m[0]] >= 2 * MR:
                g = _read_generic(transpose_b(g, c))
            if g.maps[c.b][-1] == c.n[-1]:
                _set_tag(op, next_tag)
                schedule_contraction(script, g, c, next_tag, t)
                next_tag += 1
                continue
        if threads > 1 and work(g) >= MIN_PARALLEL_WORK:
            _set_tag(op, next_tag)
            if schedule_parallel(script, g, next_tag, threads):
                next_tag += 1
            else:
                del op.attributes[TAG]
    return next_tag


def _strip_tags(root):
    def walk(op):
        if TAG in op.attributes:
            del op.attributes[TAG]
        return ir.WalkResult.ADVANCE
    root.walk(walk)


class ScheduleError(Exception):
    pass


class ScheduleWarning(RuntimeWarning):
    """A function's schedule failed; it was compiled unscheduled (correct, slower)."""


def run_script(module_op, text):
    script = ir.Module.parse(text)
    try:
        interpreter.apply_named_sequence(module_op, script.body.operations[0], script.operation)
    except (ValueError, ir.MLIRError) as e:
        raise ScheduleError(str(e)) from None


@register
class CpuSchedulePass(ModulePass):
    """Tile, vectorize and parallelize linalg ops on tensors for the host CPU."""
    name = "mlax-cpu-schedule"
    threads: int = option(0, "threads a parallel loop is split over (0: MLAX_NUM_THREADS, "
                          "else the usable cores)")

    def run(self, module_op):
        schedule(module_op, self.threads)


def schedule(module_op, threads=0):
    threads = threads or num_threads()
    tag = 0
    for fn in list(_functions(module_op)):
        backup = fn.clone()
        script = Script()
        try:
            tag = plan_function(fn, threads, script, tag)
            if script.lines:
                run_script(module_op, script.text())
        except Exception as e:  # noqa: BLE001 - any failure: keep the function unscheduled
            name = ir.StringAttr(fn.attributes["sym_name"]).value
            warnings.warn(f"CPU schedule of @{name} failed, compiling it unscheduled: "
                          f"{type(e).__name__}: {str(e)[:2000]}", ScheduleWarning, stacklevel=2)
            # Keep the function correct and unscheduled (fastmath only).
            ir.InsertionPoint(fn).insert(backup)
            fn.erase()
            _strip_tags(backup)
            for op in _generics(backup):
                g = _read_generic(op)
                if g is not None and any(g.reduction) and _is_float(g.element):
                    mark_reassociative(g)
            continue
        else:
            backup.erase()
    _strip_tags(module_op)


# ---------------------------------------------------------------------------------------
# After bufferization


def _is_identity_layout(t):
    return "strided" not in str(t) and "affine_map" not in str(t)


def _uses(v):
    return [u.owner for u in v.uses]


def strided_copies_to_linalg(fn):
    """memref.copy between strided views -> linalg.copy (a vectorizable loop nest)."""
    copies = []

    def walk(op):
        if op.name == "memref.copy":
            copies.append(op)
        return ir.WalkResult.ADVANCE
    fn.walk(walk)
    for op in copies:
        src, dst = op.operands
        if _is_identity_layout(src.type) and _is_identity_layout(dst.type):
            continue
        with ir.InsertionPoint(op), op.location:
            linalg.copy(src, outs=[dst])
        op.erase()


def forward_out_params(fn):
    """`X = alloc; ...; copy(view(X), out); dealloc X` -> the same code writing `out`.

    `out` is a function argument used only by that copy (an out-parameter made by
    buffer-results-to-out-params); `view` is a chain of expand/collapse_shape, inverted onto
    `out`. The copy is the last thing done with X (only deallocs follow), so X's buffer can
    be `out` itself."""
    block = fn.regions[0].blocks[0]
    args = set(block.arguments)
    # Collect first: rewriting erases ops (deallocs) that come later in the block.
    for op in [op for op in block.operations if op.name == "memref.copy"]:
        src, dst = op.operands
        if dst not in args or len(list(dst.uses)) != 1:
            continue
        chain, v = [], src
        while _producer(v) is not None and _producer(v).name in ("memref.expand_shape",
                                                                 "memref.collapse_shape"):
            chain.append(_producer(v))
            v = _producer(v).operands[0]
        alloc = _producer(v)
        if alloc is None or alloc.name != "memref.alloc" or len(alloc.operands) \
                or alloc.operation.parent.operation != fn.operation:
            continue
        if not all(_is_identity_layout(x.type) for x in (src, dst, v)):
            continue
        later = [u for u in _uses(v) if u.name == "memref.dealloc"]
        with ir.InsertionPoint(alloc), alloc.location:
            new = dst
            for view in chain:   # the view producing src first, inverted from dst inwards
                inner_t = view.operands[0].type
                reassoc = view.attributes["reassociation"]
                if view.name == "memref.collapse_shape":
                    new = memref.ExpandShapeOp(inner_t, new, reassoc, [], ir.DenseI64ArrayAttr.get(
                        ir.MemRefType(inner_t).shape)).result
                else:
                    new = memref.CollapseShapeOp(inner_t, new, reassoc).result
        if new.type != v.type:
            continue
        for d in later:
            d.erase()
        op.erase()
        v.replace_all_uses_with(new)
        alloc.erase()


@register
class CpuBufferCleanupPass(ModulePass):
    """After bufferization: strided copies as loops, results written into out-params."""
    name = "mlax-cpu-buffer-cleanup"

    def run(self, module_op):
        buffer_cleanup(module_op)


def buffer_cleanup(module_op):
    for fn in _functions(module_op):
        strided_copies_to_linalg(fn)
        forward_out_params(fn)


# ---------------------------------------------------------------------------------------
# LLVM function attributes


PREFER_VECTOR_WIDTH = 512   # bits; LLVM's x86 default is 256 even where AVX-512 exists


@register
class CpuVectorWidthPass(ModulePass):
    """Let LLVM's loop vectorizer use the widest vector registers (prefer-vector-width)."""
    name = "mlax-cpu-vector-width"

    def run(self, module_op):
        prefer_vector_width(module_op)


def prefer_vector_width(module_op):
    """`passthrough = [["prefer-vector-width", "512"]]` on every defined llvm.func.

    Contractions are vectorized by the CPU schedule with explicit 512-bit vectors; the
    elementwise loops and reductions are left to LLVM's loop vectorizer, which on x86
    holds to 256-bit vectors unless a function prefers wider ones: half the instructions
    for the same work on AVX-512 machines. A target without AVX-512 ignores it."""
    if not PREFER_VECTOR_WIDTH:
        return
    entry = ir.ArrayAttr.get([ir.StringAttr.get("prefer-vector-width"),
                              ir.StringAttr.get(str(PREFER_VECTOR_WIDTH))])
    for op in module_op.regions[0].blocks[0].operations:
        op = op.operation
        if op.name != "llvm.func" or not len(op.regions[0].blocks):
            continue
        old = list(ir.ArrayAttr(op.attributes["passthrough"])) \
            if "passthrough" in op.attributes else []
        if any("prefer-vector-width" in str(a) for a in old):
            continue
        op.attributes["passthrough"] = ir.ArrayAttr.get(old + [entry])
