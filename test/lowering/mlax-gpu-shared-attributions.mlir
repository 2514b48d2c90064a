// RUN: mlax-opt %s --mlax-gpu-shared-attributions | FileCheck %s

// Shared-memory allocations of outlined kernels as workgroup attributions
// (mlax.backends.cuda.launch), which convert-gpu-to-nvvm lowers to `.shared` arrays.

// Tests that a static alloca in the workgroup memory space becomes the kernel's workgroup
// attribution, its uses the attribution's argument.
// CHECK-LABEL: gpu.func @k
// CHECK-SAME: workgroup(%[[W:.*]] : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.*}}, %[[W]][%{{.*}}]
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @k(%a: memref<256xf32>) kernel {
      %s = memref.alloca() : memref<256xf32, #gpu.address_space<workgroup>>
      %t = gpu.thread_id x
      %v = memref.load %a[%t] : memref<256xf32>
      memref.store %v, %s[%t] : memref<256xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      gpu.return
    }
  }
}
