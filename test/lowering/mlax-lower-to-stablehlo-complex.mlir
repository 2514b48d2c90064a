// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Complex numbers: the parts, conj, complex constants, abs, orderings and fft.

// Tests that real and imag are StableHLO's, conj is complex(real, -imag) as JAX lowers it,
// and abs of a complex value is real.
// CHECK-LABEL: func.func @parts
// CHECK: %[[RE:.*]] = "stablehlo.real"(%[[Z:.*]]) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
// CHECK: %[[IM:.*]] = "stablehlo.imag"(%[[Z]]) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
// CHECK: %[[R2:.*]] = "stablehlo.real"(%[[Z]])
// CHECK: %[[I2:.*]] = "stablehlo.imag"(%[[Z]])
// CHECK: %[[NEG:.*]] = "stablehlo.negate"(%[[I2]])
// CHECK: %[[CONJ:.*]] = "stablehlo.complex"(%[[R2]], %[[NEG]]) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xcomplex<f32>>
// CHECK: %[[ABS:.*]] = "stablehlo.abs"(%[[Z]]) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
// CHECK: return %[[RE]], %[[IM]], %[[CONJ]], %[[ABS]]
func.func @parts(%z: tensor<4xcomplex<f32>>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xcomplex<f32>>, tensor<4xf32>) {
  %0 = "mlax.real"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
  %1 = "mlax.imag"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
  %2 = "mlax.conj"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>>
  %3 = "mlax.abs"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xcomplex<f32>>, tensor<4xf32>
}

// -----

// Tests that complex builds a complex tensor of its parts and a complex constant keeps its
// value.
// CHECK-LABEL: func.func @complex_of_parts
// CHECK: %[[C:.*]] = "stablehlo.constant"() <{value = dense<(1.000000e+00,2.000000e+00)> : tensor<complex<f32>>}>
// CHECK: %[[Z:.*]] = "stablehlo.complex"(%{{.*}}, %{{.*}}) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xcomplex<f32>>
// CHECK: %[[B:.*]] = "stablehlo.broadcast_in_dim"(%[[C]])
// CHECK: %[[M:.*]] = "stablehlo.multiply"(%[[Z]], %[[B]])
// CHECK: return %[[M]]
func.func @complex_of_parts(%x: tensor<2x8xf32>) -> tensor<2x8xcomplex<f32>> {
  %cst = arith.constant dense<(1.000000e+00,2.000000e+00)> : tensor<complex<f32>>
  %0 = "mlax.complex"(%x, %x) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xcomplex<f32>>
  %1 = "mlax.broadcast_in_dim"(%cst) {broadcast_dimensions = array<i64>, shape = array<i64: 2, 8>} : (tensor<complex<f32>>) -> tensor<2x8xcomplex<f32>>
  %2 = "mlax.mul"(%0, %1) : (tensor<2x8xcomplex<f32>>, tensor<2x8xcomplex<f32>>) -> tensor<2x8xcomplex<f32>>
  return %2 : tensor<2x8xcomplex<f32>>
}

// -----

// Tests that max of complex values compares real parts, then imaginary parts, as JAX.
// CHECK-LABEL: func.func @max
// CHECK-DAG: %[[RA:.*]] = "stablehlo.real"(%[[A:[^)]*]])
// CHECK-DAG: %[[RB:.*]] = "stablehlo.real"(%[[B:[^)]*]])
// CHECK: %[[EQ:.*]] = "stablehlo.compare"(%[[RA]], %[[RB]]) {compare_type = #stablehlo<comparison_type FLOAT>, comparison_direction = #stablehlo<comparison_direction EQ>}
// CHECK: %[[IA:.*]] = "stablehlo.imag"(%[[A]])
// CHECK: %[[IB:.*]] = "stablehlo.imag"(%[[B]])
// CHECK: %[[IGT:.*]] = "stablehlo.compare"(%[[IA]], %[[IB]]) {{.*}}comparison_direction GT
// CHECK: %[[RGT:.*]] = "stablehlo.compare"(%[[RA]], %[[RB]]) {{.*}}comparison_direction GT
// CHECK: %[[FIRST:.*]] = "stablehlo.select"(%[[EQ]], %[[IGT]], %[[RGT]])
// CHECK: %[[R:.*]] = "stablehlo.select"(%[[FIRST]], %[[A]], %[[B]])
// CHECK: return %[[R]]
func.func @max(%a: tensor<3xcomplex<f32>>, %b: tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  %0 = "mlax.max"(%a, %b) : (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  return %0 : tensor<3xcomplex<f32>>
}

// -----

// Tests that fft is stablehlo.fft with its type and lengths.
// CHECK-LABEL: func.func @rfft
// CHECK: %[[R:.*]] = "stablehlo.fft"(%{{.*}}) {fft_length = array<i64: 8>, fft_type = #stablehlo<fft_type RFFT>} : (tensor<2x8xf32>) -> tensor<2x5xcomplex<f32>>
// CHECK: return %[[R]]
func.func @rfft(%x: tensor<2x8xf32>) -> tensor<2x5xcomplex<f32>> {
  %0 = "mlax.fft"(%x) {fft_lengths = array<i64: 8>, fft_type = "RFFT"} : (tensor<2x8xf32>) -> tensor<2x5xcomplex<f32>>
  return %0 : tensor<2x5xcomplex<f32>>
}
