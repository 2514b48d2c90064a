// RUN: mlax-opt %s --split-input-file --mlax-copy-aliased-results | FileCheck %s

// Tests that a value returned twice gets a copy for its second position.
// CHECK-LABEL: func.func @twice
// CHECK: %[[V:.*]] = arith.addf
// CHECK: %[[C:.*]] = bufferization.alloc_tensor() copy(%[[V]])
// CHECK: return %[[V]], %[[C]]
func.func @twice(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = arith.addf %x, %x : tensor<3xf32>
  return %0, %0 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that a returned argument is copied, and a distinct result is left alone.
// CHECK-LABEL: func.func @argument
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>, %[[Y:.*]]: tensor<3xf32>)
// CHECK: %[[C:.*]] = bufferization.alloc_tensor() copy(%[[X]])
// CHECK: return %[[C]], %[[S:.*]] :
func.func @argument(%x: tensor<3xf32>, %y: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %0 = arith.subf %x, %y : tensor<3xf32>
  return %x, %0 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Tests that a call to a declaration taking only scalars (a runtime entry point, as the
// host-callback one) is accepted: it links in the process and needs no buffer ownership.
// CHECK-LABEL: func.func @runtime_entry
// CHECK: call @mlax_host_callback(%{{.*}}, %{{.*}}) : (i64, i64) -> ()
func.func private @mlax_host_callback(i64, i64)
func.func @runtime_entry(%a: i64, %b: i64) {
  func.call @mlax_host_callback(%a, %b) : (i64, i64) -> ()
  return
}
