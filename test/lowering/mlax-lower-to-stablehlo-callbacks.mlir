// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Host callbacks: an mlax.callback declaration gets a body of one custom call of jaxlib's
// Python-callback handler, its index into the module's mlax.host_callbacks descriptors
// (compiler/lowering/stablehlo/host_callbacks.py).

// Tests that a pure callback is a custom call without side effect, index 0, whose
// descriptor (callback id, shapes, dtypes) the module lists.
// CHECK: module attributes {mlax.host_callbacks = ["{\22id\22:7,\22args\22:{{\[\[\[}}3],\22float32\22]],\22results\22:{{\[\[\[}}3],\22float32\22]]{{.*}}"]}
// CHECK-LABEL: func.func private @pure_callback
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>) -> tensor<3xf32>
// CHECK: %[[R:.*]] = "stablehlo.custom_call"(%[[X]])
// CHECK-SAME: call_target_name = "xla_ffi_python_cpu_callback"
// CHECK-SAME: has_side_effect = false
// CHECK-SAME: mhlo.backend_config = {index = 0 : ui64}
// CHECK: return %[[R]]
func.func private @pure_callback(tensor<3xf32>) -> tensor<3xf32> attributes {mlax.callback = {callback_id = 7 : i64, dtypes = "float32,float32", effect = "pure", ordered = false}}
func.func @f(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = func.call @pure_callback(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that ordered callbacks take and give a token, made once at the start of the
// caller and passed from call to call so that XLA keeps their order; an unordered debug
// callback has a side effect and no token; indices follow the declarations.
// CHECK-LABEL: func.func private @first
// CHECK-SAME: (%[[A:.*]]: tensor<f32>, %[[T:.*]]: !stablehlo.token) -> !stablehlo.token
// CHECK: %[[U:.*]] = "stablehlo.custom_call"(%[[T]], %[[A]])
// CHECK-SAME: has_side_effect = true
// CHECK-SAME: mhlo.backend_config = {index = 0 : ui64}
// CHECK: return %[[U]]
// CHECK-LABEL: func.func private @second
// CHECK: mhlo.backend_config = {index = 1 : ui64}
// CHECK-LABEL: func.func private @unordered
// CHECK-SAME: (%{{.*}}: tensor<f32>) {
// CHECK: "stablehlo.custom_call"
// CHECK-SAME: has_side_effect = true
// CHECK-SAME: mhlo.backend_config = {index = 2 : ui64}
// CHECK-LABEL: func.func @g
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[Y:.*]]: tensor<f32>)
// CHECK: %[[T0:.*]] = "stablehlo.after_all"() : () -> !stablehlo.token
// CHECK: %[[T1:.*]] = call @first(%[[X]], %[[T0]])
// CHECK: call @unordered(%[[X]])
// CHECK: %{{.*}} = call @second(%[[Y]], %[[T1]])
func.func private @first(tensor<f32>) attributes {mlax.callback = {callback_id = 1 : i64, dtypes = "float32", effect = "debug", ordered = true}}
func.func private @second(tensor<f32>) attributes {mlax.callback = {callback_id = 2 : i64, dtypes = "float32", effect = "debug", ordered = true}}
func.func private @unordered(tensor<f32>) attributes {mlax.callback = {callback_id = 3 : i64, dtypes = "float32", effect = "debug", ordered = false}}
func.func @g(%x: tensor<f32>, %y: tensor<f32>) {
  func.call @first(%x) : (tensor<f32>) -> ()
  func.call @unordered(%x) : (tensor<f32>) -> ()
  func.call @second(%y) : (tensor<f32>) -> ()
  return
}

// -----

// Tests that the token goes through calls, loops and branches: a function running an
// ordered callback (here through a loop body and a branch) takes a token last and gives
// it back; the while carries it, its body region passes it to @body; the case's branches
// take the token from above and return theirs; the entry makes the first token.
// CHECK-LABEL: func.func private @body
// CHECK-SAME: (%[[S:.*]]: tensor<f32>, %[[T:.*]]: !stablehlo.token) -> (tensor<f32>, !stablehlo.token)
// CHECK: %[[U:.*]] = call @ordered(%[[S]], %[[T]])
// CHECK: return %[[S]], %[[U]]
// CHECK-LABEL: func.func private @loop
// CHECK-SAME: (%[[X:.*]]: tensor<f32>, %[[T0:.*]]: !stablehlo.token) -> (tensor<f32>, !stablehlo.token)
// CHECK: %[[L:.*]]:2 = "stablehlo.while"(%[[X]], %[[T0]]) ({
// CHECK: ^bb0(%{{.*}}: tensor<f32>, %{{.*}}: !stablehlo.token):
// CHECK: }, {
// CHECK: ^bb0(%[[S1:.*]]: tensor<f32>, %[[T1:.*]]: !stablehlo.token):
// CHECK:   %[[N:.*]]:2 = func.call @body(%[[S1]], %[[T1]])
// CHECK:   "stablehlo.return"(%[[N]]#0, %[[N]]#1)
// CHECK: return %[[L]]#0, %[[L]]#1
// CHECK-LABEL: func.func private @branch
// CHECK-SAME: (%[[I:.*]]: tensor<i32>, %[[X:.*]]: tensor<f32>, %[[T0:.*]]: !stablehlo.token) -> (tensor<f32>, !stablehlo.token)
// CHECK: %[[R:.*]]:2 = "stablehlo.case"(%[[I]]) ({
// CHECK:   %[[A:.*]]:2 = func.call @body(%[[X]], %[[T0]])
// CHECK:   "stablehlo.return"(%[[A]]#0, %[[A]]#1)
// CHECK: }, {
// CHECK:   %[[B:.*]] = func.call @same(%[[X]])
// CHECK:   "stablehlo.return"(%[[B]], %[[T0]])
// CHECK: return %[[R]]#0, %[[R]]#1
// CHECK-LABEL: func.func @h
// CHECK: %[[E:.*]] = "stablehlo.after_all"() : () -> !stablehlo.token
// CHECK: %[[T1:.*]] = call @ordered(%{{.*}}, %[[E]])
// CHECK: %[[W:.*]]:2 = call @loop(%{{.*}}, %[[T1]])
// CHECK: %[[C:.*]]:2 = call @branch(%{{.*}}, %[[W]]#0, %[[W]]#1)
// CHECK: call @ordered(%[[C]]#0, %[[C]]#1)
func.func private @ordered(tensor<f32>) attributes {mlax.callback = {callback_id = 1 : i64, dtypes = "float32", effect = "debug", ordered = true}}
func.func private @body(%s: tensor<f32>) -> tensor<f32> {
  func.call @ordered(%s) : (tensor<f32>) -> ()
  return %s : tensor<f32>
}
func.func private @same(%s: tensor<f32>) -> tensor<f32> {
  return %s : tensor<f32>
}
func.func private @c(%s: tensor<f32>) -> tensor<i1> {
  %0 = "mlax.lt"(%s, %s) : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @loop(tensor<f32>) -> tensor<f32> attributes {mlax.while = {cond = @c, body = @body, num_consts = 0 : i64}}
func.func private @branch(tensor<i32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@body, @same]}}
func.func @h(%i: tensor<i32>, %x: tensor<f32>) -> tensor<f32> {
  func.call @ordered(%x) : (tensor<f32>) -> ()
  %0 = func.call @loop(%x) : (tensor<f32>) -> tensor<f32>
  %1 = func.call @branch(%i, %0) : (tensor<i32>, tensor<f32>) -> tensor<f32>
  func.call @ordered(%1) : (tensor<f32>) -> ()
  return %1 : tensor<f32>
}
