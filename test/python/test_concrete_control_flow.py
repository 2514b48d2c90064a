"""Python control flow on the value being differentiated, as in JAX (mlax.concrete).

Outside jit, the function given to grad / value_and_grad / vjp / jvp / jacfwd / jacrev /
hessian, and a custom_jvp / custom_vjp function and its rules, see their arguments'
values: `if x > 0`, `int(n)`, `float(x)`, `x.item()`, `while` on a value work and give
JAX's values. Under jit and vmap the errors stay JAX's. Each case runs the same code under
jax (the oracle) and mlax; gradients are also checked against finite differences.
"""
import operator

import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax.test_util import check_grads

jax = pytest.importorskip("jax")


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                               rtol=tol, atol=tol)


def same(make, *args):
    """make(module) -> a callable; its results under mlax and under jax agree."""
    got = make(mlax)(*args)
    want = make(jax)(*args)
    got_l, got_t = mlax.tree_util.tree_flatten(got)
    want_l, want_t = jax.tree_util.tree_flatten(want)
    assert len(got_l) == len(want_l), (got, want)
    for g, w in zip(got_l, want_l):
        close(g, w)
    return got


# -- the functions ----------------------------------------------------------------------


def abs_val(x):                       # the autodiff cookbook's
    if x > 0:
        return x
    else:
        return -x


def piecewise(x):
    if x < 1.0:
        return x ** 3
    return 2.0 * x - 1.0 + (x - 1.0) ** 2


def newton_sqrt(a):
    # `while` on a value: Newton's iteration to a tolerance.
    x = a
    while abs(x * x - a) > 1e-6 * a:
        x = 0.5 * (x + a / x)
    return x


def power_by_count(x, n):
    # int() of a traced value decides a Python loop's trip count.
    out = x
    for _ in range(int(n) - 1):
        out = out * x
    return out


COEFFS = [1.0, 2.0, 3.0, 4.0]


def pick_coefficient(x, i):
    # A Python list indexed by a traced integer (operator.index).
    return COEFFS[i] * x ** 2


@pytest.mark.parametrize("x", [3.0, -3.0, 0.5, -0.25])
def test_grad_of_abs_val(x):
    same(lambda m: m.grad(abs_val), x)
    same(lambda m: m.value_and_grad(abs_val), x)


@pytest.mark.parametrize("x", [0.5, 2.0])
def test_every_transform_takes_the_concrete_branch(x):
    same(lambda m: m.grad(piecewise), x)
    same(lambda m: (lambda v: m.jvp(piecewise, (v,), (1.0,))), x)
    same(lambda m: (lambda v: m.vjp(piecewise, v)[1](1.0)), x)
    same(lambda m: m.jacfwd(piecewise), x)
    same(lambda m: m.jacrev(piecewise), x)
    same(lambda m: m.hessian(piecewise), x)
    same(lambda m: m.grad(m.grad(piecewise)), x)


def test_gradients_match_finite_differences_on_both_sides():
    for x in (0.5, 2.0):
        check_grads(piecewise, (x,), order=2, modes=["fwd", "rev"], atol=1e-2, rtol=1e-2)


def test_while_on_a_value():
    got = same(lambda m: m.grad(newton_sqrt), 2.0)
    close(got, 0.5 / np.sqrt(2.0), 1e-4)
    same(lambda m: m.grad(newton_sqrt), 9.0)


def test_int_float_item_and_index_of_traced_values():
    same(lambda m: m.grad(power_by_count), 1.5, 3.0)
    same(lambda m: m.grad(power_by_count), 1.5, 5.0)
    same(lambda m: (lambda x, i: m.grad(pick_coefficient)(x, i)), 2.0, np.int32(2))
    same(lambda m: m.grad(lambda x: x * float(x > 1)), 3.0)
    same(lambda m: m.grad(lambda x, y: x * float(y)), 3.0, 2.0)
    same(lambda m: m.grad(lambda x: x * x.item() if x.item() > 1 else -x), 3.0)
    same(lambda m: m.grad(lambda x: jnp.sum(x[:int(x[0])] ** 2) if m is mlax
                          else jax.numpy.sum(x[:int(x[0])] ** 2)),
         np.array([2.0, 3.0, 4.0], np.float32))


