"""mlax.numpy: the NumPy API over mlax primitives, with JAX's broadcasting, dtype promotion
and weak types.

Every function is built from mlax.lax primitives (or, for shapes and static index maps, from
NumPy computations on concrete Python values), so it runs eagerly and under jit, grad and vmap.
Functions whose result shape depends on array values (`nonzero`, `unique`, boolean masks, ...)
need concrete values unless given a static `size=`, as in JAX. The dtype rules are JAX's:
int32/float32 defaults with x64 off, weak Python scalars, `mean` of ints is float, `sum` of
bools and small ints is the default int.

The package holds one module per family, as `jax._src.numpy` does; this module only
re-exports their public names. From the bottom up:

- `_util`: the helpers every module shares (array arguments, promotion, axes, one-axis gathers).
- `_dtypes`: dtype names, constants, dtype rules. `_shapes`: reshaping, joining, splitting,
  flipping, broadcasting. `_creation`: asarray, zeros, arange, eye, grids.
  `_io`: NumPy's readers (results as arrays) and print options.
- `_ufuncs`: elementwise functions. `_reductions`: sums, means, their NaN-ignoring and
  cumulative forms. `_index_routines`: where, nonzero, take, put. `_sorting`: sort,
  searchsorted, unique, set operations. `_rearrange`: roll, repeat, pad.
- `_products`: dot, matmul, einsum. `_math`: logspace, diff, gradient, interp, gcd.
  `_statistics`: quantiles, cov, histograms. `_polynomial`: poly*, convolve. `_functional`:
  vectorize, apply_along_axis.
- `_scalar_types`: `jnp.float32` and its kin, the scalar types the package exports (calling
  one makes an array), after `_creation` whose `asarray` they call.
- `_indexing`: `x[idx]` and `x.at[idx]`. `linalg`: `mlax.numpy.linalg`.
  `_polynomial_linalg`: polyfit and roots, which call linalg. `fft`:
  `mlax.numpy.fft`. `_methods`: attaches
  the operators and methods of `mlax.Array` and of tracers.

A module imports only from the modules before it in this list, never from the package itself.
"""
from mlax.numpy._dtypes import (array_repr, array_str, bool, bool_, can_cast, complexfloating,
                                double, dtype, e,
                                euler_gamma, finfo, float16, float32, float64, float_, floating,
                                generic, iinfo, inexact, inf, int16, int32, int64, int8, int_,
                                integer, iscomplexobj, isdtype, isrealobj, isscalar, issubdtype,
                                iterable, nan, ndarray, newaxis, number, pi, promote_types,
                                result_type, signedinteger, single, uint, uint16, uint32, uint64,
                                uint8, unsignedinteger)
from mlax.numpy._shapes import (append, array_split, atleast_1d, atleast_2d, atleast_3d, block,
                                broadcast_arrays, broadcast_shapes, broadcast_to, column_stack,
                                concat, concatenate, delete, dsplit, dstack, expand_dims, flip,
                                fliplr, flipud, hsplit, hstack, insert, matrix_transpose, moveaxis,
                                ndim, permute_dims, ravel, reshape, rollaxis, rot90, row_stack,
                                shape, size, split, squeeze, stack, swapaxes, tile, transpose,
                                unstack, vsplit, vstack)
from mlax.numpy._creation import (arange, array, asarray, astype, bartlett, blackman, c_, copy,
                                  diag, diag_indices, diag_indices_from, diagflat, diagonal, empty,
                                  empty_like, eye, fromfunction, full, full_like, hamming, hanning,
                                  identity, index_exp, indices, kaiser, linspace, mask_indices,
                                  meshgrid, mgrid, ogrid, ones, ones_like, r_, resize, s_, tri,
                                  tril, tril_indices, tril_indices_from, trim_zeros, triu,
                                  triu_indices, triu_indices_from, zeros, zeros_like)
