// RUN: mlax-opt %s --mlax-autodiff | FileCheck %s

// Tests that --mlax-autodiff expands the grad declaration into the derivative of sin
// (the seed 1 times cos x) and leaves the vmap declaration that calls it for --mlax-vmap.
// CHECK-LABEL: func.func private @vmap_grad_f
// CHECK-SAME: attributes {mlax.vmap = {axis_size = 4 : i64, callee = @grad_f
// CHECK-NOT: mlax.grad
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32> {
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[COS:.*]] = "mlax.cos"(%[[X]]) : (tensor<f32>) -> tensor<f32>
// CHECK: %[[G:.*]] = "mlax.mul"(%[[ONE]], %[[COS]]) : (tensor<f32>, tensor<f32>) -> tensor<f32>
// CHECK-NEXT: return %[[G]] : tensor<f32>
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @vmap_grad_f(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @vmap_grad_f(tensor<4xf32>) -> tensor<4xf32> attributes {mlax.vmap = {callee = @grad_f, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>, has_aux = false, value = false}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
