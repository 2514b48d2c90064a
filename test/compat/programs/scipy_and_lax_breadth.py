# Source: the examples of the jax.scipy and jax.lax API reference
#   https://docs.jax.dev/en/latest/jax.scipy.html (stats distributions, stats.mode /
#   rankdata / gaussian_kde, fft.dct / idct, ndimage.map_coordinates, integrate.trapezoid,
#   cluster.vq.vq, signal.stft / istft, linalg.sqrtm / hessenberg / eigh_tridiagonal)
#   https://docs.jax.dev/en/latest/_autosummary/jax.numpy.polyfit.html, jax.numpy.roots,
#   jax.numpy.setdiff1d (the jit example with size=)
#   https://docs.jax.dev/en/latest/jax.lax.html (top_k, approx_max_k, reduce_precision, clz)
# Changed: the docstring examples gathered in one program on synthetic data; eigenvectors
# reported by absolute value (their signs are not fixed).
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp
import jax.scipy as jsp
import jax.scipy.cluster.vq
import jax.scipy.fft
import jax.scipy.integrate
import jax.scipy.ndimage
import jax.scipy.signal
import jax.scipy.stats as st
import numpy as np

from _report import report_call

rng = np.random.RandomState(0)
x = jnp.array(rng.randn(8), dtype=jnp.float32)
k = jnp.arange(6.0)

report_call("binom.pmf", lambda: st.binom.pmf(k, 5, 0.3))
report_call("nbinom.logpmf", lambda: st.nbinom.logpmf(k, 3, 0.4))
report_call("geom.pmf", lambda: st.geom.pmf(k + 1, 0.25))
report_call("betabinom.pmf", lambda: st.betabinom.pmf(k, 5, 2.0, 3.0))
report_call("chi2", lambda: (st.chi2.pdf(k, 3), st.chi2.cdf(k, 3), st.chi2.sf(k, 3)), rtol=1e-5)
report_call("truncnorm", lambda: (st.truncnorm.pdf(x, -1.0, 2.0), st.truncnorm.logcdf(x, -1.0, 2.0)), rtol=1e-5)
report_call("gennorm / vonmises / wrapcauchy",
            lambda: (st.gennorm.pdf(x, 1.5), st.vonmises.pdf(x, 2.0), st.wrapcauchy.pdf(jnp.abs(x), 0.5)), rtol=1e-5)
report_call("pareto", lambda: (st.pareto.logpdf(k + 1, 2.0), st.pareto.ppf(jnp.linspace(0, 0.9, 4), 2.0)))
report_call("gumbel", lambda: (st.gumbel_r.cdf(x), st.gumbel_l.logpdf(x)), rtol=1e-5)
report_call("multinomial.pmf", lambda: st.multinomial.pmf(jnp.array([1, 2, 3]), 6, jnp.array([0.2, 0.3, 0.5])))
report_call("mode", lambda: st.mode(jnp.array([[1, 2, 2, 3], [4, 4, 1, 1]]), axis=1))
report_call("rankdata", lambda: [st.rankdata(jnp.array([3.0, 1.0, 2.0, 2.0]), method=m)
                                  for m in ("average", "min", "max", "dense", "ordinal")])
report_call("sem", lambda: st.sem(x))
kde = st.gaussian_kde(x)
report_call("gaussian_kde", lambda: (kde(jnp.linspace(-2, 2, 5)), kde.integrate_box_1d(-1.0, 1.0)), rtol=1e-4)
report_call("grad of truncnorm.logpdf",
            lambda: jax.grad(lambda s: st.truncnorm.logpdf(x, -1.0, 2.0, scale=s).sum())(1.5), rtol=1e-4)

report_call("dct / idct", lambda: (jsp.fft.dct(x), jsp.fft.idct(jsp.fft.dct(x, norm="ortho"), norm="ortho")), rtol=1e-4)
report_call("dctn", lambda: jsp.fft.dctn(x.reshape(2, 4)), rtol=1e-4)
image = jnp.arange(12.0).reshape(3, 4)
coords = [jnp.array([0.5, 1.5, 2.9]), jnp.array([0.25, 3.5, -0.5])]
report_call("map_coordinates", lambda: [jsp.ndimage.map_coordinates(image, coords, order, mode=mode)
                                         for order in (0, 1) for mode in ("constant", "nearest", "wrap", "mirror", "reflect")])
report_call("trapezoid", lambda: jsp.integrate.trapezoid(jnp.sin(jnp.linspace(0, jnp.pi, 50)), dx=jnp.pi / 49))
code_book = jnp.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 2.0]])
report_call("vq", lambda: jsp.cluster.vq.vq(x.reshape(4, 2), code_book))
signal = jnp.sin(jnp.linspace(0, 20, 64)) + 0.1 * jnp.cos(jnp.linspace(0, 97, 64))
report_call("stft", lambda: jsp.signal.stft(signal, nperseg=16), rtol=1e-4)
report_call("istft round trip", lambda: jsp.signal.istft(jsp.signal.stft(signal, nperseg=16)[2], nperseg=16)[1], rtol=1e-4)

S = jnp.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
report_call("sqrtm", lambda: jnp.real(jsp.linalg.sqrtm(S)), rtol=1e-4)
report_call("hessenberg", lambda: jsp.linalg.hessenberg(jnp.array(rng.randn(4, 4), dtype=jnp.float32)), rtol=1e-4)
w, v = jsp.linalg.eigh_tridiagonal(jnp.array([2.0, 3.0, 4.0]), jnp.array([1.0, 0.5]))
report_call("eigh_tridiagonal", lambda: (w, jnp.abs(v)), rtol=1e-4)

xs = jnp.linspace(-1, 1, 20)
report_call("polyfit", lambda: jnp.polyfit(xs, 3 * xs ** 2 - xs + 0.5, 2), rtol=1e-4)
report_call("roots", lambda: jnp.sort_complex(jnp.roots(jnp.array([1.0, -6.0, 11.0, -6.0]))), rtol=1e-4)
report_call("setdiff1d under jit", lambda: jax.jit(jnp.setdiff1d, static_argnames=["size"])(
    jnp.array([1, 2, 3, 4]), jnp.array([2, 4]), size=3))
report_call("intersect1d with size", lambda: jnp.intersect1d(jnp.array([1, 5, 3, 3]), jnp.array([3, 1, 7]), size=3,
                                                             return_indices=True))

report_call("top_k", lambda: jax.lax.top_k(x, 3))
report_call("approx_max_k", lambda: jax.lax.approx_max_k(x.reshape(2, 4), 2))
report_call("reduce_precision", lambda: jax.lax.reduce_precision(x, exponent_bits=5, mantissa_bits=10))
report_call("clz", lambda: jax.lax.clz(jnp.array([1, 255, 1 << 20, 0], dtype=jnp.int32)))
