// Generated from dialects/ops.py by `python -m mlax.dialects`; do not edit.
irdl.dialect @mlax {
  irdl.operation @abs {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @acos {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @acosh {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @add {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @and {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @argmax {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_index_dtype = irdl.base "#builtin.type"
    irdl.attributes {"axis" = %a_axis, "index_dtype" = %a_index_dtype}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @argmin {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_index_dtype = irdl.base "#builtin.type"
    irdl.attributes {"axis" = %a_axis, "index_dtype" = %a_index_dtype}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @asin {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @asinh {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @atan {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @atan2 {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @atanh {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @bitcast_convert_type {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_new_dtype = irdl.base "#builtin.type"
    irdl.attributes {"new_dtype" = %a_new_dtype}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @broadcast_in_dim {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_shape = irdl.base "#builtin.dense_array"
    %a_broadcast_dimensions = irdl.base "#builtin.dense_array"
    irdl.attributes {"shape" = %a_shape, "broadcast_dimensions" = %a_broadcast_dimensions}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @cbrt {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @ceil {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cholesky {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @clamp {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lo: %t0, x: %t0, hi: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @collective {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_kind = irdl.base "#builtin.string"
    %a_axis_name = irdl.base "#builtin.string"
    %a_axis_size = irdl.base "#builtin.integer"
    irdl.attributes {"kind" = %a_kind, "axis_name" = %a_axis_name, "axis_size" = %a_axis_size}
    irdl.operands(x: %t0, axis_index: %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @complex {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(re: %t0, im: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @concatenate {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_dimension = irdl.base "#builtin.integer"
    irdl.attributes {"dimension" = %a_dimension}
    irdl.operands(lhs: %t0, rhs: %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @conj {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @conv {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_window_strides = irdl.base "#builtin.dense_array"
    %a_padding_low = irdl.base "#builtin.dense_array"
    %a_padding_high = irdl.base "#builtin.dense_array"
    %a_lhs_dilation = irdl.base "#builtin.dense_array"
    %a_rhs_dilation = irdl.base "#builtin.dense_array"
    %a_lhs_spec = irdl.base "#builtin.dense_array"
    %a_rhs_spec = irdl.base "#builtin.dense_array"
    %a_out_spec = irdl.base "#builtin.dense_array"
    %a_feature_group_count = irdl.base "#builtin.integer"
    %a_batch_group_count = irdl.base "#builtin.integer"
    %a_precision = irdl.base "#builtin.array"
    irdl.attributes {"window_strides" = %a_window_strides, "padding_low" = %a_padding_low, "padding_high" = %a_padding_high, "lhs_dilation" = %a_lhs_dilation, "rhs_dilation" = %a_rhs_dilation, "lhs_spec" = %a_lhs_spec, "rhs_spec" = %a_rhs_spec, "out_spec" = %a_out_spec, "feature_group_count" = %a_feature_group_count, "batch_group_count" = %a_batch_group_count, "precision" = %a_precision}
    irdl.operands(lhs: %t0, rhs: %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @convert_element_type {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_new_dtype = irdl.base "#builtin.type"
    irdl.attributes {"new_dtype" = %a_new_dtype}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @copy {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cos {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cosh {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cumlogsumexp {
    %t0 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_reverse = irdl.base "#builtin.integer"
    irdl.attributes {"axis" = %a_axis, "reverse" = %a_reverse}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cummax {
    %t0 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_reverse = irdl.base "#builtin.integer"
    irdl.attributes {"axis" = %a_axis, "reverse" = %a_reverse}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cummin {
    %t0 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_reverse = irdl.base "#builtin.integer"
    irdl.attributes {"axis" = %a_axis, "reverse" = %a_reverse}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cumprod {
    %t0 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_reverse = irdl.base "#builtin.integer"
    irdl.attributes {"axis" = %a_axis, "reverse" = %a_reverse}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @cumsum {
    %t0 = irdl.base "!builtin.tensor"
    %a_axis = irdl.base "#builtin.integer"
    %a_reverse = irdl.base "#builtin.integer"
    irdl.attributes {"axis" = %a_axis, "reverse" = %a_reverse}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @digamma {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @div {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @dot_general {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_lhs_contracting_dimensions = irdl.base "#builtin.dense_array"
    %a_rhs_contracting_dimensions = irdl.base "#builtin.dense_array"
    %a_lhs_batch_dimensions = irdl.base "#builtin.dense_array"
    %a_rhs_batch_dimensions = irdl.base "#builtin.dense_array"
    %a_precision = irdl.base "#builtin.array"
    irdl.attributes {"lhs_contracting_dimensions" = %a_lhs_contracting_dimensions, "rhs_contracting_dimensions" = %a_rhs_contracting_dimensions, "lhs_batch_dimensions" = %a_lhs_batch_dimensions, "rhs_batch_dimensions" = %a_rhs_batch_dimensions, "precision" = %a_precision}
    irdl.operands(lhs: %t0, rhs: %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @dynamic_slice {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_slice_sizes = irdl.base "#builtin.dense_array"
    irdl.attributes {"slice_sizes" = %a_slice_sizes}
    irdl.operands(x: %t0, indices: variadic %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @dynamic_update_slice {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0, update: %t1, indices: variadic %t2)
    irdl.results(out: %t0)
  }
  irdl.operation @eig {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %t3 = irdl.base "!builtin.tensor"
    %a_compute_left = irdl.base "#builtin.integer"
    %a_compute_right = irdl.base "#builtin.integer"
    irdl.attributes {"compute_left" = %a_compute_left, "compute_right" = %a_compute_right}
    irdl.operands(x: %t0)
    irdl.results(w: %t1, vl: %t2, vr: %t3)
  }
  irdl.operation @eigh {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_lower = irdl.base "#builtin.integer"
    irdl.attributes {"lower" = %a_lower}
    irdl.operands(x: %t0)
    irdl.results(v: %t1, w: %t2)
  }
  irdl.operation @eq {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @erf {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @erf_inv {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @erfc {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @exp {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @exp2 {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @expm1 {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @fft {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_fft_type = irdl.base "#builtin.string"
    %a_fft_lengths = irdl.base "#builtin.dense_array"
    irdl.attributes {"fft_type" = %a_fft_type, "fft_lengths" = %a_fft_lengths}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @floor {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @fma {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(a: %t0, b: %t0, c: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @gather {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_offset_dims = irdl.base "#builtin.dense_array"
    %a_collapsed_slice_dims = irdl.base "#builtin.dense_array"
    %a_start_index_map = irdl.base "#builtin.dense_array"
    %a_operand_batching_dims = irdl.base "#builtin.dense_array"
    %a_start_indices_batching_dims = irdl.base "#builtin.dense_array"
    %a_slice_sizes = irdl.base "#builtin.dense_array"
    %a_mode = irdl.base "#builtin.string"
    irdl.attributes {"offset_dims" = %a_offset_dims, "collapsed_slice_dims" = %a_collapsed_slice_dims, "start_index_map" = %a_start_index_map, "operand_batching_dims" = %a_operand_batching_dims, "start_indices_batching_dims" = %a_start_indices_batching_dims, "slice_sizes" = %a_slice_sizes, "mode" = %a_mode}
    irdl.operands(operand: %t0, indices: %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @ge {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @geqrf {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(a: %t1, taus: %t2)
  }
  irdl.operation @gt {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @householder_product {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(a: %t0, taus: %t1)
    irdl.results(out: %t0)
  }
  irdl.operation @imag {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @integer_pow {
    %t0 = irdl.base "!builtin.tensor"
    %a_y = irdl.base "#builtin.integer"
    irdl.attributes {"y" = %a_y}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @iota {
    %t0 = irdl.base "!builtin.tensor"
    %a_dtype = irdl.base "#builtin.type"
    %a_shape = irdl.base "#builtin.dense_array"
    %a_dimension = irdl.base "#builtin.integer"
    irdl.attributes {"dtype" = %a_dtype, "shape" = %a_shape, "dimension" = %a_dimension}
    irdl.results(out: %t0)
  }
  irdl.operation @is_finite {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @le {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @lgamma {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @log {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @log1p {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @logistic {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @lt {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @lu {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(lu: %t0, pivots: %t1, permutation: %t2)
  }
  irdl.operation @max {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @min {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @mul {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @ne {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @neg {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @nextafter {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @not {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @or {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @pad {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_low = irdl.base "#builtin.dense_array"
    %a_high = irdl.base "#builtin.dense_array"
    %a_interior = irdl.base "#builtin.dense_array"
    irdl.attributes {"low" = %a_low, "high" = %a_high, "interior" = %a_interior}
    irdl.operands(x: %t0, padding_value: %t1)
    irdl.results(out: %t2)
  }
  irdl.operation @population_count {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @pow {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @qr {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_full_matrices = irdl.base "#builtin.integer"
    irdl.attributes {"full_matrices" = %a_full_matrices}
    irdl.operands(x: %t0)
    irdl.results(q: %t1, r: %t2)
  }
  irdl.operation @qr_pivoted {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %t3 = irdl.base "!builtin.tensor"
    %a_full_matrices = irdl.base "#builtin.integer"
    irdl.attributes {"full_matrices" = %a_full_matrices}
    irdl.operands(x: %t0)
    irdl.results(q: %t1, r: %t2, p: %t3)
  }
  irdl.operation @real {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_and {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axes = irdl.base "#builtin.dense_array"
    irdl.attributes {"axes" = %a_axes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_max {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axes = irdl.base "#builtin.dense_array"
    irdl.attributes {"axes" = %a_axes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_min {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axes = irdl.base "#builtin.dense_array"
    irdl.attributes {"axes" = %a_axes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_or {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axes = irdl.base "#builtin.dense_array"
    irdl.attributes {"axes" = %a_axes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_prod {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axes = irdl.base "#builtin.dense_array"
    irdl.attributes {"axes" = %a_axes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_sum {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_axes = irdl.base "#builtin.dense_array"
    irdl.attributes {"axes" = %a_axes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @reduce_window {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_computation = irdl.base "#builtin.string"
    %a_window_dimensions = irdl.base "#builtin.dense_array"
    %a_window_strides = irdl.base "#builtin.dense_array"
    %a_padding_low = irdl.base "#builtin.dense_array"
    %a_padding_high = irdl.base "#builtin.dense_array"
    %a_base_dilation = irdl.base "#builtin.dense_array"
    %a_window_dilation = irdl.base "#builtin.dense_array"
    irdl.attributes {"computation" = %a_computation, "window_dimensions" = %a_window_dimensions, "window_strides" = %a_window_strides, "padding_low" = %a_padding_low, "padding_high" = %a_padding_high, "base_dilation" = %a_base_dilation, "window_dilation" = %a_window_dilation}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @rem {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @reshape {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_new_sizes = irdl.base "#builtin.dense_array"
    irdl.attributes {"new_sizes" = %a_new_sizes}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @rev {
    %t0 = irdl.base "!builtin.tensor"
    %a_dimensions = irdl.base "#builtin.dense_array"
    irdl.attributes {"dimensions" = %a_dimensions}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @round {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @rsqrt {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @scatter {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_kind = irdl.base "#builtin.string"
    %a_update_window_dims = irdl.base "#builtin.dense_array"
    %a_inserted_window_dims = irdl.base "#builtin.dense_array"
    %a_scatter_dims_to_operand_dims = irdl.base "#builtin.dense_array"
    %a_operand_batching_dims = irdl.base "#builtin.dense_array"
    %a_scatter_indices_batching_dims = irdl.base "#builtin.dense_array"
    %a_mode = irdl.base "#builtin.string"
    irdl.attributes {"kind" = %a_kind, "update_window_dims" = %a_update_window_dims, "inserted_window_dims" = %a_inserted_window_dims, "scatter_dims_to_operand_dims" = %a_scatter_dims_to_operand_dims, "operand_batching_dims" = %a_operand_batching_dims, "scatter_indices_batching_dims" = %a_scatter_indices_batching_dims, "mode" = %a_mode}
    irdl.operands(operand: %t0, indices: %t1, updates: %t2)
    irdl.results(out: %t0)
  }
  irdl.operation @schur {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_compute_schur_vectors = irdl.base "#builtin.integer"
    irdl.attributes {"compute_schur_vectors" = %a_compute_schur_vectors}
    irdl.operands(x: %t0)
    irdl.results(t: %t1, vs: %t2)
  }
  irdl.operation @select {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    irdl.operands(pred: %t1, on_true: %t0, on_false: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @select_and_gather_add {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_select = irdl.base "#builtin.string"
    %a_window_dimensions = irdl.base "#builtin.dense_array"
    %a_window_strides = irdl.base "#builtin.dense_array"
    %a_padding_low = irdl.base "#builtin.dense_array"
    %a_padding_high = irdl.base "#builtin.dense_array"
    %a_base_dilation = irdl.base "#builtin.dense_array"
    %a_window_dilation = irdl.base "#builtin.dense_array"
    irdl.attributes {"select" = %a_select, "window_dimensions" = %a_window_dimensions, "window_strides" = %a_window_strides, "padding_low" = %a_padding_low, "padding_high" = %a_padding_high, "base_dilation" = %a_base_dilation, "window_dilation" = %a_window_dilation}
    irdl.operands(tangents: %t0, operand: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @select_and_scatter_add {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_select = irdl.base "#builtin.string"
    %a_window_dimensions = irdl.base "#builtin.dense_array"
    %a_window_strides = irdl.base "#builtin.dense_array"
    %a_padding_low = irdl.base "#builtin.dense_array"
    %a_padding_high = irdl.base "#builtin.dense_array"
    %a_base_dilation = irdl.base "#builtin.dense_array"
    %a_window_dilation = irdl.base "#builtin.dense_array"
    irdl.attributes {"select" = %a_select, "window_dimensions" = %a_window_dimensions, "window_strides" = %a_window_strides, "padding_low" = %a_padding_low, "padding_high" = %a_padding_high, "base_dilation" = %a_base_dilation, "window_dilation" = %a_window_dilation}
    irdl.operands(source: %t1, operand: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @sharding_constraint {
    %t0 = irdl.base "!builtin.tensor"
    %a_tiles = irdl.base "#builtin.dense_array"
    %a_devices = irdl.base "#builtin.dense_array"
    irdl.attributes {"tiles" = %a_tiles, "devices" = %a_devices}
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @shift_left {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @shift_right_arithmetic {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @shift_right_logical {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @sign {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @sin {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @sinh {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @slice {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_start_indices = irdl.base "#builtin.dense_array"
    %a_limit_indices = irdl.base "#builtin.dense_array"
    %a_strides = irdl.base "#builtin.dense_array"
    irdl.attributes {"start_indices" = %a_start_indices, "limit_indices" = %a_limit_indices, "strides" = %a_strides}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @sort {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_dimension = irdl.base "#builtin.integer"
    %a_is_stable = irdl.base "#builtin.integer"
    irdl.attributes {"dimension" = %a_dimension, "is_stable" = %a_is_stable}
    irdl.operands(keys: %t0, values: variadic %t1)
    irdl.results(sorted_keys: %t0, sorted_values: variadic %t1)
  }
  irdl.operation @sqrt {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @stop_gradient {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @sub {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @svd {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %t3 = irdl.base "!builtin.tensor"
    %a_full_matrices = irdl.base "#builtin.integer"
    irdl.attributes {"full_matrices" = %a_full_matrices}
    irdl.operands(x: %t0)
    irdl.results(s: %t1, u: %t2, vt: %t3)
  }
  irdl.operation @tan {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @tanh {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @threefry2x32 {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(k0: %t0, k1: %t0, x0: %t0, x1: %t0)
    irdl.results(y0: %t0, y1: %t0)
  }
  irdl.operation @top_k {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %t2 = irdl.base "!builtin.tensor"
    %a_k = irdl.base "#builtin.integer"
    irdl.attributes {"k" = %a_k}
    irdl.operands(x: %t0)
    irdl.results(values: %t1, indices: %t2)
  }
  irdl.operation @transpose {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_permutation = irdl.base "#builtin.dense_array"
    irdl.attributes {"permutation" = %a_permutation}
    irdl.operands(x: %t0)
    irdl.results(out: %t1)
  }
  irdl.operation @triangular_solve {
    %t0 = irdl.base "!builtin.tensor"
    %t1 = irdl.base "!builtin.tensor"
    %a_left_side = irdl.base "#builtin.integer"
    %a_lower = irdl.base "#builtin.integer"
    %a_transpose_a = irdl.base "#builtin.integer"
    %a_unit_diagonal = irdl.base "#builtin.integer"
    irdl.attributes {"left_side" = %a_left_side, "lower" = %a_lower, "transpose_a" = %a_transpose_a, "unit_diagonal" = %a_unit_diagonal}
    irdl.operands(a: %t1, b: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @xla_erf {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @xla_log {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @xla_log1p {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(x: %t0)
    irdl.results(out: %t0)
  }
  irdl.operation @xor {
    %t0 = irdl.base "!builtin.tensor"
    irdl.operands(lhs: %t0, rhs: %t0)
    irdl.results(out: %t0)
  }
}
