# Source: JAX examples, kernel_lsq.py (kernel least squares with gram matrices built by
#   nested vmap), as of its last version
#   https://github.com/jax-ml/jax/blob/035c1e566d61d759eb20106ae47df47f6284975f/examples/kernel_lsq.py
#   (removed from the repository in commit c856560f)
# Changed: n=40, d=8 instead of 100, 20; 300 momentum steps with step size 1e-5 instead of
# 10000; the jaxprs are not printed (only computed).
from functools import partial

import numpy.random as npr

import jax.numpy as jnp
from jax.example_libraries import optimizers
from jax import grad, jit, make_jaxpr, vmap, lax

from _report import report


def gram(kernel, xs):
    return vmap(lambda x: vmap(lambda y: kernel(x, y))(xs))(xs)


def minimize(f, x, num_steps=300, step_size=1e-5, mass=0.9):
    opt_init, opt_update, get_params = optimizers.momentum(step_size, mass)

    @jit
    def update(i, opt_state):
        x = get_params(opt_state)
        return opt_update(i, grad(f)(x), opt_state)

    opt_state = opt_init(x)
    for i in range(num_steps):
        opt_state = update(i, opt_state)
    return get_params(opt_state)


def train(kernel, xs, ys, regularization=0.01):
    gram_ = jit(partial(gram, kernel))
    gram_mat = gram_(xs)
    n = xs.shape[0]

    def objective(v):
        risk = .5 * jnp.sum((jnp.dot(gram_mat, v) - ys) ** 2.0)
        reg = regularization * jnp.sum(v ** 2.0)
        return risk + reg

    v = minimize(objective, jnp.zeros(n))

    def predict(x):
        prods = vmap(lambda x_: kernel(x, x_))(xs)
        return jnp.sum(v * prods)

    return jit(vmap(predict))


if __name__ == "__main__":
    n = 40
    d = 8
    rng = npr.RandomState(0)
    linear_kernel = lambda x, y: jnp.dot(x, y, precision=lax.Precision.HIGH)
    truth = rng.randn(d)
    xs = rng.randn(n, d)
    ys = jnp.dot(xs, truth)
    predict = train(linear_kernel, xs, ys)
    report("MSE", jnp.sum((predict(xs) - ys) ** 2.), rtol=1e-3, atol=1e-4)

    def gram_jaxpr(kernel):
        return make_jaxpr(partial(gram, kernel))(xs)

    rbf_kernel = lambda x, y: jnp.exp(-jnp.sum((x - y) ** 2))
    gram_jaxpr(linear_kernel)
    gram_jaxpr(rbf_kernel)
    report("rbf gram", gram(rbf_kernel, xs[:4]))
