"""The CPU pipeline's passes after bufferization.

`--mlax-cpu-buffer-cleanup`: strided `memref.copy` becomes `linalg.copy` (a loop nest LLVM
vectorizes, not a call to the generic runtime copy), and a result computed in a temporary
buffer and then copied into its out-parameter is computed in the out-parameter directly.

`--mlax-cpu-vector-width`: LLVM's loop vectorizer may use the widest vector registers.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, memref, scf, vector

from mlax.lowering import linalg_ops as linalg
from mlax.backends.cpu.generics import defined_functions, ops_named, producer
from mlax.passes import ModulePass, register


def _is_identity_layout(t):
    return "strided" not in str(t) and "affine_map" not in str(t)


def _uses(v):
    return [u.owner for u in v.uses]


# Rows of a strided copy up to this many elements are copied as one vector each.
MAX_VECTOR_ROW = 64
MIN_VECTOR_ROW_BITS = 128


def strided_copies_to_linalg(fn):
    """memref.copy between strided views -> loops: rows contiguous in both views and short
    (`vector_row`) are copied a vector at a time, other copies become linalg.copy (a loop
    nest LLVM vectorizes)."""
    for op in ops_named(fn, "memref.copy"):
        src, dst = op.operands
        if _is_identity_layout(src.type) and _is_identity_layout(dst.type):
            continue
        with ir.InsertionPoint(op), op.location:
            if vector_row(src.type, dst.type):
                _copy_rows(src, dst)
            else:
                linalg.copy(src, outs=[dst])
        op.erase()


def vector_row(*types):
    """Whether memrefs of `types` (one static shape) have rows (innermost dim) contiguous
    in each, long enough for a vector register and at most MAX_VECTOR_ROW elements.

    An im2col copy moves rows of a few channels (8 x 4 bytes) between strided views; LLVM
    kept the loop over such a row scalar, as it cannot prove the views apart."""
    t = ir.MemRefType(types[0])
    if not t.has_static_shape or t.rank == 0 or 0 in t.shape:
        return False
    n = t.shape[-1]
    width = getattr(t.element_type, "width", 0)
    if not (n <= MAX_VECTOR_ROW and n * width >= MIN_VECTOR_ROW_BITS):
        return False
    return all(ir.MemRefType(x).get_strides_and_offset()[0][-1] == 1 for x in types)


def _copy_rows(src, dst):
    """scf.for loops over the outer dims, each row one vector.load and vector.store."""
    t = ir.MemRefType(src.type)
    index = ir.IndexType.get()
    zero = arith.constant(index, 0)
    one = arith.constant(index, 1)
    bounds = [arith.constant(index, size) for size in t.shape[:-1]]
    ivs = []
    for bound in bounds:
        loop = scf.ForOp(zero, bound, one)
        ir.InsertionPoint(loop.body).__enter__()
        ivs.append(loop.induction_variable)
    row = vector.load(ir.VectorType.get([t.shape[-1]], t.element_type), src, ivs + [zero])
    vector.store(row, dst, ivs + [zero])
    for _ in ivs:
        scf.YieldOp([])
        ir.InsertionPoint.current.__exit__(None, None, None)


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
        while producer(v) is not None and producer(v).name in ("memref.expand_shape",
                                                                 "memref.collapse_shape"):
            chain.append(producer(v))
            v = producer(v).operands[0]
        alloc = producer(v)
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
    for fn in defined_functions(module_op):
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


# ---------------------------------------------------------------------------------------
# OpenMP loops


@register
class CpuDynamicThreadsPass(ModulePass):
    """Threads take the chunks of each OpenMP loop as they come (schedule(dynamic))."""
    name = "mlax-cpu-dynamic-threads"

    def run(self, module_op):
        dynamic_threads(module_op)


def dynamic_threads(module_op):
    """`schedule(dynamic)` on every `omp.wsloop` without a schedule.

    With the default static schedule each thread owns its share of the chunks, and the call
    waits for the last thread to finish its share: on a shared machine, the worker that
    had to be woken up (or was preempted) holds everyone else up. With a dynamic schedule
    the calling thread starts on the chunks at once and takes over whatever a late worker
    has not claimed."""
    dynamic = ir.Attribute.parse("#omp<schedulekind dynamic>")
    for op in ops_named(module_op, "omp.wsloop"):
        if "schedule_kind" not in op.attributes:
            op.attributes["schedule_kind"] = dynamic
