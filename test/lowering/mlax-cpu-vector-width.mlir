// RUN: mlax-opt %s --mlax-cpu-vector-width | FileCheck %s

// Tests that defined LLVM functions ask the loop vectorizer for 512-bit vectors and
// declarations are left alone.
// CHECK-LABEL: llvm.func @f
// CHECK-SAME: passthrough = {{\[\["prefer-vector-width", "512"\]\]}}
// CHECK: llvm.func @ext(!llvm.ptr)
// CHECK-NOT: passthrough
llvm.func @f(%arg0: !llvm.ptr) {
  llvm.return
}
llvm.func @ext(!llvm.ptr)
