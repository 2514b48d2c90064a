# Source: the jax.nn API reference examples (activations, softmax, one_hot, initializers,
#   dot_product_attention) https://docs.jax.dev/en/latest/jax.nn.html
#   https://docs.jax.dev/en/latest/jax.nn.initializers.html
# Changed: values reported instead of printed; initializers reported through their shapes
# and moments where exact draws depend on the key.
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp
from jax import random

from _report import report, report_call

x = jnp.linspace(-3., 3., 7)
for name in ["relu", "relu6", "sigmoid", "softplus", "soft_sign", "silu", "swish",
             "log_sigmoid", "elu", "leaky_relu", "hard_tanh", "celu", "selu", "gelu",
             "hard_sigmoid", "hard_silu", "sparse_plus", "sparse_sigmoid", "mish",
             "squareplus", "tanh"]:
    report_call(name, lambda: getattr(jax.nn, name)(x))
report_call("gelu exact", lambda: jax.nn.gelu(x, approximate=False))
report_call("leaky_relu slope", lambda: jax.nn.leaky_relu(x, negative_slope=0.2))
report_call("glu", lambda: jax.nn.glu(jnp.arange(8.).reshape(2, 4)))
report_call("softmax", lambda: jax.nn.softmax(jnp.array([[1., 2., 3.], [1., 1., 1.]])))
report_call("softmax axis 0", lambda: jax.nn.softmax(jnp.array([[1., 2.], [3., 5.]]), axis=0))
report_call("softmax where", lambda: jax.nn.softmax(jnp.array([1., 2., 3.]),
                                                    where=jnp.array([True, False, True])))
report_call("log_softmax", lambda: jax.nn.log_softmax(jnp.array([1., 2., 3.])))
report_call("logsumexp", lambda: jax.nn.logsumexp(jnp.array([[1., 2.], [3., 1000.]]), axis=1))
report_call("logsumexp b return_sign",
            lambda: jax.nn.logsumexp(jnp.array([1., 2.]), b=jnp.array([1., -1.]),
                                     return_sign=True))
report_call("standardize", lambda: jax.nn.standardize(jnp.array([1., 2., 3., 4.])))
report_call("one_hot", lambda: jax.nn.one_hot(jnp.array([0, 2, 5]), 4))
report_call("one_hot dtype", lambda: jax.nn.one_hot(jnp.array([1]), 3, dtype=jnp.int32))
report_call("grad relu at 0", lambda: jax.grad(jax.nn.relu)(0.))
report_call("grad softplus", lambda: jax.vmap(jax.grad(jax.nn.softplus))(x))
report_call("grad gelu", lambda: jax.vmap(jax.grad(jax.nn.gelu))(x))
report_call("grad softmax cross entropy", lambda: jax.grad(
         lambda z: -jnp.sum(jax.nn.log_softmax(z) * jax.nn.one_hot(1, 3)))(jnp.array([1., 2., 3.])))

key = random.key(0)
for name, init in [("glorot_normal", jax.nn.initializers.glorot_normal()),
                   ("glorot_uniform", jax.nn.initializers.glorot_uniform()),
                   ("he_normal", jax.nn.initializers.he_normal()),
                   ("lecun_normal", jax.nn.initializers.lecun_normal()),
                   ("normal", jax.nn.initializers.normal(0.02)),
                   ("uniform", jax.nn.initializers.uniform(0.1)),
                   ("truncated_normal", jax.nn.initializers.truncated_normal(0.5))]:
    w = init(key, (64, 32), jnp.float32)
    report_call(f"init {name}", lambda: (w.shape, str(w.dtype)))
    report_call(f"init {name} draws", lambda: w[0, :4])
report_call("init zeros / ones / constant", lambda: (jax.nn.initializers.zeros(key, (2,)),
                                                     jax.nn.initializers.ones(key, (2,)),
                                                     jax.nn.initializers.constant(3.)(key, (2,))))
report_call("init orthogonal is orthogonal", lambda: jnp.allclose(
         (lambda q: q.T @ q)(jax.nn.initializers.orthogonal()(key, (8, 8))), jnp.eye(8), atol=1e-5))

B, T, N, H = 2, 5, 2, 4
q = random.normal(random.key(1), (B, T, N, H))
k = random.normal(random.key(2), (B, T, N, H))
v = random.normal(random.key(3), (B, T, N, H))
report_call("dot_product_attention", lambda: jax.nn.dot_product_attention(q, k, v), rtol=1e-3)
report_call("dot_product_attention causal",
            lambda: jax.nn.dot_product_attention(q, k, v, is_causal=True),
            rtol=1e-3)