from mlax.numpy._ufuncs import (abs, absolute, acos, acosh, add, angle, arccos, arccosh, arcsin,
                                arcsinh, arctan, arctan2, arctanh, around, asin, asinh, atan,
                                atan2, atanh, bitwise_and, bitwise_count, bitwise_invert,
                                bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
                                bitwise_xor, cbrt, ceil, clip, conj, conjugate, copysign, cos,
                                cosh, deg2rad, degrees, divide, divmod, equal, exp, exp2, expm1,
                                fabs, fix, float_power, floor, floor_divide, fmax, fmin, fmod,
                                frexp, greater, greater_equal, heaviside, hypot, i0, imag, invert,
                                isclose, iscomplex, isfinite, isinf, isnan, isneginf, isposinf,
                                isreal, ldexp, left_shift, less, less_equal, log, log10, log1p,
                                log2, logaddexp, logaddexp2, logical_and, logical_not, logical_or,
                                logical_xor, maximum, minimum, mod, modf, multiply, nan_to_num,
                                negative, nextafter, not_equal, positive, pow, power, rad2deg,
                                radians, real, reciprocal, remainder, right_shift, rint, round,
                                select, sign, signbit, sin, sinc, sinh, spacing, sqrt, square,
                                subtract, tan, tanh, true_divide, trunc)
from mlax.numpy._reductions import (all, allclose, amax, amin, any, argmax, argmin, array_equal,
                                    array_equiv, average, count_nonzero, cumprod, cumproduct,
                                    cumsum, cumulative_prod, cumulative_sum, max, mean, min,
                                    nanargmax, nanargmin, nancumprod, nancumsum, nanmax, nanmean,
                                    nanmin, nanprod, nanstd, nansum, nanvar, prod, ptp, std, sum,
                                    var)
from mlax.numpy._index_routines import (argwhere, choose, compress, extract, fill_diagonal,
                                        flatnonzero, ix_, nonzero, place, put, put_along_axis,
                                        ravel_multi_index, take, take_along_axis, unravel_index,
                                        where)
from mlax.numpy._sorting import (argpartition, argsort, digitize, intersect1d, isin, lexsort,
                                 partition, searchsorted, setdiff1d, setxor1d, sort, sort_complex,
                                 union1d, unique, unique_all, unique_counts, unique_inverse,
                                 unique_values)
from mlax.numpy._rearrange import (pad, repeat, roll)
from mlax.numpy._products import (cross, dot, einsum, inner, kron, matmul, matvec, outer,
                                  tensordot, trace, vdot, vecdot, vecmat)
from mlax.numpy._math import (diff, ediff1d, gcd, geomspace, gradient, interp, lcm, logspace,
                              packbits, trapezoid, trapz, unpackbits, unwrap)
from mlax.numpy._statistics import (bincount, corrcoef, cov, histogram, histogram2d,
                                    histogram_bin_edges, histogramdd, median, nanmedian,
                                    nanpercentile, nanquantile, percentile, quantile)
from mlax.numpy._io import (frombuffer, fromfile, fromiter, fromstring, get_printoptions, load,
                            printoptions, save, savez, set_printoptions)
from mlax.numpy._polynomial import (convolve, correlate, poly, polyadd, polyder, polydiv, polyint,
                                    polymul, polysub, polyval, vander)
from mlax.numpy._functional import apply_along_axis, apply_over_axes, piecewise, vectorize
from mlax.numpy._ufunc_objects import frompyfunc, ufunc
from mlax.numpy._scalar_types import (bfloat16, bool_, cdouble, complex64, complex128,  # noqa: F811
                                      complex_, csingle, double, float16, float32, float64,
                                      float_, int8, int16, int32, int64, int_, single, uint,
                                      uint8, uint16, uint32, uint64,
                                      float4_e2m1fn, float8_e3m4, float8_e4m3,
                                      float8_e4m3b11fnuz, float8_e4m3fn, float8_e4m3fnuz,
                                      float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu, int2, int4,
                                      uint2, uint4)
from mlax.numpy import linalg
from mlax.numpy._polynomial_linalg import polyfit, roots
from mlax.numpy import fft
from mlax.numpy import _methods  # attaches the operators and methods of Array and Tracer
from mlax.numpy import _ufunc_objects

_ufunc_objects.attach(globals())   # jnp.add.outer, jnp.multiply.reduce, ... as in JAX
from mlax import api_names as _api_names

bool = bool_  # noqa: A001  (JAX's scalar type, as jnp.bool)

# Names jax.numpy has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
__getattr__ = _api_names.module_getattr("jax.numpy", __name__)
