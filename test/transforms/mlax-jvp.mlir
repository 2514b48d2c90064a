// RUN: not mlax-opt %s --split-input-file --mlax-jvp --mlax-simplify -o %t 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --input-file=%t

// The JVP rules exercised here are the table in compiler/transforms/ad_rules.py.

// `--mlax-jvp` gives each mlax.jvp declaration the forward-mode derivative of its callee:
// (primals..., tangents...) -> (outputs..., output tangents...). Tangents are symbolic:
// only what depends on the differentiated operands gets derivative code. The last cases
// are errors (ERR).

// Tests the JVP of x * sin(x): t * sin(x) + x * (t * cos(x)), beside the primal.
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[T:.*]]: tensor<f32>) -> (tensor<f32>, tensor<f32>)
// CHECK-NEXT: %[[S:.*]] = "mlax.sin"(%[[X]])
// CHECK-NEXT: %[[C:.*]] = "mlax.cos"(%[[X]])
// CHECK-NEXT: %[[TS:.*]] = "mlax.mul"(%[[T]], %[[C]])
// CHECK-NEXT: %[[Y:.*]] = "mlax.mul"(%[[X]], %[[S]])
// CHECK-NEXT: %[[A:.*]] = "mlax.mul"(%[[T]], %[[S]])
// CHECK-NEXT: %[[B:.*]] = "mlax.mul"(%[[X]], %[[TS]])
// CHECK-NEXT: %[[DY:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK-NEXT: return %[[Y]], %[[DY]]
func.func private @jvp_f(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mlax.mul"(%x, %0) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests symbolic zeros: with a tangent for b only, exp(a) gets no derivative code and the
// sum's tangent is log's tangent t / b alone (no add of a zero).
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[A:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[T:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[A]])
// CHECK-NEXT: %[[L:.*]] = "mlax.log"(%[[B]])
// CHECK-NEXT: %[[DL:.*]] = "mlax.div"(%[[T]], %[[B]])
// CHECK-NEXT: %[[S:.*]] = "mlax.add"(%[[E]], %[[L]])
// CHECK-NEXT: return %[[S]], %[[DL]]
func.func private @jvp_f(tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 1>}}
func.func private @f(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.exp"(%a) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.log"(%b) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.add"(%0, %1) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %2 : tensor<3xf32>
}

// -----

// Tests that non-differentiable ops (argmax: integer result; floor: zero derivative) get
// no derivative code: their output tangents are zero constants.
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %{{.*}}: tensor<4xf32>)
// CHECK-NEXT: %[[I:.*]] = "mlax.argmax"(%[[X]])
// CHECK-NEXT: %[[F:.*]] = "mlax.floor"(%[[X]])
// CHECK-NEXT: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK-NEXT: %[[ZI:.*]] = arith.constant dense<0> : tensor<i32>
// CHECK-NEXT: return %[[F]], %[[I]], %[[Z]], %[[ZI]]
func.func private @jvp_f(tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<i32>, tensor<4xf32>, tensor<i32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<i32>) {
  %0 = "mlax.argmax"(%x) {axis = 0 : i64, index_dtype = i32} : (tensor<4xf32>) -> tensor<i32>
  %1 = "mlax.floor"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %1, %0 : tensor<4xf32>, tensor<i32>
}

// -----