def test_array_argument_with_reductions():
    def make(m):
        def loss(w, x):
            y = m.numpy.tanh(x @ w)
            if m.numpy.mean(y) > 0:
                return m.numpy.sum(y ** 2)
            return m.numpy.sum(m.numpy.abs(y))
        return m.grad(loss)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    same(make, np.ones(3, np.float32), x)
    same(make, -np.ones(3, np.float32), x)


def test_the_other_branch_gives_the_other_gradient():
    # The compiled gradient is valid for one branch only: it is cached under guards, and
    # inputs that take the other branch are traced again (once per branch).
    traced = []

    def f(x):
        traced.append(1)
        return x ** 2 if x > 0 else -3.0 * x
    g = mlax.grad(f)
    for x, want in [(2.0, 4.0), (-2.0, -3.0), (5.0, 10.0), (-1.0, -3.0), (1.0, 2.0)]:
        close(g(x), want)
        close(g(mlax.numpy.asarray(x)), want)
    assert len(traced) == 2


def test_grad_in_a_python_loop():
    xs = [1.0, -2.0, 3.0, -4.0]
    got = [mlax.grad(abs_val)(x) for x in xs]
    close(got, [1.0, -1.0, 1.0, -1.0])


def test_custom_jvp_with_control_flow_in_function_and_rule():
    # JAX's custom-derivative docs: a function and its JVP rule that branch on the input.
    def make(m):
        @m.custom_jvp
        def f(x):
            if x > 0:
                return m.numpy.sin(x)
            return x

        @f.defjvp
        def f_jvp(primals, tangents):
            x, = primals
            t, = tangents
            if x > 0:
                return f(x), m.numpy.cos(x) * t
            return f(x), t
        return f
    for x in (1.0, -1.0):
        same(lambda m: m.grad(make(m)), x)
        same(lambda m: make(m), x)
        same(lambda m: m.grad(m.grad(make(m))), x)


def test_custom_vjp_with_control_flow_in_fwd_and_bwd():
    def make(m):
        @m.custom_vjp
        def f(x):
            return x ** 2 if x > 1 else x

        def fwd(x):
            return f(x), x

        def bwd(x, g):
            return (2 * x * g if x > 1 else g,)
        f.defvjp(fwd, bwd)
        return m.grad(f)
    same(make, 3.0)
    same(make, 0.5)


def test_custom_derivative_functions_called_eagerly_return_what_jax_returns():
    def make(m):
        @m.custom_vjp
        def f(x, y):
            return x * y
        f.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: (r[1] * g, r[0] * g))
        return f
    for args in [lambda m: (2.0, 3.0), lambda m: (2, 3), lambda m: (m.numpy.float32(2.0), 3.0),
                 lambda m: (m.numpy.ones(2), 2.0)]:
        got, want = make(mlax)(*args(mlax)), make(jax)(*args(jax))
        assert type(got).__name__ == type(want).__name__ or (
            isinstance(got, mlax.Array) and isinstance(want, jax.Array))
        close(got, want)
        if isinstance(want, jax.Array):
            assert got.dtype == want.dtype and got.weak_type == want.weak_type


# -- where values stay abstract ---------------------------------------------------------


def _error(f, *args):
    try:
        f(*args)
    except Exception as e:   # noqa: BLE001  (the type is what is compared)
        return e
    raise AssertionError("no error")


@pytest.mark.parametrize("case", ["jit_of_grad", "grad_of_jit", "vmap_of_grad", "grad_of_vmap",
                                  "jit_around"])
def test_jit_and_vmap_still_abstract(case):
    def make(m):
        return {
            "jit_of_grad": lambda x: m.jit(m.grad(abs_val))(x),
            "grad_of_jit": lambda x: m.grad(m.jit(abs_val))(x),
            "vmap_of_grad": lambda x: m.vmap(m.grad(abs_val))(m.numpy.stack([x, x])),
            "grad_of_vmap": lambda x: m.grad(lambda v: m.numpy.sum(
                m.vmap(abs_val)(m.numpy.stack([v, v]))))(x),
            "jit_around": lambda x: m.jit(lambda v: m.grad(abs_val)(v))(x),
        }[case]
    got, want = _error(make(mlax), 1.0), _error(make(jax), 1.0)
    assert type(got).__name__ == type(want).__name__ == "TracerBoolConversionError"
    assert str(got).startswith("Attempted boolean conversion of traced array with shape bool[]")
    assert "test_concrete_control_flow.py" in str(got)


