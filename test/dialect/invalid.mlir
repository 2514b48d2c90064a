// RUN: not mlax-opt %s --split-input-file 2>&1 | FileCheck %s

// Tests that IRDL rejects operands whose types must be equal but are not.
// CHECK: invalid.mlir:[[@LINE+3]]:8: error: expected 'tensor<3xf32>' but got 'tensor<4xf32>'
// CHECK: invalid.mlir:[[@LINE+2]]:8: note: see current operation: {{.*}}"mlax.add"
func.func @add_mismatch(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<3xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<3xf32>, tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that IRDL rejects an attribute of the wrong kind (an integer for an i64 array).
// CHECK: invalid.mlir:[[@LINE+3]]:8: error: expected base attribute 'builtin.dense_array' but got 'builtin.integer'
// CHECK: invalid.mlir:[[@LINE+2]]:8: note: see current operation: {{.*}}"mlax.reshape"
func.func @wrong_attr_kind(%x: tensor<6xf32>) -> tensor<3x2xf32> {
  %0 = "mlax.reshape"(%x) {new_sizes = 3 : i64} : (tensor<6xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Tests that IRDL rejects an op missing one of its attributes.
// CHECK: invalid.mlir:[[@LINE+2]]:8: error: 'mlax.transpose' op attribute "permutation" is expected but not provided
func.func @missing_attr(%x: tensor<3x2xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.transpose"(%x) : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that IRDL rejects an op with the wrong number of operands.
// CHECK: invalid.mlir:[[@LINE+3]]:8: error: op expects exactly 1 operands, but got 2
// CHECK: invalid.mlir:[[@LINE+2]]:8: note: see current operation: {{.*}}"mlax.neg"
func.func @operand_count(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.neg"(%x, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that mlax-verify rejects a dot_general whose result shape disagrees with its rule.
// CHECK: invalid.mlir:[[@LINE+2]]:8: error: 'mlax.dot_general' op result types f32[3,6] do not match the inferred f32[3,5]
func.func @dot_general_shape(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x6xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

// Tests that mlax-verify rejects a transpose whose permutation repeats a dimension.
// CHECK: invalid.mlir:[[@LINE+2]]:8: error: 'mlax.transpose' op {{.*}}[1, 1] is not a permutation of the dims of f32[3,2]
func.func @transpose_bad_permutation(%x: tensor<3x2xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.transpose"(%x) {permutation = array<i64: 1, 1>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that mlax-verify rejects a dot_general precision that is not a lax.Precision name.
// CHECK: invalid.mlir:[[@LINE+2]]:8: error: 'mlax.dot_general' op {{.*}}precision must be two of DEFAULT, HIGH, HIGHEST, got ['DEFAULT', 'BF16']
func.func @dot_general_precision(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "BF16"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// Tests that mlax-verify rejects contracting dimensions of different sizes.
// CHECK: invalid.mlir:[[@LINE+2]]:8: error: 'mlax.dot_general' op {{.*}}incompatible shapes for dot
func.func @dot_general_contracting(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) -> tensor<3x6xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3x4xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

// Tests that an op the mlax dialect does not define is rejected.
// CHECK: invalid.mlir:[[@LINE+2]]:8: error: unregistered operation 'mlax.frobnicate' found in dialect ('mlax')
func.func @unknown_op(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.frobnicate"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a parse error points at the offending token.
// CHECK: invalid.mlir:[[@LINE+2]]:19: error: use of undeclared SSA value name
func.func @parse_error(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.neg"(%y) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
