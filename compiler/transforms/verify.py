"""`--mlax-verify`: checks every mlax op's types against its type rule, and every array's size.

IRDL checks the structure of an op (operand count, attribute kinds, types that must be
equal); this pass checks what only the op's rule knows (the shape of a dot_general, the
dims of a transpose), and what IRDL cannot say of a type: mlax ops take ranked tensors of
static shape and of an element type that mlax has a dtype for. It also rejects any value
in the module (mlax or upstream) whose type is larger than `MAX_BYTES`, before a later
pass computes its layout and overflows. Errors name the op or argument and its location.
"""
from mlir import ir

from mlax.dialects import (OPS, dtype_of_element, infer, op_attrs, spec_of_type, structural,
                           type_problem)
from mlax.passes import ModulePass, PassError, register


def mlax_type_problem(t: ir.Type) -> str | None:
    """Why an mlax op cannot take or produce a value of type `t`, or None."""
    if not isinstance(t, ir.RankedTensorType):
        return f"has type {t}; mlax values are ranked tensors"
    if not t.has_static_shape:
        return f"has type {t} of dynamic shape; mlax shapes are static"
    try:
        dtype_of_element(t.element_type)
    except TypeError as e:
        return f"has type {t}: {e}"
    return type_problem(t)


def verify_op(op):
    for kind, values in (("operand", op.operands), ("result", op.results)):
        for i, v in enumerate(values):
            why = mlax_type_problem(v.type)
            if why is not None:
                raise PassError(f"{op.location}: error: '{op.name}' op {kind} #{i} {why}")
    specs = [spec_of_type(v.type) for v in op.operands]
    try:
        expected = infer(op.name, specs, op_attrs(op))
    except TypeError as e:
        msg = str(e)
        if msg.startswith(op.name + ": "):
            msg = msg[len(op.name) + 2:]
        raise PassError(f"{op.location}: error: '{op.name}' op {msg}") from None
    got = [spec_of_type(r.type) for r in op.results]
    if [tuple(e) for e in expected] != [tuple(g) for g in got]:
        exp = ", ".join(str(e) for e in expected)
        raise PassError(f"{op.location}: error: '{op.name}' op result types "
                          f"{', '.join(str(g) for g in got)} do not match the inferred {exp}")


# Attributes that name the types of values an op declares without a body to hold them
# (a function declaration's signature, a global's type). Other attributes are not read:
# the bindings cannot read every attribute back (dense arrays of f16, for one).
TYPE_ATTRIBUTES = ("function_type", "type")


def _cond_problem(ftype) -> str | None:
    if not ftype.inputs:
        return "has no index operand"
    t = ftype.inputs[0]
    if t.shape or dtype_of_element(t.element_type).kind not in "biu":
        return f"index operand has type {t}; an index is a 0-d integer tensor"
    return None


# Structural kind -> a check of its declaration's signature beyond mlax types, returning
# what is wrong or None (see mlax.dialects.structural.KINDS for each kind's signature).
STRUCTURAL_CHECKS = {
    "cond": _cond_problem,
}


def structural_problem(fn) -> str | None:
    """What is wrong with a structural declaration (transform, control flow): its entries
    must fit its kind (mlax.dialects.structural), and its operands and results must be
    mlax values, as an op's are."""
    kind = structural.kind_of(fn)
    try:
        structural.read(fn)
    except structural.DeclarationError as e:
        return str(e)
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    for what, types in (("operand", ftype.inputs), ("result", ftype.results)):
        for i, t in enumerate(types):
            why = mlax_type_problem(t)
            if why is not None:
                return f"mlax.{kind} declaration: {what} #{i} {why}"
    check = STRUCTURAL_CHECKS.get(kind)
    why = check(ftype) if check else None
    return f"mlax.{kind} declaration: {why}" if why else None


def _types_of_attribute(attr):
    """The types a TypeAttr names (a function type's inputs and results)."""
    if not isinstance(attr, ir.TypeAttr):
        return []
    t = attr.value
    if isinstance(t, ir.FunctionType):
        return list(t.inputs) + list(t.results)
    return [t]


def size_problems(op) -> list[str]:
    """An error for each value of `op` (results, block arguments; a declaration's signature)
    too large to exist."""
    errors = []
    for i, r in enumerate(op.results):
        why = type_problem(r.type)
        if why is not None:
            errors.append(f"{op.location}: error: '{op.name}' op result #{i}: {why}")
    for region in op.regions:
        for block in region.blocks:
            for arg in block.arguments:
                why = type_problem(arg.type)
                if why is not None:
                    errors.append(f"{arg.location}: error: '{op.name}' op argument "
                                  f"#{arg.arg_number}: {why}")
    if any(len(region.blocks) for region in op.regions):
        return errors   # a function's body holds values of its signature's types
    for name in TYPE_ATTRIBUTES:
        if name not in op.attributes:
            continue
        for t in _types_of_attribute(op.attributes[name]):
            why = type_problem(t)
            if why is not None:
                errors.append(f"{op.location}: error: '{op.name}' op attribute "
                              f"'{name}': {why}")
                break
    return errors


def verify(module_op):
    errors = []

    def visit(op):
        found = size_problems(op)
        if not found and op.name == "func.func" and structural.kind_of(op) is not None:
            why = structural_problem(op)
            if why is not None:
                found = [f"{op.location}: error: @{ir.StringAttr(op.attributes['sym_name']).value}"
                         f": {why}"]
        if not found and op.name in OPS:
            try:
                verify_op(op)
            except PassError as e:
                found = [str(e)]
        errors.extend(found)
        return ir.WalkResult.ADVANCE
    module_op.walk(visit, ir.WalkOrder.PRE_ORDER)
    if errors:
        raise PassError("\n".join(dict.fromkeys(errors)))


@register
class VerifyPass(ModulePass):
    """Check mlax ops' types against their type rules, and array sizes."""
    name = "mlax-verify"

    def run(self, module_op):
        verify(module_op)
