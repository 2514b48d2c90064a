"""The samplers of mlax.random that draw directly from threefry bits (uniform, normal,
bernoulli, randint, gumbel, exponential, truncated_normal) and the permutations; see
mlax.random for what is bit-identical to JAX."""
from __future__ import annotations

import math

import numpy as np

from mlax import core, lax
from mlax import numpy as jnp
from mlax.prng import _UINT, _check_key, _full, _jit, _random_bits, _shape, _split_impl, split
from mlax.runtime import Array
from mlax.tracing import Tracer
from mlax.runtime.dtypes import finfo, is_float
# ---------------------------------------------------------------------------------------
# Samplers


def _float_dtype(name, dtype):
    dtype = core.canonicalize_dtype(core.default_float() if dtype is None else dtype)
    if not is_float(dtype):
        raise ValueError(f"dtype argument to `{name}` must be a float dtype, got {dtype}")
    return dtype


def _check_shape(name, shape, *param_shapes):
    shape = _shape(shape, name)
    if param_shapes:
        try:
            full = np.broadcast_shapes(shape, *param_shapes)
        except ValueError:
            full = None
        if full != tuple(shape):
            raise ValueError(f"{name} parameter shapes must be broadcast-compatible with shape "
                             "argument, and the result of broadcasting the shapes must equal "
                             f"the shape argument, but got result {full} for shape argument "
                             f"{tuple(shape)}.")


