// Tests mlax-compile's reporting options and custom pipelines.

// RUN: mlax-compile %s --emit llvm --timing 2>&1 >/dev/null | FileCheck %s --check-prefix=TIMING
// RUN: mlax-compile %s --emit linalg --print-ir-after-all 2>&1 >/dev/null | FileCheck %s --check-prefix=PRINT
// RUN: mlax-compile %s --emit llvm --passes 'mlax-lower-to-linalg,one-shot-bufferize{bufferize-function-boundaries}' | FileCheck %s --check-prefix=PASSES
// RUN: mlax-compile %s --emit mlax --mlir-print-debuginfo | FileCheck %s --check-prefix=DEBUGINFO

// TIMING: mlax-compile timing (wall clock):
// TIMING: ms  mlax-opt
// TIMING: ms  linalg
// TIMING: ms  llvm
// TIMING: ms  total

// PRINT: IR Dump After
// PRINT: mlax-lower-to-linalg

// Tests that --passes replaces the CPU pipeline: here it stops at buffers.
// PASSES-LABEL: func.func @double
// PASSES: memref<4xf32>
// PASSES-NOT: llvm.func

// DEBUGINFO: loc("{{.*}}options.mlir":{{[0-9]+}}:{{[0-9]+}})

func.func @double(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
