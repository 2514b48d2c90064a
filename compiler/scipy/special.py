"""mlax.scipy.special: special functions over mlax arrays, as in jax.scipy.special.

Each function is built from mlax.numpy / mlax.lax, so it runs eagerly and under jit, grad and
vmap. Functions with removable singularities (xlogy at x = 0, entr at 0) select a safe operand
first so their gradients stay finite where JAX's custom derivatives make them finite.
"""
from __future__ import annotations

import numpy as _np

from mlax import lax
from mlax import numpy as jnp
from mlax.numpy._util import _axes, _float_args
from mlax.numpy._shapes import _broadcast
from mlax.numpy._ufuncs import _as_bool


def _float(*args):
    return _broadcast(*_float_args(*args))


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over `axis`, computed around the maximum; with return_sign, the
    log of the absolute value and the sign (for negative weights b)."""
    a = _float_args(a)[0]
    if b is not None:
        a, b = _float(a, b)
        a = jnp.where(b != 0, a, -_np.inf)   # a zero weight drops its term, even an infinite one
    axes = _axes(axis, a.ndim)
    if where is not None:
        mask = jnp.broadcast_to(_as_bool(where), a.shape)
        a = jnp.where(mask, a, -_np.inf)
    amax = jnp.max(a, axis=axes, keepdims=True, initial=-_np.inf)
    amax = lax.stop_gradient(jnp.where(jnp.isfinite(amax), amax, jnp.zeros_like(amax)))
    e = jnp.exp(a - amax)
    if b is not None:
        e = e * b
    s = jnp.sum(e, axis=axes, keepdims=True)
    sign = jnp.sign(s)
    out = jnp.log(jnp.abs(s)) + amax
    if not keepdims:
        out = jnp.squeeze(out, axes)
        sign = jnp.squeeze(sign, axes)
    if return_sign:
        return out, sign
    if b is not None:
        out = jnp.where(sign < 0, jnp.nan, out)
    return out


def expit(x):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    return lax.logistic(_float_args(x)[0])


def logit(x):
    x = _float_args(x)[0]
    return jnp.log(x / (1 - x))


def log_expit(x):
    """log(expit(x)) = -softplus(-x), stable for large |x|."""
    x = _float_args(x)[0]
    return -jnp.logaddexp(-x, 0.0)


def erf(x):
    return lax.erf(_float_args(x)[0])


def erfc(x):
    return lax.erfc(_float_args(x)[0])


def erfinv(x):
    return lax.erf_inv(_float_args(x)[0])


def gammaln(x):
    return lax.lgamma(_float_args(x)[0])


def gammasgn(x):
    """The sign of the gamma function (for the real line: negative on (-2k-1, -2k))."""
    x = _float_args(x)[0]
    floor_x = jnp.floor(x)
    neg_odd = jnp.remainder(floor_x, 2.0) == 1.0
    out = jnp.where((x < 0) & neg_odd, -1.0, 1.0).astype(x.dtype)
    out = jnp.where((x < 0) & (x == floor_x), jnp.nan, out)
    return jnp.where(x == 0, 1.0, out).astype(x.dtype)


def gamma(x):
    x = _float_args(x)[0]
    return gammasgn(x) * jnp.exp(gammaln(x))


def betaln(a, b):
    a, b = _float(a, b)
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def beta(a, b):
    a, b = _float(a, b)
    return gammasgn(a) * gammasgn(b) * gammasgn(a + b) * jnp.exp(betaln(a, b))


def digamma(x):
    return lax.digamma(_float_args(x)[0])


psi = digamma


def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension d (static int)."""
    a = _float_args(a)[0]
    d = int(d)
    const = (d * (d - 1) / 4.0) * _np.log(_np.pi)
    terms = [gammaln(a - j / 2.0) for j in range(d)]
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out + const


def xlogy(x, y):
    """x * log(y), 0 where x == 0 (also for y == 0)."""
    x, y = _float(x, y)
    zero = x == 0
    safe_y = jnp.where(zero, 1.0, y)
    return jnp.where(zero, 0.0, x * jnp.log(safe_y)).astype(x.dtype)


