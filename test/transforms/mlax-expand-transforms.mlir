// RUN: mlax-opt %s --mlax-expand-transforms --mlax-simplify | FileCheck %s

// Tests that vmap(grad(sin)) expands innermost first: the grad declaration becomes cos,
// then the vmap declaration batches it.
// CHECK-LABEL: func.func private @vmap_grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[C:.*]] = "mlax.cos"(%[[X]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[C]]
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[Y:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NEXT: "mlax.cos"(%[[Y]])
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