// Tests that a call is differentiated through its callee, whose JVP is brought into the
// derivative: tanh'(x) = 1 - tanh(x)^2.
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[T:.*]]: tensor<f32>)
// CHECK-NEXT: %[[Y:.*]] = "mlax.tanh"(%[[X]])
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[SQ:.*]] = "mlax.integer_pow"(%[[Y]]) {y = 2 : i64}
// CHECK-NEXT: %[[D:.*]] = "mlax.sub"(%[[ONE]], %[[SQ]])
// CHECK-NEXT: %[[DY:.*]] = "mlax.mul"(%[[T]], %[[D]])
// CHECK-NEXT: return %[[Y]], %[[DY]]
func.func private @jvp_f(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @g(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @g(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.tanh"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests forward mode through mlax.while: the loop carries (state, tangent of the state);
// the condition reads the state only.
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[T:.*]]: tensor<f32>)
// CHECK-NEXT: %[[W:.*]]:2 = call @while_jvp(%[[X]], %[[T]])
// CHECK-NEXT: return %[[W]]#0, %[[W]]#1
// CHECK-LABEL: func.func private @b_while_jvp
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[DS:.*]]: tensor<f32>) -> (tensor<f32>, tensor<f32>)
// CHECK-NEXT: %[[SQ:.*]] = "mlax.mul"(%[[S]], %[[S]])
// CHECK-NEXT: %[[A:.*]] = "mlax.mul"(%[[DS]], %[[S]])
// CHECK-NEXT: %[[B:.*]] = "mlax.mul"(%[[S]], %[[DS]])
// CHECK-NEXT: %[[D:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK-NEXT: return %[[SQ]], %[[D]]
// CHECK-LABEL: func.func private @c_while_jvp
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %{{.*}}: tensor<f32>) -> tensor<i1>
// CHECK: "mlax.lt"(%[[S]], %{{.*}})
// CHECK: func.func private @while_jvp(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.while = {body = @b_while_jvp, cond = @c_while_jvp, num_consts = 0 : i64}}
func.func private @jvp_f(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @while(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @while(tensor<f32>) -> tensor<f32> attributes {mlax.while = {cond = @c, body = @b, num_consts = 0 : i64}}
func.func private @c(%x: tensor<f32>) -> tensor<i1> {
  %cst = arith.constant dense<1.0e+01> : tensor<f32>
  %0 = "mlax.lt"(%x, %cst) : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @b(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.mul"(%x, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests forward mode through mlax.scan: the carry and the ys get tangents, carried and
// stacked by one scan whose body is the JVP of the original body.
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[C:.*]]: tensor<5xf32>, %[[XS:.*]]: tensor<5xf32>, %[[DC:.*]]: tensor<5xf32>, %[[DXS:.*]]: tensor<5xf32>)
// CHECK-NEXT: %[[C0:.*]] = "mlax.reduce_sum"(%[[C]])
// CHECK-NEXT: %[[DC0:.*]] = "mlax.reduce_sum"(%[[DC]])
// CHECK-NEXT: %[[S:.*]]:4 = call @scan_jvp(%[[C0]], %[[DC0]], %[[XS]], %[[DXS]])
// CHECK-NEXT: return %[[S]]#0, %[[S]]#2, %[[S]]#1, %[[S]]#3
// CHECK-LABEL: func.func private @body_scan_jvp
// CHECK-SAME: (%[[K:.*]]: tensor<f32>, %[[DK:.*]]: tensor<f32>, %[[X:.*]]: tensor<f32>, %[[DX:.*]]: tensor<f32>)
// CHECK: %[[P:.*]] = "mlax.mul"(%[[K]], %[[X]])
// CHECK: %[[DP:.*]] = "mlax.add"
// CHECK: %[[SIN:.*]] = "mlax.sin"(%[[P]])
// CHECK: %[[COS:.*]] = "mlax.cos"(%[[P]])
// CHECK: %[[DSIN:.*]] = "mlax.mul"(%[[DP]], %[[COS]])
// CHECK: return %[[SIN]], %[[DSIN]], %[[P]], %[[DP]]
// CHECK: func.func private @scan_jvp({{.*}}) attributes {mlax.scan = {body = @body_scan_jvp, length = 5 : i64, num_carry = 2 : i64, num_consts = 0 : i64, reverse = false}}
func.func private @jvp_f(tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>, tensor<f32>, tensor<5xf32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0, 1>}}
func.func private @f(%c: tensor<5xf32>, %xs: tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>) {
  %c0 = "mlax.reduce_sum"(%c) {axes = array<i64: 0>} : (tensor<5xf32>) -> tensor<f32>
  %0:2 = func.call @scan(%c0, %xs) : (tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>)
  return %0#0, %0#1 : tensor<f32>, tensor<5xf32>
}
func.func private @scan(tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>) attributes {mlax.scan = {body = @body, length = 5 : i64, reverse = false, num_carry = 1 : i64, num_consts = 0 : i64}}
func.func private @body(%c: tensor<f32>, %x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mlax.mul"(%c, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mlax.sin"(%0) : (tensor<f32>) -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<f32>
}

// -----

// Tests that a custom_jvp function is differentiated with its rule, whose primal output
// replaces the call.
// CHECK-LABEL: func.func private @jvp_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[T:.*]]: tensor<f32>)
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[X]])
// CHECK-NEXT: %[[D:.*]] = "mlax.mul"(%[[T]], %[[E]])
// CHECK-NEXT: return %[[E]], %[[D]]
func.func private @jvp_f(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @cjvp(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @cjvp(tensor<f32>) -> tensor<f32> attributes {mlax.custom_jvp = {callee = @p, jvp = @rule, num_args = 1 : i64, num_callee_consts = 0 : i64}}
func.func private @p(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @rule(%x: tensor<f32>, %t: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mlax.mul"(%t, %0) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}

// -----

// Tests that forward mode through a custom_vjp function is refused, as in JAX.
// ERR: mlax-jvp.mlir:[[@LINE+3]]:8: error: can't apply forward-mode autodiff (jvp) to a custom_vjp function.
func.func private @jvp_f(tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @cvjp(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @cvjp(tensor<f32>) -> tensor<f32> attributes {mlax.custom_vjp = {callee = @p, fwd = @p, bwd = @p, num_args = 1 : i64, num_callee_consts = 0 : i64, num_fwd_consts = 0 : i64, num_res = 0 : i64}}
func.func private @p(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that an op without a differentiation rule is an error naming the op and the mode.
// ERR: mlax-jvp.mlir:[[@LINE+3]]:8: error: Differentiation rule for 'arith.addf' not implemented in jvp mode.
func.func private @jvp_f(tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = arith.addf %x, %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that a declaration whose type does not fit its callee is refused, at its line.
// ERR: mlax-jvp.mlir:[[@LINE+1]]:1: error: mlax.jvp declaration @jvp_f has type (tensor<f32>) -> (tensor<f32>, tensor<f32>), but for @f it must be (tensor<f32>, tensor<f32>) -> (tensor<f32>, tensor<f32>)
func.func private @jvp_f(tensor<f32>) -> (tensor<f32>, tensor<f32>) attributes {mlax.jvp = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
