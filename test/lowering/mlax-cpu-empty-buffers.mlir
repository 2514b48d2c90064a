// RUN: mlax-opt %s --split-input-file --mlax-cpu-empty-buffers | FileCheck %s

// The calling convention fix-up of the CPU pipeline (mlax.lowering.cpu_codegen): public
// functions take and return buffers with a zero-size dim after the first as 1-D buffers.

// Tests that a 5x0 argument becomes a 0-element 1-D argument, its uses reading an empty
// tensor of the old type, while a 0x7 argument (static strides) is left alone.
// CHECK-LABEL: func.func @late_zero_argument
// CHECK-SAME: (%[[X:.*]]: tensor<0xf32>, %[[Y:.*]]: tensor<0x7xf32>) -> tensor<5xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<5x0xf32>
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<5x0xf32>)
func.func @late_zero_argument(%x: tensor<5x0xf32>, %y: tensor<0x7xf32>) -> tensor<5xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<5x0xf32>) outs(%init : tensor<5xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<5xf32>
  return %r : tensor<5xf32>
}

// -----

// Tests that a 4x0 result (here the argument itself) is returned as an empty 1-D tensor.
// CHECK-LABEL: func.func @late_zero_result
// CHECK-SAME: (%{{.*}}: tensor<0xf32>) -> (tensor<0xf32>, tensor<3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[E]], %{{.*}} : tensor<0xf32>, tensor<3xf32>
func.func @late_zero_result(%x: tensor<4x0xf32>) -> (tensor<4x0xf32>, tensor<3xf32>) {
  %e = tensor.empty() : tensor<3xf32>
  return %x, %e : tensor<4x0xf32>, tensor<3xf32>
}

// -----

// Tests that private functions (callees, whose call sites would no longer match) keep
// their types.
// CHECK-LABEL: func.func private @callee
// CHECK-SAME: (%{{.*}}: tensor<5x0xf32>) -> tensor<5x0xf32>
func.func private @callee(%x: tensor<5x0xf32>) -> tensor<5x0xf32> {
  return %x : tensor<5x0xf32>
}
