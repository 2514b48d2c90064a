"""Rewrites of linalg.generics that `--mlax-cpu-schedule` makes in Python before its
script runs: fastmath flags on reductions, B copied into packed panels or transposed, and
elementwise producers that fusion pushed into a contraction split back out."""
from __future__ import annotations

import math
from dataclasses import dataclass

from mlir import ir
from mlir.dialects import tensor

from mlax.lowering import linalg_ops as linalg
from mlax.backends.cpu.generics import Contraction, Generic, ops_named, producer
from mlax.backends.cpu.script import TAG


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
                p = producer(v)
                if p is not None and p.name == "arith.mulf":
                    p.attributes["fastmath"] = ir.Attribute.parse("#arith.fastmath<contract>")


def _reassoc(groups):
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, i) for i in g]) for g in groups])


def _map(ndims, dims):
    return ir.AffineMapAttr.get(ir.AffineMap.get(ndims, 0, [ir.AffineDimExpr.get(d) for d in dims]))


@dataclass(frozen=True)
class PackedTags:
    """The script tags `pack_b` gives: the kernel generic, the linalg.transpose making B's
    panels, and, when A is packed too, A's transpose and the generic over the rows past the
    last whole tile (None otherwise)."""
    kernel: int
    b_panels: int
    a_panels: int | None = None
    rest: int | None = None


def _expand(value, shape, groups):
    el = ir.RankedTensorType(value.type).element_type
    return tensor.ExpandShapeOp(ir.RankedTensorType.get(shape, el), value, _reassoc(groups), [],
                                ir.DenseI64ArrayAttr.get(shape)).result


def _collapse(value, groups):
    t = ir.RankedTensorType(value.type)
    shape = [math.prod(t.shape[i] for i in g) for g in groups]
    return tensor.CollapseShapeOp(ir.RankedTensorType.get(shape, t.element_type), value,
                                  _reassoc(groups)).result


def _rows(value, start, count):
    """Rows [start, start + count) of a 2-d tensor (a view)."""
    t = ir.RankedTensorType(value.type)
    return tensor.ExtractSliceOp(ir.RankedTensorType.get([count, t.shape[1]], t.element_type),
                                 value, [], [], [], [start, 0], [count, t.shape[1]], [1, 1]).result


def _columns(value, start, count):
    """Columns [start, start + count) of a 2-d tensor (a view)."""
    t = ir.RankedTensorType(value.type)
    return tensor.ExtractSliceOp(ir.RankedTensorType.get([t.shape[0], count], t.element_type),
                                 value, [], [], [], [0, start], [t.shape[0], count], [1, 1]).result


def _insert_rows(value, dest, start):
    shape = ir.RankedTensorType(value.type).shape
    return tensor.InsertSliceOp(value, dest, [], [], [], [start, 0], shape, [1, 1]).result


def _panels(value, k_major, count, width, tag):
    """A copy of 2-d `value` ([K][count*width] if `k_major`, else [count*width][K]) as
    `count` panels [count][K][width]: a linalg.transpose, tagged `tag`."""
    t = ir.RankedTensorType(value.type)
    K = t.shape[0] if k_major else t.shape[1]
    if k_major:
        v3, perm = _expand(value, [K, count, width], [[0], [1, 2]]), [1, 0, 2]
    else:
        v3, perm = _expand(value, [count, width, K], [[0, 1], [2]]), [0, 2, 1]
    empty = tensor.EmptyOp([count, K, width], t.element_type).result
    op = linalg.transpose(v3, outs=[empty], permutation=perm)
    op = op.owner if isinstance(op, ir.Value) else op
    op.attributes[TAG] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), tag)
    return op.results[0]


def _contraction_like(op, c: Contraction, a, b, a_dims, b_dims, out, out_dims, reduction, tag):
    """A generic with `op`'s multiply-add body over loops with `reduction` (bool per loop),
    reading A and B (in `op`'s operand order) and accumulating into `out`; tagged `tag`."""
    n = len(reduction)
    inputs, maps = [a, b], [_map(n, a_dims), _map(n, b_dims)]
    if c.a == 1:
        inputs.reverse()
        maps.reverse()
    its = ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{'reduction' if r else 'parallel'}>")
                            for r in reduction])
    new = linalg.GenericOp([out.type], inputs, [out], ir.ArrayAttr.get(maps + [_map(n, out_dims)]), its)
    old_block = op.regions[0].blocks[0]
    block = new.regions[0].blocks.append(*[x.type for x in old_block.arguments])
    mapping = {o: n_ for o, n_ in zip(old_block.arguments, block.arguments)}
    with ir.InsertionPoint(block):
        _clone_ops(list(old_block.operations), mapping)
    new.attributes[TAG] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), tag)
    return new.result


