"""Convolutions and windows against JAX: lax.conv_general_dilated (strides, padding kinds,
dilations, feature and batch groups, dimension numbers, 1-D to 3-D) and its wrappers,
lax.reduce_window with lax's monoids, lax.rev, jnp.convolve / correlate and
mlax.scipy.signal; values, gradients (against JAX and finite differences), vmap (against
a loop) and the errors of bad arguments. Each table row is one configuration."""
import numpy as np
import pytest

import mlax
from mlax import lax
from mlax import numpy as jnp
from mlax.scipy import signal
from mlax.test_util import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_platforms", "cpu")
JL = jax.lax

_rng = np.random.default_rng(0)


def _normal(*shape):
    return _rng.normal(size=shape).astype(np.float32)


def _close(got, want, tol=2e-4):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, \
        (got.shape, want.shape, got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


class _x64:
    """Float64 for finite differences."""
    def __enter__(self):
        mlax.config.update("jax_enable_x64", True)

    def __exit__(self, *exc):
        mlax.config.update("jax_enable_x64", False)


# name -> (lhs shape, rhs shape, keyword arguments of conv_general_dilated)
NHWC = ("NHWC", "HWIO", "NHWC")
CONV = {
    "2d_same": ((2, 3, 9, 8), (4, 3, 3, 2), dict(window_strides=(1, 1), padding="SAME")),
    "2d_valid_strided": ((2, 3, 9, 8), (4, 3, 3, 2), dict(window_strides=(2, 3), padding="VALID")),
    "2d_same_lower": ((1, 2, 7, 6), (3, 2, 2, 3), dict(window_strides=(2, 2), padding="SAME_LOWER")),
    "2d_pairs_negative": ((2, 3, 9, 8), (4, 3, 3, 2), dict(window_strides=(1, 1),
                                                           padding=((2, 1), (0, -1)))),
    "2d_dilations": ((2, 3, 9, 8), (4, 3, 3, 2), dict(window_strides=(2, 1), padding=((1, 2), (1, 0)),
                                                      lhs_dilation=(2, 1), rhs_dilation=(1, 2))),
    "nhwc": ((2, 9, 8, 3), (3, 3, 3, 5), dict(window_strides=(1, 1), padding="SAME",
                                             dimension_numbers=NHWC)),
    "mixed_layouts": ((3, 7, 2, 6), (2, 4, 3, 2), dict(window_strides=(1, 2), padding="VALID",
                                                       dimension_numbers=("HNCW", "IOHW", "WHCN"))),
    "feature_groups": ((2, 9, 8, 6), (3, 3, 3, 4), dict(window_strides=(1, 2), padding="SAME",
                                                        dimension_numbers=NHWC,
                                                        feature_group_count=2)),
    "depthwise": ((2, 8, 8, 3), (3, 3, 1, 6), dict(window_strides=(1, 1), padding="SAME",
                                                   dimension_numbers=NHWC, feature_group_count=3)),
    "batch_groups": ((4, 9, 8, 3), (3, 3, 3, 4), dict(window_strides=(1, 1), padding="VALID",
                                                      dimension_numbers=NHWC, batch_group_count=2)),
    "1d": ((2, 20, 3), (5, 3, 4), dict(window_strides=(2,), padding="SAME",
                                       dimension_numbers=("NWC", "WIO", "NWC"), rhs_dilation=(2,))),
    "3d": ((1, 6, 5, 4, 2), (3, 2, 2, 2, 3), dict(window_strides=(1, 2, 1), padding="SAME",
                                                  dimension_numbers=("NHWDC", "HWDIO", "NHWDC"))),
    "big_window": ((2, 3, 6, 5), (2, 3, 5, 4), dict(window_strides=(1, 1), padding="VALID")),
}


@pytest.mark.parametrize("name", CONV)
def test_conv_values_match_jax(name):
    ls, rs, kw = CONV[name]
    x, w = _normal(*ls), _normal(*rs)
    want = JL.conv_general_dilated(x, w, **kw)
    _close(lax.conv_general_dilated(x, w, **kw), want)
    _close(mlax.jit(lambda a, b: lax.conv_general_dilated(a, b, **kw))(x, w), want)


@pytest.mark.parametrize("name", CONV)
def test_conv_gradients_match_jax(name):
    ls, rs, kw = CONV[name]
    x, w = _normal(*ls), _normal(*rs)
    ct = _normal(*JL.conv_general_dilated(x, w, **kw).shape)
    f = lambda a, b: jnp.sum(lax.conv_general_dilated(a, b, **kw) * ct)  # noqa: E731
    jf = lambda a, b: (JL.conv_general_dilated(a, b, **kw) * ct).sum()  # noqa: E731
    for got, want in zip(mlax.grad(f, (0, 1))(x, w), jax.grad(jf, (0, 1))(x, w)):
        _close(got, want, 1e-3)


@pytest.mark.parametrize("name", ["2d_dilations", "feature_groups", "batch_groups", "1d"])
def test_conv_gradients_match_finite_differences(name):
    ls, rs, kw = CONV[name]
    x, w = _normal(*ls).astype(np.float64), _normal(*rs).astype(np.float64)
    with _x64():
        check_grads(lambda a, b: lax.conv_general_dilated(a, b, **kw), (x, w), order=2,
                    modes=("fwd", "rev"), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ["2d_dilations", "feature_groups", "batch_groups", "1d", "nhwc"])
@pytest.mark.parametrize("axes", [(0, 0), (1, None), (None, 2)])
def test_conv_vmap_matches_a_loop(name, axes):
    ls, rs, kw = CONV[name]
    x, w = _normal(*ls), _normal(*rs)
    xs = np.stack([x, -x, 2 * x], axes[0]) if axes[0] is not None else x
    ws = np.stack([w, w[::-1], -w], axes[1]) if axes[1] is not None else w
    got = mlax.vmap(lambda a, b: lax.conv_general_dilated(a, b, **kw), axes)(xs, ws)
    for i in range(3):
        a = np.take(xs, i, axes[0]) if axes[0] is not None else x
        b = np.take(ws, i, axes[1]) if axes[1] is not None else w
        _close(np.asarray(got)[i], JL.conv_general_dilated(a, b, **kw))


def test_conv_vmap_of_grad_matches_jax():
    ls, rs, kw = CONV["feature_groups"]
    xs, w = _normal(3, *ls), _normal(*rs)
    f = lambda a, b: jnp.sum(jnp.tanh(lax.conv_general_dilated(a, b, **kw)))  # noqa: E731
    jf = lambda a, b: jax.numpy.tanh(JL.conv_general_dilated(a, b, **kw)).sum()  # noqa: E731
    _close(mlax.vmap(mlax.grad(f, 1), (0, None))(xs, w), jax.vmap(jax.grad(jf, 1), (0, None))(xs, w), 1e-3)


def test_conv_integer_and_preferred_element_type():
    x = _rng.integers(-3, 4, (1, 2, 6, 5)).astype(np.int32)
    w = _rng.integers(-3, 4, (3, 2, 2, 2)).astype(np.int32)
    _close(lax.conv(x, w, (1, 1), "SAME"), JL.conv(x, w, (1, 1), "SAME"))
    _close(lax.conv(x, w, (1, 1), "VALID", preferred_element_type=np.float32),
           JL.conv(x, w, (1, 1), "VALID", preferred_element_type=np.float32))
    h = _normal(1, 2, 6, 5).astype(np.float16)
    k = _normal(3, 2, 2, 2).astype(np.float16)
    _close(lax.conv(h, k, (1, 1), "SAME"), JL.conv(h, k, (1, 1), "SAME"), 1e-2)


def test_conv_wrappers_and_shape_helpers():
    x, w = _normal(2, 3, 9, 8), _normal(4, 3, 3, 2)
    _close(lax.conv(x, w, (2, 1), "SAME"), JL.conv(x, w, (2, 1), "SAME"))
    _close(lax.conv_with_general_padding(x, w, (1, 2), ((1, 1), (2, 0)), (2, 1), (1, 2)),
           JL.conv_with_general_padding(x, w, (1, 2), ((1, 1), (2, 0)), (2, 1), (1, 2)))
    xh, wh = _normal(2, 7, 6, 3), _normal(3, 3, 3, 5)
    for pad in ["SAME", "VALID", ((1, 2), (0, 1))]:
        _close(lax.conv_transpose(xh, wh, (2, 2), pad, dimension_numbers=NHWC),
               JL.conv_transpose(xh, wh, (2, 2), pad, dimension_numbers=NHWC))
        _close(lax.conv_transpose(xh, wh, (2, 1), pad, rhs_dilation=(1, 2),
                                  dimension_numbers=NHWC, use_consistent_padding=True),
               JL.conv_transpose(xh, wh, (2, 1), pad, rhs_dilation=(1, 2),
                                 dimension_numbers=NHWC, use_consistent_padding=True))
    wk = _normal(3, 3, 5, 3)
    _close(lax.conv_transpose(xh, wk, (2, 1), "SAME", dimension_numbers=NHWC, transpose_kernel=True),
           JL.conv_transpose(xh, wk, (2, 1), "SAME", dimension_numbers=NHWC, transpose_kernel=True))
    dn = lax.conv_dimension_numbers(xh.shape, wh.shape, NHWC)
    assert isinstance(dn, lax.ConvDimensionNumbers)
    assert tuple(dn) == tuple(JL.conv_dimension_numbers(xh.shape, wh.shape, NHWC))
    assert lax.conv_general_shape_tuple(xh.shape, wh.shape, (2, 1), "SAME", NHWC) == \
        tuple(JL.conv_general_shape_tuple(xh.shape, wh.shape, (2, 1), "SAME", NHWC))
    assert lax.conv_transpose_shape_tuple(xh.shape, wh.shape, (2, 2), "VALID", NHWC) == \
        tuple(JL.conv_transpose_shape_tuple(xh.shape, wh.shape, (2, 2), "VALID", NHWC))
    assert lax.padtype_to_pads((7, 6), (3, 2), (2, 2), "SAME_LOWER") == \
        list(JL.padtype_to_pads((7, 6), (3, 2), (2, 2), "SAME_LOWER"))


@pytest.mark.parametrize("call, error, match", [
    (lambda: lax.conv(_normal(1, 2, 5, 5), _normal(3, 4, 2, 2), (1, 1), "SAME"), ValueError,
     "feature_group_count"),
    (lambda: lax.conv(_normal(1, 2, 5, 5), _normal(3, 2, 2), (1, 1), "SAME"), ValueError,
     "same number of dimensions"),
    (lambda: lax.conv(_normal(1, 2, 5, 5), _normal(3, 2, 2, 2), (1,), "VALID"), ValueError,
     "window_strides"),
    (lambda: lax.conv_general_dilated(_normal(1, 2, 5, 5), _normal(3, 2, 2, 2), (1, 1), "SAME",
                                      dimension_numbers=("NCHW", "OIHW", "NCHX")), TypeError,
     "spatial characters"),
    (lambda: lax.conv(_normal(1, 2, 5, 5), _normal(3, 2, 2, 2), (1, 1), "FULL"), RuntimeError,
     "Unrecognized padding"),
    (lambda: lax.conv_general_dilated(_normal(1, 2, 5, 5), _normal(3, 2, 2, 2), (1, 1), "SAME",
                                      lhs_dilation=(2, 1)), ValueError, "conv_transpose"),
    (lambda: lax.conv_general_dilated(_normal(2, 2, 5, 5), _normal(3, 2, 2, 2), (1, 1), "SAME",
                                      batch_group_count=2), ValueError, "batch_group_count"),
    (lambda: lax.reduce_window(_normal(4, 4), 0.0, lambda a, b: a + b, (2, 2), (1, 1), "VALID"),
     NotImplementedError, "lax.add, lax.max"),
    (lambda: lax.reduce_window(_normal(4, 4), 0.0, lax.add, (2,), (1, 1), "VALID"), TypeError,
     "window_dimensions"),
])
def test_bad_arguments_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# name -> (operand shape, computation name, init, window, strides, padding, base / window dilation)
WINDOWS = {
    "max_pool": ((2, 8, 8, 3), "max", -np.inf, (1, 2, 2, 1), (1, 2, 2, 1), "VALID", None, None),
    "max_pool_same_overlapping": ((2, 7, 6, 3), "max", -np.inf, (1, 3, 3, 1), (1, 2, 1, 1),
                                  "SAME", None, None),
    "sum_pool_pairs": ((2, 7, 6), "add", 0.0, (1, 2, 3), (1, 1, 2), ((0, 0), (1, 2), (0, 1)),
                       None, None),
    "min_dilated": ((3, 9, 8), "min", np.inf, (1, 2, 2), (1, 1, 2), "VALID", (1, 2, 1), (1, 1, 2)),
    "add_dilated": ((3, 9, 8), "add", 0.0, (1, 2, 2), (1, 2, 1), ((0, 0), (1, 1), (0, 2)),
                    (1, 2, 1), (1, 2, 2)),
    "add_init_one": ((2, 6, 5), "add", 1.0, (1, 2, 2), (1, 1, 1), "SAME", None, None),
    "max_init_zero": ((2, 6, 5), "max", 0.0, (1, 2, 2), (1, 2, 2), "VALID", None, None),
    "mul": ((2, 6, 5), "mul", 1.0, (1, 2, 3), (1, 2, 1), "VALID", None, None),
    "max_1d_negative_pad": ((10,), "max", -np.inf, (3,), (2,), ((-1, 2),), None, None),
}
_LAX = {"add": (lax.add, JL.add), "max": (lax.max, JL.max), "min": (lax.min, JL.min),
        "mul": (lax.mul, JL.mul)}


def _windowed(name, lib):
    shape, comp, init, window, strides, padding, base, wdil = WINDOWS[name]
    fn = _LAX[comp][0 if lib is lax else 1]
    return lambda x: lib.reduce_window(x, init, fn, window, strides, padding, base, wdil)


@pytest.mark.parametrize("name", WINDOWS)
def test_reduce_window_values_match_jax(name):
    x = _normal(*WINDOWS[name][0])
    want = _windowed(name, JL)(x)
    _close(_windowed(name, lax)(x), want)
    _close(mlax.jit(_windowed(name, lax))(x), want)
    xi = _rng.integers(-9, 9, WINDOWS[name][0]).astype(np.int32)
    try:                  # a float init on ints: only the monoid's identity is accepted
        want = _windowed(name, JL)(xi)
    except TypeError:
        with pytest.raises(TypeError, match="inconsistent dtypes"):
            _windowed(name, lax)(xi)
    else:
        _close(_windowed(name, lax)(xi), want)


# JAX differentiates reduce_window only with the monoid's identity as init, and max windows
# without negative padding (mlax also the others: checked against finite differences).
@pytest.mark.parametrize("name", [n for n in WINDOWS if WINDOWS[n][1] != "mul"
                                  and not n.endswith(("init_one", "init_zero", "negative_pad"))])
def test_reduce_window_gradients_match_jax(name):
    x = _normal(*WINDOWS[name][0])
    x[..., :1] = 0.0                       # ties: the first maximum / minimum is chosen
    if WINDOWS[name][7] is not None and WINDOWS[name][1] != "add":
        pytest.skip("JAX has no VJP of max / min windows with window dilation")
    ct = _normal(*_windowed(name, JL)(x).shape)
    f = lambda a: jnp.sum(_windowed(name, lax)(a) * ct)  # noqa: E731
    jf = lambda a: (_windowed(name, JL)(a) * ct).sum()  # noqa: E731
    _close(mlax.grad(f)(x), jax.grad(jf)(x))
    t = _normal(*x.shape)
    _close(mlax.jvp(f, (x,), (t,))[1], jax.jvp(jf, (x,), (t,))[1], 1e-3)
    _close(mlax.vmap(mlax.grad(f))(np.stack([x, -x])), jax.vmap(jax.grad(jf))(np.stack([x, -x])))


@pytest.mark.parametrize("name", ["max_pool_same_overlapping", "sum_pool_pairs", "add_dilated",
                                  "min_dilated", "add_init_one", "max_1d_negative_pad"])
def test_reduce_window_gradients_match_finite_differences(name):
    x = _normal(*WINDOWS[name][0]).astype(np.float64)
    with _x64():
        check_grads(_windowed(name, lax), (x,), order=2, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", WINDOWS)
def test_reduce_window_vmap_matches_a_loop(name):
    xs = _normal(3, *WINDOWS[name][0])
    for axis in (0, xs.ndim - 1):
        moved = np.moveaxis(xs, 0, axis)
        got = np.asarray(mlax.vmap(_windowed(name, lax), axis)(moved))
        for i in range(3):
            _close(got[i], _windowed(name, JL)(xs[i]))


def test_rev():
    x = _normal(3, 4, 5)
    _close(lax.rev(x, (0, 2)), JL.rev(x, (0, 2)))
    _close(mlax.grad(lambda a: jnp.sum(lax.rev(a, (1,)) * x))(x), np.flip(x, 1))
    _close(mlax.vmap(lambda a: lax.rev(a, (1,)))(x), jax.vmap(lambda a: JL.rev(a, (1,)))(x))


@pytest.mark.parametrize("n, m", [(7, 3), (3, 7), (5, 5), (9, 1)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_jnp_convolve_and_correlate(n, m, mode):
    a, v = _normal(n), _normal(m)
    _close(jnp.convolve(a, v, mode), jax.numpy.convolve(a, v, mode))
    _close(jnp.correlate(a, v, mode), jax.numpy.correlate(a, v, mode))


@pytest.mark.parametrize("s1, s2", [((6, 7), (3, 2)), ((3, 2), (6, 7)), ((4, 4), (4, 4))])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_scipy_signal(s1, s2, mode):
    import jax.scipy.signal as jsignal
    a, v = _normal(*s1), _normal(*s2)
    for name in ("convolve", "correlate", "convolve2d", "correlate2d"):
        _close(getattr(signal, name)(a, v, mode), getattr(jsignal, name)(a, v, mode))
    a3, v3 = _normal(5, 4, 6), _normal(2, 3, 2)
    _close(signal.convolve(a3, v3, mode), jsignal.convolve(a3, v3, mode))
    with pytest.raises(NotImplementedError, match="fft"):
        signal.convolve(a, v, method="fft")


# The tpu backend (StableHLO run by XLA) on the same tables: values and gradients of every
# convolution against JAX (at HIGHEST precision, float32 as JAX's CPU computes it; TPU
# rounding at DEFAULT: test_tpu_numerics.py), of every window against mlax's cpu backend
# (which also differentiates the windows JAX does not).
@pytest.mark.parametrize("name", CONV)
def test_conv_on_tpu_matches_jax(name):
    ls, rs, kw = CONV[name]
    x, w = _normal(*ls), _normal(*rs)
    ct = _normal(*JL.conv_general_dilated(x, w, **kw).shape)
    f = lambda a, b: jnp.sum(lax.conv_general_dilated(a, b, **kw) * ct)  # noqa: E731
    jf = lambda a, b: (JL.conv_general_dilated(a, b, **kw) * ct).sum()  # noqa: E731
    with mlax.default_matmul_precision("highest"):
        got = mlax.jit(lambda a, b: (lax.conv_general_dilated(a, b, **kw),
                                     mlax.grad(f, (0, 1))(a, b)), backend="tpu")(x, w)
    _close(got[0], JL.conv_general_dilated(x, w, **kw))
    for g, want in zip(got[1], jax.grad(jf, (0, 1))(x, w)):
        _close(g, want, 1e-3)


def _window_derivatives(name):
    """The window, its gradient, JVP and second derivative (select_and_gather_add and
    select_and_scatter_add both ways for max / min windows)."""
    fn = _windowed(name, lax)
    ct = _normal(*np.shape(_windowed(name, JL)(_normal(*WINDOWS[name][0]))))

    def f(a):
        return jnp.sum(fn(a) * ct)

    def all_of(x, t):
        second = mlax.grad(lambda a: jnp.sum(mlax.grad(f)(a) * t) + f(a))(x)
        return fn(x), mlax.grad(f)(x), mlax.jvp(f, (x,), (t,))[1], second
    return all_of


@pytest.mark.parametrize("name", [n for n in WINDOWS if WINDOWS[n][1] != "mul"])
def test_reduce_window_on_tpu_matches_the_cpu_backend(name):
    x, t = _normal(*WINDOWS[name][0]), _normal(*WINDOWS[name][0])
    x[..., :1] = 0.0                       # ties: the first maximum / minimum is chosen
    derivatives = _window_derivatives(name)
    want = mlax.jit(derivatives)(x, t)
    got = mlax.jit(derivatives, backend="tpu")(x, t)
    for g, w in zip(got, want):
        _close(g, w, 1e-4)
    xi = _rng.integers(-9, 9, WINDOWS[name][0]).astype(np.int32)
    if (WINDOWS[name][1], WINDOWS[name][2]) in (("add", 0.0), ("max", -np.inf), ("min", np.inf)):
        _close(mlax.jit(_windowed(name, lax), backend="tpu")(xi), _windowed(name, lax)(xi))


def test_mul_window_and_float64_window_derivatives_on_tpu():
    x = _normal(2, 6, 5)
    _close(mlax.jit(_windowed("mul", lax), backend="tpu")(x), _windowed("mul", JL)(x))
    name = "max_pool_same_overlapping"    # float64: a reduce_window over (value, tangent)
    x, t = (_normal(*WINDOWS[name][0]).astype(np.float64) for _ in range(2))
    with _x64():
        derivatives = _window_derivatives(name)
        want = mlax.jit(derivatives)(x, t)
        got = mlax.jit(derivatives, backend="tpu")(x, t)
    for g, w in zip(got, want):
        _close(g, w, 1e-10)
