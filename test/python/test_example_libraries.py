"""mlax.example_libraries (optimizers, stax) against jax.example_libraries: the same
keys give the same parameters, each optimizer the same steps, an MLP trained with stax and
adam under jit(grad) the same losses."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import random
from mlax.example_libraries import optimizers, stax

J = pytest.importorskip("jax")
from jax.example_libraries import optimizers as joptimizers  # noqa: E402
from jax.example_libraries import stax as jstax  # noqa: E402


@pytest.fixture(autouse=True)
def same_threefry_layout():
    """Both libraries split keys the same way (another test may change either's layout)."""
    old, old_jax = mlax.config.read("jax_threefry_partitionable"), J.config.jax_threefry_partitionable
    mlax.config.update("jax_threefry_partitionable", True)
    J.config.update("jax_threefry_partitionable", True)
    yield
    mlax.config.update("jax_threefry_partitionable", old)
    J.config.update("jax_threefry_partitionable", old_jax)


def _close(a, b, rtol=1e-5, atol=1e-6):
    la, ta = mlax.tree_util.tree_flatten(a)
    lb, tb = J.tree_util.tree_flatten(b)
    assert len(la) == len(lb), (ta, tb)
    for x, y in zip(la, lb):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


def _mlp(lib):
    return lib.serial(lib.Dense(16), lib.Relu, lib.Dense(16), lib.Tanh, lib.Dense(3), lib.LogSoftmax)


def test_mlp_trained_with_adam_matches_jax():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 5)).astype(np.float32)
    labels = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]

    def train(lib, opt_lib, np_, jit, grad, key):
        init, apply = _mlp(lib)
        _, params = init(key, (-1, 5))
        opt_init, opt_update, get_params = opt_lib.adam(1e-2)

        def loss(p):
            return -np_.mean(np_.sum(apply(p, x) * labels, axis=1))

        @jit
        def step(i, state):
            p = get_params(state)
            return loss(p), opt_update(i, grad(loss)(p), state)
        state = opt_init(params)
        losses = []
        for i in range(20):
            value, state = step(i, state)
            losses.append(float(value))
        return losses, get_params(state)

    got, got_params = train(stax, optimizers, jnp, mlax.jit, mlax.grad, random.PRNGKey(1))
    want, want_params = train(jstax, joptimizers, J.numpy, J.jit, J.grad, J.random.PRNGKey(1))
    assert got[-1] < got[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    _close(got_params, want_params, rtol=1e-4, atol=1e-5)


OPTIMIZERS = [
    ("sgd", (0.1,)), ("momentum", (0.1, 0.9)), ("nesterov", (0.1, 0.9)), ("adagrad", (0.1,)),
    ("rmsprop", (0.1,)), ("rmsprop_momentum", (0.1,)), ("adam", (0.1,)), ("adamax", (0.1,)),
    ("sm3", (0.1,)),
]


@pytest.mark.parametrize("name,args", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_steps_match_jax(name, args):
    params = {"w": np.arange(6, dtype=np.float32).reshape(2, 3) / 5, "b": (np.float32(0.5),)}

    def run(lib, np_, jit, grad):
        init, update, get_params = getattr(lib, name)(*args)
        f = lambda p: np_.sum(np_.sin(p["w"]) ** 2) + p["b"][0] ** 2   # noqa: E731
        step = lambda i, s: update(i, grad(f)(get_params(s)), s)   # noqa: E731
        if name != "sm3":      # sm3's state holds the shape as ints: JAX cannot jit it either
            step = jit(step)
        state = init(params)
        for i in range(4):
            state = step(i, state)
        return get_params(state)
    _close(run(optimizers, jnp, mlax.jit, mlax.grad), run(joptimizers, J.numpy, J.jit, J.grad))


def test_schedules_and_helpers_match_jax():
    for make in [lambda m: m.constant(0.3), lambda m: m.exponential_decay(0.3, 5, 0.5),
                 lambda m: m.inverse_time_decay(0.3, 5, 0.5),
                 lambda m: m.inverse_time_decay(0.3, 5, 0.5, staircase=True),
                 lambda m: m.polynomial_decay(0.3, 5, 0.01, power=2.0),
                 lambda m: m.piecewise_constant([3, 6], [0.3, 0.2, 0.1]),
                 lambda m: m.make_schedule(0.3), lambda m: m.make_schedule(m.constant(0.2))]:
        mine, theirs = make(optimizers), make(joptimizers)
        for i in [0, 2, 3, 4, 6, 9]:
            np.testing.assert_allclose(np.asarray(mine(i)), np.asarray(theirs(i)), rtol=1e-6)
    tree = {"a": np.array([3.0, 4.0], np.float32), "b": [np.array(12.0, np.float32)]}
    np.testing.assert_allclose(optimizers.l2_norm(tree), joptimizers.l2_norm(tree), rtol=1e-6)
    _close(optimizers.clip_grads(tree, 5.0), joptimizers.clip_grads(tree, 5.0))
    with pytest.raises(ValueError):
        optimizers.piecewise_constant([3], [0.1])


def test_pack_unpack_optimizer_state():
    init, update, get_params = optimizers.momentum(0.1, 0.9)
    state = init({"w": jnp.ones(3), "b": (jnp.zeros(2),)})
    assert isinstance(state, optimizers.OptimizerState)
    packed = optimizers.unpack_optimizer_state(state)
    again = optimizers.pack_optimizer_state(packed)
    assert mlax.tree_util.tree_structure(again) == mlax.tree_util.tree_structure(state)
    _close(get_params(again), {"w": np.ones(3, np.float32), "b": (np.zeros(2, np.float32),)})
    # A state is a pytree: it goes through jit.
    out = mlax.jit(lambda s: update(0, {"w": jnp.ones(3), "b": (jnp.ones(2),)}, s))(state)
    _close(get_params(out)["w"], np.full(3, 0.9, np.float32))


def test_stax_layers_match_jax():
    x = np.random.default_rng(1).normal(size=(4, 2, 3)).astype(np.float32)

    def net(lib):
        return lib.serial(
            lib.Flatten, lib.Dense(8),
            lib.FanOut(3),
            lib.parallel(lib.serial(lib.Elu, lib.Dense(4)), lib.serial(lib.Softplus, lib.Dense(4)),
                         lib.serial(lib.Gelu, lib.Dense(4))),
            lib.FanInConcat(),
            lib.BatchNorm(axis=(0,)),
            lib.FanOut(2),
            lib.parallel(lib.LeakyRelu, lib.Sigmoid),
            lib.FanInSum,
            lib.Identity, lib.Selu, lib.Exp, lib.Softmax)

    def run(lib, key):
        init, apply = net(lib)
        shape, params = init(key, x.shape)
        return shape, params, apply(params, x)
    shape, params, out = run(stax, random.PRNGKey(3))
    jshape, jparams, jout = run(jstax, J.random.PRNGKey(3))
    assert shape == jshape == (4, 12)
    _close(params, jparams)
    _close(out, jout, rtol=1e-5, atol=1e-6)


def test_dropout_and_shape_dependent_match_jax():
    x = np.random.default_rng(2).normal(size=(5, 6)).astype(np.float32)
    for mode in ("train", "test"):
        init, apply = stax.Dropout(0.7, mode=mode)
        jinit, japply = jstax.Dropout(0.7, mode=mode)
        _close(apply((), x, rng=random.PRNGKey(4)), japply((), x, rng=J.random.PRNGKey(4)))
    with pytest.raises(ValueError, match="rng"):
        stax.Dropout(0.5)[1]((), x)
    make = lambda lib: lib.shape_dependent(lambda shape: lib.Dense(shape[-1]))  # noqa: E731
    (_, p), (_, jp) = make(stax)[0](random.PRNGKey(5), x.shape), make(jstax)[0](J.random.PRNGKey(5), x.shape)
    _close(make(stax)[1](p, x), make(jstax)[1](jp, x))


@pytest.mark.parametrize("make", [
    lambda lib: lib.Conv(4, (3, 3), strides=(2, 1), padding="SAME"),
    lambda lib: lib.ConvTranspose(4, (3, 3), strides=(2, 2), padding="SAME"),
    lambda lib: lib.GeneralConv(("NCHW", "OIHW", "NCHW"), 4, (2, 3)),
    lambda lib: lib.MaxPool((2, 2)), lambda lib: lib.AvgPool((3, 3), (2, 2), "SAME"),
    lambda lib: lib.SumPool((2, 2), (1, 2))],
    ids=["Conv", "ConvTranspose", "GeneralConv", "MaxPool", "AvgPool", "SumPool"])
def test_conv_and_pooling_layers_match_jax(make):
    x = np.random.default_rng(3).normal(size=(2, 8, 7, 3)).astype(np.float32)
    (shape, params), (jshape, jparams) = (make(stax)[0](random.PRNGKey(0), x.shape),
                                          make(jstax)[0](J.random.PRNGKey(0), x.shape))
    assert tuple(shape) == tuple(jshape)
    params = J.tree_util.tree_map(np.asarray, jparams)   # JAX's initial values for both
    out = make(stax)[1](params, x)
    assert out.shape == tuple(shape)
    _close(out, make(jstax)[1](jparams, x), rtol=1e-4, atol=1e-5)


def test_small_cnn_trains_under_jit_grad_and_vmap_grad():
    init, apply = stax.serial(stax.Conv(4, (3, 3)), stax.Relu, stax.MaxPool((2, 2)),
                              stax.Flatten, stax.Dense(3), stax.LogSoftmax)
    _, params = init(random.PRNGKey(1), (-1, 8, 8, 1))
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 8, 8, 1)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 6)]

    def loss(p, x, y):
        return -jnp.mean(jnp.sum(apply(p, x) * y, axis=-1))

    @mlax.jit
    def step(p, x, y):
        g = mlax.grad(loss)(p, x, y)
        return mlax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, g)

    first = float(loss(params, x, y))
    for _ in range(20):
        params = step(params, x, y)
    assert float(loss(params, x, y)) < 0.5 * first
    # Per-example gradients: vmap(grad) against a loop.
    per = mlax.vmap(mlax.grad(loss), in_axes=(None, 0, 0))(params, x[:, None], y[:, None])
    for i in range(3):
        one = mlax.grad(loss)(params, x[i:i + 1], y[i:i + 1])
        for a, b in zip(mlax.tree_util.tree_leaves(per), mlax.tree_util.tree_leaves(one)):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), rtol=1e-4, atol=1e-5)
