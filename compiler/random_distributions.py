"""The distributions of mlax.random built on the samplers of mlax.random_core, each as JAX
composes it (same key use, same sequence of operations)."""
from __future__ import annotations

import math
import operator

import numpy as np

from mlax import core, lax
from mlax.custom_derivatives import custom_jvp
from mlax import numpy as jnp
from mlax.prng import _check_key, _jit, _shape, _split_impl
from mlax.tracing import Tracer
from mlax.random_core import (_bernoulli_impl, _check_shape, _exponential_impl, _float_dtype,
                              _normal_impl, _uniform_impl)
from mlax.runtime.dtypes import finfo, is_float

# ---------------------------------------------------------------------------------------
# Each distribution as JAX composes it (same key use, same sequence of operations), so its
# draws follow JAX's wherever the underlying samplers do.


def _subkeys(key, n):
    """The n keys of split(key, n), as uint32[2] arrays."""
    keys = _split_impl(key, (n,))
    return [lax.reshape(lax.slice(keys, (i, 0), (i + 1, 2)), (2,)) for i in range(n)]


def _param_shape(name, shape, *params):
    """`shape`, or the broadcast of the parameters' shapes when it is None (JAX's
    _check_broadcast_shapes)."""
    shapes = [np.shape(p) for p in params]
    if shape is None:
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    shape = _shape(shape, name)
    _check_shape(name, shape, *shapes)
    return shape


def _as_dtype(x, dtype):
    return lax.convert_element_type(jnp.asarray(x), dtype)


def _laplace_impl(key, shape, dtype):
    u = _uniform_impl(key, -1. + finfo(dtype).epsneg, 1., shape, dtype)
    return lax.mul(lax.sign(u), lax.xla_log1p(lax.neg(lax.abs(u))))


_laplace_jit = _jit((1, 2))(_laplace_impl)


def laplace(key, shape=(), dtype=None):
    """Standard Laplace samples: sign(u) * log1p(-|u|), u uniform in (-1, 1)."""
    k, _ = _check_key("laplace", key)
    shape = _shape(shape, "laplace")
    _check_shape("laplace", shape)
    return _laplace_jit(k, shape, _float_dtype("laplace", dtype))


def _logistic_impl(key, shape, dtype):
    x = _uniform_impl(key, finfo(dtype).tiny, 1., shape, dtype)
    return lax.sub(lax.xla_log(x), lax.xla_log1p(lax.neg(x)))


_logistic_jit = _jit((1, 2))(_logistic_impl)


def logistic(key, shape=(), dtype=None):
    """Standard logistic samples: log(u) - log1p(-u)."""
    k, _ = _check_key("logistic", key)
    shape = _shape(shape, "logistic")
    _check_shape("logistic", shape)
    return _logistic_jit(k, shape, _float_dtype("logistic", dtype))


def _cauchy_impl(key, shape, dtype):
    u = _uniform_impl(key, finfo(dtype).eps, 1., shape, dtype)
    return lax.tan(lax.mul(np.full(shape, np.pi, dtype), lax.sub(u, np.full(shape, 0.5, dtype))))


_cauchy_jit = _jit((1, 2))(_cauchy_impl)


def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy samples: tan(pi * (u - 1/2))."""
    k, _ = _check_key("cauchy", key)
    shape = _shape(shape, "cauchy")
    _check_shape("cauchy", shape)
    return _cauchy_jit(k, shape, _float_dtype("cauchy", dtype))


def _rademacher_impl(key, shape, dtype):
    b = _bernoulli_impl(key, np.array(0.5, core.default_float()), shape)
    return lax.sub(lax.mul(np.full(shape, 2, dtype), lax.convert_element_type(b, dtype)),
                   np.ones(shape, dtype))


_rademacher_jit = _jit((1, 2))(_rademacher_impl)


def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with equal probability (integers by default)."""
    k, _ = _check_key("rademacher", key)
    dtype = core.canonicalize_dtype(core.default_int() if dtype is None else dtype)
    return _rademacher_jit(k, _shape(shape, "rademacher"), dtype)


def _exp_scaled(key, b, shape, dtype):
    return lax.exp(jnp.divide(_exponential_impl(key, shape, dtype), _as_dtype(b, dtype)))


_pareto_jit = _jit((2, 3))(_exp_scaled)


