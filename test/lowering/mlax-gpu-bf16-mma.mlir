// RUN: mlax-opt %s --split-input-file --mlax-gpu-bf16-mma | FileCheck %s

// bf16 tensor-core ops as NVVM's mma.sync with their PTX types given
// (mlax.backends.cuda.mma): convert-nvgpu-to-nvvm cannot deduce bf16 operand types.

// Tests that an m16n8k16 bf16 mma.sync takes each fragment row as one i32 register, the
// accumulator's four f32 values, and gives its result back as a vector<2x2xf32>.
// CHECK-LABEL: gpu.func @bf16
// CHECK-NOT: nvgpu.mma.sync
// CHECK-COUNT-6: vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK: %[[D:.*]] = nvvm.mma.sync A[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] B[%{{.*}}, %{{.*}}] C[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK: llvm.extractvalue %[[D]][3]
// CHECK: %[[V:.*]] = vector.from_elements %{{.*}} : vector<2x2xf32>
// CHECK: vector.store %[[V]]
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @bf16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>, %out: memref<2x2xf32>) kernel {
      %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %c0 = arith.constant 0 : index
      vector.store %d, %out[%c0, %c0] : memref<2x2xf32>, vector<2x2xf32>
      gpu.return
    }
  }
}

// -----

// Tests that an f16 mma.sync is left to convert-nvgpu-to-nvvm.
// CHECK-LABEL: gpu.func @f16
// CHECK: nvgpu.mma.sync
// CHECK-NOT: nvvm.mma.sync
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>, %out: memref<2x2xf32>) kernel {
      %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %c0 = arith.constant 0 : index
      vector.store %d, %out[%c0, %c0] : memref<2x2xf32>, vector<2x2xf32>
      gpu.return
    }
  }
}
