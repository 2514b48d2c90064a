// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg | FileCheck %s

// Dynamic slices, dynamic updates and padding lower to tensor slices; start indices are
// clamped into bounds as XLA does. Arguments are marked read-only for bufferization.

// Tests that dynamic_slice clamps each start index to [0, dim - size] and extracts a slice.
// CHECK-LABEL: func.func @dynamic_slice
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32> {bufferization.writable = false}, %[[I:[^:]*]]: tensor<i32> {{.*}}, %[[J:[^:]*]]: tensor<i32>
// CHECK: %[[IV:.*]] = tensor.extract %[[I]][] : tensor<i32>
// CHECK: %[[II:.*]] = arith.index_cast %[[IV]] : i32 to index
// CHECK: %[[ILO:.*]] = arith.maxsi %[[II]], %{{.*}} : index
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[IC:.*]] = arith.minsi %[[ILO]], %[[C2]] : index
// CHECK: %[[JV:.*]] = tensor.extract %[[J]][] : tensor<i32>
// CHECK: %[[JC:.*]] = arith.minsi
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][%[[IC]], %[[JC]]] [2, 3] [1, 1] : tensor<4x5xf32> to tensor<2x3xf32>
// CHECK: return %[[S]]
func.func @dynamic_slice(%x: tensor<4x5xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<2x3xf32> {
  %0 = "mlax.dynamic_slice"(%x, %i, %j) {slice_sizes = array<i64: 2, 3>} : (tensor<4x5xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that unsigned start indices are zero-extended (a huge one clamps to the end).
// CHECK-LABEL: func.func @dynamic_slice_unsigned
// CHECK: %[[V:.*]] = tensor.extract %{{.*}}[] : tensor<i32>
// CHECK: arith.index_castui %[[V]] : i32 to index
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}] [3] [1] : tensor<8xi32> to tensor<3xi32>
func.func @dynamic_slice_unsigned(%x: tensor<8xi32>, %i: tensor<ui32>) -> tensor<3xi32> {
  %0 = "mlax.dynamic_slice"(%x, %i) {slice_sizes = array<i64: 3>} : (tensor<8xi32>, tensor<ui32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// Tests that dynamic_update_slice clamps with the update's size and inserts into the operand.
// CHECK-LABEL: func.func @dynamic_update_slice
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32> {{.*}}, %[[U:.*]]: tensor<2x3xf32> {{.*}}, %{{.*}}: tensor<i32> {{.*}}, %{{.*}}: tensor<i32>
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[IC:.*]] = arith.minsi %{{.*}}, %[[C2]] : index
// CHECK: %[[JC:.*]] = arith.minsi
// CHECK: %[[R:.*]] = tensor.insert_slice %[[U]] into %[[X]][%[[IC]], %[[JC]]] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<4x5xf32>
// CHECK: return %[[R]]
func.func @dynamic_update_slice(%x: tensor<4x5xf32>, %u: tensor<2x3xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<4x5xf32> {
  %0 = "mlax.dynamic_update_slice"(%x, %u, %i, %j) : (tensor<4x5xf32>, tensor<2x3xf32>, tensor<i32>, tensor<i32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// Tests that pad fills, writes the operand strided by interior + 1 past the positive low
// padding, and crops what the negative low padding removes.
// CHECK-LABEL: func.func @pad
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32> {{.*}}, %[[V:.*]]: tensor<f32>
// CHECK: %[[S:.*]] = tensor.extract %[[V]][] : tensor<f32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<5x6xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[S]] : f32) outs(%[[E]] : tensor<5x6xf32>)
// CHECK: %[[I:.*]] = tensor.insert_slice %[[X]] into %[[F]][0, 2] [3, 4] [2, 1] : tensor<3x4xf32> into tensor<5x6xf32>
// CHECK: %[[R:.*]] = tensor.extract_slice %[[I]][1, 0] [4, 6] [1, 1] : tensor<5x6xf32> to tensor<4x6xf32>
// CHECK: return %[[R]]
func.func @pad(%x: tensor<3x4xf32>, %v: tensor<f32>) -> tensor<4x6xf32> {
  %0 = "mlax.pad"(%x, %v) {low = array<i64: -1, 2>, high = array<i64: 0, 0>, interior = array<i64: 1, 0>} : (tensor<3x4xf32>, tensor<f32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// Tests that bool padding values are stored as i8.
// CHECK-LABEL: func.func @pad_bool
// CHECK: %[[S:.*]] = tensor.extract %{{.*}}[] : tensor<i8>
// CHECK: linalg.fill ins(%[[S]] : i8) outs(%{{.*}} : tensor<5xi8>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[1] [3] [1] : tensor<3xi8> into tensor<5xi8>
func.func @pad_bool(%x: tensor<3xi1>, %v: tensor<i1>) -> tensor<5xi1> {
  %0 = "mlax.pad"(%x, %v) {low = array<i64: 1>, high = array<i64: 1>, interior = array<i64: 0>} : (tensor<3xi1>, tensor<i1>) -> tensor<5xi1>
  return %0 : tensor<5xi1>
}