def pareto(key, b, shape=None, dtype=None):
    """Pareto samples of shape parameter b: exp(exponential / b)."""
    k, _ = _check_key("pareto", key)
    shape = _param_shape("pareto", shape, b)
    return _pareto_jit(k, b, shape, _float_dtype("pareto", dtype))


def _weibull_min_impl(key, scale, concentration, shape, dtype):
    u = _uniform_impl(key, 0., 1., shape, dtype)
    return jnp.multiply(jnp.power(jnp.negative(lax.xla_log1p(jnp.negative(u))),
                                  jnp.divide(1.0, concentration)), scale)


_weibull_min_jit = _jit((3, 4))(_weibull_min_impl)


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull samples by the inverse CDF: (-log1p(-u)) ** (1 / concentration) * scale."""
    k, _ = _check_key("weibull_min", key)
    return _weibull_min_jit(k, scale, concentration, _shape(shape, "weibull_min"),
                            _float_dtype("weibull_min", dtype))


def _maxwell_impl(key, shape, dtype):
    return jnp.linalg.norm(_normal_impl(key, shape + (3,), dtype), axis=-1)


_maxwell_jit = _jit((1, 2))(_maxwell_impl)


def maxwell(key, shape=(), dtype=None):
    """Maxwell samples: the norm of three standard normals."""
    k, _ = _check_key("maxwell", key)
    return _maxwell_jit(k, _shape(shape, "maxwell"), _float_dtype("maxwell", dtype))


def _double_sided_maxwell_impl(key, loc, scale, shape, dtype):
    params_shape = tuple(np.broadcast_shapes(np.shape(loc), np.shape(scale)))
    shape = (shape or params_shape) + params_shape
    maxwell_key, rademacher_key = _subkeys(key, 2)
    m = _maxwell_impl(maxwell_key, shape, dtype)
    sign = _rademacher_impl(rademacher_key, shape, dtype)
    return jnp.add(jnp.multiply(jnp.multiply(sign, m), scale), loc)


_double_sided_maxwell_jit = _jit((3, 4))(_double_sided_maxwell_impl)


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Maxwell samples with a random sign, times scale plus loc. As in JAX, the result's
    shape is `shape + broadcast(loc, scale)` (or that broadcast twice when shape is ())."""
    k, _ = _check_key("double_sided_maxwell", key)
    return _double_sided_maxwell_jit(k, loc, scale, _shape(shape, "double_sided_maxwell"),
                                     _float_dtype("double_sided_maxwell", dtype))


def _rayleigh_impl(key, scale, shape, dtype):
    u = _uniform_impl(key, 0., 1., shape, dtype)
    scale = jnp.broadcast_to(_as_dtype(scale, dtype), shape)
    return lax.mul(scale, lax.sqrt(lax.mul(lax.xla_log(u), np.full(shape, -2, dtype))))


_rayleigh_jit = _jit((2, 3))(_rayleigh_impl)


def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh samples: scale * sqrt(-2 log u)."""
    k, _ = _check_key("rayleigh", key)
    shape = _param_shape("rayleigh", shape, scale)
    return _rayleigh_jit(k, scale, shape, _float_dtype("rayleigh", dtype))


def _wald_impl(key, mean, shape, dtype):
    k1, k2 = _subkeys(key, 2)
    mean = jnp.broadcast_to(_as_dtype(mean, dtype), shape)
    v = _normal_impl(k1, shape, dtype)
    z = _uniform_impl(k2, 0., 1., shape, dtype)
    y = lax.integer_pow(v, 2)
    y_sq = lax.integer_pow(y, 2)
    mean_sq = lax.integer_pow(mean, 2)
    sqrt_term = lax.sqrt(4 * mean * y + mean_sq * y_sq)
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return lax.select(lax.le(z, mean / (mean + x)), x, mean_sq / x)


_wald_jit = _jit((2, 3))(_wald_impl)


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian) samples of the given mean, by Michael, Schucany and Haas."""
    k, _ = _check_key("wald", key)
    shape = _param_shape("wald", shape, mean)
    return _wald_jit(k, mean, shape, _float_dtype("wald", dtype))


