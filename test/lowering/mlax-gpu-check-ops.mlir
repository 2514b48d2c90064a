// RUN: not mlax-opt %s --split-input-file --mlax-gpu-check-ops 2>&1 | FileCheck %s

// The cuda backend's check of the ops it does not lower (mlax.backends.cuda.unsupported).

// Tests that an op lowered to a host LAPACK call is reported with the backend, the reason
// and its line.
// CHECK: mlax-gpu-check-ops.mlir:[[@LINE+2]]:{{[0-9]+}}: error: mlax.lu has no lowering on the cuda backend: it calls LAPACK on the host
func.func @lu(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0:3 = "mlax.lu"(%x) : (tensor<3x3xf32>) -> (tensor<3x3xf32>, tensor<3xi32>, tensor<3xi32>)
  return %0#0 : tensor<3x3xf32>
}
