// RUN: not mlax-opt %s --split-input-file --mlax-copy-aliased-results 2>&1 | FileCheck %s --check-prefixes=CHECK,NESTED
// RUN: not mlax-opt %s --split-input-file --pipeline=cpu 2>&1 | FileCheck %s

// Tests that a call to a function without a body is an error at the call, before
// bufferization gives its result an ownership check that the LLVM lowering asserts on.
// CHECK: mlax-copy-aliased-results-invalid.mlir:[[@LINE+3]]:8: error: call to @callee, a function without a body: only functions defined in the module can be compiled
func.func private @callee(tensor<2xf32>) -> tensor<2xf32>
func.func @caller(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = func.call @callee(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Tests that calls inside regions are found too.
// NESTED: mlax-copy-aliased-results-invalid.mlir:[[@LINE+4]]:10: error: call to @external, a function without a body
func.func private @external(tensor<2xui32>) -> tensor<2xui32>
func.func @nested(%c: i1, %x: tensor<2xui32>) -> tensor<2xui32> {
  %r = scf.if %c -> tensor<2xui32> {
    %0 = func.call @external(%x) : (tensor<2xui32>) -> tensor<2xui32>
    scf.yield %0 : tensor<2xui32>
  } else {
    scf.yield %x : tensor<2xui32>
  }
  return %r : tensor<2xui32>
}
