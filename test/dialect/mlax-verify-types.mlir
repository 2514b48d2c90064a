// RUN: not mlax-opt %s --split-input-file 2>&1 | FileCheck %s
// RUN: not mlax-opt %s --split-input-file --pipeline=cpu 2>&1 | FileCheck %s --check-prefix=CPU

// Tests that mlax-verify rejects a dynamic shape on an mlax op, naming the operand.
// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:8: error: 'mlax.add' op operand #0 has type tensor<?xf32> of dynamic shape; mlax shapes are static
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = "mlax.add"(%x, %x) : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Tests that element types mlax has no dtype for are errors at the op, not tracebacks.
// CHECK-NOT: Traceback
// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:8: error: 'mlax.neg' op operand #0 has type tensor<3xcomplex<f16>>: mlax has no dtype for MLIR element type complex<f16> (element types: i1, i8,
func.func @complex_f16(%x: tensor<3xcomplex<f16>>) -> tensor<3xcomplex<f16>> {
  %0 = "mlax.neg"(%x) : (tensor<3xcomplex<f16>>) -> tensor<3xcomplex<f16>>
  return %0 : tensor<3xcomplex<f16>>
}

// -----

// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:8: error: 'mlax.neg' op operand #0 has type tensor<3xf8E4M3FN>: mlax has no dtype for MLIR element type f8E4M3FN
func.func @f8(%x: tensor<3xf8E4M3FN>) -> tensor<3xf8E4M3FN> {
  %0 = "mlax.neg"(%x) : (tensor<3xf8E4M3FN>) -> tensor<3xf8E4M3FN>
  return %0 : tensor<3xf8E4M3FN>
}

// -----

// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:8: error: 'mlax.neg' op operand #0 has type tensor<3xindex>: mlax has no dtype for MLIR element type index
func.func @index(%x: tensor<3xindex>) -> tensor<3xindex> {
  %0 = "mlax.neg"(%x) : (tensor<3xindex>) -> tensor<3xindex>
  return %0 : tensor<3xindex>
}

// -----

// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:8: error: 'mlax.neg' op operand #0 has type tensor<3xi7>: mlax has no dtype for MLIR element type i7
func.func @i7(%x: tensor<3xi7>) -> tensor<3xi7> {
  %0 = "mlax.neg"(%x) : (tensor<3xi7>) -> tensor<3xi7>
  return %0 : tensor<3xi7>
}

// -----

// Tests that a result type is checked as well as the operands.
// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:8: error: 'mlax.convert_element_type' op result #0 has type tensor<3xf8E5M2>: mlax has no dtype for MLIR element type f8E5M2
func.func @f8_result(%x: tensor<3xf32>) -> tensor<3xf8E5M2> {
  %0 = "mlax.convert_element_type"(%x) {new_dtype = f8E5M2} : (tensor<3xf32>) -> tensor<3xf8E5M2>
  return %0 : tensor<3xf8E5M2>
}

// -----

// Tests that an argument whose byte size overflows int64 is an error at the argument,
// before a later pass computes its size in bytes. (Shapes whose element count overflows
// never reach mlax-verify: see test/driver/input-errors.mlir.)
// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:20: error: 'func.func' op argument #0: tensor<2147483648x2147483648xf32> is larger than 2**63 - 1 bytes
// CPU: mlax-verify-types.mlir:[[@LINE+1]]:20: error: 'func.func' op argument #0: tensor<2147483648x2147483648xf32> is larger than 2**63 - 1 bytes
func.func @too_big(%x: tensor<2147483648x2147483648xf32>) -> tensor<2147483648x2147483648xf32> {
  %0 = "mlax.add"(%x, %x) : (tensor<2147483648x2147483648xf32>, tensor<2147483648x2147483648xf32>) -> tensor<2147483648x2147483648xf32>
  return %0 : tensor<2147483648x2147483648xf32>
}

// -----

// Tests that zero-size dimensions do not hide an overflowing stride.
// CHECK: mlax-verify-types.mlir:[[@LINE+1]]:26: error: 'func.func' op argument #0: tensor<0x2147483648x2147483648xf32> is larger than 2**63 - 1 bytes
func.func @empty_too_big(%x: tensor<0x2147483648x2147483648xf32>) {
  return
}

// -----

// Tests that sizes are checked on upstream ops, memrefs and declarations too.
// CHECK: mlax-verify-types.mlir:[[@LINE+3]]:1: error: 'func.func' op attribute 'function_type': tensor<3x1537228672809129302xi16> is larger than 2**63 - 1 bytes
// CHECK: mlax-verify-types.mlir:[[@LINE+4]]:8: error: 'tensor.empty' op result #0: tensor<4611686018427387904xi16> is larger than 2**63 - 1 bytes
// CHECK: mlax-verify-types.mlir:[[@LINE+6]]:19: error: 'func.func' op argument #0: memref<2305843009213693952xf32> is larger than 2**63 - 1 bytes
func.func private @declared(tensor<3x1537228672809129302xi16>)
func.func @upstream() {
  %e = tensor.empty() : tensor<4611686018427387904xi16>
  return
}
func.func @memref(%m: memref<2305843009213693952xf32>) {
  return
}

// -----

// Tests that a structural declaration's operands must be mlax values, like an op's: the
// lowering of control flow used to assert on a cond index of a float type.
// CHECK: mlax-verify-types.mlir:[[@LINE+2]]:1: error: @cond: mlax.cond declaration: index operand has type tensor<f32>; an index is a 0-d integer tensor
// CPU: mlax-verify-types.mlir:[[@LINE+1]]:1: error: @cond: mlax.cond declaration: index operand
func.func private @cond(tensor<f32>, tensor<f32>) -> tensor<f32> attributes {mlax.cond = {branches = [@b0, @b1]}}
func.func private @b0(%x: tensor<f32>) -> tensor<f32> {
  %0 = "mlax.sin"(%x) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}
func.func private @b1(%x: tensor<f32>) -> tensor<f32> {
  return %x : tensor<f32>
}
func.func @main(%i: tensor<f32>, %x: tensor<f32>) -> tensor<f32> {
  %0 = func.call @cond(%i, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK: mlax-verify-types.mlir:[[@LINE+1]]:1: error: @grad_f: mlax.grad declaration: operand #0 has type tensor<f8E5M2>: mlax has no dtype for MLIR element type f8E5M2
func.func private @grad_f(tensor<f8E5M2>) -> tensor<f8E5M2> attributes {mlax.grad = {callee = @f, argnums = array<i64: 0>}}
func.func private @f(%x: tensor<f8E5M2>) -> tensor<f8E5M2> {
  return %x : tensor<f8E5M2>
}

// -----

// Tests that the largest f32 array (2**61 - 1 elements, 2**63 - 4 bytes) passes and compiles.
// CHECK-LABEL: func.func @largest
// CPU-LABEL: llvm.func @largest
func.func @largest(%x: tensor<2305843009213693951xf32>) -> tensor<2305843009213693951xf32> {
  %0 = "mlax.add"(%x, %x) : (tensor<2305843009213693951xf32>, tensor<2305843009213693951xf32>) -> tensor<2305843009213693951xf32>
  return %0 : tensor<2305843009213693951xf32>
}
