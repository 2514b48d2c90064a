// RUN: mlax-opt %s --mlax-gpu-bitonic-sort | FileCheck %s

// Calls of the functions --mlax-gpu-outline-sorts made, after bufferization, replaced by
// bitonic-sort kernels (mlax.backends.cuda.sort).

// Tests that an argsort of 8 rows of 5 becomes a block per row (8 blocks) of 4 threads
// (5 rounded up to 8, two elements per thread), keys and positions in shared memory, the
// 6 compare-exchange stages of an 8-element bitonic network each ending in a barrier,
// and the outputs written from the sorted positions; the marked function is gone.
// CHECK-NOT: __mlax_gpu_sort_0
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
  func.func private @__mlax_gpu_sort_0(%a: memref<8x5xf32>, %b: memref<8x5xi32>, %c: memref<8x5xf32>, %d: memref<8x5xi32>) attributes {mlax.gpu_sort = {dtype = "float32", kind = "sort"}} {
    return
  }
  func.func @argsort(%x: memref<8x5xf32>, %i: memref<8x5xi32>, %out: memref<8x5xi32>) {
    %k = memref.alloc() : memref<8x5xf32>
    call @__mlax_gpu_sort_0(%x, %i, %k, %out) : (memref<8x5xf32>, memref<8x5xi32>, memref<8x5xf32>, memref<8x5xi32>) -> ()
    return
  }
}
