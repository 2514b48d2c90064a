# Source: JAX docs, "Autobatching for Bayesian inference" (vmapped log-probabilities, ADVI)
#   https://docs.jax.dev/en/latest/notebooks/vmapped_log_probs.html
# Changed: scipy.special.expit replaced by its NumPy formula; the plot left out; 300 ADVI
# steps instead of 1000, reported every 100.
import jax
import jax.numpy as jnp
import jax.scipy as jsp
from jax import random
import numpy as np

from _report import report

np.random.seed(10009)
num_features = 10
num_points = 100
true_beta = np.random.randn(num_features).astype(jnp.float32)
all_x = np.random.randn(num_points, num_features).astype(jnp.float32)
y = (np.random.rand(num_points) < 1 / (1 + np.exp(-all_x.dot(true_beta)))).astype(jnp.int32)
report("y", y)


def log_joint(beta):
    result = 0.
    result = result + jnp.sum(jsp.stats.norm.logpdf(beta, loc=0., scale=1.))
    result = result + jnp.sum(-jnp.log(1 + jnp.exp(-(2 * y - 1) * jnp.dot(all_x, beta))))
    return result


report("log_joint", log_joint(np.random.randn(num_features)))
try:
    batch_size = 10
    log_joint(np.random.randn(batch_size, num_features))
    report("unbatched log_joint on a batch", "ran")
except ValueError as e:
    report("unbatched log_joint on a batch", "ValueError")


def batched_log_joint(beta):
    result = 0.
    result = result + jnp.sum(jsp.stats.norm.logpdf(beta, loc=0., scale=1.), axis=-1)
    result = result + jnp.sum(-jnp.log(1 + jnp.exp(-(2 * y - 1) * jnp.dot(all_x, beta.T).T)),
                              axis=-1)
    return result


batch_size = 10
batched_test_beta = np.random.randn(batch_size, num_features)
report("manually batched", batched_log_joint(batched_test_beta))
vmap_batched_log_joint = jax.vmap(log_joint)
report("vmap batched", vmap_batched_log_joint(batched_test_beta))


@jax.jit
def log_joint(beta):
    result = 0.
    result = result + jnp.sum(jsp.stats.norm.logpdf(beta, loc=0., scale=10.))
    result = result + jnp.sum(-jnp.log(1 + jnp.exp(-(2 * y - 1) * jnp.dot(all_x, beta))))
    return result


batched_log_joint = jax.jit(jax.vmap(log_joint))


def elbo(beta_loc, beta_log_scale, epsilon):
    beta_sample = beta_loc + jnp.exp(beta_log_scale) * epsilon
    return (jnp.mean(batched_log_joint(beta_sample), 0)
            + jnp.sum(beta_log_scale - 0.5 * np.log(2 * np.pi)))


elbo = jax.jit(elbo)
elbo_val_and_grad = jax.jit(jax.value_and_grad(elbo, argnums=(0, 1)))


def normal_sample(key, shape):
    new_key, sub_key = random.split(key)
    return new_key, random.normal(sub_key, shape)


normal_sample = jax.jit(normal_sample, static_argnums=(1,))
key = random.key(10003)
beta_loc = jnp.zeros(num_features, jnp.float32)
beta_log_scale = jnp.zeros(num_features, jnp.float32)
step_size = 0.01
batch_size = 128
epsilon_shape = (batch_size, num_features)
for i in range(300):
    key, epsilon = normal_sample(key, epsilon_shape)
    elbo_val, (beta_loc_grad, beta_log_scale_grad) = elbo_val_and_grad(
        beta_loc, beta_log_scale, epsilon)
    beta_loc += step_size * beta_loc_grad
    beta_log_scale += step_size * beta_log_scale_grad
    if i % 100 == 0:
        report(f"elbo step {i}", elbo_val, rtol=1e-3)
report("posterior means", beta_loc, rtol=1e-3, atol=1e-4)
report("posterior log scales", beta_log_scale, rtol=1e-3, atol=1e-4)
