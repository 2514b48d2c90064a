// RUN: mlax-opt %s --mlax-inline --symbol-dce | FileCheck %s

// Tests that a call to an ordinary function of mlax ops is inlined (the upstream inliner
// cannot: IRDL ops have no inliner interface) and the callee then removed.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[X]])
// CHECK-NEXT: return %[[E]]
// CHECK-NOT: func.func private @helper
func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @helper(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @helper(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.exp"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
