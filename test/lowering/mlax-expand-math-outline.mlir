// RUN: mlax-opt %s --split-input-file --mlax-expand-math=outline=2 | FileCheck %s

// --mlax-expand-math{outline=N} computes an (op, element type) used N or more times once, in
// a noinline weak_odr function with vector variants named for LLVM's loop vectorizer
// (vector-function-abi-variant), and calls it where the op was; rarer ones stay inline.

// Tests that two sins of f32 call one function, defined once, with 4-, 8- and 16-wide
// vector variants holding the same polynomial on vectors, and that the one exp is inline.
// CHECK-LABEL: func.func @sin_sin_exp
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S1:.*]] = func.call @mlax_sin_f32(%[[X]]) : (f32) -> f32
// CHECK: %[[S2:.*]] = func.call @mlax_sin_f32(%[[S1]]) : (f32) -> f32
// CHECK-NOT: func.call
// CHECK: arith.constant 0x4B4000FE : f32
// CHECK: linalg.yield
// CHECK-NOT: math.sin
// CHECK: func.func @mlax_sin_f32x4(%{{.*}}: vector<4xf32>) -> vector<4xf32> attributes {llvm.linkage = #llvm.linkage<weak_odr>, memory_effects = #llvm.memory_effects<other = none, {{.*}}>, passthrough = ["noinline", "nounwind", "willreturn"]}
// CHECK: arith.constant dense<{{.*}}> : vector<4xf32>
// CHECK: math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: func.func @mlax_sin_f32x8(%{{.*}}: vector<8xf32>) -> vector<8xf32>
// CHECK: func.func @mlax_sin_f32x16(%{{.*}}: vector<16xf32>) -> vector<16xf32>
// CHECK: func.func @mlax_sin_f32(%{{.*}}: f32) -> f32 attributes {{{.*}}passthrough = ["noinline", "nounwind", "willreturn", ["vector-function-abi-variant", "_ZGV_LLVM_N4v_mlax_sin_f32(mlax_sin_f32x4),_ZGV_LLVM_N8v_mlax_sin_f32(mlax_sin_f32x8),_ZGV_LLVM_N16v_mlax_sin_f32(mlax_sin_f32x16)"]]}
// CHECK: math.floor %{{.*}} : f64
// CHECK-NOT: func.func @mlax_exp
#id = affine_map<(d0) -> (d0)>
func.func @sin_sin_exp(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %1 = math.sin %a : f32
    %2 = math.sin %1 : f32
    %3 = math.exp %2 : f32
    linalg.yield %3 : f32
  } -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

// Tests that f16 computes in f32 (calls to the f32 function between extf and truncf),
// that f64 sin, which the pass does not expand, stays as it is, and that a libm-marked op
// is left alone.
// CHECK-LABEL: func.func @f16_and_f64
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[T:.*]] = func.call @mlax_tanh_f32(%[[W]]) : (f32) -> f32
// CHECK: arith.truncf %[[T]] : f32 to f16
// CHECK: func.call @mlax_tanh_f32(
// CHECK: math.sin %{{.*}} : f64
// CHECK: math.log %{{.*}} {mlax.libm} : f64
// CHECK-NOT: func.func @mlax_sin_f64
// CHECK: func.func @mlax_tanh_f32(
#id = affine_map<(d0) -> (d0)>
func.func @f16_and_f64(%h: tensor<16xf16>, %y: tensor<16xf64>) -> (tensor<16xf16>, tensor<16xf64>) {
  %e = tensor.empty() : tensor<16xf16>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%h : tensor<16xf16>) outs(%e : tensor<16xf16>) {
  ^bb0(%a: f16, %b: f16):
    %1 = math.tanh %a : f16
    %5 = math.tanh %1 : f16
    linalg.yield %5 : f16
  } -> tensor<16xf16>
  %e2 = tensor.empty() : tensor<16xf64>
  %2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : tensor<16xf64>) outs(%e2 : tensor<16xf64>) {
  ^bb0(%a: f64, %b: f64):
    %3 = math.sin %a : f64
    %4 = math.log %3 {mlax.libm} : f64
    linalg.yield %4 : f64
  } -> tensor<16xf64>
  return %0, %2 : tensor<16xf16>, tensor<16xf64>
}
