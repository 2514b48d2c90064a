"""The breadth of mlax.numpy against jax.numpy (values, shapes and JAX's dtypes) and NumPy:
creation, math, reductions, shapes, linear algebra, sorting, indexing and `.at[]`, the
functions with several results or value-dependent shapes (eager only, or with a static
size under jit), and their errors. Differentiable functions also have rows in optable.py
(forward, jit, grad and vmap)."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp

try:
    import jax
    jax.config.update("jax_platforms", "cpu")
    J = jax.numpy
except ImportError:  # JAX is an optional oracle: only the tests comparing with it need it
    jax = J = None

needs_jax = pytest.mark.skipif(jax is None, reason="jax is not installed (optional test oracle)")

_rng = np.random.default_rng(0)
X = _rng.normal(size=(3, 4)).astype(np.float32)
V = _rng.normal(size=(5,)).astype(np.float32)
XI = _rng.integers(-5, 6, size=(3, 4)).astype(np.int32)
SQ = _rng.normal(size=(4, 4)).astype(np.float32)
NANS = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, np.nan, np.nan, np.nan], [0.5, 2.0, np.nan, 1.0]], np.float32)


def assert_same(got, want, rtol=2e-5, atol=2e-5, dtype=True):
    """Pytrees of arrays equal in structure, shape, dtype (JAX's) and values."""
    gl, wl = mlax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(gl) == len(wl), (len(gl), len(wl))
    for g, w in zip(gl, wl):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        if dtype:
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
        if w.dtype.kind in "iub":
            np.testing.assert_array_equal(g, w)
        else:
            tol = 2e-3 if w.dtype == np.float16 else rtol   # one half-float ulp
            np.testing.assert_allclose(g, w, rtol=tol, atol=atol)


# Each case is f(np_module) evaluated with mlax.numpy and jax.numpy. `jit` marks the cases
# also run under mlax.jit (the numeric table covers jit for the differentiable functions).
CASES = {
    # creation
    "tri": (lambda m: m.tri(3, 4, 1), True),
    "eye_k_int": (lambda m: m.eye(3, 4, k=-1, dtype=np.int32), False),
    "identity": (lambda m: m.identity(3, dtype=np.bool_), False),
    "meshgrid_xy": (lambda m: m.meshgrid(m.arange(3), m.arange(2)), False),
    "meshgrid_ij_sparse": (lambda m: m.meshgrid(m.arange(3), m.arange(2.0), m.arange(4), indexing="ij", sparse=True), False),
    "mgrid": (lambda m: m.mgrid[0:3, 0:4:2], False),
    "ogrid": (lambda m: m.ogrid[0:3, 0:2], False),
    "mgrid_float": (lambda m: m.mgrid[0:1:5j], False),
    "indices": (lambda m: m.indices((2, 3)), True),
    "tril_indices": (lambda m: m.tril_indices(3, -1, 4), False),
    "triu_indices_from": (lambda m: m.triu_indices_from(SQ, 1), False),
    "diag_indices": (lambda m: m.diag_indices(3), False),
    "logspace": (lambda m: m.logspace(0, 2, 5), False),
    "logspace_base": (lambda m: m.logspace(0, 3, 4, base=2.0, endpoint=False), False),
    "geomspace": (lambda m: m.geomspace(1, 1000, 4), False),
    "linspace_arrays": (lambda m: m.linspace(m.zeros(2), m.array([1.0, 2.0]), 5, axis=1), True),
    "arange_step": (lambda m: m.arange(1, 10, 3), False),
    "arange_float": (lambda m: m.arange(0.5, 3, 0.5), False),
    "arange_negative": (lambda m: m.arange(5, 0, -2), False),
    "full_like_dtype": (lambda m: m.full_like(X, 2, dtype=np.int32), True),
    "ones_like_shape": (lambda m: m.ones_like(XI, shape=(2,)), False),
    "empty_like": (lambda m: m.empty_like(X) * 0, False),
    "array_ndmin": (lambda m: m.array([1, 2], dtype=np.float32, ndmin=3), False),
    "copy": (lambda m: m.copy(X), True),
    "fromfunction": (lambda m: m.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=np.int32), False),
    "diag_matrix": (lambda m: m.diag(X, -1), True),
    "diagflat": (lambda m: m.diagflat(np.array([[1, 2], [3, 4]]), 1), False),
    "fill_diagonal": (lambda m: m.fill_diagonal(SQ, 3.0, inplace=False), True),
    # math
    "power_int_arrays": (lambda m: m.power(XI, m.abs(XI) % 4), True),
    "power_negative_int": (lambda m: m.power(np.arange(-2, 3), np.array([-1, 0, 1, 2, 3])), False),
    "rpow_int": (lambda m: 2 ** m.arange(5), False),
    "float_power_ints": (lambda m: m.float_power(2, 3), False),
    "modf": (lambda m: m.modf(X * 3), True),
    "divmod": (lambda m: m.divmod(XI, 3), True),
    "divmod_float": (lambda m: m.divmod(X * 3, -1.5), False),
    "fmod_int": (lambda m: m.fmod(XI, 3), False),
    "trunc_int": (lambda m: m.trunc(XI), False),
    "rad2deg_int": (lambda m: m.rad2deg(XI), False),
    "sinc_zero": (lambda m: m.sinc(np.array([0.0, 0.5, 1.5], np.float32)), False),
    "heaviside": (lambda m: m.heaviside(np.array([-1.0, 0, 1], np.float32), 0.5), False),
    "nan_to_num": (lambda m: m.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1], np.float32), posinf=9.0), True),
    "signbit": (lambda m: m.signbit(np.array([-0.0, 0.0, -1, 2, np.nan, -np.nan], np.float32)), True),
    "signbit_int": (lambda m: m.signbit(XI), False),
    "copysign": (lambda m: m.copysign(X, -1.0), False),
    "ldexp": (lambda m: m.ldexp(X, np.array([1, -3, 100, -130], np.int32)), True),
    "frexp": (lambda m: m.frexp(np.array([8.0, 0.3, 0.0, -5.0, 1e-30, np.inf], np.float32)), True),
    "fmax_nan": (lambda m: m.fmax(np.array([np.nan, 1, 2], np.float32), np.array([0, np.nan, 3], np.float32)), False),
    "hypot_inf": (lambda m: m.hypot(np.array([3.0, np.inf, 0.0], np.float32), np.array([4.0, 1.0, 0.0], np.float32)), False),
    "logaddexp_inf": (lambda m: m.logaddexp(np.array([-np.inf, 1.0], np.float32), np.array([-np.inf, 1.0], np.float32)), False),
    "angle": (lambda m: m.angle(np.array([-1.0, 2.0], np.float32)), False),
    "real_imag": (lambda m: (m.real(X), m.imag(X), m.conj(X)), False),
    "bitwise_count": (lambda m: m.bitwise_count(np.array([7, 8, 255, -1], np.int32)), False),
    "reciprocal_int": (lambda m: m.reciprocal(np.array([1, 2, -1], np.int32)), False),
    "clip_kw": (lambda m: m.clip(X, min=-0.5, max=0.5), False),
    # reductions and dtypes
    "sum_bool": (lambda m: m.sum(X > 0), True),
    "sum_int8": (lambda m: m.sum(XI.astype(np.int8), axis=0), False),
    "sum_uint8": (lambda m: m.sum(np.abs(XI).astype(np.uint8)), False),
    "sum_float16": (lambda m: m.sum(X.astype(np.float16)), False),
    "prod_bool": (lambda m: m.prod(X > -3), False),
    "max_bool": (lambda m: m.max(X > 0), False),
    "mean_int": (lambda m: m.mean(XI, axis=1), True),
    "mean_float16": (lambda m: m.mean(X.astype(np.float16)), False),
    "mean_dtype": (lambda m: m.mean(XI, dtype=np.float16), False),
    "var_where": (lambda m: m.var(X, axis=1, where=X > -0.5), True),
    "std_int_ddof": (lambda m: m.std(XI, ddof=1), False),
    "std_correction": (lambda m: m.std(X, axis=0, correction=1), False),
    "any_where": (lambda m: m.any(X > 0, axis=0, where=X < 1), True),
    "all_keepdims": (lambda m: m.all(X > -5, axis=1, keepdims=True), False),
    "argmax_keepdims": (lambda m: m.argmax(X, keepdims=True), False),
    "sum_initial": (lambda m: m.sum(X, axis=1, initial=10.0), False),
    "prod_where": (lambda m: m.prod(X, axis=0, where=X > 0), False),
    "nansum": (lambda m: m.nansum(NANS, axis=1), True),
    "nanprod": (lambda m: m.nanprod(NANS, axis=0), False),
    "nanmax_allnan": (lambda m: m.nanmax(NANS, axis=1), True),
    "nanmin": (lambda m: m.nanmin(NANS), False),
    "nanmean_allnan": (lambda m: m.nanmean(NANS, axis=1), True),
    "nanvar": (lambda m: m.nanvar(NANS, axis=1, ddof=1), False),
    "nanstd": (lambda m: m.nanstd(NANS), False),
    "nanargmax": (lambda m: m.nanargmax(NANS, axis=1), True),
    "nanargmin": (lambda m: m.nanargmin(NANS[0]), False),
    "nancumsum": (lambda m: m.nancumsum(NANS, axis=1), False),
    "median_nan": (lambda m: m.median(NANS, axis=1), True),
    "nanmedian": (lambda m: m.nanmedian(NANS, axis=1), True),
    "nanquantile": (lambda m: m.nanquantile(NANS, np.array([0.25, 0.75], np.float32), axis=1), False),
    "quantile_methods": (lambda m: [m.quantile(X, 0.3, axis=1, method=k) for k in ("linear", "lower", "higher", "midpoint", "nearest")], False),
    "quantile_nearest_ties_go_low": (lambda m: m.quantile(X, np.array([0.1, 0.5, 0.75], np.float32), axis=1, method="nearest"), True),
    "preferred_element_type": (lambda m: (m.matmul(XI, XI.T, preferred_element_type=np.float32),
                                          m.dot(X.astype(m.bfloat16), X.T.astype(m.bfloat16), preferred_element_type=np.float32),
                                          m.tensordot(X, X, axes=([1], [1]), preferred_element_type=m.bfloat16),
                                          (mlax.lax if m is jnp else jax.lax).dot_general(
                                              XI, XI, (([1], [1]), ([], [])), preferred_element_type=np.float32)), True),
    "quantile_keepdims": (lambda m: m.quantile(X, np.array([0.2, 0.9], np.float32), axis=0, keepdims=True), False),
    "percentile_int": (lambda m: m.percentile(XI, 40), False),
    "median_all": (lambda m: m.median(X), False),
    "average_returned": (lambda m: m.average(X, axis=0, returned=True), False),
    "average_weights_nd": (lambda m: m.average(X, weights=np.abs(X) + 1, returned=True), False),
    "count_nonzero": (lambda m: m.count_nonzero(XI), False),
    "ptp_int8": (lambda m: m.ptp(XI.astype(np.int8), axis=1), False),
    "cumsum_bool": (lambda m: m.cumsum(X > 0, axis=1), True),
    "cumsum_int8": (lambda m: m.cumsum(XI.astype(np.int8)), False),
    "cumprod_uint8": (lambda m: m.cumprod(np.abs(XI).astype(np.uint8) % 3, axis=0), False),
    "cumulative_sum_initial": (lambda m: m.cumulative_sum(V, include_initial=True), False),
    "cumulative_prod": (lambda m: m.cumulative_prod(X, axis=1), False),
    "diff_bool": (lambda m: m.diff(X > 0), False),
    "diff_prepend_append": (lambda m: m.diff(V, prepend=0.0, append=np.array([1.0, 2.0], np.float32)), True),
    "ediff1d": (lambda m: m.ediff1d(X, to_begin=-1.0, to_end=np.array([5.0, 6.0], np.float32)), False),
    "gradient": (lambda m: m.gradient(X), False),
    "gradient_spacing": (lambda m: m.gradient(V, 0.5), False),
    "trapezoid_x": (lambda m: m.trapezoid(X, np.array([0.0, 1, 3, 4], np.float32)), False),
    "polyval": (lambda m: m.polyval(np.array([1.0, 2, 3], np.float32), X), True),
    "cov": (lambda m: m.cov(X), True),
    "cov_columns_y": (lambda m: m.cov(X, X[::-1], rowvar=False, ddof=0), False),
    "corrcoef": (lambda m: m.corrcoef(X), False),
    "histogram": (lambda m: m.histogram(X, bins=4), True),
    "histogram_range_weights": (lambda m: m.histogram(X, bins=3, range=(-1, 1), weights=np.abs(X)), False),
    "histogram_density": (lambda m: m.histogram(X, bins=np.array([-2.0, 0.0, 0.5, 2.0], np.float32), density=True), False),
    "bincount": (lambda m: m.bincount(np.array([0, 1, 1, 3])), False),
    "bincount_weights_length": (lambda m: m.bincount(np.array([0, 1, 1, 3]), weights=np.arange(4.0, dtype=np.float32), length=6), True),
    # shapes
    "split_indices": (lambda m: m.split(np.arange(7), np.array([2, 5])), False),
    "array_split": (lambda m: m.array_split(np.arange(7), 3), True),
    "hsplit_vsplit": (lambda m: (m.hsplit(X, 2), m.vsplit(X, 3)), False),
    "dsplit": (lambda m: m.dsplit(np.zeros((1, 2, 4), np.float32), 2), False),
    "unstack": (lambda m: m.unstack(X, axis=1), False),
    "tile_int": (lambda m: m.tile(V[:2], 3), False),
    "repeat_flat": (lambda m: m.repeat(XI, 2), True),
    "repeat_total": (lambda m: m.repeat(np.arange(3), np.array([1, 0, 2]), total_repeat_length=4), False),
    "roll_flat": (lambda m: m.roll(X, -7), False),
    "rot90_axes": (lambda m: m.rot90(np.arange(24.0).reshape(2, 3, 4), 1, axes=(2, 0)), False),
    "rollaxis": (lambda m: m.rollaxis(np.arange(24.0).reshape(2, 3, 4), 2), False),
    "broadcast_arrays": (lambda m: m.broadcast_arrays(X, V[:4], 1.0), False),
    "atleast_3d": (lambda m: [m.atleast_3d(a) for a in (1.0, V, X)], False),
    "row_stack": (lambda m: m.vstack([V, V]), False),
    "block_1d": (lambda m: m.block([V, V[:2]]), False),
    "block_mixed": (lambda m: m.block([[np.ones((2, 2)), np.zeros((2, 1))], [np.full((1, 3), 2.0)]]), False),
    "append_flat": (lambda m: m.append(X, 1.0), False),
    "insert_scalar": (lambda m: m.insert(V, 2, 9.0), False),
    "insert_axis_values": (lambda m: m.insert(X, 1, np.array([1.0, 2.0, 3.0], np.float32), axis=1), True),
    "insert_list_of_one": (lambda m: m.insert(X, np.array([1]), np.array([1.0, 2.0, 3.0, 4.0], np.float32), axis=0), False),
    "insert_negative": (lambda m: m.insert(V, -1, np.array([7.0, 8.0], np.float32)), False),
    "delete_slice": (lambda m: m.delete(X, slice(0, 2), axis=0), False),
    "delete_flat": (lambda m: m.delete(X, np.array([0, -1])), False),
    "resize": (lambda m: m.resize(V, (3, 4)), False),
    "put": (lambda m: m.put(X, np.array([0, 5]), np.array([9.0, 8.0], np.float32), inplace=False), False),
    "ravel_multi_index": (lambda m: m.ravel_multi_index((np.array([1, 2]), np.array([0, 3])), (3, 4)), False),
    "ravel_multi_index_clip": (lambda m: m.ravel_multi_index((np.array([1, 5]), np.array([-1, 3])), (3, 4), mode="clip"), False),
    "unravel_index": (lambda m: m.unravel_index(np.array([1, 5, 11, -1]), (3, 4)), True),
    "ix_": (lambda m: m.ix_(np.array([0, 2]), np.array([1, 3])), False),
    "ix_index": (lambda m: m.asarray(X)[m.ix_(np.array([0, 2]), np.array([1, 3]))], False),
    "choose": (lambda m: m.choose(np.array([0, 1, 2, 1]), [V[:4], V[1:5], X[0]]), False),
    "choose_clip": (lambda m: m.choose(np.array([0, 5, -1, 1]), [V[:4], V[1:5]], mode="clip"), False),
    "compress": (lambda m: m.compress(np.array([True, False, True]), X, axis=0), False),
    "extract": (lambda m: m.extract(X > 0, X), False),
    "take_fill": (lambda m: m.take(V, np.array([0, 7, -1, -9])), True),
    "take_fill_int": (lambda m: m.take(np.arange(4), np.array([5, -1])), False),
    "take_clip_wrap": (lambda m: (m.take(V, np.array([0, 7, -1]), mode="clip"), m.take(V, np.array([0, 7, -6]), mode="wrap")), False),
    "take_flat": (lambda m: m.take(X, np.array([[0, 11], [5, 3]])), False),
    "take_along_axis_broadcast": (lambda m: m.take_along_axis(X, np.array([[0], [2], [3]]), axis=1), False),
    "take_along_axis_none": (lambda m: m.take_along_axis(X, np.array([0, 11, 4]), axis=None), False),
    "pad_symmetric": (lambda m: m.pad(X, ((1, 1), (2, 5)), mode="symmetric"), False),
    "pad_reflect_long": (lambda m: m.pad(V, (3, 9), mode="reflect"), False),
    "pad_wrap_long": (lambda m: m.pad(V[:3], (7, 2), mode="wrap"), False),
    "pad_stats": (lambda m: (m.pad(X, 1, mode="mean"), m.pad(X, (1, 0), mode="maximum"), m.pad(X, (0, 2), mode="minimum")), False),
    "pad_pairs": (lambda m: m.pad(X, 1, constant_values=((1.0, 2.0), (3.0, 4.0))), True),
    "pad_int": (lambda m: m.pad(XI, ((0, 1), (1, 0))), False),
    "select_int": (lambda m: m.select([XI < -2, XI > 2], [XI, -XI], 0), False),
    "piecewise": (lambda m: m.piecewise(X, [X < 0, X > 1], [lambda t: -t, 5.0, lambda t: t * 2]), False),
    "where_size": (lambda m: m.where(XI > 0, size=6, fill_value=-1), True),
    "nonzero_size": (lambda m: m.nonzero(np.array([[0, 1], [1, 1]]), size=4, fill_value=-1), True),
    "nonzero_concrete": (lambda m: m.nonzero(XI > 1), False),
    "argwhere": (lambda m: m.argwhere(XI > 0), False),
    "argwhere_size": (lambda m: m.argwhere(XI > 0, size=3), True),
    "flatnonzero": (lambda m: m.flatnonzero(XI > 2), False),
    # linear algebra
    "einsum_trace": (lambda m: m.einsum("ii", SQ), False),
    "einsum_diag": (lambda m: m.einsum("ii->i", SQ), False),
    "einsum_implicit": (lambda m: m.einsum("ij,jk", X, SQ), False),
    "einsum_outer": (lambda m: m.einsum("i,j->ij", V, V), False),
    "einsum_transpose_sum": (lambda m: (m.einsum("ij->ji", X), m.einsum("ij->", X)), False),
    "einsum_ellipsis_broadcast": (lambda m: m.einsum("...ij,...j->...i", np.stack([SQ, SQ]), V[:4]), True),
    "einsum_size1_broadcast": (lambda m: m.einsum("ij,ij->i", X, np.ones((1, 4), np.float32)), False),
    "einsum_interleaved": (lambda m: m.einsum(X, [0, 1], SQ, [1, 2], [2, 0]), False),
    "einsum_int8": (lambda m: m.einsum("ii", XI[:3, :3].astype(np.int8)), False),
    "einsum_partial_diag": (lambda m: m.einsum("iij->ij", np.arange(18.0).reshape(3, 3, 2)), False),
    "tensordot_outer": (lambda m: m.tensordot(V, V[:2], 0), False),
    "tensordot_int": (lambda m: m.tensordot(X, SQ, 1), False),
    "trace_int8": (lambda m: m.trace(XI.astype(np.int8)), False),
    "kron_1d": (lambda m: m.kron(V, V[:2]), False),
    "cross_2d": (lambda m: m.cross(X[:, :2], SQ[:3, :2]), False),
    "cross_mixed": (lambda m: m.cross(X[:, :2], SQ[:3, :3]), False),
    "cross_axis": (lambda m: m.cross(X[:, :3].T, SQ[1:, :3].T, axis=0), False),
    "vecdot": (lambda m: m.vecdot(X, V[:4]), False),
    "matvec_vecmat": (lambda m: (m.matvec(SQ, V[:4]), m.vecmat(V[:4], SQ)), False),
    "matrix_transpose": (lambda m: m.matrix_transpose(np.arange(24.0).reshape(2, 3, 4)), False),
    "outer_2d": (lambda m: m.outer(X, V), False),
    # sorting and searching
    "sort_none": (lambda m: m.sort(X, axis=None), False),
    "argsort_stable": (lambda m: m.argsort(XI, axis=0), True),
    "argsort_descending": (lambda m: m.argsort(XI, axis=1, descending=True), True),
    "sort_descending": (lambda m: m.sort(XI, axis=0, descending=True), False),
    "argsort_nan": (lambda m: m.argsort(np.array([3.0, np.nan, 1.0, 2.0], np.float32)), False),
    "lexsort": (lambda m: m.lexsort((XI[0], XI[1] % 2)), False),
    "lexsort_2d": (lambda m: m.lexsort((XI, XI % 2), axis=1), False),
    "searchsorted_right": (lambda m: m.searchsorted(np.array([1, 2, 2, 3]), np.array([2, 0, 5, 3]), side="right"), True),
    "searchsorted_sorter": (lambda m: m.searchsorted(V, X, sorter=np.argsort(V)), False),
    "searchsorted_compare_all": (lambda m: m.searchsorted(np.array([1.0, 2, 2, 3], np.float32), X * 3, method="compare_all"), False),
    "digitize": (lambda m: m.digitize(X, np.array([-1.0, 0, 1], np.float32)), True),
    "digitize_decreasing_right": (lambda m: m.digitize(X, np.array([1.0, 0, -1], np.float32), right=True), False),
    "interp_left_right": (lambda m: m.interp(np.array([0.5, 2.5, -1, 9], np.float32), np.array([0.0, 1, 2, 3], np.float32),
                                             np.array([0.0, 10, 20, 30], np.float32), left=-1.0, right=99.0), False),
    "unique": (lambda m: m.unique(XI), False),
    "unique_size": (lambda m: m.unique(np.array([3, 1, 1, 2]), size=5, return_index=True, return_inverse=True, return_counts=True), True),
    "unique_size_fill": (lambda m: m.unique(np.array([3.0, np.nan, 1.0, np.nan], np.float32), size=4, fill_value=-1.0), True),
    "isin": (lambda m: (m.isin(XI, np.array([1, 2, 3])), m.isin(XI, np.array([1, 2]), invert=True)), True),
    "set_ops": (lambda m: (m.intersect1d(XI, np.array([1, 2, 30])), m.union1d(XI[0], XI[1]),
                           m.setdiff1d(XI, np.array([0, 1])), m.setxor1d(XI[0], XI[1])), False),
    "set_ops_size": (lambda m: tuple(f(a, b, size=n, fill_value=fv)
                                     for f in (m.intersect1d, m.union1d, m.setdiff1d, m.setxor1d)
                                     for a, b in ((XI[0], XI[1]), (V, V[1:3] * 0 + V[2]), (XI[0][:0], XI[1]))
                                     for n in (2, 9) for fv in (None, -1)), True),
    "setdiff1d_assume_unique_size": (lambda m: m.setdiff1d(np.array([4, 1, 3]), np.array([3]), assume_unique=True,
                                                           size=3), True),
    "intersect1d_return_indices": (lambda m: m.intersect1d(np.array([5, 1, 3, 3, 9, 1]), np.array([3, 8, 1, 1]),
                                                           return_indices=True), False),
    "intersect1d_return_indices_size": (lambda m: m.intersect1d(np.array([5, 1, 3, 3, 9, 1]), np.array([3, 8, 1, 1]),
                                                                return_indices=True, size=4), True),
    "lax_sort_num_keys": (lambda m: mlax.lax.sort((np.array([1, 0, 1, 0, 1], np.int32), np.array([4, 3, 2, 1, 2], np.int32),
                                                   V), num_keys=2) if m is jnp else
                          jax.lax.sort((np.array([1, 0, 1, 0, 1], np.int32), np.array([4, 3, 2, 1, 2], np.int32), V),
                                       num_keys=2), True),
    "polyfit": (lambda m: (m.polyfit(V, V ** 3 - V, 2), m.polyfit(V, np.stack([V, 2 * V], 1), 1, full=True),
                           m.polyfit(V, V ** 2, 1, w=np.abs(V)), m.polyfit(V, V ** 2, 2, cov=True),
                           m.polyfit(V, np.stack([V, V ** 2], 1), 1, cov="unscaled")), True),
    "roots": (lambda m: (m.roots(np.array([0, 0, 1, -6, 11, -6], np.float32)), m.roots(np.array([1.0, 0, 1])),
                         m.roots(np.array([2.0])), m.roots(np.array([0.0, 1, -3], np.float32), strip_zeros=False)), False),
    "pad_linear_ramp_and_stat_length": (lambda m: [m.pad(a, ((1, 2), (3, 0)), **kw) for a in (X, XI)
                                                   for kw in (dict(mode="linear_ramp"),
                                                              dict(mode="linear_ramp", end_values=((1, 2), (-3, 5))),
                                                              dict(mode="mean", stat_length=2), dict(mode="mean"),
                                                              dict(mode="maximum", stat_length=((1, 3), (2, 9))))], True),
    "interp_period": (lambda m: m.interp(np.array([0.5, 3.5, -1, 7.2], np.float32), np.array([2.0, 0, 1], np.float32),
                                         np.array([1.0, 3, 2], np.float32), period=3), True),
    "linspace_int_floors": (lambda m: (m.linspace(-3, 1, 3, endpoint=False, dtype=np.int32),
                                       m.linspace(np.array([0, -3], np.int32), np.array([5, 1], np.int32), 3,
                                                  endpoint=False, dtype=np.int32, axis=1)), True),
    "linspace_unsigned_saturates": (lambda m: (m.linspace(-5, 5, 6, dtype=np.uint8),
                                               m.linspace(np.float32(-5.5), np.float32(300), 4, dtype=np.uint8),
                                               m.linspace(m.array([-5.0, 2.0]), 600.0, 3, dtype=np.uint8)), True),
    "linspace_retstep_and_few_points": (lambda m: (m.linspace(2, 9, 4, retstep=True), m.linspace(2, 9, 1, retstep=True),
                                                   m.linspace(2, 9, 1, endpoint=False, retstep=True),
                                                   m.linspace(2, 9, 0), m.linspace(np.float32(3), -2, 9, endpoint=False),
                                                   m.linspace(X[0], X[1], 3, axis=-1)), True),
    "partition_kth": (lambda m: m.sort(m.partition(V, 2))[:3], False),
    # comparisons
    "isclose_inf_nan": (lambda m: m.isclose(np.array([1.0, np.inf, np.nan, 1e-9, 1, -np.inf], np.float32),
                                            np.array([1.000001, np.inf, np.nan, 0, 2, np.inf], np.float32)), True),
    "isclose_equal_nan": (lambda m: m.isclose(np.array([np.nan, 1.0], np.float32), np.nan, equal_nan=True), False),
    "isclose_int": (lambda m: m.isclose(XI, XI + 1, atol=2), False),
    "allclose": (lambda m: (m.allclose(X, X + 1e-7), m.allclose(X, X + 1)), True),
    "array_equal": (lambda m: (m.array_equal(X, X), m.array_equal(X, V), m.array_equal(NANS, NANS, equal_nan=True)), False),
    "array_equiv": (lambda m: (m.array_equiv(X[0], X), m.array_equiv(X, V)), False),
    "isposinf_isneginf": (lambda m: (m.isposinf(np.array([np.inf, -np.inf, 1], np.float32)), m.isneginf(np.array([np.inf, -np.inf, 1], np.float32))), False),
    "isinf_int": (lambda m: (m.isinf(XI), m.isnan(XI), m.isfinite(XI)), False),
    "logical_ops_int": (lambda m: (m.logical_and(XI, X > 0), m.logical_or(XI, 0), m.logical_xor(XI > 0, X > 0), m.logical_not(XI)), False),
    # functional helpers
    "apply_along_axis": (lambda m: m.apply_along_axis(lambda r: r.sum() * r, 1, X), True),
    "apply_along_axis_scalar": (lambda m: m.apply_along_axis(lambda r: r.max(), 0, X), False),
    "apply_over_axes": (lambda m: m.apply_over_axes(m.sum, X, [0, 1]), False),
    "vectorize": (lambda m: m.vectorize(lambda a, b: a * b + 1)(X, V[:4]), False),
    "vectorize_signature": (lambda m: m.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(X, V[:4]), True),
    "vectorize_excluded": (lambda m: m.vectorize(lambda a, p: a ** p, excluded={1})(X, 2), False),
    # the rest of the namespace
    "r_": (lambda m: m.r_[np.array([1, 2]), 0, 4:7], False),
    "r_linspace": (lambda m: m.r_[0:1:5j], False),
    "c_": (lambda m: m.c_[np.array([1, 2, 3]), np.array([[4, 5], [6, 7], [8, 9]])], False),
    "place": (lambda m: m.place(X, X > 0, np.array([1.0, 2.0], np.float32), inplace=False), False),
    "put_along_axis": (lambda m: m.put_along_axis(X, np.array([[0], [2], [1]]), 9.0, axis=1, inplace=False), True),
    "gcd_lcm": (lambda m: (m.gcd(np.array([12, 18, 7, 0, -4]), np.array([8, 27, 5, 3, 6])),
                           m.lcm(np.array([12, 18, 7, 0, -4]), np.array([8, 27, 5, 0, 6]))), True),
    "spacing": (lambda m: m.spacing(np.array([1.0, -1.0, 1e10], np.float32)), False),
    "unwrap": (lambda m: m.unwrap(np.array([0.0, 3.0, 6.5, 1.0, -2.0], np.float32)), True),
    "unique_inverse": (lambda m: m.unique_inverse(np.array([3, 1, 1])), False),
    "mask_indices": (lambda m: m.mask_indices(3, m.triu, 1), False),
    "windows": (lambda m: [m.bartlett(5), m.blackman(5), m.hamming(6), m.hanning(5), m.kaiser(5, 3.0)], False),
    "poly_arith": (lambda m: [m.polyadd(np.array([1.0, 2]), np.array([3.0, 4, 5])), m.polysub(np.array([1.0, 2]), np.array([3.0, 4, 5])),
                              m.polymul(np.array([1.0, 2]), np.array([3.0, 4, 5]))], False),
    "poly_calculus": (lambda m: [m.polyder(np.array([1.0, 2, 3, 4]), 2), m.polyint(np.array([1.0, 2, 3]), 2, k=1.0)], False),
    "polydiv": (lambda m: m.polydiv(np.array([1.0, 2, 3, 4]), np.array([2.0, 1.0])), False),
    "poly_vander": (lambda m: [m.poly(np.array([1.0, 2, 3])), m.vander(np.array([1.0, 2, 3]), 4, increasing=True)], False),
    "tensorinv_tensorsolve": (lambda m: (m.linalg.tensorinv(SQ.reshape(4, 2, 2) + np.eye(4, dtype=np.float32).reshape(4, 2, 2) * 4, 1),
                                         m.linalg.tensorsolve(SQ.reshape(2, 2, 4) + 4 * np.eye(4, dtype=np.float32).reshape(2, 2, 4),
                                                              np.arange(4.0, dtype=np.float32).reshape(2, 2))), False),
}


