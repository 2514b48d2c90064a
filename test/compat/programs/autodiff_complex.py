# Source: JAX docs, "The Autodiff Cookbook", section "Complex numbers and differentiation"
#   https://docs.jax.dev/en/latest/notebooks/autodiff_cookbook.html
# Changed: the checks report their values instead of printing them; the complex Cholesky
# gradient is reported.
import jax.numpy as jnp
from jax import grad, jvp, vjp
from jax import random

from _report import report


def check_jvp(seed):
    key = random.key(seed)
    key, subkey = random.split(key)
    a, b, c, d = random.uniform(subkey, (4,))

    def fun(z):
        x, y = jnp.real(z), jnp.imag(z)
        return u(x, y) + v(x, y) * 1j

    def u(x, y):
        return a * x + b * y

    def v(x, y):
        return c * x + d * y

    key, subkey = random.split(key)
    x, y = random.uniform(subkey, (2,))
    z = x + y * 1j
    key, subkey = random.split(key)
    c, d = random.uniform(subkey, (2,))
    z_dot = c + d * 1j
    _, ans = jvp(fun, (z,), (z_dot,))
    expected = (grad(u, 0)(x, y) * c +
                grad(u, 1)(x, y) * d +
                grad(v, 0)(x, y) * c * 1j +
                grad(v, 1)(x, y) * d * 1j)
    report(f"jvp check {seed}", ans)
    report(f"jvp check {seed} allclose", bool(jnp.allclose(ans, expected)))


def check_vjp(seed):
    key = random.key(seed)
    key, subkey = random.split(key)
    a, b, c, d = random.uniform(subkey, (4,))

    def fun(z):
        x, y = jnp.real(z), jnp.imag(z)
        return u(x, y) + v(x, y) * 1j

    def u(x, y):
        return a * x + b * y

    def v(x, y):
        return c * x + d * y

    key, subkey = random.split(key)
    x, y = random.uniform(subkey, (2,))
    z = x + y * 1j
    key, subkey = random.split(key)
    c, d = random.uniform(subkey, (2,))
    z_bar = jnp.array(c + d * 1j)  # for dtype control
    _, fun_vjp = vjp(fun, z)
    ans, = fun_vjp(z_bar)
    expected = (grad(u, 0)(x, y) * c +
                grad(v, 0)(x, y) * (-d) +
                grad(u, 1)(x, y) * c * (-1j) +
                grad(v, 1)(x, y) * (-d) * (-1j))
    report(f"vjp check {seed}", ans)
    report(f"vjp check {seed} allclose", bool(jnp.allclose(ans, expected, atol=1e-5, rtol=1e-5)))


for seed in range(3):
    check_jvp(seed)
    check_vjp(seed)


def f(z):
    x, y = jnp.real(z), jnp.imag(z)
    return x ** 2 + y ** 2


z = 3. + 4j
report("grad |z|^2", grad(f)(z))


def f(z):
    return jnp.sin(z)


report("grad sin holomorphic", grad(f, holomorphic=True)(z))


def f(z):
    return jnp.conjugate(z)


report("grad conj 'holomorphic'", grad(f, holomorphic=True)(z))

A = jnp.array([[5., 2. + 3j, 5j],
               [2. - 3j, 7., 1. + 7j],
               [-5j, 1. - 7j, 12.]])


def f(X):
    L = jnp.linalg.cholesky(X)
    return jnp.sum((L - jnp.sin(L)) ** 2)


report("grad complex cholesky", grad(f, holomorphic=True)(A))
