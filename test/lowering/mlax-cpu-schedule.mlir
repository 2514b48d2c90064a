// RUN: env MLAX_NUM_THREADS=2 mlax-opt %s --split-input-file --mlax-cpu-schedule="vector-bytes=64" | FileCheck %s
// RUN: env MLAX_NUM_THREADS=2 mlax-opt %s --split-input-file --mlax-cpu-schedule="vector-bytes=32" | FileCheck %s --check-prefix=AVX2
// RUN: not mlax-opt %s --split-input-file --mlax-cpu-schedule="vector-bytes=24" 2>&1 | FileCheck %s --check-prefix=BAD

// Tests that a vector width with no register tiles is an error naming the widths known.
// BAD: error: mlax-cpu-schedule: vector-bytes=24 is not one of [16, 32, 64]

// The CPU schedule (mlax.backends.cpu.schedule) on linalg on tensors. MLAX_NUM_THREADS=2
// makes the thread count that of the 2-core machines the schedule is tuned for;
// vector-bytes picks the register tiles of AVX-512 (64) or AVX2 (32), not the host's.

// Tests that a contraction becomes register tiles of 8x32 accumulators updated by a k
// loop of rank-1 vector.contracts, the accumulator read before the k loop and carried
// through it as a vector, with the partial tiles (2 rows, 22 columns) peeled off as their
// own static-shaped loops.
// CHECK-LABEL: func.func @register_tiles
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<10x150xf32>)
// CHECK: %[[ACC:.*]] = vector.transfer_read %{{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[ACC]]) -> (tensor<8x32xf32>, vector<8x32xf32>)
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x22xf32> into vector<8x22xf32>
// CHECK: vector.contract {{.*}} : vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
// CHECK: vector.contract {{.*}} : vector<2x1xf32>, vector<1x22xf32> into vector<2x22xf32>
// CHECK-NOT: mlax_schedule
// Tests that AVX2's 16 registers get tiles of 6x16 accumulators (12 registers), the
// partial tiles (4 rows, 6 columns) peeled off.
// AVX2-LABEL: func.func @register_tiles
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x6xf32> into vector<6x6xf32>
// AVX2: vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// AVX2: vector.contract {{.*}} : vector<4x1xf32>, vector<1x6xf32> into vector<4x6xf32>
func.func @register_tiles(%a: tensor<10x100xf32>, %b: tensor<100x150xf32>) -> tensor<10x150xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10x150xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<10x150xf32>) -> tensor<10x150xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<10x100xf32>, tensor<100x150xf32>) outs(%init : tensor<10x150xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<10x150xf32>
  return %r : tensor<10x150xf32>
}

// -----

// Tests that a large matmul copies B into 32-wide panels [8][256][32] (a transpose split
// over the 2 threads), splits the panels over the threads, and runs 8x32 register tiles
// over the packed panels; C is only reshaped, never copied.
// CHECK-LABEL: func.func @packed
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [256, 8, 32]
// CHECK: %[[BP:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<8x256x32xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<256x4x32xf32>) outs(%{{.*}} : tensor<4x256x32xf32>) permutation = [1, 0, 2]
// CHECK: %[[C3:.*]] = tensor.expand_shape %{{.*}} output_shape [256, 8, 32]
// CHECK: %[[R:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}} = %[[C3]]) -> (tensor<256x8x32xf32>)
// CHECK: tensor.extract_slice %[[BP]]
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x1x32xf32> into vector<8x1x32xf32>
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[R]] {{\[\[}}0], [1, 2]] : tensor<256x8x32xf32> into tensor<256x256xf32>
// CHECK: return %[[C]]
func.func @packed(%a: tensor<256x256xf32>, %b: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<256x256xf32>) -> tensor<256x256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<256x256xf32>, tensor<256x256xf32>) outs(%init : tensor<256x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}

// -----

