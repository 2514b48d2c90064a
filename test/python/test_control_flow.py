"""lax control flow (cond, switch, while_loop, fori_loop, scan, map): one table of programs
checked against NumPy-computed values eagerly and under jit (and against JAX where
installed), plus the IR they trace to and their errors."""
import numpy as np
import pytest

import mlax
from mlax import lax
from mlax import numpy as jnp

try:
    import jax
    import jax.numpy as jjnp
except ImportError:     # JAX is an optional oracle
    jax = None


class Row:
    """`program(lax, jnp, *args)` runs unchanged on mlax and on JAX; `expected(*args)` is the
    NumPy answer."""

    def __init__(self, name, program, args, expected, marks=()):
        self.name, self.program, self.args, self.expected = name, program, args, expected
        self.marks = marks

    def param(self):
        return pytest.param(self, id=self.name, marks=list(self.marks))


x3 = np.array([1.0, -2.0, 3.0], np.float32)
xs5 = np.arange(5, dtype=np.float32)


def _scan_cumsum(L, J, xs):
    return L.scan(lambda c, x: (c + x, c + x), J.float32(0), xs)


def _nested(L, J, x):
    def outer(c, row):
        inner = L.fori_loop(0, 3, lambda i, a: a + row * i, J.zeros_like(row))
        return c + J.sum(inner), inner
    return L.scan(outer, 0.0, x)


def _while_newton(L, J, a):
    # sqrt(a) by Newton's method until converged: state (x, previous x)
    def body(s):
        x, _ = s
        return 0.5 * (x + a / x), x
    return L.while_loop(lambda s: J.abs(s[0] - s[1]) > 1e-6, body, (a, a + 1.0))[0]


def _while_twice(L, J, x, y):
    def body(s):
        i, x, y, _ = s
        new = y * 2
        return i + 1, new, new * x, new      # one new value as two state elements
    return L.while_loop(lambda s: s[0] < 3, body, (0, x, y, y))


def _np_while_twice(x, y):
    z = y
    for _ in range(3):
        new = y * 2
        x, y, z = new, new * x, new
    return 3, x, y, z


