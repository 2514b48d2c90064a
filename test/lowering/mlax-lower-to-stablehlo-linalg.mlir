// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Linear algebra: cholesky and triangular_solve (StableHLO ops), eigh, qr and lu (LAPACK custom
// calls).

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

// -----

// Tests that eigh is LAPACK's syevd as a custom call of jaxlib's (column-major matrices,
// the vectors in the operand's buffer), its results NaN where its info is not 0.
// CHECK-LABEL: func.func @eigh
// CHECK: %[[E:.*]]:3 = "stablehlo.custom_call"(%{{.*}}) {api_version = 1 : i32, backend_config = "", call_target_name = "lapack_ssyevd_ffi", has_side_effect = false, mhlo.backend_config = {mode = 86 : ui8, uplo = 76 : ui8}, mhlo.frontend_attributes = {num_batch_dims = "1"}, operand_layouts = [dense<[1, 2, 0]> : tensor<3xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[1, 2, 0]> : tensor<3xindex>, dense<[1, 0]> : tensor<2xindex>, dense<0> : tensor<1xindex>]} : (tensor<2x3x3xf32>) -> (tensor<2x3x3xf32>, tensor<2x3xf32>, tensor<2xi32>)
// CHECK: %[[FAILED:.*]] = "stablehlo.compare"(%[[E]]#2, %{{.*}}) {{.*}}comparison_direction NE
// CHECK: %[[MV:.*]] = "stablehlo.broadcast_in_dim"(%[[FAILED]]) {broadcast_dimensions = array<i64: 0>} : (tensor<2xi1>) -> tensor<2x3x3xi1>
// CHECK: %[[V:.*]] = "stablehlo.select"(%[[MV]], %{{.*}}, %[[E]]#0)
// CHECK: %[[MW:.*]] = "stablehlo.broadcast_in_dim"(%[[FAILED]]) {broadcast_dimensions = array<i64: 0>} : (tensor<2xi1>) -> tensor<2x3xi1>
// CHECK: %[[W:.*]] = "stablehlo.select"(%[[MW]], %{{.*}}, %[[E]]#1)
// CHECK: return %[[V]], %[[W]]
func.func @eigh(%x: tensor<2x3x3xf32>) -> (tensor<2x3x3xf32>, tensor<2x3xf32>) {
  %0:2 = "mlax.eigh"(%x) {lower = true} : (tensor<2x3x3xf32>) -> (tensor<2x3x3xf32>, tensor<2x3xf32>)
  return %0#0, %0#1 : tensor<2x3x3xf32>, tensor<2x3xf32>
}

// -----

// Tests that a full qr of a tall complex matrix is geqrf, then ungqr of its reflectors
// zero-padded to a square, and r the upper triangle of geqrf's result.
// CHECK-LABEL: func.func @qr
// CHECK: %[[A:.*]]:2 = "stablehlo.custom_call"(%{{.*}}) {{.*}}call_target_name = "lapack_cgeqrf_ffi"
// CHECK: %[[P:.*]] = "stablehlo.pad"(%[[A]]#0, %{{.*}}) {edge_padding_high = array<i64: 0, 1>, edge_padding_low = array<i64: 0, 0>, interior_padding = array<i64: 0, 0>} : (tensor<4x3xcomplex<f32>>, tensor<complex<f32>>) -> tensor<4x4xcomplex<f32>>
// CHECK: %[[Q:.*]] = "stablehlo.custom_call"(%[[P]], %[[A]]#1) {{.*}}call_target_name = "lapack_cungqr_ffi"{{.*}}output_tuple_indices = []{{.*}} -> tensor<4x4xcomplex<f32>>
// CHECK: %[[R:.*]] = "stablehlo.slice"(%[[A]]#0)
// CHECK: %[[UPPER:.*]] = "stablehlo.compare"({{.*}}comparison_direction LE
// CHECK: %[[TRIU:.*]] = "stablehlo.select"(%[[UPPER]], %[[R]], %{{.*}})
// CHECK: return %[[Q]], %[[TRIU]]
func.func @qr(%x: tensor<4x3xcomplex<f32>>) -> (tensor<4x4xcomplex<f32>>, tensor<4x3xcomplex<f32>>) {
  %0:2 = "mlax.qr"(%x) {full_matrices = true} : (tensor<4x3xcomplex<f32>>) -> (tensor<4x4xcomplex<f32>>, tensor<4x3xcomplex<f32>>)
  return %0#0, %0#1 : tensor<4x4xcomplex<f32>>, tensor<4x3xcomplex<f32>>
}

// -----

// Tests that lu is LAPACK's getrf, its pivots made 0-based, and the permutation built by a
// stablehlo.while over the row swaps.
// CHECK-LABEL: func.func @lu
// CHECK: %[[F:.*]]:3 = "stablehlo.custom_call"(%{{.*}}) {{.*}}call_target_name = "lapack_sgetrf_ffi"{{.*}} : (tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xi32>, tensor<i32>)
// CHECK: %[[P:.*]] = "stablehlo.subtract"(%[[F]]#1, %{{.*}})
// CHECK: "stablehlo.compare"(%[[F]]#2, %{{.*}}) {{.*}}comparison_direction LT
// CHECK: %[[LU:.*]] = "stablehlo.select"
// CHECK: %[[W:.*]]:3 = "stablehlo.while"(%{{.*}}, %{{.*}}, %[[P]])
// CHECK: "stablehlo.dynamic_slice"
// CHECK: return %[[LU]], %[[P]], %[[W]]#1
func.func @lu(%x: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xi32>, tensor<4xi32>) {
  %0:3 = "mlax.lu"(%x) : (tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3xi32>, tensor<4xi32>)
  return %0#0, %0#1, %0#2 : tensor<4x3xf32>, tensor<3xi32>, tensor<4xi32>
}
