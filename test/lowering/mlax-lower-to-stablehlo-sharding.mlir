// RUN: mlax-opt %s --split-input-file --mlax-lower-to-stablehlo | FileCheck %s

// Shardings in XLA's GSPMD form (compiler/lowering/stablehlo/sharding.py).

// Tests that a sharding constraint becomes custom_call @Sharding with the mhlo.sharding
// text, the device ids as partition numbers of the module's device assignment, that the
// entry's argument and result shardings become mhlo.sharding, and that the module gets
// its partition count.
// CHECK: module attributes {
// CHECK-SAME: mhlo.num_partitions = 4 : i32
// CHECK-SAME: mhlo.num_replicas = 1 : i32
// CHECK-LABEL: func.func @f
// CHECK-SAME: (%[[X:.*]]: tensor<8x6xf32> {mhlo.sharding = "{devices=[4,1]0,1,2,3}"})
// CHECK-SAME: -> (tensor<8x6xf32> {mhlo.sharding = "{replicated}"})
// CHECK: %[[C:.*]] = "stablehlo.custom_call"(%[[X]]) {call_target_name = "Sharding", mhlo.sharding = "{devices=[2,1,2]1,3,0,2 last_tile_dim_replicate}"} : (tensor<8x6xf32>) -> tensor<8x6xf32>
// CHECK: return %[[C]]
module attributes {mlax.device_ids = array<i64: 4, 5, 6, 7>} {
func.func @f(%x: tensor<8x6xf32> {mlax.sharding = {tiles = array<i64: 4, 1>, devices = array<i64: 4, 5, 6, 7>}}) -> (tensor<8x6xf32> {mlax.sharding = {tiles = array<i64: 1, 1, 4>, devices = array<i64: 4, 5, 6, 7>}}) {
  %0 = "mlax.sharding_constraint"(%x) {tiles = array<i64: 2, 1, 2>, devices = array<i64: 5, 7, 4, 6>} : (tensor<8x6xf32>) -> tensor<8x6xf32>
  return %0 : tensor<8x6xf32>
}
}

// -----

// Tests that without a device list the ids are partition numbers, and the module gets
// no partition count.
// CHECK-NOT: mhlo.num_partitions
// CHECK-LABEL: func.func @g
// CHECK: "stablehlo.custom_call"(%{{.*}}) {call_target_name = "Sharding", mhlo.sharding = "{devices=[1,2]1,0}"}
func.func @g(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = "mlax.sharding_constraint"(%x) {tiles = array<i64: 1, 2>, devices = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
