# Source: JAX docs, "Pseudorandom numbers" and the jax.random API examples
#   https://docs.jax.dev/en/latest/random-numbers.html (docs/random-numbers.md)
#   https://docs.jax.dev/en/latest/jax.random.html
# Changed: the NumPy half of the page is left out; printed values go through report();
# draws of the common samplers are added to check the bits, not only the moments.
# Each example is reported with report_call: one that raises is reported, not fatal.
import numpy as np
import jax
from jax import random
import jax.numpy as jnp

from _report import report, report_call

key = random.key(42)
report_call("key data", lambda: random.key_data(key))
report_call("normal(key)", lambda: random.normal(key))
report_call("normal(key) again", lambda: random.normal(key))
for i in range(3):
    new_key, subkey = random.split(key)
    del key
    val = random.normal(subkey)
    del subkey
    report(f"draw {i}", val)
    key = new_key

key, subkey = random.split(key)
key, *forty_two_subkeys = random.split(key, num=43)
report_call("42 subkeys", lambda: len(forty_two_subkeys))
report_call("last subkey data", lambda: random.key_data(forty_two_subkeys[-1]))

key = random.key(42)
subkeys = random.split(key, 3)
sequence = np.stack([random.normal(subkey) for subkey in subkeys])
report("individually", sequence)
key = random.key(42)
report_call("all at once", lambda: random.normal(key, shape=(3,)))
report_call("vectorized", lambda: jax.vmap(random.normal)(subkeys))

# Legacy uint32 keys, as older code and tutorials use them.
old = random.PRNGKey(0)
report("PRNGKey(0)", old)
report_call("split legacy", lambda: random.split(old))
report_call("fold_in", lambda: random.key_data(random.fold_in(random.key(0), 7)))

k = random.key(0)
report_call("uniform", lambda: random.uniform(k, (4,)))
report_call("uniform range", lambda: random.uniform(k, (4,), minval=-2., maxval=3.))
report_call("normal 2x3", lambda: random.normal(k, (2, 3)))
report_call("randint", lambda: random.randint(k, (8,), 0, 10))
report_call("bernoulli", lambda: random.bernoulli(k, 0.3, (10,)))
report_call("categorical",
            lambda: random.categorical(k, jnp.log(jnp.array([0.1, 0.2, 0.7])), shape=(10,)))
report_call("permutation", lambda: random.permutation(k, 10))
report_call("permutation of array", lambda: random.permutation(k, jnp.arange(10.) * 2))
report_call("choice", lambda: random.choice(k, 10, (5,), replace=False))
report_call("choice with p",
            lambda: random.choice(k, jnp.arange(4), (6,), p=jnp.array([.1, .2, .3, .4])))
report_call("truncated_normal", lambda: random.truncated_normal(k, -1., 1., (5,)))
report_call("exponential", lambda: random.exponential(k, (5,)))
report_call("gumbel", lambda: random.gumbel(k, (5,)))
report_call("bits", lambda: random.bits(k, (4,)))
report_call("normal float64 without x64", lambda: str(random.normal(k, (2,)).dtype))
report_call("uniform under jit", lambda: jax.jit(lambda k: random.uniform(k, (3,)))(k))
report_call("shuffled rows", lambda: random.permutation(k, jnp.arange(12).reshape(4, 3), axis=0))
report_call("ball", lambda: random.ball(k, 3, shape=(2,)))
report_call("rademacher", lambda: random.rademacher(k, (6,)))
report_call("laplace", lambda: random.laplace(k, (4,)))
report_call("logistic", lambda: random.logistic(k, (4,)))
report_call("cauchy", lambda: random.cauchy(k, (4,)))
report_call("multivariate_normal", lambda: random.multivariate_normal(
         k, jnp.zeros(2), jnp.array([[2., 0.5], [0.5, 1.]]), (3,)))