ROWS = [
    Row("cond_true", lambda L, J, x: L.cond(x[0] > 0, lambda v: v * 2, lambda v: v - 1, x),
        [x3], lambda x: x * 2),
    Row("cond_false", lambda L, J, x: L.cond(x[1] > 0, lambda v: v * 2, lambda v: v - 1, x),
        [x3], lambda x: x - 1),
    Row("cond_int_pred_pytree",
        lambda L, J, x: L.cond(J.int32(3), lambda d: {"a": d["b"], "b": d["a"]},
                               lambda d: d, {"a": x, "b": x * 10}),
        [x3], lambda x: {"a": x * 10, "b": x}),
    Row("cond_closure", lambda L, J, x: L.cond(x[2] > 0, lambda: J.sin(x), lambda: x), [x3],
        lambda x: np.sin(x)),
    Row("switch", lambda L, J, x: [L.switch(i, [lambda v: v, lambda v: -v, lambda v: v * v], x)
                                   for i in (-5, 0, 1, 2, 9)],
        [x3], lambda x: [x, x, -x, x * x, x * x]),
    Row("while_count", lambda L, J, n: L.while_loop(lambda s: s[0] < n,
                                                    lambda s: (s[0] + 1, s[1] * 2.0), (0, 1.0)),
        [np.int32(10)], lambda n: (10, 1024.0)),
    Row("while_newton", _while_newton, [np.float32(2.0)], lambda a: np.sqrt(a)),
    Row("fori_static", lambda L, J, x: L.fori_loop(0, 5, lambda i, v: v + i * x, x), [x3],
        lambda x: x * 11),
    Row("fori_traced_bound", lambda L, J, x, n: L.fori_loop(1, n, lambda i, v: v * i, x),
        [x3, np.int32(5)], lambda x, n: x * 24),
    Row("fori_weak_promotion", lambda L, J: L.fori_loop(0, 3, lambda i, v: v + 1.5, 0), [],
        lambda: np.float32(4.5)),
    Row("scan_cumsum", _scan_cumsum, [xs5], lambda xs: (xs.sum(), np.cumsum(xs))),
    Row("scan_reverse", lambda L, J, xs: L.scan(lambda c, x: (c + x, c), 0.0, xs, reverse=True),
        [xs5], lambda xs: (xs.sum(), np.cumsum(xs[::-1])[::-1] - xs)),
    Row("scan_pytree", lambda L, J, xs: L.scan(
        lambda c, x: ({"n": c["n"] + 1, "s": c["s"] + x["v"] * x["w"]}, (x["v"], None)),
        {"n": 0, "s": J.zeros(2)}, {"v": xs, "w": xs * 2}),
        [np.arange(6, dtype=np.float32).reshape(3, 2)],
        lambda xs: ({"n": 3, "s": (2 * xs * xs).sum(0)}, (xs, None))),
    Row("scan_no_xs", lambda L, J: L.scan(lambda c, _: (c * 2, c), 1, None, length=4), [],
        lambda: (16, np.array([1, 2, 4, 8]))),
    Row("scan_nested_fori", _nested, [np.arange(6, dtype=np.float32).reshape(2, 3)],
        lambda x: (3 * x.sum(), 3 * x)),
    Row("map", lambda L, J, xs: L.map(lambda r: J.dot(r, r), xs),
        [np.arange(6, dtype=np.float32).reshape(3, 2)], lambda xs: (xs * xs).sum(1)),
    Row("while_swap_state", lambda L, J, a, b: L.while_loop(
        lambda s: s[2] < 3, lambda s: (s[1], s[0], s[2] + 1), (a, b, 0)),
        [x3, -x3], lambda a, b: (b, a, 3)),
    Row("while_bool_state", lambda L, J: L.while_loop(
        lambda s: s[1], lambda s: (s[0] + 1, s[0] < 5), (0, True)), [], lambda: (6, False)),
    Row("while_cond_in_body", lambda L, J, x: L.while_loop(
        lambda s: s[0] < 4,
        lambda s: (s[0] + 1, L.cond(s[0] % 2 == 0, lambda: s[1] + x, lambda: s[1] * 2)),
        (0, x)), [x3], lambda x: (4, ((x + x) * 2 + x) * 2)),
    Row("fori_zero_trips", lambda L, J, x: L.fori_loop(3, 1, lambda i, v: v * 0, x), [x3],
        lambda x: x),
    Row("scan_carry_permutation", lambda L, J, xs: L.scan(
        lambda c, x: ((c[1], c[0] + x, c[2]), c[0]), (0.0, 1.0, 7.0), xs),
        [xs5], lambda xs: ((5.0, 6.0, 7.0), np.array([0.0, 1.0, 0.0, 2.0, 2.0]))),
    Row("scan_in_cond", lambda L, J, xs: L.cond(
        xs[0] < 1, lambda v: L.scan(lambda c, x: (c + x, c), 0.0, v)[1], lambda v: v, xs),
        [xs5], lambda xs: np.cumsum(xs) - xs),
    Row("while_new_value_twice", _while_twice, [x3, -x3], _np_while_twice),
    Row("scan_new_carry_twice", lambda L, J, xs: L.scan(
        lambda c, x: ((c[1] + x,) * 2, c[0]), (0.0, 1.0), xs),
        [xs5], lambda xs: ((11.0, 11.0), np.array([0.0, 1.0, 2.0, 4.0, 7.0]))),
]


def _check(got, want):
    gl, gt = mlax.tree_util.tree_flatten(got)
    wl, wt = mlax.tree_util.tree_flatten(want)
    assert gt == wt, (gt, wt)
    for g, w in zip(gl, wl):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_eager(row):
    _check(row.program(lax, jnp, *row.args), row.expected(*row.args))


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_jit(row):
    f = mlax.jit(lambda *a: row.program(lax, jnp, *a))
    _check(f(*row.args), row.expected(*row.args))


@pytest.mark.skipif(jax is None, reason="jax is not installed")
@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_against_jax(row):
    got = mlax.jit(lambda *a: row.program(lax, jnp, *a))(*row.args)
    want = jax.jit(lambda *a: row.program(jax.lax, jjnp, *a))(*row.args)
    gl, gt = mlax.tree_util.tree_flatten(got)
    wl = jax.tree_util.tree_leaves(want)
    assert len(gl) == len(wl)
    for g, w in zip(gl, wl):
        assert np.asarray(g).dtype == np.asarray(w).dtype, (g, w)
        if g.dtype != np.bool_:   # JAX's comparisons of weak values are weak; mlax's are not
            assert getattr(g, "weak_type", False) == getattr(w, "weak_type", False), (g, w)
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


