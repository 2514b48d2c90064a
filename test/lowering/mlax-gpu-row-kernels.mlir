// RUN: mlax-opt %s --split-input-file --mlax-gpu-row-kernels | FileCheck %s

// Calls of the functions --mlax-gpu-outline-rows made, after bufferization, replaced by
// row kernels (mlax.backends.cuda.rows).

// Tests that an argsort of 8 rows of 5 becomes a block per row (8 blocks) of 4 threads
// (5 rounded up to 8, two elements per thread), keys and positions in shared memory, the
// 6 compare-exchange stages of an 8-element bitonic network each ending in a barrier,
// and the outputs written from the sorted positions; the marked function is gone.
// CHECK-NOT: __mlax_gpu_row_kernel_0
// CHECK-LABEL: func.func @argsort
// CHECK-NOT: call
// CHECK: scf.forall (%[[ROW:.*]]) in (8)
// CHECK: memref.alloca() : memref<8xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<8xi32, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK: memref.load %{{.*}}[%[[ROW]], %{{.*}}] : memref<8x5xf32>
// CHECK-COUNT-7: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[ROW]], %{{.*}}] : memref<8x5xi32>
// CHECK: {mapping = [#gpu.thread<x>]}
// CHECK: {mapping = [#gpu.block<x>]}
module {
  func.func private @__mlax_gpu_row_kernel_0(%a: memref<8x5xf32>, %b: memref<8x5xi32>, %c: memref<8x5xf32>, %d: memref<8x5xi32>) attributes {mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", kind = "sort"}} {
    return
  }
  func.func @argsort(%x: memref<8x5xf32>, %i: memref<8x5xi32>, %out: memref<8x5xi32>) {
    %k = memref.alloc() : memref<8x5xf32>
    call @__mlax_gpu_row_kernel_0(%x, %i, %k, %out) : (memref<8x5xf32>, memref<8x5xi32>, memref<8x5xf32>, memref<8x5xi32>) -> ()
    return
  }
}

// -----

// Tests that a cumsum of rows of 3000 becomes a block per row of 1024 threads, each
// folding a run of 3 elements, the run totals (and their flags, as i8) scanned in shared
// memory in 10 steps of two barriers, and that it writes the function's out-parameter
// directly (no buffer copied into it afterwards).
// CHECK-LABEL: func.func @cumsum
// CHECK-SAME: %[[X:.*]]: memref<8x3000xf32>, %[[OUT:.*]]: memref<8x3000xf32>
// CHECK-NOT: memref.alloc()
// CHECK: scf.forall (%{{.*}}) in (8)
// CHECK: memref.alloca() : memref<1024xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<1024xi8, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%{{.*}}) in (1024)
// CHECK: scf.for %{{.*}} = %{{.*}} to %c3{{.*}}
// CHECK-COUNT-21: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: memref.copy
module {
  func.func private @__mlax_gpu_row_kernel_0(%a: memref<8x3000xf32>, %b: memref<8x3000xf32>) attributes {mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", kind = "cumsum", reverse = false}} {
    return
  }
  func.func @cumsum(%x: memref<8x3000xf32>, %out: memref<8x3000xf32>) {
    %r = memref.alloc() : memref<8x3000xf32>
    call @__mlax_gpu_row_kernel_0(%x, %r) : (memref<8x3000xf32>, memref<8x3000xf32>) -> ()
    memref.copy %r, %out : memref<8x3000xf32> to memref<8x3000xf32>
    return
  }
}

// -----

