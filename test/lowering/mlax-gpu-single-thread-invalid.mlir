// RUN: not mlax-opt %s --mlax-gpu-single-thread 2>&1 | FileCheck %s

// Tests that a call of an external function (a LAPACK routine) is reported: it would run
// on the host.
// CHECK: mlax-gpu-single-thread-invalid.mlir:[[@LINE+3]]:{{[0-9]+}}: error: the cuda backend has no GPU lowering for a call of the host function @dgetrf_
func.func private @dgetrf_(memref<3x3xf32>)
func.func @host_call(%a: memref<3x3xf32>) {
  func.call @dgetrf_(%a) : (memref<3x3xf32>) -> ()
  return
}
