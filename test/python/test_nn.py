"""mlax.nn and mlax.scipy.special against jax.nn and jax.scipy.special: values over ranges
that reach the numerically delicate regions, gradients (including JAX's choices at kinks),
masks, axes and dtypes. Each function also has a row in optable.py (forward, jit, grad
against finite differences, vmap)."""
import numpy as np
import pytest

import mlax
from mlax import nn, numpy as jnp
from mlax.scipy import special

jax = pytest.importorskip("jax")
jax.config.update("jax_platforms", "cpu")
J = jax.numpy
jnn = jax.nn
jsp = jax.scipy.special

# Wide enough to reach the tails (softplus(-100), log_sigmoid(100), ...) and the kinks.
XS = np.concatenate([np.linspace(-8, 8, 33), [-100.0, -30.0, -6.0, -1.0, 0.0, 1.0, 6.0, 30.0, 100.0]]).astype(np.float32)


def close(got, want, rtol=2e-5, atol=2e-6):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape, got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


ACTIVATIONS = ["relu", "relu6", "sigmoid", "softplus", "soft_sign", "silu", "swish", "log_sigmoid", "elu",
               "celu", "selu", "leaky_relu", "gelu", "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish",
               "mish", "squareplus", "sparse_plus", "tanh"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_values_and_gradients(name):
    f, g = getattr(nn, name), getattr(jnn, name)
    close(f(XS), g(XS), rtol=1e-5, atol=1e-6)
    # Gradients everywhere, kinks included (relu'(0) = 0, relu6'(6) = 0, hard_tanh'(1) = 0, ...).
    got = mlax.vmap(mlax.grad(lambda x: f(x)))(XS)
    want = jax.vmap(jax.grad(lambda x: g(x)))(XS)
    close(got, want, rtol=1e-4, atol=1e-5)


def test_gelu_both_forms_and_parameters():
    close(nn.gelu(XS, approximate=False), jnn.gelu(XS, approximate=False), rtol=1e-5, atol=1e-6)
    close(mlax.grad(lambda x: jnp.sum(nn.gelu(x, approximate=False)))(XS[:33]),
          jax.grad(lambda x: J.sum(jnn.gelu(x, approximate=False)))(XS[:33]), rtol=1e-4, atol=1e-6)
    close(nn.elu(XS, alpha=0.5), jnn.elu(XS, alpha=0.5))
    close(nn.celu(XS, alpha=2.0), jnn.celu(XS, alpha=2.0))
    close(nn.leaky_relu(XS, negative_slope=0.2), jnn.leaky_relu(XS, negative_slope=0.2))
    x = XS[:32].reshape(4, 8)
    close(nn.glu(x), jnn.glu(x))
    close(nn.glu(x, axis=0), jnn.glu(x, axis=0))
    with pytest.raises(ValueError, match="even"):
        nn.glu(XS[:33])
    # Integer inputs become floats.
    close(nn.sigmoid(np.arange(3)), jnn.sigmoid(np.arange(3.0, dtype=np.float32)))


X = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32) * 3


def test_small_helpers():
    pos = np.abs(XS) + 0.01
    close(nn.log1mexp(pos), jnn.log1mexp(pos), rtol=1e-5, atol=1e-6)
    close(nn.sparse_sigmoid(XS), jnn.sparse_sigmoid(XS))
    close(nn.logmeanexp(X, axis=1), jnn.logmeanexp(X, axis=1), atol=1e-5)
    close(nn.logmeanexp(X, where=X > 0, keepdims=True), jnn.logmeanexp(X, where=X > 0, keepdims=True), atol=1e-5)
    close(nn.identity(X), jnn.identity(X))


@pytest.mark.parametrize("kw", [{}, {"is_causal": True, "scale": 0.3}, {"bias": True, "mask": True},
                                {"key_value_seq_lengths": np.array([3, 6], np.int32), "local_window_size": (1, 2)}],
                         ids=["plain", "causal", "bias_mask", "lengths_window"])
def test_dot_product_attention(kw):
    rng = np.random.default_rng(1)
    q = rng.normal(size=(2, 5, 4, 8)).astype(np.float32)
    k, v = (rng.normal(size=(2, 6, 2, 8)).astype(np.float32) for _ in range(2))   # grouped-query heads
    kw = dict(kw)
    if kw.pop("bias", False):
        kw["bias"] = rng.normal(size=(2, 4, 5, 6)).astype(np.float32)
    if kw.pop("mask", False):
        kw["mask"] = rng.random((2, 1, 5, 6)) > 0.3
    close(nn.dot_product_attention(q, k, v, **kw), jnn.dot_product_attention(q, k, v, **kw), atol=1e-5)
    if not kw:
        close(nn.dot_product_attention(q[0], k[0], v[0]), jnn.dot_product_attention(q[0], k[0], v[0]), atol=1e-5)
        g = mlax.grad(lambda a: jnp.sum(nn.dot_product_attention(a, k, v) ** 2))(q)
        close(g, jax.grad(lambda a: J.sum(jnn.dot_product_attention(a, k, v) ** 2))(q), rtol=1e-4, atol=1e-5)


