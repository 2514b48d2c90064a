# Source: JAX docs, "Control flow and logical operators with JIT"
#   https://docs.jax.dev/en/latest/control-flow.html (docs/control-flow.md in github.com/jax-ml/jax)
#   plus the lax.switch / lax.map / differentiation-through-loops examples of the
#   jax.lax API reference (https://docs.jax.dev/en/latest/jax.lax.html#control-flow-operators).
# Changed: errors the page shows are caught and their types reported; printed values go
# through report().
from jax import grad, jit
import jax
import jax.numpy as jnp
from jax import lax

from _report import report, report_error


@jit
def f(x):
    for i in range(3):
        x = 2 * x
    return x


report("unrolled loop", f(3))


@jit
def g(x):
    y = 0.
    for i in range(x.shape[0]):
        y = y + x[i]
    return y


report("loop over static shape", g(jnp.array([1., 2., 3.])))


@jit
def f(x):
    if x < 3:
        return 3. * x ** 2
    else:
        return -4 * x


report_error("if on a tracer", lambda: f(2))


@jit
def g(x):
    return (x > 0) and (x < 3)


report_error("and on tracers", lambda: g(2))


def f(x):
    if x < 3:
        return 3. * x ** 2
    else:
        return -4 * x


f = jit(f, static_argnames='x')
report("static_argnames x", f(2.))


def f(x, n):
    y = 0.
    for i in range(n):
        y = y + x[i]
    return y


f = jit(f, static_argnames='n')
report("static_argnames n", f(jnp.array([2., 3., 4.]), 2))


def example_fun(length, val):
    return jnp.ones((length,)) * val


report("un-jitted example_fun", example_fun(5, 4))
bad_example_jit = jit(example_fun)
report_error("shape from a tracer", lambda: bad_example_jit(10, 4))
good_example_jit = jit(example_fun, static_argnames='length')
report("static length 10", good_example_jit(10, 4))
report("static length 5", good_example_jit(5, 4))

operand = jnp.array([0.])
report("cond True", lax.cond(True, lambda x: x + 1, lambda x: x - 1, operand))
report("cond False", lax.cond(False, lambda x: x + 1, lambda x: x - 1, operand))

init_val = 0
cond_fun = lambda x: x < 10
body_fun = lambda x: x + 1
report("while_loop", lax.while_loop(cond_fun, body_fun, init_val))

body_fun = lambda i, x: x + i
report("fori_loop", lax.fori_loop(0, 10, body_fun, 0))


def cumsum_step(carry, x):
    new_carry = carry + x
    return new_carry, new_carry


final, cumulative = lax.scan(cumsum_step, 0.0, jnp.arange(1., 5.))
report("scan final", final)
report("scan cumulative", cumulative)


def python_check_positive_even(x):
    is_even = x % 2 == 0
    return is_even and (x > 0)


@jit
def jax_check_positive_even(x):
    is_even = x % 2 == 0
    return jnp.logical_and(is_even, x > 0)


report("python check", python_check_positive_even(24))
report("jax check", jax_check_positive_even(24))
x = jnp.array([-1, 2, 5])
report("jax check array", jax_check_positive_even(x))
report_error("python check on array", lambda: python_check_positive_even(x))

# lax.switch chooses one of several branches by index (clamped into range).
branches = [lambda x: x + 1., lambda x: x * 2., lambda x: -x]
for index in [-1, 0, 1, 2, 3]:
    report(f"switch {index}", lax.switch(index, branches, jnp.float32(3.)))
report("switch under jit", jit(lambda i, x: lax.switch(i, branches, x))(1, 5.))

# lax.map applies a function over the leading axis, sequentially.
report("lax.map", lax.map(lambda x: x ** 2 + 1, jnp.arange(5.)))

# Differentiating through control flow: cond, fori_loop with static bounds, and scan are
# reverse-differentiable; while_loop is forward-differentiable only.
report("grad through cond", grad(lambda x: lax.cond(x > 0, jnp.sin, jnp.cos, x))(1.))
report("grad through fori_loop", grad(lambda x: lax.fori_loop(0, 3, lambda i, c: c * x, 1.))(2.))
report("grad through scan",
       grad(lambda x: lax.scan(lambda c, xi: (c * xi, c), 1., x)[0])(jnp.arange(1., 4.)))
report("jvp through while_loop",
       jax.jvp(lambda x: lax.while_loop(lambda c: c < 10., lambda c: c * x, 1.), (2.,), (1.,)))
report_error("grad through while_loop",
             lambda: grad(lambda x: lax.while_loop(lambda c: c < 10., lambda c: c * x, 1.))(2.))
report("select", lax.select(jnp.array([True, False, True]), jnp.ones(3), jnp.zeros(3)))
report("jnp.where", jnp.where(jnp.arange(5) > 2, jnp.arange(5), -1))
report("jnp.piecewise", jnp.piecewise(jnp.linspace(-2., 2., 5), [jnp.linspace(-2., 2., 5) < 0],
                                      [lambda x: -x, lambda x: x ** 2]))
