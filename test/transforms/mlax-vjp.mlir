// RUN: mlax-opt %s --split-input-file --mlax-vjp --mlax-simplify | FileCheck %s

// `--mlax-vjp` gives each mlax.vjp declaration the vector-Jacobian product of its callee:
// (primals..., one cotangent per result...) -> (cotangents of the argnums operands...).
// The rules of the linear ops are their transposes.

// Tests the VJP of exp(x * y) with respect to x: (ct * exp(x * y)) * y, the forward
// exp reused.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>, %[[Y:.*]]: tensor<3xf32>, %[[CT:.*]]: tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[P:.*]] = "mlax.mul"(%[[X]], %[[Y]])
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[P]])
// CHECK-NEXT: %[[A:.*]] = "mlax.mul"(%[[CT]], %[[E]])
// CHECK-NEXT: %[[G:.*]] = "mlax.mul"(%[[A]], %[[Y]])
// CHECK-NEXT: return %[[G]]
func.func private @vjp_f(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.mul"(%x, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.exp"(%0) : (tensor<3xf32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}

// -----

// Tests the reduce_max rule (the cotangent split between the positions of the maximum)
// and that the cotangent of an integer result (argmax) is ignored.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[CT:.*]]: tensor<3xf32>, %{{.*}}: tensor<i32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[M:.*]] = "mlax.reduce_max"(%[[X]])
// CHECK-NEXT: %[[MB:.*]] = "mlax.broadcast_in_dim"(%[[M]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>}
// CHECK-NEXT: %[[EQ:.*]] = "mlax.eq"(%[[X]], %[[MB]])
// CHECK-NEXT: %[[LOC:.*]] = "mlax.convert_element_type"(%[[EQ]]) {new_dtype = f32}
// CHECK-NEXT: %[[N:.*]] = "mlax.reduce_sum"(%[[LOC]]) {axes = array<i64: 0>}
// CHECK-NEXT: %[[D:.*]] = "mlax.div"(%[[CT]], %[[N]])
// CHECK-NEXT: %[[DB:.*]] = "mlax.broadcast_in_dim"(%[[D]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>}
// CHECK-NEXT: %[[G:.*]] = "mlax.mul"(%[[DB]], %[[LOC]])
// CHECK-NEXT: return %[[G]]
func.func private @vjp_f(tensor<2x3xf32>, tensor<3xf32>, tensor<i32>) -> tensor<2x3xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<2x3xf32>) -> (tensor<3xf32>, tensor<i32>) {
  %0 = "mlax.reduce_max"(%x) {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<3xf32>
  %1 = "mlax.argmax"(%0) {axis = 0 : i64, index_dtype = i32} : (tensor<3xf32>) -> tensor<i32>
  return %0, %1 : tensor<3xf32>, tensor<i32>
}

// -----

// Tests that the transpose of a transpose is the inverse permutation.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32>, %[[CT:.*]]: tensor<3x2xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[T:.*]] = "mlax.transpose"(%[[CT]]) {permutation = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[T]]
func.func private @vjp_f(tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x3xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = "mlax.transpose"(%x) {permutation = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Tests that the transpose of a strided slice pads the cotangent back: elements 1 and 3 of
// four, so low padding 1, interior padding 1, high padding 0.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%{{.*}}: tensor<4xf32>, %[[CT:.*]]: tensor<2xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[P:.*]] = "mlax.pad"(%[[CT]], %[[Z]]) {high = array<i64: 0>, interior = array<i64: 1>, low = array<i64: 1>}
// CHECK-NEXT: return %[[P]]
func.func private @vjp_f(tensor<4xf32>, tensor<2xf32>) -> tensor<4xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<4xf32>) -> tensor<2xf32> {
  %0 = "mlax.slice"(%x) {start_indices = array<i64: 1>, limit_indices = array<i64: 4>, strides = array<i64: 2>} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests that the call sites of a vjp declaration are left alone: only the declaration
// gets a body.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>, %[[CT:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[C:.*]] = "mlax.cos"(%[[X]])
// CHECK-NEXT: %[[G:.*]] = "mlax.mul"(%[[CT]], %[[C]])
// CHECK-NEXT: return %[[G]]
// CHECK-LABEL: func.func @main
// CHECK-NEXT: call @vjp_f
func.func private @vjp_f(tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func @main(%x: tensor<3xf32>, %ct: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @vjp_f(%x, %ct) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests the transpose of a promise_in_bounds gather (jnp indexing's default): a scatter-add
// at the unclamped indices that drops out-of-bounds cotangents, as JAX's gradient does.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%{{.*}}: tensor<5xf32>, %[[I:.*]]: tensor<2x1xi32>, %[[CT:.*]]: tensor<2xf32>) -> tensor<5xf32>
// CHECK-NEXT: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<5xf32>
// CHECK-NEXT: %[[G:.*]] = "mlax.scatter"(%[[Z]], %[[I]], %[[CT]]) {{.*}}kind = "add", mode = "drop"
// CHECK-NEXT: return %[[G]]
func.func private @vjp_f(tensor<5xf32>, tensor<2x1xi32>, tensor<2xf32>) -> tensor<5xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<5xf32>, %i: tensor<2x1xi32>) -> tensor<2xf32> {
  %0 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "promise_in_bounds", offset_dims = array<i64>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5xf32>, tensor<2x1xi32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests the transpose of a clip gather: the indices are clamped first, so an out-of-bounds
// read's cotangent lands on the element it read.
// CHECK-LABEL: func.func private @vjp_f
// CHECK-SAME: (%{{.*}}: tensor<5xf32>, %[[I:.*]]: tensor<2x1xi32>, %[[CT:.*]]: tensor<2xf32>) -> tensor<5xf32>
// CHECK: %[[C:.*]] = "mlax.clamp"(%{{.*}}, %[[I]], %{{.*}})
// CHECK: %[[G:.*]] = "mlax.scatter"(%{{.*}}, %[[C]], %[[CT]]) {{.*}}kind = "add", mode = "drop"
// CHECK-NEXT: return %[[G]]
func.func private @vjp_f(tensor<5xf32>, tensor<2x1xi32>, tensor<2xf32>) -> tensor<5xf32> attributes {mlax.vjp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<5xf32>, %i: tensor<2x1xi32>) -> tensor<2xf32> {
  %0 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "clip", offset_dims = array<i64>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5xf32>, tensor<2x1xi32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