@pytest.fixture
def same_threefry_layout():
    """Both libraries split keys the same way for one test (other tests may change mlax's
    jax_threefry_partitionable and leave it changed)."""
    old = mlax.config.read("jax_threefry_partitionable")
    old_jax = jax.config.jax_threefry_partitionable
    mlax.config.update("jax_threefry_partitionable", True)
    jax.config.update("jax_threefry_partitionable", True)
    yield
    mlax.config.update("jax_threefry_partitionable", old)
    jax.config.update("jax_threefry_partitionable", old_jax)


def test_initializers_match_jax_bit_for_bit_keys(same_threefry_layout):
    from mlax import random
    key, jkey = random.PRNGKey(0), jax.random.PRNGKey(0)
    for name in ["glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal", "he_uniform", "he_normal",
                 "xavier_normal", "kaiming_uniform"]:
        close(getattr(nn.initializers, name)()(key, (3, 4, 5)), getattr(jnn.initializers, name)()(jkey, (3, 4, 5)),
              rtol=1e-5, atol=1e-6)
    for make in [lambda m: m.normal(0.5), lambda m: m.uniform(0.5), lambda m: m.truncated_normal(0.5),
                 lambda m: m.constant(3.0), lambda m: m.variance_scaling(2.0, "fan_geo_avg", "normal", in_axis=0,
                                                                          out_axis=2, batch_axis=1)]:
        close(make(nn.initializers)(key, (3, 4, 5)), make(jnn.initializers)(jkey, (3, 4, 5)), rtol=1e-5, atol=1e-6)
    close(nn.initializers.zeros(key, (2,), np.int32), jnn.initializers.zeros(jkey, (2,), J.int32))
    with pytest.raises(ValueError, match="2D"):
        nn.initializers.glorot_normal()(key, (3,))


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_softmax_family(axis):
    close(nn.softmax(X, axis=axis), jnn.softmax(X, axis=axis))
    close(nn.log_softmax(X, axis=axis), jnn.log_softmax(X, axis=axis), atol=1e-5)
    close(nn.logsumexp(X, axis=axis), jsp.logsumexp(X, axis=axis), atol=1e-5)
    w = np.linspace(-1, 1, 15).reshape(3, 5).astype(np.float32)
    close(mlax.grad(lambda x: jnp.sum(nn.softmax(x, axis=axis) * w))(X),
          jax.grad(lambda x: J.sum(jnn.softmax(x, axis=axis) * w))(X), atol=1e-6)
    close(mlax.grad(lambda x: jnp.sum(nn.log_softmax(x, axis=axis) * w))(X),
          jax.grad(lambda x: J.sum(jnn.log_softmax(x, axis=axis) * w))(X), atol=1e-5)


def test_softmax_masks_and_extremes():
    mask = X > -2
    close(nn.softmax(X, where=mask), jnn.softmax(X, where=mask))
    close(nn.log_softmax(X, where=mask), jnn.log_softmax(X, where=mask), atol=1e-5)
    big = np.array([1000.0, 0.0, -1000.0], np.float32)
    close(nn.softmax(big), jnn.softmax(big))
    close(nn.log_softmax(big), jnn.log_softmax(big))
    close(mlax.jit(mlax.vmap(nn.softmax))(X), jax.vmap(jnn.softmax)(X))


def test_standardize():
    close(nn.standardize(X), jnn.standardize(X), rtol=1e-4, atol=1e-5)
    close(nn.standardize(X, axis=0, epsilon=0.1), jnn.standardize(X, axis=0, epsilon=0.1), rtol=1e-4, atol=1e-5)
    m, v = X.mean(-1, keepdims=True), X.var(-1, keepdims=True)
    close(nn.standardize(X, mean=m, variance=v), jnn.standardize(X, mean=m, variance=v), rtol=1e-4, atol=1e-5)
    mask = X > 0
    close(nn.standardize(X, where=mask), jnn.standardize(X, where=mask), rtol=1e-4, atol=1e-5)


def test_one_hot():
    labels = np.array([0, 2, 5, -1, 3], np.int32)
    close(nn.one_hot(labels, 4), jnn.one_hot(labels, 4))
    close(nn.one_hot(labels.reshape(5, 1), 3, axis=0, dtype=np.int32), jnn.one_hot(labels.reshape(5, 1), 3, axis=0, dtype=J.int32))
    close(nn.one_hot(labels, 4, dtype=np.bool_), jnn.one_hot(labels, 4, dtype=J.bool_))
    close(mlax.jit(lambda l: nn.one_hot(l, 6))(labels), jnn.one_hot(labels, 6))


# ---------------------------------------------------------------------------------------
# mlax.scipy.special


