// RUN: mlax-opt %s --split-input-file --mlax-lower-to-linalg | FileCheck %s

// Integer division, shifts and float -> integer conversion get XLA's values where the
// hardware traps or LLVM's result is poison.

// Tests that signed division divides by 1 where the divisor is 0 or the quotient
// overflows (INT_MIN / -1), and gives -1 where the divisor is 0.
// CHECK-LABEL: func.func @div_signed
// CHECK: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[Y]], %[[C0:.*]] : i32
// CHECK: %[[MIN:.*]] = arith.cmpi eq, %[[X]], %{{.*}} : i32
// CHECK: %[[M1:.*]] = arith.cmpi eq, %[[Y]], %{{.*}} : i32
// CHECK: %[[OV:.*]] = arith.andi %[[MIN]], %[[M1]] : i1
// CHECK: %[[BAD:.*]] = arith.ori %[[Z]], %[[OV]] : i1
// CHECK: %[[SAFE:.*]] = arith.select %[[BAD]], %{{.*}}, %[[Y]] : i32
// CHECK: %[[Q:.*]] = arith.divsi %[[X]], %[[SAFE]] : i32
// CHECK: %[[R:.*]] = arith.select %[[Z]], %{{.*}}, %[[Q]] : i32
// CHECK: linalg.yield %[[R]] : i32
func.func @div_signed(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "mlax.div"(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Tests that unsigned remainder by 0 is the dividend.
// CHECK-LABEL: func.func @rem_unsigned
// CHECK: ^bb0(%[[X:.*]]: i8, %[[Y:.*]]: i8, %{{.*}}: i8):
// CHECK: %[[Z:.*]] = arith.cmpi eq, %[[Y]], %{{.*}} : i8
// CHECK: %[[SAFE:.*]] = arith.select %[[Z]], %{{.*}}, %[[Y]] : i8
// CHECK: %[[R:.*]] = arith.remui %[[X]], %[[SAFE]] : i8
// CHECK: %[[OUT:.*]] = arith.select %[[Z]], %[[X]], %[[R]] : i8
// CHECK: linalg.yield %[[OUT]] : i8
func.func @rem_unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = "mlax.rem"(%a, %b) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// Tests that shifts by the bit width or more (unsigned compare: negative amounts too)
// give 0, and arithmetic right shifts shift by width - 1 instead (the sign).
// CHECK-LABEL: func.func @shifts
// CHECK: ^bb0(%[[X:.*]]: i16, %[[Y:.*]]: i16, %{{.*}}: i16):
// CHECK: %[[BIG:.*]] = arith.cmpi uge, %[[Y]], %[[W:.*]] : i16
// CHECK: %[[S:.*]] = arith.shli %[[X]], %[[Y]] : i16
// CHECK: arith.select %[[BIG]], %{{.*}}, %[[S]] : i16
// CHECK: ^bb0(%[[X2:.*]]: i16, %[[Y2:.*]]: i16, %{{.*}}: i16):
// CHECK: %[[BIG2:.*]] = arith.cmpi uge, %[[Y2]], %{{.*}} : i16
// CHECK: %[[AMT:.*]] = arith.select %[[BIG2]], %{{.*}}, %[[Y2]] : i16
// CHECK: arith.shrsi %[[X2]], %[[AMT]] : i16
func.func @shifts(%a: tensor<4xi16>, %b: tensor<4xi16>) -> tensor<4xi16> {
  %0 = "mlax.shift_left"(%a, %b) : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %1 = "mlax.shift_right_arithmetic"(%0, %b) : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  return %1 : tensor<4xi16>
}

// -----

// Tests that float -> int conversion saturates at the bounds (compared as floats:
// 2^31 and -2^31) and maps NaN to 0.
// CHECK-LABEL: func.func @float_to_int
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: i32):
// CHECK-DAG: %[[LO:.*]] = arith.constant -2.14748365E+9 : f32
// CHECK-DAG: %[[HI:.*]] = arith.constant 2.14748365E+9 : f32
// CHECK: %[[T:.*]] = arith.fptosi %[[X]] : f32 to i32
// CHECK: %[[GE:.*]] = arith.cmpf oge, %[[X]], %[[HI]] : f32
// CHECK: %[[R1:.*]] = arith.select %[[GE]], %{{.*}}, %[[T]] : i32
// CHECK: %[[LE:.*]] = arith.cmpf ole, %[[X]], %[[LO]] : f32
// CHECK: %[[R2:.*]] = arith.select %[[LE]], %{{.*}}, %[[R1]] : i32
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK: %[[R3:.*]] = arith.select %[[NAN]], %{{.*}}, %[[R2]] : i32
// CHECK: linalg.yield %[[R3]] : i32
func.func @float_to_int(%a: tensor<4xf32>) -> tensor<4xi32> {
  %0 = "mlax.convert_element_type"(%a) {new_dtype = i32} : (tensor<4xf32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Tests that bf16 logistic is XLA's expansion 1 / (1 + exp(-x)) in bf16 ops (each rounded
// to bf16, as XLA's CPU backend rounds them), not the f32 formula with a select.
// CHECK-LABEL: func.func @logistic_bf16
// CHECK: ^bb0(%[[X:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[N:.*]] = arith.negf %[[X]] : bf16
// CHECK: %[[E:.*]] = math.exp %[[N]] : bf16
// CHECK: %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : bf16
// CHECK: %[[R:.*]] = arith.divf %{{.*}}, %[[D]] : bf16
// CHECK: linalg.yield %[[R]] : bf16
func.func @logistic_bf16(%a: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = "mlax.logistic"(%a) : (tensor<4xbf16>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// Tests that bf16 exp2 is JAX's lowering exp(log(2) * x), log(2) rounded to bf16.
// CHECK-LABEL: func.func @exp2_bf16
// CHECK: ^bb0(%[[X:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[M:.*]] = arith.mulf %{{.*}}, %[[X]] : bf16
// CHECK: %[[E:.*]] = math.exp %[[M]] : bf16
// CHECK: linalg.yield %[[E]] : bf16
func.func @exp2_bf16(%a: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = "mlax.exp2"(%a) : (tensor<4xbf16>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// Tests that float16 -> bfloat16 (same width) converts through f32.
// CHECK-LABEL: func.func @f16_to_bf16
// CHECK: ^bb0(%[[X:.*]]: f16, %{{.*}}: bf16):
// CHECK: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[R:.*]] = arith.truncf %[[W]] : f32 to bf16
// CHECK: linalg.yield %[[R]] : bf16
func.func @f16_to_bf16(%a: tensor<4xf16>) -> tensor<4xbf16> {
  %0 = "mlax.convert_element_type"(%a) {new_dtype = bf16} : (tensor<4xf16>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}
