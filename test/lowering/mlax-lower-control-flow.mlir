// RUN: mlax-opt %s --split-input-file --mlax-lower-control-flow | FileCheck %s

// The pass lives in compiler/lowering/structural.py (the lowering of structural declarations).

// Tests that a two-branch cond becomes scf.if on index != 0 (branch 1 in the then
// region), each branch materializing its result in one buffer allocated before the if.
// CHECK-LABEL: func.func private @cond
// CHECK-SAME: (%[[I:.*]]: tensor<i32>, %[[X:.*]]: tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NOT: mlax.cond
// CHECK: %[[IDX:.*]] = tensor.extract %[[I]][] : tensor<i32>
// CHECK: %[[DEST:.*]] = bufferization.alloc_tensor() : tensor<3xf32>
// CHECK: %[[PRED:.*]] = arith.cmpi ne, %[[IDX]], %{{.*}} : i32
// CHECK: %[[R:.*]] = scf.if %[[PRED]] -> (tensor<3xf32>) {
// CHECK:   %[[T:.*]] = func.call @id(%[[X]])
// CHECK:   %[[TM:.*]] = bufferization.materialize_in_destination %[[T]] in %[[DEST]]
// CHECK:   scf.yield %[[TM]]
// CHECK: } else {
// CHECK:   %[[E:.*]] = func.call @neg(%[[X]])
// CHECK:   %[[EM:.*]] = bufferization.materialize_in_destination %[[E]] in %[[DEST]]
// CHECK:   scf.yield %[[EM]]
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @two_branches
// CHECK: call @cond(
func.func private @neg(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.neg"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @id(%x: tensor<3xf32>) -> tensor<3xf32> {
  return %x : tensor<3xf32>
}
func.func private @cond(tensor<i32>, tensor<3xf32>) -> tensor<3xf32> attributes {mlax.cond = {branches = [@neg, @id]}}
func.func @two_branches(%i: tensor<i32>, %x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @cond(%i, %x) : (tensor<i32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a cond of three branches becomes scf.index_switch (the last branch in the
// default region), and that a cond of one branch is a plain call.
// CHECK-LABEL: func.func private @switch
// CHECK-SAME: (%[[I:.*]]: tensor<i32>, %[[X:.*]]: tensor<f32>)
// CHECK: %[[IDX:.*]] = tensor.extract %[[I]][]
// CHECK: %[[DEST:.*]] = bufferization.alloc_tensor() : tensor<f32>
// CHECK: %[[CASE:.*]] = arith.index_cast %[[IDX]] : i32 to index
// CHECK: %[[R:.*]] = scf.index_switch %[[CASE]] -> tensor<f32>
// CHECK: case 0 {
// CHECK:   func.call @b0(%[[X]])
// CHECK: case 1 {
// CHECK:   func.call @b1(%[[X]])
// CHECK: default {
// CHECK:   %[[D:.*]] = func.call @b2(%[[X]])
// CHECK:   bufferization.materialize_in_destination %[[D]] in %[[DEST]]
// CHECK: return %[[R]]
// CHECK-LABEL: func.func private @one
// CHECK-SAME: (%{{.*}}: tensor<i32>, %[[Y:.*]]: tensor<f32>)
// CHECK-NEXT: %[[C:.*]] = call @b2(%[[Y]])
// CHECK-NEXT: return %[[C]]
func.func private @b0(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @b1(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @b2(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @switch(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@b0, @b1, @b2]}}
func.func private @one(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@b2]}}

// -----

// Tests that while becomes scf.while over copies of the state (not the trailing consts),
// testing the i1 the cond function returns; a state element the body returns unchanged is
// yielded as it is, a new one is written over the old one.
// CHECK-LABEL: func.func private @while
// CHECK-SAME: (%[[I0:.*]]: tensor<i32>, %[[X0:.*]]: tensor<2xui32>, %[[N:.*]]: tensor<i32>)
// CHECK: %[[IC:.*]] = bufferization.alloc_tensor() copy(%[[I0]]) : tensor<i32>
// CHECK: %[[XC:.*]] = bufferization.alloc_tensor() copy(%[[X0]]) : tensor<2xui32>
// CHECK: %[[R:.*]]:2 = scf.while (%[[I:.*]] = %[[IC]], %[[X:.*]] = %[[XC]])
// CHECK:   %[[C:.*]] = func.call @less(%[[I]], %[[X]], %[[N]])
// CHECK:   %[[B:.*]] = tensor.extract %[[C]][] : tensor<i1>
// CHECK:   scf.condition(%[[B]]) %[[I]], %[[X]]
// CHECK: } do {
// CHECK: ^bb0(%[[AI:.*]]: tensor<i32>, %[[AX:.*]]: tensor<2xui32>):
// CHECK:   %[[S:.*]]:2 = func.call @step(%[[AI]], %[[AX]], %[[N]])
// CHECK:   %[[NI:.*]] = bufferization.materialize_in_destination %[[S]]#0 in %[[AI]]
// CHECK:   scf.yield %[[NI]], %[[AX]]
// CHECK: return %[[R]]#0, %[[R]]#1
func.func private @less(%i: tensor<i32>, %x: tensor<2xui32>, %n: tensor<i32>) -> tensor<i1> {
  %0 = "mlax.lt"(%i, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @step(%i: tensor<i32>, %x: tensor<2xui32>, %n: tensor<i32>) -> (tensor<i32>, tensor<2xui32>) {
  %c1 = arith.constant dense<1> : tensor<i32>
  %0 = "mlax.add"(%i, %c1) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  return %0, %x : tensor<i32>, tensor<2xui32>
}
func.func private @while(tensor<i32>, tensor<2xui32>, tensor<i32>) -> (tensor<i32>, tensor<2xui32>) attributes {mlax.while = {cond = @less, body = @step, num_consts = 1 : i64}}

// -----

// Tests that a bool stored as i8 (after --mlax-lower-to-linalg) is tested != 0, and that
// state elements the body permutes are copied before any is overwritten.
// CHECK-LABEL: func.func private @while_swap
// CHECK: %[[C:.*]] = func.call @always
// CHECK: %[[B:.*]] = tensor.extract %[[C]][] : tensor<i8>
// CHECK: %[[T:.*]] = arith.cmpi ne, %[[B]], %{{.*}} : i8
// CHECK: scf.condition(%[[T]])
// CHECK: ^bb0(%[[A:.*]]: tensor<3xf32>, %[[B2:.*]]: tensor<3xf32>):
// CHECK:   %[[S:.*]]:2 = func.call @swap(%[[A]], %[[B2]])
// CHECK:   %[[C0:.*]] = bufferization.alloc_tensor() copy(%[[S]]#0)
// CHECK:   %[[C1:.*]] = bufferization.alloc_tensor() copy(%[[S]]#1)
// CHECK:   %[[M0:.*]] = bufferization.materialize_in_destination %[[C0]] in %[[A]]
// CHECK:   %[[M1:.*]] = bufferization.materialize_in_destination %[[C1]] in %[[B2]]
// CHECK:   scf.yield %[[M0]], %[[M1]]
func.func private @always(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<i8> {
  %c = arith.constant dense<1> : tensor<i8>
  return %c : tensor<i8>
}
func.func private @swap(%a: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  return %b, %a : tensor<3xf32>, tensor<3xf32>
}
func.func private @while_swap(tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) attributes {mlax.while = {cond = @always, body = @swap, num_consts = 0 : i64}}

// -----

// Tests that a new value the body returns as two state elements is written over the
// first, and copied for the second before any element is overwritten: empty-tensor
// elimination computes it in the first element's buffer, and a copy read after that
// write would be a RaW conflict that bufferization cannot avoid.
// CHECK-LABEL: func.func private @while_twice
// CHECK: ^bb0(%[[A:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>):
// CHECK:   %[[S:.*]]:2 = func.call @twice(%[[A]], %[[B]])
// CHECK:   %[[C1:.*]] = bufferization.alloc_tensor() copy(%[[S]]#1)
// CHECK:   %[[M0:.*]] = bufferization.materialize_in_destination %[[S]]#0 in %[[A]]
// CHECK:   %[[M1:.*]] = bufferization.materialize_in_destination %[[C1]] in %[[B]]
// CHECK:   scf.yield %[[M0]], %[[M1]]
func.func private @always2(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<i8> {
  %c = arith.constant dense<1> : tensor<i8>
  return %c : tensor<i8>
}
func.func private @twice(%a: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = "mlax.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %0 : tensor<3xf32>, tensor<3xf32>
}
func.func private @while_twice(tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) attributes {mlax.while = {cond = @always2, body = @twice, num_consts = 0 : i64}}

// -----

// Tests that scan becomes scf.for over [0, length) that slices each scanned operand at
// length - 1 - i (reverse), passes the consts unsliced, and inserts the per-step outputs
// into a stacked result.
// CHECK-LABEL: func.func private @scan
// CHECK-SAME: (%[[C0:.*]]: tensor<f32>, %[[XS:.*]]: tensor<5xf32>, %[[RS:.*]]: tensor<5x2xf32>, %[[K:.*]]: tensor<2xf32>)
// CHECK: %[[YS0:.*]] = bufferization.alloc_tensor() : tensor<5x2xf32>
// CHECK: %[[CC:.*]] = bufferization.alloc_tensor() copy(%[[C0]]) : tensor<f32>
// CHECK: %[[R:.*]]:2 = scf.for %[[IV:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[C:.*]] = %[[CC]], %[[YS:.*]] = %[[YS0]])
// CHECK:   %[[J:.*]] = arith.subi %{{.*}}, %[[IV]] : index
// CHECK:   %[[X:.*]] = tensor.extract_slice %[[XS]][%[[J]]] [1] [1] : tensor<5xf32> to tensor<f32>
// CHECK:   %[[ROW:.*]] = tensor.extract_slice %[[RS]][%[[J]], 0] [1, 2] [1, 1] : tensor<5x2xf32> to tensor<2xf32>
// CHECK:   %[[O:.*]]:2 = func.call @body(%[[C]], %[[X]], %[[ROW]], %[[K]])
// CHECK:   %[[YN:.*]] = tensor.insert_slice %[[O]]#1 into %[[YS]][%[[J]], 0] [1, 2] [1, 1]
// CHECK:   %[[CN:.*]] = bufferization.materialize_in_destination %[[O]]#0 in %[[C]]
// CHECK:   scf.yield %[[CN]], %[[YN]]
// CHECK: return %[[R]]#0, %[[R]]#1
func.func private @body(%c: tensor<f32>, %x: tensor<f32>, %r: tensor<2xf32>, %k: tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>) {
  %0 = "mlax.add"(%c, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mlax.mul"(%r, %k) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0, %1 : tensor<f32>, tensor<2xf32>
}
func.func private @scan(tensor<f32>, tensor<5xf32>, tensor<5x2xf32>, tensor<2xf32>) -> (tensor<f32>, tensor<5x2xf32>) attributes {mlax.scan = {body = @body, length = 5 : i64, reverse = true, num_carry = 1 : i64, num_consts = 1 : i64}}

// -----

// Tests that a host callback's declaration gets a body that writes its operand's and
// result's addresses into a table and calls the runtime's entry point with the address of
// its descriptor (a constant global) and of the table; the function is never inlined and
// has internal linkage.
// CHECK: memref.global "private" constant @[[DESC:.*]] : memref<{{[0-9]+}}xi8> = dense<
// CHECK: func.func private @mlax_host_callback(i64, i64)
// CHECK-LABEL: func.func private @pure_callback
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>) -> tensor<2xi32>
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>
// CHECK-SAME: no_inline
// CHECK-NOT: mlax.callback
// CHECK: %[[TABLE:.*]] = memref.alloca() : memref<2xi64>
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<3xf32> to memref<3xf32>
// CHECK: %[[XP:.*]] = memref.extract_aligned_pointer_as_index %[[XB]]
// CHECK: %[[XI:.*]] = arith.index_cast %[[XP]] : index to i64
// CHECK: memref.store %[[XI]], %[[TABLE]]
// CHECK: %[[R:.*]] = memref.alloc() : memref<2xi32>
// CHECK: %[[G:.*]] = memref.get_global @[[DESC]]
// CHECK: call @mlax_host_callback(%{{.*}}, %{{.*}}) : (i64, i64) -> ()
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[R]] restrict writable
// CHECK: return %[[T]] : tensor<2xi32>
// CHECK-LABEL: func.func @calls_host
// CHECK: call @pure_callback(
func.func private @pure_callback(tensor<3xf32>) -> tensor<2xi32> attributes {mlax.callback = {callback_id = 7 : i64, effect = "pure", ordered = false, dtypes = "float32,int32"}}
func.func @calls_host(%x: tensor<3xf32>) -> tensor<2xi32> {
  %0 = func.call @pure_callback(%x) : (tensor<3xf32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
