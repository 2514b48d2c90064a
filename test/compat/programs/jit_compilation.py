# Source: JAX docs, "Just-in-time compilation"
#   https://docs.jax.dev/en/latest/jit-compilation.html (docs/jit-compilation.md)
# Changed: make_jaxpr output is not compared (it is mlax IR under mlax), only what the traced
# functions do; %timeit left out; 10000 instead of 1000000 elements; loops of 5 instead of
# 20 iterations; errors are caught and their types reported.
from functools import partial

import jax
import jax.numpy as jnp

from _report import report, report_error

global_list = []


def log2(x):
    global_list.append(x)
    ln_x = jnp.log(x)
    ln_2 = jnp.log(2.0)
    return ln_x / ln_2


jax.make_jaxpr(log2)(3.0)
report("side effect ran once while tracing", len(global_list))
report("log2 jit", jax.jit(log2)(8.0))


def log2_if_rank_2(x):
    if x.ndim == 2:
        ln_x = jnp.log(x)
        ln_2 = jnp.log(2.0)
        return ln_x / ln_2
    else:
        return x


report("rank dispatch rank 1", jax.jit(log2_if_rank_2)(jnp.array([1, 2, 3])))
report("rank dispatch rank 2", jax.jit(log2_if_rank_2)(jnp.array([[1., 2.], [4., 8.]])))


def selu(x, alpha=1.67, lambda_=1.05):
    return lambda_ * jnp.where(x > 0, x, alpha * jnp.exp(x) - alpha)


x = jnp.arange(10000) / 1000 - 5
selu_jit = jax.jit(selu)
report("selu", selu(x)[::1000])
report("selu jit", selu_jit(x)[::1000])


def f(x):
    if x > 0:
        return x
    else:
        return 2 * x


report_error("value-dependent if", lambda: jax.jit(f)(10))


def g(x, n):
    i = 0
    while i < n:
        i += 1
    return x + i


report_error("value-dependent while", lambda: jax.jit(g)(10, 20))


@jax.jit
def loop_body(prev_i):
    return prev_i + 1


def g_inner_jitted(x, n):
    i = 0
    while i < n:
        i = loop_body(i)
    return x + i


report("jitted loop body", g_inner_jitted(10, 20))
f_jit_correct = jax.jit(f, static_argnums=0)
report("static_argnums", f_jit_correct(10))
g_jit_correct = jax.jit(g, static_argnames=['n'])
report("static_argnames", g_jit_correct(10, 20))


@partial(jax.jit, static_argnames=['n'])
def g_jit_decorated(x, n):
    i = 0
    while i < n:
        i += 1
    return x + i


report("partial(jit, static_argnames)", g_jit_decorated(10, 20))


def unjitted_loop_body(prev_i):
    return prev_i + 1


def g_inner_jitted_partial(x, n):
    i = 0
    while i < n:
        i = jax.jit(partial(unjitted_loop_body))(i)
    return x + i


def g_inner_jitted_lambda(x, n):
    i = 0
    while i < n:
        i = jax.jit(lambda x: unjitted_loop_body(x))(i)
    return x + i


def g_inner_jitted_normal(x, n):
    i = 0
    while i < n:
        i = jax.jit(unjitted_loop_body)(i)
    return x + i


report("jit in a loop with partials", g_inner_jitted_partial(10, 5))
report("jit in a loop with lambdas", g_inner_jitted_lambda(10, 5))
report("jit in a loop with caching", g_inner_jitted_normal(10, 5))

# From the jax.jit API reference: donation, keyword arguments, lower/compile.
report("jit with kwargs", jax.jit(lambda x, *, scale: x * scale, static_argnames="scale")(
    jnp.arange(3.), scale=2.))
lowered = jax.jit(selu).lower(jnp.ones(4))
compiled = lowered.compile()
report("lower().compile()", compiled(jnp.array([-1., 0., 1., 2.])))
report("eval_shape", jax.eval_shape(selu, jax.ShapeDtypeStruct((3, 4), jnp.float32)).shape)
report("jit donate_argnums", jax.jit(lambda x: x + 1, donate_argnums=0)(jnp.arange(3.)))
