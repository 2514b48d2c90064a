// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Convolutions and windows.

// Tests that conv is one stablehlo.convolution keeping padding, dilations, strides, the
// dimension numbers, the group counts and the precision as precision_config.
// CHECK-LABEL: func.func @conv
// CHECK: %[[R:.*]] = "stablehlo.convolution"(%{{.*}}, %{{.*}}) {batch_group_count = 1 : i64, dimension_numbers = #stablehlo.conv<raw input_batch_dimension = 0, input_feature_dimension = 3, input_spatial_dimensions = [1, 2], kernel_input_feature_dimension = 2, kernel_output_feature_dimension = 3, kernel_spatial_dimensions = [0, 1], output_batch_dimension = 0, output_feature_dimension = 3, output_spatial_dimensions = [1, 2]>, feature_group_count = 2 : i64, lhs_dilation = array<i64: 1, 2>, padding = dense<{{\[\[}}1, 1], [0, 2]]> : tensor<2x2xi64>, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision HIGHEST>], rhs_dilation = array<i64: 2, 1>, window_strides = array<i64: 2, 1>} : (tensor<1x5x5x2xf32>, tensor<3x3x1x4xf32>) -> tensor<1x2x9x4xf32>
// CHECK: return %[[R]]
func.func @conv(%x: tensor<1x5x5x2xf32>, %w: tensor<3x3x1x4xf32>) -> tensor<1x2x9x4xf32> {
  %0 = "mlax.conv"(%x, %w) {precision = ["DEFAULT", "HIGHEST"], batch_group_count = 1 : i64, feature_group_count = 2 : i64, lhs_dilation = array<i64: 1, 2>, lhs_spec = array<i64: 0, 3, 1, 2>, out_spec = array<i64: 0, 3, 1, 2>, padding_high = array<i64: 1, 2>, padding_low = array<i64: 1, 0>, rhs_dilation = array<i64: 2, 1>, rhs_spec = array<i64: 3, 2, 0, 1>, window_strides = array<i64: 2, 1>} : (tensor<1x5x5x2xf32>, tensor<3x3x1x4xf32>) -> tensor<1x2x9x4xf32>
  return %0 : tensor<1x2x9x4xf32>
}

// -----

