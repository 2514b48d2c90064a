// RUN: not mlax-opt %s --split-input-file --mlax-vmap -o %t 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --input-file=%t

// `--mlax-vmap` gives each mlax.vmap declaration the batched body of its callee. Values keep
// their batch axis where the rules put it; it moves only where an op or out_axes needs it.
// The last cases are errors (ERR).

// Tests that a chain of elementwise ops batched along axis 1 stays along axis 1: the
// batch axis moves once, at the end, where out_axes asks for axis 0.
// CHECK-LABEL: func.func private @vmap_chain
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>, %[[Y:.*]]: tensor<3x4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: %[[A:.*]] = "mlax.add"(%[[X]], %[[Y]]) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[A]]) : (tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[M:.*]] = "mlax.mul"(%[[E]], %[[X]]) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[T:.*]] = "mlax.tanh"(%[[M]]) : (tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[R:.*]] = "mlax.transpose"(%[[T]]) {permutation = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[R]] : tensor<4x3xf32>
func.func private @vmap_chain(tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @chain, in_axes = array<i64: 1, 1>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @chain(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.add"(%x, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.exp"(%0) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.mul"(%1, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %3 = "mlax.tanh"(%2) : (tensor<3xf32>) -> tensor<3xf32>
  return %3 : tensor<3xf32>
}

// -----

// Tests that out_axes equal to the batch axis the chain kept needs no transpose at all.
// CHECK-LABEL: func.func private @vmap_chain
// CHECK-NOT: mlax.transpose
// CHECK: %[[S:.*]] = "mlax.sin"(%{{.*}}) : (tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[M:.*]] = "mlax.mul"(%[[S]], %{{.*}}) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: return %[[M]] : tensor<3x4xf32>
func.func private @vmap_chain(tensor<3x4xf32>) -> tensor<3x4xf32> attributes {mlax.vmap = {callee = @chain, in_axes = array<i64: 1>, out_axes = array<i64: 1>, axis_size = 4 : i64}}
func.func private @chain(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.mul"(%0, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}

// -----

// Tests that a sharding constraint keeps its layout under vmap: the batch axis (here 1) is
// not split, so its tile count there is 1 and the devices are unchanged.
// CHECK-LABEL: func.func private @vmap_constrained
// CHECK: "mlax.sharding_constraint"(%{{.*}}) {devices = array<i64: 0, 1, 2, 3>, tiles = array<i64: 4, 1, 1>} : (tensor<8x5x2xf32>) -> tensor<8x5x2xf32>
func.func private @vmap_constrained(tensor<8x5x2xf32>) -> tensor<8x5x2xf32> attributes {mlax.vmap = {callee = @constrained, in_axes = array<i64: 1>, out_axes = array<i64: 1>, axis_size = 5 : i64}}
func.func private @constrained(%x: tensor<8x2xf32>) -> tensor<8x2xf32> {
  %0 = "mlax.sharding_constraint"(%x) {tiles = array<i64: 4, 1>, devices = array<i64: 0, 1, 2, 3>} : (tensor<8x2xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

// Tests that a matrix-vector product batched over the vector becomes one matrix-matrix
// dot_general (operands swapped so that the batch axis comes out first), with no
// transpose, keeping the precision.
// CHECK-LABEL: func.func private @vmap_matvec
// CHECK-SAME: (%[[M:.*]]: tensor<150x100xf32>, %[[V:.*]]: tensor<10x100xf32>) -> tensor<10x150xf32>
// CHECK-NEXT: %[[D:.*]] = "mlax.dot_general"(%[[V]], %[[M]]) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, precision = ["HIGHEST", "HIGHEST"], rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<10x100xf32>, tensor<150x100xf32>) -> tensor<10x150xf32>
// CHECK-NEXT: return %[[D]] : tensor<10x150xf32>
func.func private @vmap_matvec(tensor<150x100xf32>, tensor<10x100xf32>) -> tensor<10x150xf32> attributes {mlax.vmap = {callee = @matvec, in_axes = array<i64: -1, 0>, out_axes = array<i64: 0>, axis_size = 10 : i64}}
func.func private @matvec(%m: tensor<150x100xf32>, %v: tensor<100xf32>) -> tensor<150xf32> {
  %0 = "mlax.dot_general"(%m, %v) {precision = ["HIGHEST", "HIGHEST"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<150x100xf32>, tensor<100xf32>) -> tensor<150xf32>
  return %0 : tensor<150xf32>
}

// -----

// Tests that an unbatched operand of an elementwise op is broadcast along the batch axis
// of the batched one, where that axis is.
// CHECK-LABEL: func.func private @vmap_mixed
// CHECK-SAME: (%[[X:.*]]: tensor<3x5xf32>, %[[W:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[W]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 3, 5>}
// CHECK-NEXT: %[[S:.*]] = "mlax.sub"(%[[B]], %[[X]]) : (tensor<3x5xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
// CHECK-NEXT: return %[[S]]
func.func private @vmap_mixed(tensor<3x5xf32>, tensor<3xf32>) -> tensor<3x5xf32> attributes {mlax.vmap = {callee = @mixed, in_axes = array<i64: 1, -1>, out_axes = array<i64: 1>, axis_size = 5 : i64}}
func.func private @mixed(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.sub"(%w, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a product of two batched matrices becomes a dot_general with the batch axis as
// its first batch dimension.
// CHECK-LABEL: func.func private @vmap_matmul
// CHECK-SAME: (%[[A:.*]]: tensor<2x3x7xf32>, %[[B:.*]]: tensor<4x2x7xf32>)
// CHECK-NEXT: %[[D:.*]] = "mlax.dot_general"(%[[A]], %[[B]]) {lhs_batch_dimensions = array<i64: 2>, lhs_contracting_dimensions = array<i64: 0>, precision = ["DEFAULT", "DEFAULT"], rhs_batch_dimensions = array<i64: 2>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<2x3x7xf32>, tensor<4x2x7xf32>) -> tensor<7x3x4xf32>
// CHECK-NEXT: return %[[D]]
func.func private @vmap_matmul(tensor<2x3x7xf32>, tensor<4x2x7xf32>) -> tensor<7x3x4xf32> attributes {mlax.vmap = {callee = @matmul, in_axes = array<i64: 2, 2>, out_axes = array<i64: 0>, axis_size = 7 : i64}}
func.func private @matmul(%a: tensor<2x3xf32>, %b: tensor<4x2xf32>) -> tensor<3x4xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<2x3xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Tests that a reduction reduces the shifted axes and the batch axis keeps its place among
// the remaining ones.
// CHECK-LABEL: func.func private @vmap_reduce
// CHECK-NEXT: %[[R:.*]] = "mlax.reduce_max"(%{{.*}}) {axes = array<i64: 2>} : (tensor<2x6x3xf32>) -> tensor<2x6xf32>
// CHECK-NEXT: %[[T:.*]] = "mlax.transpose"(%[[R]]) {permutation = array<i64: 1, 0>} : (tensor<2x6xf32>) -> tensor<6x2xf32>
// CHECK-NEXT: return %[[T]]
func.func private @vmap_reduce(tensor<2x6x3xf32>) -> tensor<6x2xf32> attributes {mlax.vmap = {callee = @reduce, in_axes = array<i64: 1>, out_axes = array<i64: 0>, axis_size = 6 : i64}}
func.func private @reduce(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "mlax.reduce_max"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests the shape ops: broadcast_in_dim and transpose put the batch axis first, reshape
// moves it there first, slice takes the whole batch axis where it is.
// CHECK-LABEL: func.func private @vmap_shapes
// CHECK-NEXT: %[[S:.*]] = "mlax.slice"(%{{.*}}) {limit_indices = array<i64: 3, 5>, start_indices = array<i64: 1, 0>, strides = array<i64: 1, 1>} : (tensor<3x5xf32>) -> tensor<2x5xf32>
// CHECK-NEXT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[S]]) {broadcast_dimensions = array<i64: 2, 0>, shape = array<i64: 5, 3, 2>}
// CHECK-NEXT: %[[T:.*]] = "mlax.transpose"(%[[B]]) {permutation = array<i64: 0, 2, 1>} : (tensor<5x3x2xf32>) -> tensor<5x2x3xf32>
// CHECK-NEXT: %[[R1:.*]] = "mlax.reshape"(%[[T]]) {new_sizes = array<i64: 5, 6>}
// CHECK-NEXT: %[[R2:.*]] = "mlax.reshape"(%[[R1]]) {new_sizes = array<i64: 5, 2, 3>}
// CHECK-NEXT: return %[[R2]] : tensor<5x2x3xf32>
func.func private @vmap_shapes(tensor<3x5xf32>) -> tensor<5x2x3xf32> attributes {mlax.vmap = {callee = @shapes, in_axes = array<i64: 1>, out_axes = array<i64: 0>, axis_size = 5 : i64}}
func.func private @shapes(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.slice"(%x) {start_indices = array<i64: 1>, limit_indices = array<i64: 3>, strides = array<i64: 1>} : (tensor<3xf32>) -> tensor<2xf32>
  %1 = "mlax.broadcast_in_dim"(%0) {shape = array<i64: 3, 2>, broadcast_dimensions = array<i64: 1>} : (tensor<2xf32>) -> tensor<3x2xf32>
  %2 = "mlax.transpose"(%1) {permutation = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %3 = "mlax.reshape"(%2) {new_sizes = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  %4 = "mlax.reshape"(%3) {new_sizes = array<i64: 2, 3>} : (tensor<6xf32>) -> tensor<2x3xf32>
  return %4 : tensor<2x3xf32>
}

// -----

// Tests that dynamic_slice at a batched start index becomes one gather of the batch's
// windows (the index clamped as dynamic_slice clamps it), and at an unbatched index one
// dynamic_slice with the whole batch axis.
// CHECK-LABEL: func.func private @vmap_dslice
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[I:.*]]: tensor<4xi32>, %[[J:.*]]: tensor<i32>)
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<0> : tensor<4xi32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<5> : tensor<4xi32>
// CHECK: %[[C:.*]] = "mlax.clamp"(%[[LO]], %[[I]], %[[HI]])
// CHECK: %[[COL:.*]] = "mlax.reshape"(%[[C]]) {new_sizes = array<i64: 4, 1>}
// CHECK: %[[IOTA:.*]] = "mlax.iota"() {dimension = 0 : i64, dtype = i32, shape = array<i64: 4, 1>}
// CHECK: %[[IDX:.*]] = "mlax.concatenate"(%[[IOTA]], %[[COL]]) {dimension = 1 : i64} : (tensor<4x1xi32>, tensor<4x1xi32>) -> tensor<4x2xi32>
// CHECK: %[[G:.*]] = "mlax.gather"(%[[X]], %[[IDX]]) {collapsed_slice_dims = array<i64: 0>, mode = "clip", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0, 1>, start_indices_batching_dims = array<i64>} : (tensor<4x8xf32>, tensor<4x2xi32>) -> tensor<4x3xf32>
// CHECK: %[[Z:.*]] = arith.constant dense<0> : tensor<i32>
// CHECK: %[[D:.*]] = "mlax.dynamic_slice"(%[[X]], %[[Z]], %[[J]]) {slice_sizes = array<i64: 4, 3>}
// CHECK: return %[[G]], %[[D]]
func.func private @vmap_dslice(tensor<4x8xf32>, tensor<4xi32>, tensor<i32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) attributes {mlax.vmap = {callee = @dslice, in_axes = array<i64: 0, 0, -1>, out_axes = array<i64: 0, 0>, axis_size = 4 : i64}}
func.func private @dslice(%x: tensor<8xf32>, %i: tensor<i32>, %j: tensor<i32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.dynamic_slice"(%x, %i) {slice_sizes = array<i64: 3>} : (tensor<8xf32>, tensor<i32>) -> tensor<3xf32>
  %1 = "mlax.dynamic_slice"(%x, %j) {slice_sizes = array<i64: 3>} : (tensor<8xf32>, tensor<i32>) -> tensor<3xf32>
  return %0, %1 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that a gather with batched operand and indices indexes the batch axis with each
// example's position (an iota column in front of the index vectors).
// CHECK-LABEL: func.func private @vmap_gather
// CHECK-SAME: (%[[X:.*]]: tensor<4x5x2xf32>, %[[I:.*]]: tensor<4x3x1xi32>)
// CHECK-NEXT: %[[IOTA:.*]] = "mlax.iota"() {dimension = 0 : i64, dtype = i32, shape = array<i64: 4, 3, 1>}
// CHECK-NEXT: %[[IDX:.*]] = "mlax.concatenate"(%[[IOTA]], %[[I]]) {dimension = 2 : i64} : (tensor<4x3x1xi32>, tensor<4x3x1xi32>) -> tensor<4x3x2xi32>
// CHECK-NEXT: %[[G:.*]] = "mlax.gather"(%[[X]], %[[IDX]]) {collapsed_slice_dims = array<i64: 0, 1>, mode = "clip", offset_dims = array<i64: 2>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 1, 2>, start_index_map = array<i64: 0, 1>, start_indices_batching_dims = array<i64>} : (tensor<4x5x2xf32>, tensor<4x3x2xi32>) -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[G]]
func.func private @vmap_gather(tensor<4x5x2xf32>, tensor<4x3x1xi32>) -> tensor<4x3x2xf32> attributes {mlax.vmap = {callee = @take, in_axes = array<i64: 0, 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @take(%x: tensor<5x2xf32>, %i: tensor<3x1xi32>) -> tensor<3x2xf32> {
  %0 = "mlax.gather"(%x, %i) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 2>, mode = "clip"} : (tensor<5x2xf32>, tensor<3x1xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Tests that a scatter with an unbatched index batches all its operands and scatters
// each example's updates into its own operand.
// CHECK-LABEL: func.func private @vmap_scatter
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>, %[[I:.*]]: tensor<2x1xi32>, %[[U:.*]]: tensor<4x2xf32>)
// CHECK-NEXT: %[[BI:.*]] = "mlax.broadcast_in_dim"(%[[I]]) {broadcast_dimensions = array<i64: 1, 2>, shape = array<i64: 4, 2, 1>}
// CHECK-NEXT: %[[IOTA:.*]] = "mlax.iota"() {dimension = 0 : i64, dtype = i32, shape = array<i64: 4, 2, 1>}
// CHECK-NEXT: %[[IDX:.*]] = "mlax.concatenate"(%[[IOTA]], %[[BI]]) {dimension = 2 : i64}
// CHECK-NEXT: %[[S:.*]] = "mlax.scatter"(%[[X]], %[[IDX]], %[[U]]) {inserted_window_dims = array<i64: 0, 1>, kind = "add", mode = "drop", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0, 1>, scatter_indices_batching_dims = array<i64>, update_window_dims = array<i64>} : (tensor<4x5xf32>, tensor<4x2x2xi32>, tensor<4x2xf32>) -> tensor<4x5xf32>
// CHECK-NEXT: return %[[S]]
func.func private @vmap_scatter(tensor<4x5xf32>, tensor<2x1xi32>, tensor<4x2xf32>) -> tensor<4x5xf32> attributes {mlax.vmap = {callee = @scatter_add, in_axes = array<i64: 0, -1, 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @scatter_add(%x: tensor<5xf32>, %i: tensor<2x1xi32>, %u: tensor<2xf32>) -> tensor<5xf32> {
  %0 = "mlax.scatter"(%x, %i, %u) {kind = "add", update_window_dims = array<i64>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, mode = "drop"} : (tensor<5xf32>, tensor<2x1xi32>, tensor<2xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Tests that calls to an ordinary function are batched by calling one batched copy of it,
// shared by the calls with the same batch axes.
// CHECK-LABEL: func.func private @vmap_calls
// CHECK-NEXT: %[[A:.*]] = call @[[H:helper_batched]](%{{.*}}) : (tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: %[[B:.*]] = call @[[H]](%[[A]]) : (tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[B]]
// CHECK-LABEL: func.func private @helper_batched
// CHECK-NEXT: "mlax.cos"(%{{.*}}) : (tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NOT: func.func private @helper_batched_1
func.func private @vmap_calls(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @twice, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @twice(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @helper(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = func.call @helper(%0) : (tensor<3xf32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}
func.func private @helper(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.cos"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that nested vmap declarations expand innermost first: the outer one batches the
// already batched inner function again.
// CHECK-LABEL: func.func private @outer
// CHECK-NEXT: %[[R:.*]] = call @inner_batched(%{{.*}}) : (tensor<2x5x3xf32>) -> tensor<2x5xf32>
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func private @inner(
// CHECK-NEXT: "mlax.abs"(%{{.*}}) : (tensor<5x3xf32>) -> tensor<5x3xf32>
// CHECK-NEXT: "mlax.reduce_sum"(%{{.*}}) {axes = array<i64: 1>} : (tensor<5x3xf32>) -> tensor<5xf32>
// CHECK-LABEL: func.func private @inner_batched
// CHECK-NEXT: "mlax.abs"(%{{.*}}) : (tensor<2x5x3xf32>) -> tensor<2x5x3xf32>
// CHECK-NEXT: "mlax.reduce_sum"(%{{.*}}) {axes = array<i64: 2>} : (tensor<2x5x3xf32>) -> tensor<2x5xf32>
func.func private @outer(tensor<2x5x3xf32>) -> tensor<2x5xf32> attributes {mlax.vmap = {callee = @mid, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 2 : i64}}
func.func private @mid(%x: tensor<5x3xf32>) -> tensor<5xf32> {
  %0 = func.call @inner(%x) : (tensor<5x3xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}
func.func private @inner(tensor<5x3xf32>) -> tensor<5xf32> attributes {mlax.vmap = {callee = @norm1, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 5 : i64}}
func.func private @norm1(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = "mlax.abs"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.reduce_sum"(%0) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that a result that does not depend on a batched operand is returned as it is
// for out_axes -1, and broadcast along the batch axis for out_axes 0.
// CHECK-LABEL: func.func private @vmap_const
// CHECK-SAME: -> (tensor<3xf32>, tensor<4x3xf32>)
// CHECK-NEXT: %[[N:.*]] = "mlax.neg"(%{{.*}}) : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[N]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 4, 3>}
// CHECK-NEXT: return %[[N]], %[[B]] : tensor<3xf32>, tensor<4x3xf32>
func.func private @vmap_const(tensor<4x3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>) attributes {mlax.vmap = {callee = @const, in_axes = array<i64: 0, -1>, out_axes = array<i64: -1, 0>, axis_size = 4 : i64}}
func.func private @const(%x: tensor<3xf32>, %w: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.neg"(%w) : (tensor<3xf32>) -> tensor<3xf32>
  return %0, %0 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that a cond with a batched index runs both branches on the batch and selects per
// example.
// CHECK-LABEL: func.func private @vmap_cond
// CHECK-SAME: (%[[I:.*]]: tensor<4xi32>, %[[X:.*]]: tensor<4x3xf32>)
// CHECK-NEXT: %[[R0:.*]] = call @b0_batched(%[[X]])
// CHECK-NEXT: %[[R1:.*]] = call @b1_batched(%[[X]])
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1> : tensor<4xi32>
// CHECK-NEXT: %[[P:.*]] = "mlax.ge"(%[[I]], %[[ONE]])
// CHECK-NEXT: %[[PB:.*]] = "mlax.broadcast_in_dim"(%[[P]]) {broadcast_dimensions = array<i64: 0>, shape = array<i64: 4, 3>}
// CHECK-NEXT: %[[S:.*]] = "mlax.select"(%[[PB]], %[[R1]], %[[R0]])
// CHECK-NEXT: return %[[S]]
func.func private @vmap_cond(tensor<4xi32>, tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @pick, in_axes = array<i64: 0, 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @pick(%i: tensor<i32>, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @cond(%i, %x) : (tensor<i32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @cond(tensor<i32>, tensor<3xf32>) -> tensor<3xf32> attributes {mlax.cond = {branches = [@b0, @b1]}}
func.func private @b0(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.neg"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @b1(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.exp"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a cond with an unbatched index stays a cond, of the batched branches.
// CHECK-LABEL: func.func private @vmap_cond
// CHECK-SAME: (%[[I:.*]]: tensor<i32>, %[[X:.*]]: tensor<4x3xf32>)
// CHECK-NEXT: %[[R:.*]] = call @cond_batched(%[[I]], %[[X]]) : (tensor<i32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func private @b0_batched
// CHECK-NEXT: "mlax.neg"(%{{.*}}) : (tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-LABEL: func.func private @b1_batched
// CHECK: func.func private @cond_batched(tensor<i32>, tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.cond = {branches = [@b0_batched, @b1_batched]}}
func.func private @vmap_cond(tensor<i32>, tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @pick, in_axes = array<i64: -1, 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @pick(%i: tensor<i32>, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @cond(%i, %x) : (tensor<i32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @cond(tensor<i32>, tensor<3xf32>) -> tensor<3xf32> attributes {mlax.cond = {branches = [@b0, @b1]}}
func.func private @b0(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.neg"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @b1(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}

// -----

// Tests that a while loop with a batched predicate runs while any example's predicate
// holds, and keeps the state of the examples that are done.
// CHECK-LABEL: func.func private @vmap_loop
// CHECK: %[[R:.*]]:2 = call @while_batched(%{{.*}}, %{{.*}}) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: return %[[R]]#0
// CHECK-LABEL: func.func private @while_cond_any
// CHECK-NEXT: %[[P:.*]] = call @[[COND:lt_batched.*]](%{{.*}}, %{{.*}}) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK-NEXT: %[[ANY:.*]] = "mlax.reduce_or"(%[[P]]) {axes = array<i64: 0>} : (tensor<4xi1>) -> tensor<i1>
// CHECK-NEXT: return %[[ANY]]
// CHECK-LABEL: func.func private @while_body_masked
// CHECK-SAME: (%[[S0:.*]]: tensor<4xf32>, %[[S1:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[P:.*]] = call @[[COND]](%[[S0]], %[[S1]])
// CHECK-NEXT: %[[N:.*]]:2 = call @step_batched{{.*}}(%[[S0]], %[[S1]])
// CHECK-NEXT: %[[A:.*]] = "mlax.select"(%[[P]], %[[N]]#0, %[[S0]])
// CHECK-NEXT: %[[B:.*]] = "mlax.select"(%[[P]], %[[N]]#1, %[[S1]])
// CHECK-NEXT: return %[[A]], %[[B]]
// CHECK: func.func private @while_batched(tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {mlax.while = {body = @while_body_masked, cond = @while_cond_any, num_consts = 0 : i64}}
func.func private @vmap_loop(tensor<4xf32>) -> tensor<4xf32> attributes {mlax.vmap = {callee = @count, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @count(%n: tensor<f32>) -> tensor<f32> {
  %z = arith.constant dense<0.0> : tensor<f32>
  %0:2 = func.call @while(%z, %n) : (tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
  return %0#0 : tensor<f32>
}
func.func private @while(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.while = {cond = @lt, body = @step, num_consts = 0 : i64}}
func.func private @lt(%i: tensor<f32>, %n: tensor<f32>) -> tensor<i1> {
  %0 = "mlax.lt"(%i, %n) : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @step(%i: tensor<f32>, %n: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %0 = "mlax.add"(%i, %one) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %n : tensor<f32>, tensor<f32>
}

// -----

// Tests that a scan over batched xs keeps the batch axis off the scanned axis 0, batches
// the carry the body makes batched, and returns ys batched along axis 1.
// CHECK-LABEL: func.func private @vmap_scan
// CHECK-SAME: (%[[XS:.*]]: tensor<4x6xf32>)
// CHECK: %[[T:.*]] = "mlax.transpose"(%[[XS]]) {permutation = array<i64: 1, 0>} : (tensor<4x6xf32>) -> tensor<6x4xf32>
// CHECK: %[[C:.*]] = "mlax.broadcast_in_dim"(%{{.*}}) {broadcast_dimensions = array<i64>, shape = array<i64: 4>}
// CHECK-NEXT: %[[R:.*]]:2 = call @scan_batched(%[[C]], %[[T]]) : (tensor<4xf32>, tensor<6x4xf32>) -> (tensor<4xf32>, tensor<6x4xf32>)
// CHECK-NEXT: %[[Y:.*]] = "mlax.transpose"(%[[R]]#1) {permutation = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]#0, %[[Y]]
// CHECK: func.func private @scan_batched(tensor<4xf32>, tensor<6x4xf32>) -> (tensor<4xf32>, tensor<6x4xf32>) attributes {mlax.scan = {body = @acc_batched{{.*}}, length = 6 : i64, num_carry = 1 : i64, num_consts = 0 : i64, reverse = false}}
func.func private @vmap_scan(tensor<4x6xf32>) -> (tensor<4xf32>, tensor<4x6xf32>) attributes {mlax.vmap = {callee = @cumsum, in_axes = array<i64: 0>, out_axes = array<i64: 0, 0>, axis_size = 4 : i64}}
func.func private @cumsum(%xs: tensor<6xf32>) -> (tensor<f32>, tensor<6xf32>) {
  %z = arith.constant dense<0.0> : tensor<f32>
  %0:2 = func.call @scan(%z, %xs) : (tensor<f32>, tensor<6xf32>) -> (tensor<f32>, tensor<6xf32>)
  return %0#0, %0#1 : tensor<f32>, tensor<6xf32>
}
func.func private @scan(tensor<f32>, tensor<6xf32>) -> (tensor<f32>, tensor<6xf32>) attributes {mlax.scan = {body = @acc, length = 6 : i64, reverse = false, num_carry = 1 : i64, num_consts = 0 : i64}}
func.func private @acc(%c: tensor<f32>, %x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mlax.add"(%c, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %0 : tensor<f32>, tensor<f32>
}

// -----

// Tests that a custom_jvp call stays a custom_jvp, of the batched function and the
// batched rule, so that differentiating the batched program still uses the rule.
// CHECK-LABEL: func.func private @vmap_f
// CHECK-NEXT: %[[R:.*]] = call @custom_jvp_batched(%{{.*}}) : (tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func private @f_batched
// CHECK-NEXT: "mlax.sin"(%{{.*}}) : (tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-LABEL: func.func private @f_jvp_batched
// CHECK-SAME: (%{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK: func.func private @custom_jvp_batched(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.custom_jvp = {callee = @f_batched, jvp = @f_jvp_batched, num_args = 1 : i64, num_callee_consts = 0 : i64}}
func.func private @vmap_f(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @g, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @g(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @cj(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @cj(tensor<3xf32>) -> tensor<3xf32> attributes {mlax.custom_jvp = {callee = @f, jvp = @f_jvp, num_args = 1 : i64, num_callee_consts = 0 : i64}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @f_jvp(%x: tensor<3xf32>, %t: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.cos"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.mul"(%1, %t) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %2 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that a custom_vjp call batches every argument and its forward and backward
// functions, and stays a custom_vjp.
// CHECK-LABEL: func.func private @vmap_f
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[WB:.*]] = "mlax.broadcast_in_dim"(%[[W]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 4, 3>}
// CHECK-NEXT: %[[R:.*]] = call @custom_vjp_batched(%[[X]], %[[WB]]) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[R]]
// CHECK-LABEL: func.func private @f_bwd_batched
// CHECK-SAME: (%{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK: func.func private @custom_vjp_batched(tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.custom_vjp = {bwd = @f_bwd_batched, callee = @f_batched, fwd = @f_fwd_batched, num_args = 2 : i64, num_callee_consts = 0 : i64, num_fwd_consts = 0 : i64, num_res = 1 : i64}}
func.func private @vmap_f(tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @g, in_axes = array<i64: 0, -1>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @g(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @cv(%x, %w) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @cv(tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> attributes {mlax.custom_vjp = {callee = @f, fwd = @f_fwd, bwd = @f_bwd, num_args = 2 : i64, num_callee_consts = 0 : i64, num_fwd_consts = 0 : i64, num_res = 1 : i64}}
func.func private @f(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.mul"(%x, %w) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @f_fwd(%x: tensor<3xf32>, %w: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.mul"(%x, %w) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %x : tensor<3xf32>, tensor<3xf32>
}
func.func private @f_bwd(%r: tensor<3xf32>, %ct: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.mul"(%r, %ct) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %ct, %0 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that an op without a batching rule is an error naming it, at the op.
// ERR: mlax-vmap.mlir:[[@LINE+3]]:8: error: Batching rule for 'arith.addf' not implemented
func.func private @vmap_f(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @f, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = arith.addf %x, %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that out_axes -1 for a result that depends on a batched operand is an error.
// ERR: mlax-vmap.mlir:[[@LINE+4]]:3: error: vmap has mapped output but out_axes is None (result 0 of @f depends on a batched operand)
func.func private @vmap_f(tensor<4x3xf32>) -> tensor<3xf32> attributes {mlax.vmap = {callee = @f, in_axes = array<i64: 0>, out_axes = array<i64: -1>, axis_size = 4 : i64}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.neg"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a declaration whose operand types do not fit its callee and in_axes is an error.
// ERR: mlax-vmap.mlir:[[@LINE+1]]:1: error: @vmap_f: operand 0 has type tensor<3x4xf32>, but tensor<3xf32> of @f batched along axis 0 with size 4 is tensor<4x3xf32>
func.func private @vmap_f(tensor<3x4xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @f, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}

// -----

// Tests that a call to a function without a body cannot be batched.
// ERR: mlax-vmap.mlir:[[@LINE+3]]:8: error: vmap cannot batch a call to @ext: it is an external function
func.func private @vmap_f(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @f, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @ext(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @ext(tensor<3xf32>) -> tensor<3xf32>

// -----

// Tests that a vmap of another transform needs that transform expanded first.
// ERR: mlax-vmap.mlir:[[@LINE+1]]:1: error: @vmap_g needs @g (mlax.grad) expanded first
func.func private @vmap_g(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @g, in_axes = array<i64: 0>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
func.func private @g(tensor<3xf32>) -> tensor<3xf32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>, has_aux = false, value = false}}
func.func private @f(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
