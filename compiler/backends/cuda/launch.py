"""From bufferized loops to `gpu.launch`: `--mlax-gpu-single-thread` and
`--mlax-gpu-map-foralls`; and, after outlining, `--mlax-gpu-shared-attributions`
(shared-memory allocations as the kernel's workgroup attributions, which NVVM lowers to
`.shared` arrays).

After bufferization a function holds the `scf.forall` nests of the GPU schedule
(schedule.py) and whatever the schedule left: copies, fills of ops it does not tile, the
loops of the control-flow lowering, full reductions. On a GPU all of that reads and
writes device memory, so it must run in a kernel too:

- `--mlax-gpu-single-thread` turns copies into `linalg.copy` (loops, not a call of the
  host's copy function) and wraps each run of such ops in an `scf.forall` of one block
  (`#gpu.block<x>`, one iteration) with no thread loop: a kernel of one thread. Correct,
  not fast: the ops it wraps are the ones with no GPU schedule yet. Allocations, views of
  buffers, scalar arithmetic and calls stay on the host; an op whose scalar result the
  host uses (a loaded index that offsets a view) stays on the host and splits its run.
  Interpret mode runs that read as it is; on a GPU it needs a copy to the host, which
  the device runtime (not built yet) would make.
- `--mlax-gpu-map-foralls` turns each outermost `scf.forall` mapped to blocks into a
  `gpu.launch` (`transform.gpu.map_forall_to_blocks generate_gpu_launch`) and its nested
  thread foralls into thread ids (`map_nested_forall_to_threads`), with the block's size
  the largest thread forall's extent along each axis (smaller ones are predicated) and a
  barrier after each thread forall (the phases of a tree reduction).
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import scf

from mlax.lowering import linalg_ops as linalg
from mlax.backends.cpu.generics import defined_functions
from mlax.backends.cpu.script import Script, run_script, strip_tags
from mlax.passes import ModulePass, PassNotImplementedError, register

KERNEL_TAG = "mlax_gpu_kernel"

# Ops that stay on the host: memory management, views of buffers (they compute
# descriptors, not data), calls, and what ends a function.
HOST_OPS = {
    "memref.alloc", "memref.alloca", "memref.dealloc", "memref.get_global",
    "memref.subview", "memref.reinterpret_cast", "memref.expand_shape",
    "memref.collapse_shape", "memref.cast", "memref.extract_strided_metadata", "memref.dim",
    "func.call", "func.return", "gpu.launch", "bufferization.to_buffer",
    "bufferization.to_tensor", "memref.assume_alignment",
}
# Scalar computations: on the host when the host uses them, else inside the kernel.
PURE_PREFIXES = ("arith.", "index.", "affine.apply", "affine.min", "affine.max", "ub.")


def _is_block_forall(op) -> bool:
    if op.name != "scf.forall" or "mapping" not in op.attributes:
        return False
    return "#gpu.block" in str(op.attributes["mapping"])


def _contains_kernel(op) -> bool:
    found = []

    def walk(o):
        if _is_block_forall(o) or o.name == "gpu.launch":
            found.append(o)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE
    op.walk(walk)
    return bool(found)


def _kind(op) -> str:
    """'kernel' (holds kernels: recurse), 'host', 'pure' or 'device'."""
    name = op.name
    if _is_block_forall(op):
        return "host"
    if _contains_kernel(op):
        return "kernel"
    if name in HOST_OPS or name.startswith("llvm."):
        return "host"
    if name.startswith(PURE_PREFIXES) and not len(op.regions):
        return "pure"
    return "device"


def _inside(op, group_ops) -> bool:
    while op is not None:
        if op in group_ops:
            return True
        try:
            op = op.parent
        except ValueError:
            return False
        if op is None or op.name in ("func.func", "builtin.module"):
            return False
    return False


def _wrap_block(block):
    ops = [o.operation for o in block.operations][:-1]     # the terminator stays
    groups, run = [], []
    for op in ops:
        kind = _kind(op)
        if kind == "kernel":
            for region in op.regions:
                for b in region.blocks:
                    _wrap_block(b)
        if kind in ("device", "pure"):
            run.append((op, kind))
        else:
            groups.append(run)
            run = []
    groups.append(run)
    for run in groups:
        _wrap_group(run)


def _wrap_group(run):
    if not any(k == "device" for _, k in run):
        return
    members = [op for op, _ in run]
    # Drop pure ops the host uses (they stay where they are); a device op the host uses
    # stays on the host and splits the run in two.
    changed = True
    while changed:
        changed = False
        for i, (op, kind) in enumerate(run):
            if op not in members:
                continue
            if any(not _inside(use.owner, members) for r in op.results for use in r.uses):
                if kind == "device":
                    _wrap_group(run[:i])
                    _wrap_group(run[i + 1:])
                    return
                members.remove(op)
                changed = True
    while members and _kind(members[0]) == "pure":
        members.pop(0)    # leading scalar ops: nothing to gain in the kernel
    if not members:
        return
    last = members[-1]
    with ir.InsertionPoint(last), last.location:
        # Placed before `last`, then `last` moves in: every member precedes the forall.
        forall = scf.ForallOp([0], [1], [1],
                              mapping=ir.ArrayAttr.get([ir.Attribute.parse("#gpu.block<x>")]))
    body = forall.regions[0].blocks[0]
    with ir.InsertionPoint(body), last.location:
        terminator = scf.InParallelOp()
    for op in members:
        op.move_before(terminator)


def copies_to_linalg(fn):
    """memref.copy -> linalg.copy: a loop nest a kernel can run (a memref.copy lowers to a
    call of the host runtime's copy function)."""
    copies = []

    def walk(o):
        if o.name == "memref.copy":
            copies.append(o)
        return ir.WalkResult.ADVANCE
    fn.walk(walk)
    for op in copies:
        if op.operands[0] == op.operands[1]:
            op.erase()
            continue
        with ir.InsertionPoint(op), op.location:
            linalg.copy(op.operands[0], outs=[op.operands[1]])
        op.erase()


def ops_where(op, predicate) -> list:
    """The ops nested in `op` (and `op` itself) for which `predicate(op)` holds, in order;
    collected first, so the caller may rewrite them."""
    found = []

    def walk(o):
        if predicate(o):
            found.append(o)
        return ir.WalkResult.ADVANCE
    op.walk(walk)
    return found


def calls_of(op, callees) -> list:
    """The func.call ops inside `op` whose callee is named in `callees`."""
    return ops_where(op, lambda o: o.name == "func.call" and
                     ir.FlatSymbolRefAttr(o.attributes["callee"]).value in callees)


def check_no_host_calls(module_op):
    """Calls of external functions (LAPACK, host callbacks) have no GPU lowering: they
    run on the host and would read device memory."""
    body = module_op.regions[0].blocks[0]
    external = {ir.StringAttr(o.attributes["sym_name"]).value for o in body.operations
                if o.operation.name == "func.func" and not len(o.regions[0].blocks)}
    for o in calls_of(module_op, external):
        callee = ir.FlatSymbolRefAttr(o.attributes["callee"]).value
        raise PassNotImplementedError(
            f"the cuda backend has no GPU lowering for a call of the host function "
            f"@{callee} (a LAPACK routine or a host callback): compute it on the cpu "
            f"backend (jit(..., backend='cpu'))", o.location)


@register
class GpuSingleThreadPass(ModulePass):
    """Run bufferized ops that no GPU schedule placed in a kernel as kernels of one thread."""
    name = "mlax-gpu-single-thread"

    def run(self, module_op):
        check_no_host_calls(module_op)
        for fn in defined_functions(module_op):
            copies_to_linalg(fn)
            _wrap_block(fn.regions[0].blocks[0])


def _thread_extents(forall):
    """Per thread axis (x, y, z), the largest extent of a thread forall nested in `forall`."""
    dims = [1, 1, 1]

    def walk(o):
        if o.name == "scf.forall" and o is not forall and "mapping" in o.attributes:
            mapping = [str(a) for a in ir.ArrayAttr(o.attributes["mapping"])]
            if not any("#gpu.thread" in m for m in mapping):
                return ir.WalkResult.ADVANCE
            ubs = list(ir.DenseI64ArrayAttr(o.attributes["staticUpperBound"]))
            for m, ub in zip(mapping, ubs):
                if ub < 0:
                    raise MappingError(f"a thread loop of dynamic extent cannot be mapped to a "
                                       f"GPU block (at {o.location})")
                axis = "xyz".index(m[len("#gpu.thread<"):-1])
                dims[axis] = max(dims[axis], ub)
        return ir.WalkResult.ADVANCE
    forall.walk(walk)
    return dims


class MappingError(Exception):
    pass


def _outer_block_foralls(fn):
    found = []

    def walk(o):
        if _is_block_forall(o):
            found.append(o)
            return ir.WalkResult.SKIP
        return ir.WalkResult.ADVANCE
    fn.walk(walk, ir.WalkOrder.PRE_ORDER)
    return found


@register
class GpuMapForallsPass(ModulePass):
    """Turn scf.forall nests mapped to GPU blocks and threads into gpu.launch ops."""
    name = "mlax-gpu-map-foralls"

    def run(self, module_op):
        script = Script()
        tag = 0
        for fn in defined_functions(module_op):
            for forall in _outer_block_foralls(fn):
                dims = _thread_extents(forall)
                forall.attributes[KERNEL_TAG] = ir.IntegerAttr.get(
                    ir.IntegerType.get_signless(64), tag)
                h = script.fresh()
                script.emit(f"{h} = transform.structured.match attributes{{{KERNEL_TAG} = {tag} "
                            f": i64}} in %root : (!transform.any_op) -> !transform.any_op")
                launch = script.fresh()
                script.emit(f"{launch} = transform.gpu.map_forall_to_blocks {h} "
                            f"generate_gpu_launch : (!transform.any_op) -> !transform.any_op")
                out = script.fresh()
                script.emit(f"{out} = transform.gpu.map_nested_forall_to_threads {launch} "
                            f"block_dims = {dims} sync_after_distribute = true : "
                            f"(!transform.any_op) -> !transform.any_op")
                tag += 1
        if script.lines:
            try:
                run_script(module_op, script.text())
            finally:
                strip_tags(module_op)

                def walk(o):
                    if KERNEL_TAG in o.attributes:
                        del o.attributes[KERNEL_TAG]
                    return ir.WalkResult.ADVANCE
                module_op.walk(walk)


@register
class GpuSharedAttributionsPass(ModulePass):
    """Turn shared-memory stack allocations of outlined kernels into workgroup attributions."""
    name = "mlax-gpu-shared-attributions"

    def run(self, module_op):
        for gm in module_op.regions[0].blocks[0].operations:
            if gm.operation.name != "gpu.module":
                continue
            for gf in gm.operation.regions[0].blocks[0].operations:
                if gf.operation.name == "gpu.func":
                    _shared_to_attributions(gf.operation)


def _shared_to_attributions(gf):
    """NVPTX has no stack allocation in shared memory: each static
    `memref.alloca() : memref<..., #gpu.address_space<workgroup>>` at the kernel's top
    level becomes a workgroup attribution of the gpu.func (a `.shared` array)."""
    entry = gf.regions[0].blocks[0]
    count = ir.IntegerAttr(gf.attributes["workgroup_attributions"]).value \
        if "workgroup_attributions" in gf.attributes else 0
    n_private = len(entry.arguments) - count - len(
        ir.FunctionType(ir.TypeAttr(gf.attributes["function_type"]).value).inputs)
    for op in [o.operation for o in entry.operations]:
        if op.name != "memref.alloca" or len(op.operands) or \
                "#gpu.address_space<workgroup>" not in str(op.results[0].type):
            continue
        if n_private:
            raise PassNotImplementedError("a kernel with private attributions and shared "
                                          "memory", op.location)
        arg = entry.add_argument(op.results[0].type, op.location)
        op.results[0].replace_all_uses_with(arg)
        op.erase()
        count += 1
    if count:
        gf.attributes["workgroup_attributions"] = ir.IntegerAttr.get(
            ir.IntegerType.get_signless(64), count)
