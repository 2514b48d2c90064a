"""mlax.random: JAX's explicit-key PRNG, bit for bit.

A key is the state of the threefry2x32 counter-based generator: two uint32 words.
`PRNGKey(seed)` returns it as a raw `uint32[2]` array; `key(seed)` wraps the same words in
a typed key (`PRNGKeyArray`, printed as JAX prints `key<fry>` arrays). Every function here
derives new keys or random bits by hashing counters with threefry2x32, exactly as JAX's
default implementation does, so keys, bits, `randint`, `permutation`, `choice` and
`uniform` samples over [0, 1) are bit-identical to JAX's for the same seed. `normal` agrees
to a few ulps (its erf_inv is mlax's), and `uniform` over another range to an ulp of the
range (XLA fuses `u * (maxval - minval) + minval` into one FMA; mlax rounds twice).

JAX's `jax_threefry_partitionable` flag picks how counters are laid out. jax 0.10 defaults
it to True, and so does mlax (`mlax.config.update("jax_threefry_partitionable", False)`
gives the layout of older JAX releases, whose values some tutorials print).

Samplers are jitted internally (static shape and dtype), so an eager call compiles once per
signature and runs as one executable; under a trace they become a nested function.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from mlax import core, dtypes, lax
from mlax.runtime import basearray
from mlax import numpy as jnp
from mlax.api import Jitted
from mlax.runtime import Array
from mlax.tracing import Tracer
from mlax.tree_util import register_pytree_node

# The layout flag lives with the other JAX options (mlax.config); default as in jax 0.10.
core.config.values.setdefault("jax_threefry_partitionable", True)

__all__ = ["PRNGKey", "key", "key_data", "wrap_key_data", "key_impl", "clone", "split",
           "fold_in", "bits", "uniform", "normal", "bernoulli", "randint", "choice",
           "permutation", "shuffle", "categorical", "truncated_normal", "gumbel",
           "exponential", "threefry_2x32", "PRNGKeyArray"]

_UINT = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: np.dtype(np.uint32),
         64: np.dtype(np.uint64)}
_U32 = np.dtype(np.uint32)


# ---------------------------------------------------------------------------------------
# Typed keys


class KeyDType:
    """The dtype of typed threefry keys: prints as `key<fry>`; its scalar type is
    `mlax.dtypes.prng_key` (`jnp.issubdtype(key.dtype, mlax.dtypes.prng_key)`)."""
    name = "key<fry>"
    type = dtypes.prng_key

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, KeyDType) or other == "key<fry>"

    def __hash__(self):
        return hash("key<fry>")


_KEY_DTYPE = KeyDType()


class PRNGKeyArray:
    """An array of typed PRNG keys (`jax.random.key`): shape `data.shape[:-1]`, each key the
    two uint32 words of the trailing axis. A pytree node over its key data, so jit, vmap
    and grad pass typed keys through as their uint32 data."""
    __slots__ = ("_base",)

    def __init__(self, base):
        self._base = base

    shape = property(lambda self: tuple(self._base.shape[:-1]))
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    dtype = property(lambda self: _KEY_DTYPE)

    def __getitem__(self, idx):
        if not isinstance(idx, tuple):
            idx = (idx,)
        return PRNGKeyArray(self._base[idx + (slice(None),)])

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d key array")
        return (self[i] for i in range(self.shape[0]))

    def __eq__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return jnp.all(jnp.equal(self._base, other._base), axis=-1)

    def __ne__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return jnp.logical_not(self == other)

    def __bool__(self):
        raise TypeError("key array cannot be converted to boolean.")

    __hash__ = None

    def block_until_ready(self):
        return self

    def __repr__(self):
        if isinstance(self._base, Tracer):
            return f"Traced<key<fry>[{','.join(map(str, self.shape))}]>"
        return f"Array({self.shape}, dtype=key<fry>) overlaying:\n{self._base}"

    __str__ = __repr__


register_pytree_node(PRNGKeyArray, lambda k: ([k._base], None), lambda _, c: PRNGKeyArray(c[0]))
basearray.Array.register(PRNGKeyArray)     # a typed key array is a jax.Array in JAX


def _check_key(name, key, allow_batched=False):
    """The uint32[..., 2] data of `key` and whether it was typed; clear errors otherwise."""
    typed = isinstance(key, PRNGKeyArray)
    data = key._base if typed else key
    if not typed:
        if not isinstance(data, (Array, Tracer, np.ndarray)):
            raise TypeError(f"{name}: unexpected PRNG key type {type(key).__name__}; pass a key "
                            "from random.PRNGKey(seed) or random.key(seed).")
        if data.dtype != _U32 or not data.shape or data.shape[-1] != 2:
            raise TypeError(f"{name}: a PRNG key must be a uint32 array of shape (2,) (from "
                            "random.PRNGKey) or a typed key (from random.key), got an array of "
                            f"shape {tuple(data.shape)} and dtype {data.dtype}.")
        if isinstance(data, np.ndarray):
            data = Array(np.ascontiguousarray(data))
    if not allow_batched and tuple(data.shape) != (2,):
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                         f"{tuple(data.shape[:-1])} != (). Use jax.vmap for batching.")
    return data, typed


def _wrap(data, typed):
    return PRNGKeyArray(data) if typed else data


# ---------------------------------------------------------------------------------------
# Internal jit: one Jitted per (function, layout flag, x64), static shapes and dtypes.

_JITS = {}


def _jit(static_argnums):
    def deco(fun):
        def call(*args):
            flag = (fun, _partitionable(), core.config.x64_enabled)
            j = _JITS.get(flag)
            if j is None:
                j = _JITS[flag] = Jitted(fun, static_argnums=static_argnums)
            return j(*args)
        call.__name__ = fun.__name__
        call.__wrapped__ = fun
        return call
    return deco


def _partitionable():
    return bool(core.config.values.get("jax_threefry_partitionable", True))


# ---------------------------------------------------------------------------------------
# threefry2x32 and the key/bit derivations built on it


def _full(shape, value, dtype=_U32):
    return np.full(shape, value, dtype)


def _threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 (20 rounds) of counters (x0, x1) under key (k0, k1): uint32 arrays of
    one shape (the `mlax.threefry2x32` op, which every backend lowers)."""
    return lax.threefry2x32_p(k0, k1, x0, x1)


