"""mlax.nn: activation functions and friends, as in jax.nn.

Each is built from mlax.numpy / mlax.lax, so it runs eagerly and under jit, grad and vmap.
Where JAX gives a kink a particular derivative (relu at 0: 0), the select is written so the
same derivative comes out.
"""
from __future__ import annotations

import numpy as _np

from mlax import api_names as _api_names
from mlax import core, lax
from mlax import numpy as jnp
from mlax.nn import initializers  # noqa: F401  (jax.nn.initializers)
from mlax.numpy._util import _arr, _axes, _dt, _float_args, _promote
from mlax.custom_derivatives import custom_jvp
from mlax.scipy.special import _log1mexp, logsumexp  # noqa: F401  (jax.nn.logsumexp)
from mlax.runtime.dtypes import finfo


def _f(x):
    return _float_args(x)[0]


# relu and relu6 are JAX's: max/min (NaN in, NaN out) with a rule giving derivative 1 strictly
# inside the linear piece and 0 elsewhere (at the kinks, and at NaN).

@custom_jvp
def relu(x):
    """max(x, 0), with derivative 0 at 0."""
    return jnp.maximum(x, 0)


relu.defjvps(lambda g, ans, x: jnp.where(x > 0, g, jnp.zeros_like(g)))


@custom_jvp
def _relu6(x):
    return jnp.minimum(jnp.maximum(x, 0), 6.0)


_relu6.defjvps(lambda g, ans, x: jnp.where((x > 0) & (x < 6), g, jnp.zeros_like(g)))


def relu6(x):
    """min(max(x, 0), 6), with derivative 0 at both kinks; integers become floats (JAX)."""
    return _relu6(_f(x))


def sigmoid(x):
    return lax.logistic(_f(x))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return -softplus(-_f(x))


def softplus(x):
    """log(1 + exp(x)), stable for large |x|."""
    return jnp.logaddexp(_f(x), 0.0)


def soft_sign(x):
    x = _f(x)
    return x / (jnp.abs(x) + 1)


def silu(x):
    """x * sigmoid(x)."""
    x = _f(x)
    return x * lax.logistic(x)


swish = silu


def hard_sigmoid(x):
    return relu6(_f(x) + 3.0) / 6.0


def hard_silu(x):
    x = _f(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    x = _f(x)
    return jnp.where(x > 1, 1.0, jnp.where(x < -1, -1.0, x)).astype(x.dtype)


def tanh(x):
    return jnp.tanh(x)


def elu(x, alpha=1.0):
    x = _f(x)
    safe = jnp.where(x > 0, 0.0, x).astype(x.dtype)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe))


def celu(x, alpha=1.0):
    x = _f(x)
    return jnp.maximum(x, 0.0) + alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha)


def selu(x):
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def leaky_relu(x, negative_slope=0.01):
    x = _f(x)
    return jnp.where(x >= 0, x, negative_slope * x)


def gelu(x, approximate=True):
    """x * Phi(x): the tanh approximation by default (JAX's default), or exact. The exact form
    uses erfc(-x / sqrt 2) / 2 for Phi, which keeps its left tail (1 + erf(x / sqrt 2) cancels
    to 0 below x = -5.5 in float32), as JAX does."""
    x = _f(x)
    if approximate:
        c = _np.sqrt(2 / _np.pi).astype(x.dtype)
        return 0.5 * x * (1 + jnp.tanh(c * (x + 0.044715 * (x * x * x))))
    return 0.5 * x * lax.erfc(-x * _np.sqrt(0.5).astype(x.dtype))


def glu(x, axis=-1):
    """The gated linear unit: first half * sigmoid(second half) along `axis`."""
    x = _f(x)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} must have an even size, got {n}")
    a, b = jnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def squareplus(x, b=4):
    x = _f(x)
    return (x + jnp.sqrt(x * x + b)) / 2


def mish(x):
    x = _f(x)
    return x * jnp.tanh(softplus(x))


def sparse_plus(x):
    x = _f(x)
    return jnp.where(x <= -1, 0.0, jnp.where(x >= 1, x, (x + 1) ** 2 / 4)).astype(x.dtype)


def _masked(x, where, fill):
    if where is None:
        return x
    return jnp.where(where, x, fill)


# softmax and log_softmax follow JAX's formulas exactly, so non-finite inputs give JAX's
# results: a +inf (or a row of -inf) makes the row NaN, masked-out entries are 0 / -inf.

def softmax(x, axis=-1, where=None, initial=None):
    """exp(x) / sum(exp(x)) along `axis`, shifted by the (non-differentiated) maximum."""
    x = _f(x)
    xmax = lax.stop_gradient(jnp.max(x, axis=axis, where=where, initial=-_np.inf, keepdims=True))
    unnormalized = jnp.exp(_masked(x, where, -_np.inf) - xmax)
    out = unnormalized / jnp.sum(unnormalized, axis=axis, where=where, keepdims=True)
    return _masked(out, where, 0.0)


