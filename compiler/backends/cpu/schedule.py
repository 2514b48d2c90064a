"""`--mlax-cpu-schedule`: tiles, vectorizes and parallelizes linalg on tensors for the CPU.

The pass gives each `linalg.generic` a schedule for the host CPU. It reads
the generic's shape (its iterators, indexing maps and body) and picks the first that fits
(`plan_function`):

    packed       a large 2-D contraction (C[m,n] += A * B, any operand layout, M >= 64,
                 N a multiple of the vector tile): B is first copied into NR-wide panels
                 (a `linalg.transpose` into [N/NR][K][NR], split over threads), C is
                 viewed as [M][N/NR][NR] (a reshape), the panels are split over threads,
                 and each thread runs Kc x Mc blocks of register tiles over its panels;
                 the M % mr rows past the last whole tile run as one shorter tile.
                 Tiles follow the vector width (script.TILES: 8x32 on AVX-512, 6x16
                 on AVX2).
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
                 inner loops; an elementwise op's loops that every operand reads in order
                 are merged into one first (`collapse_loops`).

Each schedule is a few lines of transform dialect. The pass tags every scheduled op with
`mlax_schedule = <id>`, writes one `transform.named_sequence` that matches the tags, runs
it with the transform interpreter, and removes the tags. A function whose schedule fails
is restored, keeps only the fastmath flags, and a ScheduleWarning says so. Threads are
`scf.forall` loops, which the CPU pipeline turns into OpenMP (`scf-forall-to-parallel`,
`convert-scf-to-openmp`); without an OpenMP runtime (`mlax.runtime.cpu.openmp_library()`)
nothing is split over threads.

Files: generics.py reads the generics, rewrites.py makes the rewrites done in Python
(fastmath flags, B packing, prologue splitting), script.py writes and runs the transform
script; this file plans each function and is the pass.
"""
from __future__ import annotations

import os
import warnings

from mlir import ir

from mlax.backends.cpu.codegen import MachineTarget
from mlax.backends.cpu.generics import (defined_functions, generics_in, is_2d_matmul,
                                        is_float_type, read_contraction, read_generic, work)
from mlax.backends.cpu.rewrites import (collapse_loops, contraction_roles, mark_reassociative,
                                        pack_b, reads_indices, split_prologue, transpose_b)
from mlax.backends.cpu.script import (TAG, TILES, Script, packed_tiles, register_tiles,
                                      run_script, schedule_contraction, schedule_packed,
                                      schedule_parallel, set_tag, strip_tags)
from mlax.passes import ModulePass, PassError, option, register
from mlax.runtime.cpu import openmp_library

# When a schedule pays off, measured on the 2-core AVX-512 machine (DESIGN.md).
MIN_VECTOR_MACS = 4096     # smaller contractions stay scalar loops (dispatch-bound anyway)
MIN_PACKED_MACS = 1 << 21  # 2M multiply-adds (~10 us) before B packing pays off
MIN_PARALLEL_MACS = 1 << 23  # 8M multiply-adds (~100 us) before a contraction uses threads
MIN_PACKED_ROWS = 64       # packing B (K*N copies) pays off when each panel serves many rows
MIN_PARALLEL_WORK = 1 << 22       # work units (see `work`) before a loop is split over
                                  # threads: ~1 ms single-threaded, so the fork/join (5-50 us,
                                  # far more when the cores are shared) stays small
CHUNKS_PER_THREAD = 8      # a split loop is cut into this many chunks per thread, which
MIN_CHUNK_WORK = 1 << 18   # the threads take as they come, each chunk ~60 us or more
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


