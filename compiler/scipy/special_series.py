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
"""The special functions of `jax.scipy.special` that are series, continued fractions and
rational approximations, ported from JAX's `jax/_src/scipy/special.py` (which ports Cephes,
by its author's permission under the Apache 2.0 license, and the cited papers): erfcx, dawsn,
the Bessel functions i0, i0e, i1, i1e and bessel_jn, the exponential integrals expi, exp1,
expn, sici, spence, the hypergeometric functions hyp1f1 and hyp2f1, owens_t, zeta,
polygamma, bernoulli and comb.

Each is a composition of mlax.numpy / mlax.lax (loops are `lax.while_loop`s, `fori_loop`s
and `scan`s), so it runs eagerly and under jit, vmap and grad; the derivatives are JAX's
custom_jvp rules. The functions over per-element loops (expn, hyp1f1, hyp2f1) are vectorized
as JAX's are (`jnp.vectorize`), so their loops run until every element has converged."""
from __future__ import annotations

import operator

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.ad import jvp
from mlax.api import jit
from mlax.custom_derivatives import custom_jvp
from mlax.numpy._util import _float_args
from mlax.numpy._shapes import _broadcast
from mlax.runtime.dtypes import finfo, is_half_float


def _float(name, *args):
    """The arguments as float arrays of one dtype (integers become the default float, as
    JAX's promote_args_inexact), broadcast together; complex arguments are refused."""
    args = _broadcast(*_float_args(*args))
    if args and np.dtype(args[0].dtype).kind == "c":
        raise ValueError(f"{name} does not support complex-valued inputs.")
    return args


def _c(x, value):
    """`value` as a scalar of x's dtype."""
    return np.array(value, np.dtype(x.dtype))


def _polyval(coeffs, x):
    """Horner's rule with the coefficients as constants of x's dtype (highest power first)."""
    out = jnp.zeros_like(x)
    for c in coeffs:
        out = out * x + _c(x, c)
    return out


def _upcast_half(impl, x):
    """impl(x), float16 and bfloat16 computed in float32 (the constants need float32's range)."""
    if is_half_float(x.dtype):
        return impl(x.astype(np.float32)).astype(x.dtype)
    return impl(x)


def _gamma(x):
    return jnp.exp(lax.lgamma(x)) * _gammasgn(x)


def _gammasgn(x):
    floor_x = jnp.floor(x)
    neg_odd = jnp.remainder(floor_x, 2.0) == 1.0
    out = jnp.where((x < 0) & neg_odd, _c(x, -1), _c(x, 1))
    out = jnp.where((x < 0) & (x == floor_x), _c(x, np.nan), out)
    return jnp.where(x == 0, _c(x, 1), out)


# -- comb ---------------------------------------------------------------------------------

def comb(N, k, *, repetition=False):
    """The number of combinations of N things taken k at a time, through gammaln (0 for
    N < 0, k < 0 or k > N); with repetition, comb(N + k - 1, k)."""
    N, k = _float("comb", N, k)
    if repetition:
        return jnp.where((k == 0) & (N >= 0), _c(N, 1), comb(N + k - 1, k))
    cond = (k <= N) & (N >= 0) & (k >= 0)
    safe_N = jnp.where(cond, N, _c(N, 0))
    safe_k = jnp.where(cond, k, _c(N, 0))
    result = jnp.exp(lax.lgamma(safe_N + 1) - lax.lgamma(safe_k + 1)
                     - lax.lgamma(safe_N + 1 - safe_k))
    return jnp.where(cond, result, _c(N, 0))


# -- erfcx and dawsn ----------------------------------------------------------------------

def _erfcx_impl(x):
    # Where exp(x^2) would overflow, the asymptotic series
    # erfcx(x) ~ P(1 / x^2) / (sqrt(pi) x), c_k = (-1)^k (2k-1)!! / 2^k.
    nterms = 9 if np.dtype(x.dtype) == np.float64 else 5
    coeffs = [7918.06640625, -1055.7421875, 162.421875, -29.53125, 6.5625,
              -1.875, .75, -.5, 1.][-nterms:]
    threshold = np.sqrt(np.log(finfo(x.dtype).max))
    large = x > _c(x, threshold)
    safe_x = jnp.where(large, _c(x, 1), x)
    direct = jnp.exp(safe_x * safe_x) * lax.erfc(safe_x)
    asymptotic = _polyval(coeffs, _c(x, 1) / (x * x)) / (x * _c(x, np.sqrt(np.pi)))
    return jnp.where(large, asymptotic, direct)


@custom_jvp
def _erfcx(x):
    return _upcast_half(_erfcx_impl, x)


_erfcx.defjvps(lambda g, ans, x: g * (2 * x * ans - _c(x, 2. / np.sqrt(np.pi))))


def erfcx(x):
    """The scaled complementary error function exp(x^2) erfc(x) (real x; complex x needs
    wofz, which mlax does not implement yet)."""
    x = _float_args(x)[0]
    if np.dtype(x.dtype).kind == "c":
        raise NotImplementedError("erfcx of complex x (through wofz) is not implemented in mlax")
    return _erfcx(x)


# Rational approximations of Cody, Paciorek and Thacher (1970), as JAX's.
_DAWSN_AN = [1.13681498971755972054e-11, 8.49262267667473811108e-10,
             1.94434204175553054283e-8, 9.53151741254484363489e-7,
             3.07828309874913200438e-6, 3.52513368520288738649e-4,
             -8.50149846724410912031e-4, 4.22618223005546594270e-2,
             -9.17480371773452345351e-2, 9.99999999999999994612e-1]
_DAWSN_AD = [2.40372073066762605484e-11, 1.48864681368493396752e-9,
             5.21265281010541664570e-8, 1.27258478273186970203e-6,
             2.32490249820789513991e-5, 3.25524741826057911661e-4,
             3.48805814657162590916e-3, 2.79448531198828973716e-2,
             1.58874241960120565368e-1, 5.74918629489320327824e-1,
             1.00000000000000000539e0]
_DAWSN_BN = [5.08955156417900903354e-1, -2.44754418142697847934e-1,
             9.41512335303534411857e-2, -2.18711255142039025206e-2,
             3.66207612329569181322e-3, -4.23209114460388756528e-4,
             3.59641304793896631888e-5, -2.14640351719968974225e-6,
             9.10010780076391431042e-8, -2.40274520828250956942e-9,
             3.59233385440928410398e-11]
