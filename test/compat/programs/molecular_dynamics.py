# Modeled on: JAX MD's README (energies as pure functions of positions, forces as
#   -grad(energy), periodic displacement, velocity-Verlet simulation)
#   https://github.com/jax-md/jax-md
# Changed: written from scratch with jax.numpy only (no jax_md); 27 Lennard-Jones particles
# on a cubic lattice in a periodic box, 50 NVE steps with lax.fori_loop and 20 with lax.scan;
# a few steps of clipped steepest descent; energies and forces are reported.
import jax
import jax.numpy as jnp
from jax import lax

from _report import report

BOX = 4.5


def displacement(Ra, Rb):
    dR = Ra - Rb
    return dR - BOX * jnp.round(dR / BOX)  # minimum image convention


def lennard_jones(r, sigma=1.0, epsilon=1.0, r_cut=2.0):
    sr6 = (sigma / r) ** 6
    e = 4 * epsilon * (sr6 ** 2 - sr6)
    return jnp.where(r < r_cut, e, 0.)


def energy_fn(R):
    dR = jax.vmap(jax.vmap(displacement, (None, 0)), (0, None))(R, R)
    n = R.shape[0]
    # Distances on the diagonal are zero: keep them away from the singularity.
    dr = jnp.sqrt(jnp.sum(dR ** 2, axis=-1) + jnp.eye(n))
    e = jnp.where(jnp.eye(n, dtype=bool), 0., lennard_jones(dr))
    return 0.5 * jnp.sum(e)


force_fn = jax.jit(lambda R: -jax.grad(energy_fn)(R))

grid = jnp.arange(3) * 1.5
R = jnp.stack(jnp.meshgrid(grid, grid, grid, indexing='ij'), axis=-1).reshape(-1, 3)
R = R + 0.05 * jax.random.normal(jax.random.key(0), R.shape)
report("initial energy", energy_fn(R), rtol=1e-4)
F = force_fn(R)
report("initial forces (first 3)", F[:3], rtol=1e-3, atol=1e-4)
report("net force is zero", jnp.abs(F.sum(0)).max() < 1e-3)


def velocity_verlet(state, dt=0.002):
    R, V, F = state
    R = R + V * dt + 0.5 * F * dt ** 2
    F_new = force_fn(R)
    V = V + 0.5 * (F + F_new) * dt
    return R, V, F_new


def kinetic(V):
    return 0.5 * jnp.sum(V ** 2)


V = jnp.zeros_like(R)
state = (R, V, F)
state = jax.jit(lambda s: lax.fori_loop(0, 50, lambda i, s: velocity_verlet(s), s))(state)
R1, V1, _ = state
E0 = energy_fn(R)
E1 = energy_fn(R1) + kinetic(V1)
report("energy after 50 steps", E1, rtol=1e-3)
report("energy conserved", jnp.abs(E1 - E0) < 1e-2 * jnp.abs(E0))


def scan_step(state, _):
    state = velocity_verlet(state)
    return state, energy_fn(state[0]) + kinetic(state[1])


_, energies = jax.jit(lambda s: lax.scan(scan_step, s, None, length=20))(state)
report("energies along the trajectory", energies[::5], rtol=1e-3)


# Few enough steps that no pair comes close: past that the clipped descent is chaotic, and
# the rounding of any two correct implementations sends it to different minima.
def minimize(R, steps=20, lr=0.01):
    def body(i, R):
        return R + lr * jnp.clip(force_fn(R), -10., 10.)
    return lax.fori_loop(0, steps, body, R)


R_min = jax.jit(minimize)(R)
report("minimized energy", energy_fn(R_min), rtol=1e-3)
report("energy decreased", energy_fn(R_min) < energy_fn(R))
hessian_diag = jnp.diagonal(jax.hessian(energy_fn)(R_min[:4]).reshape(12, 12))
report("hessian diagonal of a 4-particle cluster", hessian_diag, rtol=1e-3, atol=1e-3)
