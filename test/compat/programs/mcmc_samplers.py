# Modeled on: "MCMC 102" (Hamiltonian Monte Carlo with a leapfrog integrator in JAX),
#   https://drclab.github.io/posts/mcmc-102 , and QuantEcon's "Markov Chain Monte Carlo"
#   lecture (random-walk Metropolis-Hastings in JAX)
#   https://github.com/QuantEcon/lecture-python-advanced.myst (lectures/mcmc.md)
# Changed: written from scratch; a correlated 2-D Gaussian target; 64 Metropolis chains run
# at once with vmap and lax.scan; one HMC chain of 200 draws with lax.fori_loop leapfrog
# steps; moments and acceptance rates are reported.
import jax
import jax.numpy as jnp
from jax import lax, random

from _report import report

cov = jnp.array([[1.0, 0.8], [0.8, 1.0]])
prec = jnp.linalg.inv(cov)


def log_prob(x):
    return -0.5 * x @ prec @ x


def metropolis_step(state, key, step_size=0.7):
    x, lp = state
    k1, k2 = random.split(key)
    proposal = x + step_size * random.normal(k1, x.shape)
    lp_prop = log_prob(proposal)
    accept = jnp.log(random.uniform(k2)) < lp_prop - lp
    x = jnp.where(accept, proposal, x)
    lp = jnp.where(accept, lp_prop, lp)
    return (x, lp), (x, accept)


def run_chain(key, x0, n_steps=300):
    keys = random.split(key, n_steps)
    _, (xs, accepted) = lax.scan(metropolis_step, (x0, log_prob(x0)), keys)
    return xs, accepted


n_chains = 64
keys = random.split(random.key(0), n_chains)
x0 = random.normal(random.key(1), (n_chains, 2)) * 2
samples, accepted = jax.jit(jax.vmap(run_chain))(keys, x0)
report("metropolis samples shape", samples.shape)
burned = samples[:, 100:].reshape(-1, 2)
report("metropolis acceptance rate", accepted.mean(), atol=1e-6)
report("metropolis mean", burned.mean(0), atol=1e-4)
report("metropolis covariance", jnp.cov(burned.T), rtol=1e-3, atol=1e-4)
report("first chain's last draws", samples[0, -3:], atol=1e-5)


def leapfrog(x, p, step_size, n_steps):
    grad_lp = jax.grad(log_prob)

    def body(i, state):
        x, p = state
        p = p + 0.5 * step_size * grad_lp(x)
        x = x + step_size * p
        p = p + 0.5 * step_size * grad_lp(x)
        return x, p
    return lax.fori_loop(0, n_steps, body, (x, p))


def hmc_step(x, key, step_size=0.3, n_leapfrog=8):
    k1, k2 = random.split(key)
    p0 = random.normal(k1, x.shape)
    x_new, p_new = leapfrog(x, p0, step_size, n_leapfrog)
    h0 = -log_prob(x) + 0.5 * p0 @ p0
    h1 = -log_prob(x_new) + 0.5 * p_new @ p_new
    accept = random.uniform(k2) < jnp.exp(h0 - h1)
    return jnp.where(accept, x_new, x), (jnp.where(accept, x_new, x), accept, h1 - h0)


@jax.jit
def hmc(key, x0, n_samples=200):
    return lax.scan(hmc_step, x0, random.split(key, n_samples))[1]


draws, acc, energy_error = hmc(random.key(2), jnp.zeros(2))
report("hmc acceptance", acc.mean(), atol=1e-6)
report("hmc mean", draws[50:].mean(0), atol=1e-4)
report("hmc variance", draws[50:].var(0), rtol=1e-3, atol=1e-4)
report("hmc max energy error", jnp.max(jnp.abs(energy_error)), rtol=1e-2, atol=1e-4)
report("leapfrog is reversible", jnp.allclose(
    leapfrog(*leapfrog(jnp.array([1., -0.5]), jnp.array([0.3, 0.2]), 0.1, 10)[0:1],
             -leapfrog(jnp.array([1., -0.5]), jnp.array([0.3, 0.2]), 0.1, 10)[1], 0.1, 10)[0],
    jnp.array([1., -0.5]), atol=1e-5))
