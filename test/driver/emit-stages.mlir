// Tests mlax-compile on mlax IR: every --emit stage, from the mlax dialect to an
// importable module.

// RUN: mlax-compile %s --emit=mlax-opt | FileCheck %s --check-prefix=OPT
// RUN: mlax-compile %s --emit linalg | FileCheck %s --check-prefix=LINALG
// RUN: mlax-compile %s --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: mlax-compile %s --emit llvm-ir | FileCheck %s --check-prefix=LLVMIR
// RUN: mlax-compile %s --emit asm --target-triple x86_64-unknown-linux-gnu --cpu x86-64 | FileCheck %s --check-prefix=ASM
// RUN: rm -rf %t && mkdir -p %t
// RUN: mlax-compile %s --emit obj -o %t/axpy.o
// RUN: %PYTHON -c "import sys; print(open(sys.argv[1], 'rb').read(4))" %t/axpy.o | FileCheck %s --check-prefix=OBJ
// RUN: mlax-compile %s -o %t/axpy_module
// RUN: %PYTHON %S/Inputs/call_module.py %t/axpy_module | FileCheck %s --check-prefix=MODULE

// Tests that mlax-opt keeps the entry points public and the mlax ops.
// OPT-LABEL: func.func @axpy
// OPT-SAME: (%[[A:.*]]: tensor<f32>, %[[X:.*]]: tensor<8xf32>, %[[Y:.*]]: tensor<8xf32>)
// OPT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[A]])
// OPT: %[[M:.*]] = "mlax.mul"(%[[B]], %[[X]])
// OPT: "mlax.add"(%[[M]], %[[Y]])
// OPT-LABEL: func.func @sum_rows

// Tests that the linalg stage has no mlax ops left.
// LINALG-LABEL: func.func @axpy
// LINALG-NOT: "mlax.
// LINALG: linalg.generic
// LINALG-LABEL: func.func @sum_rows
// LINALG-NOT: "mlax.
// LINALG: linalg.generic

// Tests that the LLVM dialect functions take one pointer per input, then per result.
// LLVM-LABEL: llvm.func @axpy
// LLVM-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// LLVM-LABEL: llvm.func @sum_rows
// LLVM-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// Tests that LLVM IR is emitted for the host triple, one void function per entry point.
// LLVMIR: target triple = "{{.*}}"
// LLVMIR-DAG: define void @axpy(ptr
// LLVMIR-DAG: define void @sum_rows(ptr

// Tests that assembly is generated for the requested CPU (baseline x86-64: no AVX).
// ASM: .globl axpy
// ASM-NOT: ymm
// ASM: .globl sum_rows

// Tests that an ELF object is written.
// OBJ: b'\x7fELF'

// Tests that the module imports and computes a*x + y, and row sums (inputs 0.5, 1, ...).
// MODULE: axpy(arg0: float32[], arg1: float32[8], arg2: float32[8]) -> float32[8]
// MODULE-NEXT: [0.75 1.5 2.25 3. 3.75 4.5 5.25 6. ]
// MODULE: sum_rows(arg0: float32[2,3]) -> float32[2]
// MODULE-NEXT: [3. 7.5]

func.func @axpy(%a: tensor<f32>, %x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %0 = "mlax.broadcast_in_dim"(%a) {broadcast_dimensions = array<i64>, shape = array<i64: 8>} : (tensor<f32>) -> tensor<8xf32>
  %1 = "mlax.mul"(%0, %x) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %2 = "mlax.add"(%1, %y) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %2 : tensor<8xf32>
}

func.func @sum_rows(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
