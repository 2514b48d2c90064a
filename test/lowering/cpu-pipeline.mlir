// RUN: mlax-opt %s --split-input-file --pipeline=cpu | FileCheck %s

// The whole cpu pipeline (mlax.pipelines.CPU): mlax -> linalg -> fused loops -> LLVM
// dialect with bare-pointer arguments and results written through out-parameters.

// Tests that an elementwise chain becomes one loop whose body does both ops, with the
// result as a trailing pointer argument and the dead op gone.
// CHECK-LABEL: llvm.func @elementwise
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: llvm.func
// CHECK: %[[A:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK: %[[B:.*]] = llvm.load %{{.*}} : !llvm.ptr -> f32
// CHECK: %[[S:.*]] = llvm.fadd %[[A]], %[[B]] : f32
// CHECK-NEXT: %[[M:.*]] = llvm.fmul %[[S]], %[[A]] : f32
// CHECK-NOT: llvm.fsub
// CHECK: llvm.store %[[M]], %{{.*}} : f32, !llvm.ptr
// CHECK: llvm.return
// CHECK-NOT: mlax.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: unrealized_conversion_cast
func.func @elementwise(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.mul"(%0, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.sub"(%0, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Tests that an exp feeding a row sum fuses into the reduction loop, the exp expanded to
// a polynomial (mlax-expand-math) rather than a libm call.
// CHECK-LABEL: llvm.func @row_sum
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: llvm.intr.exp
// CHECK-NOT: llvm.call @expf
// CHECK: llvm.fadd
// CHECK: llvm.store
// CHECK: llvm.return
func.func @row_sum(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %0 = "mlax.exp"(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = "mlax.reduce_sum"(%0) {axes = array<i64: 1>} : (tensor<4x8xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Tests that a matmul lowers to a multiply-accumulate loop nest.
// CHECK-LABEL: llvm.func @matmul
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: %[[M:.*]] = llvm.fmul %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[S:.*]] = llvm.fadd %{{.*}}, %[[M]] : f32
// CHECK: llvm.store %[[S]]
// CHECK: llvm.return
func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that ui32 arithmetic reaches LLVM as i32 with logical (unsigned) shifts, shift
// amounts of 32 or more giving 0.
// CHECK-LABEL: llvm.func @uint_bits
// CHECK: %[[X:.*]] = llvm.xor %{{.*}}, %[[B:.*]] : i32
// CHECK-NEXT: %[[BIG:.*]] = llvm.icmp "uge" %[[B]], %{{.*}} : i32
// CHECK-NEXT: %[[S:.*]] = llvm.lshr %[[X]], %[[B]] : i32
// CHECK-NEXT: %[[R:.*]] = llvm.select %[[BIG]], %{{.*}}, %[[S]] : i1, i32
// CHECK: llvm.store %[[R]], %{{.*}} : i32, !llvm.ptr
func.func @uint_bits(%a: tensor<4xui32>, %b: tensor<4xui32>) -> tensor<4xui32> {
  %0 = "mlax.xor"(%a, %b) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %1 = "mlax.shift_right_logical"(%0, %b) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  return %1 : tensor<4xui32>
}

// -----

// Tests that two results become two out-parameters after the input.
// CHECK-LABEL: llvm.func @two_results
// CHECK-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.fneg
// CHECK: llvm.intr.maximum
// CHECK: llvm.return
func.func @two_results(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %0 = "mlax.neg"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.reduce_max"(%a) {axes = array<i64: 0>} : (tensor<4xf32>) -> tensor<f32>
  return %0, %1 : tensor<4xf32>, tensor<f32>
}

// -----

// Tests that the register tiles of a batched contraction (vector transfers of 8x32 and
// 8x1 tiles with AVX-512, 6x16 and 6x1 with AVX2) are read and written without stack
// temporaries: an alloca inside the tile loops would grow the stack on every tile.
// CHECK-LABEL: llvm.func @batched_small_k
// CHECK-NOT: llvm.alloca
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<{{16|32}}xf32>
// CHECK-NOT: llvm.alloca
// CHECK: llvm.return
func.func @batched_small_k(%a: tensor<4x64x4xf32>, %b: tensor<4x4x32xf32>) -> tensor<4x64x32xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64: 0>, lhs_contracting_dimensions = array<i64: 2>, rhs_batch_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<4x64x4xf32>, tensor<4x4x32xf32>) -> tensor<4x64x32xf32>
  return %0 : tensor<4x64x32xf32>
}

// -----

// Tests that complex elements are {f32, f32} structs in memory and a complex multiply
// is real arithmetic on their parts (convert-complex-to-standard, convert-complex-to-llvm).
// CHECK-LABEL: llvm.func @complex_mul
// CHECK: %[[A:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.struct<(f32, f32)>
// CHECK: %[[B:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.struct<(f32, f32)>
// CHECK: %[[AR:.*]] = llvm.extractvalue %[[A]][0] : !llvm.struct<(f32, f32)>
// CHECK: %[[AI:.*]] = llvm.extractvalue %[[A]][1] : !llvm.struct<(f32, f32)>
// CHECK: %[[BR:.*]] = llvm.extractvalue %[[B]][0] : !llvm.struct<(f32, f32)>
// CHECK: %[[BI:.*]] = llvm.extractvalue %[[B]][1] : !llvm.struct<(f32, f32)>
// CHECK: %[[RR:.*]] = llvm.fmul %[[AR]], %[[BR]] : f32
// CHECK: %[[II:.*]] = llvm.fmul %[[AI]], %[[BI]] : f32
// CHECK: llvm.fsub %[[RR]], %[[II]] : f32
// CHECK: llvm.store %{{.*}}, %{{.*}} : !llvm.struct<(f32, f32)>, !llvm.ptr
// CHECK-NOT: complex.
func.func @complex_mul(%a: tensor<4xcomplex<f32>>, %b: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  %0 = "mlax.mul"(%a, %b) : (tensor<4xcomplex<f32>>, tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>>
  return %0 : tensor<4xcomplex<f32>>
}
