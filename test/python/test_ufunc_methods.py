"""jnp's ufuncs (`add`, `subtract`, `multiply`, `maximum`, `minimum`, `logaddexp(2)`, the
logical and bitwise ones, `negative`) with their methods — outer, reduce, accumulate, at,
reduceat — `jnp.ufunc` and `jnp.frompyfunc`, against JAX: values and dtypes eagerly and under
jit, gradients against JAX's, vmap against a loop, and JAX's errors."""
import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import mlax  # noqa: E402
from mlax import numpy as mnp  # noqa: E402

X = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
XI = np.arange(1, 7, dtype=np.int32).reshape(2, 3)
V = np.array([3., 1., 2., 5.], np.float32)

CASES = {
    "add.outer": lambda n: n.add.outer(V, X),
    "subtract.outer": lambda n: n.subtract.outer(V, V),
    "multiply.outer int": lambda n: n.multiply.outer(XI[0], XI[1]),
    "add.reduce": lambda n: n.add.reduce(X, axis=1),
    "add.reduce None keepdims": lambda n: n.add.reduce(X, axis=None, keepdims=True),
    "add.reduce where": lambda n: n.add.reduce(X, axis=1, where=X > 2),
    "multiply.reduce": lambda n: n.multiply.reduce(X),
    "maximum.reduce": lambda n: n.maximum.reduce(X, axis=1),
    "subtract.reduce": lambda n: n.subtract.reduce(V),
    "subtract.reduce initial": lambda n: n.subtract.reduce(X, axis=1, initial=10.),
    "bitwise_or.reduce": lambda n: n.bitwise_or.reduce(XI, axis=1),
    "logical_and.reduce": lambda n: n.logical_and.reduce(X > 2, axis=0),
    "logaddexp.reduce": lambda n: n.logaddexp.reduce(X, axis=1),
    "add.accumulate": lambda n: n.add.accumulate(X, axis=1),
    "maximum.accumulate": lambda n: n.maximum.accumulate(V),
    "subtract.accumulate": lambda n: n.subtract.accumulate(V),
    "multiply.accumulate int": lambda n: n.multiply.accumulate(XI, axis=0),
    "logaddexp.accumulate": lambda n: n.logaddexp.accumulate(V),
    "add.at": lambda n: n.add.at(V, np.array([0, 0, 2]), 10., inplace=False),
    "maximum.at": lambda n: n.maximum.at(V, np.array([1, 1]), np.array([4., 7.]),
                                         inplace=False),
    "subtract.at": lambda n: n.subtract.at(V, np.array([0, 0, 3]), np.array([1., 2., 3.]),
                                           inplace=False),
    "negative.at": lambda n: n.negative.at(V, np.array([0, 2]), inplace=False),
    "add.reduceat": lambda n: n.add.reduceat(np.arange(8.), np.array([0, 4, 1, 5])),
    "maximum.reduceat": lambda n: n.maximum.reduceat(X, np.array([0, 2]), axis=1),
    "frompyfunc call": lambda n: n.frompyfunc(lambda a, b: a * b + 1, 2, 1)(V, 2.),
    "frompyfunc outer": lambda n: n.frompyfunc(lambda a, b: a * b + 1, 2, 1).outer(V, V),
    "frompyfunc reduce": lambda n: n.frompyfunc(lambda a, b: a + b, 2, 1, identity=0)
                                    .reduce(X, axis=1),
    "frompyfunc accumulate": lambda n: n.frompyfunc(lambda a, b: a - b, 2, 1).accumulate(V),
}


def _same(got, want):
    got, want = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g, w)
        np.testing.assert_allclose(g, w, rtol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_values_match_jax_eagerly_and_under_jit(name):
    want = CASES[name](jnp)
    _same(CASES[name](mnp), want)
    _same(mlax.jit(lambda: CASES[name](mnp))(), want)


def test_gradients_match_jax():
    fns = [lambda n, v: n.subtract.accumulate(v).sum(), lambda n, v: n.multiply.reduce(v),
           lambda n, v: n.subtract.outer(v, v ** 2).sum(),
           lambda n, v: n.add.at(v, np.array([0, 0, 1]), v[:3] ** 2, inplace=False).sum(),
           lambda n, v: n.maximum.reduceat(v, np.array([0, 2])).sum()]
    for f in fns:
        np.testing.assert_allclose(mlax.grad(lambda v: f(mnp, v))(V),
                                   jax.grad(lambda v: f(jnp, v))(V), rtol=1e-6)


def test_vmap_matches_a_loop():
    f = lambda v: mnp.subtract.accumulate(v) + mnp.add.reduceat(v, np.array([0, 1]))[0]
    np.testing.assert_allclose(mlax.vmap(f)(X), np.stack([f(r) for r in X]), rtol=1e-6)


@pytest.mark.parametrize("bad", [
    lambda n: n.add.at(V, 0, 1.),                                  # inplace=True
    lambda n: n.subtract.reduce(np.zeros((0,), np.float32)),      # no identity
    lambda n: n.negative.outer(V, V),                              # not binary
    lambda n: n.maximum.reduce(X, where=X > 2),                    # where without identity
])
def test_errors_as_jax(bad):
    with pytest.raises(Exception) as want:
        bad(jnp)
    with pytest.raises(type(want.value)) as got:
        bad(mnp)
    assert str(got.value).split()[:3] == str(want.value).split()[:3]


def test_attributes_match_jax():
    for n in ("add", "multiply", "maximum", "logaddexp", "bitwise_and", "logical_or", "negative"):
        m, j = getattr(mnp, n), getattr(jnp, n)
        assert (m.identity, m.nin, m.nout, m.nargs) == (j.identity, j.nin, j.nout, j.nargs), n


def test_jax_has_no_ufunc_methods_on_other_functions():
    """jnp.greater and jnp.hypot are plain functions in JAX: no .outer there either."""
    assert not hasattr(jnp.greater, "outer") and not hasattr(mnp.greater, "outer")
    assert isinstance(mnp.frompyfunc(lambda a: a, 1, 1), mnp.ufunc)


def test_the_same_functions_are_ufunc_instances_as_in_jax():
    names = lambda ns: sorted(n for n in dir(ns) if isinstance(getattr(ns, n), ns.ufunc))
    assert names(mnp) == names(jnp)
    assert not isinstance(mnp.sin, mnp.ufunc) and not isinstance(1.0, mnp.ufunc)
