"""Reading linalg.generics for the CPU schedule: loops and their sizes, the roles of a
contraction's dims (C[...] += A[...] * B[...]), and the estimated work of a generic."""
from __future__ import annotations

from dataclasses import dataclass, field

from mlir import ir


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


def read_generic(op) -> Generic | None:
    """The generic `op` as loops, or None when a loop's size is not static."""
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


def is_float_type(t):
    """Whether the MLIR type `t` is a float type."""
    return any(isinstance(t, c) for c in (ir.F16Type, ir.BF16Type, ir.F32Type, ir.F64Type))


def itemsize(t):
    """Bytes of one element of the MLIR type `t`."""
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


def read_contraction(g: Generic) -> Contraction | None:
    """The dims' roles if `g` is C += A * B (a multiply-add body over two inputs), else None."""
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


def is_2d_matmul(g: Generic, c: Contraction):
    """One m, n and k dim, no batch dims, C indexed [m, n]."""
    return (not c.batch and len(c.m) == len(c.n) == len(c.k) == 1
            and g.maps[2] == [c.m[0], c.n[0]])


def producer(v):
    """The op defining `v`, or None for a block argument."""
    owner = v.owner
    return None if isinstance(owner, ir.Block) else owner


# ---------------------------------------------------------------------------------------
# Functions and their generics


def defined_functions(module_op):
    """The module's func.funcs that have a body."""
    for op in module_op.regions[0].blocks[0].operations:
        if op.operation.name == "func.func" and len(op.regions[0].blocks):
            yield op.operation


def ops_named(root, name):
    """Every op called `name` under `root` (itself included), in program order."""
    found = []

    def walk(op):
        if op.name == name:
            found.append(op)
        return ir.WalkResult.ADVANCE
    root.walk(walk)
    return found


def generics_in(fn):
    """Every linalg.generic in `fn`, in program order."""
    return ops_named(fn, "linalg.generic")
