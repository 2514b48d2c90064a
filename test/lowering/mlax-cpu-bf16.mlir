// RUN: mlax-opt %s --split-input-file --mlax-cpu-bf16 | FileCheck %s

// Tests that a bf16 op becomes the f32 op between an extf of each operand and a rounding
// of the result to nearest even in integer code, with the quiet NaN of its sign for NaN.
// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:.*]]: bf16, %[[B:.*]]: bf16)
// CHECK-DAG: %[[WA:.*]] = arith.extf %[[A]] : bf16 to f32
// CHECK-DAG: %[[WB:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK: %[[S:.*]] = arith.addf %[[WA]], %[[WB]] : f32
// CHECK: %[[BITS:.*]] = arith.bitcast %[[S]] : f32 to i32
// CHECK: %[[HIGH:.*]] = arith.shrui %[[BITS]], %{{.*}} : i32
// CHECK: %[[LSB:.*]] = arith.andi %[[HIGH]], %{{.*}} : i32
// CHECK: %[[BIAS:.*]] = arith.addi %[[LSB]], %{{.*}} : i32
// CHECK: %[[UP:.*]] = arith.addi %[[BITS]], %[[BIAS]] : i32
// CHECK: %[[RND:.*]] = arith.shrui %[[UP]], %{{.*}} : i32
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[S]], %[[S]] : f32
// CHECK: %[[SEL:.*]] = arith.select %[[NAN]], %{{.*}}, %[[RND]] : i32
// CHECK: %[[H:.*]] = arith.trunci %[[SEL]] : i32 to i16
// CHECK: %[[R:.*]] = arith.bitcast %[[H]] : i16 to bf16
// CHECK: return %[[R]] : bf16
func.func @add(%a: bf16, %b: bf16) -> bf16 {
  %0 = arith.addf %a, %b : bf16
  return %0 : bf16
}

// -----

// Tests that each op of a chain rounds (no f32 value crosses from one op to the next) and
// that vectors are handled lane by lane.
// CHECK-LABEL: func.func @chain
// CHECK: %[[M:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[R1:.*]] = arith.bitcast %{{.*}} : vector<8xi16> to vector<8xbf16>
// CHECK: %[[W:.*]] = arith.extf %[[R1]] : vector<8xbf16> to vector<8xf32>
// CHECK: %[[E:.*]] = math.exp %[[W]] : vector<8xf32>
// CHECK: arith.bitcast %{{.*}} : vector<8xi16> to vector<8xbf16>
func.func @chain(%a: vector<8xbf16>) -> vector<8xbf16> {
  %0 = arith.mulf %a, %a : vector<8xbf16>
  %1 = math.exp %0 : vector<8xbf16>
  return %1 : vector<8xbf16>
}

// -----

// Tests that comparisons and conversions compute on the f32 value, that a bf16 truncf is
// the integer rounding itself, and that f32 ops are left alone.
// CHECK-LABEL: func.func @conversions
// CHECK: %[[C:.*]] = arith.cmpf olt, %{{.*}}, %{{.*}} : f32
// CHECK: %[[I:.*]] = arith.fptosi %{{.*}} : f32 to i32
// CHECK: %[[F:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK: arith.bitcast %{{.*}} : i16 to bf16
// CHECK-NOT: arith.truncf
// CHECK: arith.bitcast %{{.*}} : i16 to bf16
// CHECK: %[[Y:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
func.func @conversions(%a: bf16, %b: bf16, %i: i32, %x: f32) -> (i1, i32, bf16, bf16, f32) {
  %0 = arith.cmpf olt, %a, %b : bf16
  %1 = arith.fptosi %a : bf16 to i32
  %2 = arith.sitofp %i : i32 to bf16
  %3 = arith.truncf %x : f32 to bf16
  %4 = arith.mulf %x, %x : f32
  return %0, %1, %2, %3, %4 : i1, i32, bf16, bf16, f32
}
