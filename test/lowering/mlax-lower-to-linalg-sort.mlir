// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg --canonicalize --cse | FileCheck %s

// sort is a stable bottom-up merge sort of each row (scf.for over the other dims); each
// pass merges runs with a two-pointer scf.for that moves the keys and every value operand
// alike. top_k sorts (x, iota) descending and slices k.

// Tests that a float sort along dim 1 extracts each row, orders NaNs last with
// `olt or (uno b and ord a)`, permutes the values with the keys and inserts the row back.
// CHECK-LABEL: func.func @sort_rows
// CHECK-SAME: (%[[K:.*]]: tensor<2x3xf32> {{.*}}, %[[V:.*]]: tensor<2x3xi32>
// CHECK: %[[R:.*]]:2 = scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[KA:.*]] = %[[K]], %[[VA:.*]] = %[[V]])
// CHECK: %[[KR:.*]] = tensor.extract_slice %[[KA]][%[[ROW]], 0] [1, 3] [1, 1] : tensor<2x3xf32> to tensor<3xf32>
// CHECK: %[[VR:.*]] = tensor.extract_slice %[[VA]][%[[ROW]], 0] [1, 3] [1, 1] : tensor<2x3xi32> to tensor<3xi32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[B:.*]] = tensor.extract %[[KR]][%{{.*}}] : tensor<3xf32>
// CHECK: %[[A:.*]] = tensor.extract %[[KR]][%{{.*}}] : tensor<3xf32>
// CHECK: %[[LT:.*]] = arith.cmpf olt, %[[B]], %[[A]] : f32
// CHECK: %[[ANAN:.*]] = arith.cmpf uno, %[[A]], %[[A]] : f32
// CHECK: %[[BORD:.*]] = arith.cmpf ord, %[[B]], %[[B]] : f32
// CHECK: %[[NANLAST:.*]] = arith.andi %[[ANAN]], %[[BORD]] : i1
// CHECK: arith.ori %[[LT]], %[[NANLAST]] : i1
// CHECK: %[[POS:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : index
// CHECK: %[[KV:.*]] = tensor.extract %[[KR]][%[[POS]]] : tensor<3xf32>
// CHECK: tensor.insert %[[KV]]
// CHECK: %[[VV:.*]] = tensor.extract %[[VR]][%[[POS]]] : tensor<3xi32>
// CHECK: tensor.insert %[[VV]]
// CHECK: tensor.insert_slice %{{.*}} into %[[KA]][%[[ROW]], 0] [1, 3] [1, 1] : tensor<3xf32> into tensor<2x3xf32>
// CHECK: tensor.insert_slice %{{.*}} into %[[VA]][%[[ROW]], 0] [1, 3] [1, 1] : tensor<3xi32> into tensor<2x3xi32>
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @sort_rows(%k: tensor<2x3xf32>, %v: tensor<2x3xi32>) -> (tensor<2x3xf32>, tensor<2x3xi32>) {
  %0:2 = "mlax.sort"(%k, %v) {dimension = 1 : i64, is_stable = true} : (tensor<2x3xf32>, tensor<2x3xi32>) -> (tensor<2x3xf32>, tensor<2x3xi32>)
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x3xi32>
}

// -----

// Tests that an unsigned sort compares with ult, and that a length-8 sort takes three
// merge passes.
// CHECK-LABEL: func.func @sort_unsigned
// CHECK: arith.cmpi ult
// CHECK: arith.cmpi ult
// CHECK: arith.cmpi ult
// CHECK-NOT: arith.cmpi ult
func.func @sort_unsigned(%k: tensor<8xui32>) -> tensor<8xui32> {
  %0 = "mlax.sort"(%k) {dimension = 0 : i64, is_stable = true} : (tensor<8xui32>) -> tensor<8xui32>
  return %0 : tensor<8xui32>
}

// -----

// Tests that top_k sorts with an iota of int32 indices, comparing floats by their bits in
// total order (-NaN < -inf < -0 < 0 < inf < NaN), descending, and slices the first k.
// CHECK-LABEL: func.func @top_k
// CHECK: %[[IOTA:.*]] = linalg.generic
// CHECK: linalg.index 0 : index
// CHECK: arith.index_cast %{{.*}} : index to i32
// CHECK: scf.for
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[BITS]], %{{.*}} : i32
// CHECK: %[[FLIP:.*]] = arith.xori %[[BITS]], %{{.*}} : i32
// CHECK: arith.select %[[NEG]], %[[FLIP]], %[[BITS]] : i32
// CHECK: arith.cmpi sgt
// CHECK: tensor.extract %[[IOTA]]
// CHECK: %[[VALS:.*]] = tensor.extract_slice %{{.*}}[0] [2] [1] : tensor<4xf32> to tensor<2xf32>
// CHECK: %[[IDX:.*]] = tensor.extract_slice %{{.*}}[0] [2] [1] : tensor<4xi32> to tensor<2xi32>
// CHECK: return %[[VALS]], %[[IDX]]
func.func @top_k(%x: tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi32>) {
  %0:2 = "mlax.top_k"(%x) {k = 2 : i64} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xi32>
}