def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0."""
    x, y = _float(x, y)
    zero = x == 0
    safe_y = jnp.where(zero, 0.0, y)
    return jnp.where(zero, 0.0, x * jnp.log1p(safe_y)).astype(x.dtype)


def entr(x):
    """-x log x for x > 0, 0 at 0, -inf for x < 0."""
    x = _float_args(x)[0]
    pos = x > 0
    safe = jnp.where(pos, x, 1.0)
    out = jnp.where(pos, -x * jnp.log(safe), jnp.where(x == 0, 0.0, -_np.inf))
    return out.astype(x.dtype)


def rel_entr(x, y):
    """x log(x / y) for x, y > 0; 0 at x == 0, y >= 0; inf otherwise."""
    x, y = _float(x, y)
    both = (x > 0) & (y > 0)
    sx, sy = jnp.where(both, x, 1.0), jnp.where(both, y, 1.0)
    out = jnp.where(both, sx * jnp.log(sx / sy), jnp.where((x == 0) & (y >= 0), 0.0, _np.inf))
    return out.astype(x.dtype)


def kl_div(x, y):
    """x log(x / y) - x + y for x, y > 0; y at x == 0, y >= 0; inf otherwise."""
    x, y = _float(x, y)
    both = (x > 0) & (y > 0)
    sx, sy = jnp.where(both, x, 1.0), jnp.where(both, y, 1.0)
    out = jnp.where(both, sx * jnp.log(sx / sy) - sx + sy, jnp.where((x == 0) & (y >= 0), y, _np.inf))
    return out.astype(x.dtype)


_SQRT2 = _np.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * _np.log(2 * _np.pi)


def ndtr(x):
    """The standard normal CDF: erfc(-x / sqrt 2) / 2."""
    x = _float_args(jnp.asarray(x))[0]   # lists are accepted here, as in JAX
    return 0.5 * lax.erfc(-x / _SQRT2)


def ndtri(p):
    """The inverse of ndtr: sqrt(2) erfinv(2p - 1)."""
    p = _float_args(p)[0]
    return _SQRT2 * lax.erf_inv(2.0 * p - 1.0)


def log_ndtr(x, series_order=3):
    """log(ndtr(x)), accurate in both tails: log1p(-ndtr(-x)) on the right, log(ndtr(x)) in
    the middle, and the asymptotic series of the Mills ratio on the far left (as JAX)."""
    x = _float_args(jnp.asarray(x))[0]   # lists are accepted here, as in JAX
    if x.dtype == _np.float64:
        lower, upper = -20.0, 8.0
    else:
        lower, upper = -10.0, 5.0
    right = jnp.log1p(-ndtr(-jnp.maximum(x, upper)))
    mid = jnp.log(ndtr(jnp.clip(x, lower, upper)))
    xl = jnp.minimum(x, lower)
    x2 = xl * xl
    # sum_{k} (-1)^k (2k-1)!! / x^(2k)
    series = jnp.ones_like(xl)
    term = jnp.ones_like(xl)
    for k in range(1, series_order + 1):
        term = term * (-(2 * k - 1)) / x2
        series = series + term
    left = -0.5 * x2 - jnp.log(-xl) - _LOG_SQRT_2PI + jnp.log(series)
    return jnp.where(x > upper, right, jnp.where(x > lower, mid, left))


def softmax(x, axis=None):
    """SciPy's softmax, exp(x - logsumexp(x)): over all elements unless `axis` is given."""
    return jnp.exp(log_softmax(x, axis=axis))


def log_softmax(x, axis=None):
    """SciPy's log_softmax, x - logsumexp(x): over all elements unless `axis` is given."""
    x = jnp.asarray(x)
    return x - lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True)) - logsumexp(
        x - lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True)), axis=axis, keepdims=True)


def sinc(x):
    return jnp.sinc(x)


def loggamma(x):
    """log(gamma(x)) for real x > 0 (NaN for x <= 0, as jax.scipy.special.loggamma)."""
    x = _float_args(x)[0]
    return jnp.where(x > 0, gammaln(x), jnp.nan)


def factorial(n, exact=False):
    if exact:
        raise NotImplementedError("factorial(exact=True)")
    n = _float_args(n)[0]
    return jnp.where(n < 0, 0.0, jnp.exp(gammaln(n + 1))).astype(n.dtype)


def poch(z, m):
    """The rising factorial gamma(z + m) / gamma(z)."""
    z, m = _float(z, m)
    return gammasgn(z + m) * gammasgn(z) * jnp.exp(gammaln(z + m) - gammaln(z))


def boxcox(x, lmbda):
    x, lmbda = _float(x, lmbda)
    zero = lmbda == 0
    safe = jnp.where(zero, 1.0, lmbda)
    return jnp.where(zero, jnp.log(x), jnp.expm1(safe * jnp.log(x)) / safe)


def boxcox1p(x, lmbda):
    x, lmbda = _float(x, lmbda)
    zero = lmbda == 0
    safe = jnp.where(zero, 1.0, lmbda)
    return jnp.where(zero, jnp.log1p(x), jnp.expm1(safe * jnp.log1p(x)) / safe)
