# Modeled on: the jax.numpy.fft API reference examples and the standard spectral solution of
#   the 1-D heat equation (diffuse each Fourier mode by exp(-k^2 t))
#   https://docs.jax.dev/en/latest/jax.numpy.html#module-jax.numpy.fft
# Changed: written from scratch; a 64-point periodic grid.
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp

from _report import report, report_call

x = jnp.arange(8.)
report_call("fft magnitudes", lambda: jnp.abs(jnp.fft.fft(x)), atol=1e-5)
report_call("rfft", lambda: jnp.fft.rfft(x), atol=1e-5)
report_call("irfft(rfft(x))", lambda: jnp.fft.irfft(jnp.fft.rfft(x), n=8), atol=1e-5)
report_call("fftfreq", lambda: jnp.fft.fftfreq(8, d=0.5))
report_call("rfftfreq", lambda: jnp.fft.rfftfreq(8))
report_call("fftshift", lambda: jnp.fft.fftshift(jnp.arange(6)))
report_call("fft2 of ones", lambda: jnp.abs(jnp.fft.fft2(jnp.ones((4, 4)))), atol=1e-5)

N, L = 64, 2 * jnp.pi
grid = jnp.linspace(0., L, N, endpoint=False)
u0 = jnp.exp(-10 * (grid - jnp.pi) ** 2)
k = 2 * jnp.pi * jnp.fft.rfftfreq(N, d=L / N)


def heat(u0, t, nu=0.1):
    return jnp.fft.irfft(jnp.fft.rfft(u0) * jnp.exp(-nu * k ** 2 * t), n=N)


u1 = jax.jit(heat)(u0, 1.0)
report_call("heat solution", lambda: u1[::8], atol=1e-5)
report_call("mass is conserved", lambda: jnp.abs(u1.sum() - u0.sum()) < 1e-4)
report_call("d mass / d nu",
            lambda: jax.grad(lambda nu: jnp.sum(heat(u0, 1.0, nu) ** 2))(0.1), rtol=1e-3)
report_call("vmap over times",
            lambda: jax.vmap(lambda t: heat(u0, t).max())(jnp.array([0., 0.5, 2.])),
            atol=1e-5)
derivative = jnp.fft.irfft(1j * k * jnp.fft.rfft(jnp.sin(grid)), n=N)
report_call("spectral derivative of sin",
            lambda: jnp.max(jnp.abs(derivative - jnp.cos(grid))) < 1e-4)