def _case_params(jit_only=False):
    return [pytest.param(name, id=name) for name, (_, j) in CASES.items() if j or not jit_only]


_JAX_REFERENCES = {}


def _jax_reference(name):
    """CASES[name] on jax.numpy, compiled as one function where it can be (faster than op
    by op); computed once for the eager and the jit test of a case."""
    if name not in _JAX_REFERENCES:
        fn, _ = CASES[name]
        try:
            _JAX_REFERENCES[name] = jax.jit(lambda: fn(J))()
        except (jax.errors.JAXTypeError, jax.errors.ConcretizationTypeError, TypeError,
                ValueError):
            _JAX_REFERENCES[name] = fn(J)
    return _JAX_REFERENCES[name]


@needs_jax
@pytest.mark.parametrize("name", _case_params())
def test_eager_matches_jax(name):
    fn, _ = CASES[name]
    want = _jax_reference(name)
    assert_same(fn(jnp), want)


@needs_jax
@pytest.mark.parametrize("name", _case_params(jit_only=True))
def test_jit_matches_jax(name):
    fn, _ = CASES[name]
    assert_same(mlax.jit(lambda: fn(jnp))(), _jax_reference(name))


# ---------------------------------------------------------------------------------------
# Indexing: x[idx] and x.at[idx] against NumPy, eagerly and under jit