def plan_function(fn, threads, vector_bytes, script: Script, next_tag):
    """Tag the function's generics and append their schedules to `script`.

    Returns the next free tag. Fastmath flags and the B copies of contractions (packed
    panels, or a transposed B) are made here, directly in the IR."""
    for op in generics_in(fn):
        g = read_generic(op)
        if g is None or not op.results:
            continue
        if any(g.reduction) and g.numel >= MIN_VECTOR_MACS:
            split = split_prologue(g)
            if split is not None:
                op = split
                g = read_generic(op)
        c = read_contraction(g)
        if c is not None:
            merged = collapse_loops(g, contraction_roles(c))
            if merged is not None:
                op = merged
                g = read_generic(op)
                c = read_contraction(g)
        elif (not any(g.reduction) and len(g.sizes) > 1 and len(op.results) == 1
              and all(m is not None for m in g.maps)
              and all(isinstance(v.type, ir.RankedTensorType) for v in op.operands)
              and not reads_indices(op)):
            merged = collapse_loops(g, {d: "parallel" for d in range(len(g.sizes))})
            if merged is not None:
                op = merged
                g = read_generic(op)
        # Only a reduction along the innermost loop needs reordering to vectorize; an
        # outer one (column sums) vectorizes along its inner parallel loop and keeps the
        # sequential order that op-by-op (eager) evaluation also has.
        inner = next((d for d in reversed(range(len(g.sizes))) if g.sizes[d] > 1), None)
        if inner is not None and g.reduction[inner] and is_float_type(g.element):
            red_extent = g.extent([d for d in range(len(g.sizes)) if g.reduction[d]])
            if red_extent >= MIN_REASSOC_EXTENT:
                mark_reassociative(g)
        # Register tiles are vectors along C's innermost dim; with one column they would be
        # vectors of one element. Such a contraction is a set of dot products, which the
        # reduction path above vectorizes along k (twice as fast for a matrix-vector).
        if c is not None and g.numel >= MIN_VECTOR_MACS and g.sizes[g.maps[2][-1]] > 1:
            big = g.numel >= MIN_PACKED_MACS
            t = threads if g.numel >= MIN_PARALLEL_MACS else 1
            tiles = packed_tiles(g, c, vector_bytes) if is_2d_matmul(g, c) else None
            if (big and tiles and is_float_type(g.element)
                    and g.sizes[c.m[0]] >= MIN_PACKED_ROWS):
                tags = pack_b(g, c, tiles.nr, tiles.mr, next_tag)
                schedule_packed(script, tags, g.sizes[c.m[0]], g.sizes[c.k[0]],
                                g.sizes[c.n[0]] // tiles.nr, t, tiles)
                next_tag += 4
                continue
            rows = TILES[vector_bytes][0][0]
            _, m, _ = register_tiles(g, c, vector_bytes)
            # B read along k gets a copy transposed to [k, n] for the register tiles when
            # enough rows use each of its elements; with few rows the dot products along k
            # vectorize instead, unless k is too short for that (a dense layer's input
            # gradient g @ W.T over 10 classes: 8 x 2304 scalar dot products of 10).
            short_k = g.extent(c.k) < MIN_REASSOC_EXTENT
            if g.maps[c.b][-1] != c.n[-1] and m is not None and (
                    g.sizes[m] >= 2 * rows or (short_k and g.sizes[m] > 1)):
                g = read_generic(transpose_b(g, c))
            if g.maps[c.b][-1] == c.n[-1]:
                set_tag(op, next_tag)
                schedule_contraction(script, g, c, next_tag, t, vector_bytes)
                next_tag += 1
                continue
        if threads > 1 and work(g) >= MIN_PARALLEL_WORK:
            set_tag(op, next_tag)
            chunks = min(threads * CHUNKS_PER_THREAD, work(g) // MIN_CHUNK_WORK)
            if schedule_parallel(script, g, next_tag, threads, chunks):
                next_tag += 1
            else:
                del op.attributes[TAG]
    return next_tag


class ScheduleWarning(RuntimeWarning):
    """A function's schedule failed; it was compiled unscheduled (correct, slower)."""


@register
class CpuSchedulePass(ModulePass):
    """Tile, vectorize and parallelize linalg ops on tensors for the host CPU."""
    name = "mlax-cpu-schedule"
    threads: int = option(0, "threads a parallel loop is split over (0: MLAX_NUM_THREADS, "
                          "else the usable cores)")
    vector_bytes: int = option(0, "bytes in a vector register, which sizes the register "
                               "tiles: 64 (AVX-512), 32 (AVX2), 16 (0: this machine's)")

    def run(self, module_op):
        schedule(module_op, self.threads, self.vector_bytes)


def schedule(module_op, threads=0, vector_bytes=0):
    threads = threads or num_threads()
    vector_bytes = vector_bytes or MachineTarget.host().vector_bytes
    if vector_bytes not in TILES:
        raise PassError(f"vector-bytes={vector_bytes} is not one of "
                        f"{sorted(TILES)}")
    tag = 0
    for fn in list(defined_functions(module_op)):
        backup = fn.clone()
        script = Script()
        try:
            tag = plan_function(fn, threads, vector_bytes, script, tag)
            if script.lines:
                run_script(module_op, script.text())
        except Exception as e:  # noqa: BLE001 - any failure: keep the function unscheduled
            name = ir.StringAttr(fn.attributes["sym_name"]).value
            warnings.warn(f"CPU schedule of @{name} (at {fn.location}) failed, compiling it "
                          f"unscheduled: "
                          f"{type(e).__name__}: {str(e)[:2000]}", ScheduleWarning, stacklevel=2)
            # Keep the function correct and unscheduled (fastmath only).
            ir.InsertionPoint(fn).insert(backup)
            fn.erase()
            strip_tags(backup)
            for op in generics_in(backup):
                g = read_generic(op)
                if g is not None and any(g.reduction) and is_float_type(g.element):
                    mark_reassociative(g)
            continue
        else:
            backup.erase()
    strip_tags(module_op)
