// RUN: not mlax-opt %s --split-input-file --mlax-lower-to-linalg --mlir-print-local-scope -o %t 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: FileCheck %s --input-file=%t

// Lowered IR is signless (ui32 -> i32, with unsigned arith ops chosen from the mlax types)
// and stores bools as i8 (i1 inside linalg bodies). The last cases are errors (ERR).

// Tests that each elementwise op becomes one linalg.generic with an arith/math body.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32> {bufferization.writable = false}, %[[B:.*]]: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32>
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[ADD:.*]] = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%[[A]], %[[B]] : tensor<4xf32>, tensor<4xf32>) outs(%[[E0]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[X]], %[[Y]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[ADD]] : tensor<4xf32>)
// CHECK: math.exp
// CHECK: %[[NEG:.*]] = linalg.generic {{.*}} ins(%[[EXP]] : tensor<4xf32>)
// CHECK: arith.negf
// CHECK: return %[[NEG]] : tensor<4xf32>
// CHECK-NOT: mlax.
func.func @elementwise(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.exp"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  %2 = "mlax.neg"(%1) : (tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Tests that signed integer ops pick signed arith ops.
// CHECK-LABEL: func.func @signed_int
// CHECK: arith.muli
// CHECK: arith.divsi
// CHECK: arith.remsi
// CHECK: arith.maxsi
// CHECK: arith.shrsi
func.func @signed_int(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "mlax.mul"(%a, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = "mlax.div"(%0, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %2 = "mlax.rem"(%1, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %3 = "mlax.max"(%2, %a) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %4 = "mlax.shift_right_arithmetic"(%3, %b) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %4 : tensor<4xi32>
}

// -----

// Tests that ui32 becomes i32 in the signature and picks unsigned ops (threefry's diet).
// CHECK-LABEL: func.func @unsigned_int
// CHECK-SAME: (%[[A:.*]]: tensor<4xi32> {bufferization.writable = false}, %[[B:.*]]: tensor<4xi32> {bufferization.writable = false}) -> tensor<4xi32>
// CHECK: arith.divui %{{.*}}, %{{.*}} : i32
// CHECK: arith.remui %{{.*}}, %{{.*}} : i32
// CHECK: arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: arith.shli %{{.*}}, %{{.*}} : i32
// CHECK: arith.xori %{{.*}}, %{{.*}} : i32
// CHECK: arith.maxui %{{.*}}, %{{.*}} : i32
// CHECK-NOT: ui32
func.func @unsigned_int(%a: tensor<4xui32>, %b: tensor<4xui32>) -> tensor<4xui32> {
  %0 = "mlax.div"(%a, %b) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %1 = "mlax.rem"(%0, %b) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %2 = "mlax.shift_right_logical"(%1, %b) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %3 = "mlax.shift_left"(%2, %b) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %4 = "mlax.xor"(%3, %a) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  %5 = "mlax.max"(%4, %a) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  return %5 : tensor<4xui32>
}

// -----

// Tests that comparisons use cmpf (ordered) for floats, cmpi slt for signed and ult for
// unsigned ints, and store the i1 result as i8.
// CHECK-LABEL: func.func @compare
// CHECK-SAME: -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>, tensor<4xi8>)
// CHECK: %[[F:.*]] = arith.cmpf olt, %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: arith.extui %[[F]] : i1 to i8
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : i32
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
func.func @compare(%a: tensor<4xf32>, %b: tensor<4xf32>, %i: tensor<4xi32>, %u: tensor<4xui32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %0 = "mlax.lt"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %1 = "mlax.lt"(%i, %i) : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %2 = "mlax.lt"(%u, %u) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xi1>
  %3 = "mlax.ne"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0, %1, %2, %3 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}

// -----

// Tests that select reads its i8-stored predicate as i1.
// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[P:.*]]: tensor<3xi8> {bufferization.writable = false}, %[[T:.*]]: tensor<3xf32> {bufferization.writable = false}, %[[F:.*]]: tensor<3xf32> {bufferization.writable = false})
// CHECK: linalg.generic {{.*}} ins(%[[P]], %[[T]], %[[F]] : tensor<3xi8>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NEXT: ^bb0(%[[PI:.*]]: i8, %[[TI:.*]]: f32, %[[FI:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[B:.*]] = arith.trunci %[[PI]] : i8 to i1
// CHECK-NEXT: %[[R:.*]] = arith.select %[[B]], %[[TI]], %[[FI]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
func.func @select(%p: tensor<3xi1>, %t: tensor<3xf32>, %f: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "mlax.select"(%p, %t, %f) : (tensor<3xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that convert_element_type picks the conversion for each pair of dtypes.
// CHECK-LABEL: func.func @convert
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.uitofp %{{.*}} : i32 to f32
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : i32
// CHECK: arith.sitofp %{{.*}} : i32 to f32
func.func @convert(%x: tensor<4xf32>, %u: tensor<4xui32>, %i: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xf32>, tensor<4xf64>, tensor<4xf16>, tensor<4xi1>, tensor<4xf32>) {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = i32} : (tensor<4xf32>) -> tensor<4xi32>
  %1 = "mlax.convert_element_type"(%u) {new_dtype = f32} : (tensor<4xui32>) -> tensor<4xf32>
  %2 = "mlax.convert_element_type"(%x) {new_dtype = f64} : (tensor<4xf32>) -> tensor<4xf64>
  %3 = "mlax.convert_element_type"(%x) {new_dtype = f16} : (tensor<4xf32>) -> tensor<4xf16>
  %4 = "mlax.convert_element_type"(%i) {new_dtype = i1} : (tensor<4xi32>) -> tensor<4xi1>
  %5 = "mlax.convert_element_type"(%i) {new_dtype = f32} : (tensor<4xi32>) -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xi32>, tensor<4xf32>, tensor<4xf64>, tensor<4xf16>, tensor<4xi1>, tensor<4xf32>
}

// -----

// Tests that a convert between i32 and ui32 (same bits once signless) is no op at all.
// CHECK-LABEL: func.func @convert_signedness
// CHECK-SAME: (%[[X:.*]]: tensor<4xi32> {bufferization.writable = false})
// CHECK-NEXT: return %[[X]] : tensor<4xi32>
func.func @convert_signedness(%x: tensor<4xi32>) -> tensor<4xui32> {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = ui32} : (tensor<4xi32>) -> tensor<4xui32>
  return %0 : tensor<4xui32>
}

// -----

// Tests that broadcast_in_dim indexes the operand by the mapped dims, a size-1 dim that
// broadcasts collapsed away first (every map a projected permutation, so reshapes
// propagate through the generic).
// CHECK-LABEL: func.func @broadcast_in_dim
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32> {bufferization.writable = false}, %[[Y:.*]]: tensor<1x3xf32> {bufferization.writable = false}, %[[S:.*]]: tensor<f32> {bufferization.writable = false})
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<3xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[YC:.*]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1]] : tensor<1x3xf32> into tensor<3xf32>
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[YC]] : tensor<3xf32>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[S]] : tensor<f32>) outs(%{{.*}} : tensor<2x2xf32>)
func.func @broadcast_in_dim(%x: tensor<3xf32>, %y: tensor<1x3xf32>, %s: tensor<f32>) -> (tensor<2x3xf32>, tensor<4x3xf32>, tensor<2x2xf32>) {
  %0 = "mlax.broadcast_in_dim"(%x) {broadcast_dimensions = array<i64: 1>, shape = array<i64: 2, 3>} : (tensor<3xf32>) -> tensor<2x3xf32>
  %1 = "mlax.broadcast_in_dim"(%y) {broadcast_dimensions = array<i64: 0, 1>, shape = array<i64: 4, 3>} : (tensor<1x3xf32>) -> tensor<4x3xf32>
  %2 = "mlax.broadcast_in_dim"(%s) {broadcast_dimensions = array<i64>, shape = array<i64: 2, 2>} : (tensor<f32>) -> tensor<2x2xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<4x3xf32>, tensor<2x2xf32>
}

