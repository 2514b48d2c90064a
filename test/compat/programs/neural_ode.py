# Modeled on: the jax.experimental.ode.odeint API reference and the "Neural ODEs" idea of
#   Chen et al. (2018) as shown in JAX's docs and examples; a fixed-step RK4 integrator
#   written with lax.fori_loop / lax.scan as JAX tutorials write it
#   https://docs.jax.dev/en/latest/jax.experimental.html
# Changed: written from scratch; a harmonic oscillator and a small neural vector field fit
# to a synthetic spiral trajectory for 40 steps; odeint (adaptive, with its adjoint
# gradient) is used last.
import jax
import jax.numpy as jnp
from jax import lax, random

from _report import report


def rk4_step(f, y, t, dt, params):
    k1 = f(y, t, params)
    k2 = f(y + dt / 2 * k1, t + dt / 2, params)
    k3 = f(y + dt / 2 * k2, t + dt / 2, params)
    k4 = f(y + dt * k3, t + dt, params)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def integrate(f, y0, ts, params):
    def step(y, t_pair):
        t0, t1 = t_pair
        return rk4_step(f, y, t0, t1 - t0, params), y
    y_final, ys = lax.scan(step, y0, (ts[:-1], ts[1:]))
    return jnp.concatenate([ys, y_final[None]], axis=0)


def oscillator(y, t, omega):
    x, v = y
    return jnp.stack([v, -omega ** 2 * x])


ts = jnp.linspace(0., 2 * jnp.pi, 41)
ys = integrate(oscillator, jnp.array([1., 0.]), ts, 1.0)
report("oscillator positions", ys[::10, 0], atol=1e-4)
report("oscillator energy drift", jnp.max(jnp.abs(0.5 * ys[:, 1] ** 2 + 0.5 * ys[:, 0] ** 2 - 0.5)),
       atol=1e-5)
report("d x(T) / d omega",
       jax.grad(lambda w: integrate(oscillator, jnp.array([1., 0.]), ts, w)[-1, 0])(1.0), rtol=1e-3)


def euler_fori(f, y0, t0, t1, n, params):
    dt = (t1 - t0) / n
    return lax.fori_loop(0, n, lambda i, y: y + dt * f(y, t0 + i * dt, params), y0)


report("euler with fori_loop", euler_fori(oscillator, jnp.array([1., 0.]), 0., 1., 100, 1.0))


def mlp_field(y, t, params):
    h = jnp.tanh(y @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def true_field(y, t, _):
    A = jnp.array([[-0.1, 2.0], [-2.0, -0.1]])
    return (y ** 3) @ A


ts = jnp.linspace(0., 1.5, 16)
target = integrate(true_field, jnp.array([2., 0.]), ts, None)
report("spiral trajectory", target[::5])

k1, k2 = random.split(random.key(0))
params = {"W1": random.normal(k1, (2, 16)) * 0.5, "b1": jnp.zeros(16),
          "W2": random.normal(k2, (16, 2)) * 0.5, "b2": jnp.zeros(2)}


def loss(params):
    pred = integrate(mlp_field, jnp.array([2., 0.]), ts, params)
    return jnp.mean(jnp.abs(pred - target))


@jax.jit
def update(params):
    l, g = jax.value_and_grad(loss)(params)
    return jax.tree.map(lambda p, g: p - 0.05 * g, params, g), l


losses = []
for _ in range(40):
    params, l = update(params)
    losses.append(l)
report("neural ODE losses", jnp.stack(losses)[::8], rtol=2e-3, atol=1e-4)
report("vmap over initial conditions", jax.vmap(
    lambda y0: integrate(oscillator, y0, jnp.linspace(0., 1., 11), 2.0)[-1])(jnp.eye(2)),
    atol=1e-5)

from jax.experimental.ode import odeint


def lotka_volterra(y, t, a, b):
    prey, pred = y
    return jnp.stack([a * prey - b * prey * pred, -a * pred + b * prey * pred])


t = jnp.linspace(0., 2., 5)
sol = odeint(lotka_volterra, jnp.array([1., 0.5]), t, 1.0, 0.5, rtol=1e-6, atol=1e-6)
report("odeint solution", sol, rtol=1e-4, atol=1e-5)
report("odeint adjoint gradient", jax.grad(
    lambda a: odeint(lotka_volterra, jnp.array([1., 0.5]), t, a, 0.5)[-1, 0])(1.0), rtol=1e-3)
