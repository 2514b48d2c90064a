# Modeled on: the jax.numpy.fft API reference examples and the standard spectral solution of
#   the 1-D heat equation (diffuse each Fourier mode by exp(-k^2 t))
#   https://docs.jax.dev/en/latest/jax.numpy.html#module-jax.numpy.fft
# Changed: written from scratch; a 64-point periodic grid.
import jax
import jax.numpy as jnp

from _report import report

x = jnp.arange(8.)
report("fft magnitudes", jnp.abs(jnp.fft.fft(x)), atol=1e-5)
report("rfft", jnp.fft.rfft(x), atol=1e-5)
report("irfft(rfft(x))", jnp.fft.irfft(jnp.fft.rfft(x), n=8), atol=1e-5)
report("fftfreq", jnp.fft.fftfreq(8, d=0.5))
report("rfftfreq", jnp.fft.rfftfreq(8))
report("fftshift", jnp.fft.fftshift(jnp.arange(6)))
report("fft2 of ones", jnp.abs(jnp.fft.fft2(jnp.ones((4, 4)))), atol=1e-5)

N, L = 64, 2 * jnp.pi
grid = jnp.linspace(0., L, N, endpoint=False)
u0 = jnp.exp(-10 * (grid - jnp.pi) ** 2)
k = 2 * jnp.pi * jnp.fft.rfftfreq(N, d=L / N)


def heat(u0, t, nu=0.1):
    return jnp.fft.irfft(jnp.fft.rfft(u0) * jnp.exp(-nu * k ** 2 * t), n=N)


u1 = jax.jit(heat)(u0, 1.0)
report("heat solution", u1[::8], atol=1e-5)
report("mass is conserved", jnp.abs(u1.sum() - u0.sum()) < 1e-4)
report("d mass / d nu", jax.grad(lambda nu: jnp.sum(heat(u0, 1.0, nu) ** 2))(0.1), rtol=1e-3)
report("vmap over times", jax.vmap(lambda t: heat(u0, t).max())(jnp.array([0., 0.5, 2.])),
       atol=1e-5)
derivative = jnp.fft.irfft(1j * k * jnp.fft.rfft(jnp.sin(grid)), n=N)
report("spectral derivative of sin", jnp.max(jnp.abs(derivative - jnp.cos(grid))) < 1e-4)
