// Tests mlax-compile's diagnostics: one message naming the problem and, where there is
// one, the user's source line; never a Python traceback.

// RUN: not mlax-compile %S/Inputs/linreg.py:nope --arg f32[3] 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not mlax-compile %S/Inputs/linreg.py:predict --arg f32[10,x] 2>&1 | FileCheck %s --check-prefix=SPEC
// RUN: not mlax-compile %S/Inputs/linreg.py:predict --arg q8[2] 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: not mlax-compile %S/Inputs/linreg.py:broken --arg f32[4] 2>&1 | FileCheck %s --check-prefix=TRACE
// RUN: not mlax-compile %S/Inputs/invalid.mlir 2>&1 | FileCheck %s --check-prefix=VERIFY
// RUN: not mlax-compile %S/Inputs/linreg.py:predict --target cuda --chip sm_12 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not mlax-compile %S/Inputs/linreg.py:predict --emit bitcode 2>&1 | FileCheck %s --check-prefix=EMIT
// RUN: not mlax-compile %S/Inputs/linreg.py:predict --arg f64[3] 2>&1 | FileCheck %s --check-prefix=X64
// RUN: not mlax-compile %S/Inputs/linreg.py:scale --arg f32[3] --static nope=1 2>&1 | FileCheck %s --check-prefix=STATIC

// UNKNOWN: mlax-compile: error: {{.*}}linreg.py has no function 'nope' (functions there: broken, mse, mse_seed, predict, pytree_fn, scale, update_params, update_params_seed)
// UNKNOWN-NOT: Traceback

// SPEC: mlax-compile: error: bad argument spec 'f32[10,x]': expected a non-negative integer dimension
// SPEC-NEXT: f32[10,x]
// SPEC-NEXT: {{^          \^}}

// DTYPE: error: bad argument spec 'q8[2]': unknown dtype 'q8'

// TRACE: linreg.py:{{[0-9]+}}: error: tracing broken failed: TypeError: dot_general requires contracting dimensions to have the same shape, got (4,) and (3,)
// TRACE-NEXT: return jnp.dot(x, x[:3])
// TRACE-NOT: Traceback

// VERIFY: invalid.mlir:2:8: error: expected 'tensor<8xf32>' but got 'tensor<4xf32>'
// VERIFY-NEXT: %0 = "mlax.add"(%x, %y)

// CUDA: mlax-compile: error: unknown GPU chip 'sm_12': the cuda backend generates code for sm_70, sm_75, sm_80, sm_86, sm_89, sm_90

// EMIT: mlax-compile: error: unknown --emit stage 'bitcode' (stages of target cpu: mlax, mlax-opt, linalg, llvm, llvm-ir, asm, obj, module)

// X64: mlax-compile: error: float64 arguments need --x64

// STATIC: mlax-compile: error: {{.*}}linreg.py:scale has no parameter 'nope' (parameters: x, factor)