def log_softmax(x, axis=-1, where=None, initial=None):
    """x - logsumexp(x) along `axis`."""
    x = _f(x)
    xmax = lax.stop_gradient(jnp.max(x, axis=axis, where=where, initial=-_np.inf, keepdims=True))
    shifted = _masked(x, where, -_np.inf) - xmax
    out = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=axis, where=where, keepdims=True))
    return _masked(out, where, -_np.inf)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    """(x - mean) / sqrt(variance + epsilon) along `axis`."""
    x = _f(x)
    if mean is None:
        mean = jnp.mean(x, axis=axis, keepdims=True, where=where)
    if variance is None:
        variance = jnp.mean(jnp.square(x), axis=axis, keepdims=True, where=where) - jnp.square(mean)
    return (x - mean) * lax.rsqrt(jnp.asarray(variance, x.dtype) + epsilon)


normalize = standardize


def one_hot(x, num_classes, *, dtype=None, axis=-1):
    """x[..., None] == arange(num_classes), placed at `axis`, as `dtype` (default float)."""
    x = _arr(x)
    num_classes = int(num_classes)
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    out_nd = x.ndim + 1
    axis = axis % out_nd
    shape = x.shape[:axis] + (num_classes,) + x.shape[axis:]
    lhs = lax.broadcast_in_dim(x, shape, tuple(d for d in range(out_nd) if d != axis))
    rhs = lax.broadcasted_iota(_dt(x), shape, axis)
    return lax.convert_element_type(lax.eq(lhs, rhs), dtype)


def identity(x):
    return _arr(x)


def sparse_sigmoid(x):
    """0.5 * clip(x + 1, 0, 2): the sparsemax counterpart of sigmoid."""
    return 0.5 * jnp.clip(_f(x) + 1.0, 0.0, 2.0)


def log1mexp(x):
    """log(1 - exp(-x)) for x > 0, accurate near 0 and for large x."""
    return _log1mexp(_f(x))


def logmeanexp(x, axis=None, where=None, keepdims=False):
    """log(mean(exp(x))) along `axis`."""
    x = _f(x)
    axes = _axes(axis, x.ndim)
    if where is None:
        n = 1
        for a in axes:
            n *= x.shape[a]
        count = float(n)
    else:
        count = jnp.sum(jnp.broadcast_to(where, x.shape), axis=axes, keepdims=keepdims).astype(x.dtype)
    return logsumexp(x, axis=axes, keepdims=keepdims, where=where) - jnp.log(count)


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None, is_causal=False,
                          query_seq_lengths=None, key_value_seq_lengths=None, local_window_size=None,
                          implementation=None):
    """softmax(Q K^T * scale + bias, masked) V over (batch, seq, heads, head_dim) inputs, with
    grouped-query attention when key/value have fewer heads (the XLA formulation of jax.nn)."""
    if implementation not in (None, "xla"):
        raise NotImplementedError(f"dot_product_attention(implementation={implementation!r})")
    q, k, v = _promote(_f(query), _f(key), _f(value))
    unbatched = q.ndim == 3
    if unbatched:
        q, k, v = q[None], k[None], v[None]
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError("dot_product_attention expects (B, T, N, H) or (T, N, H) inputs")
    B, T, N, H = q.shape
    S, K = k.shape[1], k.shape[2]
    if N % K:
        raise ValueError(f"dot_product_attention: {N} query heads are not a multiple of {K} key heads")
    G = N // K
    scale = 1.0 / _np.sqrt(H) if scale is None else scale
    qg = jnp.reshape(q, (B, T, K, G, H))
    logits = jnp.einsum("btkgh,bskh->bkgts", qg, k) * scale

    def per_head(a):   # (B or 1, N or 1, T or 1, S or 1) -> broadcast to (B, K, G, T, S)
        a = _arr(a)
        if unbatched and a.ndim == 3:
            a = a[None]
        a = jnp.broadcast_to(a, (B, N, T, S))
        return jnp.reshape(a, (B, K, G, T, S))
    if bias is not None:
        logits = logits + per_head(bias).astype(logits.dtype)
    keep = None
    if mask is not None:
        keep = per_head(mask).astype(_np.bool_)
    t_idx = lax.broadcasted_iota(_np.int32, (T, S), 0)
    s_idx = lax.broadcasted_iota(_np.int32, (T, S), 1)
    extra = []
    if is_causal:
        extra.append(s_idx <= t_idx)
    if local_window_size is not None:
        left, right = (local_window_size, local_window_size) if isinstance(local_window_size, int) \
            else local_window_size
        extra.append((s_idx >= t_idx - left) & (s_idx <= t_idx + right))
    for m in extra:
        keep = m if keep is None else keep & m
    if key_value_seq_lengths is not None:
        kv = _arr(key_value_seq_lengths).astype(_np.int32)
        m = lax.broadcasted_iota(_np.int32, (B, 1, 1, 1, S), 4) < kv[:, None, None, None, None]
        keep = m if keep is None else keep & m
    if query_seq_lengths is not None:
        ql = _arr(query_seq_lengths).astype(_np.int32)
        m = lax.broadcasted_iota(_np.int32, (B, 1, 1, T, 1), 3) < ql[:, None, None, None, None]
        keep = m if keep is None else keep & m
    if keep is not None:
        large_negative = -0.7 * float(finfo(logits.dtype).max)
        logits = jnp.where(keep, logits, large_negative)
    probs = softmax(logits.astype(_np.float32), axis=-1).astype(q.dtype)
    out = jnp.einsum("bkgts,bskh->btkgh", probs, v)
    out = jnp.reshape(out, (B, T, N, H))
    return out[0] if unbatched else out


# Names jax.nn has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
__getattr__ = _api_names.module_getattr("jax.nn", __name__)
