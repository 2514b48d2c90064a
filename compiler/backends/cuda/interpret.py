"""`--mlax-gpu-interpret`: outlined GPU kernels and their launches as CPU loops.

Interpret mode (as Triton's `TRITON_INTERPRET=1`, Pallas' `interpret=True`) runs the
kernels the real path would hand to ptxas, with their thread and block ids, barriers and
shared memory, as ordinary CPU code, so the GPU code generation's indexing, bounds and
synchronization are tested on any machine. Each `gpu.func` kernel becomes a private
`func.func` taking the kernel's arguments and then the grid and block sizes (x, y, z);
each `gpu.launch_func` becomes a `func.call` of it. Its body:

    for block z, y, x over the grid:            (gpu.block_id -> these induction variables)
      phase 1: for thread z, y, x over the block: the kernel's ops up to the first barrier
      phase 2: for thread z, y, x over the block: the ops up to the next barrier
      ...

A barrier ends a phase: every thread of the block finishes the phase before any starts the
next, which is what `gpu.barrier` guarantees. A loop or `scf.if` whose body holds a
barrier (a shared-memory tile loop) must be uniform, as on the GPU: it runs once per block,
around the phases of its body. A value a thread computes in one phase and uses in a later
one is recomputed there when it is a pure computation (index arithmetic, views), and
otherwise kept in a per-thread buffer (one element per thread of the block), as a
register would keep it; so are the iteration values of such a loop (a thread's
accumulators), stored before it and at the end of each iteration. A `gpu.shuffle` ends a
phase too: each thread stores the value it offers at its linear thread id, and in the
next phase reads its partner's slot (lanes are the block's consecutive threads, `width`
to a group; a partner outside the group or the block gives the thread its own value, with
`valid` false, as on the GPU). Shared memory (`#gpu.address_space<workgroup>`: memory-space-3
buffers and workgroup attributions) is one buffer per block. Threads of a phase run in
order, which is one of the orders a GPU may choose: a kernel that races gives one of its
possible results, not an error.
"""
from __future__ import annotations

import re

from mlir import ir
from mlir.dialects import arith, func, gpu, memref, scf, vector

from mlax.passes import ModulePass, PassError, PassNotImplementedError, register

# Ops recomputed in a later phase instead of being stored per thread: no memory effects,
# no regions.
PURE_PREFIXES = ("arith.", "index.", "affine.apply", "affine.min", "affine.max", "ub.",
                 "math.", "gpu.thread_id", "gpu.block_id", "gpu.block_dim", "gpu.grid_dim")
PURE_OPS = {"memref.subview", "memref.reinterpret_cast", "memref.expand_shape",
            "memref.collapse_shape", "memref.cast", "memref.extract_strided_metadata",
            "memref.dim"}
THREAD_LOOP = "mlax_gpu_thread_loop"
SYNC_OPS = ("gpu.barrier", "gpu.shuffle", "nvgpu.mma.sync")
WORKGROUP = "#gpu.address_space<workgroup>"


def _index(v):
    return arith.ConstantOp(ir.IndexType.get(), v).result


def _is_pure(op) -> bool:
    return not len(op.regions) and (op.name in PURE_OPS or op.name.startswith(PURE_PREFIXES))


def _contains_sync(op) -> bool:
    """Whether `op` holds a barrier or a shuffle (both end a phase)."""
    found = []

    def walk(o):
        if o.name in SYNC_OPS:
            found.append(o)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE
    op.walk(walk)
    return bool(found)


def _is_shared_alloc(op) -> bool:
    return op.name in ("memref.alloca", "memref.alloc") and WORKGROUP in str(op.results[0].type)


