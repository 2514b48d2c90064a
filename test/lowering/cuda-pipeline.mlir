// RUN: mlax-opt %s --split-input-file --pipeline=mlax-opt --pipeline=cuda-linalg --pipeline=cuda-gpu | FileCheck %s

// The cuda backend's stages up to gpu (mlax.backends.cuda.pipelines: CUDA_LINALG,
// CUDA_GPU): each kernel family's launches and outlined kernels.

// Tests that an elementwise chain is one fused kernel over 4 blocks of 256 threads
// (1000 elements), each thread loading both inputs once.
// CHECK-LABEL: func.func @elementwise
// CHECK: gpu.launch_func @elementwise_kernel::@elementwise_kernel blocks in (%c4, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.func @elementwise_kernel({{.*}}) kernel
// CHECK: gpu.block_id x
// CHECK: gpu.thread_id x
// CHECK: %[[A:.*]] = memref.load
// CHECK: %[[B:.*]] = memref.load
// CHECK: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK: %[[E:.*]] = math.exp %[[S]] : f32
// CHECK: arith.mulf %[[E]], %[[A]] : f32
// CHECK: gpu.return
func.func @elementwise(%a: tensor<1000xf32>, %b: tensor<1000xf32>) -> tensor<1000xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32>
  %1 = "mlax.exp"(%0) : (tensor<1000xf32>) -> tensor<1000xf32>
  %2 = "mlax.mul"(%1, %a) : (tensor<1000xf32>, tensor<1000xf32>) -> tensor<1000xf32>
  return %2 : tensor<1000xf32>
}


// -----

// Tests that a matmul is a kernel zeroing C and a kernel tiled through shared memory:
// 3 x 4 blocks of 16 x 16 threads for the 48 x 64 tiles of C; per step of 16 along k
// (2 steps), each thread copies an element of A's and of B's tile into shared memory,
// a barrier, then adds its products from shared memory to its element of C, a barrier.
// CHECK-LABEL: func.func @matmul
// CHECK: gpu.launch_func @matmul_kernel::@matmul_kernel blocks in (%c1, %c64, %c1) threads in (%c64, %c1, %c1)
// CHECK: gpu.launch_func @matmul_kernel_0::@matmul_kernel blocks in (%c3, %c4, %c1) threads in (%c16, %c16, %c1)
// CHECK: gpu.func @matmul_kernel(
// CHECK: gpu.func @matmul_kernel(
// CHECK-DAG: %[[AS:.*]] = memref.alloca() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: %[[BS:.*]] = memref.alloca() : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for %{{.*}} = %c0 to %c2
// CHECK: memref.store %{{.*}}, %[[AS]]
// CHECK: memref.store %{{.*}}, %[[BS]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[AS]]
// CHECK: memref.load %[[BS]]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: gpu.barrier
func.func @matmul(%a: tensor<64x32xf32>, %b: tensor<32x48xf32>) -> tensor<64x48xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<64x32xf32>, tensor<32x48xf32>) -> tensor<64x48xf32>
  return %0 : tensor<64x48xf32>
}


// -----

// Tests that a full sum is a block tree reduction: one block of 256 threads, a strided
// fold per thread, 5 shuffles per warp, one barrier, 3 shuffles over the warps' totals.
// CHECK-LABEL: func.func @full_sum
// CHECK: gpu.launch_func @{{.*}} blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK: gpu.func @full_sum_kernel(%{{.*}}: memref<4096xf32>, %{{.*}}: memref<f32>) kernel
// CHECK: %[[T:.*]] = gpu.thread_id x
// CHECK: scf.for %{{.*}} = %[[T]] to %c4096 step %c256
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK-COUNT-3: gpu.shuffle  xor
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
func.func @full_sum(%a: tensor<4096xf32>) -> tensor<f32> {
  %0 = "mlax.reduce_sum"(%a) {axes = array<i64: 0>} : (tensor<4096xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
