// RUN: mlax-opt %s --split-input-file --mlax-fuse-elementwise | FileCheck %s

// --mlax-fuse-elementwise fuses trees of elementwise linalg.generics into one generic each,
// in one walk; what it leaves is upstream linalg-fuse-elementwise-ops' to fuse.

// Tests that a chain of three generics becomes one, the bodies' ops in program order,
// each outside input read once, with the last consumer's output.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<16xf32>, %[[Y:.*]]: tensor<16xf32>)
// CHECK: %[[E:.*]] = tensor.empty
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[Y]] : tensor<16xf32>, tensor<16xf32>) outs(%[[E]] : tensor<16xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[M:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK: %[[S:.*]] = math.sin %[[M]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[S]], %[[A]] : f32
// CHECK: linalg.yield %[[D]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
#id = affine_map<(d0) -> (d0)>
func.func @chain(%x: tensor<16xf32>, %y: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%x, %y : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<16xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%0 : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = math.sin %a : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%1, %x : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<16xf32>
  return %2 : tensor<16xf32>
}

// -----

// Tests that a producer with users in two generics stays (upstream fuses single-use
// producers only), while a value that one consumer reads twice is computed once inside it.
// CHECK-LABEL: func.func @uses
// CHECK: %[[P:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<8xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[N:.*]] = arith.negf %[[A]] : f32
// CHECK: %[[M:.*]] = arith.mulf %[[N]], %[[N]] : f32
// CHECK: linalg.yield %[[M]]
// CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<8xf32>)
// CHECK: math.sqrt
#id = affine_map<(d0) -> (d0)>
func.func @uses(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.negf %a : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%n, %n : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %rt = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%p : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.sqrt %a : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %sq, %rt : tensor<8xf32>, tensor<8xf32>
}

// -----

// Tests that indexing maps compose into the root's loops: a broadcast (a row vector
// along d0) and a transpose feed a 2-d consumer, and the producer's own inputs are read
// through the composed maps.
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @maps
// CHECK-SAME: (%[[V:.*]]: tensor<3xf32>, %[[M:.*]]: tensor<3x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ROW]], #[[T]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[V]], %[[M]] : tensor<3xf32>, tensor<3x4xf32>)
// CHECK: math.exp
// CHECK: math.absf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
#row = affine_map<(d0, d1) -> (d1)>
#id1 = affine_map<(d0) -> (d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
func.func @maps(%v: tensor<3xf32>, %m: tensor<3x4xf32>) -> tensor<4x3xf32> {
  %e1 = tensor.empty() : tensor<3xf32>
  %e2 = tensor.empty() : tensor<4x3xf32>
  %ev = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%v : tensor<3xf32>) outs(%e1 : tensor<3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<3xf32>
  %am = linalg.generic {indexing_maps = [#id2, #t], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<3x4xf32>) outs(%e2 : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.absf %a : f32
    linalg.yield %r : f32
  } -> tensor<4x3xf32>
  %s = linalg.generic {indexing_maps = [#row, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%ev, %am : tensor<3xf32>, tensor<4x3xf32>) outs(%e2 : tensor<4x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x3xf32>
  return %s : tensor<4x3xf32>
}

// -----

// Tests that a reduction consumer and a producer reading linalg.index stay as they are
// (upstream's fusion handles them).
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.index
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @left_alone(%x: tensor<8xf32>, %acc: tensor<f32>) -> tensor<f32> {
  %e = tensor.empty() : tensor<8xf32>
  %iota = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  } -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%x, %iota : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  %red = linalg.generic {indexing_maps = [#id, #scalar], iterator_types = ["reduction"]} ins(%sum : tensor<8xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %o : f32
    linalg.yield %r : f32
  } -> tensor<f32>
  return %red : tensor<f32>
}

// -----

// Tests that generics in a loop body fuse there, and not with a producer outside it.
// CHECK-LABEL: func.func @nested
// CHECK: %[[OUT:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: scf.for
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[OUT]] : tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: scf.yield
#id = affine_map<(d0) -> (d0)>
func.func @nested(%x: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %e = tensor.empty() : tensor<4xf32>
  %out = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%c = %x) -> (tensor<4xf32>) {
    %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%c : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r = arith.mulf %a, %a : f32
      linalg.yield %r : f32
    } -> tensor<4xf32>
    %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%out, %sq : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %r = arith.addf %a, %b : f32
      linalg.yield %r : f32
    } -> tensor<4xf32>
    scf.yield %s : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Tests that a producer whose result is also returned stays.
// CHECK-LABEL: func.func @returned
// CHECK: %[[P:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: %[[C:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4xf32>)
// CHECK: return %[[P]], %[[C]]
#id = affine_map<(d0) -> (d0)>
func.func @returned(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%p : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.negf %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  return %p, %c : tensor<4xf32>, tensor<4xf32>
}