// Tests that the rows of a packed matmul past its last whole register tile (100 = 16 x 6
// + 4 on AVX2, 12 x 8 + 4 on AVX-512) are split off and run as one shorter tile over the
// same packed panels.
// CHECK-LABEL: func.func @packed_rest
// CHECK: %[[BP:.*]] = linalg.transpose ins(%{{.*}} : tensor<256x8x32xf32>) outs(%{{.*}} : tensor<8x256x32xf32>) permutation = [1, 0, 2]
// CHECK: tensor.extract_slice %[[BP]]
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x1x32xf32> into vector<8x1x32xf32>
// CHECK: tensor.extract_slice %[[BP]]
// CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x1x32xf32> into vector<4x1x32xf32>
// AVX2-LABEL: func.func @packed_rest
// AVX2: %[[BP:.*]] = linalg.transpose ins(%{{.*}} : tensor<256x16x16xf32>) outs(%{{.*}} : tensor<16x256x16xf32>) permutation = [1, 0, 2]
// AVX2: tensor.extract_slice %{{.*}}[0, 0, 0] [96, 16, 16]
// AVX2: tensor.extract_slice %[[BP]]
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x1x16xf32> into vector<6x1x16xf32>
// AVX2: tensor.extract_slice %{{.*}}[96, 0, 0] [4, 16, 16]
// AVX2: tensor.extract_slice %[[BP]]
// AVX2: vector.contract {{.*}} : vector<4x1xf32>, vector<1x1x16xf32> into vector<4x1x16xf32>
func.func @packed_rest(%a: tensor<100x256xf32>, %b: tensor<256x256xf32>) -> tensor<100x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<100x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<100x256xf32>) -> tensor<100x256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<100x256xf32>, tensor<256x256xf32>) outs(%init : tensor<100x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<100x256xf32>
  return %r : tensor<100x256xf32>
}

// -----

// Tests that a matmul reading A as [k, m] (a weight gradient, x.T @ g) packs A into panels
// [16][256][6] (AVX2; [12][256][8] on AVX-512) of its first 96 rows, so each k step reads
// the tile's elements of A next to the last step's (the copy goes 16 rows of A at a time,
// each row's 6 elements a vector, into every panel); C's first 96 rows are viewed as
// [16][6][16][16] and the 4 rows past the last tile are a generic of their own on A's last
// columns, written into C's last rows.
// CHECK-LABEL: func.func @packed_a
// CHECK: vector.transpose %{{.*}}, [1, 0, 2] : vector<16x1x8xf32> to vector<1x16x8xf32>
// CHECK: vector.contract {{.*}} : vector<1x1x8xf32>, vector<1x1x32xf32> into vector<1x8x1x32xf32>
// CHECK: vector.contract {{.*}} : vector<1x4xf32>, vector<1x1x32xf32> into vector<4x1x32xf32>
// AVX2-LABEL: func.func @packed_a
// AVX2: %[[AM:.*]] = tensor.extract_slice %arg0[0, 0] [256, 96] [1, 1] : tensor<256x100xf32> to tensor<256x96xf32>
// AVX2: %[[A3:.*]] = tensor.expand_shape %[[AM]] {{\[\[}}0], [1, 2]] output_shape [256, 16, 6]
// AVX2: %[[AP:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}}) -> (tensor<16x256x6xf32>)
// AVX2: scf.for
// AVX2: tensor.extract_slice %[[A3]]
// AVX2: vector.transpose %{{.*}}, [1, 0, 2] : vector<16x1x6xf32> to vector<1x16x6xf32>
// AVX2: %[[CM:.*]] = tensor.extract_slice %{{.*}}[0, 0] [96, 256] [1, 1] : tensor<100x256xf32> to tensor<96x256xf32>
// AVX2: tensor.expand_shape %[[CM]] {{\[\[}}0, 1], [2, 3]] output_shape [16, 6, 16, 16]
// AVX2: tensor.extract_slice %[[AP]]
// AVX2: vector.contract {{.*}} : vector<1x1x6xf32>, vector<1x1x16xf32> into vector<1x6x1x16xf32>
// AVX2: %[[C1:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [96, 256] [1, 1]
// AVX2: tensor.extract_slice %arg0[0, 96] [256, 4] [1, 1] : tensor<256x100xf32> to tensor<256x4xf32>
// AVX2: tensor.extract_slice %[[C1]][96, 0] [4, 256] [1, 1]
// AVX2: vector.contract {{.*}} : vector<1x4xf32>, vector<1x1x16xf32> into vector<4x1x16xf32>
// AVX2: %[[C2:.*]] = tensor.insert_slice %{{.*}} into %[[C1]][96, 0] [4, 256] [1, 1]
// AVX2: return %[[C2]]
func.func @packed_a(%a: tensor<256x100xf32>, %b: tensor<256x256xf32>) -> tensor<100x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<100x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<100x256xf32>) -> tensor<100x256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<256x100xf32>, tensor<256x256xf32>) outs(%init : tensor<100x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<100x256xf32>
  return %r : tensor<100x256xf32>
}

// -----