_DAWSN_BD = [1.00000000000000000000e0, -6.31839869873368190192e-1,
             2.36706788228248691528e-1, -5.31806367003223277662e-2,
             8.48041718586295374409e-3, -9.47996768486665330168e-4,
             7.81025592944552338085e-5, -4.55875153252442634831e-6,
             1.89100358111421846170e-7, -4.91324691331920606875e-9,
             7.18466403235734541950e-11]
_DAWSN_CN = [-5.90592860534773254987e-1, 6.29235242724368800674e-1,
             -1.72858975380388136411e-1, 1.64837047825189632310e-2,
             -4.86827613020462700845e-4]
_DAWSN_CD = [1.00000000000000000000e0, -2.69820057197544900361e0,
             1.73270799045947845857e0, -3.93708582281939493482e-1,
             3.44278924041233391079e-2, -9.73655226040941223894e-4]


def _dawsn_impl(x):
    # On |x|, with odd symmetry; each region evaluated on safe inputs (1 elsewhere) so the
    # unused ones cannot overflow to inf / inf.
    ax = jnp.abs(x)
    one = _c(x, 1)
    r1 = ax < 3.25
    r2 = (ax >= 3.25) & (ax < 6.25)
    r3 = ax >= 6.25
    ax1 = jnp.where(r1, ax, one)
    val1 = ax1 * _polyval(_DAWSN_AN, ax1 * ax1) / _polyval(_DAWSN_AD, ax1 * ax1)
    t = one / (ax * ax)
    t2, ax2 = jnp.where(r2, t, one), jnp.where(r2, ax, one)
    val2 = (_c(x, 0.5) / ax2) * (one + t2 * _polyval(_DAWSN_BN, t2) / _polyval(_DAWSN_BD, t2))
    t3, ax3 = jnp.where(r3, t, one), jnp.where(r3, ax, one)
    val3 = (_c(x, 0.5) / ax3) * (one + t3 * _polyval(_DAWSN_CN, t3) / _polyval(_DAWSN_CD, t3))
    return jnp.sign(x) * jnp.where(r1, val1, jnp.where(ax < 6.25, val2, val3))


@custom_jvp
def _dawsn(x):
    return _upcast_half(_dawsn_impl, x)


_dawsn.defjvps(lambda g, ans, x: g * (_c(x, 1) - _c(x, 2) * x * ans))


def dawsn(x):
    """Dawson's integral exp(-x^2) int_0^x exp(t^2) dt (real x)."""
    x, = _float("dawsn", x)
    return _dawsn(x)


# -- the modified Bessel functions and bessel_jn ------------------------------------------

def i0e(x):
    """exp(-|x|) I0(x)."""
    return lax.bessel_i0e(_float("i0e", x)[0])


def i0(x):
    """The modified Bessel function of order 0, exp(|x|) i0e(x)."""
    x, = _float("i0", x)
    return jnp.exp(jnp.abs(x)) * lax.bessel_i0e(x)


def i1e(x):
    """exp(-|x|) I1(x)."""
    return lax.bessel_i1e(_float("i1e", x)[0])


def i1(x):
    """The modified Bessel function of order 1, exp(|x|) i1e(x)."""
    x, = _float("i1", x)
    return jnp.exp(jnp.abs(x)) * lax.bessel_i1e(x)


def _bessel_jn_step(carry, k):
    # Miller's backward recurrence f_k = 2 (k + 1) f_{k+1} / z - f_{k+2}; bs sums the
    # normalization 2 * (f_0 + f_2 + ...) (as JAX).
    f0, f1, bs, z = carry
    f = 2.0 * (k + 1.0) * f1 / z - f0
    bs = jnp.where(jnp.mod(k, 2) == 0, bs + 2.0 * f, bs)
    return (f1, f, bs, z), f


def bessel_jn(z, *, v, n_iter=50):
    """The Bessel functions of the first kind of orders 0..v at z, by Miller's backward
    recurrence from order n_iter: an array of shape (v + 1, *z.shape)."""
    z, = _float_args(jnp.asarray(z))
    if np.dtype(z.dtype).kind == "c":
        raise ValueError("complex input not supported.")
    v = operator.index(v)          # static ints: the shape of the result depends on v
    n_iter = operator.index(n_iter)
    return _bessel_jn(z, v, n_iter)


@jit(static_argnums=(1, 2))
def _bessel_jn(z, v, n_iter):
    zero = jnp.zeros_like(z)
    init = (zero, zero + _c(z, 1e-16), zero, z)
    ks = jnp.arange(n_iter + 1, dtype=z.dtype)
    (_, _, bs, _), j_vals = lax.scan(_bessel_jn_step, init, ks, reverse=True)
    return j_vals[:v + 1] / (bs - j_vals[0])


# -- the exponential integrals (Cephes' ei.c and expn.c) ----------------------------------

def _expint1(x):
    # 0 < x <= 2
    A = [-5.350447357812542947283e0, 2.185049168816613393830e2, -4.176572384826693777058e3,
         5.541176756393557601232e4, -3.313381331178144034309e5, 1.592627163384945414220e6]
    B = [1.0, -5.250547959112862969197e1, 1.259616186786790571525e3,
         -1.756549581973534652631e4, 1.493062117002725991967e5, -7.294949239640527645655e5,
         1.592627163384945429726e6]
    f = _polyval(A, x) / _polyval(B, x)
    return x * f + _c(x, np.euler_gamma) + jnp.log(x)


def _eval_expint_k(A, B, x):
    one = _c(x, 1.0)
    w = one / x
    f = _polyval(A, w) / _polyval(B, w)
    f = w * f + one
    return jnp.exp(x) * w * f


