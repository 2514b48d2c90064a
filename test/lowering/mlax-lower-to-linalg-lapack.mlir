// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg --canonicalize --cse | FileCheck %s

// The linear algebra ops become calls of OpenBLAS's LAPACK (symbols prefixed scipy_), one
// per matrix of the batch: each matrix operand is copied, transposed (LAPACK is
// column-major), into a fresh buffer whose address the call takes, as it takes every
// argument by reference.

// Tests that cholesky calls spotrf on each matrix with uplo 'L' (76), its info buffer
// giving NaN for a failed factorization, and zeros above the diagonal.
// CHECK: func.func private @scipy_spotrf_(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64)
// CHECK-LABEL: func.func @cholesky
// CHECK-DAG: %[[L:.*]] = arith.constant 76 : i8
// CHECK-DAG: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3x3xf32>)
// CHECK: %[[A:.*]] = memref.alloc() : memref<2x3x3xf32>
// CHECK: bufferization.materialize_in_destination %[[T]] in restrict writable %[[A]]
// CHECK: %[[INFO:.*]] = memref.alloc() : memref<2xi32>
// CHECK: memref.store %[[L]]
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK: memref.extract_aligned_pointer_as_index %[[A]]
// CHECK: llvm.inttoptr
// CHECK: func.call @scipy_spotrf_(
// CHECK: bufferization.to_tensor %[[A]] restrict writable
// CHECK: bufferization.to_tensor %[[INFO]] restrict writable
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NAN]] : f32
// CHECK: linalg.index 1
// CHECK: linalg.index 2
func.func @cholesky(%x: tensor<2x3x3xf32>) -> tensor<2x3x3xf32> {
  %0 = "mlax.cholesky"(%x) : (tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  return %0 : tensor<2x3x3xf32>
}

// -----

// Tests that a float64 triangular solve calls dtrsm with side, uplo, transa and diag
// ('R' 82, 'U' 85, 'T' 84, 'N' 78) and four hidden character lengths.
// CHECK: func.func private @scipy_dtrsm_(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64)
// CHECK-LABEL: func.func @triangular_solve
// CHECK-DAG: arith.constant 82 : i8
// CHECK-DAG: arith.constant 85 : i8
// CHECK-DAG: arith.constant 84 : i8
// CHECK-DAG: arith.constant 78 : i8
// CHECK: call @scipy_dtrsm_(
// CHECK: return %{{.*}} : tensor<2x3xf64>
func.func @triangular_solve(%a: tensor<3x3xf64>, %b: tensor<2x3xf64>) -> tensor<2x3xf64> {
  %0 = "mlax.triangular_solve"(%a, %b) {left_side = false, lower = false, transpose_a = true, unit_diagonal = false} : (tensor<3x3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}

// -----

// Tests that a real eig calls sgeev per matrix with jobvl 'N' (78) and jobvr 'V' (86),
// builds complex eigenvalues from wr and wi, unpacks each conjugate pair's eigenvectors
// (columns j and j + 1, clamped to the matrix) into complex columns, and gives the
// eigenvectors not asked for no columns.
// CHECK: func.func private @scipy_sgeev_(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64)
// CHECK-LABEL: func.func @eig
// CHECK-DAG: arith.constant 78 : i8
// CHECK-DAG: arith.constant 86 : i8
// CHECK: scf.for
// CHECK: func.call @scipy_sgeev_(
// CHECK: complex.create %{{.*}}, %{{.*}} : complex<f32>
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: complex.create %{{.*}}, %{{.*}} : complex<f32>
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xcomplex<f32>>, tensor<2x3x0xcomplex<f32>>, tensor<2x3x3xcomplex<f32>>
func.func @eig(%x: tensor<2x3x3xf32>) -> (tensor<2x3xcomplex<f32>>, tensor<2x3x0xcomplex<f32>>, tensor<2x3x3xcomplex<f32>>) {
  %0:3 = "mlax.eig"(%x) {compute_left = false, compute_right = true} : (tensor<2x3x3xf32>) -> (tensor<2x3xcomplex<f32>>, tensor<2x3x0xcomplex<f32>>, tensor<2x3x3xcomplex<f32>>)
  return %0#0, %0#1, %0#2 : tensor<2x3xcomplex<f32>>, tensor<2x3x0xcomplex<f32>>, tensor<2x3x3xcomplex<f32>>
}

// -----

// Tests that a complex128 eig of eigenvalues only calls zgeev (jobs 'N', 'N'), its
// eigenvalues complex already, NaN + NaN i where it fails.
// CHECK: func.func private @scipy_zgeev_(
// CHECK-LABEL: func.func @eig_complex
// CHECK-DAG: %[[NAN:.*]] = complex.constant [0x7FF8000000000000 : f64, 0x7FF8000000000000 : f64] : complex<f64>
// CHECK: call @scipy_zgeev_(
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NAN]] : complex<f64>
func.func @eig_complex(%x: tensor<3x3xcomplex<f64>>) -> tensor<3xcomplex<f64>> {
  %0:3 = "mlax.eig"(%x) {compute_left = false, compute_right = false} : (tensor<3x3xcomplex<f64>>) -> (tensor<3xcomplex<f64>>, tensor<3x0xcomplex<f64>>, tensor<3x0xcomplex<f64>>)
  return %0#0 : tensor<3xcomplex<f64>>
}

// -----