def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers."""
    k, _ = _check_key("bits", key)
    dtype = core.canonicalize_dtype(np.uint64 if core.config.x64_enabled else np.uint32) \
        if dtype is None else core.canonicalize_dtype(dtype)
    if dtype.kind != "u":
        raise ValueError(f"dtype argument to `bits` must be an unsigned int dtype, got {dtype}")
    return _bits_jit(k, dtype.itemsize * 8, _shape(shape, "bits"))


_bits_jit = _jit((1, 2))(_random_bits)


def _uniform_impl(key, minval, maxval, shape, dtype):
    _check_shape("uniform", shape)
    info = finfo(dtype)
    nbits, nmant = info.bits, info.nmant
    uint = _UINT[nbits]
    minval = lax.convert_element_type(minval, dtype)
    maxval = lax.convert_element_type(maxval, dtype)
    # As JAX: a float with fewer than 8 mantissa bits (bfloat16) draws 8 random bits.
    rng_bits = 8 if nmant < 8 else nbits
    bits = _random_bits(key, rng_bits, shape)
    if rng_bits != nbits:
        bits = lax.convert_element_type(bits, uint)
    float_bits = lax.bitwise_or(
        lax.shift_right_logical(bits, _full(shape, rng_bits - nmant, uint)),
        _full(shape, np.array(1.0, dtype).view(uint), uint))
    floats = lax.sub(lax.bitcast_convert_type(float_bits, dtype), _full(shape, 1.0, dtype))
    # floats * (maxval - minval) + minval, fused into one FMA as XLA does on the CPU (f16
    # computes it in f32 as XLA does, where the product is exact).
    scaled = lax.fma(floats, jnp.broadcast_to(jnp.subtract(maxval, minval), shape),
                     jnp.broadcast_to(minval, shape))
    return jnp.maximum(minval, jnp.broadcast_to(scaled, shape))


_uniform_jit = _jit((3, 4))(_uniform_impl)


def uniform(key, shape=(), dtype=None, minval=0., maxval=1.):
    """Uniform floats in [minval, maxval)."""
    k, _ = _check_key("uniform", key)
    dtype = _float_dtype("uniform", dtype)
    return _uniform_jit(k, minval, maxval, _shape(shape, "uniform"), dtype)


def _normal_impl(key, shape, dtype):
    lo = np.nextafter(np.array(-1., dtype), np.array(0., dtype), dtype=dtype)
    u = _uniform_impl(key, lo, np.array(1., dtype), shape, dtype)
    return jnp.multiply(np.array(np.sqrt(2), dtype), lax.erf_inv(u))


_normal_jit = _jit((1, 2))(_normal_impl)


def normal(key, shape=(), dtype=None):
    """Standard normal samples; complex ones as JAX draws them (real and imaginary parts
    from two split keys, over sqrt 2)."""
    k, _ = _check_key("normal", key)
    if dtype is not None and np.dtype(core.canonicalize_dtype(dtype)).kind == "c":
        dtype = np.dtype(core.canonicalize_dtype(dtype))
        real_dtype = np.array(0, dtype).real.dtype
        key_re, key_im = split(key)
        re = normal(key_re, shape, real_dtype).astype(dtype)
        im = normal(key_im, shape, real_dtype).astype(dtype)
        return (re + 1j * im) / np.array(np.sqrt(2), dtype)
    return _normal_jit(k, _shape(shape, "normal"), _float_dtype("normal", dtype))


def _next_float(x, up):
    """nextafter(x, +inf) if up else nextafter(x, -inf), elementwise."""
    a = lax.aval(x)
    idt = np.dtype(f"i{a.dtype.itemsize}")
    i = lax.bitcast_convert_type(x, idt)
    one = np.ones(a.shape, idt)
    away = lax.add(i, one)       # larger magnitude
    toward = lax.sub(i, one)     # smaller magnitude
    positive = jnp.greater(x, 0)
    step = jnp.where(positive, away, toward) if up else jnp.where(positive, toward, away)
    tiny = np.full(a.shape, np.nextafter(a.dtype.type(0), a.dtype.type(1)), a.dtype)
    out = jnp.where(jnp.equal(x, 0), tiny if up else -tiny,
                    lax.bitcast_convert_type(step, a.dtype))
    stuck = jnp.isnan(x) | jnp.equal(x, np.inf if up else -np.inf)
    return jnp.where(stuck, x, out)


def _truncated_normal_impl(key, lower, upper, shape, dtype):
    if shape is None:
        shape = np.broadcast_shapes(np.shape(lower), np.shape(upper))
    else:
        _check_shape("truncated_normal", shape, np.shape(lower), np.shape(upper))
    sqrt2 = np.array(np.sqrt(2), dtype)
    lower = lax.convert_element_type(lower, dtype)
    upper = lax.convert_element_type(upper, dtype)
    # lower / sqrt(2) as XLA's simplifier rewrites it: times the rounded reciprocal.
    inv_sqrt2 = np.array(1 / np.sqrt(2), dtype)
    a = lax.xla_erf(jnp.multiply(lower, inv_sqrt2))
    b = lax.xla_erf(jnp.multiply(upper, inv_sqrt2))
    u = _uniform_impl(key, a, b, shape, dtype)
    out = jnp.multiply(sqrt2, lax.erf_inv(u))
    lo = _next_float(lax.stop_gradient(lower), True)
    hi = _next_float(lax.stop_gradient(upper), False)
    return jnp.clip(out, lo, hi)


_truncated_normal_jit = _jit((3, 4))(_truncated_normal_impl)


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal samples truncated to the open interval (lower, upper)."""
    k, _ = _check_key("truncated_normal", key)
    return _truncated_normal_jit(k, lower, upper, _shape(shape, "truncated_normal"),
                                 _float_dtype("truncated_normal", dtype))


def _bernoulli_impl(key, p, shape):
    if shape is None:
        shape = tuple(lax.aval(p).shape)
    else:
        _check_shape("bernoulli", shape, lax.aval(p).shape)
    dtype = lax.aval(p).dtype
    return jnp.less(_uniform_impl(key, 0., 1., shape, dtype), p)


