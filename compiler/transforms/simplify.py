"""`--mlax-dce`, `--mlax-cse`, `--mlax-simplify`: simplification of mlax ops.

IRDL ops carry no traits, so upstream DCE and CSE treat them as having side effects and
keep them. mlax ops are pure, so these passes remove unused ones and merge identical ones
(same name, operands, attributes and result types)."""
from mlir import ir

from mlax.dialects import op_attrs, spec_of_type
from mlax.passes import ModulePass, register
from mlax.runtime.dtypes import bfloat16, is_float
from mlax.transforms.builder import Builder


def _is_pure(op):
    name = op.operation.name
    return name.startswith("mlax.") or name in ("arith.constant", "tensor.empty")


def _functions(module_op):
    for op in module_op.regions[0].blocks[0].operations:
        if op.operation.name == "func.func" and len(op.regions[0].blocks):
            yield op


def dce_block(block):
    changed = True
    while changed:
        changed = False
        for op in reversed(list(block.operations)):
            if _is_pure(op) and all(len(list(r.uses)) == 0 for r in op.results):
                op.erase()
                changed = True


def dce(module_op):
    for fn in _functions(module_op):
        for block in fn.regions[0].blocks:
            dce_block(block)


@register
class DcePass(ModulePass):
    """Remove mlax ops whose results are unused."""
    name = "mlax-dce"

    def run(self, module_op):
        dce(module_op)


def _key(op):
    op = op.operation
    attrs = tuple(sorted((n, str(op.attributes[n])) for n in op.attributes))
    return (op.name, tuple(op.operands), attrs, tuple(str(r.type) for r in op.results))


def cse(module_op):
    for fn in _functions(module_op):
        for block in fn.regions[0].blocks:
            seen = {}
            for op in list(block.operations):
                if not _is_pure(op) or op.operation.name == "tensor.empty":
                    continue
                try:
                    k = _key(op)
                    hash(k)
                except TypeError:
                    continue
                if k in seen:
                    for old, new in zip(op.results, seen[k].results):
                        old.replace_all_uses_with(new)
                    op.erase()
                else:
                    seen[k] = op


@register
class CsePass(ModulePass):
    """Merge identical mlax ops and constants."""
    name = "mlax-cse"

    def run(self, module_op):
        cse(module_op)


def simplify(module_op):
    cse(module_op)
    algebraic(module_op)
    dce(module_op)


@register
class SimplifyPass(ModulePass):
    """mlax-cse, algebraic identities (mlax-algebraic), then mlax-dce."""
    name = "mlax-simplify"

    def run(self, module_op):
        simplify(module_op)


# ---------------------------------------------------------------------------------------
# Inlining (upstream `inline` leaves calls alone: IRDL ops have no inliner interface)


def _symbol(fn):
    return ir.StringAttr(fn.attributes["sym_name"]).value


def _inlinable(fn):
    """An ordinary function: one block of region-free ops, no `mlax.<kind>` attribute."""
    if len(fn.regions[0].blocks) != 1:
        return False
    if any(name.startswith("mlax.") for name in fn.attributes):
        return False
    return all(len(op.regions) == 0 for op in fn.regions[0].blocks[0].operations)


def inline_call(call, callee):
    """Replace `call` with a copy of `callee`'s body."""
    block = callee.regions[0].blocks[0]
    env = dict(zip(block.arguments, call.operands))
    ops = list(block.operations)
    ip = ir.InsertionPoint(call)
    for op in ops[:-1]:
        new = op.operation.clone(ip=ip)
        for i, v in enumerate(op.operands):
            new.operands[i] = env[v]
        for r, n in zip(op.results, new.results):
            env[r] = n
    for r, v in zip(call.results, ops[-1].operands):
        r.replace_all_uses_with(env[v])
    call.erase()


def inline_calls_in(fn, fns: dict, limit=100000) -> int:
    """Inline every call in `fn` to an inlinable function of `fns` (symbol -> func.func),
    repeatedly, so calls brought in by inlining are inlined too. Returns how many."""
    count = 0
    while True:
        calls = []

        def visit(op):
            if op.name == "func.call":
                calls.append(op)
            return ir.WalkResult.ADVANCE
        fn.operation.walk(visit)
        done = 0
        for c in calls:
            callee = fns.get(ir.FlatSymbolRefAttr(c.attributes["callee"]).value)
            if callee is not None and callee.operation != fn.operation and _inlinable(callee):
                inline_call(c, callee)
                done += 1
        count += done
        if not done or count > limit:
            return count


def inline(module_op):
    fns = {_symbol(op): op for op in module_op.regions[0].blocks[0].operations
           if op.operation.name == "func.func"}
    for fn in fns.values():
        if len(fn.regions[0].blocks):
            inline_calls_in(fn, fns)


@register
class InlinePass(ModulePass):
    """Inline calls to ordinary functions of mlax ops (those with no mlax.<kind>
    attribute)."""
    name = "mlax-inline"

    def run(self, module_op):
        inline(module_op)


