# Source: JAX docs, "The Autodiff Cookbook", first half (gradients, Jacobians, Hessians, JVP/VJP)
#   https://docs.jax.dev/en/latest/notebooks/autodiff_cookbook.html
#   (docs/notebooks/autodiff_cookbook.md in github.com/jax-ml/jax)
# Changed: printed values go through report(); %timeit cells and check_grads are left out
# (check_grads is in autodiff_cookbook_batching.py).
import jax.numpy as jnp
from jax import grad, jit, vmap
from jax import random

from _report import report

key = random.key(0)

grad_tanh = grad(jnp.tanh)
report("grad_tanh", grad_tanh(2.0))
report("grad2_tanh", grad(grad(jnp.tanh))(2.0))
report("grad3_tanh", grad(grad(grad(jnp.tanh)))(2.0))


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


# Outputs probability of a label being true.
def predict(W, b, inputs):
    return sigmoid(jnp.dot(inputs, W) + b)


# Build a toy dataset.
inputs = jnp.array([[0.52, 1.12, 0.77],
                    [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30],
                    [0.74, -2.49, 1.39]])
targets = jnp.array([True, True, False, True])


# Training loss is the negative log-likelihood of the training examples.
def loss(W, b):
    preds = predict(W, b, inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


# Initialize random model coefficients
key, W_key, b_key = random.split(key, 3)
W = random.normal(W_key, (3,))
b = random.normal(b_key, ())
report("W", W)
report("b", b)

W_grad = grad(loss, argnums=0)(W, b)
report("W_grad", W_grad)
W_grad = grad(loss)(W, b)
report("W_grad default argnums", W_grad)
b_grad = grad(loss, 1)(W, b)
report("b_grad", b_grad)
W_grad, b_grad = grad(loss, (0, 1))(W, b)
report("W_grad, b_grad", (W_grad, b_grad))


def loss2(params_dict):
    preds = predict(params_dict['W'], params_dict['b'], inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


report("grad of dict", grad(loss2)({'W': W, 'b': b}))

from jax import value_and_grad
loss_value, Wb_grad = value_and_grad(loss, (0, 1))(W, b)
report("loss value", loss_value)
report("loss value direct", loss(W, b))
report("Wb_grad", Wb_grad)

# Set a step size for finite differences calculations
eps = 1e-4
b_grad_numerical = (loss(W, b + eps / 2.) - loss(W, b - eps / 2.)) / eps
report("b_grad_numerical", b_grad_numerical, rtol=1e-2)
report("b_grad_autodiff", grad(loss, 1)(W, b))

key, subkey = random.split(key)
vec = random.normal(subkey, W.shape)
unitvec = vec / jnp.sqrt(jnp.vdot(vec, vec))
W_grad_numerical = (loss(W + eps / 2. * unitvec, b) - loss(W - eps / 2. * unitvec, b)) / eps
report("W_dirderiv_numerical", W_grad_numerical, rtol=1e-2)
report("W_dirderiv_autodiff", jnp.vdot(grad(loss)(W, b), unitvec))

from jax import jacfwd, jacrev

f = lambda W: predict(W, b, inputs)
J = jacfwd(f)(W)
report("jacfwd shape", J.shape)
report("jacfwd", J)
J = jacrev(f)(W)
report("jacrev", J)


def predict_dict(params, inputs):
    return predict(params['W'], params['b'], inputs)


J_dict = jacrev(predict_dict)({'W': W, 'b': b}, inputs)
for k, v in J_dict.items():
    report(f"Jacobian from {k}", v)


def hessian(f):
    return jacfwd(jacrev(f))


H = hessian(f)(W)
report("hessian shape", H.shape)
report("hessian", H)

from jax import jvp
key, subkey = random.split(key)
v = random.normal(subkey, W.shape)
y, u = jvp(f, (W,), (v,))
report("jvp", (y, u))

from jax import vjp
y, vjp_fun = vjp(f, W)
key, subkey = random.split(key)
u = random.normal(subkey, y.shape)
v = vjp_fun(u)
report("vjp", v)


def vgrad(f, x):
    y, vjp_fn = vjp(f, x)
    return vjp_fn(jnp.ones(y.shape))[0]


report("vgrad", vgrad(lambda x: 3 * x ** 2, jnp.ones((2, 2))))
