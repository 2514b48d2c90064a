// RUN: mlax-opt %s --allow-unregistered-dialect --split-input-file --mlax-tpu-precision | FileCheck %s

// TPU numerics of float32 products on the CPU stand-in (the tpu backend runs this pass
// only for code it compiles to run here).

// Tests that a float32 dot_general at DEFAULT has its operands rounded to bfloat16 and
// multiplied at HIGHEST.
// CHECK-LABEL: func.func @dot_default
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3x4xf32>)
// CHECK: %[[A16:.*]] = "stablehlo.convert"(%[[A]]) : (tensor<2x3xf32>) -> tensor<2x3xbf16>
// CHECK: %[[AR:.*]] = "stablehlo.convert"(%[[A16]]) : (tensor<2x3xbf16>) -> tensor<2x3xf32>
// CHECK: %[[B16:.*]] = "stablehlo.convert"(%[[B]]) : (tensor<3x4xf32>) -> tensor<3x4xbf16>
// CHECK: %[[BR:.*]] = "stablehlo.convert"(%[[B16]]) : (tensor<3x4xbf16>) -> tensor<3x4xf32>
// CHECK: %[[D:.*]] = "stablehlo.dot_general"(%[[AR]], %[[BR]]) {{.*}}precision_config = [#stablehlo<precision HIGHEST>, #stablehlo<precision HIGHEST>]
// CHECK: return %[[D]]
func.func @dot_default(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = "stablehlo.dot_general"(%a, %b) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that HIGH is three passes over bfloat16 heads and tails, the two small ones
// summed first.
// CHECK-LABEL: func.func @dot_high
// CHECK: %[[LO:.*]] = "stablehlo.subtract"
// CHECK: %[[HL:.*]] = "stablehlo.dot_general"
// CHECK: %[[LH:.*]] = "stablehlo.dot_general"
// CHECK: %[[S:.*]] = "stablehlo.add"(%[[HL]], %[[LH]])
// CHECK: %[[HH:.*]] = "stablehlo.dot_general"
// CHECK: %[[R:.*]] = "stablehlo.add"(%[[S]], %[[HH]])
// CHECK: return %[[R]]
func.func @dot_high(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = "stablehlo.dot_general"(%a, %b) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>, precision_config = [#stablehlo<precision HIGH>, #stablehlo<precision DEFAULT>]} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Tests that HIGHEST on either operand, and products of other dtypes, are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: stablehlo.convert
// CHECK: "stablehlo.dot_general"(%{{.*}}, %{{.*}}) {{.*}}precision DEFAULT>, #stablehlo<precision HIGHEST>]
// CHECK: "stablehlo.dot_general"(%{{.*}}, %{{.*}}) {{.*}}(tensor<2x3xf64>
func.func @untouched(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<2x3xf64>, %d: tensor<3x4xf64>) -> (tensor<2x4xf32>, tensor<2x4xf64>) {
  %0 = "stablehlo.dot_general"(%a, %b) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision HIGHEST>]} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = "stablehlo.dot_general"(%c, %d) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<2x3xf64>, tensor<3x4xf64>) -> tensor<2x4xf64>
  return %0, %1 : tensor<2x4xf32>, tensor<2x4xf64>
}

// -----

// Tests that a float32 convolution at DEFAULT has its operands rounded too.
// CHECK-LABEL: func.func @conv_default
// CHECK-COUNT-4: "stablehlo.convert"
// CHECK: "stablehlo.convolution"{{.*}}precision_config = [#stablehlo<precision HIGHEST>, #stablehlo<precision HIGHEST>]
func.func @conv_default(%x: tensor<1x5x5x2xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<1x3x3x4xf32> {
  %0 = "stablehlo.convolution"(%x, %w) {batch_group_count = 1 : i64, dimension_numbers = #stablehlo.conv<raw input_batch_dimension = 0, input_feature_dimension = 3, input_spatial_dimensions = [1, 2], kernel_input_feature_dimension = 2, kernel_output_feature_dimension = 3, kernel_spatial_dimensions = [0, 1], output_batch_dimension = 0, output_feature_dimension = 3, output_spatial_dimensions = [1, 2]>, feature_group_count = 1 : i64, precision_config = [#stablehlo<precision DEFAULT>, #stablehlo<precision DEFAULT>]} : (tensor<1x5x5x2xf32>, tensor<3x3x2x4xf32>) -> tensor<1x3x3x4xf32>
  return %0 : tensor<1x3x3x4xf32>
}
