"""`--mlax-dce`, `--mlax-cse`, `--mlax-simplify`: simplification of mlax ops.

IRDL ops carry no traits, so upstream DCE and CSE treat them as having side effects and
keep them. mlax ops are pure, so these passes remove unused ones and merge identical ones
(same name, operands, attributes and result types)."""
from mlir import ir

from mlax.passes import register


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


@register("mlax-dce", "Remove mlax ops whose results are unused")
def dce(module_op):
    for fn in _functions(module_op):
        for block in fn.regions[0].blocks:
            dce_block(block)


def _key(op):
    op = op.operation
    attrs = tuple(sorted((n, str(op.attributes[n])) for n in op.attributes))
    return (op.name, tuple(op.operands), attrs, tuple(str(r.type) for r in op.results))


@register("mlax-cse", "Merge identical mlax ops and constants")
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


@register("mlax-simplify", "mlax-cse then mlax-dce")
def simplify(module_op):
    cse(module_op)
    dce(module_op)
