// RUN: mlax-opt %s --split-input-file --mlax-cpu-dynamic-threads | FileCheck %s

// Tests that an OpenMP loop without a schedule gets the dynamic one.
// CHECK-LABEL: func.func @chunks
// CHECK: omp.wsloop schedule(dynamic) {
func.func @chunks(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// Tests that a loop's own schedule is kept.
// CHECK-LABEL: func.func @static_chunks
// CHECK: omp.wsloop schedule(static) {
func.func @static_chunks(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
