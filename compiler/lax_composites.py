"""lax functions that are XLA ops in JAX and compositions of mlax ops here: `clz` (bits
smeared right, then counted), `reduce_precision` (XLA's rounding of the bits, with JAX's
derivative as a custom_jvp) and `approx_max_k` / `approx_min_k` (exact, as JAX's CPU
backend computes them), and `cummax` / `cummin` (the primitives, with the derivative of
JAX's associative scan). They sit above mlax.lax, as mlax.lax_special does."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.ad import jvp
from mlax.associative_scan import associative_scan
from mlax.custom_derivatives import custom_jvp
from mlax.runtime.dtypes import finfo, is_float, is_inexact


def _full(x, value):
    return lax.full_like(x, value)


def clz(x):
    """The number of leading zero bits of each integer."""
    dtype = np.dtype(lax.aval(x).dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"clz does not accept dtype {dtype}")
    bits = dtype.itemsize * 8
    shift = 1
    while shift < bits:
        x = lax.bitwise_or(x, lax.shift_right_logical(x, _full(x, shift)))
        shift *= 2
    return lax.sub(_full(x, bits), lax.population_count(x))


def _reduce_precision_bits(x, exponent_bits, mantissa_bits):
    """XLA's ReducePrecision: round the mantissa to nearest even, then flush exponents out of
    the narrower range to zero or infinity; NaNs stay NaN."""
    dtype = np.dtype(lax.aval(x).dtype)
    info = finfo(dtype)
    src_m, src_e, nbits = info.nmant, info.nexp, dtype.itemsize * 8
    itype = np.dtype(f"uint{nbits}")
    u = lambda v: _full(bits, itype.type(v))
    bits = lax.bitcast_convert_type(x, itype)
    if mantissa_bits < src_m:
        last_bit = 1 << (src_m - mantissa_bits)
        last_mantissa_bit = lax.shift_right_logical(lax.bitwise_and(bits, u(last_bit)),
                                                    u(src_m - mantissa_bits))
        bias = lax.add(last_mantissa_bit, u((last_bit >> 1) - 1))
        bits = lax.bitwise_and(lax.add(bits, bias), u(~(last_bit - 1) & ((1 << nbits) - 1)))
    if exponent_bits < src_e:
        exp_mask = ((1 << src_e) - 1) << src_m
        exponent_bias = (1 << (src_e - 1)) - 1
        reduced_bias = (1 << (exponent_bits - 1)) - 1
        exponent = lax.bitwise_and(bits, u(exp_mask))
        overflows = lax.gt(exponent, u((exponent_bias + reduced_bias) << src_m))
        underflows = lax.le(exponent, u((exponent_bias - reduced_bias) << src_m))
        signed_zero = lax.bitwise_and(bits, u(1 << (nbits - 1)))
        signed_inf = lax.bitwise_or(signed_zero, u(exp_mask))
        bits = lax.select(overflows, signed_inf, lax.select(underflows, signed_zero, bits))
    out = lax.bitcast_convert_type(bits, dtype)
    return lax.select(lax.ne(x, x), x, out)


def reduce_precision(operand, exponent_bits, mantissa_bits):
    """`operand` rounded to a float format with the given exponent and mantissa widths."""
    exponent_bits, mantissa_bits = int(exponent_bits), int(mantissa_bits)
    operand = jnp.asarray(operand)
    if not is_float(lax.aval(operand).dtype):
        raise TypeError(f"reduce_precision does not accept dtype {lax.aval(operand).dtype}")

    @custom_jvp
    def rp(x):
        return _reduce_precision_bits(x, exponent_bits, mantissa_bits)

    # JAX's rule rounds the tangent too; a rounding has no transpose here, so the tangent
    # passes through unrounded (equal to JAX's wherever the tangent is representable).
    rp.defjvp(lambda primals, tangents: (rp(primals[0]), tangents[0]))
    return rp(operand)


def _approx_k(operand, k, reduction_dimension, aggregate_to_topk, largest):
    dtype = lax.aval(operand).dtype
    if not is_float(dtype):
        raise ValueError("operand must be a floating type")
    ndim = lax.aval(operand).ndim
    dim = reduction_dimension % ndim
    n = lax.aval(operand).shape[dim]
    if not 0 <= k <= n:
        raise ValueError(f"k must be in [0, {n}], got {k}")
    k = int(k) if aggregate_to_topk else n
    x = lax.transpose(operand, [d for d in range(ndim) if d != dim] + [dim]) if dim != ndim - 1 else operand
    if largest:
        values, indices = lax.top_k(x, k)
    else:
        # Ascending, NaNs last, ties in index order: a stable sort of (x, iota).
        iota = lax.broadcasted_iota(np.int32, lax.aval(x).shape, ndim - 1)
        values, indices = lax.sort((x, iota), dimension=ndim - 1)
        values = lax.slice_in_dim(values, 0, k, 1, ndim - 1)
        indices = lax.slice_in_dim(indices, 0, k, 1, ndim - 1)
    if dim != ndim - 1:
        back = list(range(dim)) + [ndim - 1] + list(range(dim, ndim - 1))
        values, indices = lax.transpose(values, back), lax.transpose(indices, back)
    return [values, indices]


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """The k largest entries along `reduction_dimension` and their indices, exactly (a valid
    approximation for every recall_target, and what JAX's CPU backend returns)."""
    return _approx_k(operand, k, reduction_dimension, aggregate_to_topk, largest=True)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """The k smallest entries along `reduction_dimension` and their indices, exactly."""
    return _approx_k(operand, k, reduction_dimension, aggregate_to_topk, largest=False)


def _cumulative_extreme(primitive, combine):
    """lax.cummax / lax.cummin: the primitive's values, with JAX's derivative, which is the
    derivative of `associative_scan(combine)`. Where several elements tie for the running
    extreme, max and min give each half the tangent at every combination, so the weights
    follow the scan's tree (JAX: `_cumulative_jvp_rule`)."""
    def fn(operand, axis=0, reverse=False):
        axis, reverse = int(axis), bool(reverse)
        operand = jnp.asarray(operand)
        if not is_inexact(lax.aval(operand).dtype):
            return primitive(operand, axis=axis, reverse=reverse)

        @custom_jvp
        def cum(x):
            return primitive(x, axis=axis, reverse=reverse)

        def scan(x):
            return associative_scan(combine, x, reverse=reverse, axis=axis)

        cum.defjvp(lambda primals, tangents: jvp(scan, primals, tangents))
        return cum(operand)
    fn.__name__ = primitive.__name__
    fn.__doc__ = primitive.__doc__
    return fn


cummax = _cumulative_extreme(lax.primitives.cummax, lax.max)
cummin = _cumulative_extreme(lax.primitives.cummin, lax.min)