// Tests that a cumsum along the middle axis of a rank-3 buffer gets a block per row over
// the other two dimensions (2 x 5 = 10 blocks), each row's index taken apart into them.
// CHECK-LABEL: func.func @cumsum_middle
// CHECK: scf.forall (%[[ROW:.*]]) in (10)
// CHECK: scf.forall (%{{.*}}) in (32)
// CHECK: %[[INNER:.*]] = arith.remui %[[ROW]], %c5
// CHECK: %[[OUTER:.*]] = arith.divui %[[ROW]], %c5
// CHECK: memref.load %{{.*}}[%[[OUTER]], %{{.*}}, %[[INNER]]] : memref<2x7x5xf32>
module {
  func.func private @__mlax_gpu_row_kernel_0(%a: memref<2x7x5xf32>, %b: memref<2x7x5xf32>) attributes {mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", kind = "cumsum", reverse = false}} {
    return
  }
  func.func @cumsum_middle(%x: memref<2x7x5xf32>, %out: memref<2x7x5xf32>) {
    call @__mlax_gpu_row_kernel_0(%x, %out) : (memref<2x7x5xf32>, memref<2x7x5xf32>) -> ()
    return
  }
}

// -----

// Tests that top_k of 3 (k rounded up to 4 slots a thread) of rows of 5000 selects: a
// block per row of 1024 threads (4096 candidate slots), each keeping its 4 first in
// shared memory while it reads its 5 elements (strided), then the candidates' bitonic
// sort (78 stages, a barrier each, one before) and the first 3 written.
// CHECK-LABEL: func.func @top_k
// CHECK: scf.forall (%{{.*}}) in (6)
// CHECK: memref.alloca() : memref<4096xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloca() : memref<4096xi32, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%{{.*}}) in (1024)
// CHECK: scf.for %{{.*}} = %{{.*}} to %c5
// CHECK-COUNT-79: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: memref.store %{{.*}}, %{{.*}} : memref<6x3xi32>
module {
  func.func private @__mlax_gpu_row_kernel_0(%a: memref<6x5000xf32>, %b: memref<6x3xf32>, %c: memref<6x3xi32>) attributes {mlax.gpu_row_kernel = {axis = 1 : i64, dtype = "float32", k = 3 : i64, kind = "top_k"}} {
    return
  }
  func.func @top_k(%x: memref<6x5000xf32>, %v: memref<6x3xf32>, %i: memref<6x3xi32>) {
    call @__mlax_gpu_row_kernel_0(%x, %v, %i) : (memref<6x5000xf32>, memref<6x3xf32>, memref<6x3xi32>) -> ()
    return
  }
}

// -----

// Tests that a scatter-add becomes two kernels on the function's buffers: a thread per
// operand element copying it into the output (400 in 2 blocks of 256), then a thread per
// update element (2400 in 10 blocks) reading its index and, where the window fits, adding
// the update into the output atomically.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME: %[[X:[^:]*]]: memref<50x8xf32>, %[[I:[^:]*]]: memref<300x1xi32>, %[[U:[^:]*]]: memref<300x8xf32>, %[[OUT:[^:]*]]: memref<50x8xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.forall (%{{.*}}) in (256)
// CHECK: memref.load %[[X]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK: scf.forall (%{{.*}}) in (10)
// CHECK: scf.forall (%{{.*}}) in (256)
// CHECK: memref.load %[[I]]
// CHECK: memref.load %[[U]]
// CHECK: scf.if
// CHECK: memref.atomic_rmw addf %{{.*}}, %[[OUT]]
// CHECK-NOT: call
module {
  func.func private @__mlax_gpu_row_kernel_0(%a: memref<50x8xf32>, %b: memref<300x1xi32>, %c: memref<300x8xf32>, %d: memref<50x8xf32>) attributes {mlax.gpu_row_kernel = {dtype = "float32", kind = "scatter_add", scatter = {indices_are_sorted = false, inserted_window_dims = array<i64: 0>, kind = "add", mode = "fill", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, unique_indices = false, update_window_dims = array<i64: 1>}}} {
    return
  }
  func.func @scatter_add(%x: memref<50x8xf32>, %i: memref<300x1xi32>, %u: memref<300x8xf32>, %out: memref<50x8xf32>) {
    call @__mlax_gpu_row_kernel_0(%x, %i, %u, %out) : (memref<50x8xf32>, memref<300x1xi32>, memref<300x8xf32>, memref<50x8xf32>) -> ()
    return
  }
}
