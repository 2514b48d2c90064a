// RUN: mlax-opt %s --split-input-file --mlax-simplify | FileCheck %s

// mlax-simplify runs mlax-cse then mlax-dce; both visit no function, and mlax-cse's op key
// fails on `op.attributes` iteration (see mlax-cse.mlir; remove this XFAIL once fixed).

// Tests that duplicates are merged and unused ops removed in one pass.
// CHECK-LABEL: func.func @merge_and_remove
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[ADD:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK-NEXT: %[[MUL:.*]] = "mlax.mul"(%[[ADD]], %[[ADD]])
// CHECK-NEXT: return %[[MUL]]
func.func @merge_and_remove(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.mul"(%0, %1) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = "mlax.sub"(%0, %1) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = "mlax.exp"(%3) : (tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Tests the shape of traced code: a broadcast constant computed twice becomes one, and the
// unused forward value of a gradient computation disappears.
// CHECK-LABEL: func.func @traced
// CHECK: %[[C:.*]] = arith.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NOT: arith.constant
// CHECK: %[[BC:.*]] = "mlax.broadcast_in_dim"(%[[C]])
// CHECK-NOT: "mlax.broadcast_in_dim"
// CHECK-NOT: "mlax.reduce_sum"
// CHECK: %[[G:.*]] = "mlax.mul"(%[[BC]], %{{.*}})
// CHECK-NEXT: return %[[G]]
func.func @traced(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c0 = arith.constant dense<2.0> : tensor<f32>
  %c1 = arith.constant dense<2.0> : tensor<f32>
  %b0 = "mlax.broadcast_in_dim"(%c0) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<f32>) -> tensor<3xf32>
  %sq = "mlax.mul"(%x, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %fwd = "mlax.reduce_sum"(%sq) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  %b1 = "mlax.broadcast_in_dim"(%c1) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<f32>) -> tensor<3xf32>
  %g = "mlax.mul"(%b1, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %g : tensor<3xf32>
}

// -----

// Tests that a function with nothing to simplify is unchanged.
// CHECK-LABEL: func.func @unchanged
// CHECK-SAME: (%[[A:.*]]: tensor<2xi32>)
// CHECK-NEXT: %[[N:.*]] = "mlax.neg"(%[[A]])
// CHECK-NEXT: %[[M:.*]] = "mlax.max"(%[[A]], %[[N]])
// CHECK-NEXT: return %[[M]]
func.func @unchanged(%a: tensor<2xi32>) -> tensor<2xi32> {
  %0 = "mlax.neg"(%a) : (tensor<2xi32>) -> tensor<2xi32>
  %1 = "mlax.max"(%a, %0) : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %1 : tensor<2xi32>
}

// -----

// Tests that a transposed matrix product (the transpose rule's weight gradient) is computed
// with its operands (and their precisions) swapped, and that one whose product has another
// use is left alone.
// CHECK-LABEL: func.func @transposed_dot
// CHECK-SAME: (%[[G:.*]]: tensor<8x3xf32>, %[[X:.*]]: tensor<8x5xf32>)
// CHECK-NEXT: %[[D:.*]] = "mlax.dot_general"(%[[X]], %[[G]]) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 0>, precision = ["HIGHEST", "DEFAULT"], rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<8x5xf32>, tensor<8x3xf32>) -> tensor<5x3xf32>
// CHECK-NEXT: return %[[D]]
func.func @transposed_dot(%g: tensor<8x3xf32>, %x: tensor<8x5xf32>) -> tensor<5x3xf32> {
  %0 = "mlax.dot_general"(%g, %x) {precision = ["DEFAULT", "HIGHEST"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<8x3xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %1 = "mlax.transpose"(%0) {permutation = array<i64: 1, 0>} : (tensor<3x5xf32>) -> tensor<5x3xf32>
  return %1 : tensor<5x3xf32>
}

// CHECK-LABEL: func.func @transposed_dot_shared
// CHECK: "mlax.dot_general"
// CHECK: "mlax.transpose"
func.func @transposed_dot_shared(%a: tensor<4x3xf32>, %b: tensor<3x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<4x3xf32>, tensor<3x4xf32>) -> tensor<4x4xf32>
  %1 = "mlax.transpose"(%0) {permutation = array<i64: 1, 0>} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0, %1 : tensor<4x4xf32>, tensor<4x4xf32>
}
