"""PRNG keys and the threefry2x32 hash, as JAX's prng module: what mlax.random builds on.

A key is the state of the threefry2x32 counter-based generator: two uint32 words.
`PRNGKey(seed)` returns it as a raw `uint32[2]` array; `key(seed)` wraps the same words in
a typed key (`PRNGKeyArray`, printed as JAX prints `key<fry>` arrays). New keys (`split`,
`fold_in`) and random bits (`_random_bits`) come from hashing counters with threefry2x32,
exactly as JAX's default implementation does.

JAX's `jax_threefry_partitionable` flag picks how counters are laid out. jax 0.10 defaults
it to True, and so does mlax (`mlax.config.update("jax_threefry_partitionable", False)`
gives the layout of older JAX releases, whose values some tutorials print).

The public names are re-exported by mlax.random, where users reach them.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from mlax import core, dtypes, lax
from mlax import numpy as jnp
from mlax.api import PjitFunction
from mlax.runtime import Array, basearray
from mlax.tracing import Tracer
from mlax.pytree import register_public_leaf, register_pytree_node

# The layout flag lives with the other JAX options (mlax.config); default as in jax 0.10.
core.config.values.setdefault("jax_threefry_partitionable", True)

__all__ = ["PRNGKey", "key", "key_data", "wrap_key_data", "key_impl", "clone", "split",
           "fold_in", "threefry_2x32", "PRNGKeyArray"]


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
    two uint32 words of the trailing axis. One leaf to mlax.tree_util's functions, as in
    JAX; a node over its key data to the transforms (mlax.pytree), so jit, vmap, grad and
    control flow pass typed keys through as their uint32 data."""
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
register_public_leaf(PRNGKeyArray)         # one leaf to jax.tree_util's functions, as in JAX
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
# Internal jit: one PjitFunction per (function, layout flag, x64), static shapes and dtypes.

_JITS = {}


def _jit(static_argnums):
    def deco(fun):
        def call(*args):
            flag = (fun, _partitionable(), core.config.x64_enabled)
            j = _JITS.get(flag)
            if j is None:
                j = _JITS[flag] = PjitFunction(fun, static_argnums=static_argnums)
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