def pack_b(g: Generic, c: Contraction, nr, mr, tag):
    """Rewrite C[m,n] += A * B as a 4-d generic over (m, no, k, ni) reading B packed into
    panels Bp[no][k][ni] = B[k][no*nr+ni] by a linalg.transpose. C is viewed as [m][no][ni]
    (a reshape, no copy).

    A read as [k, m] (a weight gradient, `x.T @ g`) is packed too, into panels
    Ap[mo][k][mi] = A[k][mo*mr+mi]: the register tile's mr elements of A at each k step are
    then adjacent to the next step's, where in A they were a row apart (M * 4 bytes; a
    power-of-two stride maps every row to the same few L1 sets). That kernel is a 5-d
    generic over (mo, no, k, mi, ni), C viewed as [mo][mi][no][ni]; the M % mr rows past
    the last whole tile are a 4-d generic of their own on A's last columns.
    Returns the PackedTags given (tag, tag + 1, ...)."""
    op = g.op
    (m,), (n,), (k,) = c.m, c.n, c.k
    M, N = g.sizes[m], g.sizes[n]
    no = N // nr
    a_val, b_val, c_val = op.operands[c.a], op.operands[c.b], op.operands[2]
    pack_a = g.maps[c.a] == [k, m]
    rest = M % mr if pack_a else 0
    main = M - rest
    # 4-d loops: 0 = m, 1 = no, 2 = k, 3 = ni; 5-d: 0 = mo, 1 = no, 2 = k, 3 = mi, 4 = ni
    a_dims4 = [{m: 0, k: 2}[d] for d in g.maps[c.a]]
    with ir.InsertionPoint(op), op.location:
        bp = _panels(b_val, g.maps[c.b] == [k, n], no, nr, tag + 1)
        if not pack_a:
            res = _contraction_like(op, c, a_val, bp, a_dims4, [1, 2, 3],
                                    _expand(c_val, [M, no, nr], [[0], [1, 2]]), [0, 1, 3],
                                    [False, False, True, False], tag)
            res = _collapse(res, [[0], [1, 2]])
            tags = PackedTags(tag, tag + 1)
        else:
            a_main = a_val if not rest else _columns(a_val, 0, main)
            ap = _panels(a_main, True, main // mr, mr, tag + 2)
            c_main = c_val if not rest else _rows(c_val, 0, main)
            res = _contraction_like(op, c, ap, bp, [0, 2, 3], [1, 2, 4],
                                    _expand(c_main, [main // mr, mr, no, nr], [[0, 1], [2, 3]]),
                                    [0, 3, 1, 4], [False, False, True, False, False], tag)
            res = _collapse(res, [[0, 1], [2, 3]])
            tags = PackedTags(tag, tag + 1, tag + 2)
            if rest:
                res = _insert_rows(res, c_val, 0)
                part = _contraction_like(op, c, _columns(a_val, main, rest), bp, a_dims4,
                                         [1, 2, 3], _expand(_rows(res, main, rest), [rest, no, nr],
                                                            [[0], [1, 2]]),
                                         [0, 1, 3], [False, False, True, False], tag + 3)
                res = _insert_rows(_collapse(part, [[0], [1, 2]]), res, main)
                tags = PackedTags(tag, tag + 1, tag + 2, tag + 3)
    op.results[0].replace_all_uses_with(res)
    op.erase()
    return tags


def contraction_roles(c: Contraction):
    """Each loop dim of a contraction -> its role: batch, m, n or k."""
    return {d: name for name in ("batch", "m", "n", "k") for d in getattr(c, name)}


def collapse_loops(g: Generic, role: dict):
    """Merge each run of adjacent loops of one role (`role`: loop dim -> a label; for a
    contraction batch, m, n or k) that every operand indexes together, in order, into one
    loop; returns the new generic's op, or None when no two loops merge.
    `C[b, t, n] += A[b, t, k] * B[k, n]` (a dense layer on a batch of sequences) becomes
    the 2-d matmul over m = b*t that `pack_b` and the register tiles take, and its weight
    gradient, contracting (b, t), one k loop of b*t; an elementwise op over 8x24x24x16
    becomes one loop that LLVM vectorizes whole (a short innermost loop is unrolled
    before the vectorizer sees it, and a maximum in it stayed scalar). The operands are
    reshaped (views), and the result expanded back. The generic must have one result,
    ranked tensor operands, and a body that reads no loop index (linalg.index)."""
    op = g.op
    groups = []
    for d in range(len(g.sizes)):
        prev = d - 1
        together = groups and role.get(prev) == role.get(d) and all(
            (prev in m) == (d in m) and (d not in m or m.index(d) == m.index(prev) + 1) for m in g.maps)
        if together:
            groups[-1].append(d)
        else:
            groups.append([d])
    if len(groups) == len(g.sizes):
        return None
    loop_group = {d: i for i, grp in enumerate(groups) for d in grp}

    def regroup(value, dims):
        """`value` (indexed by loop `dims`) with the dims of one loop group merged, and its
        new map (loop group numbers)."""
        shape = ir.RankedTensorType(value.type).shape
        parts, new_dims = [], []
        for i, d in enumerate(dims):
            if parts and loop_group[d] == loop_group[dims[i - 1]]:
                parts[-1].append(i)
            else:
                parts.append([i])
                new_dims.append(loop_group[d])
        if len(parts) == len(dims):
            return value, new_dims, parts
        t = ir.RankedTensorType.get([math.prod(shape[i] for i in part) for part in parts],
                                    ir.RankedTensorType(value.type).element_type)
        return tensor.CollapseShapeOp(t, value, _reassoc(parts)).result, new_dims, parts

    with ir.InsertionPoint(op), op.location:
        ins = [regroup(op.operands[i], g.maps[i]) for i in range(g.n_inputs)]
        out_val, out_dims, out_parts = regroup(op.operands[g.n_inputs], g.maps[g.n_inputs])
        n = len(groups)
        maps = [_map(n, d) for _, d, _ in ins] + [_map(n, out_dims)]
        its = ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<{}>".format(
            "reduction" if g.reduction[grp[0]] else "parallel")) for grp in groups])
        new = linalg.GenericOp([out_val.type], [v for v, _, _ in ins], [out_val], ir.ArrayAttr.get(maps), its)
        old_block = op.regions[0].blocks[0]
        block = new.regions[0].blocks.append(*[a.type for a in old_block.arguments])
        mapping = {o: n_ for o, n_ in zip(old_block.arguments, block.arguments)}
        with ir.InsertionPoint(block):
            _clone_ops(list(old_block.operations), mapping)
        res = new.result
        if len(out_parts) != len(g.maps[g.n_inputs]):
            res = tensor.ExpandShapeOp(op.results[0].type, res, _reassoc(out_parts), [],
                                       ir.DenseI64ArrayAttr.get(ir.RankedTensorType(op.results[0].type).shape)).result
    op.results[0].replace_all_uses_with(res)
    op.erase()
    return new.operation