A = np.arange(60.0, dtype=np.float32).reshape(3, 4, 5)
INDICES = {
    "reverse": (slice(None, None, -1),),
    "int_negative_step": (1, slice(None, None, -2)),
    "negative_step_bounds": (-1, slice(3, 0, -1), slice(None, None, 2)),
    "empty_negative": (slice(0, 2, -1),),
    "arrays_apart_by_none": ([0, 2], None, [1, 3]),
    "array_then_none": (slice(None), [0, 1], None),
    "none_then_arrays": (None, [0, 1], [1, 2]),
    "arrays_apart_by_slice": ([0, 1], slice(None), None, [1, 2]),
    "int_and_array_apart": (0, slice(None), [1, 2]),
    "ellipsis_array_int": (Ellipsis, [1, 2], 0),
    "array_2d": (np.array([[0, 1], [2, 2]]),),
    "array_negative": (slice(1, None), np.array([3, -1])),
    "broadcast_arrays": ([[0], [1]], [0, 2], slice(1, 3)),
    "mask_first_axis": (A[:, 0, 0] > 10,),
    "mask_two_axes": (A[..., 0] > 10,),
    "mask_with_slice": (slice(None), A[0, :, 0] > 6, slice(1, 3)),
    "true_scalar": (True, 1),
    "list_of_ints": ([2, 0],),
}