_EXPINT_K = [
    # 2 <= x < 4
    ([1.981808503259689673238e-2, -1.271645625984917501326e0, -2.088160335681228318920e0,
      2.755544509187936721172e0, -4.409507048701600257171e-1, 4.665623805935891391017e-2,
      -1.545042679673485262580e-3, 7.059980605299617478514e-5],
     [1.0, 1.476498670914921440652e0, 5.629177174822436244827e-1, 1.699017897879307263248e-1,
      2.291647179034212017463e-2, 4.450150439728752875043e-3, 1.727439612206521482874e-4,
      3.953167195549672482304e-5]),
    # 4 <= x <= 8
    ([-1.373215375871208729803e0, -7.084559133740838761406e-1, 1.580806855547941010501e0,
      -2.601500427425622944234e-1, 2.994674694113713763365e-2, -1.038086040188744005513e-3,
      4.371064420753005429514e-5, 2.141783679522602903795e-6],
     [1.0, 8.585231423622028380768e-1, 4.483285822873995129957e-1, 7.687932158124475434091e-2,
      2.449868241021887685904e-2, 8.832165941927796567926e-4, 4.590952299511353531215e-4,
      -4.729848351866523044863e-6, 2.665195537390710170105e-6]),
    # 8 <= x <= 16
    ([-2.106934601691916512584e0, 1.732733869664688041885e0, -2.423619178935841904839e-1,
      2.322724180937565842585e-2, 2.372880440493179832059e-4, -8.343219561192552752335e-5,
      1.363408795605250394881e-5, -3.655412321999253963714e-7, 1.464941733975961318456e-8,
      6.176407863710360207074e-10],
     [1.0, -2.298062239901678075778e-1, 1.105077041474037862347e-1,
      -1.566542966630792353556e-2, 2.761106850817352773874e-3, -2.089148012284048449115e-4,
      1.708528938807675304186e-5, -4.459311796356686423199e-7, 1.394634930353847498145e-8,
      6.150865933977338354138e-10]),
    # 16 <= x <= 32
    ([-2.458119367674020323359e-1, -1.483382253322077687183e-1, 7.248291795735551591813e-2,
      -1.348315687380940523823e-2, 1.342775069788636972294e-3, -7.942465637159712264564e-5,
      2.644179518984235952241e-6, -4.239473659313765177195e-8],
     [1.0, -1.044225908443871106315e-1, -2.676453128101402655055e-1,
      9.695000254621984627876e-2, -1.601745692712991078208e-2, 1.496414899205908021882e-3,
      -8.462452563778485013756e-5, 2.728938403476726394024e-6, -4.239462431819542051337e-8]),
    # 32 <= x <= 64
    ([1.212561118105456670844e-1, -5.823133179043894485122e-1, 2.348887314557016779211e-1,
      -3.040034318113248237280e-2, 1.510082146865190661777e-3, -2.523137095499571377122e-5],
     [1.0, -1.002252150365854016662e0, 2.928709694872224144953e-1,
      -3.337004338674007801307e-2, 1.560544881127388842819e-3, -2.523137093603234562648e-5]),
    # x > 64
    ([-7.657847078286127362028e-1, 6.886192415566705051750e-1, -2.132598113545206124553e-1,
      3.346107552384193813594e-2, -3.076541477344756050249e-3, 1.747119316454907477380e-4,
      -6.103711682274170530369e-6, 1.218032765428652199087e-7, -1.086076102793290233007e-9],
     [1.0, -1.888802868662308731041e0, 1.066691687211408896850e0, -2.751915982306380647738e-1,
      3.930852688233823569726e-2, -3.414684558602365085394e-3, 1.866844370703555398195e-4,
      -6.345146083130515357861e-6, 1.239754287483206878024e-7, -1.086076102793126632978e-9]),
]


def _expi_pos(x):
    conds = [(_c(x, 0) < x) & (x <= _c(x, 2))] + [
        (_c(x, 2 ** i) < x) & (x <= _c(x, 2 ** (i + 1))) for i in range(1, 6)]
    funcs = [_expint1] + [lambda x, A=A, B=B: _eval_expint_k(A, B, x) for A, B in _EXPINT_K]
    return jnp.piecewise(x, conds, funcs)


def _expi_neg(x):
    return -exp1(-x)


@custom_jvp
def _expi(x):
    return jnp.piecewise(x, [x < 0], [_expi_neg, _expi_pos])


@_expi.defjvp
def _expi_jvp(primals, tangents):
    x, = primals
    x_dot, = tangents
    return _expi(x), jnp.exp(x) / x * x_dot


def expi(x):
    """The exponential integral Ei(x) (real x; Ei(x) = -E1(-x) for x < 0)."""
    x, = _float("expi", x)
    return _expi_jit(x)


_expi_jit = jit(_expi)


def _expn1(x, n):
    # the power series, for x <= 1
    machep = finfo(x.dtype).eps
    zero, one = _c(x, 0.0), _c(x, 1.0)
    psi = -_c(x, np.euler_gamma) - jnp.log(x)
    psi = lax.fori_loop(_c(n, 1), n, lambda i, psi: psi + one / i, psi)
    n1 = jnp.where(n == _c(n, 1), one + one, n)
    init = dict(x=x, z=-x, xk=zero, yk=one, pk=one - n,
                ans=jnp.where(n == _c(n, 1), zero, one / (one - n1)), t=_c(x, np.inf))

    def body(d):
        d = dict(d)
        d["xk"] = d["xk"] + one
        d["yk"] = d["yk"] * d["z"] / d["xk"]
        d["pk"] = d["pk"] + one
        d["ans"] = d["ans"] + jnp.where(d["pk"] != zero, d["yk"] / d["pk"], zero)
        d["t"] = jnp.where(d["ans"] != zero, jnp.abs(d["yk"] / d["ans"]), one)
        return d

    def cond(d):
        return (d["x"] > _c(d["x"], 0.0)) & (d["t"] > machep)

    d = lax.while_loop(cond, body, init)
    return d["z"] ** (n - _c(n, 1)) * psi / jnp.exp(lax.lgamma(n)) - d["ans"]


