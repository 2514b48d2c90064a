"""mlax.numpy.fft and lax.fft: values against NumPy and JAX (lengths that are powers of two,
composite and prime), the n / s / axis / axes / norm arguments, derivatives against JAX and
finite differences, and vmap against a Python loop."""
from __future__ import annotations

import numpy as np
import pytest

import mlax
from mlax import lax
from mlax import numpy as mnp
from mlax.test_util import check_grads

jax = pytest.importorskip("jax")
jnp = jax.numpy

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((3, 6, 10)).astype(np.float32)
CPLX = (RNG.standard_normal((3, 6, 10)) + 1j * RNG.standard_normal((3, 6, 10))).astype(np.complex64)


def _close(got, want, msg=""):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, \
        f"{msg}: {got.dtype}{got.shape}, JAX gives {want.dtype}{want.shape}"
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=0, atol=3e-6 * scale, err_msg=msg)


@pytest.mark.parametrize("n", [1, 2, 3, 8, 12, 17, 30, 64, 97, 128, 360, 1024, 4096])
def test_lengths_match_numpy(n):
    """Powers of two, composite and prime lengths, to float32 accuracy."""
    x = (RNG.standard_normal((2, n)) + 1j * RNG.standard_normal((2, n))).astype(np.complex64)
    want = np.fft.fft(x.astype(np.complex128))
    got = np.asarray(mnp.fft.fft(x))
    assert got.dtype == np.complex64
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 1e-6 * max(1, np.log2(n)), err
    np.testing.assert_allclose(np.asarray(mnp.fft.ifft(got)), x, atol=2e-6 * max(1, np.log2(n)))
    r = x.real.copy()
    np.testing.assert_allclose(np.asarray(mnp.fft.irfft(mnp.fft.rfft(r), n)), r,
                               atol=2e-6 * max(1, np.log2(n)))


# (function, input, keyword arguments): each checked against jax.numpy.fft.
CASES = [
    *[(f, CPLX, kw) for f in ["fft", "ifft"] for kw in
      [{}, {"n": 7}, {"n": 16, "axis": 1}, {"norm": "ortho"}, {"norm": "forward"}, {"axis": 0}]],
    *[(f, REAL, kw) for f in ["rfft", "ihfft"] for kw in
      [{}, {"n": 7}, {"n": 16, "axis": 1}, {"norm": "ortho"}, {"axis": 0}]],
    *[(f, CPLX, kw) for f in ["irfft", "hfft"] for kw in
      [{}, {"n": 7}, {"n": 16, "axis": 1}, {"norm": "ortho"}, {"axis": 0}]],
    *[(f, CPLX, kw) for f in ["fft2", "ifft2", "fftn", "ifftn"] for kw in
      [{}, {"s": (5, 8)}, {"axes": (0, 2)}, {"norm": "ortho"}]],
    *[(f, REAL, kw) for f in ["rfft2", "rfftn"] for kw in
      [{}, {"s": (5, 8)}, {"axes": (0, 2)}, {"norm": "forward"}]],
    *[(f, CPLX, kw) for f in ["irfft2", "irfftn"] for kw in
      [{}, {"s": (5, 8)}, {"axes": (0, 2)}, {"norm": "forward"}]],
    ("fftn", CPLX, {"axes": (2,)}),
    ("rfft", REAL.astype(np.int32), {}),
    ("fft", REAL, {}),
    ("fftshift", REAL, {}),
    ("fftshift", REAL, {"axes": (0, 2)}),
    ("ifftshift", REAL, {"axes": 1}),
]


