"""`--mlax-verify`: checks every mlax op's result types against its type rule.

IRDL checks the structure of an op (operand count, attribute kinds, types that must be
equal); this pass checks what only the op's rule knows (the shape of a dot_general, the
dims of a transpose), and names the op and its location when they disagree."""
from mlir import ir

from mlax.dialects import OPS, infer, op_attrs, spec_of_type
from mlax.passes import register


class VerifyError(Exception):
    pass


def verify_op(op):
    specs = [spec_of_type(v.type) for v in op.operands]
    try:
        expected = infer(op.name, specs, op_attrs(op))
    except TypeError as e:
        msg = str(e)
        if msg.startswith(op.name + ": "):
            msg = msg[len(op.name) + 2:]
        raise VerifyError(f"{op.location}: error: '{op.name}' op {msg}") from None
    got = [spec_of_type(r.type) for r in op.results]
    if [tuple(e) for e in expected] != [tuple(g) for g in got]:
        exp = ", ".join(str(e) for e in expected)
        raise VerifyError(f"{op.location}: error: '{op.name}' op result types "
                          f"{', '.join(str(g) for g in got)} do not match the inferred {exp}")


@register("mlax-verify", "Check mlax ops' result types against their type rules")
def run(module_op):
    errors = []

    def visit(op):
        if op.name in OPS:
            try:
                verify_op(op)
            except VerifyError as e:
                errors.append(str(e))
        return ir.WalkResult.ADVANCE
    module_op.walk(visit)
    if errors:
        raise VerifyError("\n".join(errors))
