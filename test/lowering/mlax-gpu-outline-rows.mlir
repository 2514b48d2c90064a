// RUN: mlax-opt %s --split-input-file --mlax-gpu-outline-rows | FileCheck %s

// Sorts, top_k and scans along rows moved into marked functions (mlax.backends.cuda.rows),
// which --mlax-gpu-row-kernels replaces by row kernels after bufferization.

// Tests that an argsort's sort (keys and an iota, along the last axis) becomes a no_inline
// call of a private function holding it, marked with its kind and key dtype.
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_0
// CHECK-SAME: attributes {mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", kind = "sort"}}
// CHECK: "mlax.sort"(%{{.*}}, %{{.*}}) {dimension = 1 : i64, is_stable = true}
// CHECK-LABEL: func.func @argsort
// CHECK: %[[R:.*]]:2 = call @__mlax_gpu_row_kernel_0(%{{.*}}, %{{.*}}) {no_inline}
// CHECK: return %[[R]]#1
func.func @argsort(%x: tensor<8x300xf32>, %i: tensor<8x300xi32>) -> tensor<8x300xi32> {
  %0:2 = "mlax.sort"(%x, %i) {dimension = 1 : i64, is_stable = true} : (tensor<8x300xf32>, tensor<8x300xi32>) -> (tensor<8x300xf32>, tensor<8x300xi32>)
  return %0#1 : tensor<8x300xi32>
}

// -----

// Tests that top_k keeps its k in the mark.
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_0
// CHECK-SAME: mlax.gpu_row_kernel = {axis = 0 : i64, dtype = "int32", k = 3 : i64, kind = "top_k"}
// CHECK-LABEL: func.func @top_k
// CHECK: call @__mlax_gpu_row_kernel_0(%{{.*}}) {no_inline}
func.func @top_k(%x: tensor<100xi32>) -> (tensor<3xi32>, tensor<3xi32>) {
  %0:2 = "mlax.top_k"(%x) {k = 3 : i64} : (tensor<100xi32>) -> (tensor<3xi32>, tensor<3xi32>)
  return %0#0, %0#1 : tensor<3xi32>, tensor<3xi32>
}

// -----

// Tests that a row longer than a block sorts is outlined too (it is sorted in global
// memory), and that complex keys stay (the linalg lowering's merge sort).
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_0
// CHECK-SAME: tensor<4097xf32>
// CHECK-LABEL: func.func @stay
// CHECK: call @__mlax_gpu_row_kernel_0(%{{.*}}) {no_inline}
// CHECK: "mlax.sort"(%{{.*}}) {{.*}} (tensor<8xcomplex<f32>>)
func.func @stay(%a: tensor<4097xf32>, %c: tensor<8xcomplex<f32>>) -> (tensor<4097xf32>, tensor<8xcomplex<f32>>) {
  %0 = "mlax.sort"(%a) {dimension = 0 : i64, is_stable = true} : (tensor<4097xf32>) -> tensor<4097xf32>
  %1 = "mlax.sort"(%c) {dimension = 0 : i64, is_stable = true} : (tensor<8xcomplex<f32>>) -> tensor<8xcomplex<f32>>
  return %0, %1 : tensor<4097xf32>, tensor<8xcomplex<f32>>
}

// -----

// Tests that scans keep their axis and direction in the mark, along either axis.
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_1
// CHECK-SAME: mlax.gpu_row_kernel = {axis = 0 : i64, dtype = "float32", kind = "cumsum", reverse = false}
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_0
// CHECK-SAME: mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", kind = "cumsum", reverse = true}
// CHECK-LABEL: func.func @scans
// CHECK: call @__mlax_gpu_row_kernel_0(%{{.*}}) {no_inline}
// CHECK: call @__mlax_gpu_row_kernel_1(%{{.*}}) {no_inline}
func.func @scans(%x: tensor<8x3000xf32>) -> (tensor<8x3000xf32>, tensor<8x3000xf32>) {
  %0 = "mlax.cumsum"(%x) {axis = 1 : i64, reverse = true} : (tensor<8x3000xf32>) -> tensor<8x3000xf32>
  %1 = "mlax.cumsum"(%x) {axis = 0 : i64, reverse = false} : (tensor<8x3000xf32>) -> tensor<8x3000xf32>
  return %0, %1 : tensor<8x3000xf32>, tensor<8x3000xf32>
}

// -----

// Tests that sorts and scans of rank-3 operands are outlined too, along any axis.
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_1
// CHECK-SAME: mlax.gpu_row_kernel = {axis = 2 : i64, dtype = "float32", kind = "cumsum", reverse = false}
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_0
// CHECK-SAME: mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", kind = "sort"}
// CHECK-LABEL: func.func @rank3
// CHECK: call @__mlax_gpu_row_kernel_0(%{{.*}}) {no_inline}
// CHECK: call @__mlax_gpu_row_kernel_1(%{{.*}}) {no_inline}
func.func @rank3(%x: tensor<2x7x5xf32>) -> (tensor<2x7x5xf32>, tensor<2x7x5xf32>) {
  %0 = "mlax.sort"(%x) {dimension = 1 : i64, is_stable = true} : (tensor<2x7x5xf32>) -> tensor<2x7x5xf32>
  %1 = "mlax.cumsum"(%x) {axis = 2 : i64, reverse = false} : (tensor<2x7x5xf32>) -> tensor<2x7x5xf32>
  return %0, %1 : tensor<2x7x5xf32>, tensor<2x7x5xf32>
}

// -----

// Tests that a scatter-add of float32 is outlined with its attributes in the mark, and
// that a scatter that sets stays (its last update must win: the sequential loop).
// CHECK-LABEL: func.func private @__mlax_gpu_row_kernel_0
// CHECK-SAME: kind = "scatter_add"
// CHECK-SAME: scatter = {
// CHECK-SAME: mode = "fill"
// CHECK-LABEL: func.func @scatters
// CHECK: call @__mlax_gpu_row_kernel_0(%{{.*}}) {no_inline}
// CHECK: "mlax.scatter"
// CHECK-SAME: kind = "set"
func.func @scatters(%x: tensor<50x8xf32>, %i: tensor<300x1xi32>, %u: tensor<300x8xf32>) -> (tensor<50x8xf32>, tensor<50x8xf32>) {
  %0 = "mlax.scatter"(%x, %i, %u) {indices_are_sorted = false, inserted_window_dims = array<i64: 0>, kind = "add", mode = "fill", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, unique_indices = false, update_window_dims = array<i64: 1>} : (tensor<50x8xf32>, tensor<300x1xi32>, tensor<300x8xf32>) -> tensor<50x8xf32>
  %1 = "mlax.scatter"(%x, %i, %u) {indices_are_sorted = false, inserted_window_dims = array<i64: 0>, kind = "set", mode = "fill", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, unique_indices = false, update_window_dims = array<i64: 1>} : (tensor<50x8xf32>, tensor<300x1xi32>, tensor<300x8xf32>) -> tensor<50x8xf32>
  return %0, %1 : tensor<50x8xf32>, tensor<50x8xf32>
}
