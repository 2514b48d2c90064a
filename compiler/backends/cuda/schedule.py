"""`--mlax-gpu-schedule`: maps linalg ops on tensors to GPU blocks and threads.

Each `linalg.generic` with static sizes and at least one parallel loop is tiled twice with
the transform dialect (`tile_using_forall`): its parallel loops over blocks, then each
block's tile over the threads of the block, giving nested `scf.forall`s whose `mapping`
is `#gpu.block<...>` and `#gpu.thread<...>`. After bufferization `--mlax-gpu-map-foralls`
turns each such nest into a `gpu.launch`.

The schedules (`plan`), by the generic's loops:

    elementwise  (every loop parallel; what fusion leaves of elementwise chains and
                 broadcasts) the innermost parallel loop (the output's contiguous dim) is
                 split into blocks of BLOCK_THREADS consecutive elements, one per thread,
                 so a warp's 32 loads and stores are consecutive addresses (coalesced); the
                 next two parallel loops outwards are one block each along grid y and z.
                 Loops beyond three stay inside each thread.
    matmul       (a 2-D matmul, every extent at least 16) left to `--mlax-gpu-tile-matmul`
                 (matmul.py), after bufferization: tiles through shared memory.
    per-output   (other contractions, a reduction of fewer than TREE_MIN_EXTENT elements
                 per output: batched or small matmuls, short row sums) the same mapping
                 of the parallel loops;
                 each thread runs the reduction loops of its output element.
    tree         (a full reduction, or a long one) left to `--mlax-gpu-tree-reduce`
                 (reduction.py), after bufferization: a block per output.

A generic with dynamic sizes or an indexing map that is not a projected permutation, and every op that is
not a generic (copies, pads, loops of the control-flow lowering), is not scheduled here:
`--mlax-gpu-single-thread` runs it as a kernel of one thread.
"""
from __future__ import annotations

from mlir import ir

from mlax.backends.cpu.generics import defined_functions, read_generic
from mlax.backends.cpu.script import Script, ScheduleError, run_script, set_tag, strip_tags
from mlax.backends.cuda.matmul import wants_tiled_matmul
from mlax.backends.cuda.reduction import wants_tree
from mlax.passes import ModulePass, option, register

# Threads of a block along x: a multiple of the warp size (32), so each warp's accesses to
# consecutive elements are one coalesced transaction; 256 is the usual occupancy choice.
BLOCK_THREADS = 256
# The grid's y and z extents are at most 65535 (CUDA's limit); longer loops stay untiled.
MAX_GRID_YZ = 65535


def _next_pow2(n):
    p = 1
    while p < n:
        p *= 2
    return p


def plan(g, block_threads=BLOCK_THREADS):
    """(block tile sizes, block mapping, thread counts, thread mapping) for the generic
    `g`, or None when it has no parallel loop or an operand's indexing map is not a
    projected permutation."""
    parallel = [d for d in range(len(g.sizes)) if not g.reduction[d]]
    if not parallel or any(m is None for m in g.maps) or 0 in g.sizes:
        # An operand indexed by more than a loop index (lax.rev's `n - 1 - i`): MLIR's
        # tiling asserts on negative coefficients; a loop of size 0: tiling asserts too.
        # Such generics take the one-thread kernel.
        return None
    n = len(g.sizes)
    tiles, threads = [0] * n, [0] * n
    x = parallel[-1]
    tiles[x] = min(block_threads, _next_pow2(g.sizes[x]))
    threads[x] = tiles[x]
    mapped = {x: "x"}
    for d, axis in zip(reversed(parallel[:-1]), ("y", "z")):
        if g.sizes[d] <= MAX_GRID_YZ:
            tiles[d] = 1
            mapped[d] = axis
    block_mapping = [f"#gpu.block<{mapped[d]}>" for d in range(n) if tiles[d]]
    thread_mapping = ["#gpu.thread<x>"]
    return tiles, block_mapping, threads, thread_mapping


def schedule_generic(s: Script, tag, p):
    tiles, block_mapping, threads, thread_mapping = p
    h = s.match(tag)
    name = s.fresh()[1:]
    s.emit(f"%{name}_t, %{name}_f = transform.structured.tile_using_forall {h} "
           f"tile_sizes {tiles} (mapping = [{', '.join(block_mapping)}]) : "
           f"(!transform.any_op) -> (!transform.any_op, !transform.any_op)")
    inner = s.fresh()[1:]
    s.emit(f"%{inner}_t, %{inner}_f = transform.structured.tile_using_forall %{name}_t "
           f"num_threads {threads} (mapping = [{', '.join(thread_mapping)}]) : "
           f"(!transform.any_op) -> (!transform.any_op, !transform.any_op)")


def _generics_outside_foralls(fn):
    found = []

    def walk(op):
        if op.name == "scf.forall":
            return ir.WalkResult.SKIP
        if op.name == "linalg.generic" and len(op.results):
            found.append(op)
        return ir.WalkResult.ADVANCE
    fn.walk(walk, ir.WalkOrder.PRE_ORDER)
    return found


@register
class GpuSchedulePass(ModulePass):
    """Tile linalg generics on tensors over GPU blocks and threads (scf.forall with GPU mappings)."""
    name = "mlax-gpu-schedule"
    block_threads: int = option(BLOCK_THREADS, "threads per block along x (a multiple of 32)")

    def run(self, module_op):
        if self.block_threads <= 0 or self.block_threads % 32 or self.block_threads > 1024:
            raise ScheduleError(f"mlax-gpu-schedule: block-threads={self.block_threads} is not "
                                "a multiple of 32 between 32 and 1024")
        tag = 0
        script = Script()
        for fn in defined_functions(module_op):
            for op in _generics_outside_foralls(fn):
                if wants_tree(op) or wants_tiled_matmul(op):
                    continue        # mlax-gpu-tree-reduce / -tile-matmul, after bufferization
                g = read_generic(op)
                p = plan(g, self.block_threads) if g is not None else None
                if p is None:
                    continue
                set_tag(op, tag)
                schedule_generic(script, tag, p)
                tag += 1
        if script.lines:
            try:
                run_script(module_op, script.text())
            finally:
                strip_tags(module_op)