@pytest.mark.parametrize("name,x,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_numpy_fft_matches_jax(name, x, kw):
    want = getattr(jnp.fft, name)(jnp.asarray(x), **kw)
    _close(getattr(mnp.fft, name)(mnp.asarray(x), **kw), want, f"{name}({kw})")
    _close(mlax.jit(lambda a: getattr(mnp.fft, name)(a, **kw))(mnp.asarray(x)), want,
           f"{name}({kw}) under jit")


@pytest.mark.parametrize("name,args", [("fftfreq", (8,)), ("fftfreq", (7, 0.1)),
                                       ("rfftfreq", (9, 2.0)), ("rfftfreq", (1,))])
def test_frequencies_match_jax(name, args):
    _close(getattr(mnp.fft, name)(*args), getattr(jnp.fft, name)(*args), name)


def test_lax_fft_matches_jax():
    for kind, x, lengths in [("FFT", CPLX, (10,)), (lax.FftType.IFFT, CPLX, (6, 10)),
                             ("RFFT", REAL, (3, 6, 10)), (lax.FftType.IRFFT, CPLX[..., :6], (6, 10))]:
        jkind = getattr(jax.lax.FftType, kind if isinstance(kind, str) else kind.name)
        _close(lax.fft(mnp.asarray(x), kind, lengths), jax.lax.fft(jnp.asarray(x), jkind, lengths),
               f"lax.fft {kind}")


def test_errors():
    with pytest.raises(ValueError, match="Invalid norm value"):
        mnp.fft.fft(CPLX, norm="bad")
    with pytest.raises(ValueError, match="only supports 2 axes"):
        mnp.fft.fft2(CPLX, axes=(0,))
    with pytest.raises(ValueError, match="Shape and axes have different lengths"):
        mnp.fft.fftn(CPLX, s=(2, 3), axes=(0,))
    with pytest.raises(TypeError, match="does not support complex-valued input"):
        mnp.fft.rfft(CPLX)
    with pytest.raises(TypeError, match="IRFFT lengths"):
        lax.fft(mnp.asarray(CPLX), "IRFFT", (10,))


# -- derivatives and vmap -----------------------------------------------------------------

W = RNG.standard_normal((3, 6)).astype(np.float32)
X1 = REAL[:, 0, :]
LOSSES = [
    ("rfft_abs", lambda n, a: n.sum(n.abs(n.fft.rfft(a)) * W)),
    ("rfft_parts", lambda n, a: n.sum(n.real(n.fft.rfft(a)) * W + n.imag(n.fft.rfft(a)) ** 2)),
    ("irfft", lambda n, a: n.sum(n.fft.irfft(n.fft.rfft(a) * (1 + 1j)) ** 2 * X1)),
    ("irfft_odd", lambda n, a: n.sum(n.fft.irfft(n.fft.rfft(a), 9) * X1[:, :9])),
    ("fft2", lambda n, a: n.sum(n.abs(n.fft.fft2(a * (1 + 0.5j))))),
    ("ifftn", lambda n, a: n.sum(n.real(n.fft.ifftn(a * 2j)) * X1)),
    ("rfftn_ortho", lambda n, a: n.sum(n.abs(n.fft.rfftn(a, norm="ortho")) ** 2)),
]


@pytest.mark.parametrize("name,f", LOSSES, ids=[r[0] for r in LOSSES])
def test_grads_match_jax(name, f):
    want = jax.grad(lambda a: f(jnp, a))(X1)
    np.testing.assert_allclose(np.asarray(mlax.grad(lambda a: f(mnp, a))(X1)), want,
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name,f", LOSSES, ids=[r[0] for r in LOSSES])
def test_derivatives_match_finite_differences(name, f):
    check_grads(lambda a: f(mnp, a), (X1,), order=1, rtol=2e-2, atol=2e-2)


def test_complex_input_grads_match_jax():
    z = CPLX[:, 0, :8]
    f = lambda n, a: n.sum(n.abs(n.fft.fft(a)) ** 2 + n.real(n.fft.irfft(a, 8)))
    np.testing.assert_allclose(np.asarray(mlax.grad(lambda a: f(mnp, a))(z)),
                               jax.grad(lambda a: f(jnp, a))(z), rtol=1e-4, atol=1e-4)
    check_grads(lambda a: mnp.fft.fft(a * a), (z,), order=2, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("name,in_axes", [("fft", 0), ("fft", 2), ("rfft", 1), ("irfft", 0),
                                          ("fft2", 0), ("ifftn", 2)])
def test_vmap_matches_a_loop(name, in_axes):
    x = REAL if name == "rfft" else CPLX
    f = getattr(mnp.fft, name)
    got = np.asarray(mlax.vmap(f, in_axes=in_axes)(mnp.asarray(x)))
    want = np.stack([np.asarray(f(mnp.asarray(np.take(x, i, axis=in_axes))))
                     for i in range(x.shape[in_axes])])
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_spectral_derivative_under_jit():
    """d/dx sin(x) on a periodic grid through rfft, as a spectral method does."""
    n = 64
    x = np.linspace(0, 2 * np.pi, n, endpoint=False).astype(np.float32)
    k = mnp.fft.rfftfreq(n, 1.0 / n)

    @mlax.jit
    def deriv(u):
        return mnp.fft.irfft(1j * k * mnp.fft.rfft(u), n)
    np.testing.assert_allclose(np.asarray(deriv(mnp.sin(x))), np.cos(x), atol=1e-5)


def test_float64_transforms_with_x64(x64):
    x = np.random.default_rng(1).standard_normal((2, 1000))
    y = mnp.fft.rfft(x)
    assert y.dtype == np.complex128
    np.testing.assert_allclose(np.asarray(y), np.fft.rfft(x), atol=1e-12)
    np.testing.assert_allclose(np.asarray(mnp.fft.irfft(y, 1000)), x, atol=1e-13)
    np.testing.assert_allclose(np.asarray(mnp.fft.fft2(x + 1j * x)), np.fft.fft2(x + 1j * x), atol=1e-11)


# -- the tpu backend (StableHLO's fft run by XLA), against JAX ------------------------------

def test_transforms_and_gradients_on_tpu_match_jax():
    """Every case, then every loss's gradient, in one jitted function each."""
    got = mlax.jit(lambda xs: [getattr(mnp.fft, name)(x, **kw) for (name, _, kw), x in zip(CASES, xs)],
                   backend="tpu")([x for _, x, _ in CASES])
    for (name, x, kw), g in zip(CASES, got):
        _close(g, getattr(jnp.fft, name)(jnp.asarray(x), **kw), f"{name}({kw}) on tpu")
    grads = mlax.jit(lambda a: [mlax.grad(lambda v: f(mnp, v))(a) for _, f in LOSSES],
                     backend="tpu")(X1)
    for (name, f), g in zip(LOSSES, grads):
        np.testing.assert_allclose(np.asarray(g), jax.grad(lambda a: f(jnp, a))(X1),
                                   rtol=1e-4, atol=1e-4, err_msg=name)


# -- mlax.scipy.fft: the type-2 DCT and its inverse -----------------------------------------

import mlax.scipy.fft as msf  # noqa: E402
import jax.scipy.fft as jsf  # noqa: E402

DCT_CASES = [
    ("dct", REAL[0], {}), ("dct", REAL[0], {"axis": 0, "n": 8, "norm": "ortho"}),
    ("dct", np.arange(5), {}), ("dct", CPLX[0], {"norm": "ortho"}),
    ("idct", REAL[0], {}), ("idct", REAL[0], {"n": 7, "axis": 0, "norm": "ortho"}),
    ("dctn", REAL[0], {}), ("dctn", REAL, {"norm": "ortho"}), ("dctn", REAL, {"s": (5, 6)}),
    ("dctn", REAL, {"axes": (0,)}),
    ("idctn", REAL, {}), ("idctn", REAL, {"axes": (0, 2), "norm": "ortho"}), ("idctn", CPLX, {"s": (4, 3)}),
]


@pytest.mark.parametrize("name,x,kw", DCT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(DCT_CASES)])
def test_scipy_dct_matches_jax(name, x, kw):
    _close(mlax.jit(lambda x: getattr(msf, name)(x, **kw))(x), getattr(jsf, name)(x, **kw), name)


def test_scipy_dct_grads_and_vmap():
    x = REAL[0]
    for f, fj in [(lambda x: (msf.dct(x) ** 2).sum(), lambda x: (jsf.dct(x) ** 2).sum()),
                  (lambda x: (msf.idctn(x, norm="ortho") * REAL[1]).sum(),
                   lambda x: (jsf.idctn(x, norm="ortho") * REAL[1]).sum())]:
        np.testing.assert_allclose(mlax.grad(f)(x), jax.grad(fj)(x), rtol=1e-4, atol=1e-4)
    check_grads(lambda x: msf.dctn(x, norm="ortho"), (x.astype(np.float64),), order=1, modes=["rev"])
    got = mlax.vmap(msf.idct)(REAL)
    _close(got, np.stack([np.asarray(msf.idct(r)) for r in REAL]), "vmap idct")
    with pytest.raises(NotImplementedError, match="type 2"):
        msf.dct(x, type=3)
