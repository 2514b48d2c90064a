"""`--mlax-cpu-bf16`: bfloat16 arithmetic as XLA's CPU backend computes it.

Every arith and math op on bf16 values (scalars or vectors) becomes the f32 op between
conversions: operands are extended to f32 (exact), and each bf16 result is the f32 result
rounded to nearest even by integer code (a NaN becomes the quiet NaN of its sign, as in
XLA and ml_dtypes). So every op rounds once, as XLA rounds each bf16 op it computes in f32.

Why not leave it to LLVM: LLVM promotes bf16 ops to f32 itself, but on CPUs with
AVX512-BF16 it rounds with `vcvtneps2bf16`, which flushes subnormal results to zero (XLA
keeps them), so results would depend on the host. And why not upstream
`arith-emulate-unsupported-floats`: it marks its conversions `contract`, and
canonicalization then folds `extf(truncf(x))`, so intermediate results are not rounded and
chains of ops differ from XLA's. The pass runs late in the CPU pipeline, after the last
canonicalization, on the ops the schedule leaves.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

from mlax.passes import ModulePass, register

# Ops that only move bf16 values or make them: left as they are. (`arith.extf` from bf16 is
# exact and LLVM makes it a shift.)
_KEPT = frozenset(["arith.constant", "arith.select", "arith.bitcast", "arith.extf"])


def _is_bf16(t: ir.Type) -> bool:
    return isinstance(t, ir.BF16Type) or (isinstance(t, ir.VectorType)
                                          and isinstance(t.element_type, ir.BF16Type))


def _like(t: ir.Type, element: ir.Type) -> ir.Type:
    """`element`, or a vector of it shaped like vector type `t`."""
    if isinstance(t, ir.VectorType):
        return ir.VectorType.get(t.shape, element)
    return element


def _const(t: ir.Type, value: int) -> ir.Value:
    if isinstance(t, ir.VectorType):
        attr = ir.DenseElementsAttr.get_splat(t, ir.IntegerAttr.get(t.element_type, value))
        return arith.constant(t, attr)
    return arith.constant(t, value)


def round_to_bf16(x: ir.Value) -> ir.Value:
    """f32 (or a vector of f32) -> bf16, to nearest even, in integer ops."""
    i32 = _like(x.type, ir.IntegerType.get_signless(32))
    bits = arith.bitcast(i32, x)
    high = arith.shrui(bits, _const(i32, 16))
    bias = arith.addi(arith.andi(high, _const(i32, 1)), _const(i32, 0x7FFF))
    rounded = arith.shrui(arith.addi(bits, bias), _const(i32, 16))
    quiet_nan = arith.ori(arith.andi(high, _const(i32, 0x8000)), _const(i32, 0x7FC0))
    is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
    r = arith.select(is_nan, quiet_nan, rounded)
    half = arith.trunci(_like(x.type, ir.IntegerType.get_signless(16)), r)
    return arith.bitcast(_like(x.type, ir.BF16Type.get()), half)


def _widen(op: ir.Operation):
    """Replace `op` (an arith or math op touching bf16) with its f32 form."""
    f32 = ir.F32Type.get()
    if op.name == "arith.truncf":
        x = op.operands[0]
        if not isinstance(_like_element(x.type), ir.F32Type):
            x = arith.truncf(_like(x.type, f32), x)   # f64 -> f32 -> bf16
        op.results[0].replace_all_uses_with(round_to_bf16(x))
        op.erase()
        return
    operands = [arith.extf(_like(v.type, f32), v) if _is_bf16(v.type) else v
                for v in op.operands]
    results = [_like(r.type, f32) if _is_bf16(r.type) else r.type for r in op.results]
    attrs = op.attributes
    new = ir.Operation.create(op.name, results=results, operands=operands,
                              attributes={attrs[i].name: attrs[i].attr for i in range(len(attrs))})
    for old, value in zip(op.results, new.results):
        old.replace_all_uses_with(round_to_bf16(value) if _is_bf16(old.type) else value)
    op.erase()


def _like_element(t: ir.Type) -> ir.Type:
    return t.element_type if isinstance(t, ir.VectorType) else t


def widen_bf16(module_op):
    """Compute every bf16 arith and math op of the module in f32, rounding each result."""
    pending = []

    def collect(op):
        o = op.operation
        if o.name.split(".")[0] in ("arith", "math") and o.name not in _KEPT and any(
                _is_bf16(v.type) for v in [*o.operands, *o.results]):
            pending.append(o)
        return ir.WalkResult.ADVANCE

    module_op.walk(collect)
    for op in pending:
        with ir.InsertionPoint(op), op.location:
            _widen(op)


@register
class CpuBf16Pass(ModulePass):
    """bf16 arith and math ops computed in f32, each result rounded to bf16 by integer code."""
    name = "mlax-cpu-bf16"

    def run(self, module_op):
        widen_bf16(module_op)
