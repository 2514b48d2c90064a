// Tests mlax-compile on Python functions (Inputs/linreg.py, the seeds' linear
// regression): argument specs, pytrees, static arguments, several entry points.

// RUN: mlax-compile %S/Inputs/linreg.py:predict --arg f32[10,5] --arg f32[5] --arg f32[20,10] --emit mlax | FileCheck %s --check-prefix=TRACED
// RUN: mlax-compile %S/Inputs/linreg.py:predict --arg f32[10,5] --arg f32[5] --arg f32[20,10] --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: mlax-compile %S/Inputs/linreg.py:scale --arg f32[3] --static factor=2.5 --emit mlax | FileCheck %s --check-prefix=STATIC
// RUN: mlax-compile %S/Inputs/linreg.py:pytree_fn --args-json %S/Inputs/pytree_args.json --emit mlax | FileCheck %s --check-prefix=PYTREE
// RUN: mlax-compile %S/Inputs/linreg.py:predict --arg bf16[10,5] --arg bf16[5] --arg bf16[20,10] --emit llvm | FileCheck %s --check-prefix=BF16
// RUN: rm -rf %t && mkdir -p %t
// RUN: mlax-compile %S/Inputs/linreg.py:predict,update_params --fn predict --arg f32[2,3] --arg f32[3] --arg f32[4,2] --fn update_params --args-json %S/Inputs/linreg_args.json -o %t/linreg
// RUN: %PYTHON %S/Inputs/call_module.py %t/linreg | FileCheck %s --check-prefix=MODULE
// RUN: mlax-compile %S/Inputs/linreg.py:pytree_fn --arg '{"W": f32[3,2], "b": f32[2]}' --arg x=f32[4,3] -o %t/pytree
// RUN: %PYTHON %S/Inputs/call_module.py %t/pytree | FileCheck %s --check-prefix=PYMOD

// Tests that tracing names the function after the Python one, with argument shapes.
// TRACED-LABEL: func.func @predict
// TRACED-SAME: (%[[W:.*]]: tensor<10x5xf32>, %[[B:.*]]: tensor<5xf32>, %[[X:.*]]: tensor<20x10xf32>) -> tensor<20x5xf32>
// TRACED: %[[D:.*]] = "mlax.dot_general"(%[[X]], %[[W]])
// TRACED: "mlax.add"(%[[D]],

// Tests that the llvm stage is the LLVM dialect with out-parameters.
// LLVM-LABEL: llvm.func @predict
// LLVM-SAME: (%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// Tests that bf16 specs trace and compile (bf16 ops rounded in integer code, no bf16 arithmetic left).
// BF16-LABEL: llvm.func @predict
// BF16-NOT: llvm.fadd {{.*}} : bf16
// BF16: llvm.bitcast %{{.*}} : i16 to bf16

// Tests that a static argument is a constant of the traced function, not a parameter.
// STATIC-LABEL: func.func @scale
// STATIC-SAME: (%{{.*}}: tensor<3xf32>) -> tensor<3xf32>
// STATIC: arith.constant dense<2.500000e+00>

// Tests that pytree arguments flatten to one parameter per leaf (dict keys sorted).
// PYTREE-LABEL: func.func @pytree_fn
// PYTREE-SAME: (%{{.*}}: tensor<3x2xf32>, %{{.*}}: tensor<2xf32>, %{{.*}}: tensor<4x3xf32>)

// Tests that both entry points of one module import and run, with per-function specs.
// MODULE: predict(W: float32[2,3], b: float32[3], x: float32[4,2]) -> float32[4,3]
// MODULE-NEXT: {{\[\[}} 2.75 4. 5.25]
// MODULE-NEXT: [ 5.25 7.5 9.75]
// MODULE: update_params(W: float32[10,5], b: float32[5], x: float32[20,10], y: float32[20,5], lr: float32[]) -> (float32[10,5], float32[5])

// Tests that pytrees come back as pytrees, keyword arguments stay keywords.
// PYMOD: pytree_fn(params: {'W': float32[3,2], 'b': float32[2]}, x: float32[4,3]) -> {'norm': (float32[], None), 'y': float32[4,2]}
// PYMOD-NEXT: {'norm': (Array(162.5, dtype=float32), None), 'y': Array({{\[\[}} 6. , 8. ],
