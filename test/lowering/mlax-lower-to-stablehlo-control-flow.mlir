// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// The structural kinds: declarations get a body of one StableHLO op whose regions call
// the branch and loop functions (compiler/lowering/stablehlo/control_flow.py).

// Tests that a cond becomes stablehlo.case on the index, one region per branch, each
// calling its branch and returning its results.
// CHECK-LABEL: func.func private @cond
// CHECK-SAME: (%[[I:.*]]: tensor<i32>, %[[X:.*]]: tensor<3xf32>) -> tensor<3xf32>
// CHECK-NOT: mlax.cond
// CHECK: %[[R:.*]] = "stablehlo.case"(%[[I]]) ({
// CHECK:   %[[A:.*]] = func.call @neg(%[[X]])
// CHECK:   "stablehlo.return"(%[[A]])
// CHECK: }, {
// CHECK:   %[[B:.*]] = func.call @id(%[[X]])
// CHECK:   "stablehlo.return"(%[[B]])
// CHECK: }) : (tensor<i32>) -> tensor<3xf32>
// CHECK: return %[[R]]
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

// Tests that a while loop carries its state and consts: the cond region calls @c, the
// body region calls @b on both and passes the consts through unchanged.
// CHECK-LABEL: func.func private @w
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[K:.*]]: tensor<f32>) -> tensor<f32>
// CHECK: %[[L:.*]]:2 = "stablehlo.while"(%[[S]], %[[K]]) ({
// CHECK: ^bb0(%[[S1:.*]]: tensor<f32>, %[[K1:.*]]: tensor<f32>):
// CHECK:   %[[P:.*]] = func.call @c(%[[S1]], %[[K1]])
// CHECK:   "stablehlo.return"(%[[P]])
// CHECK: }, {
// CHECK: ^bb0(%[[S2:.*]]: tensor<f32>, %[[K2:.*]]: tensor<f32>):
// CHECK:   %[[N:.*]] = func.call @b(%[[S2]], %[[K2]])
// CHECK:   "stablehlo.return"(%[[N]], %[[K2]])
// CHECK: return %[[L]]#0
func.func private @c(%s: tensor<f32>, %k: tensor<f32>) -> tensor<i1> {
  %0 = "mlax.lt"(%s, %k) : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @b(%s: tensor<f32>, %k: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.add"(%s, %s) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @w(tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mlax.while = {cond = @c, body = @b, num_consts = 1 : i64}}

// -----

// Tests that a reversed scan is a stablehlo.while over a counter: the body reads the xs
// at length - 1 - i, calls @body on the carry and the slice, and writes the y slice at
// the same index; the scan returns the carry and the stacked ys.
// CHECK-LABEL: func.func private @scan
// CHECK-SAME: (%[[C:.*]]: tensor<f32>, %[[XS:.*]]: tensor<4x2xf32>) -> (tensor<f32>, tensor<4x2xf32>)
// CHECK: %[[L:.*]]:4 = "stablehlo.while"(%{{.*}}, %[[C]], %{{.*}}, %[[XS]]) ({
// CHECK: comparison_direction = #stablehlo<comparison_direction LT>
// CHECK: }, {
// CHECK: ^bb0(%[[I:.*]]: tensor<i32>, %[[CI:.*]]: tensor<f32>, %[[YS:.*]]: tensor<4x2xf32>, %[[XI:.*]]: tensor<4x2xf32>):
// CHECK:   %[[LAST:.*]] = "stablehlo.constant"() {value = dense<3> : tensor<i32>}
// CHECK:   %[[AT:.*]] = "stablehlo.subtract"(%[[LAST]], %[[I]])
// CHECK:   %[[X:.*]] = "stablehlo.dynamic_slice"(%[[XI]], %[[AT]], %{{.*}}) {slice_sizes = array<i64: 1, 2>}
// CHECK:   %[[XR:.*]] = "stablehlo.reshape"(%[[X]]) : (tensor<1x2xf32>) -> tensor<2xf32>
// CHECK:   %[[OUT:.*]]:2 = func.call @body(%[[CI]], %[[XR]])
// CHECK:   %[[YR:.*]] = "stablehlo.reshape"(%[[OUT]]#1) : (tensor<2xf32>) -> tensor<1x2xf32>
// CHECK:   %[[Y:.*]] = "stablehlo.dynamic_update_slice"(%[[YS]], %[[YR]], %[[AT]], %{{.*}})
// CHECK:   "stablehlo.return"(%{{.*}}, %[[OUT]]#0, %[[Y]], %[[XI]])
// CHECK: return %[[L]]#1, %[[L]]#2
func.func private @body(%c: tensor<f32>, %x: tensor<2xf32>) -> (tensor<f32>, tensor<2xf32>) {
  return %c, %x : tensor<f32>, tensor<2xf32>
}
func.func private @scan(tensor<f32>, tensor<4x2xf32>) -> (tensor<f32>, tensor<4x2xf32>) attributes {mlax.scan = {body = @body, length = 4 : i64, reverse = true, num_carry = 1 : i64, num_consts = 0 : i64}}