@pytest.mark.parametrize("name", list(INDICES))
def test_getitem_matches_numpy(name):
    idx = INDICES[name]
    want = A[idx]
    got = jnp.asarray(A)[idx]
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(mlax.jit(lambda a: a[idx])(A)), want)


@pytest.mark.parametrize("name", list(INDICES))
def test_at_set_matches_numpy(name):
    idx = INDICES[name]
    want = A.copy()
    want[idx] = -1.0
    np.testing.assert_array_equal(np.asarray(jnp.asarray(A).at[idx].set(-1.0)), want)
    vals = np.arange(want[idx].size, dtype=np.float32).reshape(A[idx].shape)
    want = A.copy()
    want[idx] = vals
    np.testing.assert_array_equal(np.asarray(mlax.jit(lambda a, v: a.at[idx].set(v))(A, vals)), want)


@pytest.mark.parametrize("kind,ufunc", [("add", np.add), ("multiply", np.multiply), ("min", np.minimum),
                                        ("max", np.maximum)])
def test_at_combining_updates_with_repeated_indices(kind, ufunc):
    idx = (slice(1, None), np.array([0, 2, 0]))
    vals = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
    want = A[:, :, 0].copy()
    ufunc.at(want, idx, vals)
    got = getattr(jnp.asarray(A[:, :, 0]).at[idx], kind)(vals)
    np.testing.assert_array_equal(np.asarray(got), want)


