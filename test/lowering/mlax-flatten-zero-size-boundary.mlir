// RUN: mlax-opt %s --split-input-file --mlax-flatten-zero-size-boundary | FileCheck %s

// Tests that a zero-size argument becomes tensor<0xT> and its uses an empty tensor of
// the original type, while the other arguments are left alone.
// CHECK-LABEL: func.func @argument
// CHECK-SAME: (%[[X:.*]]: tensor<0xf32>, %[[Y:.*]]: tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x0xf32>
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<3x0xf32>) outs(%[[Y]] : tensor<3xf32>)
func.func @argument(%x: tensor<3x0xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<3x0xf32>) outs(%y : tensor<3xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a zero-size result is returned as an empty tensor<0xT>.
// CHECK-LABEL: func.func @result
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>) -> (tensor<0xf32>, tensor<4x3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[E]], %[[X]] : tensor<0xf32>, tensor<4x3xf32>
func.func @result(%x: tensor<4x3xf32>) -> (tensor<0x3xf32>, tensor<4x3xf32>) {
  %0 = tensor.extract_slice %x[0, 0] [0, 3] [1, 1] : tensor<4x3xf32> to tensor<0x3xf32>
  return %0, %x : tensor<0x3xf32>, tensor<4x3xf32>
}

// -----

// Tests that rank-1 zero-size tensors (static strides already) and private functions
// keep their types.
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%{{.*}}: tensor<2x0xf32>) -> tensor<2x0xf32>
// CHECK-LABEL: func.func @vector
// CHECK-SAME: (%{{.*}}: tensor<0xi32>) -> tensor<0xi32>
func.func private @helper(%x: tensor<2x0xf32>) -> tensor<2x0xf32> {
  return %x : tensor<2x0xf32>
}
func.func @vector(%x: tensor<0xi32>) -> tensor<0xi32> {
  return %x : tensor<0xi32>
}
