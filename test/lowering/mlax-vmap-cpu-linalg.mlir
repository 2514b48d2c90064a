// RUN: mlax-opt %s --pipeline=mlax-opt --pipeline=cpu-linalg | FileCheck %s

// jit(vmap(apply_matrix)) from the tutorial, as traced: the batched matrix-vector product
// lowers to one contraction over (batch, rows, columns), with no loop over the batch.

// Tests that vmap of a matrix-vector product lowers to a single matrix-matrix linalg.generic.
// CHECK-LABEL: func.func @batched_apply_matrix
// CHECK-NOT: linalg.generic
// CHECK-NOT: scf.for
// CHECK: %[[INIT:.*]] = linalg.fill {{.*}} -> tensor<10x150xf32>
// CHECK-NEXT: %[[D:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<10x100xf32>, tensor<150x100xf32>) outs(%[[INIT]] : tensor<10x150xf32>)
// CHECK: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK: return %[[D]] : tensor<10x150xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: scf.for
func.func @batched_apply_matrix(%m: tensor<150x100xf32>, %x: tensor<10x100xf32>) -> tensor<10x150xf32> {
  %0 = func.call @vmap_apply_matrix(%m, %x) : (tensor<150x100xf32>, tensor<10x100xf32>) -> tensor<10x150xf32>
  return %0 : tensor<10x150xf32>
}
func.func private @vmap_apply_matrix(tensor<150x100xf32>, tensor<10x100xf32>) -> tensor<10x150xf32> attributes {mlax.vmap = {callee = @apply_matrix, in_axes = array<i64: -1, 0>, out_axes = array<i64: 0>, axis_size = 10 : i64}}
func.func private @apply_matrix(%m: tensor<150x100xf32>, %v: tensor<100xf32>) -> tensor<150xf32> {
  %0 = "mlax.dot_general"(%m, %v) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<150x100xf32>, tensor<100xf32>) -> tensor<150xf32>
  return %0 : tensor<150xf32>
}