// -----

// Tests that reduce_sum fills its accumulator with 0 and reduces with a reduction iterator.
// CHECK-LABEL: func.func @reduce_sum
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32> {bufferization.writable = false})
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2xf32>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x3xf32>) outs(%[[INIT]] : tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[IN]] : f32
// CHECK-NEXT: linalg.yield %[[SUM]] : f32
// CHECK: return %[[R]]
func.func @reduce_sum(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = "mlax.reduce_sum"(%x) {axes = array<i64: 1>} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests that reductions to a scalar start from their identity: -inf for float max, INT_MIN
// for int max, +inf for float min.
// CHECK-LABEL: func.func @reduce_max_min
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]}
// CHECK: arith.maximumf
// CHECK: arith.constant -2147483648 : i32
// CHECK: arith.maxsi
// CHECK: arith.constant 0x7F800000 : f32
// CHECK: arith.minimumf
func.func @reduce_max_min(%x: tensor<2x3xf32>, %i: tensor<2x3xi32>) -> (tensor<f32>, tensor<i32>, tensor<f32>) {
  %0 = "mlax.reduce_max"(%x) {axes = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<f32>
  %1 = "mlax.reduce_max"(%i) {axes = array<i64: 0, 1>} : (tensor<2x3xi32>) -> tensor<i32>
  %2 = "mlax.reduce_min"(%x) {axes = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<f32>
  return %0, %1, %2 : tensor<f32>, tensor<i32>, tensor<f32>
}

// -----

// Tests that a boolean reduction works on i1 values read from i8 storage.
// CHECK-LABEL: func.func @reduce_or
// CHECK-SAME: (%[[P:.*]]: tensor<3xi8> {bufferization.writable = false}) -> tensor<i8>
// CHECK: ^bb0(%[[IN:.*]]: i8, %[[ACC:.*]]: i8):
// CHECK-DAG: %[[I:.*]] = arith.trunci %[[IN]] : i8 to i1
// CHECK-DAG: %[[A:.*]] = arith.trunci %[[ACC]] : i8 to i1
// CHECK: %[[O:.*]] = arith.ori %[[A]], %[[I]] : i1
// CHECK: %[[W:.*]] = arith.extui %[[O]] : i1 to i8
// CHECK: linalg.yield %[[W]] : i8
func.func @reduce_or(%p: tensor<3xi1>) -> tensor<i1> {
  %0 = "mlax.reduce_or"(%p) {axes = array<i64: 0>} : (tensor<3xi1>) -> tensor<i1>
  return %0 : tensor<i1>
}

// -----

// Tests that a matmul-shaped dot_general is a contraction: parallel i, j and reduction k.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<3x4xf32> {bufferization.writable = false}, %[[B:.*]]: tensor<4x5xf32> {bufferization.writable = false})
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[A]], %[[B]] : tensor<3x4xf32>, tensor<4x5xf32>) outs(%[[INIT]] : tensor<3x5xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[M]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
func.func @matmul(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// Tests that a batched dot_general puts batch dims first, then free dims, then contraction.
// CHECK-LABEL: func.func @batched_dot
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batched_dot(%a: tensor<5x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<5x2x4xf32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64: 0>, lhs_contracting_dimensions = array<i64: 2>, rhs_batch_dimensions = array<i64: 0>, rhs_contracting_dimensions = array<i64: 1>} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}

// -----

// Tests that a float16 contraction accumulates in float32 and rounds once at the end.
// CHECK-LABEL: func.func @f16_dot
// CHECK: %[[WIDE:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<3x4xf16>, tensor<4x5xf16>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic {{.*}} ins(%[[WIDE]] : tensor<3x5xf32>) outs(%{{.*}} : tensor<3x5xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @f16_dot(%a: tensor<3x4xf16>, %b: tensor<4x5xf16>) -> tensor<3x5xf16> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 1>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3x4xf16>, tensor<4x5xf16>) -> tensor<3x5xf16>
  return %0 : tensor<3x5xf16>
}

