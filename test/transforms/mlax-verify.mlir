// RUN: not mlax-opt %s --split-input-file --mlax-verify -o %t 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --input-file=%t

// mlax-verify checks what IRDL cannot: each op's result types against its type rule.
// Valid cases print (CHECK); invalid ones report `file:line:col: error: 'op' op ...` (ERR),
// then the source line and a caret under the op.

// Tests that valid ops of several families pass unchanged.
// CHECK-LABEL: func.func @valid(
// CHECK-SAME: %[[X:.*]]: tensor<3xf32>, %[[M:.*]]: tensor<3x4xf32>)
// CHECK-NEXT: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[X]]) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[D:.*]] = "mlax.dot_general"(%[[B]], %[[M]]) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, precision = ["DEFAULT", "DEFAULT"], rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[R:.*]] = "mlax.reduce_max"(%[[D]]) {axes = array<i64>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[T:.*]] = "mlax.transpose"(%[[R]]) {permutation = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
// CHECK-NEXT: return %[[R]], %[[T]] : tensor<2x4xf32>, tensor<4x2xf32>
func.func @valid(%x: tensor<3xf32>, %m: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<4x2xf32>) {
  %0 = "mlax.broadcast_in_dim"(%x) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xf32>) -> tensor<2x3xf32>
  %1 = "mlax.dot_general"(%0, %m) {lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, precision = ["DEFAULT", "DEFAULT"], rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %2 = "mlax.reduce_max"(%1) {axes = array<i64>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %3 = "mlax.transpose"(%2) {permutation = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  return %2, %3 : tensor<2x4xf32>, tensor<4x2xf32>
}

// -----

// Tests that a reduction whose result keeps the reduced axis is rejected.
// ERR: mlax-verify.mlir:[[@LINE+4]]:8: error: 'mlax.reduce_sum' op result types f32[2,3] do not match the inferred f32[2]
// ERR-NEXT: {{^}}  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>{{$}}
// ERR-NEXT: {{^}}       ^{{$}}
func.func @reduce_shape(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that a reduction over an axis beyond the rank is rejected.
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.reduce_sum' op axis 2 is out of range for rank 2{{$}}
func.func @reduce_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that convert_element_type's result dtype must be its new_dtype.
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.convert_element_type' op result types i32[4] do not match the inferred f64[4]
func.func @convert_dtype(%x: tensor<4xf32>) -> tensor<4xi32> {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = f64} : (tensor<4xf32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Tests that broadcast_in_dim cannot map a dim onto a different size.
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.broadcast_in_dim' op operand f32[3] dim 0 cannot broadcast to [3, 2] dim 1{{$}}
func.func @broadcast_size(%x: tensor<3xf32>) -> tensor<3x2xf32> {
  %0 = "mlax.broadcast_in_dim"(%x) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 3, 2>} : (tensor<3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Tests that a slice past the end of its operand is rejected.
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.slice' op [3:6:1] is out of bounds for a dim of size 4 in f32[4]{{$}}
func.func @slice_bounds(%x: tensor<4xf32>) -> tensor<3xf32> {
  %0 = "mlax.slice"(%x) {limit_indices = array<i64: 6>, start_indices = array<i64: 3>, strides = array<i64: 1>} : (tensor<4xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that threefry2x32 requires uint32 (IRDL only checks that the types agree).
// ERR: mlax-verify.mlir:[[@LINE+2]]:10: error: 'mlax.threefry2x32' op operands must be uint32, got i32[2]{{$}}
func.func @threefry_dtype(%k: tensor<2xi32>) -> tensor<2xi32> {
  %0:2 = "mlax.threefry2x32"(%k, %k, %k, %k) : (tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) -> (tensor<2xi32>, tensor<2xi32>)
  return %0#0 : tensor<2xi32>
}

// -----

// Tests that every bad op of a function is reported, not only the first.
// ERR: mlax-verify.mlir:[[@LINE+3]]:8: error: 'mlax.iota' op result types f32[4] do not match the inferred i32[4]
// ERR: mlax-verify.mlir:[[@LINE+3]]:8: error: 'mlax.reshape' op cannot reshape f32[4] to [5]{{$}}
func.func @two_errors() -> tensor<5xf32> {
  %0 = "mlax.iota"() {dimension = 0 : i64, dtype = i32, shape = array<i64: 4>} : () -> tensor<4xf32>
  %1 = "mlax.reshape"(%0) {new_sizes = array<i64: 5>} : (tensor<4xf32>) -> tensor<5xf32>
  return %1 : tensor<5xf32>
}

// -----

// Tests that ops nested in regions are verified too.
// ERR: mlax-verify.mlir:[[@LINE+3]]:12: error: 'mlax.top_k' op k=5 does not fit the last dim of f32[4]{{$}}
func.func @nested(%p: i1, %x: tensor<4xf32>) -> tensor<5xf32> {
  %r = scf.if %p -> tensor<5xf32> {
    %0:2 = "mlax.top_k"(%x) {k = 5 : i64} : (tensor<4xf32>) -> (tensor<5xf32>, tensor<5xi32>)
    scf.yield %0#0 : tensor<5xf32>
  } else {
    %1 = "mlax.concatenate"(%x, %x) {dimension = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
    %2 = "mlax.slice"(%1) {limit_indices = array<i64: 5>, start_indices = array<i64: 0>, strides = array<i64: 1>} : (tensor<8xf32>) -> tensor<5xf32>
    scf.yield %2 : tensor<5xf32>
  }
  return %r : tensor<5xf32>
}

// -----

// Tests that a module with only valid ops still prints after invalid chunks.
// CHECK-LABEL: func.func @valid_after_errors(
// CHECK-SAME: %[[P:.*]]: tensor<2xi1>, %[[A:.*]]: tensor<2xf32>)
// CHECK-NEXT: %[[S:.*]] = "mlax.select"(%[[P]], %[[A]], %[[A]]) : (tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: return %[[S]] : tensor<2xf32>
func.func @valid_after_errors(%p: tensor<2xi1>, %a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "mlax.select"(%p, %a, %a) : (tensor<2xi1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests that gathers in each out-of-bounds mode, and a scatter that drops, pass unchanged.
// CHECK-LABEL: func.func @gather_scatter_modes(
// CHECK-SAME: %[[X:.*]]: tensor<5x3xf32>, %[[I:.*]]: tensor<2x1xi32>, %[[U:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: %[[G0:.*]] = "mlax.gather"(%[[X]], %[[I]]) {{.*}}mode = "promise_in_bounds"{{.*}} -> tensor<2x3xf32>
// CHECK-NEXT: %[[G1:.*]] = "mlax.gather"(%[[X]], %[[I]]) {{.*}}mode = "fill"{{.*}} -> tensor<2x3xf32>
// CHECK-NEXT: %[[S:.*]] = "mlax.scatter"(%[[X]], %[[I]], %[[U]]) {{.*}}mode = "drop"{{.*}} -> tensor<5x3xf32>
// CHECK-NEXT: return %[[G0]], %[[G1]], %[[S]]
func.func @gather_scatter_modes(%x: tensor<5x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<5x3xf32>) {
  %0 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "promise_in_bounds", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  %1 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "fill", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  %2 = "mlax.scatter"(%x, %i, %u) {inserted_window_dims = array<i64: 0>, kind = "add", mode = "drop", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, update_window_dims = array<i64: 1>} : (tensor<5x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<5x3xf32>
}

// -----

// Tests that a gather whose slice sizes exceed the operand is rejected (an empty axis has no
// window to read).
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.gather' op slice sizes [1, 3] do not fit f32[0,3]{{$}}
func.func @gather_slice_too_big(%x: tensor<0x3xf32>, %i: tensor<2x1xi32>) -> tensor<2x3xf32> {
  %0 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "clip", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<0x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that a gather mode outside clip / fill / promise_in_bounds is rejected.
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.gather' op unknown mode 'wrap' (expected clip, fill or promise_in_bounds){{$}}
func.func @gather_unknown_mode(%x: tensor<5x3xf32>, %i: tensor<2x1xi32>) -> tensor<2x3xf32> {
  %0 = "mlax.gather"(%x, %i) {collapsed_slice_dims = array<i64: 0>, mode = "wrap", offset_dims = array<i64: 1>, operand_batching_dims = array<i64>, slice_sizes = array<i64: 1, 3>, start_index_map = array<i64: 0>, start_indices_batching_dims = array<i64>} : (tensor<5x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that a scatter mode outside drop / clip / fill / promise_in_bounds is rejected.
// ERR: mlax-verify.mlir:[[@LINE+2]]:8: error: 'mlax.scatter' op unknown mode 'wrap' (expected drop, clip, fill or promise_in_bounds){{$}}
func.func @scatter_unknown_mode(%x: tensor<5x3xf32>, %i: tensor<2x1xi32>, %u: tensor<2x3xf32>) -> tensor<5x3xf32> {
  %0 = "mlax.scatter"(%x, %i, %u) {inserted_window_dims = array<i64: 0>, kind = "add", mode = "wrap", operand_batching_dims = array<i64>, scatter_dims_to_operand_dims = array<i64: 0>, scatter_indices_batching_dims = array<i64>, update_window_dims = array<i64: 1>} : (tensor<5x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

// Tests that structural declarations whose entries fit their kind pass unchanged, a
// grad's optional entries (has_aux, value) included.
// CHECK-LABEL: func.func private @grad_f
// CHECK-SAME: mlax.grad = {argnums = array<i64: 0>, callee = @f}
// CHECK-LABEL: func.func private @scan_f
// CHECK-SAME: mlax.scan = {body = @f, length = 3 : i64, num_carry = 1 : i64, num_consts = 0 : i64, reverse = false}
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @scan_f(tensor<f32>) -> tensor<f32> attributes {mlax.scan = {body = @f, length = 3 : i64, reverse = false, num_carry = 1 : i64, num_consts = 0 : i64}}

// -----

// Tests that a declaration lacking an entry of its kind is reported at the declaration,
// with what the entry must be.
// ERR: mlax-verify.mlir:[[@LINE+4]]:1: error: @while_f: mlax.while declaration lacks entry 'num_consts', an integer (`3 : i64`)
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @while_f(tensor<f32>) -> tensor<f32> attributes {mlax.while = {cond = @f, body = @f}}

// -----

// Tests that an entry of the wrong type is reported, naming the entry and its type.
// ERR: mlax-verify.mlir:[[@LINE+4]]:1: error: @grad_f: mlax.grad declaration: entry 'has_aux' must be a bool (`true`, `false`), got 1 : i64
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>, has_aux = 1 : i64}}

// -----

// Tests that a callee given as a string, not a symbol, is reported.
// ERR: mlax-verify.mlir:[[@LINE+4]]:1: error: @vjp_f: mlax.vjp declaration: entry 'callee' must be a symbol (`@f`), got "f"
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @vjp_f(tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mlax.vjp = {callee = "f", argnums = array<i64: 0>}}

// -----

// Tests that an entry the kind does not have (a misspelt one) is reported with the
// kind's entries.
// ERR: mlax-verify.mlir:[[@LINE+4]]:1: error: @grad_f: mlax.grad declaration has no entry 'hasaux' (its entries: callee, argnums, has_aux, value)
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @grad_f(tensor<f32>) -> tensor<f32> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>, hasaux = true}}

// -----

// Tests that entry values are checked beyond their types: batch axes are >= 0 or -1.
// ERR: mlax-verify.mlir:[[@LINE+4]]:1: error: @vmap_f: mlax.vmap declaration: in_axes [-2]: an axis is >= 0, or -1 for not batched
func.func private @f(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func private @vmap_f(tensor<4xf32>) -> tensor<4xf32> attributes {mlax.vmap = {callee = @f, in_axes = array<i64: -2>, out_axes = array<i64: 0>, axis_size = 4 : i64}}
