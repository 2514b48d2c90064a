// RUN: mlax-opt %s --split-input-file --mlax-algebraic --mlax-dce | FileCheck %s

// Tests that x * 1, 0 + x and -(-x) fold away, leaving the argument.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identities(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = arith.constant dense<1.0> : tensor<3xf32>
  %0 = "mlax.mul"(%x, %c) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %z = arith.constant dense<0.0> : tensor<3xf32>
  %1 = "mlax.add"(%z, %0) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.neg"(%1) : (tensor<3xf32>) -> tensor<3xf32>
  %3 = "mlax.neg"(%2) : (tensor<3xf32>) -> tensor<3xf32>
  return %3 : tensor<3xf32>
}

// -----

// Tests that multiplying by a constant other than one stays.
// CHECK-LABEL: func.func @not_identity
// CHECK: "mlax.mul"
func.func @not_identity(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = arith.constant dense<2.0> : tensor<3xf32>
  %0 = "mlax.mul"(%x, %c) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Tests that dividing by a broadcast, a constant, sqrt, rsqrt or exp is a product, as
// XLA's algebraic simplifier computes it: by the broadcast reciprocal, the constant's
// reciprocal, rsqrt, sqrt and exp of the negation.
// CHECK-LABEL: func.func @divisions_as_products
// CHECK-SAME: (%[[X:.*]]: tensor<3xf16>, %[[S:.*]]: tensor<f16>, %[[Y:.*]]: tensor<3xf16>)
// CHECK: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<f16>
// CHECK: %[[INV:.*]] = "mlax.div"(%[[ONE]], %[[S]])
// CHECK: %[[B:.*]] = "mlax.broadcast_in_dim"(%[[INV]])
// CHECK: %[[P0:.*]] = "mlax.mul"(%[[X]], %[[B]])
// CHECK: %[[C:.*]] = arith.constant dense<3.000000e+00> : tensor<3xf16>
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<3xf16>
// CHECK: %[[CINV:.*]] = "mlax.div"(%[[ONES]], %[[C]])
// CHECK: %[[P1:.*]] = "mlax.mul"(%[[P0]], %[[CINV]])
// CHECK: %[[R:.*]] = "mlax.rsqrt"(%[[Y]])
// CHECK: %[[P2:.*]] = "mlax.mul"(%[[P1]], %[[R]])
// CHECK: %[[SQ:.*]] = "mlax.sqrt"(%[[Y]])
// CHECK: %[[P3:.*]] = "mlax.mul"(%[[P2]], %[[SQ]])
// CHECK: %[[NEG:.*]] = "mlax.neg"(%[[Y]])
// CHECK: %[[E:.*]] = "mlax.exp"(%[[NEG]])
// CHECK: %[[P4:.*]] = "mlax.mul"(%[[P3]], %[[E]])
// CHECK: return %[[P4]]
func.func @divisions_as_products(%x: tensor<3xf16>, %s: tensor<f16>, %y: tensor<3xf16>) -> tensor<3xf16> {
  %b = "mlax.broadcast_in_dim"(%s) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<f16>) -> tensor<3xf16>
  %0 = "mlax.div"(%x, %b) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %c = arith.constant dense<3.0> : tensor<3xf16>
  %1 = "mlax.div"(%0, %c) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %sq = "mlax.sqrt"(%y) : (tensor<3xf16>) -> tensor<3xf16>
  %2 = "mlax.div"(%1, %sq) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %rs = "mlax.rsqrt"(%y) : (tensor<3xf16>) -> tensor<3xf16>
  %3 = "mlax.div"(%2, %rs) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %e = "mlax.exp"(%y) : (tensor<3xf16>) -> tensor<3xf16>
  %4 = "mlax.div"(%3, %e) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  return %4 : tensor<3xf16>
}

// -----

// Tests that bfloat16 and integer divisions stay divisions (XLA computes bf16 ops in f32
// before simplifying), as does a division by a computed array.
// CHECK-LABEL: func.func @divisions_kept
// CHECK-COUNT-3: "mlax.div"
// CHECK-NOT: "mlax.mul"
func.func @divisions_kept(%x: tensor<3xbf16>, %s: tensor<bf16>, %i: tensor<3xi32>, %y: tensor<3xf32>) -> (tensor<3xbf16>, tensor<3xi32>, tensor<3xf32>) {
  %b = "mlax.broadcast_in_dim"(%s) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<bf16>) -> tensor<3xbf16>
  %0 = "mlax.div"(%x, %b) : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>
  %c = arith.constant dense<3> : tensor<3xi32>
  %1 = "mlax.div"(%i, %c) : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
  %a = "mlax.abs"(%y) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "mlax.div"(%y, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0, %1, %2 : tensor<3xbf16>, tensor<3xi32>, tensor<3xf32>
}

// -----

// Tests that a product by two broadcast scalars multiplies the scalars first, in either
// operand order, as XLA's algebraic simplifier does (not for bfloat16).
// CHECK-LABEL: func.func @scalar_products
// CHECK-SAME: (%[[X:.*]]: tensor<3xf16>, %[[A:.*]]: tensor<f16>, %[[B:.*]]: tensor<f16>)
// CHECK: %[[AB:.*]] = "mlax.mul"(%[[A]], %[[B]]) : (tensor<f16>, tensor<f16>) -> tensor<f16>
// CHECK: %[[BC:.*]] = "mlax.broadcast_in_dim"(%[[AB]])
// CHECK: %[[P:.*]] = "mlax.mul"(%[[X]], %[[BC]])
// CHECK: return %[[P]]
func.func @scalar_products(%x: tensor<3xf16>, %a: tensor<f16>, %b: tensor<f16>) -> tensor<3xf16> {
  %ba = "mlax.broadcast_in_dim"(%a) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<f16>) -> tensor<3xf16>
  %0 = "mlax.mul"(%ba, %x) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  %bb = "mlax.broadcast_in_dim"(%b) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<f16>) -> tensor<3xf16>
  %1 = "mlax.mul"(%0, %bb) : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  return %1 : tensor<3xf16>
}

// -----

// Tests that a bfloat16 product by two broadcast scalars stays as written.
// CHECK-LABEL: func.func @scalar_products_bf16
// CHECK: %[[P:.*]] = "mlax.mul"(%{{.*}}, %{{.*}}) : (tensor<3xbf16>, tensor<3xbf16>)
// CHECK: "mlax.mul"(%[[P]], %{{.*}}) : (tensor<3xbf16>, tensor<3xbf16>)
func.func @scalar_products_bf16(%x: tensor<3xbf16>, %a: tensor<bf16>, %b: tensor<bf16>) -> tensor<3xbf16> {
  %ba = "mlax.broadcast_in_dim"(%a) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<bf16>) -> tensor<3xbf16>
  %0 = "mlax.mul"(%x, %ba) : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>
  %bb = "mlax.broadcast_in_dim"(%b) {broadcast_dimensions = array<i64>, shape = array<i64: 3>} : (tensor<bf16>) -> tensor<3xbf16>
  %1 = "mlax.mul"(%0, %bb) : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>
  return %1 : tensor<3xbf16>
}
