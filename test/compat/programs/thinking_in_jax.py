# Source: JAX docs, "Quickstart: How to think in JAX"
#   https://docs.jax.dev/en/latest/notebooks/thinking_in_jax.html
#   (docs/notebooks/thinking_in_jax.md in github.com/jax-ml/jax)
# Changed: plots and %timeit left out; 1000x10 instead of 10000x10 for the normalization;
# printed values go through report(); errors the page shows are caught and reported;
# jax.debug.print's output is not compared (only that the jitted function runs).
import numpy as np
import jax
import jax.numpy as jnp
from jax import jit, grad, vmap, random

from _report import report, report_error

x_jnp = jnp.linspace(0, 10, 1000)
y_jnp = 2 * jnp.sin(x_jnp) * jnp.cos(x_jnp)
report("y_jnp[::100]", y_jnp[::100])

x = np.arange(10)
x[0] = 10
report("numpy mutated", x)


def mutate():
    x = jnp.arange(10)
    x[0] = 10


report_error("JAX arrays are immutable", mutate)
x = jnp.arange(10)
y = x.at[0].set(10)
report("x", x)
report("y", y)

x = jnp.arange(5)
report("isinstance jax.Array", isinstance(x, jax.Array))


def norm(X):
    X = X - X.mean(0)
    return X / X.std(0)


norm_compiled = jit(norm)
np.random.seed(1701)
X = jnp.array(np.random.rand(1000, 10))
report("norm", norm(X)[:3])
report("norm allclose", bool(np.allclose(norm(X), norm_compiled(X), atol=1E-6)))


def get_negatives(x):
    return x[x < 0]


x = jnp.array(np.random.randn(10))
report("get_negatives", get_negatives(x))
report_error("boolean mask under jit", lambda: jit(get_negatives)(x))


def sum_logistic(x):
    return jnp.sum(1.0 / (1.0 + jnp.exp(-x)))


x_small = jnp.arange(3.)
derivative_fn = grad(sum_logistic)
report("grad sum_logistic", derivative_fn(x_small))


def first_finite_differences(f, x, eps=1E-3):
    return jnp.array([(f(x + eps * v) - f(x - eps * v)) / (2 * eps)
                      for v in jnp.eye(len(x))])


report("finite differences", first_finite_differences(sum_logistic, x_small), rtol=1e-3)
report("grad jit grad jit grad", grad(jit(grad(jit(grad(sum_logistic)))))(1.0))

from jax import jacobian
report("jacobian exp", jacobian(jnp.exp)(x_small))

from jax import jacfwd, jacrev


def hessian(fun):
    return jit(jacfwd(jacrev(fun)))


report("hessian", hessian(sum_logistic)(x_small))

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


@jit
def vmap_batched_apply_matrix(batched_x):
    return vmap(apply_matrix)(batched_x)


naive = naively_batched_apply_matrix(batched_x)
report("naive batch", naive[:, :4])
np.testing.assert_allclose(naive, batched_apply_matrix(batched_x), atol=1E-4, rtol=1E-4)
np.testing.assert_allclose(naive, vmap_batched_apply_matrix(batched_x), atol=1E-4, rtol=1E-4)
report("vmap batch", vmap_batched_apply_matrix(batched_x)[:, :4])

key = random.key(43)
report("normal(key)", random.normal(key))
report("normal(key) again", random.normal(key))
for i in range(3):
    new_key, subkey = random.split(key)
    del key
    val = random.normal(subkey)
    del subkey
    report(f"draw {i}", val)
    key = new_key


@jax.jit
def f(x):
    print("print(x) ->", x)
    y = jnp.sin(x)
    print("print(y) ->", y)
    return y


report("f(2.)", f(2.))


@jax.jit
def f(x):
    jax.debug.print("jax.debug.print(x) -> {x}", x=x)
    y = jnp.sin(x)
    jax.debug.print("jax.debug.print(y) -> {y}", y=y)
    return y


report("f(2.) with debug.print", f(2.))
