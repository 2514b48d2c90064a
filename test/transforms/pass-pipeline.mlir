// How mlax-opt takes passes: flags in order, --pass-pipeline, --pipeline=<name>, options.

// Tests that mlax and upstream pass flags mix and run in command-line order: cse after
// the lowering merges its two tensor.empty ops, cse before it has nothing to merge.
// RUN: mlax-opt %s --mlax-lower-to-linalg --cse | FileCheck %s --check-prefix=FLAGS
// FLAGS-LABEL: func.func @f
// FLAGS-NOT: "mlax.
// FLAGS-COUNT-1: tensor.empty
// FLAGS-NOT: tensor.empty
// FLAGS: return
// RUN: mlax-opt %s --cse --mlax-lower-to-linalg | FileCheck %s --check-prefix=ORDER
// ORDER-LABEL: func.func @f
// ORDER-COUNT-2: tensor.empty

// Tests that --pass-pipeline takes a textual pipeline, with or without builtin.module(...),
// and nests upstream passes as mlir-opt does.
// RUN: mlax-opt %s --pass-pipeline='builtin.module(mlax-lower-to-linalg,func.func(cse))' | FileCheck %s --check-prefix=FLAGS
// RUN: mlax-opt %s --pass-pipeline=mlax-lower-to-linalg,cse | FileCheck %s --check-prefix=FLAGS

// Tests that --pipeline=<name> runs a named pipeline from mlax.pipelines.
// RUN: mlax-opt %s --pipeline=cpu-linalg | FileCheck %s --check-prefix=LINALG
// LINALG-LABEL: func.func @f
// LINALG-COUNT-1: linalg.generic
// LINALG-NOT: linalg.generic
// LINALG: return

// Tests that pass options are accepted as --name{opts} and --name=opts.
// RUN: mlax-opt %s --mlax-lower-to-linalg '--canonicalize{max-iterations=2}' --cse | FileCheck %s --check-prefix=FLAGS
// RUN: mlax-opt %s --mlax-lower-to-linalg --canonicalize=max-iterations=2 --cse | FileCheck %s --check-prefix=FLAGS

// Tests that input comes from stdin when no file is named, and locations then name <stdin>.
// RUN: mlax-opt < %s --mlir-print-debuginfo | FileCheck %s --check-prefix=STDIN
// STDIN: "mlax.add"{{.*}} loc(#[[LOC:.*]])
// STDIN: #[[LOC]] = loc("<stdin>":[[# @LINE + 14]]:8)

// Tests that --print-ir-after-all dumps the IR after each pass, mlax-verify first.
// RUN: mlax-opt %s --mlax-dce --canonicalize --print-ir-after-all -o %t 2>&1 | FileCheck %s --check-prefix=DUMP
// DUMP: IR Dump After mlax-verify
// DUMP: IR Dump After mlax-dce
// DUMP: IR Dump After Canonicalizer (canonicalize)

// Tests that an upstream pass's failure is reported at the op it failed on.
// RUN: not mlax-opt %s --one-shot-bufferize 2>&1 | FileCheck %s --check-prefix=FAIL
// FAIL: pass-pipeline.mlir:[[# @LINE + 4]]:8: error: op was not bufferized
// FAIL-NEXT: "mlax.add"

func.func @f(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "mlax.add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "mlax.mul"(%0, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// Tests that an unknown pass is an error naming it, before any input is processed.
// RUN: not mlax-opt %s --mlax-no-such-pass 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: mlax-opt: error: bad pass 'mlax-no-such-pass': 'mlax-no-such-pass' does not refer to a registered pass or pass pipeline
// UNKNOWN-NOT: func.func

// Tests that a bad upstream pass option is an error naming the option.
// RUN: not mlax-opt %s '--canonicalize{no-such-option=1}' 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: mlax-opt: error: bad pass 'canonicalize{no-such-option=1}': no such option no-such-option

// Tests that an unknown named pipeline lists the known ones.
// RUN: not mlax-opt %s --pipeline=gpu-someday 2>&1 | FileCheck %s --check-prefix=PIPELINE
// PIPELINE: mlax-opt: error: unknown pipeline 'gpu-someday'; named pipelines: mlax-opt, cpu-linalg, cpu-llvm, cpu

// Tests that a missing input file is a one-line error, not a traceback.
// RUN: not mlax-opt %t.does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: mlax-opt: error: could not open input file '{{.*}}does-not-exist.mlir': No such file or directory
// MISSING-NOT: Traceback

// Tests that --help lists every mlax pass with its summary, and the named pipelines.
// RUN: mlax-opt --help | FileCheck %s --check-prefix=HELP
// HELP: usage: mlax-opt
// HELP: mlax passes:
// HELP-DAG: --mlax-cse {{.*}}Merge identical mlax ops
// HELP-DAG: --mlax-dce {{.*}}Remove mlax ops whose results are unused
// HELP-DAG: --mlax-lower-to-linalg {{.*}}Lower mlax ops to linalg
// HELP-DAG: --mlax-simplify
// HELP-DAG: --mlax-verify {{.*}}Check mlax ops' types
// HELP: named pipelines
// HELP: cpu {{.*}}mlax-lower-to-linalg
