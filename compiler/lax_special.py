# Copyright 2018 The JAX Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""The incomplete gamma and beta functions of `jax.lax` (`igamma`, `igammac`, `betainc`,
`igamma_grad_a`, `random_gamma_grad`), ported from JAX's `jax/_src/lax/special.py`, which
ports XLA's `math.cc`: a power series and a continued fraction for the incomplete gamma
function, the Lentz-Thompson-Barnett evaluation of the incomplete beta function's continued
fraction. Each loop is a `lax.while_loop` that runs until every element has converged, the
converged elements masked, as XLA does; so the values follow JAX's within rounding.

The derivatives are JAX's: `igamma` / `igammac` are `custom_jvp` functions whose rules use
the closed form in x and `igamma_grad_a` in a; `betainc` is differentiable in x only (its
a and b are fixed arguments of the custom_jvp function: differentiating with respect to
them is an error, as in JAX).

As the lax functions, these take floating-point operands of one dtype and shape (float16
is computed in float32, as JAX does)."""
from __future__ import annotations

import enum

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.custom_derivatives import custom_jvp
from mlax.api import jit
from mlax.lax.control_flow import while_loop
from mlax.runtime.dtypes import finfo, is_float, is_half_float


def _check(name, *args):
    """The operands as float arrays of one dtype and shape, as lax requires."""
    avals = [lax.aval(a) for a in args]
    dtypes = {np.dtype(a.dtype) for a in avals}
    if len(dtypes) != 1 or not is_float(next(iter(dtypes))):
        raise TypeError(f"lax.{name} requires floating-point arguments of one dtype, got "
                        f"{', '.join(a.str_short() for a in avals)}")
    shapes = {tuple(a.shape) for a in avals}
    if len(shapes) != 1:
        raise TypeError(f"lax.{name} requires arguments of one shape, got "
                        f"{', '.join(a.str_short() for a in avals)}")
    return [jnp.asarray(a) for a in args]


def _upcast(impl, name):
    """`impl(*args, dtype=...)` on the operands, float16 and bfloat16 computed in float32 (the
    constants of the series need float32's range, as in JAX's lowering)."""
    def f(*args):
        args = _check(name, *args)
        dtype = args[0].dtype
        if is_half_float(dtype):
            out = impl(*[a.astype(np.float32) for a in args], dtype=np.dtype(np.float32))
            return out.astype(dtype)
        return impl(*args, dtype=dtype)
    f.__name__ = name
    return f


def _any(pred):
    return lax.reduce_or(pred, tuple(range(pred.ndim)))


# -- the incomplete beta function --------------------------------------------------------

def _lentz_thompson_barnett(num_iterations, small, threshold, nth_partial_numerator,
                            nth_partial_denominator, inputs):
    """The continued fraction b0 + a1 / (b1 + a2 / (b2 + ...)) by the modified Lentz
    method, until every element's last factor is within `threshold` of 1."""
    def cond(values):
        iteration, unconverged = values[0], values[1]
        return (iteration < num_iterations) & unconverged

    def body(values):
        iteration, _, c, d, h = values
        num = nth_partial_numerator(iteration, *inputs)
        den = nth_partial_denominator(iteration, *inputs)
        c = den + num / c
        c = jnp.where(jnp.abs(c) < small, small, c).astype(h.dtype)
        d = den + num * d
        d = jnp.where(jnp.abs(d) < small, small, d).astype(h.dtype)
        d = 1 / d
        delta = c * d
        h = h * delta
        unconverged = _any(jnp.abs(delta - 1) >= threshold)
        return iteration + 1, unconverged, c, d, h

    den = nth_partial_denominator(0, *inputs)
    h = jnp.where(jnp.abs(den) < small, small, den).astype(den.dtype)
    values = (np.int32(1), np.bool_(True), h, jnp.zeros_like(h), h)
    return while_loop(cond, body, values)[4]


