// RUN: mlax-opt %s --split-input-file --mlax-gpu-tree-reduce | FileCheck %s

// Block tree reductions (mlax.backends.cuda.reduction) of bufferized reductions.

// Tests that a full max becomes one block of 256 threads: each folds a strided share of
// the elements from -inf into a shared-memory slot, 8 halving phases combine the slots,
// and one thread combines the output's initial value with the total.
// CHECK-LABEL: func.func @full_max
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK: %[[SHARED:.*]] = memref.alloca() : memref<256xf32, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%[[T:.*]]) in (256) {
// CHECK: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[PART:.*]] = scf.for %{{.*}} = %[[T]] to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[NEG_INF]]) -> (f32)
// CHECK: arith.maximumf
// CHECK: memref.store %[[PART]], %[[SHARED]][%[[T]]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK: scf.for %[[S:.*]] = %{{.*}} to %c8
// CHECK: scf.forall (%[[T2:.*]]) in (256) {
// CHECK: %[[HALF:.*]] = arith.shrui %{{.*}}, %[[S]] : index
// CHECK: arith.cmpi ult, %[[T2]], %[[HALF]] : index
// CHECK: arith.maximumf
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK: memref.load %[[SHARED]][%{{.*}}]
// CHECK: arith.maximumf
// CHECK: memref.store %{{.*}}, %{{.*}}[] : memref<f32>
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: linalg.generic
#vec = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @full_max(%a: memref<3000xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [#vec, #scalar], iterator_types = ["reduction"]}
      ins(%a : memref<3000xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.maximumf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Tests that a long row sum (3000 elements per row) gets one block per row, each thread
// loading element (row, r) for its strided share of r.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.forall (%[[B:.*]]) in (4) {
// CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<4x3000xf32>
// CHECK: arith.addf
// CHECK: } {mapping = [#gpu.block<x>]}
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%a: memref<4x3000xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x3000xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Tests that a short row sum (30 elements per row) is left to the per-output schedule.
// CHECK-LABEL: func.func @short_rows
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @short_rows(%a: memref<4x30xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x30xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Tests that a full sum of 2^17 integers takes two kernels: 64 blocks fold grid-strided
// shares (thread t of block b starts at b * 256 + t, steps 64 * 256) into a buffer of
// partials, then one block reduces the 64 partials into the output.
// CHECK-LABEL: func.func @two_pass
// CHECK: %[[PARTIAL:.*]] = memref.alloc() : memref<64xi32>
// CHECK: scf.forall (%[[B:.*]]) in (64) {
// CHECK: scf.forall (%[[T:.*]]) in (256) {
// CHECK: %[[START0:.*]] = arith.muli %[[B]], %{{.*}} : index
// CHECK: %[[START:.*]] = arith.addi %[[START0]], %[[T]] : index
// CHECK: scf.for %{{.*}} = %[[START]] to %c131072 step %c16384
// CHECK: memref.store %{{.*}}, %[[PARTIAL]][%[[B]]] : memref<64xi32>
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK: memref.load %[[PARTIAL]]
// CHECK: memref.store %{{.*}}, %{{.*}}[] : memref<i32>
// CHECK: } {mapping = [#gpu.block<x>]}
#vec = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @two_pass(%a: memref<131072xi32>, %out: memref<i32>) {
  linalg.generic {indexing_maps = [#vec, #scalar], iterator_types = ["reduction"]}
      ins(%a : memref<131072xi32>) outs(%out : memref<i32>) {
  ^bb0(%x: i32, %o: i32):
    %y = arith.addi %x, %o : i32
    linalg.yield %y : i32
  }
  return
}