def test_logsumexp_options():
    b = np.linspace(-1, 2, 15).reshape(3, 5).astype(np.float32)
    close(special.logsumexp(X), jsp.logsumexp(X), atol=1e-5)
    close(special.logsumexp(X, axis=1, keepdims=True), jsp.logsumexp(X, axis=1, keepdims=True), atol=1e-5)
    close(special.logsumexp(X, axis=0, b=np.abs(b)), jsp.logsumexp(X, axis=0, b=np.abs(b)), atol=1e-5)
    for got, want in zip(special.logsumexp(X, axis=1, b=b, return_sign=True),
                         jsp.logsumexp(X, axis=1, b=b, return_sign=True)):
        close(got, want, atol=1e-5)
    close(special.logsumexp(X, axis=1, b=b), jsp.logsumexp(X, axis=1, b=b), atol=1e-5)   # NaN where negative
    close(special.logsumexp(X, axis=1, where=X > 0), jsp.logsumexp(X, axis=1, where=X > 0), atol=1e-5)
    inf = np.array([[-np.inf, -np.inf], [np.inf, 1.0]], np.float32)
    close(special.logsumexp(inf, axis=1), jsp.logsumexp(inf, axis=1))
    close(mlax.grad(lambda x: special.logsumexp(x, b=np.abs(b)))(X),
          jax.grad(lambda x: jsp.logsumexp(x, b=np.abs(b)))(X), atol=1e-6)


UNARY = {
    "expit": XS, "erf": XS / 2, "erfc": XS / 2, "ndtr": XS, "log_ndtr": XS,
    "gammaln": np.abs(XS[:33]) + 0.1, "digamma": np.abs(XS[:33]) + 0.1, "entr": np.concatenate([np.abs(XS), [-1.0, 0.0]]).astype(np.float32),
    "logit": np.linspace(0.01, 0.99, 21, dtype=np.float32), "erfinv": np.linspace(-0.99, 0.99, 21, dtype=np.float32),
    "ndtri": np.linspace(0.001, 0.999, 21, dtype=np.float32), "gamma": np.array([0.5, 1.0, 3.3, 7.0, -0.5, -1.5, -2.5], np.float32),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_special_unary(name):
    x = UNARY[name]
    close(getattr(special, name)(x), getattr(jsp, name)(x), rtol=2e-4, atol=1e-5)
    finite = np.isfinite(np.asarray(getattr(jsp, name)(x))) & (x != 0)   # entr'(0) = inf in JAX, 0 here
    got = mlax.vmap(mlax.grad(getattr(special, name)))(x[finite])
    want = jax.vmap(jax.grad(getattr(jsp, name)))(x[finite])
    close(got, want, rtol=1e-3, atol=1e-5)


def test_log_expit_is_minus_softplus():
    close(special.log_expit(XS), -jnn.softplus(-XS))
    close(mlax.vmap(mlax.grad(special.log_expit))(XS), jax.vmap(jax.grad(lambda x: -jnn.softplus(-x)))(XS))


def test_special_binary_and_singular_points():
    x = np.array([0.0, 0.0, 1.0, 2.0, 0.5], np.float32)
    y = np.array([0.0, 1.0, 2.0, 0.5, 3.0], np.float32)
    for name in ("xlogy", "xlog1py", "rel_entr", "kl_div", "betaln"):
        f, g = getattr(special, name), getattr(jsp, name)
        xx = x + 0.5 if name == "betaln" else x
        yy = y + 0.5 if name == "betaln" else y
        close(f(xx, yy), g(xx, yy), rtol=1e-5, atol=1e-6)
    # xlogy(0, y) has derivative log(y) in x and 0 in y, finite at y = 0 too (JAX's rule).
    gx, gy = mlax.grad(lambda a, b: jnp.sum(special.xlogy(a, b)), argnums=(0, 1))(x[1:], y[1:])
    wx, wy = jax.grad(lambda a, b: J.sum(jsp.xlogy(a, b)), argnums=(0, 1))(x[1:], y[1:])
    close(gx, wx)
    close(gy, wy)
    close(special.multigammaln(np.array([2.5, 4.0], np.float32), 3), jsp.multigammaln(np.array([2.5, 4.0], np.float32), 3),
          rtol=1e-5)
    close(special.beta(2.0, 3.5), jsp.beta(2.0, 3.5))
    close(special.softmax(X, axis=0), jsp.softmax(X, axis=0))
    close(special.log_softmax(X), jsp.log_softmax(X), atol=1e-5)
    close(special.softmax(X), jsp.softmax(X))


def test_special_gamma_family_and_boxcox():
    x = np.linspace(0.1, 6, 13).astype(np.float32)
    close(special.loggamma(x), jsp.loggamma(x), rtol=1e-5)
    close(special.factorial(x), jsp.factorial(x), rtol=1e-4)
    close(special.poch(x, 1.5), jsp.poch(x, 1.5), rtol=1e-4)
    close(special.boxcox(x, 0.5), jsp.boxcox(x, 0.5), rtol=1e-5)
    close(special.boxcox1p(x, 0.0), jsp.boxcox1p(x, 0.0), rtol=1e-5)


def test_log_ndtr_tails_in_float64(x64):
    sps = pytest.importorskip("scipy.special")
    x = np.array([-60.0, -25.0, -10.0, 0.0, 5.0, 10.0], np.float64)
    close(special.log_ndtr(x), sps.log_ndtr(x), rtol=1e-9)
    close(special.ndtr(x), sps.ndtr(x), rtol=1e-9, atol=1e-300)
