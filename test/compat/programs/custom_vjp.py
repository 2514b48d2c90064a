# Source: JAX docs, "Custom derivative rules for JAX-transformable Python functions",
#   the custom_vjp sections (clipping gradients, implicit differentiation of a fixed point,
#   pytrees, the jvp-of-custom_vjp error)
#   https://docs.jax.dev/en/latest/notebooks/Custom_derivative_rules_for_Python_code.html
# Changed: plots left out (their data is reported); printed values go through report().
from functools import partial

import jax.numpy as jnp
from jax import custom_vjp, vjp, jvp, grad, jit, vmap
from jax.lax import while_loop

from _report import report, report_error


@custom_vjp
def f(x, y):
    return jnp.sin(x) * y


def f_fwd(x, y):
    return f(x, y), (jnp.cos(x), jnp.sin(x), y)


def f_bwd(res, g):
    cos_x, sin_x, y = res
    return (cos_x * g * y, sin_x * g)


f.defvjp(f_fwd, f_bwd)
report("grad custom_vjp", grad(f)(2., 3.))
report("value_and_grad custom_vjp", vjp(f, 2., 3.)[0])
report_error("jvp of custom_vjp", lambda: jvp(f, (3., 1.), (1., 0.)))


@custom_vjp
def clip_gradient(lo, hi, x):
    return x


def clip_gradient_fwd(lo, hi, x):
    return x, (lo, hi)


def clip_gradient_bwd(res, g):
    lo, hi = res
    return (None, None, jnp.clip(g, lo, hi))


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

t = jnp.linspace(0, 10, 50)


def clip_sin(x):
    x = clip_gradient(-0.75, 0.75, x)
    return jnp.sin(x)


report("clip_sin", clip_sin(t))
report("vmap grad sin", vmap(grad(jnp.sin))(t))
report("vmap grad clip_sin", vmap(grad(clip_sin))(t))


def fixed_point(f, a, x_guess):
    def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-6

    def body_fun(carry):
        _, x = carry
        return x, f(a, x)

    _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
    return x_star


def newton_sqrt(a):
    update = lambda a, x: 0.5 * (x + a / x)
    return fixed_point(update, a, a)


report("newton_sqrt", newton_sqrt(2.))
report("jit vmap newton_sqrt", jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))


@partial(custom_vjp, nondiff_argnums=(0,))
def fixed_point(f, a, x_guess):
    def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-6

    def body_fun(carry):
        _, x = carry
        return x, f(a, x)

    _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
    return x_star


def fixed_point_fwd(f, a, x_init):
    x_star = fixed_point(f, a, x_init)
    return x_star, (a, x_star)


def fixed_point_rev(f, res, x_star_bar):
    a, x_star = res
    _, vjp_a = vjp(lambda a: f(a, x_star), a)
    a_bar, = vjp_a(fixed_point(partial(rev_iter, f), (a, x_star, x_star_bar), x_star_bar))
    return a_bar, jnp.zeros_like(x_star)


def rev_iter(f, packed, u):
    a, x_star, x_star_bar = packed
    _, vjp_x = vjp(lambda x: f(a, x), x_star)
    return x_star_bar + vjp_x(u)[0]


fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)
report("implicit newton_sqrt", newton_sqrt(2.))
report("implicit grad newton_sqrt", grad(newton_sqrt)(2.))
report("implicit grad grad newton_sqrt", grad(grad(newton_sqrt))(2.))
report("grad sqrt", grad(jnp.sqrt)(2.))
report("grad grad sqrt", grad(grad(jnp.sqrt))(2.))

from collections import namedtuple
Point = namedtuple("Point", ["x", "y"])


@custom_vjp
def f(pt):
    x, y = pt.x, pt.y
    return {'a': x ** 2, 'b': (jnp.sin(x), jnp.cos(y))}


def f_fwd(pt):
    return f(pt), pt


def f_bwd(pt, g):
    a_bar, (b0_bar, b1_bar) = g['a'], g['b']
    x_bar = 2 * pt.x * a_bar + jnp.cos(pt.x) * b0_bar
    y_bar = -jnp.sin(pt.y) * b1_bar
    return (Point(x_bar, y_bar),)


f.defvjp(f_fwd, f_bwd)


def fun(pt):
    dct = f(pt)
    return dct['a'] + dct['b'][0]


pt = Point(1., 2.)
report("pytree custom_vjp", f(pt))
report("pytree custom_vjp grad", tuple(grad(fun)(pt)))


@partial(custom_vjp, nondiff_argnums=(0,))
def app(f, x):
    return f(x)


def app_fwd(f, x):
    return f(x), x


def app_bwd(f, x, g):
    return (5 * g,)


app.defvjp(app_fwd, app_bwd)
report("nondiff app", app(lambda x: x ** 2, 4.))
report("nondiff app grad", grad(app, 1)(lambda x: x ** 2, 4.))
