// Tests that a CPU, feature set or triple that LLVM cannot generate code for is a usage
// error naming it (exit 2), not an LLVM warning, assertion or fatal error.
// REQUIRES: x86_64

// RUN: not mlax-compile %s --emit obj -o %t.o --cpu pentium-9000 2>&1 | FileCheck %s --check-prefix=CPU
// CPU: mlax-compile: error: unknown CPU 'pentium-9000' for x86_64-{{.*}}; did you mean 'pentium-m' or 'pentium' or 'pentium4'? (`llc -mtriple=x86_64-{{.*}} -mcpu=help` lists them)
// CPU-NEXT: (see mlax-compile --help)

// RUN: not mlax-compile %s --emit obj -o %t.o --cpu i386 2>&1 | FileCheck %s --check-prefix=I386
// I386: mlax-compile: error: LLVM cannot generate code for x86_64-{{.*}} with CPU 'i386': 64-bit code requested on a subtarget that doesn't support it!

// RUN: not mlax-compile %s --emit obj -o %t.o --cpu-features=garbage 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: mlax-compile: error: bad CPU feature 'garbage' in 'garbage': features are +name or -name, separated by commas (e.g. +avx2,-avx512f)

// RUN: not mlax-compile %s --emit obj -o %t.o --cpu-features=+avx3 2>&1 | FileCheck %s --check-prefix=FEATURE
// FEATURE: mlax-compile: error: unknown CPU feature 'avx3' for x86_64-{{.*}}; did you mean

// RUN: not mlax-compile %s --emit obj -o %t.o --cpu-features=-sse2 2>&1 | FileCheck %s --check-prefix=SSE
// SSE: mlax-compile: error: LLVM cannot generate code for x86_64-{{.*}} features '-sse2':

// RUN: not mlax-compile %s --emit obj -o %t.o --target-triple riscv64-linux-gnu 2>&1 | FileCheck %s --check-prefix=TRIPLE
// TRIPLE: mlax-compile: error: unsupported target triple 'riscv64-linux-gnu'

// Tests that a cross triple without --cpu gets the triple's default CPU (NVPTX has no
// 'generic'), and --cpu native means the host's.
// RUN: mlax-compile %s --emit asm --target-triple nvptx64-nvidia-cuda 2>&1 | FileCheck %s --check-prefix=PTX
// PTX-NOT: not a recognized processor
// PTX: .target sm_
// RUN: mlax-compile %s --emit obj -o %t.o --cpu native

func.func @scale(%x: tensor<8xf32>, %y: tensor<8xf32>) -> tensor<8xf32> {
  %0 = "mlax.mul"(%x, %y) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
