"""`--mlax-fuse-elementwise`: trees of elementwise `linalg.generic`s fused into one generic
each, in one walk over the IR.

Upstream `linalg-fuse-elementwise-ops` fuses one producer into one consumer per rewrite,
cloning both bodies into a new generic, and its greedy driver goes over the function again
after each: a chain of N elementwise ops costs O(N^2) (5000 ops: ~16 s). This pass first
decides, block by block, which producer goes into which consumer (one visit of each generic,
in program order), then builds each group's generic once, moving the members' body ops into
its region. What it leaves (producers with `linalg.index`, reductions as consumers,
reshapes, constant folding) the upstream pass, which runs after it, fuses in a few steps.

A producer P is fused into its consumer C when
- both are generics on tensors whose loops are all parallel, in the same block;
- P has one result, and every use of it is an input of C with one indexing map (upstream
  fuses single-use producers only; a value that one consumer reads twice is computed once);
- P's output indexing map is a permutation (P's loops follow from C's), and C's map of the
  operand has one result per loop of P;
- P's body reads neither its output block argument nor `linalg.index`, and holds no op
  with regions.

The fused generic has the root's (the last consumer's) outputs, loops and location; its
inputs are the members' inputs that no member produces, their indexing maps composed into
the root's loops, each (value, map) pair once. The pass only moves scalar ops between
regions: results are bit for bit those of the unfused generics.
"""
from __future__ import annotations

from mlir import ir

from mlax.lowering import linalg_ops as linalg
from mlax.passes import ModulePass, register