// Tests that householder_product of complex reflectors calls cungqr (m, n, k by reference)
// on the column-major copy of a and the taus copied into a buffer.
// CHECK: func.func private @scipy_cungqr_(
// CHECK-LABEL: func.func @householder_product
// CHECK-DAG: arith.constant 4 : i32
// CHECK-DAG: arith.constant 2 : i32
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %{{.*}} : (tensor<1x3x4xcomplex<f32>>, memref<1x3x4xcomplex<f32>>)
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %{{.*}} : (tensor<1x2xcomplex<f32>>, memref<1x2xcomplex<f32>>)
// CHECK: call @scipy_cungqr_(
// CHECK: return %{{.*}} : tensor<4x3xcomplex<f32>>
func.func @householder_product(%a: tensor<4x3xcomplex<f32>>, %t: tensor<2xcomplex<f32>>) -> tensor<4x3xcomplex<f32>> {
  %0 = "mlax.householder_product"(%a, %t) : (tensor<4x3xcomplex<f32>>, tensor<2xcomplex<f32>>) -> tensor<4x3xcomplex<f32>>
  return %0 : tensor<4x3xcomplex<f32>>
}

// -----

// Tests that geqrf calls sgeqrf once per matrix and returns the packed factors and taus.
// CHECK: func.func private @scipy_sgeqrf_(
// CHECK-LABEL: func.func @geqrf
// CHECK: scf.for
// CHECK: func.call @scipy_sgeqrf_(
// CHECK: return %{{.*}}, %{{.*}} : tensor<2x5x3xf32>, tensor<2x3xf32>
func.func @geqrf(%x: tensor<2x5x3xf32>) -> (tensor<2x5x3xf32>, tensor<2x3xf32>) {
  %0:2 = "mlax.geqrf"(%x) : (tensor<2x5x3xf32>) -> (tensor<2x5x3xf32>, tensor<2x3xf32>)
  return %0#0, %0#1 : tensor<2x5x3xf32>, tensor<2x3xf32>
}

// -----

// Tests that a pivoted QR calls sgeqp3 with a zeroed jpvt buffer (every column free),
// then sorgqr for Q, and turns geqp3's 1-based pivots into the 0-based permutation.
// CHECK: func.func private @scipy_sgeqp3_(
// CHECK-LABEL: func.func @qr_pivoted
// CHECK: %[[JPVT:.*]] = memref.alloc() : memref<1x3xi32>
// CHECK: call @scipy_sgeqp3_(
// CHECK: call @scipy_sorgqr_(
// CHECK: bufferization.to_tensor %[[JPVT]]
// CHECK: arith.subi %{{.*}}, %{{.*}} : i32
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xi32>
func.func @qr_pivoted(%x: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xi32>) {
  %0:3 = "mlax.qr_pivoted"(%x) {full_matrices = false} : (tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xi32>)
  return %0#0, %0#1, %0#2 : tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xi32>
}

// -----

// Tests that schur calls dgees per matrix with jobvs 'V' (86) and sort 'N' (78), two hidden
// character lengths, and NaN where it fails.
// CHECK: func.func private @scipy_dgees_(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64)
// CHECK-LABEL: func.func @schur
// CHECK-DAG: arith.constant 86 : i8
// CHECK-DAG: arith.constant 78 : i8
// CHECK: scf.for
// CHECK: func.call @scipy_dgees_(
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK: return %{{.*}}, %{{.*}} : tensor<2x3x3xf64>, tensor<2x3x3xf64>
func.func @schur(%x: tensor<2x3x3xf64>) -> (tensor<2x3x3xf64>, tensor<2x3x3xf64>) {
  %0:2 = "mlax.schur"(%x) {compute_schur_vectors = true} : (tensor<2x3x3xf64>) -> (tensor<2x3x3xf64>, tensor<2x3x3xf64>)
  return %0#0, %0#1 : tensor<2x3x3xf64>, tensor<2x3x3xf64>
}

// -----

// Tests that eigh of a Hermitian matrix calls cheevd (with its real rwork) and gives real
// eigenvalues beside the complex eigenvectors.
// CHECK: func.func private @scipy_cheevd_(
// CHECK-LABEL: func.func @eigh_hermitian
// CHECK: %[[W:.*]] = memref.alloc() : memref<1x3xf32>
// CHECK: call @scipy_cheevd_(
// CHECK: bufferization.to_tensor %[[W]]
// CHECK: return %{{.*}}, %{{.*}} : tensor<3x3xcomplex<f32>>, tensor<3xf32>
func.func @eigh_hermitian(%x: tensor<3x3xcomplex<f32>>) -> (tensor<3x3xcomplex<f32>>, tensor<3xf32>) {
  %0:2 = "mlax.eigh"(%x) {lower = true} : (tensor<3x3xcomplex<f32>>) -> (tensor<3x3xcomplex<f32>>, tensor<3xf32>)
  return %0#0, %0#1 : tensor<3x3xcomplex<f32>>, tensor<3xf32>
}

// -----

// Tests that the SVD of a complex matrix calls cgesdd with its real rwork and gives real
// singular values.
// CHECK: func.func private @scipy_cgesdd_(
// CHECK-LABEL: func.func @svd_complex
// CHECK: %[[S:.*]] = memref.alloc() : memref<1x2xf32>
// CHECK: call @scipy_cgesdd_(
// CHECK: bufferization.to_tensor %[[S]]
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}} : tensor<2xf32>, tensor<3x2xcomplex<f32>>, tensor<2x2xcomplex<f32>>
func.func @svd_complex(%x: tensor<3x2xcomplex<f32>>) -> (tensor<2xf32>, tensor<3x2xcomplex<f32>>, tensor<2x2xcomplex<f32>>) {
  %0:3 = "mlax.svd"(%x) {full_matrices = false} : (tensor<3x2xcomplex<f32>>) -> (tensor<2xf32>, tensor<3x2xcomplex<f32>>, tensor<2x2xcomplex<f32>>)
  return %0#0, %0#1, %0#2 : tensor<2xf32>, tensor<3x2xcomplex<f32>>, tensor<2x2xcomplex<f32>>
}
