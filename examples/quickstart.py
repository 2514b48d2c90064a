"""JAX's "Quickstart: How to think in JAX", run on mlax (plots and %timeit left out)."""
from functools import partial

import numpy as np

import mlax as jax
import mlax.numpy as jnp
from mlax import grad, jit, make_jaxpr, random, vmap

x_jnp = jnp.linspace(0, 10, 1000)
y_jnp = 2 * jnp.sin(x_jnp) * jnp.cos(x_jnp)
x_np = np.linspace(0, 10, 1000)
print(type(x_np), type(x_jnp))

x = np.arange(10)
x[0] = 10
print(x)
x = jnp.arange(10)
try:
    x[0] = 10
except TypeError as e:
    print("TypeError:", e)
y = x.at[0].set(10)
print(x)
print(y)

x = jnp.arange(5)
print(isinstance(x, jax.Array))
print(x.devices())
print(x.sharding)


def norm(X):
    X = X - X.mean(0)
    return X / X.std(0)


norm_compiled = jit(norm)
np.random.seed(1701)
X = jnp.array(np.random.rand(10000, 10))
print(np.allclose(norm(X), norm_compiled(X), atol=1E-6))


def get_negatives(x):
    return x[x < 0]


x = jnp.array(np.random.randn(10))
print(repr(get_negatives(x)))
try:
    jit(get_negatives)(x)
except jax.NonConcreteBooleanIndexError as e:
    print("NonConcreteBooleanIndexError:", e)


@jit
def f(x, y):
    print("Running f():")
    print(f"  x = {x}")
    print(f"  y = {y}")
    result = jnp.dot(x + 1, y + 1)
    print(f"  result = {result}")
    return result


x = np.random.randn(3, 4)
y = np.random.randn(4)
print(repr(f(x, y)))
x2 = np.random.randn(3, 4)
y2 = np.random.randn(4)
print(repr(f(x2, y2)))


def f(x, y):
    return jnp.dot(x + 1, y + 1)


print(make_jaxpr(f)(x, y))


@jit
def f(x, neg):
    return -x if neg else x


try:
    f(1, True)
except jax.TracerBoolConversionError as e:
    print("TracerBoolConversionError:", e)


@partial(jit, static_argnums=(1,))
def f(x, neg):
    return -x if neg else x


print(repr(f(1, True)))
print(repr(f(1, False)))


def sum_logistic(x):
    return jnp.sum(1.0 / (1.0 + jnp.exp(-x)))


x_small = jnp.arange(3.)
derivative_fn = grad(sum_logistic)
print(derivative_fn(x_small))


def first_finite_differences(f, x, eps=1E-3):
    return jnp.array([(f(x + eps * v) - f(x - eps * v)) / (2 * eps)
                      for v in jnp.eye(len(x))])


print(first_finite_differences(sum_logistic, x_small))
print(grad(jit(grad(jit(grad(sum_logistic)))))(1.0))

from mlax import jacobian  # noqa: E402
print(jacobian(jnp.exp)(x_small))

from mlax import jacfwd, jacrev  # noqa: E402


def hessian(fun):
    return jit(jacfwd(jacrev(fun)))


print(hessian(sum_logistic)(x_small))

key = random.key(1701)
key1, key2 = random.split(key)
mat = random.normal(key1, (150, 100))
batched_x = random.normal(key2, (10, 100))


def apply_matrix(x):
    return jnp.dot(mat, x)


def naively_batched_apply_matrix(v_batched):
    return jnp.stack([apply_matrix(v) for v in v_batched])


@jit
def batched_apply_matrix(batched_x):
    return jnp.dot(batched_x, mat.T)


np.testing.assert_allclose(naively_batched_apply_matrix(batched_x),
                           batched_apply_matrix(batched_x), atol=1E-4, rtol=1E-4)
print('Manually batched')


@jit
def vmap_batched_apply_matrix(batched_x):
    return vmap(apply_matrix)(batched_x)


np.testing.assert_allclose(naively_batched_apply_matrix(batched_x),
                           vmap_batched_apply_matrix(batched_x), atol=1E-4, rtol=1E-4)
print('Auto-vectorized with vmap')

key = random.key(43)
print(key)
print(random.normal(key))
print(random.normal(key))
for i in range(3):
    new_key, subkey = random.split(key)
    del key
    val = random.normal(subkey)
    del subkey
    print(f"draw {i}: {val}")
    key = new_key