// Tests that a contraction narrower than a register tile (10 columns) gets tiles of whole
// vectors (8 columns on AVX2) and peels the 2 columns left, rather than a 10-wide tile.
// AVX2-LABEL: func.func @narrow_n
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x8xf32> into vector<6x8xf32>
// AVX2: vector.contract {{.*}} : vector<6x1xf32>, vector<1x2xf32> into vector<6x2xf32>
// AVX2-NOT: vector<6x10xf32>
func.func @narrow_n(%a: tensor<60x64xf32>, %b: tensor<64x10xf32>) -> tensor<60x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<60x10xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<60x10xf32>) -> tensor<60x10xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<60x64xf32>, tensor<64x10xf32>) outs(%init : tensor<60x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<60x10xf32>
  return %r : tensor<60x10xf32>
}

// -----

// Tests that a contraction reading B as [n, k] gets a transposed copy of B ([k, n]) so
// that its register tiles load rows of B.
// CHECK-LABEL: func.func @transposed_b
// CHECK: %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<48x64xf32>) outs(%{{.*}} : tensor<64x48xf32>) permutation = [1, 0]
// CHECK: tensor.extract_slice %[[BT]][0, 0] [64, 32]
// CHECK: vector.contract {{.*}} into vector<8x32xf32>
// CHECK: tensor.extract_slice %[[BT]][0, 32] [64, 16]
// CHECK: vector.contract {{.*}} into vector<8x16xf32>
func.func @transposed_b(%a: tensor<40x64xf32>, %b: tensor<48x64xf32>) -> tensor<40x48xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<40x48xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<40x48xf32>) -> tensor<40x48xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<40x64xf32>, tensor<48x64xf32>) outs(%init : tensor<40x48xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<40x48xf32>
  return %r : tensor<40x48xf32>
}

// -----

// Tests that a contraction with few rows reading B as [n, k] gets the transposed copy of B
// too when k is too short for its dot products to vectorize (8 rows, k = 10: g @ W.T in a
// dense layer's input gradient).
// CHECK-LABEL: func.func @transposed_b_short_k
// CHECK: %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<64x10xf32>) outs(%{{.*}} : tensor<10x64xf32>) permutation = [1, 0]
// CHECK: vector.contract {{.*}} into vector<8x32xf32>
func.func @transposed_b_short_k(%a: tensor<8x10xf32>, %b: tensor<64x10xf32>) -> tensor<8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x10xf32>, tensor<64x10xf32>) outs(%init : tensor<8x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// -----

// Tests that attention's scores q @ k.T, batched over (b, h) and reading k as
// [b, s, h, d] (n = s, k = d), get k transposed to [b, h, d, s] (batch dims in order,
// then k, then n), so that register tiles load rows of it.
// CHECK-LABEL: func.func @batched_transposed_b
// CHECK: %[[BT:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x32x2x16xf32>) outs(%{{.*}} : tensor<2x2x16x32xf32>) permutation = [0, 2, 3, 1]
// CHECK: tensor.extract_slice %[[BT]]
// CHECK: vector.contract {{.*}} into vector<1x1x8x32xf32>
func.func @batched_transposed_b(%q: tensor<2x32x2x16xf32>, %k: tensor<2x32x2x16xf32>) -> tensor<2x2x32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2x32x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2x32x32xf32>) -> tensor<2x2x32x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, h, t, s, d) -> (b, t, h, d)>, affine_map<(b, h, t, s, d) -> (b, s, h, d)>, affine_map<(b, h, t, s, d) -> (b, h, t, s)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<2x32x2x16xf32>, tensor<2x32x2x16xf32>) outs(%init : tensor<2x2x32x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x2x32x32xf32>
  return %r : tensor<2x2x32x32xf32>
}

// -----

