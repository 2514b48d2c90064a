// RUN: mlax-opt %s --split-input-file --mlax-cse | FileCheck %s

// simplify._functions compares `op.name` to "func.func" (a FuncOp view's `name` is its
// symbol), and simplify._key reads `a.name` from iterating `op.attributes`, which yields
// attribute names (str) in these bindings (reported; remove this XFAIL once fixed).

// Tests that two identical ops are merged and the uses of the second go to the first.
// CHECK-LABEL: func.func @identical
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[ADD:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK-NEXT: return %[[ADD]], %[[ADD]]
func.func @identical(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that merging cascades: ops made identical by an earlier merge merge too.
// CHECK-LABEL: func.func @cascade
// CHECK: %[[CST:.*]] = arith.constant dense<2.000000e+00>
// CHECK-NOT: arith.constant
// CHECK: %[[ADD:.*]] = "mlax.add"
// CHECK-NEXT: %[[MUL:.*]] = "mlax.mul"(%[[ADD]], %[[CST]])
// CHECK-NEXT: return %[[MUL]], %[[MUL]]
func.func @cascade(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c1 = arith.constant dense<2.0> : tensor<4xf32>
  %c2 = arith.constant dense<2.0> : tensor<4xf32>
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.mul"(%0, %c1) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = "mlax.mul"(%1, %c2) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2, %3 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that operand order matters: add(a, b) and add(b, a) are different ops to CSE.
// CHECK-LABEL: func.func @operand_order
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[X:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK: %[[Y:.*]] = "mlax.add"(%[[B]], %[[A]])
// CHECK: return %[[X]], %[[Y]]
func.func @operand_order(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.add"(%b, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Tests that ops differing only in an attribute are not merged.
// CHECK-LABEL: func.func @attributes_differ
// CHECK: %[[R0:.*]] = "mlax.reduce_sum"(%{{.*}}) {axes = array<i64: 0>}
// CHECK: %[[R1:.*]] = "mlax.reduce_sum"(%{{.*}}) {axes = array<i64: 1>}
// CHECK: %[[R2:.*]] = "mlax.reduce_sum"(%{{.*}}) {axes = array<i64: 0>}
// CHECK-NOT: "mlax.reduce_sum"
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R0]]
func.func @attributes_differ(%x: tensor<3x3xf32>, %y: tensor<3x3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<3x3xf32>) -> tensor<3xf32>
  %1 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<3x3xf32>) -> tensor<3xf32>
  %2 = "mlax.reduce_sum"(%y) {axes = array<i64: 0>} : (tensor<3x3xf32>) -> tensor<3xf32>
  %3 = "mlax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<3x3xf32>) -> tensor<3xf32>
  return %0, %1, %2, %3 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that constants with different values or types are kept apart.
// CHECK-LABEL: func.func @constants_differ
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<4xf32>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<4xf64>
// CHECK: return
func.func @constants_differ() -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf64>) {
  %0 = arith.constant dense<1.0> : tensor<4xf32>
  %1 = arith.constant dense<2.0> : tensor<4xf32>
  %2 = arith.constant dense<1.0> : tensor<4xf64>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf64>
}

// -----

// Tests that CSE removes no dead op (that is mlax-dce's job).
// CHECK-LABEL: func.func @no_dce
// CHECK: "mlax.exp"
// CHECK: return
func.func @no_dce(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.exp"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

// Tests that identical ops in different functions are not merged across functions.
// CHECK-LABEL: func.func @f
// CHECK: "mlax.neg"
// CHECK-LABEL: func.func @g
// CHECK: "mlax.neg"
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.neg"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @g(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.neg"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
