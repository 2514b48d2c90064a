// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Linear algebra with StableHLO ops: cholesky and triangular_solve.

// Tests that cholesky is stablehlo.cholesky of the lower factor, its upper triangle zeroed
// and a factor with a NaN made all NaN below the diagonal, per matrix of the batch.
// CHECK-LABEL: func.func @cholesky
// CHECK: %[[L:.*]] = "stablehlo.cholesky"(%{{.*}}) {lower = true} : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
// CHECK: %[[ROWS:.*]] = "stablehlo.iota"() {iota_dimension = 1 : i64} : () -> tensor<2x3x3xi32>
// CHECK: %[[COLS:.*]] = "stablehlo.iota"() {iota_dimension = 2 : i64} : () -> tensor<2x3x3xi32>
// CHECK: %[[LOWER:.*]] = "stablehlo.compare"(%[[ROWS]], %[[COLS]]) {{.*}}comparison_direction GE
// CHECK: %[[TRIL:.*]] = "stablehlo.select"(%[[LOWER]], %[[L]], %{{.*}})
// CHECK: %[[NAN:.*]] = "stablehlo.compare"(%[[TRIL]], %[[TRIL]]) {{.*}}comparison_direction NE
// CHECK: %[[FAILED:.*]] = "stablehlo.reduce"(%[[NAN]], %{{.*}})
// CHECK: dimensions = array<i64: 1, 2>
// CHECK: %[[B:.*]] = "stablehlo.broadcast_in_dim"(%[[FAILED]]) {broadcast_dimensions = array<i64: 0>} : (tensor<2xi1>) -> tensor<2x3x3xi1>
// CHECK: %[[FILLED:.*]] = "stablehlo.select"(%[[B]], %{{.*}}, %[[TRIL]])
// CHECK: %[[R:.*]] = "stablehlo.select"(%[[LOWER]], %[[FILLED]], %{{.*}})
// CHECK: return %[[R]]
func.func @cholesky(%x: tensor<2x3x3xf32>) -> tensor<2x3x3xf32> {
  %0 = "mlax.cholesky"(%x) : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  return %0 : tensor<2x3x3xf32>
}

// -----

// Tests that triangular_solve is stablehlo.triangular_solve with the same flags.
// CHECK-LABEL: func.func @triangular_solve
// CHECK: %[[R:.*]] = "stablehlo.triangular_solve"(%{{.*}}, %{{.*}}) {left_side = false, lower = true, transpose_a = #stablehlo<transpose TRANSPOSE>, unit_diagonal = true} : (tensor<3x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: return %[[R]]
func.func @triangular_solve(%a: tensor<3x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.triangular_solve"(%a, %b) {left_side = false, lower = true, transpose_a = true, unit_diagonal = true} : (tensor<3x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
