// RUN: mlax-opt %s --split-input-file --mlax-cpu-buffer-cleanup | FileCheck %s

// After bufferization (mlax.backends.cpu.after_bufferization): results computed in a temporary and
// copied into their out-parameter are computed in the out-parameter; strided copies
// become linalg.copy loop nests.

// Tests that a result built in a buffer seen through reshapes is built in the
// out-parameter (seen through the inverse reshapes): no alloc, no copy, no dealloc.
// CHECK-LABEL: func.func @through_reshapes
// CHECK-SAME: (%[[X:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<4x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[E:.*]] = memref.expand_shape %[[OUT]] {{\[\[}}0], [1, 2]] output_shape [4, 2, 4]
// CHECK: %[[V:.*]] = memref.collapse_shape %[[E]]
// CHECK: memref.expand_shape %[[V]]
// CHECK: linalg.fill
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @through_reshapes(%x: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %cst = arith.constant 1.0 : f32
  %alloc = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  %e = memref.expand_shape %alloc [[0], [1, 2]] output_shape [4, 2, 4] : memref<4x8xf32> into memref<4x2x4xf32>
  linalg.fill ins(%cst : f32) outs(%e : memref<4x2x4xf32>)
  %c = memref.collapse_shape %e [[0], [1, 2]] : memref<4x2x4xf32> into memref<4x8xf32>
  memref.copy %c, %out : memref<4x8xf32> to memref<4x8xf32>
  memref.dealloc %alloc : memref<4x8xf32>
  return
}

// -----

// Tests that an out-parameter that is also read is left alone.
// CHECK-LABEL: func.func @out_param_read
// CHECK: memref.alloc
// CHECK: memref.copy
func.func @out_param_read(%x: memref<8xf32>, %out: memref<8xf32>) {
  %alloc = memref.alloc() : memref<8xf32>
  linalg.copy ins(%out : memref<8xf32>) outs(%alloc : memref<8xf32>)
  memref.copy %alloc, %out : memref<8xf32> to memref<8xf32>
  memref.dealloc %alloc : memref<8xf32>
  return
}

// -----

// Tests that a copy out of a strided view becomes a linalg.copy (a loop nest LLVM
// vectorizes, instead of a call to the runtime's element-by-element memrefCopy), and that
// a contiguous copy stays a memref.copy (a memcpy).
// CHECK-LABEL: func.func @strided_copy
// CHECK: %[[S:.*]] = memref.subview
// CHECK: linalg.copy {{.*}}ins(%[[S]] : memref<4x4xf32, strided<[8, 1], offset: 2>>) outs(%{{.*}} : memref<4x4xf32>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x4xf32> to memref<4x4xf32>
func.func @strided_copy(%x: memref<4x8xf32>, %y: memref<4x4xf32>, %z: memref<4x4xf32>) {
  %s = memref.subview %x[0, 2] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 2>>
  memref.copy %s, %y : memref<4x4xf32, strided<[8, 1], offset: 2>> to memref<4x4xf32>
  memref.copy %y, %z : memref<4x4xf32> to memref<4x4xf32>
  return
}
