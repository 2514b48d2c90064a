# Source: JAX docs, "Common Gotchas in JAX", section "Double (64bit) precision", and
#   "Default dtypes and the X64 flag"
#   https://docs.jax.dev/en/latest/notebooks/Common_Gotchas_in_JAX.html#double-64bit-precision
#   https://docs.jax.dev/en/latest/default_dtypes.html
# Changed: values reported instead of printed; a float64 Newton iteration and a cumulative
# sum where float32 visibly loses precision are added.
import jax
jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
from jax import random

from _report import report

x = random.uniform(random.key(0), (1000,), dtype=jnp.float64)
report("uniform float64 dtype", str(x.dtype))
report("uniform float64 draws", x[:4])
report("default float", str(jnp.array(1.0).dtype))
report("default int", str(jnp.arange(3).dtype))
report("float32 stays float32", str(jnp.ones(2, jnp.float32).dtype))
report("float32 + Python float", str((jnp.ones(2, jnp.float32) + 1.5).dtype))
report("int32 + int64", str((jnp.ones(2, jnp.int32) + jnp.ones(2, jnp.int64)).dtype))
report("1/3 in float64", jnp.array(1.) / 3)
report("sum of 1e8 + small values", jnp.sum(jnp.array([1e8, 1e-3, 1e-3, -1e8])))
report("cumsum of 0.1", jnp.cumsum(jnp.full(1000, 0.1))[-1])


def newton_sqrt(a, steps=6):
    x = a
    for _ in range(steps):
        x = 0.5 * (x + a / x)
    return x


report("float64 newton sqrt 2", jax.jit(newton_sqrt)(jnp.float64(2.)))
report("grad in float64", jax.grad(lambda x: jnp.sin(x) * jnp.exp(x))(1.0))
report("int64 arithmetic", jnp.array(2 ** 40) * 3)
report("uint64 max", jnp.array(2 ** 64 - 1, dtype=jnp.uint64))
report("float64 matmul", jnp.ones((3, 3)) @ jnp.arange(3.))
report("linspace float64", jnp.linspace(0, 1, 4))
report("random normal float64", random.normal(random.key(1), (3,)))
report("randint int64", random.randint(random.key(2), (3,), 0, 2 ** 40, dtype=jnp.int64))
report("mixed precision scan", jax.lax.scan(lambda c, x: (c + x, c), 0., jnp.arange(5.))[0])