def _key_words(key, shape):
    """The key's two words, each broadcast to `shape`."""
    words = []
    for i in range(2):
        w = lax.reshape(lax.slice(key, (i,), (i + 1,)), ())
        words.append(lax.broadcast_in_dim(w, shape, ()))
    return words


def _iota_2x32(shape):
    """(hi, lo) words of the uint64 counters 0..size-1 laid out in `shape`."""
    size = math.prod(shape)
    if size >= 2 ** 32:
        raise NotImplementedError(f"random values for {size} elements (2**32 or more)")
    if not shape:
        return _full((), 0), _full((), 0)
    lo = lax.reshape(lax.iota(_U32, size), shape)
    return _full(shape, 0), lo


def _hash_counts(key, count):
    """JAX's threefry_2x32(key, count): hash a flat counter array, split in halves."""
    shape = tuple(lax.aval(count).shape)
    flat = lax.reshape(count, (math.prod(shape),))
    n = math.prod(shape)
    if n % 2:
        flat = lax.concatenate([flat, _full((1,), 0)], 0)
    half = (n + 1) // 2
    x0 = lax.slice(flat, (0,), (half,))
    x1 = lax.slice(flat, (half,), (2 * half,))
    k0, k1 = _key_words(key, (half,))
    y0, y1 = _threefry2x32(k0, k1, x0, x1)
    out = lax.concatenate([y0, y1], 0)
    if n % 2:
        out = lax.slice(out, (0,), (n,))
    return lax.reshape(out, shape)


def _split_impl(key, shape):
    if _partitionable():
        hi, lo = _iota_2x32(shape)
        k0, k1 = _key_words(key, shape)
        b0, b1 = _threefry2x32(k0, k1, hi, lo)
        nd = len(shape)
        return lax.concatenate([lax.expand_dims(b0, (nd,)), lax.expand_dims(b1, (nd,))], nd)
    num = math.prod(shape)
    return lax.reshape(_hash_counts(key, lax.iota(_U32, num * 2)), (*shape, 2))


def _fold_in_impl(key, data):
    count = lax.concatenate([_full((1,), 0), lax.reshape(data, (1,))], 0)
    return _hash_counts(key, count)


