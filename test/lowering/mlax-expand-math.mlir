// RUN: mlax-opt %s --split-input-file --mlax-expand-math | FileCheck %s

// --mlax-expand-math replaces exp, log, log1p, expm1, tanh, erf (f32, f64) and sin, cos
// (f32) with range reduction and polynomials in arith, so that loops calling them
// vectorize. Fused multiply-adds are explicit math.fma ops; nothing carries
// fastmath<contract>, so the bits do not depend on where LLVM would fuse.

// Tests that exp inside a linalg.generic becomes n = round(x log2(e)) (added to
// 1.5 * 2**23 + 2 * 127, whose low bits are then n + 254, the sum of the biased exponents
// of 2**(n // 2) and 2**(n - n // 2)), r = x - n ln2 in two FMAs, a Cephes polynomial in
// r, and a scale by 2**n as two products (two, for subnormal results) by those powers of
// two, each one shift of its half, the first an FMA adding the polynomial's leading 1;
// the products carry a NaN through without a select.
// CHECK-LABEL: func.func @exp_in_generic
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK-NOT: math.exp
// CHECK-NOT: contract
// CHECK: %[[MAGIC:.*]] = arith.constant 0x4B4000FE : f32
// CHECK: %[[T:.*]] = math.fma %{{.*}}, %{{.*}}, %[[MAGIC]] : f32
// CHECK: %[[N:.*]] = arith.subf %[[T]], %{{.*}} : f32
// CHECK: %[[TI:.*]] = arith.bitcast %[[T]] : f32 to i32
// CHECK: %[[BASE:.*]] = arith.constant 1262485504 : i32
// CHECK: %[[E:.*]] = arith.subi %[[TI]], %[[BASE]] : i32
// CHECK: %[[R1:.*]] = math.fma %[[N]], %{{.*}}, %{{.*}} : f32
// CHECK: %[[R:.*]] = math.fma %[[N]], %{{.*}}, %[[R1]] : f32
// CHECK: %[[Q:.*]] = math.fma %{{.*}}, %{{.*}}, %[[R]] : f32
// CHECK-NOT: arith.addf
// CHECK: %[[E1:.*]] = arith.shrsi %[[E]], %{{.*}} : i32
// CHECK: %[[E2:.*]] = arith.subi %[[E]], %[[E1]] : i32
// CHECK: %[[B1:.*]] = arith.shli %[[E1]], %{{.*}} : i32
// CHECK: %[[P1:.*]] = arith.bitcast %[[B1]] : i32 to f32
// CHECK: %[[Y1:.*]] = math.fma %[[Q]], %[[P1]], %[[P1]] : f32
// CHECK: %[[B2:.*]] = arith.shli %[[E2]], %{{.*}} : i32
// CHECK: %[[P2:.*]] = arith.bitcast %[[B2]] : i32 to f32
// CHECK-NOT: arith.select
// CHECK: %[[EXP:.*]] = arith.mulf %[[Y1]], %[[P2]] : f32
// CHECK: linalg.yield %[[EXP]] : f32
#id = affine_map<(d0) -> (d0)>
func.func @exp_in_generic(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %1 = math.exp %a : f32
    linalg.yield %1 : f32
  } -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

// Tests that f64 exp uses Cephes' rational form and 52-bit exponent arithmetic.
// CHECK-LABEL: func.func @exp_f64
// CHECK-NOT: math.exp
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: %[[C52:.*]] = arith.constant 52 : i64
// CHECK: arith.shli %{{.*}}, %[[C52]] : i64
func.func @exp_f64(%x: f64) -> f64 {
  %0 = math.exp %x : f64
  return %0 : f64
}

// -----

// Tests that log splits x into exponent and mantissa bits (fdlibm), and maps x < 0 and
// NaN (unordered) to NaN, 0 to -inf.
// CHECK-LABEL: func.func @log
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK-NOT: math.log
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[C23:.*]] = arith.constant 23 : i32
// CHECK: arith.shrsi %{{.*}}, %[[C23]] : i32
// CHECK: arith.sitofp %{{.*}} : i32 to f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[Z:.*]] = arith.cmpf oeq, %[[X]], %[[ZERO]] : f32
// CHECK-NEXT: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: arith.select %[[Z]], %[[NEGINF]], %{{.*}} : f32
// CHECK: %[[NEG:.*]] = arith.cmpf ult, %[[X]], %{{.*}} : f32
// CHECK: %[[R:.*]] = arith.select %[[NEG]], %{{.*}}, %{{.*}} : f32
// CHECK: return %[[R]]
func.func @log(%x: f32) -> f32 {
  %0 = math.log %x : f32
  return %0 : f32
}

