# Source: JAX docs, "Custom derivative rules for JAX-transformable Python functions",
#   the custom_jvp sections (numerical stability, enforcing a differentiation convention,
#   pytrees, nondiff_argnums, Python control flow in rules)
#   https://docs.jax.dev/en/latest/notebooks/Custom_derivative_rules_for_Python_code.html
# Changed: printed values go through report(); the side-effect prints are counted.
from functools import partial

import jax.numpy as jnp
from jax import custom_jvp, jvp, grad, jit, vmap

from _report import report


@custom_jvp
def f(x, y):
    return jnp.sin(x) * y


@f.defjvp
def f_jvp(primals, tangents):
    x, y = primals
    x_dot, y_dot = tangents
    primal_out = f(x, y)
    tangent_out = jnp.cos(x) * x_dot * y + jnp.sin(x) * y_dot
    return primal_out, tangent_out


report("f", f(2., 3.))
report("jvp f", jvp(f, (2., 3.), (1., 0.)))
report("grad f", grad(f)(2., 3.))


@custom_jvp
def f(x, y):
    return jnp.sin(x) * y


f.defjvps(lambda x_dot, primal_out, x, y: jnp.cos(x) * x_dot * y,
          lambda y_dot, primal_out, x, y: jnp.sin(x) * y_dot)
report("defjvps jvp", jvp(f, (2., 3.), (1., 0.)))
report("defjvps grad", grad(f)(2., 3.))


def log1pexp(x):
    return jnp.log(1. + jnp.exp(x))


report("log1pexp jit", jit(log1pexp)(3.))
report("log1pexp jit grad", jit(grad(log1pexp))(3.))
report("log1pexp vmap jit grad", vmap(jit(grad(log1pexp)))(jnp.arange(3.)))
report("naive grad at 100 is nan", grad(log1pexp)(100.))


@custom_jvp
def log1pexp(x):
    return jnp.log(1. + jnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    x, = primals
    x_dot, = tangents
    ans = log1pexp(x)
    ans_dot = (1 - 1 / (1 + jnp.exp(x))) * x_dot
    return ans, ans_dot


report("custom grad at 100", grad(log1pexp)(100.))
report("custom jit", jit(log1pexp)(3.))
report("custom jit grad", jit(grad(log1pexp))(3.))
report("custom vmap jit grad", vmap(jit(grad(log1pexp)))(jnp.arange(3.)))


def f(x):
    return x / (1 + jnp.sqrt(x))


report("naive grad at 0", grad(f)(0.))


@custom_jvp
def f(x):
    return x / (1 + jnp.sqrt(x))


f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * t)
report("convention grad at 0", grad(f)(0.))


@custom_jvp
def f(x, y):
    return x ** 2 * y


f.defjvps(lambda x_dot, primal_out, x, y: 2 * x * y * x_dot, None)
report("defjvps None grad 0", grad(f, 0)(2., 3.))
report("defjvps None grad 1", grad(f, 1)(2., 3.))

calls = {"f": 0, "f_jvp": 0}


@custom_jvp
def f(x):
    calls["f"] += 1
    return jnp.sin(x)


@f.defjvp
def f_jvp(primals, tangents):
    calls["f_jvp"] += 1
    x, = primals
    t, = tangents
    return f(x), jnp.cos(x) * t


report("f(3.)", f(3.))
report("vmap f", vmap(f)(jnp.arange(3.)))
report("jit f", jit(f)(3.))
report("jvp f tangent", jvp(f, (3.,), (1.,))[1])
report("grad f", grad(f)(3.))
report("grad grad f", grad(grad(f))(3.))


@custom_jvp
def f(x):
    if x > 0:
        return jnp.sin(x)
    else:
        return jnp.cos(x)


@f.defjvp
def f_jvp(primals, tangents):
    x, = primals
    x_dot, = tangents
    ans = f(x)
    if x > 0:
        return ans, 2 * x_dot
    else:
        return ans, 3 * x_dot


report("Python control flow in rule, x=1", grad(f)(1.))
report("Python control flow in rule, x=-1", grad(f)(-1.))

from collections import namedtuple
Point = namedtuple("Point", ["x", "y"])


@custom_jvp
def f(pt):
    x, y = pt.x, pt.y
    return {'a': x ** 2, 'b': (jnp.sin(x), jnp.cos(y))}


@f.defjvp
def f_jvp(primals, tangents):
    pt, = primals
    pt_dot, = tangents
    ans = f(pt)
    ans_dot = {'a': 2 * pt.x * pt_dot.x,
               'b': (jnp.cos(pt.x) * pt_dot.x, -jnp.sin(pt.y) * pt_dot.y)}
    return ans, ans_dot


def fun(pt):
    dct = f(pt)
    return dct['a'] + dct['b'][0]


pt = Point(1., 2.)
report("pytree f", f(pt))
report("pytree grad", tuple(grad(fun)(pt)))


@partial(custom_jvp, nondiff_argnums=(0,))
def app(f, x):
    return f(x)


@app.defjvp
def app_jvp(f, primals, tangents):
    x, = primals
    x_dot, = tangents
    return f(x), 2. * x_dot


report("nondiff_argnums app", app(lambda x: x ** 3, 3.))
report("nondiff_argnums grad", grad(app, 1)(lambda x: x ** 3, 3.))


@partial(custom_jvp, nondiff_argnums=(0, 2))
def app2(f, x, g):
    return f(g((x)))


@app2.defjvp
def app2_jvp(f, g, primals, tangents):
    x, = primals
    x_dot, = tangents
    return f(g(x)), 3. * x_dot


report("nondiff_argnums app2", app2(lambda x: x ** 3, 3., lambda y: 5 * y))
report("nondiff_argnums app2 grad", grad(app2, 1)(lambda x: x ** 3, 3., lambda y: 5 * y))
