"""The transform script of `--mlax-cpu-schedule`: a writer (`Script`) and the schedules
written with it, each a few lines of transform dialect for the op tagged `tag`.

The pass tags every scheduled op with `mlax_schedule = <id>` (TAG), writes one
`transform.named_sequence` that matches the tags, runs it with the transform interpreter
(`run_script`), and removes the tags.
"""
from __future__ import annotations

from dataclasses import dataclass

from mlir import ir
from mlir.dialects.transform import interpreter

from mlax.backends.cpu.generics import Contraction, Generic, itemsize
from mlax.passes import PassError

# The attribute marking an op for the script (`Script.match`); its value is the op's id.
TAG = "mlax_schedule"

# Register tiles by the width of a vector register (bytes): (rows, vectors per row) of
# accumulators, tried in order. The accumulators, one row of B and a broadcast element of
# A must fit the register file, else the tile spills to the stack on every k step:
# AVX-512 has 32 registers (8 x 2 tiles: 16 accumulators), AVX2 and SSE 16 (6 x 2: 12).
# Six rows keep 12 multiply-adds in flight, enough to cover the FMA latency (4 cycles,
# 2 per cycle) that 4 x 2 tiles leave exposed.
TILES = {64: ((8, 2), (16, 1)), 32: ((6, 2), (12, 1)), 16: ((6, 2), (12, 1))}
MC = 256                   # at most this many rows of A per block of the packed kernel
KC = 256                   # depth of a block of the packed kernel


def set_tag(op, tag):
    """Mark `op` as the op `tag` of the script."""
    op.attributes[TAG] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), tag)


def strip_tags(root):
    """Remove the marks from every op under `root`."""
    def walk(op):
        if TAG in op.attributes:
            del op.attributes[TAG]
        return ir.WalkResult.ADVANCE
    root.walk(walk)


# ---------------------------------------------------------------------------------------
# The script


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

    def split(self, h, dim, size):
        """Split the op of `h` along loop `dim` into its first `size` iterations and the
        rest; handles to the two ops."""
        parts = self.fresh()
        self.emit(f"{parts} = transform.structured.split {h} after {size} {{dimension = {dim}}} "
                  f": !transform.any_op")
        first, rest = self.fresh(), self.fresh()
        self.emit(f"{first}, {rest} = transform.split_handle {parts} : (!transform.any_op) -> "
                  f"(!transform.any_op, !transform.any_op)")
        return first, rest

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


# ---------------------------------------------------------------------------------------
# Schedules


def schedule_parallel(s: Script, g: Generic, tag, threads, chunks):
    """Split the outermost loop into `chunks` (at least `threads`) for the threads, if it
    is parallel and long enough.

    Loops outside the split one would repeat the fork/join, and a split inner parallel dim
    under a reduction (column sums) makes every thread read every cache line. The threads
    take the chunks as they come (`--mlax-cpu-dynamic-threads`)."""
    d = next((d for d in range(len(g.sizes)) if g.sizes[d] > 1), None)
    if d is None or g.reduction[d] or g.sizes[d] < threads:
        return False
    nt = [0] * len(g.sizes)
    nt[d] = min(max(chunks, threads), g.sizes[d])
    s.tile_forall(s.match(tag), nt)
    return True


