// REQUIRES: jaxlib
// RUN: mlax-compile %s --target tpu --emit hlo | FileCheck %s

// Tests that the tpu target's hlo stage is XLA's HLO text of the entry point before
// optimization (jaxlib's converter of the StableHLO, as JAX's compiler_ir("hlo")).
// CHECK: HloModule main
// CHECK-LABEL: ENTRY main
// CHECK: [[M:multiply[.0-9]*]] = f32[8]{0} multiply(
// CHECK: ROOT {{.*}} = f32[8]{0} add([[M]], 

func.func @axpy(%a: tensor<f32>, %x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %0 = "mlax.broadcast_in_dim"(%a) {broadcast_dimensions = array<i64>, shape = array<i64: 8>} : (tensor<f32>) -> tensor<8xf32>
  %1 = "mlax.mul"(%0, %x) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %2 = "mlax.add"(%1, %y) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %2 : tensor<8xf32>
}