def _betainc_impl(a, b, x, *, dtype):
    def numerator(iteration, a, b, x):
        # The partial numerators of DLMF 8.17.23; the first one is 1.
        iteration = jnp.broadcast_to(iteration, a.shape)
        is_even = iteration % 2 == 0
        is_one = iteration == 1
        m_int = (iteration - 1) // 2
        m_is_zero = m_int == 0
        m = m_int.astype(dtype)
        # For a near zero and m == 0 this form avoids flushing denormals (as XLA).
        zero_numerator = -(a + b) * x / (a + 1)
        even = jnp.where(m_is_zero, zero_numerator,
                         -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)))
        odd = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        return jnp.where(is_one, jnp.ones_like(x), jnp.where(is_even, even, odd))

    def denominator(iteration, a, b, x):
        iteration = jnp.broadcast_to(iteration, a.shape)
        return jnp.where(iteration == 0, jnp.zeros_like(x), jnp.ones_like(x))

    inf = np.array(np.inf, dtype)
    a_is_zero = (a == 0) | (b == inf)
    b_is_zero = (b == 0) | (a == inf)
    x_is_zero = x == 0
    x_is_one = x == 1
    is_nan = jnp.isnan(a) | jnp.isnan(b) | jnp.isnan(x)
    result_is_zero = (b_is_zero & ~x_is_one) | (a_is_zero & x_is_zero)
    result_is_one = (a_is_zero & ~x_is_zero) | (b_is_zero & x_is_one)
    result_is_nan = (a < 0) | (b < 0) | (x < 0) | (x > 1) | (a_is_zero & b_is_zero) | is_nan

    # The fraction converges fast for x < (a + 1) / (a + b + 2) (DLMF 8.17.23); otherwise
    # use I_x(a, b) = 1 - I_{1-x}(b, a) (DLMF 8.17.4).
    converges_rapidly = x < (a + 1) / (a + b + 2)
    a, b = jnp.where(converges_rapidly, a, b), jnp.where(converges_rapidly, b, a)
    x = jnp.where(converges_rapidly, x, 1 - x)

    eps_half = np.array(finfo(dtype).eps / 2, dtype)
    fraction = _lentz_thompson_barnett(200 if dtype == np.float32 else 600, eps_half, eps_half,
                                       numerator, denominator, (a, b, x))
    # For very small a, a * gamma(a) = gamma(a + 1) -> 1 avoids dividing by a.
    very_small = np.array(finfo(dtype).tiny * 2, dtype)
    lbeta_small_a = lax.lgamma(b) - lax.lgamma(a + b)
    lbeta = lax.lgamma(a) + lbeta_small_a
    factor = jnp.where(a < very_small, jnp.exp(jnp.log1p(-x) * b - lbeta_small_a),
                       jnp.exp(jnp.log(x) * a + jnp.log1p(-x) * b - lbeta) / a)
    result = fraction * factor
    result = jnp.where(converges_rapidly, result, 1 - result)
    result = jnp.where(result_is_zero, 0, result)
    result = jnp.where(result_is_one, 1, result)
    result = jnp.where(result_is_nan, np.nan, result)
    return result.astype(dtype)


def _betainc_gradx(a, b, x):
    lbeta = lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)
    return jnp.exp((b - 1) * jnp.log1p(-x) + (a - 1) * jnp.log(x) - lbeta)


def _betainc_in_x(a, b, x):
    return _upcast(_betainc_impl, "betainc")(a, b, x)


# a and b are fixed (nondiff) arguments: JAX defines no derivative in them.
_betainc = custom_jvp(_betainc_in_x, nondiff_argnums=(0, 1))


@_betainc.defjvp
def _betainc_jvp(a, b, primals, tangents):
    x, = primals
    tx, = tangents
    return _betainc(a, b, x), tx * _betainc_gradx(a, b, x)


