// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Reductions, dot_general, gather/scatter, cumulative ops, sort and threefry.

// Tests that reduce_sum is a stablehlo.reduce from 0 with an add reducer region.
// CHECK-LABEL: func.func @sum
// CHECK: %[[Z:.*]] = "stablehlo.constant"() {value = dense<0.000000e+00> : tensor<f32>}
// CHECK: %[[R:.*]] = "stablehlo.reduce"(%{{.*}}, %[[Z]]) ({
// CHECK: ^bb0(%[[A:.*]]: tensor<f32>, %[[B:.*]]: tensor<f32>):
// CHECK:   %[[S:.*]] = "stablehlo.add"(%[[A]], %[[B]])
// CHECK:   "stablehlo.return"(%[[S]])
// CHECK: }) {dimensions = array<i64: 1>} : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
// CHECK: return %[[R]]
func.func @sum(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests that argmax reduces values and an iota of indices together, from -inf and 0,
// picking a greater value or a NaN, and the first index among equals.
// CHECK-LABEL: func.func @argmax
// CHECK: %[[IOTA:.*]] = "stablehlo.iota"() {iota_dimension = 0 : i64} : () -> tensor<4xi32>
// CHECK: %[[R:.*]]:2 = "stablehlo.reduce"(%{{.*}}, %[[IOTA]], %{{.*}}, %{{.*}}) ({
// CHECK: ^bb0(%{{.*}}: tensor<f32>, %{{.*}}: tensor<i32>, %{{.*}}: tensor<f32>, %{{.*}}: tensor<i32>):
// CHECK: comparison_direction = #stablehlo<comparison_direction GT>
// CHECK: comparison_direction = #stablehlo<comparison_direction NE>
// CHECK: "stablehlo.return"
// CHECK: return %[[R]]#1
func.func @argmax(%x: tensor<4xf32>) -> tensor<i32> {
  %0 = "mlax.argmax"(%x) {axis = 0 : i64, index_dtype = i32} : (tensor<4xf32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// Tests that dot_general keeps its dimension numbers, and its precision as precision_config.
// CHECK-LABEL: func.func @batched_matmul
// CHECK: "stablehlo.dot_general"(%{{.*}}, %{{.*}}) {dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [1]>, precision_config = [#stablehlo<precision HIGH>, #stablehlo<precision HIGH>]} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
func.func @batched_matmul(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["HIGH", "HIGH"], lhs_contracting_dimensions = array<i64: 2>, rhs_contracting_dimensions = array<i64: 1>, lhs_batch_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64: 0>} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// Tests that a gather in mode fill is XLA's gather (which clamps) whose out-of-bounds
// rows are replaced by NaN, as JAX does.
// CHECK-LABEL: func.func @gather_fill
// CHECK: %[[G:.*]] = "stablehlo.gather"(%{{.*}}, %{{.*}}) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], operand_batching_dims = [], start_indices_batching_dims = [], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = false, slice_sizes = array<i64: 1, 3>}
// CHECK: %[[OK:.*]] = "stablehlo.reduce"
// CHECK: %[[MASK:.*]] = "stablehlo.broadcast_in_dim"(%[[OK]]) {broadcast_dimensions = array<i64: 0>} : (tensor<2xi1>) -> tensor<2x3xi1>
// CHECK: %[[NAN:.*]] = "stablehlo.constant"() {value = dense<0x7FC00000> : tensor<2x3xf32>}
// CHECK: "stablehlo.select"(%[[MASK]], %[[G]], %[[NAN]])
func.func @gather_fill(%x: tensor<4x3xf32>, %i: tensor<2x1xi32>) -> tensor<2x3xf32> {
  %0 = "mlax.gather"(%x, %i) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, mode = "fill"} : (tensor<4x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that a scatter-add is XLA's scatter with an add region, and that mode clip
// clamps the indices first.
// CHECK-LABEL: func.func @scatter_add_clip
// CHECK: %[[C:.*]] = "stablehlo.clamp"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<i64>, tensor<2x1xi64>, tensor<2x1xi64>) -> tensor<2x1xi64>
// CHECK: "stablehlo.scatter"(%{{.*}}, %[[C]], %{{.*}}) ({
// CHECK: "stablehlo.add"
// CHECK: }) {indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], input_batching_dims = [], scatter_indices_batching_dims = [], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = false}
func.func @scatter_add_clip(%x: tensor<4x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %0 = "mlax.scatter"(%x, %i, %u) {kind = "add", update_window_dims = array<i64: 1>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, mode = "clip"} : (tensor<4x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Tests that a reversed cumsum is a reduce_window the length of the axis, padded after.
// CHECK-LABEL: func.func @cumsum_reverse
// CHECK: "stablehlo.reduce_window"(%{{.*}}, %{{.*}}) ({
// CHECK: "stablehlo.add"
// CHECK: }) {padding = dense<{{\[\[}}0, 0], [0, 4]]> : tensor<2x2xi64>, window_dimensions = array<i64: 1, 5>}
func.func @cumsum_reverse(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = "mlax.cumsum"(%x) {axis = 1 : i64, reverse = true} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Tests that a float sort compares canonicalized keys in total order and carries the
// values along (two arguments per operand in the comparator).
// CHECK-LABEL: func.func @sort
// CHECK: "stablehlo.sort"(%{{.*}}, %{{.*}}) ({
// CHECK: ^bb0(%{{.*}}: tensor<f32>, %{{.*}}: tensor<f32>, %{{.*}}: tensor<i32>, %{{.*}}: tensor<i32>):
// CHECK: compare_type = #stablehlo<comparison_type TOTALORDER>, comparison_direction = #stablehlo<comparison_direction LT>
// CHECK: }) {dimension = 0 : i64, is_stable = true}
func.func @sort(%k: tensor<5xf32>, %v: tensor<5xi32>) -> (tensor<5xf32>, tensor<5xi32>) {
  %0:2 = "mlax.sort"(%k, %v) {dimension = 0 : i64, is_stable = true} : (tensor<5xf32>, tensor<5xi32>) -> (tensor<5xf32>, tensor<5xi32>)
  return %0#0, %0#1 : tensor<5xf32>, tensor<5xi32>
}

// -----

// Tests that threefry is uint32 integer ops only: 20 rounds of add, rotate (two shifts
// and an or) and xor.
// CHECK-LABEL: func.func @threefry
// CHECK-COUNT-20: "stablehlo.shift_left"
// CHECK-NOT: "stablehlo.shift_left"
// CHECK: return
func.func @threefry(%k0: tensor<3xui32>, %k1: tensor<3xui32>, %x0: tensor<3xui32>, %x1: tensor<3xui32>) -> (tensor<3xui32>, tensor<3xui32>) {
  %0:2 = "mlax.threefry2x32"(%k0, %k1, %x0, %x1) : (tensor<3xui32>, tensor<3xui32>, tensor<3xui32>, tensor<3xui32>) -> (tensor<3xui32>, tensor<3xui32>)
  return %0#0, %0#1 : tensor<3xui32>, tensor<3xui32>
}
