// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg --canonicalize --cse | FileCheck %s

// Complex elementwise ops lower to ops of the `complex` dialect inside linalg.generic
// bodies; convert-complex-to-standard (in the cpu pipeline) takes them to arith and math.

// Tests that real, imag, conj and abs read complex elements and abs yields a real one.
// CHECK-LABEL: func.func @parts
// CHECK: complex.re %{{.*}} : complex<f32>
// CHECK: complex.im %{{.*}} : complex<f32>
// CHECK: complex.conj %{{.*}} : complex<f32>
// CHECK: %[[A:.*]] = complex.abs %{{.*}} : complex<f32>
// CHECK-NEXT: linalg.yield %[[A]] : f32
func.func @parts(%z: tensor<4xcomplex<f32>>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xcomplex<f32>>, tensor<4xf32>) {
  %0 = "mlax.real"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
  %1 = "mlax.imag"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
  %2 = "mlax.conj"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>>
  %3 = "mlax.abs"(%z) : (tensor<4xcomplex<f32>>) -> tensor<4xf32>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xcomplex<f32>>, tensor<4xf32>
}

// -----

// Tests that complex(re, im) builds each element with complex.create and a real ->
// complex conversion puts a zero imaginary part beside the converted real one.
// CHECK-LABEL: func.func @create
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: complex.create %{{.*}}, %{{.*}} : complex<f32>
// CHECK: %[[E:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: complex.create %[[E]], %[[Z]] : complex<f32>
func.func @create(%a: tensor<3xf32>, %b: tensor<3xf32>, %h: tensor<3xf16>) -> (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) {
  %0 = "mlax.complex"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xcomplex<f32>>
  %1 = "mlax.convert_element_type"(%h) {new_dtype = complex<f32>} : (tensor<3xf16>) -> tensor<3xcomplex<f32>>
  return %0, %1 : tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>
}

// -----

// Tests that complex arithmetic, comparisons and a contraction use complex ops: the
// dot_general accumulates complex.mul products with complex.add from a complex zero.
// CHECK-LABEL: func.func @arith
// CHECK: %[[ZERO:.*]] = complex.constant [0.000000e+00 : f32, 0.000000e+00 : f32] : complex<f32>
// CHECK: complex.mul
// CHECK: complex.div
// CHECK: complex.eq
// CHECK: linalg.fill ins(%[[ZERO]] : complex<f32>)
// CHECK: %[[P:.*]] = complex.mul %{{.*}}, %{{.*}} : complex<f32>
// CHECK-NEXT: complex.add %{{.*}}, %[[P]] : complex<f32>
func.func @arith(%a: tensor<3xcomplex<f32>>, %b: tensor<3xcomplex<f32>>) -> (tensor<3xcomplex<f32>>, tensor<3xi1>, tensor<complex<f32>>) {
  %0 = "mlax.mul"(%a, %b) : (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  %1 = "mlax.div"(%0, %b) : (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  %2 = "mlax.eq"(%1, %a) : (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) -> tensor<3xi1>
  %3 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_contracting_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, rhs_batch_dimensions = array<i64>} : (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) -> tensor<complex<f32>>
  return %1, %2, %3 : tensor<3xcomplex<f32>>, tensor<3xi1>, tensor<complex<f32>>
}

// -----

// Tests that complex asin is Kahan's formula: square roots of 1 - z and 1 + z built from
// the parts (the zero's sign kept: the imaginary part of 1 - z is -y; each root C99's
// csqrt from |w| and real square roots), an atan2 and an
// asinh of real parts, and the expansion at infinity selected beyond 1/eps.
// CHECK-LABEL: func.func @asin
// CHECK: %[[Y:.*]] = complex.im %{{.*}} : complex<f32>
// CHECK: %[[NY:.*]] = arith.negf %[[Y]] : f32
// CHECK: %[[OMZ:.*]] = complex.create %{{.*}}, %[[NY]] : complex<f32>
// CHECK: %[[MAG:.*]] = complex.abs %[[OMZ]] : complex<f32>
// CHECK: math.sqrt
// CHECK: math.copysign
// CHECK: math.atan2
// CHECK: math.asinh
// CHECK: arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK: math.copysign
func.func @asin(%z: tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  %0 = "mlax.asin"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  return %0 : tensor<3xcomplex<f32>>
}

// -----

// Tests that complex max picks x where its real part is greater, or the real parts are
// equal and its imaginary part is greater (JAX's lexicographic order), else y.
// CHECK-LABEL: func.func @max
// CHECK: %[[RX:.*]] = complex.re %[[X:.*]] : complex<f32>
// CHECK: %[[RY:.*]] = complex.re %[[Y:.*]] : complex<f32>
// CHECK: %[[BYIM:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK: %[[EQ:.*]] = arith.cmpf oeq, %[[RX]], %[[RY]] : f32
// CHECK: %[[BYRE:.*]] = arith.cmpf ogt, %[[RX]], %[[RY]] : f32
// CHECK: %[[PICK:.*]] = arith.select %[[EQ]], %[[BYIM]], %[[BYRE]] : i1
// CHECK: arith.select %[[PICK]], %[[X]], %[[Y]] : complex<f32>
func.func @max(%a: tensor<3xcomplex<f32>>, %b: tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  %0 = "mlax.max"(%a, %b) : (tensor<3xcomplex<f32>>, tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  return %0 : tensor<3xcomplex<f32>>
}

// -----

// Tests that complex sqrt is C99's csqrt from the parts: t = sqrt((|x| + |z|) / 2), the
// imaginary part y / 2t for x >= 0 and copysign(t, y) for x < 0.
// CHECK-LABEL: func.func @sqrt
// CHECK: %[[X:.*]] = complex.re %{{.*}} : complex<f32>
// CHECK: %[[Y:.*]] = complex.im %{{.*}} : complex<f32>
// CHECK: complex.abs
// CHECK: %[[T:.*]] = math.sqrt %{{.*}} : f32
// CHECK: arith.cmpf oge, %[[X]], %{{.*}} : f32
// CHECK: math.copysign %[[T]], %[[Y]] : f32
// CHECK-NOT: complex.sqrt
func.func @sqrt(%z: tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  %0 = "mlax.sqrt"(%z) : (tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>>
  return %0 : tensor<3xcomplex<f32>>
}