@needs_jax
def test_at_get_modes_and_apply():
    x = jnp.asarray(V)
    assert_same(x.at[np.array([0, 9, -1])].get(mode="fill", fill_value=-7.0),
                J.asarray(V).at[np.array([0, 9, -1])].get(mode="fill", fill_value=-7.0))
    assert_same(x.at[np.array([0, 9, -1])].get(mode="fill"), J.asarray(V).at[np.array([0, 9, -1])].get(mode="fill"))
    # Reads clamp out-of-bounds indices; updates drop them (JAX's defaults).
    assert_same(x[np.array([0, 9])], J.asarray(V)[np.array([0, 9])])
    assert_same(x.at[np.array([1, 9])].set(0.0), J.asarray(V).at[np.array([1, 9])].set(0.0))
    assert_same(x.at[1:3].apply(lambda t: t * 10), J.asarray(V).at[1:3].apply(lambda t: t * 10))
    assert_same(x.at[::2].power(2), J.asarray(V).at[::2].power(2))
    assert_same(x.at[np.array([0, 0])].subtract(1.0), J.asarray(V).at[np.array([0, 0])].subtract(1.0))


@needs_jax
def test_traced_index_arrays_and_scalars():
    f = mlax.jit(lambda a, i, j: (a[i, :, j], a[::-1][j], a.at[i, j].add(1.0)))
    i, j = np.array([2, 0, -1], np.int32), np.int32(1)
    got = f(A, i, j)
    want = jax.jit(lambda a, i, j: (a[i, :, j], a[::-1][j], a.at[i, j].add(1.0)))(A, i, j)
    assert_same(got, want)


