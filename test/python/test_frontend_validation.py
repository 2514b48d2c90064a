"""Front-end argument validation: mlax raises where JAX raises (with JAX's exception types
and messages that name the mistake), and accepts what JAX accepts."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import random

X = jnp.arange(6.0).reshape(2, 3)


def f2(x, y):
    return x + y


# (call, exception type, message pattern). Each raised in JAX 0.10.2 as well, with the same
# type (numpy's AxisError is both the ValueError and the IndexError JAX raises for an axis).
RAISES = {
    # Lists and tuples as array arguments (JAX: "requires ndarray or scalar arguments").
    "sum_list": (lambda: jnp.sum([1, 2, 3]), TypeError, "got a list"),
    "sin_list": (lambda: jnp.sin([1.0, 2.0]), TypeError, "got a list"),
    "add_tuple": (lambda: jnp.add((1, 2), 1), TypeError, "got a tuple"),
    "where_list": (lambda: jnp.where([True, False], 1, 2), TypeError, "got a list"),
    "argmax_list": (lambda: jnp.argmax([1, 3, 2]), TypeError, "got a list"),
    "zeros_like_list": (lambda: jnp.zeros_like([1, 2]), TypeError, "got a list"),
    "list_index": (lambda: X[[0, 1]], TypeError, "non-tuple sequence"),
    "list_index_update": (lambda: X.at[[0, 1]].set(0.0), TypeError, "non-tuple sequence"),
    # Axes out of range or repeated.
    "expand_dims_past_end": (lambda: jnp.expand_dims(X, 3), ValueError, "axis 3 is out of bounds"),
    "expand_dims_before_start": (lambda: jnp.expand_dims(X, -4), ValueError, "axis -4 is out of bounds"),
    "expand_dims_repeated": (lambda: jnp.expand_dims(X, (0, 0)), ValueError, "repeated axis"),
    "moveaxis_source": (lambda: jnp.moveaxis(X, 2, 0), ValueError, "axis 2 is out of bounds"),
    "moveaxis_destination": (lambda: jnp.moveaxis(X, 0, -3), ValueError, "axis -3 is out of bounds"),
    "moveaxis_lengths": (lambda: jnp.moveaxis(X, (0, 1), (1,)), ValueError, "same number"),
    "moveaxis_repeated_source": (lambda: jnp.moveaxis(X, (0, -2), (0, 1)), TypeError, "repeated axis"),
    "sum_axis": (lambda: jnp.sum(X, axis=2), ValueError, "axis 2 is out of bounds"),
    "sum_axis_repeated": (lambda: jnp.sum(X, axis=(1, -1)), ValueError, "duplicate value"),
    "sum_scalar_axis": (lambda: jnp.sum(jnp.float32(1), axis=0), ValueError, "dimension 0"),
    "mean_axis": (lambda: jnp.mean(X, axis=2), IndexError, "out of bounds"),
    "argmax_axis": (lambda: jnp.argmax(X, axis=2), IndexError, "out of bounds"),
    "cumsum_axis": (lambda: jnp.cumsum(X, axis=-3), ValueError, "out of bounds"),
    "cumsum_axis_tuple": (lambda: jnp.cumsum(X, axis=(0,)), TypeError, "tuple"),
    "stack_axis": (lambda: jnp.stack([X, X], axis=3), ValueError, "out of bounds"),
    "concatenate_axis": (lambda: jnp.concatenate([X, X], axis=2), ValueError, "out of bounds"),
    "swapaxes": (lambda: jnp.swapaxes(X, 0, 2), IndexError, "out of bounds"),
    "flip_repeated": (lambda: jnp.flip(X, (0, 0)), TypeError, "unique"),
    "sort_scalar": (lambda: jnp.sort(jnp.float32(1), axis=0), ValueError, "dimension 0"),
    "tensordot_axes": (lambda: jnp.tensordot(X, X, axes=([2], [0])), ValueError, "out of bounds"),
    "norm_axis": (lambda: jnp.linalg.norm(X, axis=2), ValueError, "out of bounds"),
    "norm_axis_repeated": (lambda: jnp.linalg.norm(X, axis=(0, 0)), ValueError, "duplicate"),
    "rot90_axes": (lambda: jnp.rot90(X, axes=(0, 2)), ValueError, "out of bounds"),
    "diagonal_same_axes": (lambda: jnp.diagonal(X, axis1=0, axis2=0), TypeError, "same axis"),
    "rollaxis_start": (lambda: jnp.rollaxis(X, 0, 4), ValueError, "start=4"),
    "transpose_axis": (lambda: jnp.transpose(X, (0, 2)), ValueError, "axis 2 is out of bounds"),
    "transpose_repeated": (lambda: jnp.transpose(X, (0, 0)), TypeError,
                           r"axes \(0, 0\) are not a permutation of the 2 axes"),
    "transpose_short": (lambda: jnp.transpose(X, (1,)), TypeError, r"axes \(1,\) are not a permutation"),
    "transpose_method": (lambda: X.transpose((1, 1)), TypeError, "not a permutation"),
    # Shapes that are not sequences of non-negative ints.
    "zeros_float_shape": (lambda: jnp.zeros((2.0, 3)), TypeError, r"integer type, got \(2.0, 3\)"),
    "zeros_float_size": (lambda: jnp.zeros(2.0), TypeError, "integer type"),
    "ones_float_shape": (lambda: jnp.ones((2, 3.5)), TypeError, "integer type"),
    "full_float_shape": (lambda: jnp.full((2.0,), 1.0), TypeError, "integer type"),
    "zeros_negative": (lambda: jnp.zeros((-1,)), TypeError, "non-negative"),
    "reshape_float": (lambda: jnp.reshape(X, (3.0, 2)), TypeError, "integer type"),
    "reshape_method_float": (lambda: X.reshape(3.0, 2), TypeError, "integer type"),
    "broadcast_to_float": (lambda: jnp.broadcast_to(X, (2.0, 3)), TypeError, "integer type"),
    "eye_float": (lambda: jnp.eye(2.0), TypeError, "integer type"),
    "tile_float": (lambda: jnp.tile(X, 2.0), TypeError, "integer type"),
    # Reductions without an identity over nothing.
    "max_empty": (lambda: jnp.max(jnp.zeros(0)), ValueError, "zero-size array to reduction operation max"),
    "min_empty_axis": (lambda: jnp.min(jnp.zeros((0, 3)), axis=0), ValueError, "operation min"),
    "amax_method_empty": (lambda: jnp.zeros(0).max(), ValueError, "zero-size"),
    "nanmax_empty": (lambda: jnp.nanmax(jnp.zeros(0)), ValueError, "zero-size"),
    "ptp_empty": (lambda: jnp.ptp(jnp.zeros(0)), ValueError, "zero-size"),
    "argmax_empty": (lambda: jnp.argmax(jnp.zeros(0)), ValueError, "argmax of an empty sequence"),
    "argmin_empty_axis": (lambda: jnp.argmin(jnp.zeros((0, 3)), axis=0), ValueError, "argmin of an empty"),
    "nanargmax_empty": (lambda: jnp.nanargmax(jnp.zeros(0)), ValueError, "empty sequence"),
    "median_empty": (lambda: jnp.median(jnp.zeros(0)), TypeError, "quantile of an empty array"),
    # jit's arguments.
    "jit_int": (lambda: mlax.jit(3), TypeError, "Expected a callable value, got 3"),
    "jit_none": (lambda: mlax.jit(None), TypeError, "Expected a callable value, got None"),
    "static_argnums_past_end": (lambda: mlax.jit(f2, static_argnums=2), ValueError,
                                r"static_argnums=\(2,\), but only accepts 2 positional"),
    "static_argnums_before_start": (lambda: mlax.jit(f2, static_argnums=-3), ValueError,
                                    "only accepts 2 positional"),
    "static_argnames_unknown": (lambda: mlax.jit(f2, static_argnames="z"), ValueError,
                                "invalid argnames {'z'} in static_argnames"),
    "static_argnames_positional_only": (lambda: mlax.jit(lambda x, /, y: x, static_argnames="x"),
                                        ValueError, "positional-only"),
    "static_argnums_str": (lambda: mlax.jit(f2, static_argnums=(0, "a")), TypeError, "sequence of ints"),
    "donate_argnums_past_end": (lambda: mlax.jit(f2, donate_argnums=5), ValueError, "donate_argnums"),
    # random: shapes and sizes named.
    "split_negative": (lambda: random.split(random.PRNGKey(0), -1), TypeError, "split: shape -1"),
    "split_float": (lambda: random.split(random.PRNGKey(0), 2.0), TypeError, "split: shape must be"),
    "normal_negative": (lambda: random.normal(random.PRNGKey(0), (-1,)), TypeError,
                        r"normal: shape \(-1,\) has a negative size"),
    "normal_float": (lambda: random.normal(random.PRNGKey(0), (2.0,)), TypeError, "normal: shape"),
    "randint_negative": (lambda: random.randint(random.PRNGKey(0), (-1,), 0, 3), TypeError, "randint"),
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_where_jax_raises(name):
    call, exc, match = RAISES[name]
    with pytest.raises(exc, match=match):
        call()


# A sample of the table, each run with m = mlax and m = jax: both must raise `exc`.
SAME_AS_JAX = {
    "sum_list": (lambda m: m.numpy.sum([1, 2, 3]), TypeError),
    "list_index": (lambda m: m.numpy.ones((2, 3))[[0, 1]], TypeError),
    "expand_dims_repeated": (lambda m: m.numpy.expand_dims(m.numpy.ones((2, 3)), (0, 0)), ValueError),
    "moveaxis_out_of_range": (lambda m: m.numpy.moveaxis(m.numpy.ones((2, 3)), 2, 0), ValueError),
    "mean_axis": (lambda m: m.numpy.mean(m.numpy.ones((2, 3)), axis=2), IndexError),
    "sum_axis_repeated": (lambda m: m.numpy.sum(m.numpy.ones((2, 3)), axis=(0, 0)), ValueError),
    "transpose_repeated": (lambda m: m.numpy.transpose(m.numpy.ones((2, 3)), (0, 0)), TypeError),
    "zeros_float_shape": (lambda m: m.numpy.zeros((2.0, 3)), TypeError),
    "zeros_negative": (lambda m: m.numpy.zeros((-1,)), TypeError),
    "max_empty": (lambda m: m.numpy.max(m.numpy.zeros(0)), ValueError),
    "argmax_empty": (lambda m: m.numpy.argmax(m.numpy.zeros(0)), ValueError),
    "jit_int": (lambda m: m.jit(3), TypeError),
    "static_argnums_past_end": (lambda m: m.jit(f2, static_argnums=2), ValueError),
    "static_argnames_unknown": (lambda m: m.jit(f2, static_argnames="z"), ValueError),
}


@pytest.mark.parametrize("name", sorted(SAME_AS_JAX))
def test_jax_raises_the_same_type(name):
    jax = pytest.importorskip("jax")
    call, exc = SAME_AS_JAX[name]
    for m in (mlax, jax):
        with pytest.raises(exc):
            call(m)


def test_errors_name_the_user_line():
    with pytest.raises(TypeError) as info:
        jnp.sum([1, 2, 3])
    assert "test_frontend_validation.py" in str(info.value)


# ---------------------------------------------------------------------------------------
# What JAX accepts stays accepted


def test_sequences_where_jax_takes_them():
    np.testing.assert_array_equal(jnp.asarray([1, 2]), [1, 2])
    np.testing.assert_array_equal(jnp.array([[1, 2]], ndmin=3).shape, (1, 1, 2))
    np.testing.assert_array_equal(jnp.concatenate([jnp.ones(2), np.zeros(1)]), [1, 1, 0])
    np.testing.assert_array_equal(jnp.stack([jnp.ones(2), jnp.zeros(2)]).shape, (2, 2))
    assert bool(jnp.array_equal([1, 2], jnp.array([1, 2])))
    np.testing.assert_array_equal(jnp.pad(jnp.ones((1, 1)), 1, constant_values=((1.0, 2.0), (3.0, 4.0))),
                                  np.pad(np.ones((1, 1)), 1, constant_values=((1.0, 2.0), (3.0, 4.0))))
    np.testing.assert_array_equal(X[[0, 1], [1, 2]], [1.0, 5.0])   # a tuple of lists
    np.testing.assert_array_equal(jnp.transpose(X, (0, -1)), X)
    np.testing.assert_array_equal(jnp.zeros((True, 2)).shape, (1, 2))
    np.testing.assert_array_equal(jnp.zeros(jnp.array(2)).shape, (2,))
    np.testing.assert_array_equal(jnp.zeros(np.int64(2)).shape, (2,))
    np.testing.assert_array_equal(jnp.expand_dims(X, (0, -1)).shape, (1, 2, 3, 1))
    np.testing.assert_array_equal(jnp.moveaxis(X, [0], [1]).shape, (3, 2))
    np.testing.assert_array_equal(jnp.max(jnp.zeros(0), initial=1.0), 1.0)
    np.testing.assert_array_equal(jnp.max(jnp.zeros((0, 3)), axis=1).shape, (0,))
    np.testing.assert_array_equal(jnp.argmax(jnp.zeros((0, 3)), axis=1).shape, (0,))
    assert float(jnp.sum(jnp.zeros(0))) == 0.0
    assert mlax.scipy.special.ndtr([0.0]).shape == (1,)


def test_jit_static_arguments_that_jax_accepts():
    def g(x, *args, k=1, **kw):
        return x
    assert float(mlax.jit(g, static_argnums=5)(1.0)) == 1.0       # *args takes any index
    assert float(mlax.jit(g, static_argnames="zz")(1.0)) == 1.0   # **kw takes any name
    h = mlax.jit(f2, static_argnums=-1)   # counted from the end
    out = h(1.0, 2)
    assert float(out) == 3.0 and out.weak_type   # 2 stayed a static Python int

    @mlax.jit(static_argnums=1)
    def scale(x, n):
        return x * n
    assert float(scale(2.0, 3)) == 6.0


def test_big_endian_input_is_refused_naming_the_byte_order():
    """JAX refuses non-native byte order; mlax too, with a message that says so (it used
    to say "mlax does not support dtype float32")."""
    b = np.arange(3, dtype=">f4")
    for f in (jnp.asarray, jnp.sin, mlax.jit(lambda x: x + 1)):
        with pytest.raises(TypeError, match="non-native byte order"):
            f(b)


def test_random_split_into_no_keys():
    # Split into zero keys failed inside the compiler with an IR dump.
    key = random.PRNGKey(0)
    assert random.split(key, 0).shape == (0, 2)
    assert random.split(key, (0, 3)).shape == (0, 3, 2)
    assert random.key_data(random.split(random.key(0), 0)).shape == (0, 2)
    assert random.permutation(key, 0).shape == (0,)
    assert random.normal(key, (0,)).shape == (0,)


def test_random_split_matches_jax_for_nonzero_counts():
    jax = pytest.importorskip("jax")
    for num in (1, 3, (2, 2)):
        np.testing.assert_array_equal(random.split(random.PRNGKey(7), num),
                                      jax.random.split(jax.random.PRNGKey(7), num))


# ---------------------------------------------------------------------------------------
# mlax.nn on NaN, infinities and extreme inputs

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 1e-3, -1e-3, 1.0, -1.0, 6.0, -6.0,
                    10.0, -10.0, 30.0, -30.0, 100.0, -100.0, 1e4, -1e4], np.float32)
ACTIVATIONS = ["relu", "relu6", "sigmoid", "log_sigmoid", "softplus", "soft_sign", "silu",
               "hard_sigmoid", "hard_silu", "hard_tanh", "elu", "celu", "selu", "leaky_relu",
               "gelu", "gelu_exact", "mish", "sparse_plus", "sparse_sigmoid", "log1mexp"]


def _activation(m, name):
    if name == "gelu_exact":
        return lambda x: m.nn.gelu(x, approximate=False)
    return getattr(m.nn, name)


def _assert_close(got, want, rtol):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-37)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_values_and_gradients_match_jax(name):
    jax = pytest.importorskip("jax")
    fm, fj = _activation(mlax, name), _activation(jax, name)
    _assert_close(fm(SPECIAL), fj(SPECIAL), 2e-6)
    _assert_close(mlax.vmap(mlax.grad(fm))(SPECIAL), jax.vmap(jax.grad(fj))(SPECIAL), 1e-5)


def test_relu_keeps_nan_and_gelu_keeps_its_tail():
    nan = np.float32(np.nan)
    assert np.isnan(float(mlax.nn.relu(nan))) and np.isnan(float(mlax.nn.relu6(nan)))
    assert np.isnan(float(mlax.nn.hard_sigmoid(nan)))
    assert float(mlax.grad(mlax.nn.relu)(0.0)) == 0.0 and float(mlax.grad(mlax.nn.relu6)(6.0)) == 0.0
    # x * Phi(x) at -6 and -10 (1 + erf(x / sqrt 2) rounds to 0 there in float32).
    import math
    for x in (-6.0, -10.0):
        want = x * math.erfc(-x / math.sqrt(2)) / 2
        np.testing.assert_allclose(float(mlax.nn.gelu(np.float32(x), approximate=False)), want, rtol=1e-4)


ROWS = np.array([[1.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf], [-np.inf, 0.0, 1.0],
                 [np.inf, 0.0, 1.0], [np.inf, np.inf, 0.0], [np.nan, 0.0, 1.0],
                 [1e30, 1e30, -1e30], [88.0, 89.0, 90.0], [-100.0, -200.0, -300.0]], np.float32)
MASK = np.array([[True, False, True]] * len(ROWS))
REDUCTIONS = {
    "softmax": lambda m: m.nn.softmax(ROWS),
    "softmax_axis0": lambda m: m.nn.softmax(ROWS, axis=0),
    "softmax_where": lambda m: m.nn.softmax(ROWS, where=MASK),
    "log_softmax": lambda m: m.nn.log_softmax(ROWS),
    "log_softmax_where": lambda m: m.nn.log_softmax(ROWS, where=MASK),
    "logsumexp": lambda m: m.nn.logsumexp(ROWS, axis=-1),
    "logsumexp_where": lambda m: m.nn.logsumexp(ROWS, axis=-1, where=MASK),
    "logsumexp_zero_weight": lambda m: m.scipy.special.logsumexp(ROWS, axis=-1, b=np.float32([1, 0, 2])),
    "softmax_grad": lambda m: m.grad(lambda x: (m.nn.softmax(x) * np.arange(3.0)).sum())(ROWS[0]),
    "log_softmax_grad_minus_inf": lambda m: m.grad(lambda x: m.nn.log_softmax(x)[2])(ROWS[2]),
    "logsumexp_grad_minus_inf": lambda m: m.grad(m.nn.logsumexp)(ROWS[2]),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_softmax_family_on_non_finite_rows_matches_jax(name):
    jax = pytest.importorskip("jax")
    _assert_close(REDUCTIONS[name](mlax), REDUCTIONS[name](jax), 1e-5)


def test_grad_argnums_out_of_range_raise_as_in_jax():
    """A negative argnums below -len(args) is JAX's ValueError; one past the end its
    TypeError naming how many arguments are needed."""
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(ValueError, match="greater than or equal to -len"):
        mlax.grad(f, argnums=-3)(1.0, 2.0)
    with pytest.raises(TypeError, match="requires at least 6 positional arguments"):
        mlax.grad(f, argnums=5)(1.0, 2.0)
    assert float(mlax.grad(f, argnums=-1)(1.0, 2.0)) == 1.0