# ---------------------------------------------------------------------------------------
# Algebraic identities


# Shape ops that keep a splat constant a splat (looked through by _splat_value).
_SPLAT_PRESERVING = ("mlax.broadcast_in_dim", "mlax.reshape", "mlax.transpose")


def _splat_value(v):
    """The value of `v` when it is a splat arith.constant (possibly broadcast, reshaped or
    transposed), else None."""
    owner = v.owner
    op = getattr(owner, "operation", owner)
    while isinstance(op, ir.Operation) and op.name in _SPLAT_PRESERVING:
        owner = op.operands[0].owner
        op = getattr(owner, "operation", owner)
    if not isinstance(op, ir.Operation) or op.name != "arith.constant":
        return None
    try:
        attr = op.attributes["value"]
    except TypeError:   # the bindings cannot read complex constants back
        return None
    if not isinstance(attr, ir.DenseElementsAttr) or not attr.is_splat:
        try:
            attr = ir.DenseElementsAttr(attr)
        except (TypeError, ValueError):
            return None
        if not attr.is_splat:
            return None
    s = attr.get_splat_value()
    try:
        return float(ir.FloatAttr(s).value)
    except (TypeError, ValueError):
        try:
            return float(ir.IntegerAttr(s).value)
        except (TypeError, ValueError):
            return None


# op name -> (operand position of the identity, its value): x*1, 1*x, x+0, 0+x, x-0, x/1.
_IDENTITIES = {
    "mlax.mul": ((1, 1.0), (0, 1.0)),
    "mlax.add": ((1, 0.0), (0, 0.0)),
    "mlax.sub": ((1, 0.0),),
    "mlax.div": ((1, 1.0),),
}


def _fold_identity(op):
    """The operand that `op` equals by an identity of _IDENTITIES, or None."""
    for pos, unit in _IDENTITIES.get(op.name, ()):
        if _splat_value(op.operands[pos]) == unit:
            other = op.operands[1 - pos]
            if other.type == op.results[0].type:
                return other
    if op.name == "mlax.neg":
        inner = getattr(op.operands[0].owner, "operation", op.operands[0].owner)
        if isinstance(inner, ir.Operation) and inner.name == "mlax.neg":
            return inner.operands[0]
    if op.name in _NO_OPS and op.operands[0].type == op.results[0].type and _NO_OPS[op.name](op):
        return op.operands[0]
    return None


def _dense(op, name):
    return [int(v) for v in ir.DenseI64ArrayAttr(op.attributes[name])]


# Shape ops that leave their operand as it is: a broadcast or reshape to the same shape,
# the identity transpose, a reduction over no axes.
_NO_OPS = {
    "mlax.broadcast_in_dim": lambda op: _dense(op, "broadcast_dimensions") == list(
        range(len(_dense(op, "broadcast_dimensions")))),
    "mlax.reshape": lambda op: True,
    "mlax.transpose": lambda op: _dense(op, "permutation") == list(range(len(_dense(op, "permutation")))),
    "mlax.reduce_sum": lambda op: not _dense(op, "axes"),
    "mlax.convert_element_type": lambda op: True,
}


def _fold_transposed_dot(op):
    """`transpose(dot_general(a, b))` that swaps the result's lhs-free and rhs-free dims
    (batch dims staying first) -> `dot_general(b, a)`, when the transpose is the product's
    only use. The transpose rule of dot_general makes these for weight gradients
    (`(g^T x)^T` for `x^T g`); computed directly, no transposed copy is read or written.
    Returns the new result, or None."""
    if op.name != "mlax.transpose":
        return None
    dot = op.operands[0].owner
    dot = getattr(dot, "operation", dot)
    if not isinstance(dot, ir.Operation) or dot.name != "mlax.dot_general" or \
            len(list(dot.results[0].uses)) != 1:
        return None
    lc, rc = _dense(dot, "lhs_contracting_dimensions"), _dense(dot, "rhs_contracting_dimensions")
    lb, rb = _dense(dot, "lhs_batch_dimensions"), _dense(dot, "rhs_batch_dimensions")
    nb = len(lb)
    nl = ir.RankedTensorType(dot.operands[0].type).rank - len(lc) - nb
    nr = ir.RankedTensorType(dot.operands[1].type).rank - len(rc) - nb
    swapped = list(range(nb)) + [nb + nl + i for i in range(nr)] + [nb + i for i in range(nl)]
    if not nl or not nr or _dense(op, "permutation") != swapped:
        return None
    with ir.InsertionPoint(op):
        new = Builder(op.location).dot_general(
            dot.operands[1], dot.operands[0], lhs_contracting_dimensions=rc,
            rhs_contracting_dimensions=lc, lhs_batch_dimensions=rb, rhs_batch_dimensions=lb,
            precision=tuple(reversed(op_attrs(dot)["precision"])))
    if new.type != op.results[0].type:
        new.owner.erase()
        return None
    return new