def test_index_errors():
    x = jnp.asarray(A)
    with pytest.raises(IndexError, match="integer or boolean"):
        x[np.array([0.5])]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="does not match"):
        x[np.array([True, False])]
    with pytest.raises(mlax.NonConcreteBooleanIndexError, match="jnp.where"):
        mlax.jit(lambda a: a[a > 0])(A)
    with pytest.raises(ValueError, match="step cannot be zero"):
        x[::0]
    with pytest.raises(mlax.ConcretizationTypeError):
        mlax.jit(lambda a, i: a[i:])(A, 1)


# ---------------------------------------------------------------------------------------
# Value-dependent shapes: concrete only, or a static size


@pytest.mark.parametrize("fn", [
    lambda a: jnp.unique(a), lambda a: jnp.nonzero(a), lambda a: jnp.argwhere(a),
    lambda a: jnp.bincount(a), lambda a: jnp.repeat(a, a), lambda a: jnp.intersect1d(a, a),
], ids=["unique", "nonzero", "argwhere", "bincount", "repeat", "intersect1d"])
def test_value_dependent_shapes_need_concrete_values(fn):
    with pytest.raises(mlax.ConcretizationTypeError, match="size|length|total_repeat_length|outside jit"):
        mlax.jit(fn)(np.array([1, 0, 2], np.int32))


