// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// The pass lives in compiler/lowering/stablehlo/; StableHLO ops are built in generic
// form (the dialect is not registered in mlax's context). Elementwise and shape ops.

// Tests that arithmetic, a comparison (its compare_type from the dtype) and a constant
// become one StableHLO op each, keeping their operands.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>, %[[Y:.*]]: tensor<3xf32>)
// CHECK: %[[S:.*]] = "stablehlo.add"(%[[X]], %[[Y]]) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[C:.*]] = "stablehlo.compare"(%[[X]], %[[Y]]) {compare_type = #stablehlo<comparison_type FLOAT>, comparison_direction = #stablehlo<comparison_direction LT>}
// CHECK: %[[K:.*]] = "stablehlo.constant"() {value = dense<2.000000e+00> : tensor<3xf32>}
// CHECK: %[[M:.*]] = "stablehlo.multiply"(%[[S]], %[[K]])
// CHECK: %[[E:.*]] = "chlo.erf"(%[[M]])
// CHECK: return %[[E]], %[[C]]
func.func @elementwise(%x: tensor<3xf32>, %y: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi1>) {
  %0 = "mlax.add"(%x, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.lt"(%x, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %c = arith.constant dense<2.0> : tensor<3xf32>
  %2 = "mlax.mul"(%0, %c) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %3 = "mlax.erf"(%2) : (tensor<3xf32>) -> tensor<3xf32>
  return %3, %1 : tensor<3xf32>, tensor<3xi1>
}

// -----

// Tests that unsigned types stay unsigned: comparisons are UNSIGNED, sign is a select
// (stablehlo.sign takes signed types only), shifts are one op.
// CHECK-LABEL: func.func @unsigned
// CHECK: "stablehlo.compare"({{.*}}) {compare_type = #stablehlo<comparison_type UNSIGNED>, comparison_direction = #stablehlo<comparison_direction EQ>}
// CHECK: "stablehlo.select"
// CHECK: "stablehlo.shift_right_logical"({{.*}}) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
func.func @unsigned(%x: tensor<4xui32>) -> (tensor<4xui32>, tensor<4xui32>) {
  %0 = "mlax.sign"(%x) : (tensor<4xui32>) -> tensor<4xui32>
  %1 = "mlax.shift_right_logical"(%x, %x) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  return %0, %1 : tensor<4xui32>, tensor<4xui32>
}

// -----

// Tests that converting to bool compares with zero (JAX's semantics) and other
// conversions are stablehlo.convert.
// CHECK-LABEL: func.func @converts
// CHECK: %[[Z:.*]] = "stablehlo.constant"() {value = dense<0.000000e+00> : tensor<2xf32>}
// CHECK: "stablehlo.compare"(%{{.*}}, %[[Z]]) {compare_type = #stablehlo<comparison_type FLOAT>, comparison_direction = #stablehlo<comparison_direction NE>}
// CHECK: "stablehlo.convert"(%{{.*}}) : (tensor<2xf32>) -> tensor<2xi32>
// CHECK: "stablehlo.bitcast_convert"(%{{.*}}) : (tensor<2xf32>) -> tensor<2xui32>
func.func @converts(%x: tensor<2xf32>) -> (tensor<2xi1>, tensor<2xi32>, tensor<2xui32>) {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = i1} : (tensor<2xf32>) -> tensor<2xi1>
  %1 = "mlax.convert_element_type"(%x) {new_dtype = i32} : (tensor<2xf32>) -> tensor<2xi32>
  %2 = "mlax.bitcast_convert_type"(%x) {new_dtype = ui32} : (tensor<2xf32>) -> tensor<2xui32>
  return %0, %1, %2 : tensor<2xi1>, tensor<2xi32>, tensor<2xui32>
}

// -----

// Tests that shape ops keep their attributes as StableHLO's dense arrays.
// CHECK-LABEL: func.func @shapes
// CHECK: "stablehlo.iota"() {iota_dimension = 1 : i64} : () -> tensor<2x3xi32>
// CHECK: "stablehlo.broadcast_in_dim"(%{{.*}}) {broadcast_dimensions = array<i64: 1>} : (tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: "stablehlo.transpose"(%{{.*}}) {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK: "stablehlo.slice"(%{{.*}}) {limit_indices = array<i64: 3, 2>, start_indices = array<i64: 1, 0>, strides = array<i64: 1, 2>}
// CHECK: "stablehlo.pad"(%{{.*}}, %{{.*}}) {edge_padding_high = array<i64: 0, 1>, edge_padding_low = array<i64: 1, -1>, interior_padding = array<i64: 0, 1>}
// CHECK: "stablehlo.dynamic_slice"(%{{.*}}, %{{.*}}, %{{.*}}) {slice_sizes = array<i64: 1, 2>}
func.func @shapes(%x: tensor<3xf32>, %p: tensor<f32>, %i: tensor<i32>) -> (tensor<2x3xi32>, tensor<2x1xf32>, tensor<4x4xf32>, tensor<1x2xf32>) {
  %0 = "mlax.iota"() {dtype = i32, shape = array<i64: 2, 3>, dimension = 1 : i64} : () -> tensor<2x3xi32>
  %1 = "mlax.broadcast_in_dim"(%x) {shape = array<i64: 2, 3>, broadcast_dimensions = array<i64: 1>} : (tensor<3xf32>) -> tensor<2x3xf32>
  %2 = "mlax.transpose"(%1) {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %3 = "mlax.slice"(%2) {start_indices = array<i64: 1, 0>, limit_indices = array<i64: 3, 2>, strides = array<i64: 1, 2>} : (tensor<3x2xf32>) -> tensor<2x1xf32>
  %4 = "mlax.pad"(%2, %p) {low = array<i64: 1, -1>, high = array<i64: 0, 1>, interior = array<i64: 0, 1>} : (tensor<3x2xf32>, tensor<f32>) -> tensor<4x3xf32>
  %5 = "mlax.pad"(%4, %p) {low = array<i64: 0, 0>, high = array<i64: 0, 1>, interior = array<i64: 0, 0>} : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x4xf32>
  %6 = "mlax.dynamic_slice"(%5, %i, %i) {slice_sizes = array<i64: 1, 2>} : (tensor<4x4xf32>, tensor<i32>, tensor<i32>) -> tensor<1x2xf32>
  return %0, %3, %5, %6 : tensor<2x3xi32>, tensor<2x1xf32>, tensor<4x4xf32>, tensor<1x2xf32>
}

// -----

// Tests rev (stablehlo.reverse), fma (a multiply and an add, which XLA fuses as it does
// JAX's) and xla_log (XLA's own log).
// CHECK-LABEL: func.func @rev_fma_log
// CHECK: %[[R:.*]] = "stablehlo.reverse"(%arg0) {dimensions = array<i64: 1>}
// CHECK-NEXT: %[[M:.*]] = "stablehlo.multiply"(%arg0, %arg1)
// CHECK-NEXT: %[[A:.*]] = "stablehlo.add"(%[[M]], %[[R]])
// CHECK-NEXT: %[[L:.*]] = "stablehlo.log"(%[[A]])
// CHECK-NEXT: return %[[R]], %[[A]], %[[L]]
func.func @rev_fma_log(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = "mlax.rev"(%x) {dimensions = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = "mlax.fma"(%x, %y, %0) : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = "mlax.xla_log"(%1) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
