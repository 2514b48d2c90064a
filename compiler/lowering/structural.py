"""`--mlax-lower-control-flow`: give `mlax.cond`, `mlax.while` and `mlax.scan` declarations
a body made of scf ops on tensors that call the branch/body functions, and `mlax.callback`
declarations one that calls the runtime's host-callback entry point (callbacks.py).

Control flow is functional in mlax IR (see mlax.dialects.structural): a call site is a
`func.call` to a private declaration carrying the kind's entries, and the branches and
loop bodies are ordinary functions named by symbol. This pass turns each such declaration
into an ordinary function:

    cond   -> scf.if (two branches) or scf.index_switch (more), each region a func.call
    while  -> scf.while: the `before` region calls `cond`, the `after` region calls `body`
    scan   -> scf.for over [0, length): slices the scanned operands with
              tensor.extract_slice, calls `body`, writes the per-step outputs into the
              stacked results with tensor.insert_slice

and drops the `mlax.<kind>` attribute, after which `inline` inlines the call sites and the
bodies into the scf regions. The pass only reads the entries and the declared types, so it
works before or after `--mlax-lower-to-linalg` (a bool predicate may be `i1` or its `i8`
storage type). `LOWER_KINDS[kind](fn, decl, ftype)` builds the body of the declaration
`fn` from its entries `decl` (mlax.dialects.structural) and its function type.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, bufferization, func, scf, tensor

from mlax.dialects import structural
from mlax.lowering.callbacks import lower_callback
from mlax.passes import ModulePass, PassError, register


def _call(callee: str, result_types, operands) -> list:
    return list(func.CallOp(list(result_types), callee, list(operands)).results)


def _index(i: int) -> ir.Value:
    return arith.ConstantOp(ir.IndexType.get(), i).result


def _scalar(t: ir.Value) -> ir.Value:
    """The element of a 0-d tensor."""
    return tensor.ExtractOp(t, []).result


def _truth(t: ir.Value) -> ir.Value:
    """An i1 from a 0-d bool tensor (i1 in mlax types, i8 once lowered to storage types)."""
    x = _scalar(t)
    if ir.IntegerType(x.type).width == 1:
        return x
    zero = arith.ConstantOp(x.type, 0).result
    return arith.cmpi(arith.CmpIPredicate.ne, x, zero)


def _in_place(values, dests) -> list:
    """`values` written into the buffers of `dests` (destination-passing style).

    A region whose yielded tensors may bufferize to different allocations (a loop yielding
    fresh buffers, branches returning different ones) needs ownership-based deallocation
    with runtime ownership flags, whose i1 helper buffers this MLIR's memref-to-llvm
    rejects. So loops materialize the new state in the old state's buffer, and branches
    their results in buffers allocated before the branch: every region result then has
    one statically known buffer. The cost is a copy of the yielded values."""
    return [bufferization.MaterializeInDestinationOp(d.type, v, d).result
            for v, d in zip(values, dests)]


# Ops whose result may share its operand's buffer after bufferization.
_VIEW_OPS = {"tensor.collapse_shape", "tensor.expand_shape", "tensor.extract_slice",
             "tensor.cast", "tensor.reshape", "tensor.bitcast", "mlax.reshape",
             "mlax.bitcast_convert_type"}


def _returned(callee, n) -> list:
    """The first n values `callee` returns, each followed back through views to the value
    it reads."""
    entry = callee.regions[0].blocks[0]
    ret = entry.operations[len(entry.operations) - 1]
    out = []
    for v in list(ret.operands)[:n]:
        while not isinstance(v.owner, ir.Block) and v.owner.name in _VIEW_OPS:
            v = v.owner.operands[0]
        out.append(v)
    return out


def _aliases(callee, n) -> list:
    """For each of the first n results of `callee`: the index of the parameter it returns
    unchanged (or through a view), else None (a value computed into a new buffer)."""
    args = list(callee.regions[0].blocks[0].arguments)
    return [next((j for j, a in enumerate(args) if a == v), None)
            if isinstance(v.owner, ir.Block) else None for v in _returned(callee, n)]


def _repeats(callee, n) -> list:
    """For each of the first n results of `callee`: whether an earlier result returns the
    same value (or a view of it)."""
    seen, out = [], []
    for v in _returned(callee, n):
        out.append(any(v == u for u in seen))
        seen.append(v)
    return out


def _next_state(values, state, aliases, repeats) -> list:
    """The loop's next state, written over the current one (`state`, the region's
    arguments) so that the loop bufferizes in place (see _in_place). A value that is the
    same state element passes through; one that reads another state element or an outer
    value is copied first, before any element is overwritten. So is a value that an
    earlier element of the new state also is: empty-tensor elimination would compute it
    straight into the first element's buffer, which the copy made after writing that
    element could not avoid reading ("cannot avoid RaW conflict")."""
    staged = []
    for i, (v, j, again) in enumerate(zip(values, aliases, repeats)):
        if j == i:
            staged.append(None)
        elif j is not None or again:
            staged.append(bufferization.AllocTensorOp(v.type, [], copy=v).result)
        else:
            staged.append(v)
    return [state[i] if v is None else _in_place([v], [state[i]])[0]
            for i, v in enumerate(staged)]


def _own_copies(values) -> list:
    """Copies of the loop's initial state, which the loop then updates in place. The
    state starts as the function's arguments, which bufferize read-only: when a loop of
    one trip folds away, its update would otherwise be written into an argument."""
    return [bufferization.AllocTensorOp(v.type, [], copy=v).result for v in values]


def _empty_like(types) -> list:
    """Fresh destination tensors, one buffer each (bufferization.alloc_tensor is an
    allocation, which CSE does not merge as it merges equal tensor.empty ops)."""
    return [bufferization.AllocTensorOp(t, []).result for t in types]


def _lower_cond(fn, decl: structural.Cond, ftype):
    """(index, operands...) -> branch[index](operands...)."""
    branches = list(decl.branches)
    block = fn.regions[0].blocks[0]
    index, operands = block.arguments[0], list(block.arguments[1:])
    results = list(ftype.results)
    with ir.InsertionPoint(block):
        if len(branches) == 1:
            func.ReturnOp(_call(branches[0], results, operands))
            return
        i = _scalar(index)
        dests = _empty_like(results)
        if len(branches) == 2:
            pred = arith.cmpi(arith.CmpIPredicate.ne, i, arith.ConstantOp(i.type, 0).result)
            op = scf.IfOp(pred, results, has_else=True)
            for region_block, name in ((op.then_block, branches[1]), (op.else_block, branches[0])):
                with ir.InsertionPoint(region_block):
                    scf.YieldOp(_in_place(_call(name, results, operands), dests))
        else:
            # Cases 0..n-2; the default region is the last branch (the index is in range:
            # the tracer clamps it, as lax.switch does).
            op = scf.IndexSwitchOp(results, arith.index_cast(ir.IndexType.get(), i),
                                   list(range(len(branches) - 1)))
            regions = list(op.regions)   # default first, then the cases
            for region, name in zip(regions, [branches[-1]] + branches[:-1]):
                with ir.InsertionPoint(region.blocks[0]):
                    scf.YieldOp(_in_place(_call(name, results, operands), dests))
        func.ReturnOp(list(op.results))


def _lower_while(fn, decl: structural.While, ftype):
    """(state..., consts...) -> state: while cond(state, consts): state = body(state, consts)."""
    cond_fn, body_fn = decl.cond, decl.body
    block = fn.regions[0].blocks[0]
    args = list(block.arguments)
    n = len(ftype.results)
    state, consts = args[:n], args[n:]
    types = list(ftype.results)
    with ir.InsertionPoint(block):
        op = scf.WhileOp(types, _own_copies(state))
        before = op.before.blocks.append(*types)
        with ir.InsertionPoint(before):
            cur = list(before.arguments)
            pred = _call(cond_fn, [_cond_result_type(fn, cond_fn)], cur + consts)[0]
            scf.ConditionOp(_truth(pred), cur)
        after = op.after.blocks.append(*types)
        with ir.InsertionPoint(after):
            state = list(after.arguments)
            new = _call(body_fn, types, state + consts)
            callee = _lookup(fn, body_fn)
            scf.YieldOp(_next_state(new, state, _aliases(callee, n), _repeats(callee, n)))
        func.ReturnOp(list(op.results))


def _cond_result_type(decl, name):
    callee = _lookup(decl, name)
    ftype = ir.FunctionType(ir.TypeAttr(callee.attributes["function_type"]).value)
    if len(ftype.results) != 1:
        raise PassError(f"while condition @{name} of @{_name(decl)} must return one 0-d bool "
                        "tensor", at=decl)
    return ftype.results[0]


def _lookup(decl, name):
    table = ir.SymbolTable(decl.operation.parent)
    try:
        return table[name]
    except KeyError:
        raise PassError(f"symbol @{name} named by @{_name(decl)} is not defined",
                        at=decl) from None


def _name(fn) -> str:
    return ir.StringAttr(fn.attributes["sym_name"]).value


def _slice_offsets(i, rank):
    dyn = ir.ShapedType.get_dynamic_size()
    return [i], [dyn] + [0] * (rank - 1)


def _lower_scan(fn, decl: structural.Scan, ftype):
    """(carry..., xs..., consts...) -> (carry..., ys...), stepping i over [0, length)
    (backwards when reverse): carry, y_i = body(carry, xs[i], consts)."""
    body = decl.body
    length = decl.length
    reverse = decl.reverse
    num_carry = decl.num_carry
    num_consts = decl.num_consts
    block = fn.regions[0].blocks[0]
    args = list(block.arguments)
    num_xs = len(args) - num_carry - num_consts
    carry, xs, consts = args[:num_carry], args[num_carry:num_carry + num_xs], args[num_carry + num_xs:]
    carry_types = list(ftype.results)[:num_carry]
    ys_types = list(ftype.results)[num_carry:]
    x_types = [ir.RankedTensorType.get(list(x.type.shape)[1:], x.type.element_type) for x in xs]
    y_types = [ir.RankedTensorType.get(list(t.shape)[1:], t.element_type) for t in ys_types]
    with ir.InsertionPoint(block):
        ys_init = _empty_like(ys_types)
        loop = scf.ForOp(_index(0), _index(length), _index(1), _own_copies(carry) + ys_init)
        with ir.InsertionPoint(loop.body):
            iv = loop.induction_variable
            if reverse:
                i = arith.subi(_index(length - 1), iv)
            else:
                i = iv
            it = list(loop.inner_iter_args)
            cur_carry, cur_ys = it[:num_carry], it[num_carry:]
            slices = []
            for x, t in zip(xs, x_types):
                rank = len(x.type.shape)
                offsets, static_offsets = _slice_offsets(i, rank)
                slices.append(tensor.ExtractSliceOp(
                    t, x, offsets, [], [], static_offsets, [1] + list(t.shape),
                    [1] * rank).result)
            outs = _call(body, carry_types + y_types, cur_carry + slices + consts)
            new_ys = []
            for y, acc, t in zip(outs[num_carry:], cur_ys, ys_types):
                rank = len(t.shape)
                offsets, static_offsets = _slice_offsets(i, rank)
                new_ys.append(tensor.InsertSliceOp(
                    y, acc, offsets, [], [], static_offsets, [1] + list(t.shape)[1:],
                    [1] * rank).result)
            callee = _lookup(fn, body)
            scf.YieldOp(_next_state(outs[:num_carry], cur_carry, _aliases(callee, num_carry),
                                    _repeats(callee, num_carry)) + new_ys)
        func.ReturnOp(list(loop.results))


LOWER_KINDS = {
    "cond": _lower_cond,
    "while": _lower_while,
    "scan": _lower_scan,
    "callback": lower_callback,
}


def lower_declaration(fn):
    """Give the control-flow declaration `fn` a body; it becomes an ordinary function."""
    decl = structural.read(fn)
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    fn.regions[0].blocks.append(*ftype.inputs)
    with fn.location:
        LOWER_KINDS[decl.kind](fn, decl, ftype)
    structural.undeclare(fn)


@register
class LowerControlFlowPass(ModulePass):
    """Lower mlax.cond/while/scan declarations to scf ops calling their bodies, and
    mlax.callback declarations to calls of the host-callback entry point."""
    name = "mlax-lower-control-flow"

    def run(self, module_op):
        for op in list(module_op.regions[0].blocks[0].operations):
            if op.operation.name == "func.func" and not len(op.regions[0].blocks) \
                    and structural.kind_of(op) in LOWER_KINDS:
                lower_declaration(op)
