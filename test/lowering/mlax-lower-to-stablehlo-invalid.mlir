// RUN: not mlax-opt %s --split-input-file --mlax-lower-to-stablehlo 2>&1 | FileCheck %s

// Tests that an op the StableHLO lowering does not claim is reported with the backend,
// the reason and its line.
// CHECK: mlax-lower-to-stablehlo-invalid.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'mlax.collective' has no StableHLO lowering (tpu backend): a collective outside vmap of its named axis
func.func @psum(%x: tensor<3xf32>, %i: tensor<i32>) -> tensor<3xf32> {
  %0 = "mlax.collective"(%x, %i) {kind = "sum", axis_name = "i", axis_size = 2 : i64} : (tensor<3xf32>, tensor<i32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that an upstream op the lowering does not know is reported at its line.
// CHECK: mlax-lower-to-stablehlo-invalid.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'tensor.empty' has no StableHLO lowering (tpu backend)
func.func @upstream() -> tensor<3xf32> {
  %0 = tensor.empty() : tensor<3xf32>
  return %0 : tensor<3xf32>
}
