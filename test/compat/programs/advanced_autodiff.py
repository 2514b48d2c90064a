# Source: JAX docs, "Advanced automatic differentiation" / the autodiff cookbook (stop_gradient
#   for TD(0) learning, straight-through estimators, per-example gradients, linearize,
#   linear_transpose, Jacobians of pytrees, Hessians)
#   https://docs.jax.dev/en/latest/advanced-autodiff.html
#   https://docs.jax.dev/en/latest/new_docs/301/cookbook.html
# Changed: printed values go through report_call(): an example that raises is reported, not fatal.
import jax
import jax.numpy as jnp
from jax import grad, jit, vmap, lax, random, jvp, vjp, linearize

from _report import report, report_call


def value_fn(theta, state):
    return jnp.dot(theta, state)


def td_loss(theta, s_tm1, r_t, s_t):
    v_tm1 = value_fn(theta, s_tm1)
    target = r_t + value_fn(theta, s_t)
    return -0.5 * ((lax.stop_gradient(target) - v_tm1) ** 2)


theta = jnp.array([0.1, -0.1, 0.])
s_tm1 = jnp.array([1., 2., -1.])
r_t = jnp.array(1.)
s_t = jnp.array([2., 1., 0.])
td_update = grad(td_loss)
delta_theta = td_update(theta, s_tm1, r_t, s_t)
report("td update", delta_theta)


def straight_through_round(x):
    return x + lax.stop_gradient(jnp.round(x) - x)


report_call("straight-through value", lambda: straight_through_round(1.7))
report_call("straight-through grad", lambda: grad(straight_through_round)(1.7))

# Per-example gradients: vmap over grad of the TD loss.
perex_grads = jit(vmap(grad(td_loss), in_axes=(None, 0, 0, 0)))
batched_s_tm1 = jnp.stack([s_tm1, s_tm1])
batched_r_t = jnp.stack([r_t, r_t])
batched_s_t = jnp.stack([s_t, s_t])
report_call("per-example gradients",
            lambda: perex_grads(theta, batched_s_tm1, batched_r_t, batched_s_t))
dtheta_dtheta = jax.jacrev(td_loss)(theta, s_tm1, r_t, s_t)
report("jacrev of td loss", dtheta_dtheta)


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


def predict(W, b, inputs):
    return sigmoid(jnp.dot(inputs, W) + b)


inputs = jnp.array([[0.52, 1.12, 0.77],
                    [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30],
                    [0.74, -2.49, 1.39]])
key = random.key(0)
key, W_key, b_key = random.split(key, 3)
W = random.normal(W_key, (3,))
b = random.normal(b_key, ())
f = lambda W: predict(W, b, inputs)

y, f_jvp = linearize(f, W)
report("linearize primal", y)
key, k1, k2 = random.split(key, 3)
v1, v2 = random.normal(k1, W.shape), random.normal(k2, W.shape)
report_call("linearized jvp v1", lambda: f_jvp(v1))
report_call("linearized jvp v2", lambda: f_jvp(v2))
report_call("linearize agrees with jvp",
            lambda: bool(jnp.allclose(f_jvp(v1), jvp(f, (W,), (v1,))[1])))

y2, f_vjp_ref = vjp(f, W)
u = jnp.ones_like(y)
report_call("linear_transpose", lambda: jax.linear_transpose(f_jvp, W)(u))
report_call("linear_transpose agrees with vjp", lambda: bool(jnp.allclose(
    jax.linear_transpose(f_jvp, W)(u)[0], f_vjp_ref(u)[0])))

report_call("hessian of a pytree function", lambda: jax.hessian(
         lambda p: jnp.sum(p['a'] ** 3) + p['a'][0] * p['b'])({'a': jnp.array([1., 2.]), 'b': 3.}))
report_call("jacfwd has_aux", lambda: jax.jacfwd(lambda x: (jnp.sin(x), jnp.cos(x)), has_aux=True)(
         jnp.arange(2.)))
report_call("value_and_grad has_aux", lambda: jax.value_and_grad(
         lambda x: (jnp.sum(x ** 2), {'mean': jnp.mean(x)}), has_aux=True)(jnp.arange(3.)))
report_call("grad allow_int",
            lambda: grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2., 3))
report_call("grad of jnp.where at the unsafe point", lambda: grad(
         lambda x: jnp.where(x > 0., jnp.sqrt(jnp.where(x > 0., x, 1.)), 0.))(0.))
report_call("grad of norm at zero is nan", lambda: grad(lambda x: jnp.linalg.norm(x))(jnp.zeros(2)))
report_call("jvp of a pytree", lambda: jvp(lambda d: d['x'] * d['y'], ({'x': 2., 'y': 3.},),
                                           ({'x': 1., 'y': 0.},)))
report_call("vjp with has_aux", lambda: vjp(lambda x: (x ** 2, x + 1), 3., has_aux=True)[2])
report_call("grad of a closure under vmap", lambda: grad(lambda w: jnp.sum(
         vmap(lambda x: jnp.tanh(w * x))(jnp.arange(3.))))(0.5))
report_call("custom_gradient", lambda: grad(jax.custom_gradient(
         lambda x: (x ** 2, lambda g: (g * 10.,))))(3.))
