// RUN: mlax-opt %s --split-input-file | mlax-opt --split-input-file | FileCheck %s

// Tests that unary, binary and integer_pow elementwise ops round-trip.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[ADD:.*]] = "mlax.add"(%[[A]], %[[B]]) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[EXP:.*]] = "mlax.exp"(%[[ADD]]) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[POW:.*]] = "mlax.integer_pow"(%[[EXP]]) {y = 3 : i64} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[TANH:.*]] = "mlax.tanh"(%[[POW]])
// CHECK: %[[MAX:.*]] = "mlax.max"(%[[TANH]], %[[B]])
// CHECK: return %[[MAX]]
func.func @elementwise(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.exp"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.integer_pow"(%1) {y = 3 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %3 = "mlax.tanh"(%2) : (tensor<4xf32>) -> tensor<4xf32>
  %4 = "mlax.max"(%3, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// -----

// Tests that comparisons (i1 results) and select round-trip.
// CHECK-LABEL: func.func @compare_select
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xi32>, %[[B:.*]]: tensor<2x3xi32>)
// CHECK: %[[LT:.*]] = "mlax.lt"(%[[A]], %[[B]]) : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi1>
// CHECK: %[[SEL:.*]] = "mlax.select"(%[[LT]], %[[A]], %[[B]]) : (tensor<2x3xi1>, tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
// CHECK: return %[[SEL]]
func.func @compare_select(%a: tensor<2x3xi32>, %b: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %0 = "mlax.lt"(%a, %b) : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi1>
  %1 = "mlax.select"(%0, %a, %b) : (tensor<2x3xi1>, tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %1 : tensor<2x3xi32>
}

// -----

// Tests that convert_element_type keeps its dtype attribute, unsigned included.
// CHECK-LABEL: func.func @convert
// CHECK: %[[U:.*]] = "mlax.convert_element_type"(%{{.*}}) {new_dtype = ui32} : (tensor<4xf32>) -> tensor<4xui32>
// CHECK: %[[F:.*]] = "mlax.convert_element_type"(%[[U]]) {new_dtype = f64} : (tensor<4xui32>) -> tensor<4xf64>
// CHECK: return %[[F]]
func.func @convert(%x: tensor<4xf32>) -> tensor<4xf64> {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = ui32} : (tensor<4xf32>) -> tensor<4xui32>
  %1 = "mlax.convert_element_type"(%0) {new_dtype = f64} : (tensor<4xui32>) -> tensor<4xf64>
  return %1 : tensor<4xf64>
}

// -----

// Tests that iota (no operands) and broadcast_in_dim round-trip.
// CHECK-LABEL: func.func @iota_broadcast
// CHECK: %[[IOTA:.*]] = "mlax.iota"() {dimension = 0 : i64, dtype = i32, shape = array<i64: 3>} : () -> tensor<3xi32>
// CHECK: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[IOTA]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xi32>) -> tensor<2x3xi32>
// CHECK: return %[[B]]
func.func @iota_broadcast() -> tensor<2x3xi32> {
  %0 = "mlax.iota"() {dimension = 0 : i64, dtype = i32, shape = array<i64: 3>} : () -> tensor<3xi32>
  %1 = "mlax.broadcast_in_dim"(%0) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xi32>) -> tensor<2x3xi32>
  return %1 : tensor<2x3xi32>
}

// -----

// Tests that reshape and transpose round-trip.
// CHECK-LABEL: func.func @reshape_transpose
// CHECK: %[[R:.*]] = "mlax.reshape"(%{{.*}}) {new_sizes = array<i64: 3, 2>} : (tensor<6xf32>) -> tensor<3x2xf32>
// CHECK: %[[T:.*]] = "mlax.transpose"(%[[R]]) {permutation = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
// CHECK: return %[[T]]
func.func @reshape_transpose(%x: tensor<6xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.reshape"(%x) {new_sizes = array<i64: 3, 2>} : (tensor<6xf32>) -> tensor<3x2xf32>
  %1 = "mlax.transpose"(%0) {permutation = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// Tests that static and dynamic slices round-trip; dynamic_slice takes one scalar index per dim.
// CHECK-LABEL: func.func @slices
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>, %[[I:.*]]: tensor<i32>, %[[J:.*]]: tensor<i32>)
// CHECK: "mlax.slice"(%[[X]]) {limit_indices = array<i64: 4, 5>, start_indices = array<i64: 1, 0>, strides = array<i64: 2, 1>} : (tensor<4x5xf32>) -> tensor<2x5xf32>
// CHECK: "mlax.dynamic_slice"(%[[X]], %[[I]], %[[J]]) {slice_sizes = array<i64: 2, 2>} : (tensor<4x5xf32>, tensor<i32>, tensor<i32>) -> tensor<2x2xf32>
func.func @slices(%x: tensor<4x5xf32>, %i: tensor<i32>, %j: tensor<i32>) -> (tensor<2x5xf32>, tensor<2x2xf32>) {
  %0 = "mlax.slice"(%x) {limit_indices = array<i64: 4, 5>, start_indices = array<i64: 1, 0>, strides = array<i64: 2, 1>} : (tensor<4x5xf32>) -> tensor<2x5xf32>
  %1 = "mlax.dynamic_slice"(%x, %i, %j) {slice_sizes = array<i64: 2, 2>} : (tensor<4x5xf32>, tensor<i32>, tensor<i32>) -> tensor<2x2xf32>
  return %0, %1 : tensor<2x5xf32>, tensor<2x2xf32>
}

// -----

// Tests that concatenate and pad (with a scalar padding value) round-trip.
// CHECK-LABEL: func.func @concatenate_pad
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<1x3xf32>, %[[V:.*]]: tensor<f32>)
// CHECK: %[[C:.*]] = "mlax.concatenate"(%[[A]], %[[B]]) {dimension = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
// CHECK: %[[P:.*]] = "mlax.pad"(%[[C]], %[[V]]) {high = array<i64: 0, 2>, interior = array<i64: 0, 1>, low = array<i64: 1, 0>} : (tensor<3x3xf32>, tensor<f32>) -> tensor<4x7xf32>
// CHECK: return %[[P]]
func.func @concatenate_pad(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>, %v: tensor<f32>) -> tensor<4x7xf32> {
  %0 = "mlax.concatenate"(%a, %b) {dimension = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
  %1 = "mlax.pad"(%0, %v) {high = array<i64: 0, 2>, interior = array<i64: 0, 1>, low = array<i64: 1, 0>} : (tensor<3x3xf32>, tensor<f32>) -> tensor<4x7xf32>
  return %1 : tensor<4x7xf32>
}

// -----

// Tests that reductions, argmax and cumulative ops round-trip (bools print as true/false).
// CHECK-LABEL: func.func @reductions
// CHECK: "mlax.reduce_sum"(%{{.*}}) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
// CHECK: "mlax.argmax"(%{{.*}}) {axis = 1 : i64, index_dtype = i32} : (tensor<2x3xf32>) -> tensor<2xi32>
// CHECK: "mlax.cumsum"(%{{.*}}) {axis = 0 : i64, reverse = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: "mlax.cummax"(%{{.*}}) {axis = 1 : i64, reverse = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @reductions(%x: tensor<2x3xf32>) -> (tensor<2xf32>, tensor<2xi32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  %1 = "mlax.argmax"(%x) {axis = 1 : i64, index_dtype = i32} : (tensor<2x3xf32>) -> tensor<2xi32>
  %2 = "mlax.cumsum"(%x) {axis = 0 : i64, reverse = false} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = "mlax.cummax"(%x) {axis = 1 : i64, reverse = true} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xi32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Tests that a batched dot_general round-trips with all four dimension lists and its
// operands' precisions.
// CHECK-LABEL: func.func @dot_general
// CHECK: %[[D:.*]] = "mlax.dot_general"(%{{.*}}, %{{.*}}) {lhs_batch_dimensions = array<i64: 0>, lhs_contracting_dimensions = array<i64: 2>, precision = ["HIGH", "HIGHEST"], rhs_batch_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
// CHECK: return %[[D]]
func.func @dot_general(%a: tensor<5x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<5x2x4xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["HIGH", "HIGHEST"], lhs_batch_dimensions = array<i64: 0>, lhs_contracting_dimensions = array<i64: 2>, rhs_batch_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}

// -----

// Tests that sort (variadic values, several results) and top_k (two results) round-trip.
// CHECK-LABEL: func.func @sort_top_k
// CHECK-SAME: (%[[K:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xi32>)
// CHECK: %[[S:.*]]:2 = "mlax.sort"(%[[K]], %[[V]]) {dimension = 0 : i64, is_stable = true} : (tensor<4xf32>, tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>)
// CHECK: %[[T:.*]]:2 = "mlax.top_k"(%[[K]]) {k = 2 : i64} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi32>)
// CHECK: return %[[S]]#0, %[[S]]#1, %[[T]]#0, %[[T]]#1
func.func @sort_top_k(%k: tensor<4xf32>, %v: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<2xf32>, tensor<2xi32>) {
  %0:2 = "mlax.sort"(%k, %v) {dimension = 0 : i64, is_stable = true} : (tensor<4xf32>, tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>)
  %1:2 = "mlax.top_k"(%k) {k = 2 : i64} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi32>)
  return %0#0, %0#1, %1#0, %1#1 : tensor<4xf32>, tensor<4xi32>, tensor<2xf32>, tensor<2xi32>
}

// -----

// Tests that a sort of keys alone (empty variadic groups) round-trips.
// CHECK-LABEL: func.func @sort_keys
// CHECK: "mlax.sort"(%{{.*}}) {dimension = 1 : i64, is_stable = false} : (tensor<2x4xi32>) -> tensor<2x4xi32>
func.func @sort_keys(%k: tensor<2x4xi32>) -> tensor<2x4xi32> {
  %0 = "mlax.sort"(%k) {dimension = 1 : i64, is_stable = false} : (tensor<2x4xi32>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

// Tests that threefry2x32 round-trips on uint32 operands.
// CHECK-LABEL: func.func @threefry
// CHECK: %[[R:.*]]:2 = "mlax.threefry2x32"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<ui32>, tensor<ui32>, tensor<ui32>, tensor<ui32>) -> (tensor<ui32>, tensor<ui32>)
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @threefry(%k0: tensor<ui32>, %k1: tensor<ui32>, %x0: tensor<ui32>, %x1: tensor<ui32>) -> (tensor<ui32>, tensor<ui32>) {
  %0:2 = "mlax.threefry2x32"(%k0, %k1, %x0, %x1) : (tensor<ui32>, tensor<ui32>, tensor<ui32>, tensor<ui32>) -> (tensor<ui32>, tensor<ui32>)
  return %0#0, %0#1 : tensor<ui32>, tensor<ui32>
}

// -----

// Tests that gather round-trips with its dimension numbers and string mode.
// CHECK-LABEL: func.func @gather
// CHECK: "mlax.gather"(%{{.*}}, %{{.*}}) {collapsed_slice_dims = array<i64: 0>, mode = "clip", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
func.func @gather(%x: tensor<5x3xf32>, %i: tensor<2x1xi32>) -> tensor<2x3xf32> {
  %0 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "clip", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that scatter round-trips with its kind and dimension numbers.
// CHECK-LABEL: func.func @scatter
// CHECK: "mlax.scatter"(%{{.*}}, %{{.*}}, %{{.*}}) {inserted_window_dims = array<i64: 0>, kind = "add", mode = "fill", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, update_window_dims = array<i64: 1>} : (tensor<5x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<5x3xf32>
func.func @scatter(%x: tensor<5x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x3xf32>) -> tensor<5x3xf32> {
  %0 = "mlax.scatter"(%x, %i, %u) {inserted_window_dims = array<i64: 0>, kind = "add", mode = "fill", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, update_window_dims = array<i64: 1>} : (tensor<5x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

// Tests that a file of several top-level functions and a declaration parses into one module.
// CHECK-LABEL: func.func private @decl(tensor<3xf32>) -> tensor<3xf32>
// CHECK-LABEL: func.func @call
// CHECK: call @decl
func.func private @decl(tensor<3xf32>) -> tensor<3xf32>
func.func @call(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @decl(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