def _expn2(x, n):
    # the continued fraction, for x > 1
    big = _c(x, 1.44115188075855872e17)
    machep = finfo(x.dtype).eps
    zero, one = _c(x, 0.0), _c(x, 1.0)
    init = dict(k=_c(n, 1) + jnp.zeros_like(n), pkm2=one + jnp.zeros_like(x), qkm2=x,
                pkm1=one + jnp.zeros_like(x), qkm1=x + n, ans=one / (x + n),
                t=_c(x, np.inf) + jnp.zeros_like(x), r=jnp.zeros_like(x), x=x)

    def body(d):
        d = dict(d)
        x = d["x"]
        d["k"] = d["k"] + _c(d["k"], 1)
        k = d["k"]
        odd = k % _c(k, 2) == _c(k, 1)
        yk = jnp.where(odd, one, x)
        xk = jnp.where(odd, n + (k - _c(k, 1)) / _c(k, 2), k / _c(k, 2))
        pk = d["pkm1"] * yk + d["pkm2"] * xk
        qk = d["qkm1"] * yk + d["qkm2"] * xk
        nz = qk != zero
        d["r"] = r = jnp.where(nz, pk / qk, d["r"])
        d["t"] = jnp.where(nz, jnp.abs((d["ans"] - r) / r), one)
        d["ans"] = jnp.where(nz, r, d["ans"])
        d["pkm2"] = d["pkm1"]
        d["pkm1"] = pk
        d["qkm2"] = d["qkm1"]
        d["qkm1"] = qk
        is_big = jnp.abs(pk) > big
        for key in ("pkm2", "pkm1", "qkm2", "qkm1"):
            d[key] = jnp.where(is_big, d[key] / big, d[key])
        return d

    def cond(d):
        return (d["x"] > _c(d["k"], 0)) & (d["t"] > machep)

    d = lax.while_loop(cond, body, init)
    return d["ans"] * jnp.exp(-x)


def _expn3(x, n):
    # the asymptotic expansion, for n >= 5000
    one = _c(x, 1.0)
    xk = x + n
    yk = one / (xk * xk)
    t = n
    ans = yk * t * (_c(x, 6) * x * x - _c(x, 8) * t * x + t * t)
    ans = yk * (ans + t * (t - _c(x, 2) * x))
    ans = yk * (ans + t)
    return (ans + one) * jnp.exp(-x) / xk


def _expn_scalar(n, x):
    zero, one = _c(x, 0), _c(x, 1)
    conds = [(n < _c(n, 0)) | (x < zero), (x == zero) & (n < _c(n, 2)),
             (x == zero) & (n >= _c(n, 2)), (n == _c(n, 0)) & (x >= zero),
             n >= _c(n, 5000), x > one]
    n1 = jnp.where(n == _c(n, 1), n + n, n)
    # Under vectorize every branch runs on every element: the loops get inputs where they
    # end (JAX's loops never end on tiny x in the continued fraction, or on huge n in the
    # series, although those results are not selected).
    safe_n = jnp.where(n < _c(n, 5000), n, _c(n, 1))
    series = lambda x, n: _expn1(jnp.where(x > one, _c(x, 0.5), x), safe_n)
    fraction = lambda x, n: _expn2(jnp.where(x > one, x, _c(x, 2)), n)
    vals = [np.nan, np.inf, one / n1,  # (n1: no division by zero)
            jnp.exp(-x) / x, _expn3, fraction, series]
    return jnp.piecewise(x, conds, vals, n=n)


_expn_vectorized = jnp.vectorize(jit(_expn_scalar))

# n is a fixed (nondiff) argument, as in JAX.
_expn = custom_jvp(lambda n, x: _expn_vectorized(n, x), nondiff_argnums=(0,))


@_expn.defjvp
def _expn_jvp(n, primals, tangents):
    x, = primals
    x_dot, = tangents
    return _expn(n, x), -x_dot * _expn(n - _c(n, 1), x)


@jit
def _expn_jit(n, x):
    return _expn(n, x)


def expn(n, x):
    """The generalized exponential integral E_n(x) = int_1^inf exp(-x t) / t^n dt,
    differentiable in x."""
    n, x = _float("expn", n, x)
    return _expn_jit(n, x)


def exp1(x):
    """The exponential integral E1(x) = expn(1, x)."""
    x, = _float("exp1", x)
    return expn(jnp.ones_like(x), x)


# -- the sine and cosine integrals (Cephes' sici.c) ---------------------------------------

_SICI_SN = [-8.39167827910303881427E-11, 4.62591714427012837309E-8, -9.75759303843632795789E-6,
            9.76945438170435310816E-4, -4.13470316229406538752E-2, 1.00000000000000000302E0]
_SICI_SD = [2.03269266195951942049E-12, 1.27997891179943299903E-9, 4.41827842801218905784E-7,
            9.96412122043875552487E-5, 1.42085239326149893930E-2, 9.99999999999999996984E-1]
_SICI_CN = [2.02524002389102268789E-11, -1.35249504915790756375E-8, 3.59325051419993077021E-6,
            -4.74007206873407909465E-4, 2.89159652607555242092E-2, -1.00000000000000000080E0]
_SICI_CD = [4.07746040061880559506E-12, 3.06780997581887812692E-9, 1.23210355685883423679E-6,
            3.17442024775032769882E-4, 5.10028056236446052392E-2, 4.00000000000000000080E0]
_SICI_FN4 = [4.23612862892216586994E0, 5.45937717161812843388E0, 1.62083287701538329132E0,
             1.67006611831323023771E-1, 6.81020132472518137426E-3, 1.08936580650328664411E-4,
             5.48900223421373614008E-7]
_SICI_FD4 = [1, 8.16496634205391016773E0, 7.30828822505564552187E0, 1.86792257950184183883E0,
             1.78792052963149907262E-1, 7.01710668322789753610E-3, 1.10034357153915731354E-4,
             5.48900252756255700982E-7]
_SICI_GN4 = [8.71001698973114191777E-2, 6.11379109952219284151E-1, 3.97180296392337498885E-1,
             7.48527737628469092119E-2, 5.38868681462177273157E-3, 1.61999794598934024525E-4,
             1.97963874140963632189E-6, 7.82579040744090311069E-9]
_SICI_GD4 = [1, 1.64402202413355338886E0, 6.66296701268987968381E-1, 9.88771761277688796203E-2,
             6.22396345441768420760E-3, 1.73221081474177119497E-4, 2.02659182086343991969E-6,
             7.82579218933534490868E-9]
_SICI_FN8 = [4.55880873470465315206E-1, 7.13715274100146711374E-1, 1.60300158222319456320E-1,
             1.16064229408124407915E-2, 3.49556442447859055605E-4, 4.86215430826454749482E-6,
             3.20092790091004902806E-8, 9.41779576128512936592E-11, 9.70507110881952024631E-14]
_SICI_FD8 = [1.0, 9.17463611873684053703E-1, 1.78685545332074536321E-1,
             1.22253594771971293032E-2, 3.58696481881851580297E-4, 4.92435064317881464393E-6,
             3.21956939101046018377E-8, 9.43720590350276732376E-11, 9.70507110881952025725E-14]
