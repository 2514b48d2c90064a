// RUN: mlax-opt %s --split-input-file --mlax-dce | FileCheck %s

// simplify._functions compares `op.name` to "func.func", but a FuncOp view's `name` is its
// symbol name, so the pass visits no function (reported; remove this XFAIL once fixed).

// Tests that an unused chain of mlax ops is removed, last use first.
// CHECK-LABEL: func.func @dead_chain
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[ADD:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK-NEXT: return %[[ADD]]
func.func @dead_chain(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.mul"(%0, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.exp"(%1) : (tensor<4xf32>) -> tensor<4xf32>
  %3 = "mlax.reduce_sum"(%2) {axes = array<i64: 0>} : (tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that unused constants and tensor.empty are removed with the ops that used them.
// CHECK-LABEL: func.func @dead_constants
// CHECK-NOT: arith.constant
// CHECK-NOT: tensor.empty
// CHECK-NOT: "mlax.
// CHECK: return
func.func @dead_constants(%a: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<2.0> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %0 = "mlax.mul"(%a, %c) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

// Tests that a multi-result op stays while any of its results is used.
// CHECK-LABEL: func.func @partly_used
// CHECK: %[[S:.*]]:2 = "mlax.sort"
// CHECK-NOT: "mlax.top_k"
// CHECK: return %[[S]]#1
func.func @partly_used(%k: tensor<4xf32>, %v: tensor<4xi32>) -> tensor<4xi32> {
  %0:2 = "mlax.sort"(%k, %v) {dimension = 0 : i64, is_stable = true} : (tensor<4xf32>, tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>)
  %1:2 = "mlax.top_k"(%k) {k = 2 : i64} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi32>)
  return %0#1 : tensor<4xi32>
}

// -----

// Tests that calls are kept even when unused (the callee may have effects), and so are
// the mlax ops that feed them.
// CHECK-LABEL: func.func @calls_kept
// CHECK: %[[N:.*]] = "mlax.neg"
// CHECK: call @effect(%[[N]])
func.func private @effect(tensor<4xf32>) -> tensor<4xf32>
func.func @calls_kept(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.neg"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @effect(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

// Tests that every function of the module is visited and declarations are left alone.
// CHECK-LABEL: func.func private @decl
// CHECK-LABEL: func.func @first
// CHECK-NOT: "mlax.
// CHECK-LABEL: func.func @second
// CHECK-NOT: "mlax.
// CHECK: return
func.func private @decl(tensor<4xf32>) -> tensor<4xf32>
func.func @first(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.sin"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}
func.func @second(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.cos"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}
