// RUN: mlax-opt %s --mlax-autodiff | FileCheck %s

// Tests that --mlax-autodiff expands the grad declaration and leaves the vmap declaration
// that calls it for --mlax-vmap.
// CHECK-LABEL: func.func private @vmap_grad_f
// CHECK-SAME: attributes {mlax.vmap
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32> {
// CHECK: "mlax.cos"(%[[X]])
// CHECK: return
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