// Tests that a float reduction's combiner may be reassociated (so LLVM vectorizes it).
// CHECK-LABEL: func.func @sum
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
func.func @sum(%x: tensor<4096xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%x : tensor<4096xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// Tests that a reduction too short to vectorize keeps its exact order.
// CHECK-LABEL: func.func @short_sum
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NOT: fastmath
func.func @short_sum(%x: tensor<8xf32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%x : tensor<8xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// Tests that a large elementwise op, its loops merged into one, is split into chunks (8
// per thread) that the threads take as they come.
// CHECK-LABEL: func.func @big_elementwise
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<2048x1024xf32> into tensor<2097152xf32>
// CHECK: scf.forall (%{{.*}}) in (16) shared_outs(%{{.*}}) -> (tensor<2097152xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<131072xf32>) outs(%{{.*}} : tensor<131072xf32>)
// CHECK: tensor.parallel_insert_slice
func.func @big_elementwise(%x: tensor<2048x1024xf32>) -> tensor<2048x1024xf32> {
  %e = tensor.empty() : tensor<2048x1024xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2048x1024xf32>) outs(%e : tensor<2048x1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.mulf %v, %v : f32
    linalg.yield %s : f32
  } -> tensor<2048x1024xf32>
  return %r : tensor<2048x1024xf32>
}

// -----

// Tests that a small elementwise op stays on one thread, its loops merged into one that
// LLVM vectorizes whole (a 16-long innermost loop is unrolled before the vectorizer sees
// it), and its result expanded back.
// CHECK-LABEL: func.func @small_elementwise
// CHECK-NOT: scf.forall
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<16x16xf32> into tensor<256xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<256xf32>)
// CHECK: tensor.expand_shape %[[R]] {{\[\[}}0, 1]] output_shape [16, 16] : tensor<256xf32> into tensor<16x16xf32>
func.func @small_elementwise(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %e = tensor.empty() : tensor<16x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.mulf %v, %v : f32
    linalg.yield %s : f32
  } -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// -----

// Tests that an elementwise op with two results, or one reading its loop indices, keeps
// its loops.
// CHECK-LABEL: func.func @elementwise_kept
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<16x16xi32>, tensor<16x16xi32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<16x16xi32>)
// CHECK: linalg.index 1
func.func @elementwise_kept(%x: tensor<16x16xi32>) -> (tensor<16x16xi32>, tensor<16x16xi32>, tensor<16x16xi32>) {
  %e = tensor.empty() : tensor<16x16xi32>
  %r:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x16xi32>) outs(%e, %e : tensor<16x16xi32>, tensor<16x16xi32>) {
  ^bb0(%v: i32, %o: i32, %p: i32):
    %s = arith.addi %v, %v : i32
    linalg.yield %s, %v : i32, i32
  } -> (tensor<16x16xi32>, tensor<16x16xi32>)
  %i = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<16x16xi32>) {
  ^bb0(%o: i32):
    %j = linalg.index 1 : index
    %k = arith.index_cast %j : index to i32
    linalg.yield %k : i32
  } -> tensor<16x16xi32>
  return %r#0, %r#1, %i : tensor<16x16xi32>, tensor<16x16xi32>, tensor<16x16xi32>
}

// -----

// Tests that a reduction over the outer dim is not split over threads along its short
// inner parallel dim (every thread would read every row), and keeps its sequential order
// (its inner parallel loop vectorizes without reordering).
// CHECK-LABEL: func.func @column_sums
// CHECK-NOT: scf.forall
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NOT: fastmath
func.func @column_sums(%x: tensor<10000x10xf32>) -> tensor<10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<10xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<10xf32>) -> tensor<10xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<10000x10xf32>) outs(%init : tensor<10xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<10xf32>
  return %r : tensor<10xf32>
}

// -----

// Tests that a reduction of a square, sum((x - y)^2) (pairwise squared distances), is left
// one generic: its multiply has no two operands to compute apart, and nothing is built
// before that is known (a half-built contraction without a body used to fail to verify).
// CHECK-LABEL: func.func @sum_of_squares
// CHECK: linalg.generic
// CHECK: %[[D:.*]] = arith.subf
// CHECK: %[[S:.*]] = arith.mulf %[[D]], %[[D]]
// CHECK: arith.addf %{{.*}}, %[[S]]
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @sum_of_squares(%x: tensor<100x20xf32>, %y: tensor<100x20xf32>) -> tensor<100x100xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<100x100xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<100x100xf32>) -> tensor<100x100xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : tensor<100x20xf32>, tensor<100x20xf32>) outs(%init : tensor<100x100xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %s = arith.mulf %d, %d : f32
    %t = arith.addf %acc, %s : f32
    linalg.yield %t : f32
  } -> tensor<100x100xf32>
  return %r : tensor<100x100xf32>
}

// -----

// Tests that an iota fused into a contraction (a * arange(48)) @ b is computed apart over
// the loops of a, (m, k), its linalg.index renumbered from the contraction's k (2) to the
// producer's (1).
// CHECK-LABEL: func.func @iota_prologue
// CHECK: %[[P:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<64x48xf32>) outs(%{{.*}} : tensor<64x48xf32>)
// CHECK: linalg.index 1 : index
// CHECK: tensor.extract_slice %[[P]]
// CHECK: vector.contract
func.func @iota_prologue(%a: tensor<64x48xf32>, %b: tensor<48x40xf32>) -> tensor<64x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x40xf32>) -> tensor<64x40xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<64x48xf32>, tensor<48x40xf32>) outs(%init : tensor<64x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i64
    %kf = arith.sitofp %ki : i64 to f32
    %xk = arith.mulf %x, %kf : f32
    %m = arith.mulf %xk, %y : f32
    %t = arith.addf %acc, %m : f32
    linalg.yield %t : f32
  } -> tensor<64x40xf32>
  return %r : tensor<64x40xf32>
}

