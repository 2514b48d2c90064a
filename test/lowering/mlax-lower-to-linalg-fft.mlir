// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg --canonicalize --cse | FileCheck %s

// mlax.fft lowers each transformed axis to a mixed-radix Cooley-Tukey decomposition:
// contractions with constant DFT matrices of at most 16 points (a prime length is one
// direct DFT), twiddle factors between them and a transpose that orders the outputs.

// Tests that an 8-point FFT of each row is one contraction with the 8x8 DFT matrix.
// CHECK-LABEL: func.func @fft8
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<8x8xcomplex<f32>>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[W]] : tensor<2x8xcomplex<f32>>, tensor<8x8xcomplex<f32>>)
// CHECK: complex.mul
// CHECK: complex.add
// CHECK: return %[[R]]
func.func @fft8(%z: tensor<2x8xcomplex<f32>>) -> tensor<2x8xcomplex<f32>> {
  %0 = "mlax.fft"(%z) {fft_type = "FFT", fft_lengths = array<i64: 8>} : (tensor<2x8xcomplex<f32>>) -> tensor<2x8xcomplex<f32>>
  return %0 : tensor<2x8xcomplex<f32>>
}

// -----

// Tests that a 32-point FFT splits into 16-point DFTs, twiddles, 2-point DFTs and a
// transpose back to one axis of 32.
// CHECK-LABEL: func.func @fft32
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [16, 2]
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<16x2xcomplex<f32>>, tensor<16x16xcomplex<f32>>)
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<16x2xcomplex<f32>>, tensor<16x2xcomplex<f32>>)
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<16x2xcomplex<f32>>, tensor<2x2xcomplex<f32>>)
// CHECK: outs(%{{.*}} : tensor<2x16xcomplex<f32>>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<2x16xcomplex<f32>> into tensor<32xcomplex<f32>>
func.func @fft32(%z: tensor<32xcomplex<f32>>) -> tensor<32xcomplex<f32>> {
  %0 = "mlax.fft"(%z) {fft_type = "FFT", fft_lengths = array<i64: 32>} : (tensor<32xcomplex<f32>>) -> tensor<32xcomplex<f32>>
  return %0 : tensor<32xcomplex<f32>>
}

// -----

// Tests that an IRFFT of length 6 extends the 4 given entries with the conjugates of
// entries 2 and 1 (read backwards), transforms and keeps the real parts scaled by 1/6.
// CHECK: #[[REV:.*]] = affine_map<(d0) -> (-d0 + 2)>
// CHECK-LABEL: func.func @irfft6
// CHECK: %[[SCALE:.*]] = arith.constant 0.166666672 : f32
// CHECK: linalg.generic {indexing_maps = [#[[REV]], #{{.*}}]{{.*}}outs(%{{.*}} : tensor<2xcomplex<f32>>)
// CHECK: complex.conj
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[4] [2] [1]
// CHECK: %[[RE:.*]] = complex.re %{{.*}} : complex<f32>
// CHECK-NEXT: arith.mulf %[[RE]], %[[SCALE]] : f32
func.func @irfft6(%z: tensor<4xcomplex<f32>>) -> tensor<6xf32> {
  %0 = "mlax.fft"(%z) {fft_type = "IRFFT", fft_lengths = array<i64: 6>} : (tensor<4xcomplex<f32>>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