def test_notes_scan_example():
    """The notes page: scan for sequential computations that need the previous state."""
    def running_mean(state, x):
        total, count = state
        total, count = total + x, count + 1
        return (total, count), total / count
    (total, count), means = lax.scan(running_mean, (0.0, 0), jnp.arange(1.0, 6.0))
    np.testing.assert_allclose(means, [1.0, 1.5, 2.0, 2.5, 3.0])
    assert float(total) == 15.0 and int(count) == 5


def test_ir_is_functional():
    """Bodies are private functions named by a declaration; closures become operands."""
    def f(x, n):
        y = x * 2
        a = lax.fori_loop(0, n, lambda i, v: v + y, x)
        b = lax.cond(n > 2, lambda: y, lambda: x)
        c = lax.scan(lambda c, r: (c + r, c * r), x, jnp.stack([x, y]))
        return a, b, c
    text = str(mlax.make_ir(f)(jnp.ones(3), 4))
    assert "mlax.while = {body = @" in text and "num_consts = 1" in text
    assert "mlax.cond = {branches = [@" in text
    assert "mlax.scan = {body = @" in text and "length = 2" in text and "reverse = false" in text
    assert "num_carry = 1" in text


def test_eager_caches_compiled_loop():
    body = lambda i, v: v + i  # noqa: E731
    lax.fori_loop(0, 4, body, 0.0)
    from mlax.lax import control_flow
    n = len(control_flow._EAGER)
    assert float(lax.fori_loop(0, 4, body, 1.0)) == 7.0
    assert len(control_flow._EAGER) == n


# -- errors -------------------------------------------------------------------------------

def test_cond_errors():
    with pytest.raises(TypeError, match="Pred must be a scalar"):
        lax.cond(jnp.array([True, False]), lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="same type structure"):
        mlax.jit(lambda x: lax.cond(x > 0, lambda: x, lambda: (x, x)))(1.0)
    with pytest.raises(TypeError, match=r"identical types.*f32\[\] vs i32\[\]"):
        mlax.jit(lambda x: lax.cond(x > 0, lambda: x, lambda: jnp.int32(1)))(1.0)
    with pytest.raises(TypeError, match="Index type must be an integer"):
        lax.switch(1.0, [lambda: 1, lambda: 2])


def test_loop_errors():
    with pytest.raises(TypeError, match=r"carry component loop_carry\[1\] has type i32\[\] but "
                                        r"the corresponding output carry component has type f32"):
        lax.fori_loop(0, 3, lambda i, x: x + 1.5, jnp.int32(0))
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda s: s, lambda s: s + 1, 0)
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.while_loop(lambda s: s[0] < 3, lambda s: (s[0] + 1,), (0, 1))
    with pytest.raises(ValueError, match="disagrees with leading axis sizes"):
        lax.scan(lambda c, x: (c, x), 0.0, jnp.zeros(3), length=4)
    with pytest.raises(ValueError, match="no values to scan over"):
        lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(TypeError, match="scan body output must be a pair"):
        lax.scan(lambda c, x: c, 0.0, jnp.zeros(3))
    with pytest.raises(TypeError, match="equal types"):
        lax.scan(lambda c, x: (c.astype(jnp.int32), x), jnp.float32(0), jnp.zeros(3))


@pytest.mark.parametrize("make", [
    lambda: (lambda r: lax.fori_loop(0, 1, lambda i, r: r + 1.0, r)),
    lambda: (lambda r: lax.scan(lambda c, x: (c + x, c * 2), r, jnp.ones((1, 3)))[0]),
    lambda: (lambda r: lax.while_loop(lambda r: r[0] < 2, lambda r: r + 1.0, r)),
], ids=["fori_loop", "scan", "while_loop"])
def test_single_trip_loops_under_jit(make):
    """A loop of one trip folds away; its state update must not be written into the
    function's (read-only) argument. It used to fail to bufferize ("would write to
    read-only buffer")."""
    f = make()
    x = np.ones(3, np.float32)
    np.testing.assert_array_equal(np.asarray(mlax.jit(f)(x)), np.asarray(f(x)))
    np.testing.assert_array_equal(np.asarray(mlax.jit(f)(x)), np.full(3, 2.0, np.float32))