@jit
def _betainc_jit(a, b, x):
    # Traced as one function, so a and b are traced values at the custom_jvp call (its
    # eager path would take them as static arguments, which arrays cannot be).
    return _betainc(a, b, x)


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b), differentiable in x."""
    a, b, x = _check("betainc", a, b, x)
    return _betainc_jit(a, b, x)


# -- the incomplete gamma function -------------------------------------------------------

class _Mode(enum.Enum):
    VALUE = 1
    DERIVATIVE = 2
    SAMPLE_DERIVATIVE = 3


def _igamma_series(ax, x, a, enabled, dtype, mode):
    eps = np.array(finfo(dtype).eps, dtype)

    def cond(vals):
        return _any(vals[0])

    def body(vals):
        enabled, r, c, ans, x, dc_da, dans_da = vals
        r = r + 1
        dc_da = dc_da * (x / r) - (c * x) / (r * r)
        dans_da = dans_da + dc_da
        c = c * (x / r)
        ans = ans + c
        if mode == _Mode.VALUE:
            conditional = enabled & (c / ans > eps)
        else:
            conditional = enabled & (jnp.abs(dc_da / dans_da) > eps)
        return (conditional,) + tuple(jnp.where(enabled, new, old) for new, old in
                                      zip((r, c, ans, x, dc_da, dans_da), vals[1:]))

    init = (enabled, a, jnp.ones_like(a), jnp.ones_like(a), x, jnp.zeros_like(a),
            jnp.zeros_like(a))
    vals = while_loop(cond, body, init)
    ans, dans_da = vals[3], vals[6]
    if mode == _Mode.VALUE:
        return (ans * ax) / a
    dlogax_da = jnp.log(x) - lax.digamma(a + 1)
    if mode == _Mode.DERIVATIVE:
        return ax * (ans * dlogax_da + dans_da) / a
    return -(dans_da + ans * dlogax_da) * x / a


def _igammac_continued_fraction(ax, x, a, enabled, dtype, mode):
    eps = np.array(finfo(dtype).eps, dtype)

    def cond(vals):
        enabled, c = vals[0], vals[5]
        return (c < 2000) & _any(enabled)

    def body(vals):
        (enabled, ans, t, y, z, c, pkm1, qkm1, pkm2, qkm2,
         dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da) = vals
        c = c + 1
        y = y + 1
        z = z + 2
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        qk_is_nonzero = qk != 0
        r = pk / qk
        t = jnp.where(qk_is_nonzero, jnp.abs((ans - r) / r), jnp.ones_like(r))
        ans = jnp.where(qk_is_nonzero, r, ans)
        dpk_da = dpkm1_da * z - pkm1 - dpkm2_da * yc + pkm2 * c
        dqk_da = dqkm1_da * z - qkm1 - dqkm2_da * yc + qkm2 * c
        dans_da_new = jnp.where(qk_is_nonzero, (dpk_da - ans * dqk_da) / qk, dans_da)
        grad_conditional = jnp.where(qk_is_nonzero, jnp.abs(dans_da_new - dans_da),
                                     jnp.ones_like(dans_da))
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da = dpkm1_da, dqkm1_da, dpk_da, dqk_da
        rescale = jnp.abs(pk) > 1 / eps
        pkm2, pkm1, qkm2, qkm1, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da = (
            jnp.where(rescale, v * eps, v)
            for v in (pkm2, pkm1, qkm2, qkm1, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da))
        if mode == _Mode.VALUE:
            conditional = enabled & (t > eps)
        else:
            conditional = enabled & (grad_conditional > eps)
        new = (ans, t, y, z)
        kept = tuple(jnp.where(enabled, n, o) for n, o in zip(new, vals[1:5]))
        new2 = (pkm1, qkm1, pkm2, qkm2, dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da_new)
        kept2 = tuple(jnp.where(enabled, n, o) for n, o in zip(new2, vals[6:]))
        return (conditional,) + kept + (c,) + kept2

    y = 1 - a
    z = x + y + 1
    c = np.array(0, dtype)
    pkm2 = jnp.ones_like(x)
    qkm2 = x
    pkm1 = x + 1
    qkm1 = z * x
    ans = pkm1 / qkm1
    t = jnp.ones_like(x)
    dpkm2_da = jnp.zeros_like(x)
    dqkm2_da = jnp.zeros_like(x)
    dpkm1_da = jnp.zeros_like(x)
    dqkm1_da = -x
    dans_da = (dpkm1_da - ans * dqkm1_da) / qkm1
    init = (enabled, ans, t, y, z, c, pkm1, qkm1, pkm2, qkm2,
            dpkm2_da, dqkm2_da, dpkm1_da, dqkm1_da, dans_da)
    vals = while_loop(cond, body, init)
    ans = vals[1]
    if mode == _Mode.VALUE:
        return ans * ax
    dans_da = vals[14]
    dlogax_da = jnp.log(x) - lax.digamma(a)
    if mode == _Mode.DERIVATIVE:
        return ax * (ans * dlogax_da + dans_da)
    return -(dans_da + ans * dlogax_da) * x


def _log_max(dtype):
    return np.array(np.log(finfo(dtype).max), dtype)


def _igamma_impl(a, x, *, dtype):
    is_nan = jnp.isnan(a) | jnp.isnan(x)
    x_is_infinity = x == np.inf
    a_is_zero = a == 0
    x_is_zero = x == 0
    domain_error = (x < 0) | (a < 0) | (a_is_zero & x_is_zero) | is_nan
    use_igammac = (x >= 1) & (x > a)
    ax = a * jnp.log(x) - x - lax.lgamma(a)
    underflow = ax < -_log_max(dtype)
    ax = jnp.exp(ax)
    enabled = ~(x_is_zero | domain_error | underflow | x_is_infinity)
    output = jnp.where(
        use_igammac,
        1 - _igammac_continued_fraction(ax, x, a, enabled & use_igammac, dtype, _Mode.VALUE),
        _igamma_series(ax, x, a, enabled & ~use_igammac, dtype, _Mode.VALUE))
    output = jnp.where(x_is_zero, 0, output)
    output = jnp.where(x_is_infinity, 1, output)
    output = jnp.where(domain_error, np.nan, output)
    return output.astype(dtype)


def _igammac_impl(a, x, *, dtype):
    is_nan = jnp.isnan(a) | jnp.isnan(x)
    a_is_zero = a == 0
    x_is_zero = x == 0
    x_is_infinity = x == np.inf
    domain_error = (x < 0) | (a < 0) | (a_is_zero & x_is_zero) | is_nan
    use_igamma = (x < 1) | (x < a)
    ax = a * jnp.log(x) - x - lax.lgamma(a)
    underflow = ax < -_log_max(dtype)
    enabled = ~(domain_error | underflow | x_is_infinity | a_is_zero)
    ax = jnp.exp(ax)
    series = _igamma_series(ax, x, a, enabled & use_igamma, dtype, _Mode.VALUE)
    fraction = _igammac_continued_fraction(ax, x, a, enabled & ~use_igamma, dtype, _Mode.VALUE)
    output = jnp.where(use_igamma, 1 - series, fraction)
    output = jnp.where(x_is_infinity | a_is_zero, 0, output)
    output = jnp.where(domain_error, np.nan, output)
    return output.astype(dtype)


def _igamma_derivative_impl(a, x, *, dtype, mode):
    is_nan = jnp.isnan(a) | jnp.isnan(x)
    x_is_zero = x == 0
    domain_error = (x < 0) | (a <= 0)
    use_igammac = (x > 1) & (x > a)
    ax = a * jnp.log(x) - x - lax.lgamma(a)
    underflow = ax < -_log_max(dtype)
    ax = jnp.exp(ax)
    enabled = ~(x_is_zero | domain_error | underflow | is_nan)
    output = jnp.where(
        use_igammac,
        -_igammac_continued_fraction(ax, x, a, enabled & use_igammac, dtype, mode),
        _igamma_series(ax, x, a, enabled & ~use_igammac, dtype, mode))
    output = jnp.where(x_is_zero, 0, output)
    output = jnp.where(domain_error | is_nan, np.nan, output)
    return output.astype(dtype)


def _igamma_grad_a_impl(a, x, *, dtype):
    return _igamma_derivative_impl(a, x, dtype=dtype, mode=_Mode.DERIVATIVE)


def _random_gamma_grad_impl(a, x, *, dtype):
    return _igamma_derivative_impl(a, x, dtype=dtype, mode=_Mode.SAMPLE_DERIVATIVE)


# Called outside a trace, each function below runs as one compiled function (not op by op).
@jit
def igamma_grad_a(a, x):
    """The derivative of igamma(a, x) with respect to a."""
    return _upcast(_igamma_grad_a_impl, "igamma_grad_a")(a, x)


@jit
def random_gamma_grad(a, x):
    """The derivative of a gamma sample x with respect to its shape a (implicit
    reparameterization, as jax.lax.random_gamma_grad)."""
    return _upcast(_random_gamma_grad_impl, "random_gamma_grad")(a, x)


def _igamma_gradx(a, x):
    return jnp.exp(-x + (a - 1) * jnp.log(x) - lax.lgamma(a))


@custom_jvp
def _igamma(a, x):
    return _upcast(_igamma_impl, "igamma")(a, x)


@_igamma.defjvp
def _igamma_jvp(primals, tangents):
    a, x = primals
    ta, tx = tangents
    return _igamma(a, x), ta * igamma_grad_a(a, x) + tx * _igamma_gradx(a, x)


@custom_jvp
def _igammac(a, x):
    return _upcast(_igammac_impl, "igammac")(a, x)


@_igammac.defjvp
def _igammac_jvp(primals, tangents):
    a, x = primals
    ta, tx = tangents
    return _igammac(a, x), -(ta * igamma_grad_a(a, x) + tx * _igamma_gradx(a, x))


def igamma(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    a, x = _check("igamma", a, x)
    return _igamma(a, x)


def igammac(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    a, x = _check("igammac", a, x)
    return _igammac(a, x)



# -- the Bessel functions i0e, i1e ------------------------------------------------------
# Cephes' Chebyshev expansions, as JAX's `bessel_i0e` lowering and XLA's (CHLO's)
# `bessel_i1e` decomposition evaluate them: on [0, 8] in x / 2 - 2, beyond in 32 / x - 2.

_I0E_A = {
    np.dtype(np.float32): [
        -1.30002500998624804212E-8, 6.04699502254191894932E-8,
        -2.67079385394061173391E-7, 1.11738753912010371815E-6,
        -4.41673835845875056359E-6, 1.64484480707288970893E-5,
        -5.75419501008210370398E-5, 1.88502885095841655729E-4,
        -5.76375574538582365885E-4, 1.63947561694133579842E-3,
        -4.32430999505057594430E-3, 1.05464603945949983183E-2,
        -2.37374148058994688156E-2, 4.93052842396707084878E-2,
        -9.49010970480476444210E-2, 1.71620901522208775349E-1,
        -3.04682672343198398683E-1, 6.76795274409476084995E-1],
    np.dtype(np.float64): [
        -4.41534164647933937950E-18, 3.33079451882223809783E-17,
        -2.43127984654795469359E-16, 1.71539128555513303061E-15,
        -1.16853328779934516808E-14, 7.67618549860493561688E-14,
        -4.85644678311192946090E-13, 2.95505266312963983461E-12,
        -1.72682629144155570723E-11, 9.67580903537323691224E-11,
        -5.18979560163526290666E-10, 2.65982372468238665035E-9,
        -1.30002500998624804212E-8, 6.04699502254191894932E-8,
        -2.67079385394061173391E-7, 1.11738753912010371815E-6,
        -4.41673835845875056359E-6, 1.64484480707288970893E-5,
        -5.75419501008210370398E-5, 1.88502885095841655729E-4,
        -5.76375574538582365885E-4, 1.63947561694133579842E-3,
        -4.32430999505057594430E-3, 1.05464603945949983183E-2,
        -2.37374148058994688156E-2, 4.93052842396707084878E-2,
        -9.49010970480476444210E-2, 1.71620901522208775349E-1,
        -3.04682672343198398683E-1, 6.76795274409476084995E-1]}
_I0E_B = {
    np.dtype(np.float32): [
        3.39623202570838634515E-9, 2.26666899049817806459E-8,
        2.04891858946906374183E-7, 2.89137052083475648297E-6,
        6.88975834691682398426E-5, 3.36911647825569408990E-3,
        8.04490411014108831608E-1],
    np.dtype(np.float64): [
        -7.23318048787475395456E-18, -4.83050448594418207126E-18,
        4.46562142029675999901E-17, 3.46122286769746109310E-17,
        -2.82762398051658348494E-16, -3.42548561967721913462E-16,
        1.77256013305652638360E-15, 3.81168066935262242075E-15,
        -9.55484669882830764870E-15, -4.15056934728722208663E-14,
        1.54008621752140982691E-14, 3.85277838274214270114E-13,
        7.18012445138366623367E-13, -1.79417853150680611778E-12,
        -1.32158118404477131188E-11, -3.14991652796324136454E-11,
        1.18891471078464383424E-11, 4.94060238822496958910E-10,
        3.39623202570838634515E-9, 2.26666899049817806459E-8,
        2.04891858946906374183E-7, 2.89137052083475648297E-6,
        6.88975834691682398426E-5, 3.36911647825569408990E-3,
        8.04490411014108831608E-1]}
_I1E_A = {
    np.dtype(np.float32): [
        9.38153738649577178388E-9, -4.44505912879632808065E-8,
        2.00329475355213526229E-7, -8.56872026469545474066E-7,
        3.47025130813767847674E-6, -1.32731636560394358279E-5,
        4.78156510755005422638E-5, -1.61760815825896745588E-4,
        5.12285956168575772895E-4, -1.51357245063125314899E-3,
        4.15642294431288815669E-3, -1.05640848946261981558E-2,
        2.47264490306265168283E-2, -5.29459812080949914269E-2,
        1.02643658689847095384E-1, -1.76416518357834055153E-1,
        2.52587186443633654823E-1],
    np.dtype(np.float64): [
        2.77791411276104639959E-18, -2.11142121435816608115E-17,
        1.55363195773620046921E-16, -1.10559694773538630805E-15,
        7.60068429473540693410E-15, -5.04218550472791168711E-14,
        3.22379336594557470981E-13, -1.98397439776494371520E-12,
        1.17361862988909016308E-11, -6.66348972350202774223E-11,
        3.62559028155211703701E-10, -1.88724975172282928790E-9,
        9.38153738649577178388E-9, -4.44505912879632808065E-8,
        2.00329475355213526229E-7, -8.56872026469545474066E-7,
        3.47025130813767847674E-6, -1.32731636560394358279E-5,
        4.78156510755005422638E-5, -1.61760815825896745588E-4,
        5.12285956168575772895E-4, -1.51357245063125314899E-3,
        4.15642294431288815669E-3, -1.05640848946261981558E-2,
        2.47264490306265168283E-2, -5.29459812080949914269E-2,
        1.02643658689847095384E-1, -1.76416518357834055153E-1,
        2.52587186443633654823E-1]}
_I1E_B = {
    np.dtype(np.float32): [
        -3.83538038596423702205E-9, -2.63146884688951950684E-8,
        -2.51223623787020892529E-7, -3.88256480887769039346E-6,
        -1.10588938762623716291E-4, -9.76109749136146840777E-3,
        7.78576235018280120474E-1],
    np.dtype(np.float64): [
        7.51729631084210481353E-18, 4.41434832307170791151E-18,
        -4.65030536848935832153E-17, -3.20952592199342395980E-17,
        2.96262899764595013876E-16, 3.30820231092092828324E-16,
        -1.88035477551078244854E-15, -3.81440307243700780478E-15,
        1.04202769841288027642E-14, 4.27244001671195135429E-14,
        -2.10154184277266431302E-14, -4.08355111109219731823E-13,
        -7.19855177624590851209E-13, 2.03562854414708950722E-12,
        1.41258074366137813316E-11, 3.25260358301548823856E-11,
        -1.89749581235054123450E-11, -5.58974346219658380687E-10,
        -3.83538038596423702205E-9, -2.63146884688951950684E-8,
        -2.51223623787020892529E-7, -3.88256480887769039346E-6,
        -1.10588938762623716291E-4, -9.76109749136146840777E-3,
        7.78576235018280120474E-1]}


def _chebyshev(x, coefficients):
    """The Chebyshev series sum c_i T_i(x / 2) by Clenshaw's recurrence, as Cephes' chbevl."""
    b0 = b1 = b2 = jnp.zeros_like(x)
    for c in coefficients:
        b2 = b1
        b1 = b0
        b0 = x * b1 - b2 + np.array(c, x.dtype)
    return np.array(0.5, x.dtype) * (b0 - b2)


def _i0e_impl(x, *, dtype):
    z = jnp.abs(x)
    le_8 = _chebyshev(z * np.array(0.5, dtype) - np.array(2, dtype), _I0E_A[dtype])
    gt_8 = _chebyshev(np.array(32, dtype) / z - np.array(2, dtype), _I0E_B[dtype]) / jnp.sqrt(z)
    return jnp.where(z <= 8, le_8, gt_8)


def _i1e_impl(x, *, dtype):
    z = jnp.abs(x)
    le_8 = z * _chebyshev(z * np.array(0.5, dtype) - np.array(2, dtype), _I1E_A[dtype])
    gt_8 = _chebyshev(np.array(32, dtype) / z - np.array(2, dtype), _I1E_B[dtype]) / jnp.sqrt(z)
    return jnp.sign(x) * jnp.where(z <= 8, le_8, gt_8)


@custom_jvp
def _bessel_i0e(x):
    return _upcast(_i0e_impl, "bessel_i0e")(x)


@_bessel_i0e.defjvp
def _bessel_i0e_jvp(primals, tangents):
    x, = primals
    g, = tangents
    y = _bessel_i0e(x)
    return y, g * (_bessel_i1e(x) - jnp.sign(x) * y)


@custom_jvp
def _bessel_i1e(x):
    return _upcast(_i1e_impl, "bessel_i1e")(x)


@_bessel_i1e.defjvp
def _bessel_i1e_jvp(primals, tangents):
    x, = primals
    g, = tangents
    y = _bessel_i1e(x)
    # i1e(x) / x -> 1/2 at 0: the tiny x take the limit, as JAX.
    eps = np.array(finfo(x.dtype).eps, x.dtype)
    not_tiny = jnp.abs(x) > eps
    safe_x = jnp.where(not_tiny, x, eps)
    dy_dx = _bessel_i0e(safe_x) - y * (jnp.sign(safe_x) + 1 / safe_x)
    return y, g * jnp.where(not_tiny, dy_dx, np.array(0.5, x.dtype))


def bessel_i0e(x):
    """The exponentially scaled modified Bessel function of order 0, exp(-|x|) I0(x)."""
    x, = _check("bessel_i0e", x)
    return _bessel_i0e(x)


def bessel_i1e(x):
    """The exponentially scaled modified Bessel function of order 1, exp(-|x|) I1(x)."""
    x, = _check("bessel_i1e", x)
    return _bessel_i1e(x)


# -- the Hurwitz zeta function and polygamma ---------------------------------------------

# 1 / these are the Euler-Maclaurin coefficients B_2k / (2k)! of Cephes' zeta.c (as XLA).
_ZETA_COEFFS = [-7.1661652561756670113e18, 1.8152105401943546773e17, -4.5979787224074726105e15,
                1.1646782814350067249e14, -2.950130727918164224e12, 7.47242496e10,
                -1.8924375803183791606e9, 47900160.0, -1209600.0, 30240.0, -720.0, 12.0]


def _zeta_impl(x, q, *, dtype):
    """XLA's (CHLO's) Hurwitz zeta: ten terms of the series, then the Euler-Maclaurin
    correction with twelve terms, summed by Horner's rule: the k-th term's factor is
    x (x + 1) ... (x + 2k - 2) / a^(2k - 1), so the pairs multiplied in are (x + 2j - 1)
    (x + 2j)."""
    def c(v):
        return np.array(v, dtype)

    one = c(1)
    a = q
    neg_x = -x
    initial_sum = q ** neg_x
    for _ in range(9):
        a = a + one
        initial_sum = initial_sum + a ** neg_x
    a = a + one
    neg_power = a ** neg_x
    s = initial_sum + neg_power * a / (x - one)
    a_inverse_square = one / (a * a)
    horner_sum = jnp.zeros_like(a)
    for i in range(11):
        factor = (x + c(22 - 2 * i)) * (x + c(21 - 2 * i))
        horner_sum = factor * (a_inverse_square * (horner_sum + c(1 / _ZETA_COEFFS[i])))
    s = s + neg_power * (c(0.5) + (x / a) * (c(1 / _ZETA_COEFFS[11]) + horner_sum))
    # The plain sum where the correction is below its rounding.
    output = jnp.where(jnp.abs(neg_power) < jnp.abs(initial_sum) * c(finfo(dtype).tiny),
                       initial_sum, s)
    nan, inf = c(np.nan), c(np.inf)
    output = jnp.where(x < one, nan, output)                      # undefined for x < 1
    q_le_zero = q <= 0
    x_is_int = x == jnp.floor(x)
    output = jnp.where(q_le_zero & ~x_is_int, nan, output)       # q <= 0 needs integer x
    at_pole = q_le_zero & (q == jnp.floor(q))                     # poles at integer q <= 0
    x_is_even_int = x_is_int & (jnp.fmod(x, c(2)) == 0)
    output = jnp.where(at_pole, jnp.where(x_is_even_int, inf, nan), output)
    return jnp.where(x == one, inf, output)                       # the harmonic series


def _zeta(x, q):
    return _upcast(_zeta_impl, "zeta")(x, q)


def zeta(x, q):
    """The Hurwitz zeta function sum_n (n + q) ** -x. JAX's lax.zeta has no derivative; this
    one is differentiated through its Euler-Maclaurin composition (mlax.scipy.special.zeta
    has JAX's series-expansion derivative)."""
    x, q = _check("zeta", x, q)
    return _zeta(x, q)


def _polygamma_impl(m, x, *, dtype):
    one, two = np.array(1, dtype), np.array(2, dtype)
    sign = two * jnp.fmod(m, two) - one
    m_plus_one = m + one
    result = sign * jnp.exp(lax.lgamma(m_plus_one)) * _zeta(m_plus_one, x)
    result = jnp.where(m == 0, lax.digamma(x), result)
    not_natural = (m != jnp.floor(m)) | (m < 0)
    return jnp.where(not_natural, np.array(np.nan, dtype), result)


def _polygamma_in_x(m, x):
    return _upcast(_polygamma_impl, "polygamma")(m, x)


# m is a fixed (nondiff) argument: JAX defines no derivative in m.
_polygamma = custom_jvp(_polygamma_in_x, nondiff_argnums=(0,))


@_polygamma.defjvp
def _polygamma_jvp(m, primals, tangents):
    x, = primals
    tx, = tangents
    return _polygamma(m, x), tx * _polygamma(m + 1, x)


@jit
def _polygamma_jit(m, x):
    return _polygamma(m, x)


def polygamma(m, x):
    """The polygamma function psi^(m)(x), the (m+1)-th derivative of log gamma: digamma at
    m = 0, otherwise (-1)^(m+1) m! zeta(m + 1, x); NaN for m not a natural number.
    Differentiable in x."""
    m, x = _check("polygamma", m, x)
    return _polygamma_jit(m, x)
