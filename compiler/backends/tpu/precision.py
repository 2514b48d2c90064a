"""`--mlax-tpu-precision`: TPU numerics of float32 products on XLA's CPU client.

A TPU computes a float32 `dot_general` or `convolution` by its `precision_config` (JAX's
lax.Precision): DEFAULT rounds both operands to bfloat16 and accumulates the (exact)
products in float32, one pass; HIGH is bf16_3x, each operand split into a bfloat16 head
and the bfloat16 rounding of the rest (x = hi + lo), the product hi*hi + hi*lo + lo*hi
(lo*lo dropped) in three passes; HIGHEST is full float32. XLA's CPU client, which stands
in for the chip, ignores precision_config and computes every float32 product exactly, so
this pass spells the rounding out in StableHLO ops before the CPU client compiles the
module:

    DEFAULT   op(r(a), r(b))                                   r(x) = f32(bf16(x))
    HIGH      (op(hi(a), lo(b)) + op(lo(a), hi(b))) + op(hi(a), hi(b))
              hi(x) = r(x), lo(x) = r(x - hi(x)); the small terms summed first, as
              XLA's bf16_3x algorithm sums them
    HIGHEST   op(a, b)

Products of bfloat16 values are exact in float32, so each pass is a float32 product of
rounded operands; the ops made carry precision HIGHEST, so the pass is idempotent. The
precision of a product is the higher of its two operands' (XLA's rule for the pair).
Only float32 operands change: bfloat16 ones are already rounded, and float64, complex and
integer products run as the CPU computes them (see docs/design.md, "TPU numerics").

The tpu backend runs this pass only for the code it compiles for the CPU stand-in
(`TpuBackend.compile`). Its stages (`mlax-compile --target tpu --emit stablehlo`,
`stablehlo-bytecode`), which are what a real TPU takes, keep the plain ops with their
precision_config: the chip rounds by itself.
"""
from __future__ import annotations

from mlir import ir

from mlax.lowering.stablehlo.builders import precision_config
from mlax.passes import ModulePass, register

# The StableHLO ops whose float32 products a TPU rounds.
PRODUCTS = ("stablehlo.dot_general", "stablehlo.convolution")
ORDER = ("DEFAULT", "HIGH", "HIGHEST")


def precision_of(op) -> str:
    """The higher precision of `op`'s two operands ("DEFAULT" with no precision_config)."""
    if "precision_config" not in op.attributes:
        return "DEFAULT"
    names = [str(a).rstrip(">").split()[-1] for a in ir.ArrayAttr(op.attributes["precision_config"])]
    return max(names, key=ORDER.index, default="DEFAULT")


def _round(x, ty):
    """x rounded to bfloat16 and back to float32."""
    bf16 = ir.RankedTensorType.get(ty.shape, ir.BF16Type.get())
    down = ir.Operation.create("stablehlo.convert", results=[bf16], operands=[x]).result
    return ir.Operation.create("stablehlo.convert", results=[ty], operands=[down]).result


def _split(x):
    """(hi, lo): x = hi + lo + O(2^-16 |x|), both float32 holding bfloat16 values."""
    ty = ir.RankedTensorType(x.type)
    hi = _round(x, ty)
    rest = ir.Operation.create("stablehlo.subtract", results=[ty], operands=[x, hi]).result
    return hi, _round(rest, ty)


def _product(op, lhs, rhs):
    """`op` (a dot_general or convolution) of lhs and rhs, at precision HIGHEST."""
    attrs = {name: op.attributes[name] for name in op.attributes}
    attrs["precision_config"] = precision_config(("HIGHEST", "HIGHEST"))
    return ir.Operation.create(op.name, results=[op.results[0].type], operands=[lhs, rhs],
                               attributes=attrs).result


def _add(a, b):
    return ir.Operation.create("stablehlo.add", results=[a.type], operands=[a, b]).result


def emulate(op):
    """Replace the float32 product `op` by its TPU passes; returns False when it has none
    to make (another dtype, or HIGHEST)."""
    precision = precision_of(op)
    if precision == "HIGHEST" or any(
            not isinstance(ir.RankedTensorType(v.type).element_type, ir.F32Type)
            for v in op.operands):
        return False
    lhs, rhs = op.operands
    with ir.InsertionPoint(op), op.location:
        if precision == "DEFAULT":
            lt, rt = ir.RankedTensorType(lhs.type), ir.RankedTensorType(rhs.type)
            out = _product(op, _round(lhs, lt), _round(rhs, rt))
        else:
            (lhi, llo), (rhi, rlo) = _split(lhs), _split(rhs)
            small = _add(_product(op, lhi, rlo), _product(op, llo, rhi))
            out = _add(small, _product(op, lhi, rhi))
    op.results[0].replace_all_uses_with(out)
    op.erase()
    return True


@register
class TpuPrecisionPass(ModulePass):
    """Round float32 dot_general / convolution operands to bfloat16 as a TPU does at
    their precision (the CPU stand-in's numerics)."""
    name = "mlax-tpu-precision"
    creates_unregistered_ops = True

    def run(self, module_op):
        found = []

        def collect(op):
            if op.name in PRODUCTS:
                found.append(op.operation)
            return ir.WalkResult.ADVANCE

        module_op.walk(collect, ir.WalkOrder.PRE_ORDER)
        for op in found:
            emulate(op)