def test_float_of_a_value_being_differentiated_raises_as_in_jax():
    # JAX's float(), complex() and tolist() refuse a value that carries a derivative.
    for conv in (float, complex, lambda t: t.tolist()):
        for make in (lambda m: m.grad(lambda x: x * conv(x)),
                     lambda m: (lambda v: m.jvp(lambda x: x * conv(2 * x), (v,), (1.0,)))):
            got, want = _error(make(mlax), 2.0), _error(make(jax), 2.0)
            assert type(got).__name__ == type(want).__name__ == "ConcretizationTypeError"


def test_conversions_under_jit_raise_jax_errors():
    for conv, name in [(int, "TracerIntegerConversionError"), (float, "ConcretizationTypeError"),
                       (operator.index, "TracerIntegerConversionError"),
                       (lambda t: t.item(), "ConcretizationTypeError")]:
        got = _error(mlax.jit(lambda x: x * conv(x)), 2.0)
        assert type(got).__name__ == name, (conv, got)


def test_tangents_stay_abstract():
    # A custom_jvp rule sees its primals concrete, not its tangents (as in JAX).
    def make(m):
        @m.custom_jvp
        def f(x):
            return x

        @f.defjvp
        def f_jvp(primals, tangents):
            return primals[0], tangents[0] if tangents[0] > 0 else -tangents[0]
        return m.grad(f)
    got, want = _error(make(mlax), 1.0), _error(make(jax), 1.0)
    assert type(got).__name__ == "TracerBoolConversionError"
    assert "Tracer" in type(want).__name__ or "Concretization" in type(want).__name__


def test_vjp_function_of_concrete_primals_under_jit():
    # The autodiff cookbook: vjp of Python control flow, its vjp_fun then jitted.
    def f(x):
        if x < 3:
            return 2 * x ** 3
        return jnp.pi * x
    _, f_vjp = mlax.vjp(f, 4.0)
    close(mlax.jit(f_vjp)(1.0)[0], np.pi)
    _, f_vjp = mlax.vjp(f, 2.0)
    close(mlax.jit(f_vjp)(1.0)[0], 24.0)


# -- the other APIs of the area ---------------------------------------------------------


def test_custom_gradient():
    def make(m):
        @m.custom_gradient
        def f(x, y):
            z = m.numpy.sin(x) * y
            return z, lambda g: (g * m.numpy.cos(x) * y * 2, g * z)
        return f
    same(lambda m: m.grad(make(m), argnums=(0, 1)), 1.0, 2.0)
    same(lambda m: make(m), 1.0, 2.0)
    same(lambda m: m.jit(m.grad(make(m))), 1.0, 2.0)
    same(lambda m: m.vmap(m.grad(make(m))), np.arange(3.0, dtype=np.float32),
         np.ones(3, np.float32))
    same(lambda m: m.grad(m.custom_gradient(lambda x: (x ** 2, lambda g: (g * 10.0,)))), 3.0)


def test_allow_int_gives_float0():
    for make in (lambda m: m.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True),
                 lambda m: m.jit(m.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)),
                 lambda m: (lambda x, n: m.vjp(lambda a, b: a * b, x, n)[1](1.0))):
        got, want = make(mlax)(2.0, 3), make(jax)(2.0, 3)
        close(got[0], want[0])
        assert isinstance(got[1], np.ndarray) and got[1].dtype == want[1].dtype
        assert got[1].dtype == mlax.dtypes.float0 and got[1].shape == np.shape(want[1])
    with pytest.raises(TypeError, match="allow_int"):
        mlax.grad(lambda x, n: x * n, argnums=1)(2.0, 3)


class Config:
    def __init__(self, scale):
        self.scale = scale