// -----

// Tests that log1p and expm1 expand (upstream lowers them as log(1 + x) and exp(x) - 1,
// which lose all precision near zero).
// CHECK-LABEL: func.func @log1p_expm1
// CHECK-NOT: math.log1p
// CHECK-NOT: math.expm1
// CHECK-NOT: math.log
// CHECK-NOT: math.exp
// CHECK: return
func.func @log1p_expm1(%x: f32) -> (f32, f32) {
  %0 = math.log1p %x : f32
  %1 = math.expm1 %x : f32
  return %0, %1 : f32, f32
}

// -----

// Tests that tanh computes on |x| and restores the sign with copysign.
// CHECK-LABEL: func.func @tanh
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK: %[[A:.*]] = math.absf %[[X]] : f32
// CHECK-NOT: math.tanh
// CHECK: %[[R:.*]] = math.copysign %{{.*}}, %[[X]] : f32
// CHECK: return %[[R]]
func.func @tanh(%x: f32) -> f32 {
  %0 = math.tanh %x : f32
  return %0 : f32
}

// -----

// Tests that erf expands for f32 and f64.
// CHECK-LABEL: func.func @erf
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK: return
func.func @erf(%x: f32, %y: f64) -> (f32, f64) {
  %0 = math.erf %x : f32
  %1 = math.erf %y : f64
  return %0, %1 : f32, f64
}

// -----

// Tests that f32 sin works on |x| with an f64 argument reduction: Cody-Waite below 2**24,
// above it the bits of 2/pi cut at the exponent (Payne-Hanek, with selects and shifts on
// i64, no table loads); the quadrant is k mod 4; f64 sin and cos stay libm calls.
// CHECK-LABEL: func.func @sin_cos
// CHECK-SAME: (%[[X:.*]]: f32, %[[Y:.*]]: f64)
// CHECK: %[[A:.*]] = math.absf %[[X]] : f32
// CHECK: %[[XD:.*]] = arith.extf %[[A]] : f32 to f64
// CHECK: math.floor %{{.*}} : f64
// CHECK: arith.bitcast %[[A]] : f32 to i32
// CHECK: arith.shli %{{.*}}, %{{.*}} : i64
// CHECK: arith.shrui %{{.*}}, %{{.*}} : i64
// CHECK: %[[C2P24:.*]] = arith.constant 0x4B800000 : f32
// CHECK: %[[BIG:.*]] = arith.cmpf oge, %[[A]], %[[C2P24]] : f32
// CHECK: arith.select %[[BIG]], %{{.*}}, %{{.*}} : f64
// CHECK: %[[R:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.fptosi %{{.*}} : f64 to i32
// CHECK-NOT: math.sin %[[X]]
// CHECK-NOT: tensor.extract
// CHECK: %[[C:.*]] = math.cos %[[Y]] : f64
// CHECK: return %{{.*}}, %[[C]]
func.func @sin_cos(%x: f32, %y: f64) -> (f32, f64) {
  %0 = math.sin %x : f32
  %1 = math.cos %y : f64
  return %0, %1 : f32, f64
}

// -----

// Tests that f16 ops compute in f32 and that other math ops are left alone.
// CHECK-LABEL: func.func @f16_and_others
// CHECK-SAME: (%[[H:.*]]: f16, %[[X:.*]]: f32)
// CHECK: %[[F:.*]] = arith.extf %[[H]] : f16 to f32
// CHECK: %[[T:.*]] = arith.truncf %{{.*}} : f32 to f16
// CHECK: %[[P:.*]] = math.powf %[[X]], %[[X]] : f32
// CHECK: return %[[T]], %[[P]]
func.func @f16_and_others(%h: f16, %x: f32) -> (f16, f32) {
  %0 = math.exp %h : f16
  %1 = math.powf %x, %x : f32
  return %0, %1 : f16, f32
}

// -----

// Tests that an op marked mlax.libm is left to libm (mlax.xla_log's f64 log).
// CHECK-LABEL: func.func @libm
// CHECK-SAME: (%[[X:.*]]: f64)
// CHECK: %[[L:.*]] = math.log %[[X]] {mlax.libm} : f64
// CHECK: %[[E:.*]] = math.erf %[[X]] {mlax.libm} : f64
// CHECK: return %[[L]], %[[E]]
func.func @libm(%x: f64) -> (f64, f64) {
  %0 = math.log %x {mlax.libm} : f64
  %1 = math.erf %x {mlax.libm} : f64
  return %0, %1 : f64, f64
}
