// RUN: mlax-opt %s --mlax-expand-custom-derivatives | FileCheck %s

// Tests that, with no transform left to use it, a custom_jvp declaration becomes its
// primal function: the rule is dropped from the call path.
// CHECK-LABEL: func.func private @cjvp
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32> {
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[X]])
// CHECK-NEXT: return %[[E]]
func.func @main(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @cjvp(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @cjvp(tensor<f32>) -> tensor<f32> attributes {mlax.custom_jvp = {callee = @p, jvp = @rule, num_args = 1 : i64, num_callee_consts = 0 : i64}}
func.func private @p(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @rule(%x: tensor<f32>, %t: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mlax.mul"(%t, %0) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
