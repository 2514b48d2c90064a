"""mlax.scipy.special: special functions over mlax arrays, as in jax.scipy.special.

Each function is built from mlax.numpy / mlax.lax, so it runs eagerly and under jit, grad and
vmap. Where JAX gives a function a custom derivative (xlogy, xlog1py and entr at x = 0), so
does mlax, with JAX's rule. The incomplete gamma and beta functions are mlax.lax's (JAX's
series and continued fractions, see mlax.lax_special); ndtri and betaln use JAX's (Cephes',
SciPy's) approximations, so values agree with JAX's within rounding. The functions that
are series, continued fractions and rational approximations (erfcx, dawsn, the Bessel
functions, the exponential integrals, the hypergeometric functions, owens_t, zeta, polygamma,
bernoulli, comb) are JAX's, ported in mlax.scipy.special_series.
"""
from __future__ import annotations

import numpy as _np

from mlax import lax
from mlax import numpy as jnp
from mlax.custom_derivatives import custom_jvp
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


def _algdiv(a, b):
    """log(gamma(b)) - log(gamma(a + b)) for b >= 8 and a <= b, by the asymptotic series of
    SciPy's cdflib `algdiv` (as JAX's betaln)."""
    c0, c1, c2 = 0.833333333333333e-01, -0.277777777760991e-02, 0.793650666825390e-03
    c3, c4, c5 = -0.595202931351870e-03, 0.837308034031215e-03, -0.165322962780713e-02
    h = a / b
    c = h / (1 + h)
    x = h / (1 + h)
    d = b + (a - 0.5)
    x2 = x * x
    s3 = 1.0 + (x + x2)
    s5 = 1.0 + (x + x2 * s3)
    s7 = 1.0 + (x + x2 * s5)
    s9 = 1.0 + (x + x2 * s7)
    s11 = 1.0 + (x + x2 * s9)
    t = (1.0 / b) ** 2
    w = ((((c5 * s11 * t + c4 * s9) * t + c3 * s7) * t + c2 * s5) * t + c1 * s3) * t + c0
    w = w * (c / b)
    u = d * lax.log1p(a / b)
    v = a * (lax.log(b) - 1.0)
    return jnp.where(u <= v, (w - v) - u, (w - u) - v)


def betaln(a, b):
    """log |B(a, b)|; for b >= 8 through SciPy's `algdiv` series (as JAX), which stays
    accurate where lgamma(a) + lgamma(b) - lgamma(a + b) cancels."""
    a, b = _float(a, b)
    a, b = jnp.minimum(a, b), jnp.maximum(a, b)
    small_b = lax.lgamma(a) + (lax.lgamma(b) - lax.lgamma(a + b))
    large_b = lax.lgamma(a) + _algdiv(a, b)
    return jnp.where(b < 8, small_b, large_b)


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b) (differentiable in x, as JAX)."""
    return lax.betainc(*_float(a, b, x))


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    return lax.igamma(*_float(a, x))


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    return lax.igammac(*_float(a, x))


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


@custom_jvp
def xlogy(x, y):
    """x * log(y), 0 where x == 0 (also for y == 0); a NaN y stays NaN (as SciPy). The
    derivative is JAX's: log(y) in x and x / y in y, also at x == 0."""
    x, y = _float(x, y)
    return jnp.where((x != 0) | jnp.isnan(y), x * jnp.log(y), jnp.zeros_like(x))


@xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    x, y = primals
    x_dot, y_dot = tangents
    out = xlogy(x, y)
    return out, (x_dot * jnp.log(y) + y_dot * x / y).astype(out.dtype)


@custom_jvp
def xlog1py(x, y):
    """x * log1p(y), 0 where x == 0 (also for y == -1); a NaN y stays NaN."""
    x, y = _float(x, y)
    return jnp.where((x != 0) | jnp.isnan(y), x * jnp.log1p(y), jnp.zeros_like(x))


@xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    x, y = primals
    x_dot, y_dot = tangents
    out = xlog1py(x, y)
    return out, (x_dot * jnp.log1p(y) + y_dot * x / (1 + y)).astype(out.dtype)


