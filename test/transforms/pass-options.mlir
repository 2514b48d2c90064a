// Options of mlax passes: declared once per pass (name, type, default, help), listed by
// --help, checked when the pipeline is built, and handed to the pass.

// Tests that an option reaches its pass: the CPU schedule splits a large loop over the
// `threads` it is given, whatever MLAX_NUM_THREADS says (an elementwise loop, collapsed to
// one dimension, in 8 chunks per thread), and over none for threads=1.
// RUN: env MLAX_NUM_THREADS=2 mlax-opt %s '--mlax-cpu-schedule{threads=4}' | FileCheck %s --check-prefix=FOUR
// RUN: env MLAX_NUM_THREADS=2 mlax-opt %s --mlax-cpu-schedule=threads=4 | FileCheck %s --check-prefix=FOUR
// RUN: env MLAX_NUM_THREADS=2 mlax-opt %s --pass-pipeline='builtin.module(mlax-cpu-schedule{threads=1})' | FileCheck %s --check-prefix=ONE
// RUN: env MLAX_NUM_THREADS=2 mlax-opt %s --mlax-cpu-schedule | FileCheck %s --check-prefix=DEFAULT
// FOUR-LABEL: func.func @big_elementwise
// FOUR: scf.forall (%{{.*}}) in (32) shared_outs(%{{.*}}) -> (tensor<2097152xf32>)
// ONE-LABEL: func.func @big_elementwise
// ONE-NOT: scf.forall
// DEFAULT-LABEL: func.func @big_elementwise
// DEFAULT: scf.forall (%{{.*}}) in (16) shared_outs(%{{.*}}) -> (tensor<2097152xf32>)
func.func @big_elementwise(%x: tensor<2048x1024xf32>) -> tensor<2048x1024xf32> {
  %e = tensor.empty() : tensor<2048x1024xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<2048x1024xf32>) outs(%e : tensor<2048x1024xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.mulf %v, %v : f32
    linalg.yield %s : f32
  } -> tensor<2048x1024xf32>
  return %r : tensor<2048x1024xf32>
}

// Tests that an option a pass does not declare is an error naming the pass and the
// option, before any input is processed.
// RUN: not mlax-opt %s '--mlax-dce{no-such-option=1}' 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: mlax-opt: error: bad pass 'mlax-dce{no-such-option=1}': mlax-dce: unknown option 'no-such-option' (it has no options)
// UNKNOWN-NOT: func.func
// RUN: not mlax-opt %s '--mlax-cpu-schedule{thread=2}' 2>&1 | FileCheck %s --check-prefix=MISSPELT
// MISSPELT: mlax-opt: error: bad pass 'mlax-cpu-schedule{thread=2}': mlax-cpu-schedule: unknown option 'thread' (its options: threads, vector-bytes)

// Tests that a value of the wrong type is an error naming the pass, the option and the
// type it takes.
// RUN: not mlax-opt %s '--mlax-cpu-schedule{threads=many}' 2>&1 | FileCheck %s --check-prefix=TYPE
// TYPE: mlax-opt: error: bad pass 'mlax-cpu-schedule{threads=many}': mlax-cpu-schedule: option 'threads' takes an integer, got 'many'
// RUN: not mlax-opt %s '--mlax-cpu-schedule{threads}' 2>&1 | FileCheck %s --check-prefix=VALUE
// VALUE: mlax-opt: error: bad pass 'mlax-cpu-schedule{threads}': mlax-cpu-schedule: option 'threads' needs a value (an integer)

// Tests that --help lists each pass's options with their type, help and default.
// RUN: mlax-opt --help | FileCheck %s --check-prefix=HELP
// HELP: --mlax-cpu-schedule {{.*}}Tile, vectorize and parallelize
// HELP-NEXT: threads=<int> {{.*}}threads a parallel loop is split over {{.*}}(default: 0)