class _Kernel:
    """Rewrites one gpu.func into a func.func of loops."""

    def __init__(self, gfunc, new_fn):
        self.gfunc = gfunc
        self.fn = new_fn
        self.entry = new_fn.regions[0].blocks[0]
        args = list(self.entry.arguments)
        self.grid = args[-6:-3]
        self.block = args[-3:]
        self.thread_bodies = {}      # id -> (body block, [tx, ty, tz], linear id op)
        self.spills = {}             # value -> its per-thread buffer
        self.exchange = {}           # gpu.shuffle -> the buffer its values pass through

    # -- structure ------------------------------------------------------------------------
    def lower_ops(self, ops, before):
        """Move `ops` (one block's, in order) to before the op `before`, as phases of thread
        loops split at barriers; uniform ops holding barriers stay at block level."""
        current = []
        for op in ops:
            if op.name == "gpu.barrier":
                self.thread_phase(current, before)
                current = []
                op.erase()
            elif op.name == "gpu.shuffle":
                current.extend(self.shuffle_send(op))
                self.thread_phase(current, before)
                current = self.shuffle_receive(op)
            elif op.name == "nvgpu.mma.sync":
                current.extend(self.mma_send(op))
                self.thread_phase(current, before)
                current = self.mma_receive(op)
            elif _contains_sync(op):
                after = []
                if op.name == "scf.for" and len(op.results):
                    stores, op, after = self.carry_in_memory(op)
                    current.extend(stores)
                self.thread_phase(current, before)
                current = after
                if op.name not in ("scf.for", "scf.if"):
                    raise PassNotImplementedError(
                        f"interpret mode: a barrier or shuffle inside {op.name} (only scf.for "
                        f"and scf.if around them are interpreted)", op)
                op.move_before(before)
                for region in op.regions:
                    for block in region.blocks:
                        inner = [o.operation for o in block.operations]
                        self.lower_ops(inner[:-1], inner[-1])
            elif _is_shared_alloc(op):
                # Blocks run one after another: one buffer serves them all, allocated
                # once (a stack allocation inside the block loop would grow the stack on
                # every block).
                op.move_before(self.entry.operations[0] if not len(op.operands) else before)
            else:
                current.append(op)
        self.thread_phase(current, before)

    def carry_in_memory(self, loop):
        """A uniform loop holding barriers whose iteration values are each thread's own
        (a thread's accumulators, kept in registers across the barriers on a GPU) as a
        loop without them: the values live in per-thread buffers, stored before the loop
        and at the end of each iteration, loaded at its start and after the loop.
        Returns (the ops storing the initial values, the new loop, the ops loading the
        results), each list in the order they run."""
        old = loop.opview
        with ir.InsertionPoint(loop), loop.location:
            lin_ops = self.linear_thread_id()
            bufs = [self.buffer(v.type) for v in old.initArgs]
            stores = [memref.StoreOp(v, buf, [lin_ops[-1].result]).operation
                      for v, buf in zip(old.initArgs, bufs)]
            new = scf.ForOp(old.lowerBound, old.upperBound, old.step)
        with ir.InsertionPoint(new.body), loop.location:
            lin = self.linear_thread_id()[-1].result
            for arg, buf in zip(old.inner_iter_args, bufs):
                arg.replace_all_uses_with(memref.LoadOp(buf, [lin]).result)
            old.induction_variable.replace_all_uses_with(new.induction_variable)
            new_yield = scf.YieldOp([])
        body = [o.operation for o in old.body.operations]
        for o in body[:-1]:
            o.move_before(new_yield)
        with ir.InsertionPoint(new_yield), loop.location:
            lin = self.linear_thread_id()[-1].result
            for v, buf in zip(body[-1].operands, bufs):
                memref.StoreOp(v, buf, [lin])
        with ir.InsertionPoint(loop), loop.location:
            lin_after = self.linear_thread_id()
            loads = [memref.LoadOp(buf, [lin_after[-1].result]) for buf in bufs]
        for r, ld in zip(loop.results, loads):
            r.replace_all_uses_with(ld.result)
        block_ops = [o.operation for o in loop.block.operations]
        after = block_ops[block_ops.index(lin_after[0]):block_ops.index(loop)]
        loop.erase()
        return lin_ops + stores, new.operation, after

    # -- warp shuffles ---------------------------------------------------------------------
    # A gpu.shuffle ends a phase as a barrier does: every thread first stores the value it
    # offers in a per-thread buffer (the send phase), then in the next phase reads its
    # partner's slot. Lanes are counted from the block's linear thread id, as a warp is
    # `width` consecutive threads of it.
    def shuffle_send(self, op):
        """Ops storing the value `op` shuffles in this thread's slot of a fresh buffer."""
        value = op.operands[0]
        buf = self.buffer(value.type)
        self.exchange[op] = buf
        with ir.InsertionPoint(op), op.location:
            lin = self.linear_thread_id()
            store = memref.StoreOp(value, buf, [lin[-1].result])
        return lin + [store.operation]

    def shuffle_receive(self, op):
        """Ops reading the partner's slot (this thread's own where the partner is out of the
        width or the block) in place of `op`'s results; `op` is erased."""
        buf = self.exchange.pop(op)
        mode = str(op.attributes["mode"])
        idx = ir.IndexType.get()
        with ir.InsertionPoint(op), op.location:
            lin_ops = self.linear_thread_id()
            lin = lin_ops[-1].result
            offset = arith.IndexCastOp(idx, op.operands[1]).result
            width = arith.IndexCastOp(idx, op.operands[2]).result
            lane = arith.RemUIOp(lin, width).result
            base = arith.SubIOp(lin, lane).result
            if "xor" in mode:
                j = arith.XOrIOp(lane, offset).result
            elif "down" in mode:
                j = arith.AddIOp(lane, offset).result
            elif "up" in mode:
                j = arith.SubIOp(lane, offset).result
            else:
                j = offset
            valid = arith.CmpIOp(arith.CmpIPredicate.ult, j, width).result
            if "up" in mode:
                valid = arith.CmpIOp(arith.CmpIPredicate.uge, lane, offset).result
            partner = arith.AddIOp(base, j).result
            exists = arith.CmpIOp(arith.CmpIPredicate.ult, partner, self.block_size()).result
            valid = arith.AndIOp(valid, exists).result
            src = arith.SelectOp(valid, partner, lin).result
            got = memref.LoadOp(buf, [src]).result
        # The new ops are the ones right before `op`, from the first thread id on.
        block_ops = [o.operation for o in op.block.operations]
        new_ops = block_ops[block_ops.index(lin_ops[0]):block_ops.index(op)]
        op.results[0].replace_all_uses_with(got)
        op.results[1].replace_all_uses_with(valid)
        op.erase()
        return new_ops

    # -- tensor-core MMA ----------------------------------------------------------------------
    # nvgpu.mma.sync m16n8k16 is a warp's collective too: each lane offers its fragments of
    # A, B and C (PTX's layout: with g = lane / 4 and q = lane % 4, A's rows g and g + 8 and
    # columns 2q, 2q + 1 and those + 8; B's column g, rows likewise; C's rows g and g + 8,
    # columns 2q, 2q + 1), and in the next phase computes its fragment of D = A B + C from
    # the warp's fragments, the products in f32.
    def mma_send(self, op):
        with ir.InsertionPoint(op), op.location:
            lin = self.linear_thread_id()
            stores = []
            bufs = []
            for v in op.operands[:3]:
                buf = self.buffer(v.type)
                bufs.append(buf)
                stores.append(memref.StoreOp(v, buf, [lin[-1].result]).operation)
        self.exchange[op] = bufs
        return lin + stores

    def mma_receive(self, op):
        if list(ir.ArrayAttr(op.attributes["mmaShape"])) and \
                [ir.IntegerAttr(x).value for x in ir.ArrayAttr(op.attributes["mmaShape"])] != \
                [16, 8, 16]:
            raise PassNotImplementedError("interpret mode: an mma.sync other than m16n8k16", op)
        a_buf, b_buf, c_buf = self.exchange.pop(op)
        f32 = ir.F32Type.get()
        with ir.InsertionPoint(op), op.location:
            lin_ops = self.linear_thread_id()
            lin = lin_ops[-1].result
            lane = arith.RemUIOp(lin, _index(32)).result
            base = arith.SubIOp(lin, lane).result
            grp = arith.DivUIOp(lane, _index(4)).result
            quad = arith.RemUIOp(lane, _index(4)).result
            own_c = memref.LoadOp(c_buf, [lin]).result

            def at(buf, lane_index, reg, elem):
                frag = memref.LoadOp(buf, [arith.AddIOp(base, lane_index).result]).result
                v = vector.ExtractOp(frag, [], [reg, elem]).result
                return v if v.type == f32 else arith.ExtFOp(f32, v).result
            values = []
            for r in range(2):
                for e in range(2):
                    acc = vector.ExtractOp(own_c, [], [r, e]).result
                    col = arith.AddIOp(arith.MulIOp(quad, _index(2)).result, _index(e)).result
                    for kk in range(16):
                        lane_a = arith.AddIOp(arith.MulIOp(grp, _index(4)).result,
                                              _index((kk % 8) // 2)).result
                        lane_b = arith.AddIOp(arith.MulIOp(col, _index(4)).result,
                                              _index((kk % 8) // 2)).result
                        prod = arith.MulFOp(at(a_buf, lane_a, r + 2 * (kk // 8), kk % 2),
                                            at(b_buf, lane_b, kk // 8, kk % 2)).result
                        acc = arith.AddFOp(acc, prod).result
                    values.append(acc)
            d = vector.FromElementsOp(op.results[0].type, values).result
        block_ops = [o.operation for o in op.block.operations]
        new_ops = block_ops[block_ops.index(lin_ops[0]):block_ops.index(op)]
        op.results[0].replace_all_uses_with(d)
        op.erase()
        return new_ops

    def linear_thread_id(self):
        """Ops computing x + bx * (y + by * z) from the kernel's thread ids (replaced by
        the phase's loop indices later); the last op's result is the id."""
        ops = [gpu.ThreadIdOp(gpu.Dimension(d)) for d in range(3)]
        ops += [gpu.BlockDimOp(gpu.Dimension(d)) for d in range(2)]
        tx, ty, tz, bx, by = (o.result for o in ops)
        ops.append(arith.MulIOp(by, tz))
        ops.append(arith.AddIOp(ty, ops[-1].result))
        ops.append(arith.MulIOp(bx, ops[-1].result))
        ops.append(arith.AddIOp(tx, ops[-1].result))
        return [o.operation for o in ops]

    def block_size(self):
        return arith.MulIOp(self.block[0], arith.MulIOp(self.block[1], self.block[2]).result
                            ).result

    def thread_phase(self, ops, before):
        if not ops:
            return
        with ir.InsertionPoint(before), before.location:
            c0, c1 = _index(0), _index(1)
            loops = []
            ip = ir.InsertionPoint(before)
            for bound in reversed(self.block):          # z, y, x: x innermost
                with ip:
                    loop = scf.ForOp(c0, bound, c1)
                with ir.InsertionPoint(loop.body):
                    scf.YieldOp([])
                loops.append(loop)
                ip = ir.InsertionPoint(loop.body.operations[0])
            tz, ty, tx = (lp.induction_variable for lp in loops)
            with ip:
                bx, by = self.block[0], self.block[1]
                lin = arith.AddIOp(tx, arith.MulIOp(bx, arith.AddIOp(
                    ty, arith.MulIOp(by, tz).result).result).result)
        innermost = loops[-1]
        tid = len(self.thread_bodies)
        innermost.operation.attributes[THREAD_LOOP] = ir.IntegerAttr.get(
            ir.IntegerType.get_signless(64), tid)
        body = innermost.body
        self.thread_bodies[tid] = (body, [tx, ty, tz], lin.operation)
        terminator = body.operations[len(body.operations) - 1]
        for op in ops:
            op.move_before(terminator)

    # -- values crossing phases -------------------------------------------------------------
    def phase_of(self, op):
        """The id of the thread loop holding `op`, or None (block level)."""
        while op is not None and op.name != "func.func":
            if THREAD_LOOP in op.attributes:
                return ir.IntegerAttr(op.attributes[THREAD_LOOP]).value
            op = op.parent
        return None

    def fix_crossings(self):
        """Make every use of a thread's value dominated by a definition in its phase."""
        changed = True
        while changed:
            changed = False
            for tid, (body, _, _) in list(self.thread_bodies.items()):
                for op in [o.operation for o in body.operations]:
                    for r in op.results:
                        for use in list(r.uses):
                            owner = use.owner.operation if hasattr(use.owner, "operation") \
                                else use.owner
                            where = self.phase_of(owner)
                            if where == tid:
                                continue
                            owner.operands[use.operand_number] = self.value_in(op, r, where,
                                                                               owner)
                            changed = True

    def value_in(self, op, r, where, owner):
        """`r` (a result of `op`, computed in a thread phase) as a value usable at `owner`,
        which is in phase `where` (None: block level). Placed right before `owner`, once
        per use (CSE merges copies later), so that it precedes its user wherever that is."""
        if _is_pure(op):
            clone = op.clone(ip=ir.InsertionPoint(owner))
            return clone.results[list(op.results).index(r)]
        if where is None:
            raise PassNotImplementedError(
                f"interpret mode: a value each thread computes ({op.name}) is used by "
                f"code the whole block runs, around a barrier", op.location)
        if not isinstance(r.type, (ir.IntegerType, ir.IndexType, ir.F16Type, ir.F32Type,
                                   ir.F64Type, ir.BF16Type, ir.VectorType)):
            raise PassNotImplementedError(
                f"interpret mode: a {r.type} value crosses a barrier", op.location)
        buf = self.spills.get(r)
        if buf is None:
            buf = self.spills[r] = self.buffer(r.type)
            src = self.thread_bodies[self.phase_of(op)][2]
            with ir.InsertionPoint(op), op.location:
                st = memref.StoreOp(r, buf, [src.results[0]])
            st.operation.move_after(op)
        lin = self.thread_bodies[where][2]
        with ir.InsertionPoint(owner), owner.location:
            return memref.LoadOp(buf, [lin.results[0]]).result

    def buffer(self, t):
        """A per-thread buffer of `t` (one element per thread of the block), allocated once
        for the whole launch (the pipeline's deallocation pass frees it)."""
        with ir.InsertionPoint(self.entry.operations[0]), self.fn.location:
            n = arith.MulIOp(self.block[0], arith.MulIOp(self.block[1], self.block[2]).result)
            buf = memref.AllocOp(ir.MemRefType.get([ir.ShapedType.get_dynamic_size()], t),
                                 [n.result], []).result
        return buf

    # -- ids ----------------------------------------------------------------------------------
    def replace_ids(self, block_ivs):
        dims = {"x": 0, "y": 1, "z": 2}
        found = []

        def walk(o):
            if o.name in ("gpu.thread_id", "gpu.block_id", "gpu.block_dim", "gpu.grid_dim"):
                found.append(o)
            elif o.name.startswith("gpu.") and o.name not in ("gpu.return", "gpu.barrier"):
                raise PassNotImplementedError(f"interpret mode: {o.name} is not interpreted", o)
            return ir.WalkResult.ADVANCE
        self.fn.walk(walk)
        for o in found:
            d = dims[str(o.attributes["dimension"]).split()[-1].rstrip(">")]
            if o.name == "gpu.thread_id":
                tid = self.phase_of(o)
                if tid is None:
                    raise PassError(f"interpret mode: a thread id used by code the whole block "
                                    f"runs (a loop around a barrier with thread-dependent "
                                    f"bounds)", o)
                v = self.thread_bodies[tid][1][d]
            elif o.name == "gpu.block_id":
                v = block_ivs[d]
            elif o.name == "gpu.block_dim":
                v = self.block[d]
            else:
                v = self.grid[d]
            o.results[0].replace_all_uses_with(v)
            o.erase()


def _kernel_fn(module_body_ip, gm, gf):
    """The func.func @<module>_<kernel> that interprets gpu.func `gf`, its body empty."""
    name = f"{ir.StringAttr(gm.attributes['sym_name']).value}_" \
           f"{ir.StringAttr(gf.attributes['sym_name']).value}"
    ftype = ir.FunctionType(ir.TypeAttr(gf.attributes["function_type"]).value)
    idx = ir.IndexType.get()
    with module_body_ip, gf.location:
        fn = func.FuncOp(name, (list(ftype.inputs) + [idx] * 6, []), visibility="private")
        # Internal linkage: kernels of every compile share their names in the process's JIT.
        fn.attributes["llvm.linkage"] = ir.Attribute.parse("#llvm.linkage<internal>")
        fn.add_entry_block()
    return name, fn


def interpret_kernel(gm, gf, ip):
    """Build the loops of gpu.func `gf` (of gpu.module `gm`); returns the func's name."""
    if len(gf.regions[0].blocks) != 1:
        raise PassNotImplementedError("interpret mode: a kernel with several blocks "
                                      "(unstructured control flow)", gf)
    if "workgroup_attributions" in gf.attributes and \
            ir.IntegerAttr(gf.attributes["workgroup_attributions"]).value:
        raise PassNotImplementedError(f"interpret mode: workgroup attributions (declare shared "
                                      f"memory as memref.alloca in address space 3)", gf)
    name, fn = _kernel_fn(ip, gm, gf)
    k = _Kernel(gf, fn.operation)
    entry = k.entry
    old = gf.regions[0].blocks[0]
    nargs = len(old.arguments)
    for a, b in zip(old.arguments, list(entry.arguments)[:nargs]):
        a.replace_all_uses_with(b)
    with ir.InsertionPoint(entry), gf.location:
        ret = func.ReturnOp([])
    with ir.InsertionPoint(ret), gf.location:
        c0, c1 = _index(0), _index(1)
        ip = ir.InsertionPoint(ret)
        ivs = []
        for bound in reversed(k.grid):                 # z, y, x
            with ip:
                loop = scf.ForOp(c0, bound, c1)
            with ir.InsertionPoint(loop.body):
                scf.YieldOp([])
            ivs.append(loop.induction_variable)
            ip = ir.InsertionPoint(loop.body.operations[0])
        innermost_yield = loop.body.operations[0]
    ops = [o.operation for o in old.operations]
    if ops[-1].name != "gpu.return":
        raise PassError(f"interpret mode: a kernel that does not end in gpu.return", gf)
    ops[-1].erase()
    k.lower_ops(ops[:-1], innermost_yield.operation)
    k.fix_crossings()
    k.replace_ids([ivs[2], ivs[1], ivs[0]])
    for body, _, _ in k.thread_bodies.values():
        del body.owner.attributes[THREAD_LOOP]
    return name


def _launch_to_call(op, names):
    lf = op.opview
    sym = str(lf.kernel)                    # @module::@kernel
    mod, kern = re.findall(r"@\"?([\w$.-]+)\"?", sym)
    callee = names[(mod, kern)]
    if len(lf.asyncDependencies) or lf.asyncToken is not None:
        raise PassNotImplementedError(f"interpret mode: an asynchronous launch", op)
    operands = list(lf.kernelOperands) + [lf.gridSizeX, lf.gridSizeY, lf.gridSizeZ,
                                          lf.blockSizeX, lf.blockSizeY, lf.blockSizeZ]
    with ir.InsertionPoint(op), op.location:
        func.CallOp([], ir.FlatSymbolRefAttr.get(callee), operands)
    op.erase()


def _strip_workgroup(module_op):
    """Shared buffers are host buffers: drop the workgroup memory space from every type
    (a text round trip: types are immutable and appear on many ops)."""
    text = module_op.get_asm(enable_debug_info=True)
    if WORKGROUP not in text:
        return
    text = text.replace(", " + WORKGROUP, "").replace(", 3 : i64", "")
    fresh = ir.Module.parse(text, module_op.context)
    body = module_op.regions[0].blocks[0]
    for o in list(body.operations):
        o.operation.erase()
    for o in list(fresh.body.operations):
        body.append(o.operation)


@register
class GpuInterpretPass(ModulePass):
    """Rewrite outlined GPU kernels and their launches into CPU loops over blocks and threads."""
    name = "mlax-gpu-interpret"

    def run(self, module_op):
        body = module_op.regions[0].blocks[0]
        names = {}
        gpu_modules = [o.operation for o in body.operations if o.operation.name == "gpu.module"]
        for gm in gpu_modules:
            for gf in [o.operation for o in gm.regions[0].blocks[0].operations]:
                if gf.name != "gpu.func" or "gpu.kernel" not in gf.attributes:
                    continue
                ip = ir.InsertionPoint(gm)
                names[(ir.StringAttr(gm.attributes["sym_name"]).value,
                       ir.StringAttr(gf.attributes["sym_name"]).value)] = \
                    interpret_kernel(gm, gf, ip)
        launches = []

        def walk(o):
            if o.name == "gpu.launch_func":
                launches.append(o)
            return ir.WalkResult.ADVANCE
        module_op.walk(walk)
        for op in launches:
            _launch_to_call(op, names)
        for gm in gpu_modules:
            gm.erase()
        if "gpu.container_module" in module_op.attributes:
            del module_op.attributes["gpu.container_module"]
        _strip_workgroup(module_op)
