# Source: JAX docs, "Introduction to debugging" (jax.debug.print, jax.debug.callback)
#   https://docs.jax.dev/en/latest/debugging.html (docs/debugging.md), and "External callbacks"
#   (jax.pure_callback) https://docs.jax.dev/en/latest/external-callbacks.html
# Changed: the printed lines are captured and reported (sorted where the page says the order
# is not guaranteed); breakpoints are left out; the logging callback appends to a list.
import contextlib
import io

import jax
import jax.numpy as jnp

from _report import report


def captured(thunk):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = jax.block_until_ready(thunk())
    return result, out.getvalue().splitlines()


@jax.jit
def f(x):
    print("print(x) ->", type(x).__name__ != "float")
    y = jnp.sin(x)
    return y


result, lines = captured(lambda: f(2.))
report("print while tracing", (result, lines))


@jax.jit
def f(x):
    jax.debug.print("jax.debug.print(x) -> {x}", x=x)
    y = jnp.sin(x)
    jax.debug.print("jax.debug.print(y) -> {y}", y=y)
    return y


result, lines = captured(lambda: f(2.))
report("debug.print under jit", (result, sorted(lines)))


def f(x):
    jax.debug.print("jax.debug.print(x) -> {}", x)
    y = jnp.sin(x)
    jax.debug.print("jax.debug.print(y) -> {}", y)
    return y


xs = jnp.arange(3.)
result, lines = captured(lambda: jax.vmap(f)(xs))
report("debug.print under vmap", (result, sorted(lines)))
result, lines = captured(lambda: jax.lax.map(f, xs))
report("debug.print under lax.map", (result, sorted(lines)))


def f(x):
    jax.debug.print("jax.debug.print(x) -> {}", x)
    return x ** 2


result, lines = captured(lambda: jax.grad(f)(1.))
report("debug.print under grad", (result, sorted(lines)))


@jax.jit
def f(x, y):
    jax.debug.print("jax.debug.print(x) -> {}", x, ordered=True)
    jax.debug.print("jax.debug.print(y) -> {}", y, ordered=True)
    return x + y


result, lines = captured(lambda: f(1, 2))
report("ordered debug.print", (result, lines))

logged = []


def log_value(x):
    logged.append(float(x))


@jax.jit
def f(x):
    jax.debug.callback(log_value, x)
    return x


jax.block_until_ready((f(1.0), jax.vmap(f)(jnp.arange(5.0)), jax.grad(f)(1.0)))
report("debug.callback values", sorted(logged))


def host_fn(x):
    return (x * 2).astype(x.dtype)


@jax.jit
def g(x):
    return jax.pure_callback(host_fn, jax.ShapeDtypeStruct(x.shape, x.dtype), x,
                             vmap_method='sequential') + 1


report("pure_callback", g(jnp.arange(3.)))
report("pure_callback under vmap",
       jax.vmap(g)(jnp.arange(6.).reshape(2, 3)))
