// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg | FileCheck %s

// threefry2x32 and the special functions are elementwise linalg.generic ops with
// arith/math bodies (the same algorithms as jax/XLA, so values match jax.jit).

// Tests that threefry2x32 is one generic with two results: key schedule
// k0 ^ k1 ^ 0x1BD11BDA, rounds of add / rotate-left (shli | shrui) / xor, 20 rounds.
// CHECK-LABEL: func.func @threefry
// CHECK-SAME: (%[[K0:.*]]: tensor<2xi32> {{.*}}, %[[K1:.*]]: tensor<2xi32> {{.*}}, %[[X0:.*]]: tensor<2xi32> {{.*}}, %[[X1:.*]]: tensor<2xi32>
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} ins(%[[K0]], %[[K1]], %[[X0]], %[[X1]] : tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) outs(%{{.*}}, %{{.*}} : tensor<2xi32>, tensor<2xi32>)
// CHECK: ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32):
// CHECK: %[[KX:.*]] = arith.xori %[[A]], %[[B]] : i32
// CHECK: %[[C:.*]] = arith.constant 466688986 : i32
// CHECK: arith.xori %[[KX]], %[[C]] : i32
// CHECK: %[[C13:.*]] = arith.constant 13 : i32
// CHECK: %[[SHL:.*]] = arith.shli %{{.*}}, %[[C13]] : i32
// CHECK: %[[C19:.*]] = arith.constant 19 : i32
// CHECK: %[[SHR:.*]] = arith.shrui %{{.*}}, %[[C19]] : i32
// CHECK: arith.ori %[[SHL]], %[[SHR]] : i32
// CHECK-COUNT-19: arith.shrui
// CHECK-NOT: arith.shrui
// CHECK: linalg.yield %{{.*}}, %{{.*}} : i32, i32
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @threefry(%k0: tensor<2xui32>, %k1: tensor<2xui32>, %x0: tensor<2xui32>, %x1: tensor<2xui32>) -> (tensor<2xui32>, tensor<2xui32>) {
  %0:2 = "mlax.threefry2x32"(%k0, %k1, %x0, %x1) : (tensor<2xui32>, tensor<2xui32>, tensor<2xui32>, tensor<2xui32>) -> (tensor<2xui32>, tensor<2xui32>)
  return %0#0, %0#1 : tensor<2xui32>, tensor<2xui32>
}

// -----

// Tests that erf_inv follows Giles' approximation as XLA's CPU code computes it:
// w = -log1p(-x*x) by XLA's log1p (Cephes' rational below sqrt(2) - 1, its f32 log
// beyond), two branches chosen with w < 5, each Horner step one math.fma, +-inf at +-1.
// CHECK-LABEL: func.func @erf_inv
// CHECK: linalg.generic
// CHECK: %[[NX:.*]] = arith.negf %[[X:.*]] : f32
// CHECK: %[[XX:.*]] = arith.mulf %[[X]], %[[NX]] : f32
// CHECK: arith.addf %[[XX]], %{{.*}} : f32
// CHECK: math.fma
// CHECK: %[[C:.*]] = arith.constant 0.414213568 : f32
// CHECK: %[[SMALL:.*]] = arith.cmpf olt, %{{.*}}, %[[C]] : f32
// CHECK: %[[L:.*]] = arith.select %[[SMALL]], %{{.*}}, %{{.*}} : f32
// CHECK: %[[CM5:.*]] = arith.constant -5.000000e+00 : f32
// CHECK: arith.cmpf ogt, %[[L]], %[[CM5]] : f32
// CHECK: math.sqrt
// CHECK-COUNT-8: math.fma
// CHECK: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[P:.*]] = arith.select %{{.*}}, %[[INF]], %{{.*}} : f32
// CHECK: arith.mulf %[[X]], %[[P]] : f32
func.func @erf_inv(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.erf_inv"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that xla_log in f32 is Cephes' polynomial on the mantissa with XLA's FMAs, and that
// in f64 it is math.log marked to stay a libm call.
// CHECK-LABEL: func.func @xla_log
// CHECK: linalg.generic
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[SQRTHALF:.*]] = arith.constant 0.707106769 : f32
// CHECK: arith.cmpf olt, %{{.*}}, %[[SQRTHALF]] : f32
// CHECK-COUNT-9: math.fma
// CHECK: %[[LN2HI:.*]] = arith.constant 0.693359375 : f32
// CHECK: math.fma %{{.*}}, %[[LN2HI]], %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: math.log %{{.*}} {mlax.libm} : f64
func.func @xla_log(%x: tensor<3xf32>, %y: tensor<3xf64>) -> (tensor<3xf32>, tensor<3xf64>) {
  %0 = "mlax.xla_log"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.xla_log"(%y) : (tensor<3xf64>) -> tensor<3xf64>
  return %0, %1 : tensor<3xf32>, tensor<3xf64>
}

