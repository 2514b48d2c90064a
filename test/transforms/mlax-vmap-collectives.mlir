// RUN: mlax-opt %s --split-input-file --mlax-vmap | FileCheck %s
// RUN: not mlax-opt %s --split-input-file --mlax-vmap --mlax-lower-to-linalg 2>&1 | FileCheck %s --check-prefix=ERR

// `--mlax-vmap` of a declaration with an axis_name turns the mlax.collective ops naming that
// axis into reductions over the batch axis; their results are no longer batched (here
// broadcast back for the division). A collective naming another axis stays an op.

// Tests that psum over the mapped axis "i" becomes a reduce_sum over the batch axis 0.
// CHECK-LABEL: func.func private @vmap_norm
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %{{.*}}: tensor<4xi32>) -> tensor<4x3xf32>
// CHECK-NEXT: %[[S:.*]] = "mlax.reduce_sum"(%[[X]]) {axes = array<i64: 0>} : (tensor<4x3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[S]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 4, 3>}
// CHECK-NEXT: %[[D:.*]] = "mlax.div"(%[[X]], %[[B]])
// CHECK-NEXT: return %[[D]] : tensor<4x3xf32>
func.func private @vmap_norm(tensor<4x3xf32>, tensor<4xi32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @norm, in_axes = array<i64: 0, 0>, out_axes = array<i64: 0>, axis_size = 4 : i64, axis_name = "i"}}
func.func private @norm(%x: tensor<3xf32>, %i: tensor<i32>) -> tensor<3xf32> {
  %s = "mlax.collective"(%x, %i) {kind = "sum", axis_name = "i", axis_size = 4 : i64} : (tensor<3xf32>, tensor<i32>) -> tensor<3xf32>
  %0 = "mlax.div"(%x, %s) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a collective over another axis ("j") applies to every member of this batch:
// the op stays, on the batched operand, and its result is batched; no vmap names "j", so
// the lowering reports the unbound name at the op.
// CHECK-LABEL: func.func private @vmap_outer
// CHECK: "mlax.collective"(%{{.*}}, %{{.*}}) {axis_name = "j", axis_size = 2 : i64, kind = "max"} : (tensor<4x3xf32>, tensor<i32>) -> tensor<4x3xf32>
// ERR: error: mlax.collective: unbound axis name 'j': no enclosing mlax.vmap declaration has that axis_name
func.func private @vmap_outer(tensor<4x3xf32>, tensor<4xi32>, tensor<i32>) -> tensor<4x3xf32> attributes {mlax.vmap = {callee = @inner, in_axes = array<i64: 0, 0, -1>, out_axes = array<i64: 0>, axis_size = 4 : i64, axis_name = "i"}}
func.func private @inner(%x: tensor<3xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<3xf32> {
  %m = "mlax.collective"(%x, %j) {kind = "max", axis_name = "j", axis_size = 2 : i64} : (tensor<3xf32>, tensor<i32>) -> tensor<3xf32>
  return %m : tensor<3xf32>
}