@needs_jax
def test_static_size_versions_under_jit_and_vmap():
    a = np.array([[3, 1, 1, 2], [0, 0, 5, 5]], np.int32)
    f = lambda r: jnp.unique(r, size=3, fill_value=-1)
    assert_same(mlax.vmap(f)(a), jax.vmap(lambda r: J.unique(r, size=3, fill_value=-1))(a))
    g = lambda r: jnp.repeat(r, r, total_repeat_length=6)
    assert_same(mlax.jit(g)(a[0]), J.repeat(a[0], a[0], total_repeat_length=6))
    assert_same(mlax.jit(lambda r: jnp.bincount(r, length=7))(a[1]), J.bincount(a[1], length=7))


@needs_jax
def test_polyfit_roots_and_sized_sets_under_transforms():
    x = np.linspace(-1, 1, 9).astype(np.float32)
    y = (x ** 3 - 0.5 * x).astype(np.float32)
    g = mlax.grad(lambda y: jnp.polyfit(x, y, 3).sum())(y)
    assert_same(g, jax.grad(lambda y: J.polyfit(x, y, 3).sum())(y), rtol=1e-4, atol=1e-5)
    ys = np.stack([y, 2 * y, y + 1])
    assert_same(mlax.vmap(lambda y: jnp.polyfit(x, y, 2))(ys), np.stack([np.asarray(jnp.polyfit(x, r, 2)) for r in ys]),
                dtype=False)
    p = np.array([0, 1, -3, 2], np.float32)
    assert_same(mlax.jit(lambda p: jnp.roots(p, strip_zeros=False))(p), J.roots(p, strip_zeros=False), rtol=1e-5)
    with pytest.raises(mlax.ConcretizationTypeError, match="strip_zeros=False"):
        mlax.jit(jnp.roots)(p)
    a = np.array([[3, 1, 1, 2], [0, 0, 5, 5]], np.int32)
    f = lambda r: jnp.setdiff1d(r, np.array([1, 5]), size=3, fill_value=-1)
    assert_same(mlax.vmap(f)(a), np.stack([np.asarray(f(r)) for r in a]))
    assert_same(mlax.vmap(f)(a), jax.vmap(lambda r: J.setdiff1d(r, np.array([1, 5]), size=3, fill_value=-1))(a))


# ---------------------------------------------------------------------------------------
# dtype helpers


@needs_jax
def test_promote_types_is_not_narrowed_by_x64_as_jax():
    cases = [(np.float32, np.float64), (np.complex64, np.float64), (np.uint64, np.int64), (jnp.bfloat16, np.float64),
             (np.uint32, np.int8), (np.uint16, np.int16), (np.int64, np.int8), (np.bool_, np.int8)]
    assert [jnp.promote_types(a, b) for a, b in cases] == [J.promote_types(a, b) for a, b in cases]


@needs_jax
def test_dtype_helpers_follow_jax():
    for args in [(int, jnp.float16), (jnp.int8, 2.0), (jnp.int8, jnp.uint8), (jnp.bool_, 1),
                 (np.ones(2, np.int16), 1.0), (jnp.float32, jnp.int32)]:
        assert jnp.result_type(*args) == J.result_type(*args), args
    assert jnp.promote_types(jnp.int32, jnp.float16) == J.promote_types(J.int32, J.float16)
    assert jnp.can_cast(jnp.int8, jnp.int32) and not jnp.can_cast(jnp.float32, jnp.int32)
    assert jnp.isdtype(jnp.int32, "integral") and not jnp.isdtype(jnp.float32, ("integral", "bool"))
    assert jnp.isscalar(1.0) and jnp.isscalar(jnp.asarray(1.0)) and not jnp.isscalar(jnp.ones(2))
    assert jnp.iinfo(jnp.int32).max == 2 ** 31 - 1 and jnp.finfo(jnp.float32).eps == np.finfo(np.float32).eps


