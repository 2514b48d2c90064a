# Source: JAX docs, "Automatic vectorization" and the jax.vmap API examples
#   https://docs.jax.dev/en/latest/automatic-vectorization.html
#   https://docs.jax.dev/en/latest/_autosummary/jax.vmap.html
# Changed: printed values go through report(); the vmap docstring's in_axes / out_axes /
# pytree / axis_size examples are added.
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp

from _report import report, report_call, report_error

x = jnp.arange(5)
w = jnp.array([2., 3., 4.])


def convolve(x, w):
    output = []
    for i in range(1, len(x) - 1):
        output.append(jnp.dot(x[i - 1:i + 2], w))
    return jnp.array(output)


report_call("convolve", lambda: convolve(x, w))
xs = jnp.stack([x, x])
ws = jnp.stack([w, w])


def manually_batched_convolve(xs, ws):
    output = []
    for i in range(xs.shape[0]):
        output.append(convolve(xs[i], ws[i]))
    return jnp.stack(output)


report_call("manually batched", lambda: manually_batched_convolve(xs, ws))


def manually_vectorized_convolve(xs, ws):
    output = []
    for i in range(1, xs.shape[-1] - 1):
        output.append(jnp.sum(xs[:, i - 1:i + 2] * ws, axis=1))
    return jnp.stack(output, axis=1)


report_call("manually vectorized", lambda: manually_vectorized_convolve(xs, ws))
auto_batch_convolve = jax.vmap(convolve)
report_call("vmap", lambda: auto_batch_convolve(xs, ws))
auto_batch_convolve_v2 = jax.vmap(convolve, in_axes=1, out_axes=1)
report_call("vmap in_axes=1 out_axes=1",
            lambda: auto_batch_convolve_v2(jnp.transpose(xs), jnp.transpose(ws)))
batch_convolve_v3 = jax.vmap(convolve, in_axes=[0, None])
report_call("vmap in_axes=[0, None]", lambda: batch_convolve_v3(xs, w))
jitted_batch_convolve = jax.jit(auto_batch_convolve)
report_call("jit vmap", lambda: jitted_batch_convolve(xs, ws))


def pairwise(f, xs):
    return jax.vmap(lambda x: jax.vmap(lambda y: f(x, y))(xs))(xs)


report_call("pairwise distances", lambda: pairwise(lambda a, b: jnp.sum((a - b) ** 2),
                                                   jnp.arange(12.).reshape(4, 3)))

# From the jax.vmap docstring.
mat = jnp.arange(6.).reshape(2, 3)
vec = jnp.arange(3.)
vv = lambda x, y: jnp.vdot(x, y)
mv = jax.vmap(vv, (0, None), 0)
mm = jax.vmap(mv, (None, 1), 1)
report_call("matrix-vector", lambda: mv(mat, vec))
report_call("matrix-matrix", lambda: mm(mat, jnp.arange(12.).reshape(3, 4)))
report_call("in_axes dict",
            lambda: jax.vmap(lambda d: d['a'] + d['b'], in_axes=({'a': 0, 'b': None},))(
         {'a': jnp.arange(3.), 'b': 10.}))
report_call("out_axes tuple", lambda: jax.vmap(lambda x: (x.sum(), x * 2), out_axes=(0, 1))(mat))
report_call("axis_size", lambda: jax.vmap(lambda: jnp.ones(2), axis_size=3)())
report_call("nested vmap outer product",
            lambda: jax.vmap(jax.vmap(jnp.multiply, (None, 0)), (0, None))(
         jnp.arange(3.), jnp.arange(4.)))
report_call("vmap over pytree outputs",
            lambda: jax.vmap(lambda x: {'sq': x ** 2, 'neg': -x})(jnp.arange(3.)))
report_call("vmap negative in_axes",
            lambda: jax.vmap(jnp.sum, in_axes=-1)(jnp.arange(6.).reshape(2, 3)))
report_call("vmap of grad (per-example)",
            lambda: jax.vmap(jax.grad(lambda w, x: jnp.sum(jnp.tanh(w * x))),
                             in_axes=(None, 0))(0.5, mat))
report_call("vmap with keyword argument",
            lambda: jax.vmap(lambda x, scale=1.: x * scale)(jnp.arange(3.), scale=jnp.ones(3) * 2))
report_error("inconsistent sizes", lambda: jax.vmap(jnp.add)(jnp.ones(2), jnp.ones(3)))
report_call("vmap cumsum", lambda: jax.vmap(jnp.cumsum)(mat))
report_call("vmap of matmul",
            lambda: jax.vmap(jnp.matmul)(jnp.ones((4, 2, 3)), jnp.ones((4, 3, 5))).shape)
