// RUN: mlax-opt %s --split-input-file --mlax-gpu-interpret | FileCheck %s

// Interpret mode (mlax.backends.cuda.interpret): a kernel and its launch as CPU loops.
// test_cuda_backend.py runs the same kernel and checks its numbers.

// Tests that a block tree reduction (shared memory, a barrier, a uniform loop holding a
// barrier, a loaded value used after the barriers) becomes: the launch a call with the
// grid and block sizes; in the kernel's function, loops over blocks (z, y, x) and inside,
// phases of loops over threads (z, y, x) split at each barrier; the shared buffer one
// allocation for the launch without the workgroup memory space; the uniform loop around
// its phase; the value crossing barriers stored per thread and loaded in the last phase.
// CHECK-LABEL: func.func @block_sums
// CHECK: call @k_tree_sum(%{{.*}}, %{{.*}}, %[[C2:.*]], %[[C1:.*]], %[[C1]], %[[C256:.*]], %[[C1]], %[[C1]])
// CHECK-NOT: gpu.
// CHECK-LABEL: func.func private @k_tree_sum
// CHECK-SAME: %[[GX:[^:]*]]: index, %[[GY:[^:]*]]: index, %[[GZ:[^:]*]]: index, %[[BX:[^:]*]]: index, %[[BY:[^:]*]]: index, %[[BZ:[^:]*]]: index)
// CHECK-DAG: %[[SHARED:.*]] = memref.alloca() : memref<256xf32>
// CHECK-DAG: %[[KEPT:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[GZ]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[GY]]
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %[[GX]]
// Phase 1: load, keep, store to shared memory.
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BZ]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[BY]]
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[BX]]
// CHECK: %[[V:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<512xf32>
// CHECK: memref.store %[[V]], %[[KEPT]][%{{.*}}] : memref<?xf32>
// CHECK: memref.store %[[V]], %[[SHARED]][%[[T]]] : memref<256xf32>
// The uniform loop, one phase inside.
// CHECK: scf.for %[[S:.*]] = %{{.*}} to %{{.*}} step
// CHECK: scf.for %[[T2:.*]] = %{{.*}} to %[[BX]]
// CHECK: arith.shrui %{{.*}}, %[[S]] : index
// CHECK: scf.if
// CHECK: memref.load %[[SHARED]][%[[T2]]]
// Phase 3: the kept value.
// CHECK: scf.for %[[T3:.*]] = %{{.*}} to %[[BX]]
// CHECK: arith.cmpi eq, %[[T3]]
// CHECK: %[[VK:.*]] = memref.load %[[KEPT]][%{{.*}}] : memref<?xf32>
// CHECK: arith.subf %{{.*}}, %[[VK]] : f32
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[B]]] : memref<2xf32>
// CHECK-NOT: gpu.
// CHECK-NOT: workgroup
module attributes {gpu.container_module} {
  func.func @block_sums(%in: memref<512xf32>, %out: memref<2xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c256 = arith.constant 256 : index
    gpu.launch_func @k::@tree_sum blocks in (%c2, %c1, %c1) threads in (%c256, %c1, %c1) args(%in : memref<512xf32>, %out : memref<2xf32>)
    return
  }
  gpu.module @k {
    gpu.func @tree_sum(%in: memref<512xf32>, %out: memref<2xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %c128 = arith.constant 128 : index
      %shared = memref.alloca() : memref<256xf32, #gpu.address_space<workgroup>>
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %n = gpu.block_dim x
      %base = arith.muli %b, %n : index
      %i = arith.addi %base, %t : index
      %v = memref.load %in[%i] : memref<512xf32>
      memref.store %v, %shared[%t] : memref<256xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      scf.for %s = %c0 to %c8 step %c1 {
        %half = arith.shrui %c128, %s : index
        %lt = arith.cmpi ult, %t, %half : index
        scf.if %lt {
          %a = memref.load %shared[%t] : memref<256xf32, #gpu.address_space<workgroup>>
          %o = arith.addi %t, %half : index
          %bv = memref.load %shared[%o] : memref<256xf32, #gpu.address_space<workgroup>>
          %sum = arith.addf %a, %bv : f32
          memref.store %sum, %shared[%t] : memref<256xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
      }
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        %r = memref.load %shared[%c0] : memref<256xf32, #gpu.address_space<workgroup>>
        %d = arith.subf %r, %v : f32
        memref.store %d, %out[%b] : memref<2xf32>
      }
      gpu.return
    }
  }
}

// -----

