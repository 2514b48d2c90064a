# Source: JAX docs, "Pseudorandom numbers" and the jax.random API examples
#   https://docs.jax.dev/en/latest/random-numbers.html (docs/random-numbers.md)
#   https://docs.jax.dev/en/latest/jax.random.html
# Changed: the NumPy half of the page is left out; printed values go through report();
# draws of the common samplers are added to check the bits, not only the moments.
import numpy as np
import jax
from jax import random
import jax.numpy as jnp

from _report import report

key = random.key(42)
report("key data", random.key_data(key))
report("normal(key)", random.normal(key))
report("normal(key) again", random.normal(key))
for i in range(3):
    new_key, subkey = random.split(key)
    del key
    val = random.normal(subkey)
    del subkey
    report(f"draw {i}", val)
    key = new_key

key, subkey = random.split(key)
key, *forty_two_subkeys = random.split(key, num=43)
report("42 subkeys", len(forty_two_subkeys))
report("last subkey data", random.key_data(forty_two_subkeys[-1]))

key = random.key(42)
subkeys = random.split(key, 3)
sequence = np.stack([random.normal(subkey) for subkey in subkeys])
report("individually", sequence)
key = random.key(42)
report("all at once", random.normal(key, shape=(3,)))
report("vectorized", jax.vmap(random.normal)(subkeys))

# Legacy uint32 keys, as older code and tutorials use them.
old = random.PRNGKey(0)
report("PRNGKey(0)", old)
report("split legacy", random.split(old))
report("fold_in", random.key_data(random.fold_in(random.key(0), 7)))

k = random.key(0)
report("uniform", random.uniform(k, (4,)))
report("uniform range", random.uniform(k, (4,), minval=-2., maxval=3.))
report("normal 2x3", random.normal(k, (2, 3)))
report("randint", random.randint(k, (8,), 0, 10))
report("bernoulli", random.bernoulli(k, 0.3, (10,)))
report("categorical", random.categorical(k, jnp.log(jnp.array([0.1, 0.2, 0.7])), shape=(10,)))
report("permutation", random.permutation(k, 10))
report("permutation of array", random.permutation(k, jnp.arange(10.) * 2))
report("choice", random.choice(k, 10, (5,), replace=False))
report("choice with p", random.choice(k, jnp.arange(4), (6,), p=jnp.array([.1, .2, .3, .4])))
report("truncated_normal", random.truncated_normal(k, -1., 1., (5,)))
report("exponential", random.exponential(k, (5,)))
report("gumbel", random.gumbel(k, (5,)))
report("bits", random.bits(k, (4,)))
report("normal float64 without x64", str(random.normal(k, (2,)).dtype))
report("uniform under jit", jax.jit(lambda k: random.uniform(k, (3,)))(k))
report("shuffled rows", random.permutation(k, jnp.arange(12).reshape(4, 3), axis=0))
report("ball", random.ball(k, 3, shape=(2,)))
report("rademacher", random.rademacher(k, (6,)))
report("laplace", random.laplace(k, (4,)))
report("logistic", random.logistic(k, (4,)))
report("cauchy", random.cauchy(k, (4,)))
report("multivariate_normal", random.multivariate_normal(
    k, jnp.zeros(2), jnp.array([[2., 0.5], [0.5, 1.]]), (3,)))