// Tests that a max window is a stablehlo.reduce_window from -inf with a maximum reducer,
// keeping padding and both dilations.
// CHECK-LABEL: func.func @max_window
// CHECK: %[[INIT:.*]] = "stablehlo.constant"() {value = dense<0xFF800000> : tensor<f32>}
// CHECK: %[[R:.*]] = "stablehlo.reduce_window"(%{{.*}}, %[[INIT]]) ({
// CHECK: ^bb0(%[[A:.*]]: tensor<f32>, %[[B:.*]]: tensor<f32>):
// CHECK:   %[[M:.*]] = "stablehlo.maximum"(%[[A]], %[[B]])
// CHECK:   "stablehlo.return"(%[[M]])
// CHECK: }) {base_dilations = array<i64: 1, 1>, padding = dense<{{\[\[}}0, 1], [1, 1]]> : tensor<2x2xi64>, window_dilations = array<i64: 1, 2>, window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 2, 1>} : (tensor<4x6xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: return %[[R]]
func.func @max_window(%x: tensor<4x6xf32>) -> tensor<2x4xf32> {
  %0 = "mlax.reduce_window"(%x) {base_dilation = array<i64: 1, 1>, computation = "max", padding_high = array<i64: 1, 1>, padding_low = array<i64: 0, 1>, window_dilation = array<i64: 1, 2>, window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 2, 1>} : (tensor<4x6xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that select_and_gather_add packs each f32 operand value (high word) with its
// tangent (low word) into a u64 and reduces the pairs by the operand values, as JAX does.
// CHECK-LABEL: func.func @gather_add
// CHECK-DAG: "stablehlo.bitcast_convert"(%{{.*}}) : (tensor<4x6xf32>) -> tensor<4x6xui32>
// CHECK-DAG: "stablehlo.shift_left"
// CHECK: %[[R:.*]] = "stablehlo.reduce_window"(%{{.*}}, %{{.*}}) ({
// CHECK: ^bb0(%[[A:.*]]: tensor<ui64>, %[[B:.*]]: tensor<ui64>):
// CHECK:   "stablehlo.shift_right_logical"(%[[A]]
// CHECK:   comparison_direction = #stablehlo<comparison_direction GE>
// CHECK:   "stablehlo.select"
// CHECK: }) {{.*}} : (tensor<4x6xui64>, tensor<ui64>) -> tensor<2x2xui64>
// CHECK: %[[LOW:.*]] = "stablehlo.convert"(%[[R]]) : (tensor<2x2xui64>) -> tensor<2x2xui32>
// CHECK: %[[T:.*]] = "stablehlo.bitcast_convert"(%[[LOW]]) : (tensor<2x2xui32>) -> tensor<2x2xf32>
// CHECK: return %[[T]]
func.func @gather_add(%t: tensor<4x6xf32>, %x: tensor<4x6xf32>) -> tensor<2x2xf32> {
  %0 = "mlax.select_and_gather_add"(%t, %x) {base_dilation = array<i64: 1, 1>, padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>, select = "ge", window_dilation = array<i64: 1, 1>, window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 2, 3>} : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Tests that float64 select_and_gather_add is a reduce_window over (value, tangent) pairs.
// CHECK-LABEL: func.func @gather_add_f64
// CHECK: %[[R:.*]]:2 = "stablehlo.reduce_window"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) ({
// CHECK: ^bb0(%{{.*}}: tensor<f64>, %{{.*}}: tensor<f64>, %{{.*}}: tensor<f64>, %{{.*}}: tensor<f64>):
// CHECK:   comparison_direction = #stablehlo<comparison_direction LE>
// CHECK: }) {{.*}} -> (tensor<2x2xf64>, tensor<2x2xf64>)
// CHECK: return %[[R]]#1
func.func @gather_add_f64(%t: tensor<4x6xf64>, %x: tensor<4x6xf64>) -> tensor<2x2xf64> {
  %0 = "mlax.select_and_gather_add"(%t, %x) {base_dilation = array<i64: 1, 1>, padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>, select = "le", window_dilation = array<i64: 1, 1>, window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 2, 3>} : (tensor<4x6xf64>, tensor<4x6xf64>) -> tensor<2x2xf64>
  return %0 : tensor<2x2xf64>
}

// -----

// Tests that select_and_scatter_add pads the operand with -inf itself (as JAX does for
// XLA's CPU), runs stablehlo.select_and_scatter with a GE select and an add scatter, and
// cuts the padding off with a negative pad.
// CHECK-LABEL: func.func @scatter_add
// CHECK: %[[NEG:.*]] = "stablehlo.constant"() {value = dense<0xFF800000> : tensor<f32>}
// CHECK: %[[P:.*]] = "stablehlo.pad"(%{{.*}}, %[[NEG]]) {edge_padding_high = array<i64: 1, 0>, edge_padding_low = array<i64: 0, 1>, interior_padding = array<i64: 0, 0>} : (tensor<4x6xf32>, tensor<f32>) -> tensor<5x7xf32>
// CHECK: %[[S:.*]] = "stablehlo.select_and_scatter"(%[[P]], %{{.*}}, %{{.*}}) ({
// CHECK:   comparison_direction = #stablehlo<comparison_direction GE>
// CHECK: }, {
// CHECK:   "stablehlo.add"
// CHECK: }) {window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 2, 2>} : (tensor<5x7xf32>, tensor<2x3xf32>, tensor<f32>) -> tensor<5x7xf32>
// CHECK: %[[R:.*]] = "stablehlo.pad"(%[[S]], %{{.*}}) {edge_padding_high = array<i64: -1, 0>, edge_padding_low = array<i64: 0, -1>, interior_padding = array<i64: 0, 0>} : (tensor<5x7xf32>, tensor<f32>) -> tensor<4x6xf32>
// CHECK: return %[[R]]
func.func @scatter_add(%s: tensor<2x3xf32>, %x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %0 = "mlax.select_and_scatter_add"(%s, %x) {base_dilation = array<i64: 1, 1>, padding_high = array<i64: 1, 0>, padding_low = array<i64: 0, 1>, select = "ge", window_dilation = array<i64: 1, 1>, window_dimensions = array<i64: 2, 3>, window_strides = array<i64: 2, 2>} : (tensor<2x3xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// Tests that select_and_scatter_add with window dilation finds each window's first
// selected flat index with a reduce_window over (value, index) pairs and scatters there.
// CHECK-LABEL: func.func @scatter_add_dilated
// CHECK: "stablehlo.iota"() {iota_dimension = 0 : i64} : () -> tensor<24xi32>
// CHECK: %[[R:.*]]:2 = "stablehlo.reduce_window"
// CHECK:   comparison_direction = #stablehlo<comparison_direction LT>
// CHECK: window_dilations = array<i64: 1, 2>
// CHECK: %[[I:.*]] = "stablehlo.reshape"(%[[R]]#1) : (tensor<2x2xi32>) -> tensor<4x1xi32>
// CHECK: %[[S:.*]] = "stablehlo.scatter"(%{{.*}}, %[[I]], %{{.*}}) ({
// CHECK:   "stablehlo.add"
// CHECK: }) {{.*}} : (tensor<24xf32>, tensor<4x1xi32>, tensor<4xf32>) -> tensor<24xf32>
// CHECK: %[[OUT:.*]] = "stablehlo.reshape"(%[[S]]) : (tensor<24xf32>) -> tensor<4x6xf32>
// CHECK: return %[[OUT]]
func.func @scatter_add_dilated(%s: tensor<2x2xf32>, %x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %0 = "mlax.select_and_scatter_add"(%s, %x) {base_dilation = array<i64: 1, 1>, padding_high = array<i64: 0, 0>, padding_low = array<i64: 0, 0>, select = "le", window_dilation = array<i64: 1, 2>, window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 2>} : (tensor<2x2xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}