_SICI_GN8 = [6.97359953443276214934E-1, 3.30410979305632063225E-1, 3.84878767649974295920E-2,
             1.71718239052347903558E-3, 3.48941165502279436777E-5, 3.47131167084116673800E-7,
             1.70404452782044526189E-9, 3.85945925430276600453E-12, 3.14040098946363334640E-15]
_SICI_GD8 = [1.0, 1.68548898811011640017E0, 4.87852258695304967486E-1,
             4.67913194259625806320E-2, 1.90284426674399523638E-3, 3.68475504442561108162E-5,
             3.57043223443740838771E-7, 1.72693748966316146736E-9, 3.87830166023954706752E-12,
             3.14040098946363335242E-15]


def _sici_approx(x):
    # x >= 1e9
    si = _c(x, np.pi / 2) - jnp.cos(x) / x
    ci = jnp.sin(x) / x
    si = jnp.where(jnp.isposinf(x), _c(x, np.pi / 2), si)
    ci = jnp.where(jnp.isposinf(x), _c(x, 0.0), ci)
    return si, ci


def _sici_series(x):
    # 0 <= x <= 4
    t = x * x
    si = (x * _polyval(_SICI_SN, t)) / _polyval(_SICI_SD, t)
    ci = _c(x, np.euler_gamma) + jnp.log(x) + t * _polyval(_SICI_CN, t) / _polyval(_SICI_CD, t)
    return jnp.where(x == 0, _c(x, 0.0), si), jnp.where(x == 0, _c(x, -np.inf), ci)


def _sici_asympt(x):
    # 4 < x <= 1e9
    s, c = jnp.sin(x), jnp.cos(x)
    z = _c(x, 1.0) / (x * x)
    f4 = _polyval(_SICI_FN4, z) / (x * _polyval(_SICI_FD4, z))
    g4 = z * _polyval(_SICI_GN4, z) / _polyval(_SICI_GD4, z)
    f8 = _polyval(_SICI_FN8, z) / (x * _polyval(_SICI_FD8, z))
    g8 = z * _polyval(_SICI_GN8, z) / _polyval(_SICI_GD8, z)
    f = jnp.where(x < 8.0, f4, f8)
    g = jnp.where(x < 8.0, g4, g8)
    return _c(x, np.pi / 2) - f * c - g * s, f * s - g * c


@custom_jvp
def _sici(x):
    x_abs = jnp.abs(x)
    si_series, ci_series = _sici_series(x_abs)
    si_asymp, ci_asymp = _sici_asympt(x_abs)
    si_approx, ci_approx = _sici_approx(x_abs)
    cond1 = x_abs <= 4
    cond2 = (x_abs > 4) & (x_abs <= 1e9)
    si = jnp.select([cond1, cond2], [si_series, si_asymp], si_approx)
    ci = jnp.select([cond1, cond2], [ci_series, ci_asymp], ci_approx)
    return jnp.sign(x) * si, jnp.where(jnp.isneginf(x), _c(x, np.nan), ci)


@_sici.defjvp
def _sici_jvp(primals, tangents):
    p, = primals
    t, = tangents
    return _sici(p), (jnp.sinc(p / np.pi) * t, jnp.cos(p) / p * t)


def sici(x):
    """The sine and cosine integrals (Si(x), Ci(x)); Ci is NaN for x < 0, as in JAX."""
    x, = _float("sici", x)
    return _sici_jit(x)


_sici_jit = jit(_sici)


# -- spence (Cephes' spence.c) ------------------------------------------------------------

_SPENCE_A = [4.65128586073990045278E-5, 7.31589045238094711071E-3, 1.33847639578309018650E-1,
             8.79691311754530315341E-1, 2.71149851196553469920E0, 4.25697156008121755724E0,
             3.29771340985225106936E0, 1.00000000000000000126E0]
_SPENCE_B = [6.90990488912553276999E-4, 2.54043763932544379113E-2, 2.82974860602568089943E-1,
             1.41172597751831069617E0, 3.63800533345137075418E0, 5.03278880143316990390E0,
             3.54771340985225096217E0, 9.99999999999999998740E-1]


def _spence_calc(x):
    x2_bool = x > 2.0
    x = jnp.piecewise(x, [x2_bool], [lambda x: 1.0 / x, lambda x: x])
    x1_5_bool = x > 1.5
    x_5_bool = x < 0.5
    x2_bool = x2_bool | x1_5_bool
    w = jnp.piecewise(x, [x1_5_bool, x_5_bool],
                      [lambda x: 1.0 / x - 1.0, lambda x: -x, lambda x: x - 1.0])
    y = -w * _polyval(_SPENCE_A, w) / _polyval(_SPENCE_B, w)
    y = jnp.where(x_5_bool, np.pi ** 2 / 6.0 - jnp.log(x) * jnp.log(1.0 - x) - y, y)
    return jnp.where(x2_bool, -0.5 * jnp.log(x) ** 2 - y, y)


def spence(x):
    """Spence's function (the dilogarithm Li2(1 - x)) for x >= 0 (NaN for x < 0); float32
    and float64 only, as in JAX."""
    x = jnp.asarray(x)
    if np.dtype(x.dtype) not in (np.float32, np.float64):
        raise TypeError(f"x.dtype={x.dtype} is not supported, see docstring for supported types.")
    return jnp.piecewise(x, [x < 0.0, x == 1.0, x == 0.0],
                         [np.nan, 0, np.pi ** 2 / 6, _spence_calc])


# -- bernoulli ----------------------------------------------------------------------------

def bernoulli(n):
    """The Bernoulli numbers B_0 .. B_n (static int n), by the Chowla-Hartung algorithm."""
    n = operator.index(n)
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    b3 = jnp.array([1, -1 / 2, 1 / 6])
    if n < 3:
        return b3[:n + 1]
    bn = jnp.zeros(n + 1).at[:3].set(b3)
    m = jnp.arange(4, n + 1, 2, dtype=bn.dtype)
    q1 = (1. / np.pi ** 2) * jnp.cumprod(-(m - 1) * m / 4 / np.pi ** 2)
    k = jnp.arange(2, 50, dtype=bn.dtype)  # 2 ** -50 < 1e-15
    q2 = jnp.sum(k[:, None] ** -m[None, :], axis=0)
    return bn.at[4::2].set(q1 * (1 + q2))


