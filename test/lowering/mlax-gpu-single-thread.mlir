// RUN: mlax-opt %s --split-input-file --mlax-gpu-single-thread | FileCheck %s

// The one-thread fallback (mlax.backends.cuda.launch) on bufferized code.

// Tests that a copy and a loop become one forall of one block (a one-thread kernel), the
// copy a linalg.copy; the allocation stays on the host, and so does a load whose result
// the host uses (here: returned), with the ops that compute from it.
// CHECK-LABEL: func.func @copy_and_loop
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: scf.forall (%{{.*}}) in (1) {
// CHECK-NEXT: linalg.copy {{.*}}ins(%{{.*}} : memref<4xf32>) outs(%[[TMP]] : memref<4xf32>)
// CHECK-NEXT: scf.for
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NEXT: %[[J:.*]] = memref.load %{{.*}}[] : memref<i32>
// CHECK-NEXT: %[[JX:.*]] = arith.index_cast %[[J]]
// CHECK-NEXT: %[[S:.*]] = memref.load %{{.*}}[%[[JX]]]
// CHECK: return %[[S]]
func.func @copy_and_loop(%a: memref<4xf32>, %b: memref<4xf32>, %i: memref<i32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %tmp = memref.alloc() : memref<4xf32>
  memref.copy %a, %tmp : memref<4xf32> to memref<4xf32>
  scf.for %k = %c0 to %c4 step %c1 {
    %v = memref.load %tmp[%k] : memref<4xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %b[%k] : memref<4xf32>
  }
  %j = memref.load %i[] : memref<i32>
  %jx = arith.index_cast %j : i32 to index
  %s = memref.load %b[%jx] : memref<4xf32>
  memref.dealloc %tmp : memref<4xf32>
  return %s : f32
}

// -----

// Tests that a forall already mapped to blocks is left as it is, and that a copy of a
// buffer onto itself is dropped.
// CHECK-LABEL: func.func @scheduled
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.copy
// CHECK: scf.forall (%{{.*}}) in (4) {
// CHECK-NOT: scf.forall
// CHECK: } {mapping = [#gpu.block<x>]}
func.func @scheduled(%a: memref<4xf32>) {
  memref.copy %a, %a : memref<4xf32> to memref<4xf32>
  scf.forall (%k) in (4) {
    %v = memref.load %a[%k] : memref<4xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%k] : memref<4xf32>
  } {mapping = [#gpu.block<x>]}
  return
}
