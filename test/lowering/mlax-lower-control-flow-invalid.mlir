// RUN: not mlax-opt %s --split-input-file --mlax-lower-control-flow 2>&1 | FileCheck %s

// Tests that a declaration missing one of its kind's entries is reported at its line.
// CHECK: mlax-lower-control-flow-invalid.mlir:[[@LINE+4]]:1: error: @scan: mlax.scan declaration lacks entry 'length'
func.func private @body(%c: tensor<f32>) -> tensor<f32> {
  return %c : tensor<f32>
}
func.func private @scan(tensor<f32>) -> tensor<f32> attributes {mlax.scan = {body = @body, reverse = false, num_carry = 1 : i64, num_consts = 0 : i64}}

// -----

// Tests that a body symbol that names no function is reported.
// CHECK: mlax-lower-control-flow-invalid.mlir:[[@LINE+1]]:1: error: symbol @nope named by @w is not defined
func.func private @w(tensor<f32>) -> tensor<f32> attributes {mlax.while = {cond = @nope, body = @nope, num_consts = 0 : i64}}

// -----

// Tests that a while condition returning more than one value is reported at the declaration.
// CHECK: mlax-lower-control-flow-invalid.mlir:[[@LINE+8]]:1: error: while condition @c2 of @w2 must return one 0-d bool tensor
func.func private @c2(%x: tensor<f32>) -> (tensor<i1>, tensor<i1>) {
  %t = arith.constant dense<true> : tensor<i1>
  return %t, %t : tensor<i1>, tensor<i1>
}
func.func private @b2(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @w2(tensor<f32>) -> tensor<f32> attributes {mlax.while = {cond = @c2, body = @b2, num_consts = 0 : i64}}