def test_plain_python_objects_pass_through():
    x = np.arange(3.0, dtype=np.float32)

    def loss(x, cfg, mode):
        s = cfg.scale if isinstance(cfg, Config) else cfg["a"].scale
        return (x ** 2).sum() * s if mode == "sq" else x.sum() * s
    for make, args in [
            (lambda m: m.grad(loss), (x, Config(2.0), "sq")),
            (lambda m: m.grad(loss), (x, {"a": Config(3.0)}, "lin")),
            (lambda m: m.grad(lambda c, v: (v * c.scale).sum(), argnums=1), (Config(2.0), x)),
            (lambda m: m.vmap(lambda v, c: v * c["a"].scale, in_axes=(0, None)),
             (x, {"a": Config(2.0)})),
            (lambda m: m.vmap(lambda v, f: f(v), in_axes=(0, None)), (x, lambda v: v * 2.0)),
            (lambda m: m.jacfwd(lambda v, c: v * c.scale), (x, Config(2.0)))]:
        same(make, *args)


def test_numpy_functions_that_need_concrete_values():
    # A boolean mask, a slice bound, a size: known values work as in JAX.
    x = np.array([1.0, -2.0, 3.0], np.float32)
    same(lambda m: m.grad(lambda v: m.numpy.sum(v[v > 0] ** 2)), x)
    same(lambda m: m.grad(lambda v: m.numpy.sum(v[:m.numpy.int32(v[0]) + 1] ** 2)), x)
    same(lambda m: m.grad(lambda v: m.numpy.sum(m.numpy.arange(m.numpy.int32(v[2])) * v[0])), x)
    same(lambda m: m.grad(lambda v: m.numpy.sum(m.numpy.zeros(m.numpy.int32(v[2])) + v[0])), x)
    got = _error(mlax.jit(mlax.grad(lambda v: jnp.sum(v[v > 0] ** 2))), x)
    assert type(got).__name__ == "NonConcreteBooleanIndexError"


def test_vmap_unmapped_arguments_keep_their_values():
    def make(m):
        return m.vmap(lambda v, s: v * s if s > 0 else -v * s, in_axes=(0, None))
    xs = np.arange(3.0, dtype=np.float32)
    same(make, xs, np.float32(-1.0))
    same(make, xs, np.float32(2.0))
    same(lambda m: m.grad(lambda s: make(m)(xs, s).sum()), -1.0)
    mapped = _error(mlax.vmap(lambda v, s: v if v > 0 else -v, in_axes=(0, None)), xs, 1.0)
    assert type(mapped).__name__ == "TracerBoolConversionError"
    jitted = _error(mlax.jit(make(mlax)), xs, np.float32(1.0))
    assert type(jitted).__name__ == "TracerBoolConversionError"


@pytest.mark.parametrize("case", ["jit", "cond", "while", "fori", "scan", "grad", "vmap"])
def test_values_computed_through_nested_functions_are_known(case):
    # The evaluated prefix crosses calls: a jitted function, control flow bodies, another
    # transform's declaration.
    def make(m):
        lax, np_ = m.lax, m.numpy
        inner = {
            "jit": lambda x: m.jit(np_.sin)(x),
            "cond": lambda x: lax.cond(x > 0, lambda v: v, lambda v: -v, x),
            "while": lambda x: lax.while_loop(lambda v: v < 10, lambda v: v * 2, x),
            "fori": lambda x: lax.fori_loop(0, 3, lambda i, v: v * x, x),
            "scan": lambda x: lax.scan(lambda c, a: (c + a * x, None), 0.0, np_.arange(3.0))[0],
            "grad": lambda x: m.grad(np_.sin)(x),
            "vmap": lambda x: np_.sum(m.vmap(lambda v: v * x)(np_.arange(3.0))),
        }[case]
        return m.grad(lambda x: x * 2 if inner(x) > 0.5 else x * 3)
    same(make, 1.0)
    same(make, 0.1)


def test_disable_jit_leaves_the_transforms_working():
    # Under disable_jit the user's jit runs its function as it is; a transform's own
    # compilation is not the user's jit.
    with mlax.disable_jit():
        close(mlax.grad(abs_val)(-2.0), -1.0)
        close(mlax.grad(lambda x: mlax.jit(piecewise)(x))(2.0), 4.0)
