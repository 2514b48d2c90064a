// RUN: mlax-opt %s --split-input-file --mlax-gpu-map-foralls | FileCheck %s

// Forall nests mapped to blocks and threads become gpu.launch (mlax.backends.cuda.launch).

// Tests that a (100, 2) block forall holding a 256-thread forall becomes a launch of
// 2 x 100 blocks of 256 threads, the forall indices becoming block and thread ids.
// CHECK-LABEL: func.func @nest
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C100:.*]] = arith.constant 100 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C2]], %{{.*}} = %[[C100]], %{{.*}} = %{{.*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// CHECK-DAG: %[[BX:.*]] = gpu.block_id x
// CHECK-DAG: %[[BY:.*]] = gpu.block_id y
// CHECK-DAG: %[[TX:.*]] = gpu.thread_id x
// CHECK: %[[O:.*]] = arith.muli %[[BX]], %{{.*}} : index
// CHECK: arith.addi %[[O]], %[[TX]] : index
// CHECK: memref.load %{{.*}}[%[[BY]], %{{.*}}] : memref<100x300xf32>
// CHECK: gpu.terminator
// CHECK-NOT: scf.forall
// CHECK-NOT: mlax_gpu_kernel
func.func @nest(%a: memref<100x300xf32>) {
  scf.forall (%i, %j) in (100, 2) {
    scf.forall (%t) in (256) {
      %c256 = arith.constant 256 : index
      %o = arith.muli %j, %c256 : index
      %k = arith.addi %o, %t : index
      %c300 = arith.constant 300 : index
      %in = arith.cmpi slt, %k, %c300 : index
      scf.if %in {
        %v = memref.load %a[%i, %k] : memref<100x300xf32>
        %w = arith.addf %v, %v : f32
        memref.store %w, %a[%i, %k] : memref<100x300xf32>
      }
    } {mapping = [#gpu.thread<x>]}
  } {mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// Tests that a one-block forall with no thread forall is a kernel of one thread.
// CHECK-LABEL: func.func @one_thread
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}})
// CHECK: linalg.copy
func.func @one_thread(%a: memref<4xf32>, %b: memref<4xf32>) {
  scf.forall (%k) in (1) {
    linalg.copy ins(%a : memref<4xf32>) outs(%b : memref<4xf32>)
  } {mapping = [#gpu.block<x>]}
  return
}
