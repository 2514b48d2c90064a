"""`mlax.typeof` against `jax.typeof`: the abstract value and how it prints."""
import jax
import jax.numpy as jjnp
import numpy as np
import pytest

import mlax
import mlax.numpy as jnp

CASES = [
    ("float array", lambda np_: np_.arange(3.0)),
    ("int matrix", lambda np_: np_.ones((2, 3), np_.int32)),
    ("python float", lambda np_: 1.0),
    ("python int", lambda np_: 3),
    ("python bool", lambda np_: True),
    ("numpy scalar", lambda np_: np.float32(2.0)),
    ("numpy array", lambda np_: np.arange(4, dtype=np.uint8)),
    ("bool array", lambda np_: np_.zeros((2, 2), bool)),
]


@pytest.mark.parametrize("name,make", CASES, ids=[c[0] for c in CASES])
def test_typeof_matches_jax(name, make):
    got, want = mlax.typeof(make(jnp)), jax.typeof(make(jjnp))
    assert (got.shape, got.dtype, got.weak_type) == (want.shape, want.dtype, want.weak_type)
    assert (str(got), repr(got)) == (str(want), repr(want))


def test_typeof_under_jit_is_the_tracers_aval():
    seen = []
    mlax.jit(lambda x: seen.append(str(mlax.typeof(x * 2.0))) or x)(2.0)
    mlax.jit(lambda x: seen.append(str(mlax.typeof(x))) or x)(jnp.ones((2, 3)))
    assert seen == ["~float32[]", "float32[2,3]"]


def test_typeof_of_a_key():
    assert str(mlax.typeof(mlax.random.key(0))) == str(jax.typeof(jax.random.key(0)))


def test_typeof_rejects_non_arrays():
    with pytest.raises(TypeError, match="not a valid"):
        mlax.typeof("a")