// Tests that a warp shuffle ends a phase as a barrier does: in the first phase each
// thread stores the value it offers in its slot of a per-thread buffer (at its linear id),
// in the next it loads the slot of lane (lane xor 1) of its own 32-lane group, its own
// slot where that lane is outside the width or the block.
// CHECK-LABEL: func.func private @k_swap
// CHECK-SAME: %[[BX:[^:]*]]: index, %{{[^:]*}}: index, %{{[^:]*}}: index)
// CHECK: %[[SLOTS:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[BX]]
// CHECK: %[[V:.*]] = memref.load %{{.*}}[%[[T]]] : memref<64xf32>
// CHECK: memref.store %[[V]], %[[SLOTS]][%{{.*}}] : memref<?xf32>
// CHECK: scf.for %[[T2:.*]] = %{{.*}} to %[[BX]]
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// CHECK: %[[J:.*]] = arith.xori %[[LANE]], %{{.*}} : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[J]], %{{.*}} : index
// CHECK: %[[OK:.*]] = arith.andi %[[IN]], %{{.*}} : i1
// CHECK: %[[SRC:.*]] = arith.select %[[OK]], %{{.*}}, %{{.*}} : index
// CHECK: %[[GOT:.*]] = memref.load %[[SLOTS]][%[[SRC]]] : memref<?xf32>
// CHECK: memref.store %[[GOT]], %{{.*}}[%[[T2]]] : memref<64xf32>
// CHECK-NOT: gpu.
module attributes {gpu.container_module} {
  func.func @swap(%in: memref<64xf32>, %out: memref<64xf32>) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @k::@swap blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%in : memref<64xf32>, %out : memref<64xf32>)
    return
  }
  gpu.module @k {
    gpu.func @swap(%in: memref<64xf32>, %out: memref<64xf32>) kernel {
      %t = gpu.thread_id x
      %v = memref.load %in[%t] : memref<64xf32>
      %one = arith.constant 1 : i32
      %width = arith.constant 32 : i32
      %r, %ok = gpu.shuffle xor %v, %one, %width : f32
      memref.store %r, %out[%t] : memref<64xf32>
      gpu.return
    }
  }
}

// -----

// Tests that a uniform loop around a barrier whose iteration value is each thread's own
// (an accumulator in a register on a GPU) carries it through a per-thread buffer: stored
// before the loop, loaded at the start of each iteration and stored at its end, loaded
// after the loop; the loop itself has no iteration values left.
// (The value %v, used in every iteration, is kept per thread too: two buffers.)
// CHECK-LABEL: func.func private @k_accumulate
// CHECK-COUNT-2: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<?xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for
// CHECK: %[[X:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<?xf32>
// CHECK: %[[Y:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<?xf32>
// CHECK: %[[NEW:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %[[NEW]], %[[ACC:.*]][%{{.*}}] : memref<?xf32>
// CHECK: scf.for
// CHECK: %[[LAST:.*]] = memref.load %[[ACC]][%{{.*}}] : memref<?xf32>
// CHECK: memref.store %[[LAST]], %{{.*}}[%{{.*}}] : memref<64xf32>
module attributes {gpu.container_module} {
  func.func @accumulate(%in: memref<64xf32>, %out: memref<64xf32>) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @k::@accumulate blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%in : memref<64xf32>, %out : memref<64xf32>)
    return
  }
  gpu.module @k {
    gpu.func @accumulate(%in: memref<64xf32>, %out: memref<64xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %t = gpu.thread_id x
      %v = memref.load %in[%t] : memref<64xf32>
      %sum = scf.for %s = %c0 to %c4 step %c1 iter_args(%acc = %v) -> (f32) {
        %next = arith.addf %acc, %v : f32
        gpu.barrier
        scf.yield %next : f32
      }
      memref.store %sum, %out[%t] : memref<64xf32>
      gpu.return
    }
  }
}

// -----

// Tests that nvgpu.mma.sync (m16n8k16) is a warp's exchange: in one phase each thread
// stores its A, B and C fragments in per-thread buffers; in the next it reads the
// fragments of the lanes that hold its rows of A and columns of B and adds their
// products, widened to f32, to its own C fragment (16 products per element).
// CHECK-LABEL: func.func private @k_mma
// CHECK-DAG: %[[A:.*]] = memref.alloc(%{{.*}}) : memref<?xvector<4x2xf16>>
// CHECK-DAG: %[[B:.*]] = memref.alloc(%{{.*}}) : memref<?xvector<2x2xf16>>
// CHECK-DAG: %[[C:.*]] = memref.alloc(%{{.*}}) : memref<?xvector<2x2xf32>>
// CHECK: memref.store %{{.*}}, %[[A]][%{{.*}}] : memref<?xvector<4x2xf16>>
// CHECK: memref.store %{{.*}}, %[[B]][%{{.*}}] : memref<?xvector<2x2xf16>>
// CHECK: memref.store %{{.*}}, %[[C]][%{{.*}}] : memref<?xvector<2x2xf32>>
// CHECK: scf.for
// CHECK: memref.load %[[C]]
// CHECK: %[[FA:.*]] = memref.load %[[A]][%{{.*}}] : memref<?xvector<4x2xf16>>
// CHECK: vector.extract %[[FA]][0, 0] : f16 from vector<4x2xf16>
// CHECK: %[[FB:.*]] = memref.load %[[B]][%{{.*}}] : memref<?xvector<2x2xf16>>
// CHECK: vector.extract %[[FB]][0, 0] : f16 from vector<2x2xf16>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<2x2xf32>
// CHECK-NOT: nvgpu.
module attributes {gpu.container_module} {
  func.func @mma(%out: memref<32x4xf32>) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    gpu.launch_func @k::@mma blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1) args(%out : memref<32x4xf32>)
    return
  }
  gpu.module @k {
    gpu.func @mma(%out: memref<32x4xf32>) kernel {
      %t = gpu.thread_id x
      %h = arith.constant 1.0 : f16
      %f = arith.constant 0.0 : f32
      %a = vector.broadcast %h : f16 to vector<4x2xf16>
      %b = vector.broadcast %h : f16 to vector<2x2xf16>
      %c = vector.broadcast %f : f32 to vector<2x2xf32>
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %e = vector.extract %d[0, 0] : f32 from vector<2x2xf32>
      %c0 = arith.constant 0 : index
      memref.store %e, %out[%t, %c0] : memref<32x4xf32>
      gpu.return
    }
  }
}
