// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg | FileCheck %s

// Convolutions are im2col (strided slices copied in scf.for loops) and the dot_general
// contraction over one k dim; windows are generics reading `o * stride + k * dilation`
// with an empty tensor of the window's shape giving the window loops their sizes.

// Tests that an NHWC / HWIO convolution copies the windows and the kernel rows with slices
// and contracts them in one generic whose maps are projected permutations.
// CHECK-DAG: #[[PATCH:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d4, d3)>
// CHECK-LABEL: func.func @conv_nhwc
// CHECK-SAME: (%[[X:.*]]: tensor<2x6x6x3xf32> {{.*}}, %[[W:.*]]: tensor<3x3x3x4xf32>
// CHECK: %[[P:.*]] = scf.for {{.*}} -> (tensor<2x4x4x27xf32>)
// CHECK: scf.for
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][0, %{{.*}}, %{{.*}}, 0] [2, 4, 4, 3] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %[[S]] into %{{.*}}[0, 0, 0, %{{.*}}] [2, 4, 4, 3] [1, 1, 1, 1] : tensor<2x4x4x3xf32> into tensor<2x4x4x27xf32>
// CHECK: %[[K:.*]] = scf.for {{.*}} -> (tensor<27x4xf32>)
// CHECK: tensor.extract_slice %[[W]][%{{.*}}, %{{.*}}, 0, 0] [1, 1, 3, 4] [1, 1, 1, 1] : tensor<3x3x3x4xf32> to tensor<3x4xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[PATCH]], #[[ROWS]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]], %[[K]] : tensor<2x4x4x27xf32>, tensor<27x4xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: return %[[R]]
func.func @conv_nhwc(%x: tensor<2x6x6x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<2x4x4x4xf32> {
  %0 = "mlax.conv"(%x, %w) {precision = ["DEFAULT", "DEFAULT"], window_strides = array<i64: 1, 1>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, lhs_dilation = array<i64: 1, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 3, 1, 2>, rhs_spec = array<i64: 3, 2, 0, 1>, out_spec = array<i64: 0, 3, 1, 2>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} : (tensor<2x6x6x3xf32>, tensor<3x3x3x4xf32>) -> tensor<2x4x4x4xf32>
  return %0 : tensor<2x4x4x4xf32>
}

// -----

// Tests that padding and lhs dilation fill a larger tensor and write the operand strided,
// and that an NCHW result is copied out of the contraction's NHWC order.
// CHECK-LABEL: func.func @conv_padded_dilated_nchw
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x2x8x6xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[F]][0, 0, 1, 1] [1, 2, 3, 4] [1, 1, 2, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x6x4x3xf32>) outs(%{{.*}} : tensor<1x3x6x4xf32>)
// CHECK: return %[[OUT]]
func.func @conv_padded_dilated_nchw(%x: tensor<1x2x3x4xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x6x4xf32> {
  %0 = "mlax.conv"(%x, %w) {precision = ["DEFAULT", "DEFAULT"], window_strides = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 2, 1>, lhs_dilation = array<i64: 2, 1>, rhs_dilation = array<i64: 1, 1>, lhs_spec = array<i64: 0, 1, 2, 3>, rhs_spec = array<i64: 0, 1, 2, 3>, out_spec = array<i64: 0, 1, 2, 3>, feature_group_count = 1 : i64, batch_group_count = 1 : i64} : (tensor<1x2x3x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x4xf32>
  return %0 : tensor<1x3x6x4xf32>
}

// -----

// Tests that a max pool is one generic over [out..., window...] reading `o * 2 + k`, its
// window sizes from an empty 2x2 tensor, starting from -inf.
// CHECK-DAG: #[[READ:.*]] = affine_map<(d0, d1, d2, d3) -> (d0 * 2 + d2, d1 * 2 + d3)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func.func @max_pool
// CHECK-SAME: (%[[X:.*]]: tensor<4x6xf32>
// CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NEG]] : f32) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[READ]], #[[WIN]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[X]], %[[E]] : tensor<4x6xf32>, tensor<2x2xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK: arith.maximumf
// CHECK: return %[[R]]
func.func @max_pool(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.reduce_window"(%x) {computation = "max", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, base_dilation = array<i64: 1, 1>, window_dilation = array<i64: 1, 1>} : (tensor<4x6xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that rev reads its operand at `n - 1 - i` along the reversed dim.
// CHECK: #[[REV:.*]] = affine_map<(d0, d1) -> (d0, -d1 + 3)>
// CHECK-LABEL: func.func @rev
// CHECK: linalg.generic {indexing_maps = [#[[REV]], {{.*}}]
func.func @rev(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = "mlax.rev"(%x) {dimensions = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Tests that select_and_scatter_add finds each window's first maximum as a flat window
// index, then adds the source there in a loop over the window positions, each into one
// strided slice.
// CHECK-LABEL: func.func @select_and_scatter_add
// CHECK: %[[SEL:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2x3xi64>)
// CHECK: arith.cmpf oge
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[A0:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, %{{.*}}] [2, 3] [2, 2] : tensor<4x6xf32> to tensor<2x3xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[SEL]]#1, %[[A0]] : tensor<2x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, %{{.*}}] [2, 3] [2, 2]
func.func @select_and_scatter_add(%s: tensor<2x3xf32>, %x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %0 = "mlax.select_and_scatter_add"(%s, %x) {select = "ge", window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 2>, padding_low = array<i64: 0, 0>, padding_high = array<i64: 0, 0>, base_dilation = array<i64: 1, 1>, window_dilation = array<i64: 1, 1>} : (tensor<2x3xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}