def test_numpy_inputs_are_not_frozen_or_misread():
    b = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    col = b[:, 0]                      # a non-contiguous view
    np.testing.assert_allclose(np.asarray(jnp.add(col, 1)), col + 1)
    assert b.flags.writeable


# ---------------------------------------------------------------------------------------
# linalg


def test_linalg_batched_against_numpy():
    a = _rng.normal(size=(2, 4, 4)) + 4 * np.eye(4)
    a = a.astype(np.float32)
    b = _rng.normal(size=(2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(jnp.linalg.det(a), np.linalg.det(a), rtol=1e-4)
    np.testing.assert_allclose(jnp.linalg.inv(a), np.linalg.inv(a), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(jnp.linalg.solve(a, b), np.linalg.solve(a, b), rtol=1e-4, atol=1e-5)
    sign, logdet = jnp.linalg.slogdet(a)
    want_sign, want_logdet = np.linalg.slogdet(a)
    np.testing.assert_allclose(sign, want_sign)
    np.testing.assert_allclose(logdet, want_logdet, rtol=1e-4)
    spd = a @ np.swapaxes(a, -1, -2)
    np.testing.assert_allclose(jnp.linalg.cholesky(spd), np.linalg.cholesky(spd), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(jnp.linalg.cholesky(spd, upper=True), np.swapaxes(np.linalg.cholesky(spd), -1, -2),
                               rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(jnp.linalg.matrix_power(a[0], -2), np.linalg.matrix_power(a[0].astype(np.float64), -2),
                               rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(jnp.linalg.matrix_power(a[0], 0), np.eye(4))
    np.testing.assert_allclose(jnp.linalg.multi_dot([a[0], a[1], b[0]]), a[0] @ a[1] @ b[0], rtol=1e-4, atol=1e-4)
    # A singular matrix has determinant 0 (a zero pivot, no NaN).
    np.testing.assert_allclose(jnp.linalg.det(np.ones((3, 3), np.float32)), 0.0)


@needs_jax
def test_linalg_pivoting_and_grad_against_jax():
    a = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]], np.float32)   # needs a row swap
    np.testing.assert_allclose(jnp.linalg.det(a), np.linalg.det(a), rtol=1e-5)
    g = mlax.grad(lambda m: jnp.linalg.det(m))(a)
    np.testing.assert_allclose(g, jax.grad(J.linalg.det)(a), rtol=1e-4, atol=1e-5)
    g = mlax.jit(mlax.grad(lambda m: jnp.sum(jnp.linalg.solve(m, jnp.ones(3)))))(a)
    np.testing.assert_allclose(g, jax.grad(lambda m: J.sum(J.linalg.solve(m, J.ones(3))))(a), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("ord_,axis", [(None, None), (2, 0), (1, 1), (np.inf, None), (-np.inf, 1), (0, 1),
                                       (-1, None), ("fro", (0, 1)), (0.5, 0), (-np.inf, None)])
def test_norm_against_numpy(ord_, axis):
    np.testing.assert_allclose(jnp.linalg.norm(X, ord_, axis), np.linalg.norm(X, ord_, axis), rtol=1e-5)


@needs_jax
def test_norm_errors_name_the_missing_piece():
    for ord_ in (2, -2, "nuc"):
        np.testing.assert_allclose(jnp.linalg.norm(X, ord_), np.linalg.norm(X, ord_), rtol=1e-5)
    with pytest.raises(ValueError, match="Invalid order"):
        jnp.linalg.norm(X, "bad")
    assert_same(jnp.linalg.vector_norm(X), J.linalg.vector_norm(X))
    assert_same(jnp.linalg.matrix_norm(X, ord=np.inf), J.linalg.matrix_norm(X, ord=np.inf))


# ---------------------------------------------------------------------------------------
# Transforms through the new functions beyond the table


@needs_jax
def test_grad_and_vmap_through_sorting_and_searching():
    x = np.array([0.3, -1.2, 2.5, 0.7, 1.1], np.float32)
    f = lambda v: jnp.sum(jnp.quantile(v, np.array([0.25, 0.5])) * 2 + jnp.sort(v)[::-1][0])
    fj = lambda v: J.sum(J.quantile(v, np.array([0.25, 0.5])) * 2 + J.sort(v)[::-1][0])
    np.testing.assert_allclose(mlax.grad(f)(x), jax.grad(fj)(x), rtol=1e-5, atol=1e-6)
    bins = np.array([-1.0, 0.0, 1.0], np.float32)
    assert_same(mlax.vmap(lambda v: jnp.searchsorted(bins, v))(X), jax.vmap(lambda v: J.searchsorted(bins, v))(X))
    assert_same(mlax.vmap(lambda v: jnp.argsort(v, descending=True))(XI), jax.vmap(lambda v: J.argsort(v, descending=True))(XI))
    g = mlax.grad(lambda v: jnp.sum(jnp.interp(np.array([0.1, 0.9], np.float32), np.array([0.0, 0.5, 1.0], np.float32), v)))
    np.testing.assert_allclose(g(np.array([1.0, 2.0, 4.0], np.float32)), [0.8, 0.4, 0.8], rtol=1e-5)


def test_functions_with_jnp_namespace_entry_points():
    # jnp.linalg is reachable as an attribute, as in JAX.
    np.testing.assert_allclose(jnp.linalg.norm(X), np.linalg.norm(X), rtol=1e-6)
    np.testing.assert_allclose(jnp.linalg.det(SQ), np.linalg.det(SQ), rtol=1e-5)
    assert jnp.concat is jnp.concatenate
    np.testing.assert_array_equal(jnp.permute_dims(X, (1, 0)), X.T)
    assert jnp.acos is jnp.arccos and jnp.atan2 is jnp.arctan2
    assert jnp.bool is jnp.bool_ and jnp.bool_ == np.bool_   # JAX's scalar type, not NumPy's
    assert jnp.array([1, 0], dtype=jnp.bool).dtype == np.bool_
    assert jnp.s_[1:2] == np.s_[1:2] and jnp.iterable([1]) and not jnp.iterable(1)
