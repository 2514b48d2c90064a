// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg | FileCheck %s

// Long float sums and scans are computed in blocks (their error grows with the block
// size and the number of levels, not with the length).

// Tests that a long contiguous float sum is split into blocks (a divisor of the length,
// near 2048) by a reshape: one generic sums each block, the next sums the blocks.
// CHECK-LABEL: func.func @sum_contiguous
// CHECK-SAME: (%[[X:.*]]: tensor<10000xf32>
// CHECK: %[[B:.*]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [5, 2000] : tensor<10000xf32> into tensor<5x2000xf32>
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[B]] : tensor<5x2000xf32>) outs(%{{.*}} : tensor<5xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[P]] : tensor<5xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: return %[[S]]
func.func @sum_contiguous(%x: tensor<10000xf32>) -> tensor<f32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<10000xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that a long strided sum (column sums) gets shorter blocks (near 256): each
// output element adds its block in sequence.
// CHECK-LABEL: func.func @sum_strided
// CHECK: %[[B:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [12, 250, 4] : tensor<3000x4xf32> into tensor<12x250x4xf32>
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[B]] : tensor<12x250x4xf32>) outs(%{{.*}} : tensor<12x4xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[P]] : tensor<12x4xf32>) outs(%{{.*}} : tensor<4xf32>)
func.func @sum_strided(%x: tensor<3000x4xf32>) -> tensor<4xf32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<3000x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Tests that a length no block size divides is summed as whole blocks plus the rest, and
// that the elementwise producer is recomputed on slices of its inputs for each part (so
// elementwise fusion still fuses it into both sums).
// CHECK-LABEL: func.func @sum_of_square_prime
// CHECK-SAME: (%[[X:.*]]: tensor<10007xf32>
// CHECK: %[[XH:.*]] = tensor.extract_slice %[[X]][0] [8192] [1] : tensor<10007xf32> to tensor<8192xf32>
// CHECK: %[[SQH:.*]] = linalg.generic {{.*}} ins(%[[XH]], %[[XH]] : tensor<8192xf32>, tensor<8192xf32>) outs(%{{.*}} : tensor<8192xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK: %[[B:.*]] = tensor.expand_shape %[[SQH]] {{\[}}[0, 1]] output_shape [4, 2048]
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<4x2048xf32>)
// CHECK: %[[HEAD:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4xf32>)
// CHECK: %[[XT:.*]] = tensor.extract_slice %[[X]][8192] [1815] [1] : tensor<10007xf32> to tensor<1815xf32>
// CHECK: %[[SQT:.*]] = linalg.generic {{.*}} ins(%[[XT]], %[[XT]] : tensor<1815xf32>, tensor<1815xf32>)
// CHECK: %[[TAIL:.*]] = linalg.generic {{.*}} ins(%[[SQT]] : tensor<1815xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[HEAD]], %[[TAIL]] : tensor<f32>, tensor<f32>)
// CHECK: arith.addf
// CHECK: return %[[S]]
func.func @sum_of_square_prime(%x: tensor<10007xf32>) -> tensor<f32> {
  %0 = "mlax.mul"(%x, %x) : (tensor<10007xf32>, tensor<10007xf32>) -> tensor<10007xf32>
  %1 = "mlax.reduce_sum"(%0) {axes = array<i64: 0>} : (tensor<10007xf32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that integer sums (exact, wrapping) stay one generic.
// CHECK-LABEL: func.func @sum_int
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : tensor<10000xi32>)
// CHECK-NOT: linalg.generic
func.func @sum_int(%x: tensor<10000xi32>) -> tensor<i32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 0>} : (tensor<10000xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// Tests that a long float cumsum sums each whole block of 64, scans the block totals,
// and scans each block from 0, adding the total of the blocks before it to each element.
// CHECK-LABEL: func.func @cumsum
// CHECK-SAME: (%[[X:.*]]: tensor<200xf32>
// CHECK: %[[W:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [3, 64] : tensor<192xf32> into tensor<3x64xf32>
// CHECK: %[[T:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[W]] : tensor<3x64xf32>) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[TS:.*]]:2 = scf.for {{.*}} -> (f32, tensor<3xf32>)
// CHECK: %[[SEEDS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK: linalg.index 0
// CHECK: tensor.extract %[[TS]]#1
// CHECK: %[[R:.*]] = scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %[[X]]) -> (tensor<200xf32>)
// CHECK: %[[SEED:.*]] = tensor.extract %[[SEEDS]][%[[P]]] : tensor<4xf32>
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[LOCAL:.*]] = %{{.*}}, %[[CUR:.*]] = %[[OUT]]) -> (f32, tensor<200xf32>)
// CHECK: %[[V:.*]] = tensor.extract %[[X]][%[[K]]] : tensor<200xf32>
// CHECK: %[[L:.*]] = arith.addf %[[LOCAL]], %[[V]] : f32
// CHECK: %[[O:.*]] = arith.addf %[[SEED]], %[[L]] : f32
// CHECK: tensor.insert %[[O]] into %[[CUR]][%[[K]]] : tensor<200xf32>
// CHECK: return %[[R]]
func.func @cumsum(%x: tensor<200xf32>) -> tensor<200xf32> {
  %0 = "mlax.cumsum"(%x) {axis = 0 : i64, reverse = false} : (tensor<200xf32>) -> tensor<200xf32>
  return %0 : tensor<200xf32>
}

// -----

// Tests that a long dot product without free dims is the products' sum in blocks.
// CHECK-LABEL: func.func @vdot
// CHECK-SAME: (%[[A:.*]]: tensor<10000xf32> {{.*}}, %[[B:.*]]: tensor<10000xf32>
// CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[A]], %[[B]] : tensor<10000xf32>, tensor<10000xf32>)
// CHECK: arith.mulf
// CHECK: %[[W:.*]] = tensor.expand_shape %[[P]] {{\[}}[0, 1]] output_shape [5, 2000]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[W]] : tensor<5x2000xf32>)
func.func @vdot(%a: tensor<10000xf32>, %b: tensor<10000xf32>) -> tensor<f32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<10000xf32>, tensor<10000xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
