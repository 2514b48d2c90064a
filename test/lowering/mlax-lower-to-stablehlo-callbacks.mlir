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