class _Generic:
    """What the plan reads of a linalg.generic, once. Generics are known by their first
    result (`key`): an `ir.Operation` hashes by its contents, which the pass changes."""

    def __init__(self, op):
        self.op = op
        self.maps = [ir.AffineMapAttr(a).value
                     for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
        self.iterators = ir.ArrayAttr(op.attributes["iterator_types"])
        self.n_loops = len(self.iterators)
        self.n_inputs = len(op.operands) - len(op.results)
        self.body = op.regions[0].blocks[0]
        self.key = op.results[0] if len(op.results) else None

    @property
    def elementwise(self) -> bool:
        """On tensors, every loop parallel."""
        return (self.key is not None
                and all(isinstance(r.type, ir.RankedTensorType) for r in self.op.results)
                and all("parallel" in str(a) for a in self.iterators))

    def movable(self) -> bool:
        """Whether the body computes the same in a consumer's loops: it reads neither its
        output nor `linalg.index`, and holds no op with regions (not looked into)."""
        if any(True for arg in self.body.arguments[self.n_inputs:] for _ in arg.uses):
            return False
        return all(op.name != "linalg.index" and not len(op.regions)
                   for op in self.body.operations)


def _fusable(p: _Generic, c: _Generic, k: int) -> bool:
    """Whether producer `p`, the generic of consumer `c`'s input `k`, moves into `c`."""
    if len(p.op.results) != 1 or not p.maps[-1].is_permutation:
        return False
    if len(c.maps[k].results) != p.n_loops:
        return False
    for use in p.key.uses:
        n, owner = use.operand_number, use.owner
        if not len(owner.results) or owner.results[0] != c.key:
            return False   # a use outside c (c is known by its first result)
        if n >= c.n_inputs or c.maps[n] != c.maps[k]:
            return False
    return p.movable()


def _plan(generics: list) -> dict:
    """{producer's key: (consumer, the consumer's map of it)} for one block's elementwise
    generics, in program order."""
    by_key = {g.key: g for g in generics}
    into = {}
    for c in generics:
        for k in range(c.n_inputs):
            p = by_key.get(c.op.operands[k])   # None: not an elementwise generic of this block
            if p is not None and p.key not in into and _fusable(p, c, k):
                into[p.key] = (c, c.maps[k])
    return into


def _compose(m: ir.AffineMap, to_root: ir.AffineMap) -> ir.AffineMap:
    """`m` (of a member's loops) in the root's loops."""
    return ir.AffineMap.get(to_root.n_dims, 0, [e.compose(to_root) for e in m.results])


def _loops_in_root(p: _Generic, consumer_map: ir.AffineMap, c_to_root: ir.AffineMap):
    """Producer `p`'s loops as functions of the root's: its output map inverted, after the
    consumer's map of its result."""
    index = _compose(consumer_map, c_to_root).results
    loops = [None] * p.n_loops
    for j, e in enumerate(p.maps[-1].results):
        loops[ir.AffineDimExpr(e).position] = index[j]
    return ir.AffineMap.get(c_to_root.n_dims, 0, loops)


def _build(root: _Generic, members: list, into: dict, to_root: dict):
    """One generic for `members` (program order) and `root`, in place of the root, which
    is left without uses (its body moved out)."""
    inputs, maps, types, position = [], [], [], {}
    for g in members + [root]:
        for k in range(g.n_inputs):
            v = g.op.operands[k]
            if v not in into:
                m = _compose(g.maps[k], to_root[g.key])
                key = (v, str(m))
                if key not in position:
                    position[key] = len(inputs)
                    inputs.append(v)
                    maps.append(m)
                    types.append(g.body.arguments[k].type)
    outs = list(root.op.operands[root.n_inputs:])
    maps += root.maps[root.n_inputs:]
    types += [a.type for a in root.body.arguments[root.n_inputs:]]
    with ir.InsertionPoint(root.op), root.op.location:
        fused = linalg.GenericOp([r.type for r in root.op.results], inputs, outs,
                                 ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
                                 root.iterators)
        block = fused.regions[0].blocks.append(*types)
    yielded = {}
    for g in members + [root]:
        args = g.body.arguments
        for k in range(g.n_inputs):
            v = g.op.operands[k]
            if v in yielded:
                args[k].replace_all_uses_with(yielded[v])
            else:
                key = (v, str(_compose(g.maps[k], to_root[g.key])))
                args[k].replace_all_uses_with(block.arguments[position[key]])
        ops = list(g.body.operations)
        if g is root:
            for i, arg in enumerate(args[g.n_inputs:]):
                arg.replace_all_uses_with(block.arguments[len(inputs) + i])
        else:
            yielded[g.key] = ops[-1].operands[0]
            ops = ops[:-1]
        for op in ops:
            block.append(op)
    for old, new in zip(root.op.results, fused.results):
        old.replace_all_uses_with(new)


def _fuse_block(generics: list):
    into = _plan(generics)
    if not into:
        return
    # Consumers come after their producers: in reverse program order each producer finds
    # its consumer's root and loops already known.
    root_of, to_root = {}, {}
    for g in reversed(generics):
        if g.key in into:
            c, consumer_map = into[g.key]
            root_of[g.key] = root_of.get(c.key, c)
            if c.key not in to_root:
                to_root[c.key] = ir.AffineMap.get_identity(c.n_loops)
            to_root[g.key] = _loops_in_root(g, consumer_map, to_root[c.key])
    groups = {}
    for g in generics:
        if g.key in into:
            root = root_of[g.key]
            groups.setdefault(root.key, (root, []))[1].append(g)
    for root, members in groups.values():
        _build(root, members, into, to_root)
    for root, members in groups.values():
        root.op.erase()
        for g in reversed(members):
            g.op.erase()


def fuse_elementwise(module_op):
    """Fuse the elementwise generics of every block under `module_op` (see the module
    docstring)."""
    blocks = [b for r in module_op.regions for b in r.blocks]
    while blocks:
        block = blocks.pop()
        generics = []
        for op in block.operations:
            op = op.operation
            if op.name == "linalg.generic":
                g = _Generic(op)
                if g.elementwise:
                    generics.append(g)
            else:
                blocks.extend(b for r in op.regions for b in r.blocks)
        _fuse_block(generics)


@register
class FuseElementwisePass(ModulePass):
    """Fuse trees of elementwise linalg.generics, each into one generic, in one walk."""
    name = "mlax-fuse-elementwise"

    def run(self, module_op):
        fuse_elementwise(module_op)