def lanes_of(g: Generic, vector_bytes):
    return max(1, vector_bytes // itemsize(g.element))


def register_tiles(g: Generic, c: Contraction, vector_bytes):
    """Tile sizes (parallel dims only) of the register-tiled kernel, and its m and n dims."""
    rows, vectors = TILES[vector_bytes][0]
    n = c.n[-1]
    lanes = lanes_of(g, vector_bytes)
    # Columns in whole vectors, the rest peeled: a 10-wide accumulator row is a vector
    # and a fraction, which LLVM lowers to a shuffle per element of every update.
    nr = min(vectors * lanes, g.sizes[n] // lanes * lanes) or g.sizes[n]
    m = g.maps[2][-2] if len(g.maps[2]) > 1 and g.maps[2][-2] in c.m else (c.m[-1] if c.m else None)
    sizes = [0 if g.reduction[d] else 1 for d in range(len(g.sizes))]
    sizes[n] = nr
    if m is not None:
        sizes[m] = min(rows, g.sizes[m])
    return sizes, m, n


def schedule_contraction(s: Script, g: Generic, c: Contraction, tag, threads, vector_bytes):
    """Register tiles of MR x NR accumulators over a k loop of rank-1 updates."""
    sizes, m, n = register_tiles(g, c, vector_bytes)
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


def schedule_packed(s: Script, tags, rows, depth, n_outer, threads, tiles):
    """The packed kernel from `pack_b` (`tags`: its PackedTags) of C's `rows`, `depth` (K),
    `n_outer` panels of B:
    the panels split over threads; per thread Kc x Mc blocks; per block, each panel's
    mr x nr register tiles accumulate over a k loop of rank-1 updates. Rows past the last
    whole tile (M % mr) run as one shorter tile: split off here, or, when A is packed
    too, a generic of their own (`tags.rest`).

    The kernel is the 4-d generic (m, no, k, ni), or with A packed the 5-d (mo, no, k,
    mi, ni), whose register tile is one mo."""
    t = min(threads, n_outer)
    packed_a = tags.a_panels is not None
    panels = {}
    for p in (tags.b_panels, tags.a_panels):
        if p is not None:
            panels[p] = s.tile_forall(s.match(p), [t]) if t > 1 else s.match(p)
    if packed_a:
        # A's panels a block of rows of A at a time (the outer loop), each row's mr
        # elements one vector: the transpose's own loops (panel, k, mi) read every row of
        # A once per panel, rows M * 4 bytes apart, and copied mr-float rows element by
        # element.
        rows_per_block = next(b for b in (16, 8, 4, 2, 1) if depth % b == 0)
        h, _ = s.tile_for(panels[tags.a_panels], [1, rows_per_block, 0], interchange=[1, 0, 2])
        s.vectorize(h)
    h = s.match(tags.kernel)
    if packed_a:
        m_tiles = lambda r: [r // tiles.mr, 0, 0, 0, 0]
        last = [0, 0]
    else:
        m_tiles = lambda r: [r, 0, 0, 0]
        last = [0]
    if t > 1:
        h = s.tile_forall(h, [0, t, 0] + last)
    rest = None
    if tiles.rest and packed_a:
        rest = s.match(tags.rest)
        if t > 1:
            rest = s.tile_forall(rest, [0, t, 0, 0])
    elif tiles.rest:
        h, rest = s.split(h, 0, rows - tiles.rest)
    parts = [(h, m_tiles(tiles.mr), m_tiles(tiles.mc))]
    if rest is not None:
        parts.append((rest, [tiles.rest, 0, 0, 0], [tiles.rest, 0, 0, 0]))
    k_loops = []
    for h, mr, mc in parts:
        rank = len(mr)
        h, _ = s.tile_for(h, [0, 0, KC] + [0] * (rank - 3))
        h, _ = s.tile_for(h, mc)
        h, _ = s.tile_for(h, [0, 1] + [0] * (rank - 2))
        h, _ = s.tile_for(h, mr)
        h, loop = s.tile_for(h, [0, 0, 1] + [0] * (rank - 3))
        s.vectorize(h)
        k_loops += loop
    s.hoist_subsets(k_loops)


@dataclass(frozen=True)
class PackedTiles:
    """Blocking of the packed kernel: nr-wide panels of B, mr x nr register tiles, blocks
    of mc rows (mc divides M - rest), and the `rest` rows (M % mr) after the last tile."""
    nr: int
    mr: int
    mc: int
    rest: int


def packed_tiles(g: Generic, c: Contraction, vector_bytes):
    """The PackedTiles of this contraction, or None if no panel width divides N."""
    lanes = lanes_of(g, vector_bytes)
    M, N = g.sizes[c.m[0]], g.sizes[c.n[0]]
    for mr, vectors in TILES[vector_bytes]:
        nr = vectors * lanes
        if N % nr == 0 and M >= mr:
            rest = M % mr
            mc = max(b for b in range(mr, min(M - rest, MC) + 1, mr) if (M - rest) % b == 0)
            return PackedTiles(nr, mr, mc, rest)
    return None


# ---------------------------------------------------------------------------------------
# Running the script


class ScheduleError(PassError):
    """The transform script failed; MLIR's diagnostics name the op and its location.
    The pass catches it: the function is compiled unscheduled (ScheduleWarning)."""


def run_script(module_op, text):
    """Apply the transform script `text` to `module_op`; raises ScheduleError."""
    script = ir.Module.parse(text)
    try:
        interpreter.apply_named_sequence(module_op, script.body.operations[0], script.operation)
    except (ValueError, ir.MLIRError) as e:
        raise ScheduleError(str(e)) from None
