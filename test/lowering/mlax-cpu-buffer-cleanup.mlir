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

// Tests that a copy out of a strided view becomes loops (here of one vector per row of 4
// floats, instead of a call to the runtime's element-by-element memrefCopy), and that a
// contiguous copy stays a memref.copy (a memcpy).
// CHECK-LABEL: func.func @strided_copy
// CHECK: %[[S:.*]] = memref.subview
// CHECK: vector.load %[[S]][%{{.*}}, %{{.*}}] : memref<4x4xf32, strided<[8, 1], offset: 2>>, vector<4xf32>
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x4xf32> to memref<4x4xf32>
func.func @strided_copy(%x: memref<4x8xf32>, %y: memref<4x4xf32>, %z: memref<4x4xf32>) {
  %s = memref.subview %x[0, 2] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 2>>
  memref.copy %s, %y : memref<4x4xf32, strided<[8, 1], offset: 2>> to memref<4x4xf32>
  memref.copy %y, %z : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// Tests that a strided copy of short rows contiguous in both views (an im2col copy of 8
// channels into rows of 72) copies each row as one vector, in loops over the outer dims.
// CHECK-LABEL: func.func @row_copy
// CHECK: %[[S:.*]] = memref.subview %arg0
// CHECK: %[[D:.*]] = memref.subview %arg1
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[R:.*]] = vector.load %[[S]][%[[I]], %[[J]], %{{.*}}] : memref<2x4x8xf32, strided<[80, 8, 1], offset: 8>>, vector<8xf32>
// CHECK: vector.store %[[R]], %[[D]][%[[I]], %[[J]], %{{.*}}] : memref<2x4x8xf32, strided<[288, 72, 1], offset: 16>>, vector<8xf32>
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.copy
func.func @row_copy(%x: memref<2x10x8xf32>, %y: memref<2x4x72xf32>) {
  %s = memref.subview %x[0, 1, 0] [2, 4, 8] [1, 1, 1] : memref<2x10x8xf32> to memref<2x4x8xf32, strided<[80, 8, 1], offset: 8>>
  %d = memref.subview %y[0, 0, 16] [2, 4, 8] [1, 1, 1] : memref<2x4x72xf32> to memref<2x4x8xf32, strided<[288, 72, 1], offset: 16>>
  memref.copy %s, %d : memref<2x4x8xf32, strided<[80, 8, 1], offset: 8>> to memref<2x4x8xf32, strided<[288, 72, 1], offset: 16>>
  return
}

// -----

// Tests that rows too short for a vector (2 floats), or strided in a view (a transposed
// copy), stay a linalg.copy.
// CHECK-LABEL: func.func @rows_kept
// CHECK: linalg.copy {{.*}}memref<4x2xf32, strided<[8, 1], offset: 2>>
// CHECK: linalg.copy {{.*}}memref<4x4xf32, strided<[1, 8]>>
// CHECK-NOT: vector.load
func.func @rows_kept(%x: memref<4x8xf32>, %y: memref<4x2xf32>, %z: memref<4x4xf32>) {
  %s = memref.subview %x[0, 2] [4, 2] [1, 1] : memref<4x8xf32> to memref<4x2xf32, strided<[8, 1], offset: 2>>
  memref.copy %s, %y : memref<4x2xf32, strided<[8, 1], offset: 2>> to memref<4x2xf32>
  %t = memref.transpose %x (i, j) -> (j, i) : memref<4x8xf32> to memref<8x4xf32, strided<[1, 8]>>
  %u = memref.subview %t[0, 0] [4, 4] [1, 1] : memref<8x4xf32, strided<[1, 8]>> to memref<4x4xf32, strided<[1, 8]>>
  memref.copy %u, %z : memref<4x4xf32, strided<[1, 8]>> to memref<4x4xf32>
  return
}
