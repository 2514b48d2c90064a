// RUN: mlax-opt %s --split-input-file --mlax-algebraic --mlax-dce | FileCheck %s

// Tests that x * 1, 0 + x and -(-x) fold away, leaving the argument.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identities(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = arith.constant dense<1.0> : tensor<3xf32>
  %0 = "mlax.mul"(%x, %c) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %z = arith.constant dense<0.0> : tensor<3xf32>
  %1 = "mlax.add"(%z, %0) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.neg"(%1) : (tensor<3xf32>) -> tensor<3xf32>
  %3 = "mlax.neg"(%2) : (tensor<3xf32>) -> tensor<3xf32>
  return %3 : tensor<3xf32>
}

// -----

// Tests that multiplying by a constant other than one stays.
// CHECK-LABEL: func.func @not_identity
// CHECK: "mlax.mul"
func.func @not_identity(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = arith.constant dense<2.0> : tensor<3xf32>
  %0 = "mlax.mul"(%x, %c) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
