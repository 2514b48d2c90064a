// RUN: mlax-opt %s --split-input-file --mlax-gpu-tile-matmul | FileCheck %s

// 2-D matmuls tiled through shared memory (mlax.backends.cuda.matmul).

// Tests that C[40, 20] += A[40, 30] * B[30, 20] becomes 3 x 2 blocks of 16 x 16 threads:
// a k loop of 2 steps the block runs, in each a thread forall copying A's and B's tiles
// into shared memory (guarded at the edges), then one adding the step's products (at most
// 16, fewer in the last step) to the thread's element of C.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.forall (%[[BI:.*]], %[[BJ:.*]]) in (3, 2) {
// CHECK-DAG: %[[AS:.*]] = memref.alloca() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[BS:.*]] = memref.alloca() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for %[[S:.*]] = %{{.*}} to %c2{{.*}} step
// CHECK: scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16) {
// CHECK: scf.if
// CHECK: %[[A:.*]] = memref.load %{{.*}} : memref<40x30xf32>
// CHECK: memref.store %[[A]], %[[AS]][%[[TY]], %[[TX]]]
// CHECK: scf.if
// CHECK: %[[B:.*]] = memref.load %{{.*}} : memref<30x20xf32>
// CHECK: memref.store %[[B]], %[[BS]][%[[TY]], %[[TX]]]
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: scf.forall (%[[TY2:.*]], %[[TX2:.*]]) in (16, 16) {
// CHECK: %[[LEN:.*]] = arith.minui
// CHECK: %[[C0:.*]] = memref.load %{{.*}} : memref<40x20xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[LEN]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[C0]]) -> (f32)
// CHECK: %[[X:.*]] = memref.load %[[AS]][%[[TY2]], %[[K]]]
// CHECK: %[[Y:.*]] = memref.load %[[BS]][%[[K]], %[[TX2]]]
// CHECK: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK: arith.addf %[[ACC]], %[[P]] : f32
// CHECK: memref.store %[[SUM]], %{{.*}} : memref<40x20xf32>
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK-NOT: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @matmul(%a: memref<40x30xf32>, %b: memref<30x20xf32>, %c: memref<40x20xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<40x30xf32>, memref<30x20xf32>) outs(%c : memref<40x20xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests that a matmul with an extent under 16 (8 rows) is left to the per-output schedule.
// CHECK-LABEL: func.func @thin
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @thin(%a: memref<8x30xf32>, %b: memref<30x20xf32>, %c: memref<8x20xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x30xf32>, memref<30x20xf32>) outs(%c : memref<8x20xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests that a batched matmul (batch first in C) puts the batch along grid z.
// CHECK-LABEL: func.func @batched
// CHECK: scf.forall (%[[Z:.*]], %{{.*}}, %{{.*}}) in (3, 2, 2) {
// CHECK: memref.load %{{.*}}[%[[Z]], %{{.*}}, %{{.*}}] : memref<3x20x30xf32>
// CHECK: } {mapping = [#gpu.block<z>, #gpu.block<y>, #gpu.block<x>]}
#a = affine_map<(b, m, n, k) -> (b, m, k)>
#b = affine_map<(b, m, n, k) -> (b, k, n)>
#c = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @batched(%a: memref<3x20x30xf32>, %b: memref<3x30x20xf32>, %c: memref<3x20x20xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<3x20x30xf32>, memref<3x30x20xf32>) outs(%c : memref<3x20x20xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests that C[130, 290] += A[130, 70] * B[70, 290] gets register tiles: 3 x 5 blocks of
// 16 x 16 threads for its 64 x 64 tiles, each thread 4 x 4 outputs held as the values of
// the k loop (5 steps of 16, a barrier after the copy of 64 x 16 and 16 x 64 tiles into
// shared memory and one after the step's products), stored once at the end.
// CHECK-LABEL: func.func @register_tiles
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (3, 5) {
// CHECK-DAG: %[[AS:.*]] = memref.alloca() : memref<64x16xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[BS:.*]] = memref.alloca() : memref<16x64xf32, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16) {
// CHECK-COUNT-16: memref.load %{{.*}} : memref<130x290xf32>
// CHECK: %[[ACC:.*]]:16 = scf.for %[[K0:.*]] = %{{.*}} to %c70{{.*}} step %c16{{.*}} iter_args(
// CHECK-COUNT-4: memref.store %{{.*}}, %[[BS]]
// CHECK: gpu.barrier
// CHECK: %[[INNER:.*]]:16 = scf.for %[[K:.*]] = %{{.*}} to %c16{{.*}} step %{{.*}} iter_args(
// CHECK-COUNT-4: memref.load %[[AS]][%{{.*}}, %[[K]]]
// CHECK-COUNT-4: memref.load %[[BS]][%[[K]], %{{.*}}]
// CHECK-COUNT-16: arith.addf
// CHECK: gpu.barrier
// CHECK: scf.yield %[[INNER]]#0
// CHECK-COUNT-16: memref.store %[[ACC]]#{{[0-9]+}}, %{{.*}} : memref<130x290xf32>
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK-NOT: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @register_tiles(%a: memref<130x70xf32>, %b: memref<70x290xf32>, %c: memref<130x290xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<130x70xf32>, memref<70x290xf32>) outs(%c : memref<130x290xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Tests that an f16 matmul accumulating in f32 (the widened body mlax lowers f16 matmuls
// to) uses tensor cores: 2 x 2 blocks of 128 threads (4 warps) for its 64 x 64 tiles;
// per k step of 16, the tiles copied into shared memory, a barrier, 2 A fragments
// (vector<4x2xf16>) and 4 B fragments (vector<2x2xf16>) from shared memory, 8
// nvgpu.mma.sync m16n8k16 into the f32 accumulators the k loop carries, a barrier.
// CHECK-LABEL: func.func @tensor_cores
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (2, 2) {
// CHECK: scf.forall (%{{.*}}) in (128) {
// CHECK: %[[ACC:.*]]:8 = scf.for %{{.*}} = %{{.*}} to %c70{{.*}} step %c16{{.*}} iter_args(
// CHECK: gpu.barrier
// CHECK-COUNT-2: vector.from_elements {{.*}} : vector<4x2xf16>
// CHECK-COUNT-4: vector.from_elements {{.*}} : vector<2x2xf16>
// CHECK-COUNT-8: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: gpu.barrier
// CHECK: vector.extract %[[ACC]]#0[0, 0] : f32 from vector<2x2xf32>
// CHECK: memref.store %{{.*}}, %{{.*}} : memref<100x90xf32>
// CHECK-NOT: linalg.generic
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @tensor_cores(%a: memref<100x70xf16>, %b: memref<70x90xf16>, %c: memref<100x90xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<100x70xf16>, memref<70x90xf16>) outs(%c : memref<100x90xf32>) {
  ^bb0(%x: f16, %y: f16, %o: f32):
    %xw = arith.extf %x : f16 to f32
    %yw = arith.extf %y : f16 to f32
    %p = arith.mulf %xw, %yw : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }
  return
}