# -- the confluent hypergeometric function 1F1 (arXiv:1407.7786) ---------------------------

def _series_loop(body_term, init, x):
    """sum of terms until the last one is below eps relative to the sum (250 terms at most):
    `body_term(serie, k, term) -> (serie, term)` advances one step."""
    precision = finfo(x.dtype).eps

    def body(state):
        serie, k, term = state
        serie, term = body_term(serie, k, term)
        return serie, k + 1, term

    def cond(state):
        serie, k, term = state
        return (k < 250) & (jnp.abs(term) / jnp.abs(serie) > precision)

    return lax.while_loop(cond, body, init)[0]


def _hyp1f1_serie(a, b, x):
    def step(serie, k, term):
        return serie + term, term * (a + k) / (b + k) * x / (k + 1)
    return _series_loop(step, (jnp.ones_like(x), _c(x, 1), a / b * x), x)


def _hyp1f1_asymptotic(a, b, x):
    def step(serie, k, term):
        return serie + term, term * (b - a + k) * (1 - a + k) / (k + 1) / x
    serie = _series_loop(step, (jnp.ones_like(x), _c(x, 1), (b - a) * (1 - a) / x), x)
    return _gamma(b) / _gamma(a) * jnp.exp(x) * x ** (a - b) * serie


def _hyp1f1_a_derivative_scalar(a, b, x):
    def step(serie, k, term):
        return (serie + term * (lax.digamma(a + k) - lax.digamma(a)),
                term * (a + k) / (b + k) * x / (k + 1))
    return _series_loop(step, (jnp.zeros_like(x), _c(x, 1), a / b * x), x)


def _hyp1f1_b_derivative_scalar(a, b, x):
    def step(serie, k, term):
        return (serie + term * (lax.digamma(b) - lax.digamma(b + k)),
                term * (a + k) / (b + k) * x / (k + 1))
    return _series_loop(step, (jnp.zeros_like(x), _c(x, 1), a / b * x), x)


def _hyp1f1_scalar(a, b, x):
    # Both branches are evaluated (as under JAX's vmap of its cond); the selects pick one.
    result = jnp.where(jnp.abs(x) < 100, _hyp1f1_serie(a, b, x), _hyp1f1_asymptotic(a, b, x))
    result = jnp.where((b == 0) & (a != 0), _c(x, np.inf), result)
    result = jnp.where((a == b) & (a != 0), jnp.exp(x), result)
    return jnp.where(a == 0, _c(x, 1), result)


_hyp1f1_a_derivative = jit(jnp.vectorize(_hyp1f1_a_derivative_scalar))
_hyp1f1_b_derivative = jit(jnp.vectorize(_hyp1f1_b_derivative_scalar))


@custom_jvp
@jit
@jnp.vectorize
def _hyp1f1(a, b, x):
    return _hyp1f1_scalar(a, b, x)


_hyp1f1.defjvps(
    lambda a_dot, ans, a, b, x: _hyp1f1_a_derivative(a, b, x) * a_dot,
    lambda b_dot, ans, a, b, x: _hyp1f1_b_derivative(a, b, x) * b_dot,
    lambda x_dot, ans, a, b, x: a / b * _hyp1f1(a + 1, b + 1, x) * x_dot)


def hyp1f1(a, b, x):
    """Kummer's confluent hypergeometric function 1F1(a; b; x) (real arguments): its power
    series for |x| < 100, the asymptotic series beyond. As JAX's, large values and series
    that cancel (x << 0) lose float32's precision: use float64 there."""
    return _hyp1f1(*_float("hyp1f1", a, b, x))


# -- the Gauss hypergeometric function 2F1 (arXiv:1407.7786) -------------------------------

def _hyp2f1_terminal(a, b, c, x):
    # The polynomial when a or b is a non-positive integer: its degree is the one of larger
    # magnitude, unless c is a non-positive integer that cuts it short.
    eps = finfo(x.dtype).eps * 50
    ib = jnp.round(b)
    mask = (b < a) & (jnp.abs(b - ib) < eps) & ~((c % 1 == 0) & (c <= 0) & (c > b))
    a, b = jnp.where(mask, b, a), jnp.where(mask, a, b)
    a = jnp.abs(a)

    def body(i, state):
        serie, term = state
        term = term * -(a - i + 1) / (c + i - 1) * (b + i - 1) / i * x
        return serie + term, term

    init = (jnp.ones_like(x), jnp.ones_like(x))
    return lax.fori_loop(_c(a, 1), a + 1, body, init)[0]


def _hyp2f1_serie(a, b, c, x):
    rtol = finfo(x.dtype).eps

    def body(state):
        serie, k, term = state
        serie = serie + term
        term = term * (a + k - 1) * (b + k - 1) / (c + k - 1) / k * x
        return serie, k + 1, term

    def cond(state):
        serie, k, term = state
        return (k < 250) & (jnp.abs(term) > rtol * jnp.abs(serie))

    init = (jnp.zeros_like(x), jnp.ones_like(x), jnp.ones_like(x))
    return lax.while_loop(cond, body, init)[0]