// -----

// Tests that an integer dot_general multiplies and adds with integer ops.
// CHECK-LABEL: func.func @int_dot
// CHECK: arith.constant 0 : i32
// CHECK: arith.muli
// CHECK: arith.addi
func.func @int_dot(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<i32> {
  %0 = "mlax.dot_general"(%a, %b) {precision = ["DEFAULT", "DEFAULT"], lhs_batch_dimensions = array<i64>, lhs_contracting_dimensions = array<i64: 0>, rhs_batch_dimensions = array<i64>, rhs_contracting_dimensions = array<i64: 0>} : (tensor<3xi32>, tensor<3xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// Tests that transpose reads the operand through the inverse permutation.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32> {bufferization.writable = false})
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d2, d0)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>)
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = "mlax.transpose"(%x) {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}

// -----

// Tests that reshape collapses to 1-d and expands to the result shape (views, no copies).
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32> {bufferization.writable = false}, %[[S:.*]]: tensor<1xf32> {bufferization.writable = false}, %[[Z:.*]]: tensor<f32> {bufferization.writable = false})
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: %[[SCALAR:.*]] = tensor.collapse_shape %[[S]] [] : tensor<1xf32> into tensor<f32>
// CHECK: %[[ONE:.*]] = tensor.expand_shape %[[Z]] [] output_shape [1] : tensor<f32> into tensor<1xf32>
// CHECK: %[[ONES:.*]] = tensor.expand_shape %[[ONE]] {{\[}}[0, 1]] output_shape [1, 1] : tensor<1xf32> into tensor<1x1xf32>
// CHECK: return %[[E]], %[[FLAT]], %[[SCALAR]], %[[ONES]], %[[X]]
func.func @reshape(%x: tensor<2x3xf32>, %s: tensor<1xf32>, %z: tensor<f32>) -> (tensor<3x2xf32>, tensor<6xf32>, tensor<f32>, tensor<1x1xf32>, tensor<2x3xf32>) {
  %0 = "mlax.reshape"(%x) {new_sizes = array<i64: 3, 2>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = "mlax.reshape"(%x) {new_sizes = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  %2 = "mlax.reshape"(%s) {new_sizes = array<i64>} : (tensor<1xf32>) -> tensor<f32>
  %3 = "mlax.reshape"(%z) {new_sizes = array<i64: 1, 1>} : (tensor<f32>) -> tensor<1x1xf32>
  %4 = "mlax.reshape"(%x) {new_sizes = array<i64: 2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4 : tensor<3x2xf32>, tensor<6xf32>, tensor<f32>, tensor<1x1xf32>, tensor<2x3xf32>
}

// -----

// Tests that slice becomes a strided tensor.extract_slice.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32> {bufferization.writable = false})
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][1, 0] [2, 5] [2, 1] : tensor<4x5xf32> to tensor<2x5xf32>
// CHECK: return %[[S]]
func.func @slice(%x: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = "mlax.slice"(%x) {limit_indices = array<i64: 4, 5>, start_indices = array<i64: 1, 0>, strides = array<i64: 2, 1>} : (tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Tests that concatenate inserts both operands into one empty tensor.
// CHECK-LABEL: func.func @concatenate
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32> {bufferization.writable = false}, %[[B:.*]]: tensor<2x1xf32> {bufferization.writable = false})
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x4xf32>
// CHECK: %[[I1:.*]] = tensor.insert_slice %[[B]] into %[[I0]][0, 3] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x4xf32>
// CHECK: return %[[I1]]
func.func @concatenate(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x4xf32> {
  %0 = "mlax.concatenate"(%a, %b) {dimension = 1 : i64} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that iota is a generic with no inputs yielding linalg.index of its dimension.
// CHECK-LABEL: func.func @iota
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[C:.*]] = arith.index_cast %[[I]] : index to i32
// CHECK-NEXT: linalg.yield %[[C]] : i32
// CHECK: %[[J:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[K:.*]] = arith.index_cast %[[J]] : index to i64
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[K]] : i64 to f32
// CHECK-NEXT: linalg.yield %[[F]] : f32
func.func @iota() -> (tensor<2x3xi32>, tensor<3xf32>) {
  %0 = "mlax.iota"() {dimension = 1 : i64, dtype = i32, shape = array<i64: 2, 3>} : () -> tensor<2x3xi32>
  %1 = "mlax.iota"() {dimension = 0 : i64, dtype = f32, shape = array<i64: 3>} : () -> tensor<3xf32>
  return %0, %1 : tensor<2x3xi32>, tensor<3xf32>
}

// -----

// Tests that argmax reduces a (value, index) pair, initialised to (-inf, 0), and returns
// the index.
// CHECK-LABEL: func.func @argmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32> {bufferization.writable = false}) -> tensor<2xi32>
// CHECK-DAG: %[[VINIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK-DAG: %[[IINIT:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<2xi32>)
// CHECK: %[[R:.*]]:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x3xf32>) outs(%[[VINIT]], %[[IINIT]] : tensor<2xf32>, tensor<2xi32>)
// CHECK: linalg.index 1 : index
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf uno
// CHECK: %[[V:.*]] = arith.select %[[TAKE:.*]], %{{.*}}, %{{.*}} : f32
// CHECK-NEXT: %[[IDX:.*]] = arith.select %[[TAKE]], %{{.*}}, %{{.*}} : i32
// CHECK-NEXT: linalg.yield %[[V]], %[[IDX]] : f32, i32
// CHECK: return %[[R]]#1 : tensor<2xi32>
func.func @argmax(%x: tensor<2x3xf32>) -> tensor<2xi32> {
  %0 = "mlax.argmax"(%x) {axis = 1 : i64, index_dtype = i32} : (tensor<2x3xf32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// Tests that unsigned and bool constants become signless constants with the same bits.
// CHECK-LABEL: func.func @constants
// CHECK-SAME: -> (tensor<2xi32>, tensor<i32>, tensor<2xi8>)
// CHECK-DAG: arith.constant dense<[-1, 1]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<-559038737> : tensor<i32>
// CHECK-DAG: arith.constant dense<[1, 0]> : tensor<2xi8>
func.func @constants() -> (tensor<2xui32>, tensor<ui32>, tensor<2xi1>) {
  %0 = arith.constant dense<[4294967295, 1]> : tensor<2xui32>
  %1 = arith.constant dense<3735928559> : tensor<ui32>
  %2 = arith.constant dense<[true, false]> : tensor<2xi1>
  return %0, %1, %2 : tensor<2xui32>, tensor<ui32>, tensor<2xi1>
}

// -----

// Tests that calls and declarations are retyped along with the functions they name.
// CHECK-LABEL: func.func private @callee(tensor<2xi32>) -> tensor<2xi32>
// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[X:.*]]: tensor<2xi32> {bufferization.writable = false}) -> tensor<2xi32>
// CHECK: %[[R:.*]] = call @callee(%[[X]]) : (tensor<2xi32>) -> tensor<2xi32>
// CHECK: return %[[R]] : tensor<2xi32>
func.func private @callee(tensor<2xui32>) -> tensor<2xui32>
func.func @caller(%x: tensor<2xui32>) -> tensor<2xui32> {
  %0 = func.call @callee(%x) : (tensor<2xui32>) -> tensor<2xui32>
  return %0 : tensor<2xui32>
}

// -----

// Tests that a float-only op on integers is an error naming the op and its location.
// ERR: mlax-lower-to-linalg.mlir:[[@LINE+2]]:8: error: mlax.exp needs floating-point operands, got int32
func.func @float_only(%x: tensor<3xi32>) -> tensor<3xi32> {
  %0 = "mlax.exp"(%x) : (tensor<3xi32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}