def _random_bits(key, bit_width, shape):
    """Uniform random bits: unsigned ints of `bit_width` bits in an array of `shape`."""
    dtype = _UINT[bit_width]
    if _partitionable():
        hi, lo = _iota_2x32(shape)
        k0, k1 = _key_words(key, shape)
        b0, b1 = _threefry2x32(k0, k1, hi, lo)
        if bit_width == 64:
            b0 = lax.convert_element_type(b0, dtype)
            b1 = lax.convert_element_type(b1, dtype)
            return lax.bitwise_or(lax.shift_left(b0, _full(shape, 32, dtype)), b1)
        bits = lax.bitwise_xor(b0, b1)
        return bits if bit_width == 32 else lax.convert_element_type(bits, dtype)
    size = math.prod(shape)
    max_count = -(-bit_width * size // 32)
    bits = _hash_counts(key, lax.iota(_U32, max_count)) if max_count else _full((0,), 0)
    if bit_width == 64:
        half = max_count // 2
        hi = lax.convert_element_type(lax.slice(bits, (0,), (half,)), dtype)
        lo = lax.convert_element_type(lax.slice(bits, (half,), (max_count,)), dtype)
        bits = lax.bitwise_or(lax.shift_left(hi, _full((half,), 32, dtype)), lo)
    elif bit_width in (8, 16):
        # bits.view(dtype)[:size]: each word's bytes (or halves), lowest first
        per = 32 // bit_width
        wide = lax.broadcast_in_dim(bits, (per, max_count), (1,))
        shifts = lax.broadcast_in_dim(
            (np.arange(per, dtype=_U32) * bit_width), (per, max_count), (0,))
        parts = lax.bitwise_and(lax.shift_right_logical(wide, shifts),
                                _full((per, max_count), np.iinfo(dtype).max))
        parts = lax.reshape(lax.transpose(parts, (1, 0)), (per * max_count,))
        bits = lax.slice(lax.convert_element_type(parts, dtype), (0,), (size,))
    return lax.reshape(bits, shape)


# ---------------------------------------------------------------------------------------
# Keys


def _seed_words(seed):
    """(hi, lo) of a concrete integer seed, as JAX's threefry_seed computes them."""
    mask = 0xFFFFFFFF
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        x = int(seed)
        dtype = np.dtype(np.int64) if isinstance(seed, int) else np.dtype(type(seed))
    else:
        arr = np.asarray(seed)
        x, dtype = int(arr), arr.dtype
    if core.canonicalize_dtype(dtype).itemsize == 8:
        return (x >> 32) & mask, x & mask
    return 0, x & mask


@_jit(())
def _seed_traced(seed):
    dtype = lax.aval(seed).dtype
    lo = lax.convert_element_type(seed, _U32)
    if dtype.itemsize == 8:
        hi = lax.convert_element_type(
            lax.shift_right_logical(seed, np.full((), 32, dtype)), _U32)
    else:
        hi = _full((), 0)
    return lax.concatenate([lax.reshape(hi, (1,)), lax.reshape(lo, (1,))], 0)


def _seed(ctor, seed):
    if isinstance(seed, PRNGKeyArray):
        raise TypeError(f"{ctor} accepts a scalar seed, but was given a PRNG key.")
    if np.ndim(seed):
        raise TypeError(f"{ctor} accepts a scalar seed, but was given an array of shape "
                        f"{np.shape(seed)} != (). Use jax.vmap for batching")
    if isinstance(seed, (bool, np.bool_)) or np.dtype(lax.aval(seed).dtype).kind not in "iu":
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    if isinstance(seed, Tracer):
        return _seed_traced(seed)
    hi, lo = _seed_words(seed)
    return Array(np.array([hi, lo], dtype=_U32))


def PRNGKey(seed, *, impl=None):
    """A raw key: the uint32[2] threefry state for an integer seed."""
    _check_impl(impl)
    return _seed("PRNGKey", seed)


def key(seed, *, impl=None, dtype=None):
    """A typed key (dtype key<fry>) for an integer seed."""
    _check_impl(impl if impl is not None else dtype)
    return PRNGKeyArray(_seed("key", seed))


def _check_impl(impl):
    if impl is None or impl == "threefry2x32" or isinstance(impl, KeyDType):
        return
    raise ValueError(f"mlax.random supports the threefry2x32 PRNG only, got impl={impl!r}")


def key_data(keys):
    """The uint32 words under a key array (a raw key is its own data)."""
    data, _ = _check_key("key_data", keys, allow_batched=True)
    return data


def wrap_key_data(key_bits_array, *, impl=None, dtype=None):
    """A typed key array over uint32 words of shape (..., 2)."""
    _check_impl(impl if impl is not None else dtype)
    data, _ = _check_key("wrap_key_data", key_bits_array, allow_batched=True)
    return PRNGKeyArray(data)


def key_impl(keys):
    _check_key("key_impl", keys, allow_batched=True)
    return "threefry2x32"


def clone(key):
    return key


@_jit((1,))
def _split_jit(key, shape):
    return _split_impl(key, shape)


def split(key, num=2):
    """`num` new keys (or an array of keys of shape `num`) from one key."""
    data, typed = _check_key("split", key)
    shape = _shape(num, "split")
    if 0 in shape:   # no keys to derive
        return _wrap(jnp.zeros((*shape, 2), _U32), typed)
    return _wrap(_split_jit(data, shape), typed)


@_jit(())
def _fold_in_jit(key, data):
    return _fold_in_impl(key, data)


def fold_in(key, data):
    """A new key from `key` and a 32-bit integer `data`."""
    k, typed = _check_key("fold_in", key)
    if np.ndim(data):
        raise TypeError("fold_in accepts a scalar, but was given an array of"
                        f"shape {np.shape(data)} != (). Use jax.vmap for batching.")
    if isinstance(data, Tracer):
        data = lax.convert_element_type(data, _U32)
    else:
        data = np.asarray(int(np.asarray(data)) & 0xFFFFFFFF, _U32)
    return _wrap(_fold_in_jit(k, data), typed)


def threefry_2x32(keypair, count):
    """Apply the threefry2x32 hash to a uint32 counter array under a key (k0, k1)."""
    k0, k1 = keypair
    key = lax.concatenate([lax.reshape(jnp.asarray(k0, _U32), (1,)),
                           lax.reshape(jnp.asarray(k1, _U32), (1,))], 0)
    return _hash_counts(key, jnp.asarray(count, _U32))


# ---------------------------------------------------------------------------------------
# Samplers


def _shape(shape, name):
    """A sample shape as a tuple of ints; a float or negative size is a TypeError naming the
    sampler and the shape."""
    if shape is None:
        return None
    dims = (shape,) if isinstance(shape, (int, np.integer)) or np.ndim(shape) == 0 else tuple(shape)
    try:
        out = tuple(operator.index(d) for d in dims)
    except TypeError:
        raise TypeError(f"{name}: shape must be a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in out):
        raise TypeError(f"{name}: shape {shape!r} has a negative size; sizes must be >= 0")
    return out


def _float_dtype(name, dtype):
    dtype = core.canonicalize_dtype(core.default_float() if dtype is None else dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype argument to `{name}` must be a float dtype, got {dtype}")
    return dtype


def _check_shape(name, shape, *param_shapes):
    shape = _shape(shape, name)
    if param_shapes:
        full = np.broadcast_shapes(shape, *param_shapes)
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
    finfo = np.finfo(dtype)
    nbits, nmant = finfo.bits, finfo.nmant
    uint = _UINT[nbits]
    minval = lax.convert_element_type(minval, dtype)
    maxval = lax.convert_element_type(maxval, dtype)
    bits = _random_bits(key, nbits, shape)
    float_bits = lax.bitwise_or(
        lax.shift_right_logical(bits, _full(shape, nbits - nmant, uint)),
        _full(shape, np.array(1.0, dtype).view(uint), uint))
    floats = lax.sub(lax.bitcast_convert_type(float_bits, dtype), _full(shape, 1.0, dtype))
    scaled = jnp.add(jnp.multiply(floats, jnp.subtract(maxval, minval)), minval)
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
    """Standard normal samples."""
    k, _ = _check_key("normal", key)
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
    a = lax.erf(jnp.divide(lower, sqrt2))
    b = lax.erf(jnp.divide(upper, sqrt2))
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
    if dtype.kind != "f":
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
    u2 = jnp.multiply(u2, np.array(2. ** -np.finfo(dtype).nmant, dtype))
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
    info = np.finfo(dtype)
    if mode == "high":
        u = _uniform_impl(key, 0., 1., (2,) + shape, dtype)
        high, low = u[0], u[1]
        x = jnp.where(jnp.greater_equal(high, 0.5), high,
                      jnp.add(jnp.add(high, jnp.multiply(np.array(2. ** -info.nmant, dtype), low)),
                              np.array(info.tiny, dtype)))
        return jnp.negative(jnp.log(jnp.negative(lax.log1p(jnp.negative(x)))))
    u = _uniform_impl(key, np.array(info.tiny, dtype), 1., shape, dtype)
    return jnp.negative(jnp.log(jnp.negative(jnp.log(u))))


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
    return jnp.negative(lax.log1p(jnp.negative(u)))


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
        if lax.aval(p_arr).dtype.kind != "f":
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
    g = jnp.add(_gumbel_impl(key, (p.shape[0],), dtype, mode), jnp.log(p))
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
    if lax.aval(logits).dtype.kind != "f":
        logits = logits.astype(core.default_float())
    axis = int(axis)
    batch_shape = tuple(np.delete(np.array(logits.shape, dtype=np.int64), axis).tolist())
    if shape is None:
        shape = batch_shape
    else:
        shape = _shape(shape, "categorical")
        _check_shape("categorical", shape, batch_shape)
    return _categorical_jit(k, logits, axis, shape, batch_shape, bool(replace), mode or "low")


# Names jax.random has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.random", __name__)
