// Tests that input MLIR's parser cannot take is a diagnostic at the place in the input,
// from mlax-opt and mlax-compile alike, never a crash or a traceback.

// Tests that text that is not UTF-8 is an error at the first bad byte, in a file or on stdin.
// RUN: %PYTHON -c "import sys; sys.stdout.buffer.write(b'func.func @f() {\n  return // caf\xe9\n}\n')" > %t.latin1.mlir
// RUN: not mlax-opt %t.latin1.mlir 2>&1 | FileCheck %s --check-prefix=UTF8
// RUN: not mlax-compile %t.latin1.mlir 2>&1 | FileCheck %s --check-prefix=UTF8
// RUN: not mlax-opt < %t.latin1.mlir 2>&1 | FileCheck %s --check-prefix=UTF8-STDIN
// RUN: not mlax-compile - < %t.latin1.mlir 2>&1 | FileCheck %s --check-prefix=UTF8-STDIN
// UTF8: latin1.mlir:2:16: error: invalid UTF-8 (byte 0xe9); mlax-{{opt|compile}} reads UTF-8 text
// UTF8-NOT: Traceback
// UTF8-STDIN: <stdin>:2:16: error: invalid UTF-8 (byte 0xe9)

// Tests that regions nested 3000 deep are an error at the 257th bracket, not a stack overflow.
// RUN: %PYTHON -c "print('func.func @f() {\n' + '\"scf.execute_region\"() ({\n' * 3000 + 'scf.yield\n' + '}) : () -> ()\n' * 3000 + 'return\n}')" > %t.deep.mlir
// RUN: not mlax-opt %t.deep.mlir 2>&1 | FileCheck %s --check-prefix=DEEP
// RUN: not mlax-compile %t.deep.mlir 2>&1 | FileCheck %s --check-prefix=DEEP
// DEEP: deep.mlir:129:25: error: brackets nested more than 256 deep; mlax does not parse input nested this deeply
// DEEP-NEXT: "scf.execute_region"() ({
// DEEP-NEXT: {{^                        \^}}

// Tests that an array attribute of index elements, on which MLIR 22's parser asserts, is an
// error at the attribute (as are those of f16 and others the Python bindings cannot read).
// RUN: not mlax-opt %s --split-input-file 2>&1 | FileCheck %s --check-prefix=ARRAY
// ARRAY: input-errors.mlir:[[# @LINE + 1]]:32: error: array attributes of index elements are not supported (element types: i1, i8, i16, i32, i64, f32, f64)
func.func @f() attributes {a = array<index: 1>} {
  return
}

// -----

// Tests that a shape with more elements than int64 counts is an error at the type, before
// a memref reshape's verifier computes its strides and asserts on the overflow.
// RUN: not mlax-opt %s --split-input-file 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: input-errors.mlir:[[# @LINE + 1]]:18: error: a shape of 4x9223372036854775807 elements: more than 2**63 - 1
func.func @g(%x: memref<4x9223372036854775807xf32>) -> memref<4x9223372036854775807x1xf32> {
  %e = memref.expand_shape %x [[0], [1, 2]] output_shape [4, 9223372036854775807, 1] : memref<4x9223372036854775807xf32> into memref<4x9223372036854775807x1xf32>
  return %e : memref<4x9223372036854775807x1xf32>
}

// -----

// Tests that a use of a result number far beyond any op's results is an error at the use,
// before the parser allocates that many placeholders and runs out of memory.
// RUN: not mlax-opt %s --split-input-file 2>&1 | FileCheck %s --check-prefix=RESULT
// RESULT: input-errors.mlir:[[# @LINE + 3]]:10: error: result number 2147483648 is out of range (mlax reads at most 999999 results of an op)
func.func @h(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "mlax.neg"(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0#2147483648 : tensor<2xf32>
}