def _hyp2f1_digamma_transform(a, b, c, x):
    # The transformation to 1 - x when c - a - b is an integer (Abramowitz-Stegun 15.3.10-12).
    rtol = finfo(x.dtype).eps
    d = c - a - b
    s = 1 - x
    rd = jnp.round(d)
    e = jnp.where(rd >= 0, d, -d)
    d1 = jnp.where(rd >= 0, d, jnp.zeros_like(d))
    d2 = jnp.where(rd >= 0, jnp.zeros_like(d), d)
    ard = jnp.where(rd >= 0, rd, -rd).astype(np.int32)
    ax = jnp.log(s)
    y = lax.digamma(jnp.ones_like(x)) + lax.digamma(1.0 + e) - lax.digamma(a + d1) \
        - lax.digamma(b + d1) - ax
    y = y / _gamma(e + 1.0)
    p = (a + d1) * (b + d1) * s / _gamma(e + 2.0)

    def cond(state):
        q, t, y = state[6], state[9], state[10]
        return (t < 250) & (jnp.abs(q) >= rtol * jnp.abs(y))

    def body(state):
        a, ax, b, d1, e, p, q, r, s, t, y = state
        r = lax.digamma(1.0 + t) + lax.digamma(1.0 + t + e) - lax.digamma(a + t + d1) \
            - lax.digamma(b + t + d1) - ax
        q = p * r
        y = y + q
        p = p * (s * (a + t + d1) / (t + 1.0))
        p = p * ((b + t + d1) / (t + 1.0 + e))
        t = t + 1.0
        return a, ax, b, d1, e, p, q, r, s, t, y

    init = (a, ax, b, d1, e, p, y, jnp.zeros_like(x), s, jnp.ones_like(x), y)
    y = lax.while_loop(cond, body, init)[-1]

    def compute_sum(y):
        def for_body(i, state):
            a, b, d2, e, p, s, t, y1 = state
            r = 1.0 - e + t
            p = p * (s * (a + t + d2) * (b + t + d2) / r)
            t = t + 1.0
            p = p / t
            return a, b, d2, e, p, s, t, y1 + p

        init = (a, b, d2, e, jnp.ones_like(x), s, jnp.zeros_like(x), jnp.ones_like(x))
        y1 = lax.fori_loop(np.int32(1), ard, for_body, init)[-1]
        p = _gamma(c)
        y1 = y1 * (_gamma(e) * p / (_gamma(a + d1) * _gamma(b + d1)))
        y = y * (p / (_gamma(a + d2) * _gamma(b + d2)))
        y = jnp.where((ard & 1) != 0, -y, y)
        q = s ** rd
        return jnp.where(rd > 0, y * q + y1, y + y1 * q)

    return jnp.where(rd == 0, y * _gamma(c) / (_gamma(a) * _gamma(b)), compute_sum(y))


def _hyp2f1_terminal_or_serie(a, b, c, x):
    eps = finfo(x.dtype).eps * 50
    d = c - a - b
    neg_int_a = (a <= 0) & (jnp.abs(a - jnp.round(a)) < eps)
    neg_int_b = (b <= 0) & (jnp.abs(b - jnp.round(b)) < eps)
    neg_int_a_or_b = neg_int_a | neg_int_b
    use_transform = (x > 0.9) & ~neg_int_a_or_b & (jnp.abs(d - jnp.round(d)) < eps)
    return jnp.where(use_transform, _hyp2f1_digamma_transform(a, b, c, x),
                     jnp.where(neg_int_a_or_b & ~((x > 0.9) & ~neg_int_a_or_b),
                               _hyp2f1_terminal(a, b, c, x), _hyp2f1_serie(a, b, c, x)))


def _hyp2f1_param_derivative(a, b, c, x, which):
    """d 2F1 / d(a, b or c) by its series (as JAX)."""
    def step(serie, k, term):
        if which == "a":
            factor = lax.digamma(a + k) - lax.digamma(a)
        elif which == "b":
            factor = lax.digamma(b + k) - lax.digamma(b)
        else:
            factor = lax.digamma(c) - lax.digamma(c + k)
        return serie + term * factor, term * (a + k) * (b + k) / (c + k) / (k + 1) * x
    return _series_loop(step, (jnp.zeros_like(x), _c(x, 1), a * b / c * x), x)


_hyp2f1_a_derivative = jit(jnp.vectorize(lambda a, b, c, x: _hyp2f1_param_derivative(a, b, c, x, "a")))
_hyp2f1_b_derivative = jit(jnp.vectorize(lambda a, b, c, x: _hyp2f1_param_derivative(a, b, c, x, "b")))
_hyp2f1_c_derivative = jit(jnp.vectorize(lambda a, b, c, x: _hyp2f1_param_derivative(a, b, c, x, "c")))


def _hyp2f1_scalar(a, b, c, x):
    eps = finfo(x.dtype).eps * 50
    d = c - a - b
    s = 1 - x
    ca = c - a
    cb = c - b
    id_ = jnp.round(d)
    cases = [  # the first true condition decides, as JAX's nested wheres
        ((x == 0) | (((a == 0) | (b == 0)) & (c != 0)), lambda: jnp.ones_like(x)),
        ((c == 0) | ((c < 0) & (c % 1 == 0)), lambda: _c(x, np.inf) + jnp.zeros_like(x)),
        ((d <= -1) & ~((jnp.abs(d - id_) >= eps) & (s < 0)),
         lambda: s ** d * _hyp2f1_terminal_or_serie(ca, cb, c, x)),
        ((d <= 0) & (x == 1), lambda: _c(x, np.inf) + jnp.zeros_like(x)),
        ((x < 1) & (b == c), lambda: s ** (-a)),
        ((x < 1) & (a == c), lambda: s ** (-b)),
        (x > 1, lambda: _c(x, np.inf) + jnp.zeros_like(x)),
        (x == 1, lambda: _gamma(c) * _gamma(d) / (_gamma(ca) * _gamma(cb))),
    ]
    out = _hyp2f1_terminal_or_serie(a, b, c, x)
    for cond, value in reversed(cases):
        out = jnp.where(cond, value(), out)
    return out


@custom_jvp
@jit
@jnp.vectorize
def _hyp2f1(a, b, c, x):
    return _hyp2f1_scalar(a, b, c, x)


_hyp2f1.defjvps(
    lambda a_dot, ans, a, b, c, x: _hyp2f1_a_derivative(a, b, c, x) * a_dot,
    lambda b_dot, ans, a, b, c, x: _hyp2f1_b_derivative(a, b, c, x) * b_dot,
    lambda c_dot, ans, a, b, c, x: _hyp2f1_c_derivative(a, b, c, x) * c_dot,
    lambda x_dot, ans, a, b, c, x: a * b / c * _hyp2f1(a + 1, b + 1, c + 1, x) * x_dot)


def hyp2f1(a, b, c, x):
    """The Gauss hypergeometric function 2F1(a, b; c; x) for real arguments and -1 <= x <= 1
    (JAX's series: as JAX's, it diverges for x < -1 and loses float32's precision on large
    values)."""
    return _hyp2f1(*_float("hyp2f1", a, b, c, x))


# -- Owen's T function (Patefield & Tandy's method T5) -------------------------------------

_OWENS_T_QUAD_PTS = [0.0035082039676451715, 0.031279042338030754, 0.085266826283219451,
                     0.16245071730812277, 0.25851196049125435, 0.36807553840697534,
                     0.48501092905604697, 0.60277514152618577, 0.71477884217753227,
                     0.81475510988760099, 0.89711029755948966, 0.95723808085944262,
                     0.99178832974629704]
