"""`--mlax-gpu-bf16-mma`: bf16 `nvgpu.mma.sync` ops as `nvvm.mma.sync` with their PTX types
given.

The pinned MLIR's `convert-nvgpu-to-nvvm` deduces an mma.sync's PTX operand types from the
fragments' element types and knows f16, tf32, f64 and the integers but not bf16
(`NVVM::MmaOp::inferOperandMMAType`): on a bf16 fragment it emits "failed to deduce
operand PTX types" and leaves the op, and the Python bindings then abort on the
unhandled error. NVVM's op itself takes bf16 when the types are stated, as PTX's
`mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32` does, with each pair of bf16 values
in one 32-bit register. So, inside gpu.modules and before `convert-nvgpu-to-nvvm`, each
m16n8k16 bf16 x bf16 -> f32 mma.sync becomes:

    A (vector<4x2xbf16>), B (vector<2x2xbf16>): each row bitcast to one i32
    C (vector<2x2xf32>): its four f32 values
    nvvm.mma.sync A[4 x i32] B[2 x i32] C[4 x f32] {row, col, bf16, bf16, m16n8k16}
    D: the result struct's four f32 values as a vector<2x2xf32>

The gpu stage keeps `nvgpu.mma.sync` (interpret mode runs it); only the NVVM stage sees
this form.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import llvm, nvvm, vector

from mlax.backends.cuda.launch import ops_where
from mlax.passes import ModulePass, PassNotImplementedError, register


def _registers(frag):
    """The i32 registers of a bf16 fragment vector<R x 2 x bf16>: one per row."""
    rows = ir.VectorType(frag.type).shape[0]
    bf16 = ir.VectorType(frag.type).element_type
    pair = ir.VectorType.get([2], bf16)
    one = ir.VectorType.get([1], ir.IntegerType.get_signless(32))
    return [vector.ExtractOp(vector.BitCastOp(one, vector.ExtractOp(frag, [], [r]).result)
                             .result, [], [0]).result for r in range(rows)]


def _rewrite(op):
    a, b, c = op.operands
    f32 = ir.F32Type.get()
    with ir.InsertionPoint(op), op.location:
        acc = [vector.ExtractOp(c, [], [r, e]).result for r in range(2) for e in range(2)]
        struct = llvm.StructType.get_literal([f32] * 4)
        d = nvvm.MmaOp(
            struct, ir.Attribute.parse("#nvvm.shape<m = 16, n = 8, k = 16>"),
            ir.Attribute.parse("#nvvm.mma_layout<row>"),
            ir.Attribute.parse("#nvvm.mma_layout<col>"),
            _registers(a), _registers(b), acc,
            multiplicandAPtxType=ir.Attribute.parse("#nvvm.mma_type<bf16>"),
            multiplicandBPtxType=ir.Attribute.parse("#nvvm.mma_type<bf16>")).result
        values = [llvm.ExtractValueOp(f32, d, [i]).result for i in range(4)]
        result = vector.FromElementsOp(op.results[0].type, values).result
    op.results[0].replace_all_uses_with(result)
    op.erase()


def _is_bf16_mma(op) -> bool:
    return op.name == "nvgpu.mma.sync" and \
        isinstance(ir.VectorType(op.operands[0].type).element_type, ir.BF16Type)


@register
class GpuBf16MmaPass(ModulePass):
    """Lower bf16 nvgpu.mma.sync ops to nvvm.mma.sync with bf16 PTX types."""
    name = "mlax-gpu-bf16-mma"

    def run(self, module_op):
        for op in ops_where(module_op, _is_bf16_mma):
            shape = list(ir.ArrayAttr(op.attributes["mmaShape"]))
            if [ir.IntegerAttr(s).value for s in shape] != [16, 8, 16] or \
                    str(op.results[0].type) != "vector<2x2xf32>":
                raise PassNotImplementedError(
                    "a bf16 mma.sync other than m16n8k16 accumulating in f32", op.location)
            _rewrite(op)