_bernoulli_jit = _jit((2,))(_bernoulli_impl)


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability p."""
    if mode not in ("low", "high"):
        raise ValueError(f"got mode={mode!r}, expected 'high' or 'low'")
    k, _ = _check_key("bernoulli", key)
    dtype = lax.aval(p).dtype
    if not is_float(dtype):
        raise TypeError(f"bernoulli probability `p` must have a floating dtype, got {dtype}.")
    p = lax.convert_element_type(p, dtype)
    if mode == "high":
        return _bernoulli_high_jit(k, p, _shape(shape, "bernoulli"))
    return _bernoulli_jit(k, p, _shape(shape, "bernoulli"))


def _bernoulli_high(key, p, shape):
    shape = tuple(lax.aval(p).shape) if shape is None else shape
    dtype = lax.aval(p).dtype
    u = _uniform_impl(key, 0., 1., (2, *shape), dtype)
    u1, u2 = u[0], u[1]
    u2 = jnp.multiply(u2, np.array(2. ** -finfo(dtype).nmant, dtype))
    return jnp.less(u2, jnp.subtract(p, u1))


_bernoulli_high_jit = _jit((2,))(_bernoulli_high)


def _clip_convert(val, dtype):
    """val converted to the integer dtype, clipped to its range rather than wrapped."""
    vt = lax.aval(val).dtype
    lo = max(np.iinfo(dtype).min, np.iinfo(vt).min)
    hi = min(np.iinfo(dtype).max, np.iinfo(vt).max)
    return lax.convert_element_type(jnp.clip(val, np.array(lo, vt), np.array(hi, vt)), dtype)


def _randint_impl(key, minval, maxval, shape, dtype):
    _check_shape("randint", shape, np.shape(minval), np.shape(maxval))
    minval = jnp.asarray(minval)
    maxval = jnp.asarray(maxval)
    if lax.aval(minval).dtype.kind not in "iu":
        minval = minval.astype(core.default_int())
    if lax.aval(maxval).dtype.kind not in "iu":
        maxval = maxval.astype(core.default_int())
    maxval_t = lax.aval(maxval).dtype
    max_repr = _clip_convert(np.array(np.iinfo(dtype).max, dtype), maxval_t)
    out_of_range = jnp.greater(maxval, max_repr)
    minval = _clip_convert(minval, dtype)
    maxval = _clip_convert(maxval, dtype)
    nbits = np.iinfo(dtype).bits
    unsigned = _UINT[nbits]
    keys = _split_impl(key, (2,))
    higher = _random_bits(lax.reshape(lax.slice(keys, (0, 0), (1, 2)), (2,)), nbits, shape)
    lower = _random_bits(lax.reshape(lax.slice(keys, (1, 0), (2, 2)), (2,)), nbits, shape)

    def full(x):
        return jnp.broadcast_to(x, shape)
    minval, maxval, out_of_range = full(minval), full(maxval), full(out_of_range)
    span = lax.convert_element_type(lax.sub(maxval, minval), unsigned)
    one = np.ones(shape, unsigned)
    span = lax.select(lax.le(maxval, minval), one, span)
    span = lax.select(lax.bitwise_and(out_of_range, lax.gt(maxval, minval)),
                      lax.add(span, one), span)
    multiplier = lax.rem(np.full(shape, 2 ** (nbits // 2), unsigned), span)
    multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
    offset = lax.add(lax.mul(lax.rem(higher, span), multiplier), lax.rem(lower, span))
    offset = lax.rem(offset, span)
    return lax.add(minval, lax.convert_element_type(offset, dtype))


_randint_jit = _jit((3, 4))(_randint_impl)


def randint(key, shape, minval, maxval, dtype=None):
    """Uniform integers in [minval, maxval)."""
    k, _ = _check_key("randint", key)
    dtype = core.canonicalize_dtype(core.default_int() if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dtype}")
    info = np.iinfo(dtype)
    sample = dtype
    if info.bits < 32:
        # Sample in 32 bits to avoid biased results.
        sample = np.dtype(np.int32)
        minval = jnp.clip(jnp.asarray(minval).astype(np.int32), int(info.min), int(info.max))
        maxval = jnp.clip(jnp.asarray(maxval).astype(np.int32), int(info.min), int(info.max) + 1)
    out = _randint_jit(k, minval, maxval, _shape(shape, "randint"), sample)
    return out.astype(dtype) if sample != dtype else out


def _gumbel_impl(key, shape, dtype, mode):
    _check_shape("gumbel", shape)
    info = finfo(dtype)
    if mode == "high":
        u = _uniform_impl(key, 0., 1., (2,) + shape, dtype)
        high, low = u[0], u[1]
        x = jnp.where(jnp.greater_equal(high, 0.5), high,
                      jnp.add(jnp.add(high, jnp.multiply(np.array(2. ** -info.nmant, dtype), low)),
                              np.array(info.tiny, dtype)))
        return jnp.negative(lax.xla_log(jnp.negative(lax.xla_log1p(jnp.negative(x)))))
    u = _uniform_impl(key, np.array(info.tiny, dtype), 1., shape, dtype)
    return jnp.negative(lax.xla_log(jnp.negative(lax.xla_log(u))))


_gumbel_jit = _jit((1, 2, 3))(_gumbel_impl)


def gumbel(key, shape=(), dtype=None, mode=None):
    """Standard Gumbel samples."""
    k, _ = _check_key("gumbel", key)
    mode = "low" if mode is None else mode
    if mode not in ("high", "low"):
        raise ValueError(f"Must provide valid mode for gumbel got: {mode}")
    return _gumbel_jit(k, _shape(shape, "gumbel"), _float_dtype("gumbel", dtype), mode)


def _exponential_impl(key, shape, dtype):
    u = _uniform_impl(key, 0., 1., shape, dtype)
    return jnp.negative(lax.xla_log1p(jnp.negative(u)))


_exponential_jit = _jit((1, 2))(_exponential_impl)


def exponential(key, shape=(), dtype=None):
    """Standard exponential samples."""
    k, _ = _check_key("exponential", key)
    return _exponential_jit(k, _shape(shape, "exponential"), _float_dtype("exponential", dtype))


def _take(arr, ind, axis):
    """jnp.take(arr, ind, axis) for in-range integer indices."""
    moved = jnp.moveaxis(arr, axis, 0)
    out = moved[ind]
    nd_ind = np.ndim(ind)
    if axis == 0 or nd_ind == 0 and axis == 0:
        return out
    # (ind..., before..., after...) -> (before..., ind..., after...)
    perm = (list(range(nd_ind, nd_ind + axis)) + list(range(nd_ind))
            + list(range(nd_ind + axis, out.ndim)))
    return jnp.transpose(out, perm)


def _shuffle_impl(key, x, axis):
    n = int(np.prod(lax.aval(x).shape))
    num_rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
    shape = tuple(lax.aval(x).shape)
    for _ in range(num_rounds):
        keys = _split_impl(key, (2,))
        key = lax.reshape(lax.slice(keys, (0, 0), (1, 2)), (2,))
        subkey = lax.reshape(lax.slice(keys, (1, 0), (2, 2)), (2,))
        sort_keys = _random_bits(subkey, 32, shape)
        _, x = lax.sort((sort_keys, x), dimension=axis, is_stable=True)
    return x


_shuffle_jit = _jit((2,))(_shuffle_impl)


def _arange_shuffle(key, n):
    return _shuffle_impl(key, lax.iota(core.default_int(), n), 0)


_arange_shuffle_jit = _jit((1,))(_arange_shuffle)


def permutation(key, x, axis=0, independent=False):
    """A random permutation of arange(x) (x an int), or of x along `axis`."""
    k, _ = _check_key("permutation", key)
    if not np.ndim(x):
        if isinstance(x, Tracer) or np.dtype(lax.aval(x).dtype).kind not in "iu":
            raise TypeError("x must be an integer or at least 1-dimensional")
        return _arange_shuffle_jit(k, max(int(x), 0))   # a permutation of arange(x)
    x = jnp.asarray(x) if not isinstance(x, (Array, Tracer)) else x
    axis = axis % np.ndim(x)
    if independent or np.ndim(x) == 1:
        return _shuffle_jit(k, x, axis)
    ind = _arange_shuffle_jit(k, int(np.shape(x)[axis]))
    return _take(x, ind, axis)


def shuffle(key, x, axis=0):
    """Deprecated in JAX: permutation(key, x, axis, independent=True)."""
    return permutation(key, x, axis, independent=True)


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """A random sample of `shape` from the entries of `a` (or of arange(a)) along `axis`."""
    k, _ = _check_key("choice", key)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape argument of jax.random.choice must be a sequence, got {shape}")
    shape = _shape(shape, "choice")
    arr = a if isinstance(a, (Array, Tracer)) else jnp.asarray(a)
    if arr.ndim == 0:
        if isinstance(a, Tracer):
            raise core.ConcretizationTypeError(
                "random.choice: the population size `a` must be a concrete int, got a traced "
                "value; pass a Python int or mark it static.")
        n_inputs = int(np.asarray(a))
    else:
        axis = axis % arr.ndim
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return jnp.zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"Cannot take a larger sample (size {n_draws}) than population "
                         f"(size {n_inputs}) when 'replace=False'")
    if p is None:
        if replace:
            ind = randint(k, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else _take(arr, ind, axis)
        else:
            perm = permutation(k, n_inputs if arr.ndim == 0 else arr, axis)
            slices = (slice(None),) * axis + (slice(n_draws),)
            result = perm[slices]
    else:
        p_arr = jnp.asarray(p)
        if not is_float(lax.aval(p_arr).dtype):
            p_arr = p_arr.astype(core.default_float())
        if tuple(p_arr.shape) != (n_inputs,):
            raise ValueError("p must be None or a 1D vector with the same size as a.shape[axis]. "
                             f"p has shape {tuple(p_arr.shape)} and a.shape[axis] is {n_inputs}.")
        if replace:
            ind = _choice_p_replace_jit(k, p_arr, shape)
        else:
            ind = _choice_p_noreplace_jit(k, p_arr, n_draws, mode or "low")
        result = ind if arr.ndim == 0 else _take(arr, ind, axis)
    out_shape = shape if arr.ndim == 0 else \
        tuple(arr.shape[0:axis]) + shape + tuple(arr.shape[axis + 1:])
    return jnp.reshape(result, out_shape)


def _choice_p_replace(key, p, shape):
    dtype = lax.aval(p).dtype
    p_cuml = lax.cumsum(p, axis=0)
    total = lax.reshape(lax.slice(p_cuml, (p_cuml.shape[0] - 1,), (p_cuml.shape[0],)), ())
    r = jnp.multiply(total, jnp.subtract(1, _uniform_impl(key, 0., 1., shape, dtype)))
    # searchsorted(p_cuml, r, side="left"): how many cumulative weights lie below r
    below = jnp.less(p_cuml, jnp.expand_dims(r, -1))
    return jnp.sum(below, axis=-1).astype(core.default_int())


_choice_p_replace_jit = _jit((2,))(_choice_p_replace)


def _choice_p_noreplace(key, p, n_draws, mode):
    dtype = lax.aval(p).dtype
    g = jnp.add(_gumbel_impl(key, (p.shape[0],), dtype, mode), lax.xla_log(p))
    return lax.top_k(g, n_draws)[1].astype(core.default_int())


_choice_p_noreplace_jit = _jit((2, 3))(_choice_p_noreplace)


def _categorical_impl(key, logits, axis, shape, batch_shape, replace, mode):
    nd = logits.ndim
    shape_prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        axis = axis - nd if axis >= 0 else axis
        logits_shape = list(shape[len(shape) - len(batch_shape):])
        logits_shape.insert(axis % nd, logits.shape[axis])
        g = _gumbel_impl(key, (*shape_prefix, *logits_shape), lax.aval(logits).dtype, mode)
        expanded = lax.expand_dims(logits, tuple(range(len(shape_prefix))))
        return jnp.argmax(jnp.add(g, expanded), axis=axis)
    logits = jnp.add(logits, _gumbel_impl(key, tuple(logits.shape), lax.aval(logits).dtype, mode))
    k = math.prod(shape_prefix)
    if k > logits.shape[axis]:
        raise ValueError(f"Number of samples without replacement ({k}) cannot exceed number of "
                         f"categories ({logits.shape[axis]}).")
    _, indices = lax.top_k(jnp.moveaxis(logits, axis, -1), k)
    dims = (indices.ndim - 1, *range(indices.ndim - 1))
    return lax.reshape(indices, shape, dims)


_categorical_jit = _jit((2, 3, 4, 5, 6))(_categorical_impl)


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    """Samples from categorical distributions given by unnormalized log-probabilities."""
    k, _ = _check_key("categorical", key)
    logits = logits if isinstance(logits, (Array, Tracer)) else jnp.asarray(logits)
    if not is_float(lax.aval(logits).dtype):
        logits = logits.astype(core.default_float())
    axis = int(axis)
    batch_shape = tuple(np.delete(np.array(logits.shape, dtype=np.int64), axis).tolist())
    if shape is None:
        shape = batch_shape
    else:
        shape = _shape(shape, "categorical")
        _check_shape("categorical", shape, batch_shape)
    return _categorical_jit(k, logits, axis, shape, batch_shape, bool(replace), mode or "low")
