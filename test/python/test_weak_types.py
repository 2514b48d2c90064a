"""JAX's weak types, against jax: for each row, the dtype and weak-type bit of the result
eagerly and of the traced value under jit (its aval, `typeof`), for Python scalars, integer
arrays, float16 / bfloat16 arrays and `jnp.asarray` of Python scalars mixed."""
import jax
import jax.numpy as jjnp
import ml_dtypes
import numpy as np
import pytest

import mlax
import mlax.numpy as jnp
from mlax import lax as mlax_lax

BF16 = ml_dtypes.bfloat16


def arr(dtype, values=(1, 2, 3)):
    return np.array(values, dtype)


# (name, f(np_, lax_, *args), args): np_ / lax_ are jax.numpy and jax.lax or mlax's.
CASES = [
    ("int32 ** 2.0", lambda n, l, x: x ** 2.0, [arr(np.int32)]),
    ("int32 * 2.0", lambda n, l, x: x * 2.0, [arr(np.int32)]),
    ("int32 * 2j", lambda n, l, x: x * 2j, [arr(np.int32)]),
    ("float32 * 2j", lambda n, l, x: x * 2j, [arr(np.float32)]),
    ("float16 * 2j", lambda n, l, x: x * 2j, [arr(np.float16)]),
    ("bool * 2", lambda n, l, x: (x > 1) * 2, [arr(np.int32)]),
    ("bool * 2.0", lambda n, l, x: (x > 1) * 2.0, [arr(np.int32)]),
    ("uint8 * 2.0", lambda n, l, x: x * 2.0, [arr(np.uint8)]),
    ("uint8 * 2", lambda n, l, x: x * 2, [arr(np.uint8)]),
    ("uint32 + int32", lambda n, l, x, y: x + y, [arr(np.uint32), arr(np.int32)]),
    ("bfloat16 + float16", lambda n, l, x, y: x + y, [arr(BF16), arr(np.float16)]),
    ("bfloat16 + int8", lambda n, l, x, y: x + y, [arr(BF16), arr(np.int8)]),
    ("(int32 ** 2.0) * float16", lambda n, l, x, y: (x ** 2.0) * y, [arr(np.int32), arr(np.float16)]),
    ("(int32 ** 2.0) * bfloat16", lambda n, l, x, y: (x ** 2.0) * y, [arr(np.int32), arr(BF16)]),
    ("exp(int32 * 2.0) * float16", lambda n, l, x, y: n.exp(x * 2.0) * y,
     [arr(np.int32), arr(np.float16)]),
    ("concatenate weak float32, float16", lambda n, l, x, y: n.concatenate([x * 2.0, y]),
     [arr(np.int32), arr(np.float16)]),
    ("asarray(2.0)", lambda n, l, x: n.asarray(2.0), [arr(np.int32)]),
    ("asarray(2)", lambda n, l, x: n.asarray(2), [arr(np.int32)]),
    ("asarray(2.0) * int32", lambda n, l, x: n.asarray(2.0) * x, [arr(np.int32)]),
    ("asarray(2.0) * float16", lambda n, l, x: n.asarray(2.0) * x, [arr(np.float16)]),
    ("asarray(1.0) * asarray(2)", lambda n, l, x: n.asarray(1.0) * n.asarray(2), [arr(np.int32)]),
    ("asarray(1.0) + 1j", lambda n, l, x: n.asarray(1.0) + 1j, [arr(np.int32)]),
    ("sqrt(2)", lambda n, l, x: n.sqrt(2), [arr(np.int32)]),
    ("sin(int32)", lambda n, l, x: n.sin(x), [arr(np.int32)]),
    ("float32(2)", lambda n, l, x: n.float32(2), [arr(np.int32)]),
    ("astype", lambda n, l, x: n.asarray(2.0).astype(n.float32), [arr(np.int32)]),
    ("convert_element_type(2.0, float16)", lambda n, l, x: l.convert_element_type(2.0, n.float16),
     [arr(np.int32)]),
    ("lax.mul(2.0, 3.0)", lambda n, l, x: l.mul(2.0, 3.0), [arr(np.int32)]),
    ("full_like(int32, 2.0)", lambda n, l, x: n.full_like(x, 2.0), [arr(np.int32)]),
    ("zeros_like(2.0)", lambda n, l, x: n.zeros_like(2.0), [arr(np.int32)]),
    ("where(c, 1.0, 0.0)", lambda n, l, x: n.where(x > 1, 1.0, 0.0), [arr(np.int32)]),
    ("where(c, float16, 0.0)", lambda n, l, x: n.where(x > 1, x, 0.0), [arr(np.float16)]),
    ("maximum(int32, 0.5)", lambda n, l, x: n.maximum(x, 0.5), [arr(np.int32)]),
    ("clip(int32, 0.5, 2)", lambda n, l, x: n.clip(x, 0.5, 2), [arr(np.int32)]),
    ("int32 / 2", lambda n, l, x: x / 2, [arr(np.int32)]),
    ("int32 // 2.0", lambda n, l, x: x // 2.0, [arr(np.int32)]),
    ("power(2.0, int32)", lambda n, l, x: n.power(2.0, x), [arr(np.int32)]),
    ("arctan2(1.0, int32)", lambda n, l, x: n.arctan2(1.0, x), [arr(np.int32)]),
    ("logaddexp(int32, 1.0)", lambda n, l, x: n.logaddexp(x, 1.0), [arr(np.int32)]),
    ("sum(2.0)", lambda n, l, x: n.sum(2.0), [arr(np.int32)]),
    ("max(int32 * 2.0)", lambda n, l, x: n.max(x * 2.0), [arr(np.int32)]),
    ("mean(int32)", lambda n, l, x: n.mean(x), [arr(np.int32)]),
    ("1.0 == 2.0", lambda n, l, x: n.equal(1.0, 2.0), [arr(np.int32)]),
    ("isnan(1.0)", lambda n, l, x: n.isnan(1.0), [arr(np.int32)]),
    ("int32 * (1 + 1j)", lambda n, l, x: x * (1 + 1j), [arr(np.int32)]),
    ("bfloat16 * (1 + 1j)", lambda n, l, x: x * (1 + 1j), [arr(BF16)]),
    ("dot(int32, 2.0)", lambda n, l, x: n.dot(x, 2.0), [arr(np.int32)]),
    ("reshape(int32 * 2.0)", lambda n, l, x: n.reshape(x * 2.0, (3, 1)), [arr(np.int32)]),
    ("(int32 * 2.0)[1]", lambda n, l, x: (x * 2.0)[1], [arr(np.int32)]),
    ("round(2.5)", lambda n, l, x: n.round(2.5), [arr(np.int32)]),
]


def _typeof(x):
    return np.dtype(x.dtype).name, bool(x.weak_type)


def _run(np_, lax_, jit, typeof, f, args):
    seen = []

    def traced(*a):
        y = f(np_, lax_, *a)
        seen.append(_typeof(typeof(y)))
        return y
    eager = _typeof(f(np_, lax_, *[np_.asarray(a) for a in args]))
    out = _typeof(jit(traced)(*[np_.asarray(a) for a in args]))
    return eager, seen[0], out


@pytest.mark.parametrize("name,f,args", CASES, ids=[c[0] for c in CASES])
def test_weak_types_match_jax(name, f, args):
    want = _run(jjnp, jax.lax, jax.jit, jax.typeof, f, args)
    got = _run(jnp, mlax_lax, mlax.jit, mlax.typeof, f, args)
    assert got == want


def test_strict_promotion_names_the_types():
    with mlax.numpy_dtype_promotion("strict"):
        assert jnp.result_type(jnp.float16, float) == np.float16
        with pytest.raises(mlax.dtypes.TypePromotionError, match=r"\('int32', \"<class 'float'>\"\)"):
            jnp.ones(2, np.int32) * 2.0
