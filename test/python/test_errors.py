"""Bad input gets a clear error that names what was wrong and the user's line."""
import numpy as np
import pytest

import mlax as jax
from mlax import numpy as jnp


def test_add_shape_mismatch_names_shapes_and_line():
    with pytest.raises(ValueError) as e:
        jnp.ones(3) + jnp.ones(4)
    assert "(3,)" in str(e.value) and "(4,)" in str(e.value) and __file__ in str(e.value)


def test_dot_shape_mismatch_under_jit():
    @jax.jit
    def f(a, b):
        return jnp.dot(a, b)
    with pytest.raises(TypeError) as e:
        f(np.ones((2, 3), np.float32), np.ones(4, np.float32))
    assert "(2, 3)" in str(e.value) and "(4,)" in str(e.value) and __file__ in str(e.value)


def test_bool_conversion_under_jit():
    @jax.jit
    def f(x):
        if x > 0:
            return x
        return -x
    with pytest.raises(jax.TracerBoolConversionError, match="argument x"):
        f(1.0)


def test_int_conversion_under_jit():
    @jax.jit
    def f(x, n):
        return jnp.ones(n) * x
    with pytest.raises(jax.ConcretizationTypeError, match="static_argnums"):
        f(1.0, 3)


def test_invalid_argument_type():
    with pytest.raises(TypeError, match="Argument 's'"):
        jax.jit(lambda x, s: x)(1.0, "abc")


def test_unhashable_static_argument():
    f = jax.jit(lambda x, n: x, static_argnums=1)
    with pytest.raises(ValueError, match="hashable"):
        f(1.0, [1, 2])


def test_reshape_error():
    with pytest.raises(TypeError, match="cannot reshape"):
        jnp.ones((3, 4)).reshape(5, 3)


def test_index_out_of_bounds():
    # JAX clamps an out-of-bounds integer index; an empty axis has nothing to clamp to.
    assert float(jnp.arange(3.0)[5]) == 2.0
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 0"):
        jnp.ones(0)[0]