// -----

// Tests that xla_erf in f32 is a rational function of x^2 (FMAs), saturating to +-1 at
// |x| >= 3.8325, and in f64 a libm call.
// CHECK-LABEL: func.func @xla_erf
// CHECK: linalg.generic
// CHECK-COUNT-10: math.fma
// CHECK: arith.divf
// CHECK: %[[CLAMP:.*]] = arith.constant 3.8325069 : f32
// CHECK: arith.cmpf oge, %{{.*}}, %[[CLAMP]] : f32
// CHECK: math.copysign
// CHECK: linalg.generic
// CHECK: math.erf %{{.*}} {mlax.libm} : f64
func.func @xla_erf(%x: tensor<3xf32>, %y: tensor<3xf64>) -> (tensor<3xf32>, tensor<3xf64>) {
  %0 = "mlax.xla_erf"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.xla_erf"(%y) : (tensor<3xf64>) -> tensor<3xf64>
  return %0, %1 : tensor<3xf32>, tensor<3xf64>
}

// -----

// Tests that fma is one math.fma per element.
// CHECK-LABEL: func.func @fma
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[R:.*]] = math.fma %[[A]], %[[B]], %[[C]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @fma(%a: tensor<3xf32>, %b: tensor<3xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.fma"(%a, %b, %c) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that lgamma is Lanczos with reflection (log of sin(pi * frac(|x|))) and that
// digamma reflects with cos/sin and returns NaN at the poles.
// CHECK-LABEL: func.func @lgamma_digamma
// CHECK: linalg.generic
// CHECK: math.log1p
// CHECK: math.log
// CHECK: math.floor
// CHECK: math.sin
// CHECK: linalg.yield
// CHECK: linalg.generic
// CHECK: math.log1p
// CHECK: math.cos
// CHECK: math.sin
// CHECK: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[R:.*]] = arith.select %{{.*}}, %[[NAN]], %{{.*}} : f32
// CHECK: linalg.yield %[[R]]
func.func @lgamma_digamma(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.lgamma"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.digamma"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that f16 special functions compute in f32.
// CHECK-LABEL: func.func @lgamma_f16
// CHECK: ^bb0(%[[H:.*]]: f16, %{{.*}}: f16):
// CHECK: %[[F:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK: math.log1p %{{.*}} : f32
// CHECK: %[[T:.*]] = arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.yield %[[T]] : f16
func.func @lgamma_f16(%x: tensor<3xf16>) -> tensor<3xf16> {
  %0 = "mlax.lgamma"(%x) : (tensor<3xf16>) -> tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

// Tests that nextafter steps the integer bits of x towards y.
// CHECK-LABEL: func.func @nextafter
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[XI:.*]] = arith.bitcast %[[X]] : f32 to i32
// CHECK: %[[YI:.*]] = arith.bitcast %[[Y]] : f32 to i32
// CHECK: %[[STEP:.*]] = arith.addi %[[XI]], %{{.*}} : i32
// CHECK: %[[UNO:.*]] = arith.cmpf uno, %[[X]], %[[Y]] : f32
// CHECK: %[[F:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.select %[[UNO]], %{{.*}}, %[[F]] : f32
func.func @nextafter(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.nextafter"(%x, %y) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that round (half away from zero) uses trunc and copysign, which vectorize, not
// math.round.
// CHECK-LABEL: func.func @round
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[T:.*]] = math.trunc %[[X]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[X]], %[[T]] : f32
// CHECK: %[[A:.*]] = math.absf %[[D]] : f32
// CHECK: %[[HALF:.*]] = arith.cmpf oge, %[[A]], %{{.*}} : f32
// CHECK: %[[S:.*]] = math.copysign %{{.*}}, %[[X]] : f32
// CHECK: %[[U:.*]] = arith.addf %[[T]], %[[S]] : f32
// CHECK: arith.select %[[HALF]], %[[U]], %[[T]] : f32
// CHECK-NOT: math.round
func.func @round(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.round"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
