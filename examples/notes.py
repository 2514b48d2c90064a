"""The notes page "JAX" (grad, vmap, jit, lax.scan), run on mlax (plots left out)."""
import mlax.numpy as jnp
import mlax.random as jrandom
from mlax import grad, lax, tree_map, vmap

sq = lambda x: jnp.sum(x**2)
dx_sq = grad(sq)
print(dx_sq(jnp.arange(3.)))

poly_3d = lambda x, y, z: jnp.sum(x**2 + y**3 + z**4)
dx_poly_3d = grad(poly_3d, argnums=0)
print("dpoly_3d/dx is ", dx_poly_3d(jnp.arange(3.), jnp.arange(3.), jnp.arange(3.)))
dxdydz_poly_3d = grad(poly_3d, argnums=(0, 1, 2))
print("dpoly_3d/dxdydz is ", dxdydz_poly_3d(jnp.arange(3.), jnp.arange(3.), jnp.arange(3.)))
dx_poly_3d, dy_poly_3d, dz_poly_3d = dxdydz_poly_3d(jnp.arange(3.), jnp.arange(3.), jnp.arange(3.))
print("dpoly_3d/dx is ", dx_poly_3d, "dpoly_3d_dy is ", dy_poly_3d, "dpoly_3d_dz is ", dz_poly_3d)

# SGD on a linear model, batches chosen with random.choice.
batch_size = 10
samples = batch_size * 10
key = jrandom.PRNGKey(1)
x = jnp.linspace(-2, 2, samples)
y = 5 * x + 2 + 0.001 * jrandom.normal(key, shape=x.shape)
f = lambda params, x: params[0] * x + params[1]
loss = lambda params, x, y: jnp.mean((y - f(params, x))**2)
grad_loss = grad(loss)
lr = 0.1
update = lambda params, xs, ys: tree_map(lambda p, g: p - lr * g, params, grad_loss(params, xs, ys))
params = jnp.array([0., 1.])
for _ in range(20):
    key, _ = jrandom.split(key)
    batch_indices = jrandom.choice(key, jnp.arange(samples, dtype=int), (batch_size,))
    xbatch, ybatch = x[batch_indices], y[batch_indices]
    params = update(params, xbatch, ybatch)
print(params)

# vmap with in_axes
fhat = lambda params, x: params[0] * x + params[1]
loss = lambda params, x, y: (fhat(params, x) - y)**2
vmap_loss = vmap(loss, in_axes=(None, 0, 1))
samples = 5
xs = jnp.linspace(0, 2, samples)
ys = 5 * xs + 2
loss_vals = vmap_loss(jnp.array([5., 2.]), xs.reshape((samples, 1)), ys.reshape((1, samples)))
print(loss_vals)  # should be all 0s since params are true values

# vmap of grad
f = lambda x: jnp.sin(x)
dx_f = grad(f)
x = jnp.linspace(0, 2 * jnp.pi, 100)
y = f(x)
dy = vmap(dx_f)(x)
print(jnp.allclose(dy, jnp.cos(x), atol=1e-6))


# Pairwise distances with a double vmap, two ways
def apply_double_arg_func(func, xs, xs2=None):
    if xs2 is None:
        return vmap(lambda x: vmap(lambda y: func(x, y))(xs))(xs)
    else:
        return vmap(lambda x: vmap(lambda y: func(x, y))(xs))(xs2).T


def apply_double_arg_func2(func, xs, xs2=None):
    if xs2 is None:
        return vmap(vmap(func, (0, None)), (None, 0))(xs, xs)
    else:
        return vmap(vmap(func, (0, None)), (None, 0))(xs, xs2).T


def l1dist(x, y):
    return jnp.sum(jnp.abs(x - y))


x1 = jnp.linspace(1, 10, 100)
y1 = jnp.linspace(1, 5, 20)
print(jnp.allclose(apply_double_arg_func(l1dist, x1, y1), apply_double_arg_func2(l1dist, x1, y1)))


# lax.scan: a running sum, the state carried from step to step
def step(carry, x):
    carry = carry + x
    return carry, carry


total, running = lax.scan(step, 0.0, jnp.arange(1.0, 6.0))
print(total, running)
