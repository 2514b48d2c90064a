// Tests that --cpu, --cpu-features and --target-triple choose what code is generated
// for, whatever the host.

// RUN: mlax-compile %s --emit asm --target-triple x86_64-unknown-linux-gnu --cpu haswell | FileCheck %s --check-prefix=AVX2
// RUN: mlax-compile %s --emit asm --target-triple x86_64-unknown-linux-gnu --cpu haswell --cpu-features=-avx,-avx2 | FileCheck %s --check-prefix=NOAVX
// RUN: mlax-compile %s --emit asm --target-triple aarch64-unknown-linux-gnu | FileCheck %s --check-prefix=ARM
// RUN: mlax-compile %s --emit=llvm-ir --target-triple aarch64-unknown-linux-gnu | FileCheck %s --check-prefix=ARMIR

// AVX2-LABEL: scale:
// AVX2: ymm

// NOAVX-LABEL: scale:
// NOAVX-NOT: ymm
// NOAVX: xmm

// ARM-LABEL: scale:
// ARM: fmul v{{[0-9]+}}.4s

// ARMIR: target triple = "aarch64-unknown-linux-gnu"
// ARMIR: define void @scale(

func.func @scale(%x: tensor<1024xf32>, %y: tensor<1024xf32>) -> tensor<1024xf32> {
  %0 = "mlax.mul"(%x, %y) : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  return %0 : tensor<1024xf32>
}