def transpose_b(g: Generic, c: Contraction):
    """Give a contraction a copy of B transposed to [batch..., k..., n...], so that register
    tiles read rows of B (contiguous along n); batch dims of attention's `q @ k.T` keep
    their order. Returns the rewritten generic's op."""
    op = g.op
    b_val = op.operands[c.b]
    shape = ir.RankedTensorType(b_val.type).shape
    dims = g.maps[c.b]
    new_dims = ([d for d in dims if d in c.batch] + [d for d in dims if d in c.k]
                + [d for d in dims if d in c.n])
    perm = [dims.index(d) for d in new_dims]
    with ir.InsertionPoint(op), op.location:
        empty = tensor.EmptyOp([shape[i] for i in perm], g.element).result
        t = linalg.transpose(b_val, outs=[empty], permutation=perm)
        t = t.owner if isinstance(t, ir.Value) else t
    op.operands[c.b] = t.results[0]
    maps = list(ir.ArrayAttr(op.attributes["indexing_maps"]))
    maps[c.b] = _map(len(g.sizes), new_dims)
    op.attributes["indexing_maps"] = ir.ArrayAttr.get(maps)
    return op


# ---------------------------------------------------------------------------------------
# Elementwise producers fused into a contraction


def _trace_operand(v, block, n_in):
    """The input args (indices) and body ops (in order) that body value `v` is computed
    from, or None if it reads the accumulator. Values from above the generic are captured
    as they are."""
    args = list(block.arguments)
    body = {o.operation for o in block.operations}
    leaves, ops, seen = set(), [], set()

    def visit(x):
        p = producer(x)
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
    # a generic without a body. A bool producer would need an i1 tensor (bools are stored
    # as bytes).
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


def reads_indices(op):
    """Whether the body of generic `op` reads a loop index (linalg.index)."""
    return bool(ops_named(op, "linalg.index"))


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
