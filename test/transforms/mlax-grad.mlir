// RUN: not mlax-opt %s --split-input-file --mlax-grad --mlax-simplify -o %t 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --input-file=%t

// `--mlax-grad` gives each mlax.grad declaration the gradient of its callee: reverse mode,
// the forward ops replayed once, then the reverse rules of the active ops. With
// `--mlax-simplify` after it, the gradient has no dead primal op and no zero arithmetic.
// The last cases are errors (ERR).

// Tests that grad of x * sin(x) is sin(x) + x * cos(x): no dead primal multiply, no
// multiply by the seed 1.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NEXT: %[[S:.*]] = "mlax.sin"(%[[X]])
// CHECK-NEXT: %[[C:.*]] = "mlax.cos"(%[[X]])
// CHECK-NEXT: %[[XC:.*]] = "mlax.mul"(%[[X]], %[[C]])
// CHECK-NEXT: %[[G:.*]] = "mlax.add"(%[[S]], %[[XC]])
// CHECK-NEXT: return %[[G]] : tensor<f32>
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>, has_aux = false, value = false}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  %1 = "mlax.mul"(%x, %0) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that the cotangent of a sharding constraint gets the same constraint (JAX's rule):
// grad of sum(c(x) * x) is c(x) (through the product) + c(x) (the cotangent x, constrained).
// CHECK-LABEL: func.func private @grad_constrained
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[A:.*]] = "mlax.sharding_constraint"(%[[X]]) {devices = array<i64: 1, 0>, tiles = array<i64: 2>}
// CHECK-NEXT: %[[B:.*]] = "mlax.sharding_constraint"(%[[X]]) {devices = array<i64: 1, 0>, tiles = array<i64: 2>}
// CHECK-NEXT: %[[G:.*]] = "mlax.add"(%[[A]], %[[B]])
// CHECK-NEXT: return %[[G]]
func.func private @grad_constrained(tensor<4xf32>) -> tensor<4xf32> attributes {mlax.grad = {callee = @constrained, argnums = array<i64: 0>, has_aux = false, value = false}}
func.func private @constrained(%x: tensor<4xf32>) -> tensor<f32> {
  %0 = "mlax.sharding_constraint"(%x) {tiles = array<i64: 2>, devices = array<i64: 1, 0>} : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.mul"(%0, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<4xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Tests value_and_grad with aux and argnums = 1: the results are (value, aux, gradient of
// the second operand); the forward exp is computed once and serves all three.
// CHECK-LABEL: func.func private @vg
// CHECK-SAME: (%[[A:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[A]])
// CHECK-NEXT: %[[M:.*]] = "mlax.mul"(%[[E]], %[[B]])
// CHECK-NEXT: %[[V:.*]] = "mlax.reduce_sum"(%[[M]])
// CHECK-NOT: "mlax.exp"
// CHECK: return %[[V]], %[[E]], %[[E]]
func.func private @vg(tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>, tensor<3xf32>) attributes {mlax.grad = {callee = @f, argnums = array<i64: 1>, has_aux = true, value = true}}
func.func private @f(%a: tensor<3xf32>, %b: tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>) {
  %0 = "mlax.exp"(%a) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.mul"(%0, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %2, %0 : tensor<f32>, tensor<3xf32>
}

// -----

// Tests that the transpose of reduce_sum (a broadcast of the seed 1) folds away: the
// gradient of sum(exp(x)) is exp(x) alone.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[X]])
// CHECK-NEXT: return %[[E]] : tensor<4xf32>
func.func private @grad_f(tensor<4xf32>) -> tensor<4xf32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<4xf32>) -> tensor<f32> {
  %0 = "mlax.exp"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.reduce_sum"(%0) {axes = array<i64: 0>} : (tensor<4xf32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests the transpose of a matrix-vector dot_general with respect to the matrix: the
// outer product of the (all-ones) output cotangent and x, i.e. x broadcast over the rows.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[W:.*]]: tensor<3x4xf32>, %[[X:.*]]: tensor<4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[X]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 3, 4>}
// CHECK-NEXT: return %[[B]] : tensor<3x4xf32>
func.func private @grad_f(tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%w: tensor<3x4xf32>, %x: tensor<4xf32>) -> tensor<f32> {
  %0 = "mlax.dot_general"(%w, %x) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3xf32>
  %1 = "mlax.reduce_sum"(%0) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that calls are differentiated through their callee (once per call site here) and
// brought into the gradient: tanh(tanh(x))' = (1 - tanh(t)^2) * (1 - t^2), t = tanh(x).
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NOT: call
// CHECK: %[[T:.*]] = "mlax.tanh"(%[[X]])
// CHECK-NEXT: %[[TT:.*]] = "mlax.tanh"(%[[T]])
// CHECK: "mlax.integer_pow"(%[[TT]]) {y = 2 : i64}
// CHECK: "mlax.integer_pow"(%[[T]]) {y = 2 : i64}
// CHECK: %[[G:.*]] = "mlax.mul"
// CHECK-NEXT: return %[[G]]
// CHECK-NOT: func.func private @g_fwd
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @g(%x) : (tensor<f32>) -> tensor<f32>
  %1 = func.call @g(%0) : (tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}
func.func private @g(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.tanh"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests grad of grad: the inner declaration is expanded first (to cos), then
// differentiated like any function (to -sin).
// CHECK-LABEL: func.func private @grad2
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NEXT: %[[S:.*]] = "mlax.sin"(%[[X]])
// CHECK-NEXT: %[[N:.*]] = "mlax.neg"(%[[S]])
// CHECK-NEXT: return %[[N]]
// CHECK-LABEL: func.func private @grad1
// CHECK-NEXT: %[[C:.*]] = "mlax.cos"
// CHECK-NEXT: return %[[C]]
func.func private @grad2(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @g, argnums = array<i64: 0>}}
func.func private @g(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @grad1(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @grad1(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that stop_gradient cuts the path through it: d/dx sum(stop_gradient(x) * x) is
// stop_gradient(x), with no cotangent flowing into the stopped operand.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT: %[[S:.*]] = "mlax.stop_gradient"(%[[X]])
// CHECK-NEXT: return %[[S]]
func.func private @grad_f(tensor<3xf32>) -> tensor<3xf32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<3xf32>) -> tensor<f32> {
  %0 = "mlax.stop_gradient"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "mlax.mul"(%0, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Tests that a gradient that does not depend on the input is a constant, with no ops.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%{{.*}}: tensor<2xf32>, %{{.*}}: tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT: return %[[Z]]
func.func private @grad_f(tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<2xf32>, %y: tensor<2xf32>) -> tensor<f32> {
  %0 = "mlax.floor"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  %1 = "mlax.mul"(%0, %y) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %2 = "mlax.reduce_sum"(%1) {axes = array<i64: 0>} : (tensor<2xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Tests reverse mode through mlax.cond: a forward cond (the primal outputs, plus each
// branch's residuals), then a backward cond on the same index over the branches' reverse
// parts. Branch 1 (exp) reuses its output as its residual.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[I:.*]]: tensor<i32>) -> tensor<f32>
// CHECK-NEXT: %[[Y:.*]] = call @cond_fwd(%[[I]], %[[X]])
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[G:.*]] = call @cond_bwd(%[[I]], %[[ONE]], %[[X]], %[[Y]])
// CHECK-NEXT: return %[[G]]
// CHECK-LABEL: func.func private @b0_cond_fwd
// CHECK-NEXT: "mlax.sin"
// CHECK-LABEL: func.func private @b1_cond_fwd
// CHECK-NEXT: "mlax.exp"
// CHECK: func.func private @cond_fwd(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@b0_cond_fwd, @b1_cond_fwd]}}
// CHECK-LABEL: func.func private @b0_cond_bwd
// CHECK-SAME: (%[[CT:.*]]: tensor<f32>, %[[X0:.*]]: tensor<f32>, %{{.*}}: tensor<f32>)
// CHECK-NEXT: %[[C:.*]] = "mlax.cos"(%[[X0]])
// CHECK-NEXT: "mlax.mul"(%[[CT]], %[[C]])
// CHECK-LABEL: func.func private @b1_cond_bwd
// CHECK-SAME: (%[[CT1:.*]]: tensor<f32>, %{{.*}}: tensor<f32>, %[[Y1:.*]]: tensor<f32>)
// CHECK-NEXT: "mlax.mul"(%[[CT1]], %[[Y1]])
// CHECK: func.func private @cond_bwd(tensor<i32>, tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@b0_cond_bwd, @b1_cond_bwd]}}
func.func private @grad_f(tensor<f32>, tensor<i32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>, %i: tensor<i32>) -> tensor<f32> {
  %0 = func.call @cond(%i, %x) : (tensor<i32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @cond(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@b0, @b1]}}
func.func private @b0(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @b1(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.exp"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests reverse mode through mlax.scan: the forward scan keeps its ys (here the residual
// the backward pass needs), and the backward scan runs in the other direction over the
// ys and the xs, carrying the carry's cotangent.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[C:.*]]: tensor<f32>, %[[XS:.*]]: tensor<5xf32>) -> tensor<f32>
// CHECK-NEXT: %[[F:.*]]:2 = call @scan_fwd(%[[C]], %[[XS]])
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[G:.*]] = call @scan_bwd(%[[ONE]], %[[F]]#1, %[[XS]])
// CHECK-NEXT: return %[[G]]
// CHECK: func.func private @scan_fwd({{.*}}) -> (tensor<f32>, tensor<5xf32>) attributes {mlax.scan = {body = @body_scan_fwd, length = 5 : i64, num_carry = 1 : i64, num_consts = 0 : i64, reverse = false}}
// CHECK-LABEL: func.func private @body_scan_bwd
// CHECK-SAME: (%[[CT:.*]]: tensor<f32>, %[[P:.*]]: tensor<f32>, %[[X:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NEXT: %[[COS:.*]] = "mlax.cos"(%[[P]])
// CHECK-NEXT: %[[M:.*]] = "mlax.mul"(%[[CT]], %[[COS]])
// CHECK-NEXT: %[[R:.*]] = "mlax.mul"(%[[M]], %[[X]])
// CHECK-NEXT: return %[[R]]
// CHECK: func.func private @scan_bwd({{.*}}) -> tensor<f32> attributes {mlax.scan = {body = @body_scan_bwd, length = 5 : i64, num_carry = 1 : i64, num_consts = 0 : i64, reverse = true}}
func.func private @grad_f(tensor<f32>, tensor<5xf32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%c: tensor<f32>, %xs: tensor<5xf32>) -> tensor<f32> {
  %0:2 = func.call @scan(%c, %xs) : (tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>)
  return %0#0 : tensor<f32>
}
func.func private @scan(tensor<f32>, tensor<5xf32>) -> (tensor<f32>, tensor<5xf32>) attributes {mlax.scan = {body = @body, length = 5 : i64, reverse = false, num_carry = 1 : i64, num_consts = 0 : i64}}
func.func private @body(%c: tensor<f32>, %x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mlax.mul"(%c, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mlax.sin"(%0) : (tensor<f32>) -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<f32>
}

// -----

// Tests that a custom_vjp function is differentiated with its own rules: the forward pass
// runs fwd (its residual is x) and the backward pass bwd: 1 / (x + 1).
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NEXT: %[[ONE:.*]] = arith.constant dense<1.000000e+00>
// CHECK-NEXT: %[[D:.*]] = "mlax.add"(%[[X]], %[[ONE]])
// CHECK-NEXT: %[[G:.*]] = "mlax.div"(%[[ONE]], %[[D]])
// CHECK-NEXT: return %[[G]]
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @cvjp(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @cvjp(tensor<f32>) -> tensor<f32> attributes {mlax.custom_vjp = {callee = @p, fwd = @fwd, bwd = @bwd, num_args = 1 : i64, num_callee_consts = 0 : i64, num_fwd_consts = 0 : i64, num_res = 1 : i64}}
func.func private @p(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.log1p"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @fwd(%x: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  %0 = "mlax.log1p"(%x) : (tensor<f32>) -> tensor<f32>
  return %0, %x : tensor<f32>, tensor<f32>
}
func.func private @bwd(%r: tensor<f32>, %g: tensor<f32>) -> tensor<f32> {
  %cst = arith.constant dense<1.0> : tensor<f32>
  %0 = "mlax.add"(%r, %cst) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %1 = "mlax.div"(%g, %0) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Tests that a custom_jvp function is differentiated in reverse mode by transposing its
// JVP rule (linear in the tangent t): exp's rule t * exp(x) gives the gradient exp(x).
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: (%[[X:.*]]: tensor<f32>) -> tensor<f32>
// CHECK-NEXT: %[[E:.*]] = "mlax.exp"(%[[X]])
// CHECK-NEXT: return %[[E]]
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
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

// Tests that reverse mode through a while loop is refused with JAX's message, at the loop.
// ERR: mlax-grad.mlir:[[@LINE+3]]:8: error: Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop.
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
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

// Tests that grad of a function whose first result is not a real scalar is refused.
// ERR: mlax-grad.mlir:[[@LINE+1]]:1: error: mlax.grad declaration @grad_f: gradient only defined for scalar-output functions, but @f returns tensor<3xf32> first
func.func private @grad_f(tensor<3xf32>) -> tensor<3xf32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.sin"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that grad with respect to an integer operand is refused.
// ERR: mlax-grad.mlir:[[@LINE+1]]:1: error: mlax.grad declaration @grad_f: grad requires real-valued inputs, but operand 0 of @f is tensor<i32>
func.func private @grad_f(tensor<i32>) -> tensor<i32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<i32>) -> tensor<f32> {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = f32} : (tensor<i32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that an argnum out of range is refused.
// ERR: mlax-grad.mlir:[[@LINE+1]]:1: error: mlax.grad declaration @grad_f: argnum 2 is out of range for a callee of 1 operands
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 2>}}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