def _inverse_broadcast(b, divisor, d):
    inner = divisor.operands[0]
    return b.broadcast_in_dim(b.div(b.ones_like(inner), inner), **op_attrs(divisor))


# XLA's algebraic simplifier computes a division by these divisors as a multiplication,
# so under JAX `x / 3.0`, `x / row`, jnp.mean's division by its count and adam's
# `m / sqrt(v)` are products (each differs from the division by 1 ulp at about a third
# of the float32 values, more at 16 bits). Divisor op name -> rule(builder, divisor op,
# divisor value) -> the factor x is multiplied by.
_DIVISORS = {
    "mlax.broadcast_in_dim": _inverse_broadcast,               # x / bcast(b) = x * bcast(1 / b)
    "arith.constant": lambda b, op, d: b.div(b.ones_like(d), d),   # x / c = x * (1 / c)
    "mlax.sqrt": lambda b, op, d: b.rsqrt(op.operands[0]),      # x / sqrt(y) = x * rsqrt(y)
    "mlax.rsqrt": lambda b, op, d: b.sqrt(op.operands[0]),      # x / rsqrt(y) = x * sqrt(y)
    "mlax.exp": lambda b, op, d: b.exp(b.neg(op.operands[0])),  # x / exp(y) = x * exp(-y)
}


def _division_as_product(op):
    """A real float `x / d` whose divisor d is made by an op of `_DIVISORS`: the product
    that replaces it, else None. Not for bfloat16: XLA's CPU backend computes bf16 ops in
    f32 (converts around each) before simplifying, so its bf16 divisions are divisions."""
    dtype = spec_of_type(op.results[0].type).dtype
    if op.name != "mlax.div" or not is_float(dtype) or dtype == bfloat16:
        return None
    divisor = op.operands[1].owner
    divisor = getattr(divisor, "operation", divisor)
    if not isinstance(divisor, ir.Operation) or divisor.name not in _DIVISORS:
        return None
    b = Builder(op.location)
    with ir.InsertionPoint(op):
        return b.mul(op.operands[0], _DIVISORS[divisor.name](b, divisor, op.operands[1]))


def _scalar_of_broadcast(v):
    """The 0-d value that `v` broadcasts (`mlax.broadcast_in_dim` of a 0-d tensor), else
    None."""
    op = getattr(v.owner, "operation", v.owner)
    if isinstance(op, ir.Operation) and op.name == "mlax.broadcast_in_dim" and \
            ir.RankedTensorType(op.operands[0].type).rank == 0:
        return op
    return None


def _product_of_scalars(op):
    """`(x * bcast(a)) * bcast(b)` -> `x * bcast(a * b)` for 0-d a and b, in either
    operand order, for float16, float32 and float64: XLA's algebraic simplifier multiplies
    the scalars first (optax's `u * lr * scale` rounds once less at float16). Returns
    the new result, or None."""
    dtype = spec_of_type(op.results[0].type).dtype
    if op.name != "mlax.mul" or not is_float(dtype) or dtype == bfloat16:
        return None
    for inner_at in (0, 1):
        outer_b = _scalar_of_broadcast(op.operands[1 - inner_at])
        inner = getattr(op.operands[inner_at].owner, "operation", op.operands[inner_at].owner)
        if outer_b is None or not isinstance(inner, ir.Operation) or inner.name != "mlax.mul":
            continue
        for x_at in (0, 1):
            inner_b = _scalar_of_broadcast(inner.operands[1 - x_at])
            if inner_b is None:
                continue
            b = Builder(op.location)
            with ir.InsertionPoint(op):
                scale = b.mul(inner_b.operands[0], outer_b.operands[0])
                return b.mul(inner.operands[x_at],
                             b.broadcast_in_dim(scale, **op_attrs(outer_b)))
    return None


def algebraic(module_op):
    for fn in _functions(module_op):
        for block in fn.regions[0].blocks:
            for op in list(block.operations):
                op = op.operation
                v = _fold_transposed_dot(op)
                if v is None and op.name == "mlax.div" and _fold_identity(op) is None:
                    v = _division_as_product(op)
                if v is None and op.name == "mlax.mul" and _fold_identity(op) is None:
                    v = _product_of_scalars(op)
                if v is not None:
                    op.results[0].replace_all_uses_with(v)
                    continue
                v = _fold_identity(op) if op.name in _IDENTITIES or op.name == "mlax.neg" \
                    or op.name in _NO_OPS else None
                if v is not None:
                    op.results[0].replace_all_uses_with(v)


@register
class AlgebraicPass(ModulePass):
    """Fold x*1, 1*x, x+0, 0+x, x-0, x/1 (also with broadcast units), -(-x), shape ops
    that change nothing, and transposed dot_generals; divisions that XLA computes as
    products (`_DIVISORS`) become those products, and a product by two broadcast scalars
    multiplies the scalars first, as XLA does."""
    name = "mlax-algebraic"

    def run(self, module_op):
        algebraic(module_op)