def _geometric_impl(key, p, shape, dtype):
    u = _uniform_impl(key, 0., 1., shape, lax.aval(p).dtype)
    u = jnp.where(jnp.equal(u, 0), np.ones(shape, lax.aval(u).dtype), u)
    log_one_minus_p = jnp.broadcast_to(lax.xla_log1p(lax.neg(p)), shape)
    g = jnp.add(lax.floor(lax.div(lax.xla_log(u), log_one_minus_p)), 1)
    return g.astype(dtype)


_geometric_jit = _jit((2, 3))(_geometric_impl)


def geometric(key, p, shape=None, dtype=None):
    """Geometric samples (trials to the first success, from 1) with success probability p."""
    k, _ = _check_key("geometric", key)
    dtype = core.canonicalize_dtype(core.default_int() if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"dtype argument to `geometric` must be an int dtype, got {dtype}")
    shape = _param_shape("geometric", shape, p)
    p = jnp.asarray(p)
    if not is_float(lax.aval(p).dtype):
        p = p.astype(core.default_float())
    return _geometric_jit(k, p, shape, dtype)


def _triangular_impl(key, left, mode, right, shape, dtype):
    left, mode, right = (jnp.broadcast_to(_as_dtype(v, dtype), shape) for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = _uniform_impl(key, 0., 1., shape, dtype)
    out1 = left + lax.sqrt(u * (right - left) * (mode - left))
    out2 = right - lax.sqrt((1 - u) * (right - left) * (right - mode))
    return lax.select(u < fc, out1, out2)


_triangular_jit = _jit((4, 5))(_triangular_impl)


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular samples on [left, right] with the given mode, by the inverse CDF."""
    k, _ = _check_key("triangular", key)
    shape = _param_shape("triangular", shape, left, mode, right)
    return _triangular_jit(k, left, mode, right, shape, _float_dtype("triangular", dtype))


def _lognormal_impl(key, sigma, shape, dtype):
    return lax.exp(jnp.multiply(_normal_impl(key, shape, dtype), _as_dtype(sigma, dtype)))


_lognormal_jit = _jit((2, 3))(_lognormal_impl)


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """Log-normal samples: exp(sigma * normal)."""
    k, _ = _check_key("lognormal", key)
    shape = _param_shape("lognormal", shape, sigma)
    return _lognormal_jit(k, sigma, shape, _float_dtype("lognormal", dtype))


def _multivariate_normal_impl(key, mean, cov, shape, dtype, method):
    if np.ndim(mean) < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == "
                         f"{np.ndim(mean)}")
    if np.ndim(cov) < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{np.ndim(cov)}")
    n = mean.shape[-1]
    if tuple(np.shape(cov)[-2:]) != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {tuple(np.shape(cov))}.")
    if shape is None:
        shape = tuple(np.broadcast_shapes(mean.shape[:-1], cov.shape[:-2]))
    else:
        _check_shape("normal", shape, mean.shape[:-1], cov.shape[:-2])
    if method == "svd":
        u, s, _ = jnp.linalg.svd(cov)
        factor = u * jnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = jnp.linalg.eigh(cov)
        factor = v * jnp.sqrt(w[..., None, :])
    else:
        factor = jnp.linalg.cholesky(cov)
    samples = _normal_impl(key, tuple(shape) + tuple(mean.shape[-1:]), dtype)
    return mean + jnp.einsum("...ij,...j->...i", factor, samples)


_multivariate_normal_jit = _jit((3, 4, 5))(_multivariate_normal_impl)


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Samples of N(mean, cov): mean + factor @ normal, factor from `method` ('cholesky',
    'eigh' or 'svd') of cov."""
    k, _ = _check_key("multivariate_normal", key)
    if method not in {"svd", "eigh", "cholesky"}:
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    mean, cov = jnp.asarray(mean), jnp.asarray(cov)
    common = jnp.result_type(mean, cov, core.default_float() if
                             not is_float(jnp.result_type(mean, cov)) else jnp.result_type(mean, cov))
    mean, cov = mean.astype(common), cov.astype(common)
    dtype = common if dtype is None else _float_dtype("multivariate_normal", dtype)
    if shape is not None:
        shape = _shape(shape, "multivariate_normal")
    return _multivariate_normal_jit(k, mean, cov, shape, dtype, method)


def _orthogonal_impl(key, n, m, shape, dtype):
    z = _normal_impl(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = jnp.linalg.qr(z)
    d = jnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * jnp.expand_dims(jnp.sign(d), -2)
    return jnp.swapaxes(x, -1, -2) if n < m else x


_orthogonal_jit = _jit((1, 2, 3, 4))(_orthogonal_impl)


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Uniformly distributed orthogonal n x m matrices (m = n by default), from the QR
    decomposition of a normal matrix."""
    k, _ = _check_key("orthogonal", key)
    m = n if m is None else m
    n, m = operator.index(n), operator.index(m)
    return _orthogonal_jit(k, n, m, _shape(shape, "orthogonal"), _float_dtype("orthogonal", dtype))


# Gamma and the distributions built on it. Each sample is Marsaglia and Tsang's rejection
# method run in a while_loop on its own key (JAX's _gamma_one, mapped over the elements).


def _gamma_one(key, alpha, log_space):
    dtype = lax.aval(alpha).dtype
    c_ = lambda v: np.array(v, dtype)
    zero, one, minus_one = c_(0), c_(1), c_(-1)
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(boost_mask, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, c_(1. / 3.))
    c = lax.div(c_(1. / 3.), lax.sqrt(d))

    def cond_fn(state):
        _, X, V, U = state
        return lax.bitwise_and(
            lax.ge(U, lax.sub(one, lax.mul(c_(0.0331), lax.mul(X, X)))),
            lax.ge(lax.xla_log(U), lax.add(lax.mul(X, c_(0.5)),
                                           lax.mul(d, lax.add(lax.sub(one, V), lax.xla_log(V))))))

    def body_fn(state):
        def next_xv(kxv):
            k, subkey = _subkeys(kxv[0], 2)
            x = _normal_impl(subkey, (), dtype)
            return k, x, lax.add(one, lax.mul(x, c))

        k, x_key, u_key = _subkeys(state[0], 3)
        _, x, v = lax.while_loop(lambda kxv: lax.le(kxv[2], zero), next_xv,
                                 (x_key, zero, minus_one))
        X = lax.mul(x, x)
        V = lax.mul(lax.mul(v, v), v)
        U = _uniform_impl(u_key, 0., 1., (), dtype)
        return k, X, V, U

    key, subkey = _subkeys(key, 2)
    _, _, V, _ = lax.while_loop(cond_fn, body_fn, (key, zero, one, c_(2)))
    if log_space:
        log_samples = lax.neg(_exponential_impl(subkey, (), dtype))
        log_boost = lax.select(lax.bitwise_or(boost_mask, lax.eq(log_samples, zero)), zero,
                               lax.mul(log_samples, lax.div(one, alpha_orig)))
        return lax.add(lax.add(lax.xla_log(d), lax.xla_log(V)), log_boost)
    samples = lax.sub(one, _uniform_impl(subkey, 0., 1., (), dtype))
    boost = lax.select(boost_mask, one, lax.pow(samples, lax.div(one, alpha_orig)))
    return lax.mul(lax.mul(d, V), boost)


def _gamma_samples(key, a, log_space):
    """One gamma sample per element of a, each from its own key of split(key, a.size)."""
    shape = tuple(lax.aval(a).shape)
    n = math.prod(shape)
    if n == 0:
        return jnp.zeros(shape, lax.aval(a).dtype)
    keys = _split_impl(key, (n,))
    samples = lax.map(lambda ka: _gamma_one(ka[0], ka[1], log_space),
                      (keys, lax.reshape(a, (n,))))
    return lax.reshape(samples, shape)


_gamma_differentiable = custom_jvp(_gamma_samples, nondiff_argnums=(2,))


@_gamma_differentiable.defjvp
def _gamma_jvp(log_space, primals, tangents):
    """JAX's implicit reparameterization gradient: d sample / d a = random_gamma_grad."""
    key, a = primals
    a_dot = tangents[1]
    sample = _gamma_samples(key, a, log_space)
    if log_space:   # d log(s) = ds / s, with s = 0 taken as the smallest normal float
        s = jnp.exp(sample)
        s = jnp.where(jnp.equal(s, 0), finfo(lax.aval(s).dtype).tiny, s)
        grad = jnp.divide(lax.random_gamma_grad(a, s), s)
    else:
        grad = lax.random_gamma_grad(a, sample)
    return sample, jnp.multiply(a_dot, grad)


def _gamma_impl(key, a, shape, dtype, log_space):
    if shape is None:
        shape = tuple(np.shape(a))
    else:
        _check_shape("gamma", shape, np.shape(a))
    a = jnp.broadcast_to(_as_dtype(a, dtype), shape)
    return _gamma_differentiable(key, a, log_space)


_gamma_jit = _jit((2, 3, 4))(_gamma_impl)


def _gamma_entry(name, key, a, shape, dtype, log_space):
    k, _ = _check_key(name, key)
    dtype = _float_dtype(name, core.default_float() if dtype is None else dtype)
    shape = None if shape is None else _shape(shape, name)
    return _gamma_jit(k, a, shape, dtype, log_space)


def gamma(key, a, shape=None, dtype=None):
    """Standard gamma samples of shape parameter a (Marsaglia and Tsang)."""
    return _gamma_entry("gamma", key, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
    """log of gamma samples, computed in log space (accurate for small a)."""
    return _gamma_entry("loggamma", key, a, shape, dtype, True)


def _beta_impl(key, a, b, shape, dtype):
    key_a, key_b = _subkeys(key, 2)
    a = jnp.broadcast_to(_as_dtype(a, dtype), shape)
    b = jnp.broadcast_to(_as_dtype(b, dtype), shape)
    log_gamma_a = _gamma_impl(key_a, a, shape, dtype, True)
    log_gamma_b = _gamma_impl(key_b, b, shape, dtype, True)
    log_max = lax.max(log_gamma_a, log_gamma_b)
    gamma_a_scaled = jnp.exp(log_gamma_a - log_max)
    gamma_b_scaled = jnp.exp(log_gamma_b - log_max)
    return gamma_a_scaled / (gamma_a_scaled + gamma_b_scaled)


_beta_jit = _jit((3, 4))(_beta_impl)


def beta(key, a, b, shape=None, dtype=None):
    """Beta samples, as the ratio of two gamma samples computed in log space."""
    k, _ = _check_key("beta", key)
    shape = _param_shape("beta", shape, a, b)
    return _beta_jit(k, a, b, shape, _float_dtype("beta", dtype))


def _dirichlet_impl(key, alpha, shape, dtype):
    if np.ndim(alpha) < 1:
        raise ValueError(f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {np.ndim(alpha)}")
    if shape is None:
        shape = tuple(np.shape(alpha)[:-1])
    else:
        _check_shape("dirichlet", shape, np.shape(alpha)[:-1])
    alpha = _as_dtype(alpha, dtype)
    log_g = _gamma_impl(key, alpha, tuple(shape) + tuple(np.shape(alpha)[-1:]), dtype, True)
    unnormalized = jnp.exp(log_g - jnp.max(log_g, axis=-1, keepdims=True))
    return unnormalized / jnp.sum(unnormalized, axis=-1, keepdims=True)


_dirichlet_jit = _jit((2, 3))(_dirichlet_impl)


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet samples: the softmax of log-gamma samples of the concentrations alpha."""
    k, _ = _check_key("dirichlet", key)
    shape = None if shape is None else _shape(shape, "dirichlet")
    return _dirichlet_jit(k, alpha, shape, _float_dtype("dirichlet", dtype))


def _chisquare_impl(key, df, shape, dtype):
    half_df = jnp.divide(_as_dtype(df, dtype), np.array(2, dtype))
    log_g = _gamma_impl(key, half_df, shape, dtype, True)
    return jnp.multiply(jnp.exp(log_g), np.array(2, dtype))


_chisquare_jit = _jit((2, 3))(_chisquare_impl)


def chisquare(key, df, shape=None, dtype=None):
    """Chi-square samples with df degrees of freedom: 2 * gamma(df / 2)."""
    k, _ = _check_key("chisquare", key)
    shape = _param_shape("chisquare", shape, df)
    return _chisquare_jit(k, df, shape, _float_dtype("chisquare", dtype))


def _f_impl(key, dfnum, dfden, shape, dtype):
    dfden, dfnum = _as_dtype(dfden, dtype), _as_dtype(dfnum, dtype)
    key_dfd, key_dfn = _subkeys(key, 2)
    chi2_dfn = _chisquare_impl(key_dfn, dfnum, shape, dtype)
    chi2_dfd = _chisquare_impl(key_dfd, dfden, shape, dtype)
    return jnp.divide(jnp.divide(chi2_dfn, dfnum), jnp.divide(chi2_dfd, dfden))


_f_jit = _jit((3, 4))(_f_impl)


def f(key, dfnum, dfden, shape=None, dtype=None):
    """F-distribution samples: the ratio of two chi-square samples over their df."""
    k, _ = _check_key("f", key)
    shape = _param_shape("f", shape, dfnum, dfden)
    return _f_jit(k, dfnum, dfden, shape, _float_dtype("f", dtype))


def _t_impl(key, df, shape, dtype):
    df = _as_dtype(df, dtype)
    key_n, key_g = _subkeys(key, 2)
    n = _normal_impl(key_n, shape, dtype)
    half_df = jnp.divide(df, np.array(2, dtype))
    g = _gamma_impl(key_g, half_df, shape, dtype, False)
    return n * jnp.sqrt(half_df / g)


_t_jit = _jit((2, 3))(_t_impl)


def t(key, df, shape=None, dtype=None):
    """Student's t samples: normal * sqrt(df / 2 / gamma(df / 2))."""
    k, _ = _check_key("t", key)
    shape = _param_shape("t", shape, df)
    return _t_jit(k, df, shape, _float_dtype("t", dtype))


def _generalized_normal_impl(key, p, shape, dtype):
    k1, k2 = _subkeys(key, 2)
    g = _gamma_impl(k1, jnp.divide(1, p), shape, dtype, False)
    r = _rademacher_impl(k2, shape, dtype)
    return r * g ** (1 / p)


_generalized_normal_jit = _jit((2, 3))(_generalized_normal_impl)


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalized normal samples of power p: a random sign times gamma(1/p) ** (1/p)."""
    k, _ = _check_key("generalized_normal", key)
    shape = _shape(shape, "generalized_normal")
    _check_shape("generalized_normal", shape)
    return _generalized_normal_jit(k, p, shape, _float_dtype("generalized_normal", dtype))


def _ball_impl(key, p, d, shape, dtype):
    k1, k2 = _subkeys(key, 2)
    g = _generalized_normal_impl(k1, p, (*shape, d), dtype)
    e = _exponential_impl(k2, shape, dtype)
    return g / (((jnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


_ball_jit = _jit((2, 3, 4))(_ball_impl)


def ball(key, d, p=2, shape=(), dtype=None):
    """Points uniformly distributed in the d-dimensional unit p-norm ball."""
    k, _ = _check_key("ball", key)
    if isinstance(d, Tracer):
        raise core.ConcretizationTypeError(
            "random.ball: the dimension `d` must be a concrete int, got a traced value.")
    shape = _shape(shape, "ball")
    _check_shape("ball", shape)
    return _ball_jit(k, p, operator.index(d), shape, _float_dtype("ball", dtype))


def _poisson_knuth(key, lam, shape, dtype, max_iters):
    """Knuth's method: multiply uniforms until the product drops below exp(-lam)."""
    def body(carry):
        i, k, rng, log_prod = carry
        rng, subkey = _subkeys(rng, 2)
        k = lax.select(jnp.greater(log_prod, -lam), k + 1, k)
        u = _uniform_impl(subkey, 0., 1., shape, np.dtype(np.float32))
        return i + 1, k, rng, log_prod + lax.xla_log(u)

    def cond(carry):
        i, log_prod = carry[0], carry[3]
        return jnp.any(jnp.greater(log_prod, -lam)) & (i < max_iters)

    init = (jnp.asarray(0, dtype), jnp.zeros(shape, dtype), key, jnp.zeros(shape, np.float32))
    k = lax.while_loop(cond, body, init)[1]
    return (k - 1).astype(dtype)


def _poisson_rejection(key, lam, shape, dtype, max_iters):
    """Hormann's transformed rejection (lam >= 10)."""
    log_lam = lax.xla_log(lam)
    b = 0.931 + 2.53 * lax.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(carry):
        i, k_out, accepted, rng = carry
        rng, subkey_0, subkey_1 = _subkeys(rng, 3)
        u = _uniform_impl(subkey_0, 0., 1., shape, lax.aval(lam).dtype) - 0.5
        v = _uniform_impl(subkey_1, 0., 1., shape, lax.aval(lam).dtype)
        u_shifted = 0.5 - abs(u)
        k = lax.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = lax.xla_log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = -lam + k * log_lam - lax.lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        return i + 1, lax.select(accept, k, k_out), accepted | accept, rng

    def cond(carry):
        i, _, accepted, _ = carry
        return jnp.any(~accepted) & (i < max_iters)

    init = (jnp.asarray(0, dtype), jnp.full(shape, -1, lax.aval(lam).dtype),
            jnp.zeros(shape, bool), key)
    return lax.while_loop(cond, body, init)[1].astype(dtype)


def _poisson_impl(key, lam, shape, dtype):
    use_knuth = jnp.isnan(lam) | (lam < 10)
    lam_knuth = lax.select(use_knuth, lam, jnp.zeros_like(lam))
    lam_rejection = lax.select(use_knuth, jnp.full_like(lam, 1e5), lam)
    max_iters = np.iinfo(dtype).max
    result = lax.select(use_knuth, _poisson_knuth(key, lam_knuth, shape, dtype, max_iters),
                        _poisson_rejection(key, lam_rejection, shape, dtype, max_iters))
    return lax.select(jnp.equal(lam, 0), jnp.zeros_like(result), result)


_poisson_jit = _jit((2, 3))(_poisson_impl)


def poisson(key, lam, shape=None, dtype=None):
    """Poisson samples of rate lam: Knuth's method below 10, Hormann's transformed
    rejection above (as JAX, NumPy and TensorFlow)."""
    k, _ = _check_key("poisson", key)
    dtype = core.canonicalize_dtype(core.default_int() if dtype is None else dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"dtype argument to `poisson` must be an int dtype, got {dtype}")
    shape = tuple(np.shape(lam)) if shape is None else _shape(shape, "poisson")
    lam = jnp.broadcast_to(jnp.asarray(lam), shape).astype(np.float32)
    return _poisson_jit(k, lam, shape, dtype)


_STIRLING_TAIL = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                           0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                           0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                           0.00833056343336287])


def _stirling_approx_tail(k):
    """log(k!) - (Stirling's approximation of it): a table below 10, a series beyond."""
    dtype = lax.aval(k).dtype
    use_table = k <= 9
    k = jnp.clip(k, 0.0, 9.0)
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    table = jnp.asarray(_STIRLING_TAIL.astype(dtype))[jnp.floor(k).astype(np.int32)]
    return lax.select(use_table, table, approx)


def _binomial_inversion(key, count, prob, shape, dtype, max_iters):
    """Counts geometric waiting times until they pass count (count * p <= 10)."""
    log1minusprob = lax.xla_log1p(-prob)

    def body(carry):
        i, num_geom, geom_sum, rng = carry
        subkey, rng = _subkeys(rng, 2)
        num_geom_out = lax.select(geom_sum <= count, num_geom + 1, num_geom)
        u = _uniform_impl(subkey, 0., 1., shape, lax.aval(prob).dtype)
        geom = jnp.ceil(lax.xla_log(u) / log1minusprob)
        return i + 1, num_geom_out, geom_sum + geom, rng

    def cond(carry):
        i, geom_sum = carry[0], carry[2]
        return jnp.any(geom_sum <= count) & (i < max_iters)

    zeros = jnp.zeros(shape, lax.aval(prob).dtype)
    k = lax.while_loop(cond, body, (jnp.asarray(0, dtype), zeros, zeros, key))[1]
    return (k - 1).astype(dtype)


def _btrs(key, count, prob, shape, dtype, max_iters):
    """Hormann's transformed rejection with squeeze (BTRS)."""
    stddev = jnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = jnp.floor((count + 1) * prob)
    log = lax.xla_log

    def body(carry):
        i, k_out, accepted, rng = carry
        rng, subkey_0, subkey_1 = _subkeys(rng, 3)
        u = _uniform_impl(subkey_0, 0., 1., shape, lax.aval(prob).dtype)
        v = _uniform_impl(subkey_1, 0., 1., shape, lax.aval(prob).dtype)
        u = u - 0.5
        us = 0.5 - jnp.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = jnp.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        v = log(v * alpha / (a / (us * us) + b))
        ub = ((m + 0.5) * log((m + 1) / (r * (count - m + 1)))
              + (count + 1) * log((count - m + 1) / (count - k + 1))
              + (k + 0.5) * log(r * (count - k + 1) / (k + 1))
              + _stirling_approx_tail(m) + _stirling_approx_tail(count - m)
              - _stirling_approx_tail(k) - _stirling_approx_tail(count - k))
        accept = accept1 | (~reject & (v <= ub))
        return i + 1, lax.select(accept, k, k_out), accepted | accept, rng

    def cond(carry):
        i, accepted = carry[0], carry[2]
        return jnp.any(~accepted) & (i < max_iters)

    init = (jnp.asarray(0, dtype), jnp.full(shape, -1, lax.aval(prob).dtype),
            jnp.zeros(shape, bool), key)
    return lax.while_loop(cond, body, init)[1].astype(dtype)


def _binomial_impl(key, count, prob, shape, dtype):
    if shape is None:
        shape = tuple(np.broadcast_shapes(np.shape(count), np.shape(prob)))
    else:
        _check_shape("binomial", shape, np.shape(count), np.shape(prob))
    count = jnp.broadcast_to(count.astype(lax.aval(prob).dtype), shape)
    prob = jnp.broadcast_to(prob, shape)
    p_lt_half = prob < 0.5
    q = lax.select(p_lt_half, prob, 1.0 - prob)
    count_nan_or_neg = jnp.isnan(count) | (count < 0.0)
    count_inf = jnp.isinf(count)
    q_is_nan = jnp.isnan(q)
    q_l_0 = q < 0.0
    q = lax.select(q_is_nan | q_l_0, jnp.full_like(q, 0.01), q)
    use_inversion = count_nan_or_neg | (count * q <= 10.0)
    count = jnp.floor(count)
    count_inv = lax.select(use_inversion, count, jnp.zeros_like(count))
    count_btrs = lax.select(use_inversion, jnp.full_like(count, 1e4), count)
    q_btrs = lax.select(use_inversion, jnp.full_like(q, 0.5), q)
    max_iters = finfo(dtype).max
    samples = lax.select(use_inversion,
                         _binomial_inversion(key, count_inv, q, shape, dtype, max_iters),
                         _btrs(key, count_btrs, q_btrs, shape, dtype, max_iters))
    invalid = q_l_0 | q_is_nan | count_nan_or_neg
    samples = lax.select(invalid, jnp.full_like(samples, np.nan), samples)
    samples = lax.select(count_inf & ~invalid, jnp.full_like(samples, np.inf), samples)
    return lax.select(p_lt_half | count_nan_or_neg | q_is_nan | count_inf, samples,
                      count.astype(dtype) - samples)


_binomial_jit = _jit((3, 4))(_binomial_impl)


def _inexact(*xs):
    """xs as arrays of one float dtype (JAX's promote_dtypes_inexact)."""
    xs = [jnp.asarray(x) for x in xs]
    dtype = jnp.result_type(*xs)
    if not is_float(dtype):
        dtype = np.dtype(core.default_float())
    return [x.astype(dtype) for x in xs]


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial samples (as floats) of n trials with success probability p: inversion for
    n * min(p, 1 - p) <= 10, BTRS beyond."""
    k, _ = _check_key("binomial", key)
    dtype = _float_dtype("binomial", dtype)
    shape = None if shape is None else _shape(shape, "binomial")
    (p,) = _inexact(p)
    return _binomial_jit(k, jnp.asarray(n), p, shape, dtype)


def _multinomial_impl(key, n, p, shape, dtype, unroll):
    n = jnp.broadcast_to(n, shape[:-1])
    p = jnp.moveaxis(jnp.broadcast_to(p, shape), -1, 0)
    remaining = lax.cumsum(p, axis=0, reverse=True)
    ratios = p / jnp.where(jnp.equal(remaining, 0), 1, remaining)
    keys = _split_impl(key, (ratios.shape[0],))

    def step(remainder, ratio_key):
        ratio, k = ratio_key
        count = _binomial_impl(k, remainder, jnp.clip(ratio, 0, 1), None,
                               lax.aval(remainder).dtype)
        return remainder - count, count

    _, counts = lax.scan(step, n, (ratios, keys), unroll=unroll)
    return jnp.moveaxis(counts, 0, -1).astype(dtype)


_multinomial_jit = _jit((3, 4, 5))(_multinomial_impl)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Counts of n trials over the outcomes of p (last axis), one binomial per outcome."""
    k, _ = _check_key("multinomial", key)
    n, p = _inexact(n, p)
    shape = tuple(p.shape) if shape is None else _shape(shape, "multinomial")
    return _multinomial_jit(k, n, p, shape, _float_dtype("multinomial", dtype), unroll)
