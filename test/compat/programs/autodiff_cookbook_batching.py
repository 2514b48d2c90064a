# Source: JAX docs, "The Autodiff Cookbook", second half (Hessian-vector products,
#   Jacobian-matrix products with vmap, Jacobians built from jvp/vjp, check_grads)
#   https://docs.jax.dev/en/latest/notebooks/autodiff_cookbook.html
# Changed: %timeit cells left out, 16 instead of 128 covectors, 6x8 instead of 30x40 for the
# Hessian-vector products; the asserts report their values; check_grads moved to the end.
import jax.numpy as jnp
from jax import grad, jit, vmap, jvp, vjp, jacfwd, jacrev
from jax import random

from _report import report

key = random.key(0)


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2) + 1)


def predict(W, b, inputs):
    return sigmoid(jnp.dot(inputs, W) + b)


inputs = jnp.array([[0.52, 1.12, 0.77],
                    [0.88, -1.08, 0.15],
                    [0.52, 0.06, -1.30],
                    [0.74, -2.49, 1.39]])
targets = jnp.array([True, True, False, True])


def loss(W, b):
    preds = predict(W, b, inputs)
    label_probs = preds * targets + (1 - preds) * (1 - targets)
    return -jnp.sum(jnp.log(label_probs))


key, W_key, b_key = random.split(key, 3)
W = random.normal(W_key, (3,))
b = random.normal(b_key, ())


def hessian(f):
    return jacfwd(jacrev(f))


# forward-over-reverse
def hvp(f, primals, tangents):
    return jvp(grad(f), primals, tangents)[1]


def f(X):
    return jnp.sum(jnp.tanh(X) ** 2)


key, subkey1, subkey2 = random.split(key, 3)
X = random.normal(subkey1, (6, 8))
V = random.normal(subkey2, (6, 8))

ans1 = hvp(f, (X,), (V,))
ans2 = jnp.tensordot(hessian(f)(X), V, 2)
report("hvp fwd-over-rev", ans1)
report("hvp via hessian", ans2)
report("hvp allclose", bool(jnp.allclose(ans1, ans2, 1e-4, 1e-4)))


# reverse-over-forward
def hvp_revfwd(f, primals, tangents):
    g = lambda primals: jvp(f, primals, tangents)[1]
    return grad(g)(primals)


# reverse-over-reverse, only works for single arguments
def hvp_revrev(f, primals, tangents):
    x, = primals
    v, = tangents
    return grad(lambda x: jnp.vdot(grad(f)(x), v))(x)


report("hvp rev-over-fwd", hvp_revfwd(f, (X,), (V,)))
report("hvp rev-over-rev", hvp_revrev(f, (X,), (V,)))
report("hvp jit", jit(hvp, static_argnums=0)(f, (X,), (V,)))

f = lambda W: predict(W, b, inputs)
y = f(W)


def loop_mjp(f, x, M):
    y, vjp_fun = vjp(f, x)
    return jnp.vstack([jnp.asarray(vjp_fun(mi)) for mi in M])


def vmap_mjp(f, x, M):
    y, vjp_fun = vjp(f, x)
    outs, = vmap(vjp_fun)(M)
    return outs


key = random.key(0)
num_covecs = 16
U = random.normal(key, (num_covecs,) + y.shape)
loop_vs = loop_mjp(f, W, M=U)
vmap_vs = vmap_mjp(f, W, M=U)
report("loop_mjp", loop_vs)
report("vmap_mjp", vmap_vs)
report("mjp allclose", bool(jnp.allclose(loop_vs, vmap_vs)))


def loop_jmp(f, W, M):
    return jnp.vstack([jvp(f, (W,), (mi,))[1] for mi in M])


def vmap_jmp(f, W, M):
    _jvp = lambda s: jvp(f, (W,), (s,))[1]
    return vmap(_jvp)(M)


num_vecs = 16
S = random.normal(key, (num_vecs,) + W.shape)
loop_vs = loop_jmp(f, W, M=S)
vmap_vs = vmap_jmp(f, W, M=S)
report("loop_jmp", loop_vs)
report("vmap_jmp", vmap_vs)


def our_jacrev(f):
    def jacfun(x):
        y, vjp_fun = vjp(f, x)
        J, = vmap(vjp_fun, in_axes=0)(jnp.eye(len(y)))
        return J
    return jacfun


def our_jacfwd(f):
    def jacfun(x):
        _jvp = lambda s: jvp(f, (x,), (s,))[1]
        Jt = vmap(_jvp, in_axes=1)(jnp.eye(len(x)))
        return jnp.transpose(Jt)
    return jacfun


report("our_jacrev", our_jacrev(f)(W))
report("our_jacfwd", our_jacfwd(f)(W))
report("jacrev agrees", bool(jnp.allclose(jacrev(f)(W), our_jacrev(f)(W))))
report("jacfwd agrees", bool(jnp.allclose(jacfwd(f)(W), our_jacfwd(f)(W))))


def f(x):
    try:
        if x < 3:
            return 2 * x ** 3
        else:
            raise ValueError
    except ValueError:
        return jnp.pi * x


y, f_vjp = vjp(f, 4.)
report("vjp of Python control flow", jit(f_vjp)(1.))

from jax.test_util import check_grads
check_grads(loss, (W, b), order=2)  # check up to 2nd order derivatives
report("check_grads", "passed")