_OWENS_T_QUAD_WTS = [0.018831438115323503, 0.018567086243977649, 0.018042093461223386,
                     0.017263829606398753, 0.016243219975989857, 0.014994592034116705,
                     0.013535474469662088, 0.011886351605820165, 0.010070377242777432,
                     0.0081130545742299587, 0.0060419009528470239, 0.0038862217010742058,
                     0.0016793031084546090]


def _owens_t_quadrature(h, a):
    # T(h, a) ~ a sum_i w_i exp(-h^2 (1 + a^2 t_i) / 2) / (1 + a^2 t_i)
    dtype = np.dtype(h.dtype)
    pts = np.array(_OWENS_T_QUAD_PTS, dtype)
    r = jnp.square(a)[..., None] * pts
    integrand = jnp.exp(-0.5 * jnp.square(h)[..., None] * (1. + r)) / (1. + r)
    return a * (integrand @ np.array(_OWENS_T_QUAD_WTS, dtype))


@custom_jvp
def _owens_t(h, a):
    h = jnp.abs(h)
    abs_a = jnp.abs(a)
    root_2 = _c(h, np.sqrt(2))
    h_normed = h / root_2
    modified_a = jnp.where(abs_a <= 1., abs_a, 1 / abs_a)
    modified_h = jnp.where(abs_a <= 1., h, abs_a * h)
    result = _owens_t_quadrature(modified_h, modified_a)
    # Exact values for h = 0 and a = 1.
    result = jnp.where(modified_h == 0., jnp.arctan(modified_a) / (2 * np.pi), result)
    result = jnp.where(modified_a == 1.,
                       0.125 * lax.erfc(-modified_h / root_2) * lax.erfc(modified_h / root_2),
                       result)
    # The reciprocal relation for |a| > 1.
    normh = lax.erfc(h_normed)
    normah = lax.erfc(abs_a * h_normed)
    result = jnp.where(
        abs_a > 1.,
        jnp.where(abs_a * h <= 0.67,
                  0.25 - 0.25 * lax.erf(h_normed) * lax.erf(abs_a * h_normed) - result,
                  0.25 * (normh + normah - normh * normah) - result),
        result)
    result = jnp.sign(a) * result
    return jnp.where(jnp.isnan(a) | jnp.isnan(h), _c(h, np.nan), result)


@_owens_t.defjvp
def _owens_t_jvp(primals, tangents):
    h, a = primals
    dh, da = tangents
    result = _owens_t(h, a)
    # dT/dh = -exp(-h^2 / 2) erf(a h / sqrt 2) / (2 sqrt(2 pi)),
    # dT/da = exp(-(a^2 + 1) h^2 / 2) / (2 pi (a^2 + 1))
    dout_dh = (-jnp.exp(-0.5 * jnp.square(h)) * lax.erf(a * h / _c(h, np.sqrt(2)))
               / (2. * _c(h, np.sqrt(2. * np.pi))))
    dout_da = (jnp.exp(-0.5 * (jnp.square(a) + 1.) * jnp.square(h))
               / (2. * np.pi * (jnp.square(a) + 1.)))
    return result, (dout_dh * dh + dout_da * da).astype(result.dtype)


def owens_t(h, a):
    """Owen's T function T(h, a), by 13-point Gauss quadrature (Patefield-Tandy T5)."""
    return _owens_t(*_float("owens_t", h, a))


# -- zeta and polygamma ------------------------------------------------------------------

# (2k)! / B_2k, the Euler-Maclaurin coefficients of the series below.
_BERNOULLI_COEFS = [
    12, -720, 30240, -1209600, 47900160, -1307674368000 / 691, 74724249600,
    -10670622842880000 / 3617, 5109094217170944000 / 43867, -802857662698291200000 / 174611,
    14101100039391805440000 / 77683, -1693824136731743669452800000 / 236364091,
    186134520519971831808000000 / 657931,
    -37893265687455865519472640000000 / 3392780147,
    759790291646040068357842010112000000 / 1723168255201,
    -134196726836183700385281186201600000000 / 7709321041217,
]


def _zeta_series_expansion(s, a):
    """The Hurwitz zeta function by Johansson's formula (5) ("Rigorous high-precision
    computation of the Hurwitz zeta function and its derivatives", 2015), as JAX: a smooth
    expression used for zeta's derivatives."""
    dtype = np.dtype(a.dtype)
    N = M = 8 if dtype == np.float32 else 16
    s_, a_ = s[..., None], a[..., None]
    k = np.arange(N, dtype=dtype)
    S = jnp.sum((a_ + k) ** -s_, -1)
    I = (a + N) ** (1 - s) / (s - 1)
    T0 = (a + N) ** -s
    m = np.arange(2 * M, dtype=dtype)
    T1 = jnp.cumprod((s_ + m) / (a_ + N), -1)[..., ::2]
    T1 = jnp.clip(T1, max=finfo(dtype).max)
    T1 = T1 / np.array(_BERNOULLI_COEFS[:T1.shape[-1]], dtype)
    T = T0 * (0.5 + T1.sum(-1))
    return S + I + T


@custom_jvp
def _zeta(x, q):
    return lax.zeta(x, q)


@_zeta.defjvp
def _zeta_jvp(primals, tangents):
    return _zeta(*primals), jvp(_zeta_series_expansion, primals, tangents)[1]


def zeta(x, q=None):
    """The Hurwitz zeta function sum_n (n + q) ** -x, differentiable in x and q through
    Johansson's series (as JAX); the Riemann zeta function (q=None) is not implemented, as
    in JAX."""
    if q is None:
        raise NotImplementedError("Riemann zeta function not implemented; pass q != None to "
                                  "compute the Hurwitz Zeta function.")
    return _zeta(*_float("zeta", x, q))


def polygamma(n, x):
    """The polygamma function psi^(n)(x) for integer n, differentiable in x."""
    if np.dtype(jnp.asarray(n).dtype).kind not in "iu":
        raise ValueError(f"Argument `n` to polygamma must be of integer type. Got dtype "
                         f"{jnp.asarray(n).dtype}.")
    return lax.polygamma(*_float("polygamma", n, x))
