"""lax's n-ary ops broadcast as JAX's primitives do: a scalar operand (a Python number or a
rank-0 array) against any shape, and size-1 dimensions of operands of one rank; other
shapes, and operands of different ranks, are a TypeError. select's cases must agree."""
import numpy as np
import pytest

import mlax
from mlax import lax, numpy as jnp

jax = pytest.importorskip("jax")
import jax.numpy as jjnp  # noqa: E402


CASES = {
    "int array + python int": lambda l, n: l.add(n.arange(3), 1),
    "float array * python float": lambda l, n: l.mul(n.ones((2, 3)), 2.0),
    "array - rank-0 array": lambda l, n: l.sub(n.ones((2, 3)), n.full((), 4.0)),
    "rank-0 array / array": lambda l, n: l.div(n.full((), 4.0), n.full((2, 3), 8.0)),
    "size-1 rows": lambda l, n: l.sub(n.ones((2, 3)), n.arange(3.0).reshape(1, 3)),
    "size-1 both ways": lambda l, n: l.add(n.arange(2.0).reshape(2, 1), n.arange(3.0).reshape(1, 3)),
    "comparison with a scalar": lambda l, n: l.lt(n.arange(4.0), 2.0),
    "max of size-1 dims": lambda l, n: l.max(n.arange(2.0).reshape(2, 1), n.ones((1, 3))),
    "shift by a scalar": lambda l, n: l.shift_left(n.arange(4), 2),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("jit", [False, True])
def test_broadcasts_as_jax(name, jit):
    case = CASES[name]
    want = case(jax.lax, jjnp)
    fn = mlax.jit(lambda: case(lax, jnp)) if jit else (lambda: case(lax, jnp))
    got = fn()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_grad_and_vmap_of_a_broadcast_operand():
    def f(l):
        return lambda a, b: l.mul(a, b).sum()
    a, b = np.ones((2, 3), np.float32), np.full((1, 3), 2.0, np.float32)
    got = mlax.grad(f(lax), argnums=(0, 1))(a, b)
    want = jax.grad(f(jax.lax), argnums=(0, 1))(a, b)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    x = np.arange(24.0, dtype=np.float32).reshape(4, 2, 3)
    got = mlax.vmap(lambda r: lax.add(r, np.ones((1, 3), np.float32)))(x)
    np.testing.assert_array_equal(np.asarray(got), x + 1)


@pytest.mark.parametrize("shapes, message", [
    (((2, 3), (3,)), "arrays must have the same number of dimensions"),
    (((3,), (4,)), "incompatible shapes for broadcasting"),
])
def test_shapes_that_do_not_broadcast_are_type_errors(shapes, message):
    a, b = (np.ones(s, np.float32) for s in shapes)
    with pytest.raises(TypeError, match=message):
        jax.lax.add(a, b)
    with pytest.raises(TypeError, match=message):
        lax.add(a, b)
    with pytest.raises(TypeError, match=message):
        mlax.jit(lax.add)(a, b)


def test_dtypes_still_must_match():
    with pytest.raises(TypeError):
        lax.add(np.ones(3, np.float32), 2)
    with pytest.raises(TypeError):
        lax.add(np.ones(3, np.float16), np.ones(3, np.float32))


def test_select_cases_of_different_shapes_or_dtypes_are_type_errors():
    pred = np.ones((2, 3), bool)
    with pytest.raises(TypeError, match=r"select cases must have the same shapes, got \[\(1, 3\), \(2, 3\)\]"):
        mlax.jit(lax.select)(pred, np.ones((2, 3), np.float32), np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="select cases must have the same dtypes"):
        lax.select(pred, np.ones((2, 3), np.float32), np.zeros((2, 3), np.int32))
