// RUN: not mlax-opt %s --split-input-file --mlax-lower-to-linalg -o %t 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --input-file=%t

// gather is a linalg.generic over its result whose body reads the start indices and the
// operand with tensor.extract; scatter is an scf.for nest over the updates that reads,
// combines and writes back one operand element at a time (duplicates accumulate).
// The last case is an error (ERR).

// Tests that gather in clip mode clamps the start index to [0, dim - slice size] and adds
// the offset dim's loop index.
// CHECK-LABEL: func.func @gather_rows
// CHECK-SAME: (%[[X:.*]]: tensor<5x4xf32> {{.*}}, %[[I:.*]]: tensor<3x1xi32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x4xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} outs(%[[E]] : tensor<3x4xf32>)
// CHECK: %[[B:.*]] = linalg.index 0 : index
// CHECK: %[[O:.*]] = linalg.index 1 : index
// CHECK: %[[S:.*]] = tensor.extract %[[I]][%[[B]], %{{.*}}] : tensor<3x1xi32>
// CHECK: %[[SI:.*]] = arith.index_cast %[[S]] : i32 to index
// CHECK: %[[LO:.*]] = arith.maxsi %[[SI]]
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[ST:.*]] = arith.minsi %[[LO]], %[[C4]] : index
// CHECK: %[[COL:.*]] = arith.addi %{{.*}}, %[[O]] : index
// CHECK: %[[V:.*]] = tensor.extract %[[X]][%[[ST]], %[[COL]]] : tensor<5x4xf32>
// CHECK: linalg.yield %[[V]] : f32
// CHECK: return %[[R]]
func.func @gather_rows(%x: tensor<5x4xf32>, %i: tensor<3x1xi32>) -> tensor<3x4xf32> {
  %0 = "mlax.gather"(%x, %i) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 4>, mode = "clip"} : (tensor<5x4xf32>, tensor<3x1xi32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Tests that gather in fill mode selects NaN where a start index is out of bounds.
// CHECK-LABEL: func.func @gather_fill
// CHECK: linalg.generic
// CHECK: %[[GE:.*]] = arith.cmpi sge, %{{.*}}, %{{.*}} : index
// CHECK: %[[LE:.*]] = arith.cmpi sle, %{{.*}}, %{{.*}} : index
// CHECK: %[[OK:.*]] = arith.andi %[[GE]], %[[LE]] : i1
// CHECK: %[[V:.*]] = tensor.extract %{{.*}} : tensor<5x4xf32>
// CHECK: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[R:.*]] = arith.select %[[OK]], %[[V]], %[[NAN]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @gather_fill(%x: tensor<5x4xf32>, %i: tensor<3x1xi32>) -> tensor<3x4xf32> {
  %0 = "mlax.gather"(%x, %i) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1, 4>, mode = "fill"} : (tensor<5x4xf32>, tensor<3x1xi32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Tests that operand batching dims take their start from the matching batch index.
// CHECK-LABEL: func.func @gather_batched
// CHECK: linalg.generic
// CHECK: %[[B:.*]] = linalg.index 0 : index
// CHECK: %[[O:.*]] = linalg.index 1 : index
// CHECK: %[[S:.*]] = tensor.extract %{{.*}}[%[[B]], %{{.*}}] : tensor<3x1xi32>
// CHECK: %[[ST:.*]] = arith.minsi
// CHECK: %[[COL:.*]] = arith.addi %{{.*}}, %[[O]] : index
// CHECK: tensor.extract %{{.*}}[%[[B]], %[[ST]], %[[COL]]] : tensor<3x5x4xf32>
func.func @gather_batched(%x: tensor<3x5x4xf32>, %i: tensor<3x1xi32>) -> tensor<3x4xf32> {
  %0 = "mlax.gather"(%x, %i) {offset_dims = array<i64: 1>, collapsed_slice_dims = array<i64: 1>, start_index_map = array<i64: 1>, operand_batching_dims = array<i64: 0>, start_indices_batching_dims = array<i64: 0>, slice_sizes = array<i64: 1, 1, 4>, mode = "clip"} : (tensor<3x5x4xf32>, tensor<3x1xi32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Tests that scatter-add loops over the updates with the operand as the carried tensor,
// and keeps the old element where the index is out of bounds (mode drop).
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME: (%[[X:.*]]: tensor<5xf32> {{.*}}, %[[I:.*]]: tensor<3x1xi32> {{.*}}, %[[U:.*]]: tensor<3xf32>
// CHECK: %[[R:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[X]]) -> (tensor<5xf32>)
// CHECK: %[[S:.*]] = tensor.extract %[[I]][%[[K]], %{{.*}}] : tensor<3x1xi32>
// CHECK: %[[OK:.*]] = arith.andi
// CHECK: %[[P:.*]] = arith.minsi
// CHECK: %[[OLD:.*]] = tensor.extract %[[ACC]][%[[P]]] : tensor<5xf32>
// CHECK: %[[UPD:.*]] = tensor.extract %[[U]][%[[K]]] : tensor<3xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %[[UPD]] : f32
// CHECK: %[[NEW:.*]] = arith.select %[[OK]], %[[SUM]], %[[OLD]] : f32
// CHECK: %[[INS:.*]] = tensor.insert %[[NEW]] into %[[ACC]][%[[P]]] : tensor<5xf32>
// CHECK: scf.yield %[[INS]] : tensor<5xf32>
// CHECK: return %[[R]]
func.func @scatter_add(%x: tensor<5xf32>, %i: tensor<3x1xi32>, %u: tensor<3xf32>) -> tensor<5xf32> {
  %0 = "mlax.scatter"(%x, %i, %u) {kind = "add", update_window_dims = array<i64>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, mode = "drop"} : (tensor<5xf32>, tensor<3x1xi32>, tensor<3xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Tests that scatter with a window loops over the window dims too, that clip mode clamps
// instead of dropping, and that max on signed ints picks arith.maxsi.
// CHECK-LABEL: func.func @scatter_max_window_clip
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: arith.select
// CHECK: arith.minsi
// CHECK: %[[OLD:.*]] = tensor.extract
// CHECK: %[[UPD:.*]] = tensor.extract
// CHECK: %[[M:.*]] = arith.maxsi %[[OLD]], %[[UPD]] : i32
// CHECK: tensor.insert %[[M]]
func.func @scatter_max_window_clip(%x: tensor<5x3xi32>, %i: tensor<2x1xi32>, %u: tensor<2x3xi32>) -> tensor<5x3xi32> {
  %0 = "mlax.scatter"(%x, %i, %u) {kind = "max", update_window_dims = array<i64: 1>, inserted_window_dims = array<i64: 0>, scatter_dims_to_operand_dims = array<i64: 0>, operand_batching_dims = array<i64>, scatter_indices_batching_dims = array<i64>, mode = "clip"} : (tensor<5x3xi32>, tensor<2x1xi32>, tensor<2x3xi32>) -> tensor<5x3xi32>
  return %0 : tensor<5x3xi32>
}

// -----

// Tests that an unknown gather mode is an error at the op (the op's verifier rejects it).
// ERR: mlax-lower-to-linalg-gather-scatter.mlir:[[@LINE+2]]:8: error: 'mlax.gather' op unknown mode 'wrap' (expected clip, fill or promise_in_bounds)
func.func @gather_bad_mode(%x: tensor<5xf32>, %i: tensor<1x1xi32>) -> tensor<1xf32> {
  %0 = "mlax.gather"(%x, %i) {offset_dims = array<i64>, collapsed_slice_dims = array<i64: 0>, start_index_map = array<i64: 0>, operand_batching_dims = array<i64>, start_indices_batching_dims = array<i64>, slice_sizes = array<i64: 1>, mode = "wrap"} : (tensor<5xf32>, tensor<1x1xi32>) -> tensor<1xf32>
  return %0 : tensor<1xf32>
}
