// RUN: mlax-opt %s --split-input-file --mlax-gpu-schedule | FileCheck %s

// The GPU schedule (mlax.backends.cuda.schedule) on linalg on tensors.

// Tests that an elementwise generic is tiled over a grid of (100, 2) blocks, 256
// consecutive elements of a row per block (the innermost loop along block x), and each
// block's tile over 256 threads along x.
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (100, 2)
// CHECK: scf.forall (%{{.*}}) in (256)
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: {mapping = [#gpu.thread<x>]}
// CHECK: {mapping = [#gpu.block<y>, #gpu.block<x>]}
// CHECK-NOT: mlax_schedule
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%a: tensor<100x300xf32>) -> tensor<100x300xf32> {
  %e = tensor.empty() : tensor<100x300xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<100x300xf32>) outs(%e : tensor<100x300xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<100x300xf32>
  return %r : tensor<100x300xf32>
}

// -----

// Tests that a row sum maps its one parallel loop (100 rows, rounded up to 128 threads)
// to one block of threads, each thread reducing its row.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK: scf.forall (%{{.*}}) in (128)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: {mapping = [#gpu.thread<x>]}
// CHECK: {mapping = [#gpu.block<x>]}
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%a: tensor<100x300xf32>, %init: tensor<100xf32>) -> tensor<100xf32> {
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<100x300xf32>) outs(%init : tensor<100xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  } -> tensor<100xf32>
  return %r : tensor<100xf32>
}

// -----

// Tests that a full reduction is left for the block tree reduction after bufferization
// (mlax-gpu-tree-reduce).
// CHECK-LABEL: func.func @full_sum
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
#vec = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @full_sum(%a: tensor<300xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [#vec, #scalar], iterator_types = ["reduction"]}
      ins(%a : tensor<300xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}