@custom_jvp
def _xlogx(x):
    return xlogy(x, x)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    x, = primals
    x_dot, = tangents
    return _xlogx(x), x_dot * (jnp.log(x) + 1)


def entr(x):
    """-x log x for x > 0, 0 at 0, -inf for x < 0 (derivative -(log x + 1), as JAX)."""
    x = _float_args(x)[0]
    return jnp.where(x < 0, -_np.inf, -_xlogx(x))


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


# Cephes' piecewise rational approximations of ndtri, as JAX uses them.
_NDTRI_P0 = [-5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
             1.39312609387279679503E1, -1.23916583867381258016E0]
_NDTRI_Q0 = [1.0, 1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
             -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
             1.59056225126211695515E1, -1.18331621121330003142E0]
_NDTRI_P1 = [4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
             4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
             -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4]
_NDTRI_Q1 = [1.0, 1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
             1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
             -3.80806407691578277194E-2, -9.33259480895457427372E-4]
_NDTRI_P2 = [3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
             1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
             3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9]
_NDTRI_Q2 = [1.0, 6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
             2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
             2.89247864745380683936E-6, 6.79019408009981274425E-9]


def _polyval(coeffs, x):
    out = jnp.zeros_like(x)
    for c in coeffs:
        out = out * x + _np.asarray(c, x.dtype)
    return out


def ndtri(p):
    """The inverse of ndtr, by Cephes' rational approximations (as JAX): for float32 and
    float64 inputs only, as in JAX."""
    p = jnp.asarray(p)
    dtype = p.dtype
    if dtype not in (_np.float32, _np.float64):
        raise TypeError(f"x.dtype={dtype} is not supported, see docstring for supported types.")
    t = dtype.type
    maybe_complement = jnp.where(p > t(-_np.expm1(-2.)), t(1.) - p, p)
    # 0 would give NaNs below; its result is replaced at the end.
    safe = jnp.where(maybe_complement == t(0.), t(0.5), maybe_complement)
    # p > exp(-2): x / sqrt(2 pi) = w + w**3 P0(w**2) / Q0(w**2).
    w = safe - t(0.5)
    ww = w * w
    x_big = w + w * ww * (_polyval(_NDTRI_P0, ww) / _polyval(_NDTRI_Q0, ww))
    x_big = x_big * -t(_np.sqrt(2. * _np.pi))
    # p <= exp(-2): x = z - log(z) / z - (1 / z) P(1 / z) / Q(1 / z), z = sqrt(-2 log p).
    z = jnp.sqrt(t(-2.) * jnp.log(safe))
    first = z - jnp.log(z) / z
    second_small = _polyval(_NDTRI_P2, 1 / z) / _polyval(_NDTRI_Q2, 1 / z) / z
    second_other = _polyval(_NDTRI_P1, 1 / z) / _polyval(_NDTRI_Q1, 1 / z) / z
    x = jnp.where(safe > t(_np.exp(-2.)), x_big,
                  jnp.where(z >= t(8.0), first - second_small, first - second_other))
    x = jnp.where(p > t(1. - _np.exp(-2.)), x, -x)
    return jnp.where(p == t(0.), -_np.inf, jnp.where(p == t(1.), _np.inf, x)).astype(dtype)


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


from mlax.scipy.special_series import (  # noqa: E402,F401
    bernoulli, bessel_jn, comb, dawsn, erfcx, exp1, expi, expn, hyp1f1, hyp2f1, i0, i0e, i1,
    i1e, owens_t, polygamma, sici, spence, zeta)

# log(1 - exp(-x)), jax.nn.log1mexp, here below both mlax.nn and the distributions
# (gumbel_r) that use it.
@custom_jvp
def _log1mexp(x):
    return jnp.where(x > _np.log(2), jnp.log1p(-jnp.exp(-x)), jnp.log(-jnp.expm1(-x)))


# JAX's derivative: the branch not taken would otherwise turn 0 * inf into NaN (at x = 0).
_log1mexp.defjvps(lambda g, ans, x: g / jnp.expm1(x))


# Names jax.scipy.special has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.special", __name__)
