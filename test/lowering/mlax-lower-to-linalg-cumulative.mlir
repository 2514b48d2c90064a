// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg | FileCheck %s

// Cumulative ops update a copy of the operand in place: along the innermost dim with
// scalar scf.for loops and the running value in a register, along an outer dim with one
// scf.for whose step is a linalg.generic over the whole (contiguous) slab.

// Tests that cumsum along the last dim carries the running sum through the inner loop.
// CHECK-LABEL: func.func @cumsum_last
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>
// CHECK: %[[R:.*]] = scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %[[X]]) -> (tensor<2x4xf32>)
// CHECK: %[[FIRST:.*]] = tensor.extract %[[X]][%[[ROW]], %{{.*}}] : tensor<2x4xf32>
// CHECK: %{{.*}}:2 = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[FIRST]], %[[CUR:.*]] = %[[OUT]]) -> (f32, tensor<2x4xf32>)
// CHECK: %[[V:.*]] = tensor.extract %[[X]][%[[ROW]], %[[K]]] : tensor<2x4xf32>
// CHECK: %[[S:.*]] = arith.addf %[[ACC]], %[[V]] : f32
// CHECK: %[[INS:.*]] = tensor.insert %[[S]] into %[[CUR]][%[[ROW]], %[[K]]] : tensor<2x4xf32>
// CHECK: scf.yield %[[S]], %[[INS]] : f32, tensor<2x4xf32>
// CHECK: return %[[R]]
func.func @cumsum_last(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = "mlax.cumsum"(%x) {axis = 1 : i64, reverse = false} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that a reverse cummax along an outer dim walks the slabs backwards, combining the
// next slab into the current one with a vectorizable linalg.generic.
// CHECK-LABEL: func.func @cummax_outer_reverse
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xi32>
// CHECK: %[[R:.*]] = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[X]]) -> (tensor<3x4xi32>)
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[CUR:.*]] = arith.subi %[[C2]], %[[I]] : index
// CHECK: %[[PREV:.*]] = arith.addi %[[CUR]], %{{.*}} : index
// CHECK: %[[P:.*]] = tensor.extract_slice %[[ACC]][%[[PREV]], 0] [1, 4] [1, 1] : tensor<3x4xi32> to tensor<4xi32>
// CHECK: %[[C:.*]] = tensor.extract_slice %[[ACC]][%[[CUR]], 0] [1, 4] [1, 1] : tensor<3x4xi32> to tensor<4xi32>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4xi32>) outs(%[[C]] : tensor<4xi32>)
// CHECK: arith.maxsi
// CHECK: %[[INS:.*]] = tensor.insert_slice %[[G]] into %[[ACC]][%[[CUR]], 0] [1, 4] [1, 1] : tensor<4xi32> into tensor<3x4xi32>
// CHECK: scf.yield %[[INS]]
// CHECK: return %[[R]]
func.func @cummax_outer_reverse(%x: tensor<3x4xi32>) -> tensor<3x4xi32> {
  %0 = "mlax.cummax"(%x) {axis = 0 : i64, reverse = true} : (tensor<3x4xi32>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----

// Tests that cumlogsumexp combines with a NaN-safe logaddexp.
// CHECK-LABEL: func.func @cumlogsumexp
// CHECK: scf.for
// CHECK: %[[M:.*]] = arith.maximumf %[[A:.*]], %[[B:.*]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[A]], %[[B]] : f32
// CHECK: math.exp
// CHECK: math.log1p
// CHECK: arith.cmpf uno, %[[D]], %[[D]] : f32
// CHECK: arith.select
func.func @cumlogsumexp(%x: tensor<5xf32>) -> tensor<5xf32> {
  %0 = "mlax.cumlogsumexp"(%x) {axis = 0 : i64, reverse = false} : (tensor<5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Tests that a cumulative op over a dim of size 1 is the identity.
// CHECK-LABEL: func.func @cumprod_trivial
// CHECK-SAME: (%[[X:.*]]: tensor<1x3xf32>
// CHECK-NEXT: return %[[X]]
func.func @cumprod_trivial(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %0 = "mlax.cumprod"(%x) {axis = 0 : i64, reverse = false} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