// -----

// Tests that a batched contraction's register tile keeps its unit batch dim in the
// vector.contract: a rank-1 update of 8x32 accumulators from an 8x1 column and a 1x32 row.
// CHECK-LABEL: func.func @batched
// CHECK: vector.contract {{.*}} : vector<1x8x1xf32>, vector<1x1x32xf32> into vector<1x8x32xf32>
func.func @batched(%a: tensor<4x64x4xf32>, %b: tensor<4x4x32xf32>) -> tensor<4x64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x64x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x64x32xf32>) -> tensor<4x64x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x64x4xf32>, tensor<4x4x32xf32>) outs(%init : tensor<4x64x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x64x32xf32>
  return %r : tensor<4x64x32xf32>
}

// -----

// Tests that the register tile of a batched contraction over two contracting dims keeps
// both reduction dims in both operands of its vector.contract (B reads them in the other
// order, so they cannot merge into one).
// CHECK-LABEL: func.func @two_contracting_dims
// CHECK: vector.contract {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]{{.*}} : vector<1x1x1xf32>, vector<1x1x1x2xf32> into vector<1x2xf32>
func.func @two_contracting_dims(%a: tensor<16x16x16xf32>, %b: tensor<16x16x16x2xf32>) -> tensor<16x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<16x2xf32>) -> tensor<16x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : tensor<16x16x16xf32>, tensor<16x16x16x2xf32>) outs(%init : tensor<16x2xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<16x2xf32>
  return %r : tensor<16x2xf32>
}

// -----

// Tests that a contraction into one column (a matrix-vector product, C is 300x1) gets no
// register tiles, which would be vectors of one element: it is scheduled as a reduction
// along k, reassociable so that LLVM vectorizes it.
// CHECK-LABEL: func.func @one_column
// CHECK-NOT: vector.contract
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract>
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc,contract>
// CHECK-NOT: vector.contract
// CHECK: return
func.func @one_column(%a: tensor<300x64xf32>, %b: tensor<64x1xf32>) -> tensor<300x1xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<300x1xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<300x1xf32>) -> tensor<300x1xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<300x64xf32>, tensor<64x1xf32>) outs(%init : tensor<300x1xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<300x1xf32>
  return %r : tensor<300x1xf32>
}

// -----

// Tests that adjacent loops of one role that every operand indexes together, in order,
// merge: a dense layer on a batch of sequences (m = 4 x 64) is the packed 2-d matmul,
// its result expanded back.
// CHECK-LABEL: func.func @merged_rows
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<4x64x128xf32> into tensor<256x128xf32>
// CHECK: linalg.transpose
// CHECK: vector.contract
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [4, 64, 128] : tensor<256x128xf32> into tensor<4x64x128xf32>
func.func @merged_rows(%a: tensor<4x64x128xf32>, %b: tensor<128x128xf32>) -> tensor<4x64x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x64x128xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x64x128xf32>) -> tensor<4x64x128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x64x128xf32>, tensor<128x128xf32>) outs(%init : tensor<4x64x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x64x128xf32>
  return %r : tensor<4x64x128xf32>
}

// -----

// Tests that a weight gradient, contracting two adjacent dims both operands hold in the
// same order, contracts one merged k dim of 4 x 64: a packed 2-d matmul.
// CHECK-LABEL: func.func @merged_contraction
// CHECK-DAG: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<4x64x128xf32> into tensor<256x128xf32>
// CHECK-DAG: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<4x64x96xf32> into tensor<256x96xf32>
// CHECK: linalg.transpose {{.*}} permutation = [1, 0, 2]
// CHECK: vector.contract
// CHECK: return
func.func @merged_contraction(%a: tensor<4x64x128xf32>, %b: tensor<4x64x96xf32>) -> tensor<128x96xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x96xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<128x96xf32>) -> tensor<128x96xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d2, d3, d0)>, affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a, %b : tensor<4x64x128xf32>, tensor<4x64x96xf32>) outs(%init : tensor<128x96xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<128x96xf32>
  return %r : tensor<128x96xf32>
}
