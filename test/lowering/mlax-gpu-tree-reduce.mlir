// RUN: mlax-opt %s --split-input-file --mlax-gpu-tree-reduce | FileCheck %s

// Block tree reductions (mlax.backends.cuda.reduction) of bufferized reductions.

// Tests that a full max becomes one block of 256 threads: each folds a strided share of
// the elements from -inf, each warp combines its 32 partials by xor shuffles (offsets 16
// to 1, no barrier) and lane 0 stores the warp's total in one of 8 shared slots; in the
// next phase every warp combines the 8 slots by shuffles (offsets 4 to 1) and thread 0
// combines the output's initial value with the total.
// CHECK-LABEL: func.func @full_max
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK: %[[SHARED:.*]] = memref.alloca() : memref<8xf32, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%[[T:.*]]) in (256) {
// CHECK: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[PART:.*]] = scf.for %{{.*}} = %[[T]] to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[NEG_INF]]) -> (f32)
// CHECK: arith.maximumf
// CHECK: %[[C16:.*]] = arith.constant 16 : i32
// CHECK: %[[C32:.*]] = arith.constant 32 : i32
// CHECK: %[[S16:.*]], %{{.*}} = gpu.shuffle xor %[[PART]], %[[C16]], %[[C32]] : f32
// CHECK: %[[M16:.*]] = arith.maximumf %[[S16]], %[[PART]] : f32
// CHECK: gpu.shuffle xor %[[M16]]
// CHECK-COUNT-3: gpu.shuffle xor
// CHECK: %[[LANE:.*]] = arith.remui %[[T]], %{{.*}} : index
// CHECK: scf.if
// CHECK: %[[WARP:.*]] = arith.divui %[[T]], %{{.*}} : index
// CHECK: memref.store %{{.*}}, %[[SHARED]][%[[WARP]]]
// CHECK: } {mapping = [#gpu.thread<x>]}
// CHECK-NOT: gpu.barrier
// CHECK: scf.forall (%[[T2:.*]]) in (256) {
// CHECK: arith.cmpi ult, %[[T2]], %c8 : index
// CHECK: memref.load %[[SHARED]][%[[T2]]]
// CHECK: arith.constant 4 : i32
// CHECK-COUNT-3: gpu.shuffle xor
// CHECK: arith.cmpi eq, %[[T2]]
// CHECK: memref.load %{{.*}}[] : memref<f32>
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

// -----

// Tests that a sum of f16 is shuffled as f32 (NVVM shuffles 32 or 64 bits; the extension
// and truncation are exact) and a max of i8 as i32.
// CHECK-LABEL: func.func @narrow
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[S:.*]], %{{.*}} = gpu.shuffle xor %[[W]], %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %[[S]] : f32 to f16
// CHECK: %[[I:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: %[[SI:.*]], %{{.*}} = gpu.shuffle xor %[[I]], %{{.*}}, %{{.*}} : i32
// CHECK: arith.trunci %[[SI]] : i32 to i8
#vec = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @narrow(%a: memref<3000xf16>, %out: memref<f16>, %b: memref<3000xi8>, %out2: memref<i8>) {
  linalg.generic {indexing_maps = [#vec, #scalar], iterator_types = ["reduction"]}
      ins(%a : memref<3000xf16>) outs(%out : memref<f16>) {
  ^bb0(%x: f16, %o: f16):
    %y = arith.addf %x, %o : f16
    linalg.yield %y : f16
  }
  linalg.generic {indexing_maps = [#vec, #scalar], iterator_types = ["reduction"]}
      ins(%b : memref<3000xi8>) outs(%out2 : memref<i8>) {
  ^bb0(%x: i8, %o: i8):
    %y = arith.maxsi %x, %o : i8
    linalg.yield %y : i8
  }
  return
}
