"""mlax.scipy.ndimage.map_coordinates, mlax.scipy.integrate.trapezoid,
mlax.scipy.cluster.vq.vq and mlax.scipy.signal's stft / istft / detrend against jax.scipy:
values for every mode and option, gradients against JAX's, vmap against a loop."""
import numpy as np
import pytest

import mlax
import mlax.scipy as msp
from mlax import numpy as mnp

jax = pytest.importorskip("jax")
import jax.scipy.cluster.vq  # noqa: E402
import jax.scipy.integrate  # noqa: E402
import jax.scipy.ndimage  # noqa: E402
import jax.scipy.signal  # noqa: E402

_rng = np.random.default_rng(0)
IMG = np.arange(20.0, dtype=np.float32).reshape(4, 5) ** 1.5
IMG_INT = np.arange(20, dtype=np.int32).reshape(4, 5)
COORDS = [np.array([-1.2, 0.5, 2.5, 3.7, 4.5, 0, -0.5], np.float32),
          np.array([0.3, -0.6, 4.2, 1.5, 6.1, 2.5, 9.5], np.float32)]


def _check(got, want, rtol=1e-5, atol=1e-5):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_matches_jax(order, mode):
    for img, cval in [(IMG, -1.0), (IMG_INT, 0.0)]:
        f = lambda img, c: msp.ndimage.map_coordinates(img, c, order, mode=mode, cval=cval)
        _check(mlax.jit(f)(img, COORDS), jax.scipy.ndimage.map_coordinates(img, COORDS, order, mode=mode, cval=cval))
    _check(msp.ndimage.map_coordinates(IMG[0], [COORDS[1]], order, mode=mode),
           jax.scipy.ndimage.map_coordinates(IMG[0], [COORDS[1]], order, mode=mode))


def test_map_coordinates_grads_vmap_and_errors():
    f = lambda img, c0: msp.ndimage.map_coordinates(img, [c0, COORDS[1]], 1, mode="nearest").sum()
    fj = lambda img, c0: jax.scipy.ndimage.map_coordinates(img, [c0, COORDS[1]], 1, mode="nearest").sum()
    for g, w in zip(mlax.grad(f, (0, 1))(IMG, COORDS[0]), jax.grad(fj, (0, 1))(IMG, COORDS[0])):
        _check(g, w)
    cs = np.stack([COORDS[0], COORDS[0] + 0.3])
    m = lambda c0: msp.ndimage.map_coordinates(IMG, [c0, COORDS[1]], 1)
    _check(mlax.vmap(m)(cs), np.stack([np.asarray(m(c)) for c in cs]))
    with pytest.raises(NotImplementedError, match="order<=1"):
        msp.ndimage.map_coordinates(IMG, COORDS, 3)
    with pytest.raises(NotImplementedError, match="mode"):
        msp.ndimage.map_coordinates(IMG, COORDS, 1, mode="grid-wrap")
    with pytest.raises(ValueError, match="length input.ndim"):
        msp.ndimage.map_coordinates(IMG, COORDS[:1], 1)


def test_trapezoid_matches_jax():
    y = _rng.normal(size=(4, 6)).astype(np.float32)
    x = np.linspace(0, 1, 4).astype(np.float32)
    _check(msp.integrate.trapezoid(y), jax.scipy.integrate.trapezoid(y))
    _check(msp.integrate.trapezoid(y, x=x, axis=0), jax.scipy.integrate.trapezoid(y, x=x, axis=0))
    _check(mlax.jit(lambda y: msp.integrate.trapezoid(y, dx=0.5))(y), jax.scipy.integrate.trapezoid(y, dx=0.5))
    _check(mlax.grad(lambda y: msp.integrate.trapezoid(y, x=x, axis=0).sum())(y),
           jax.grad(lambda y: jax.scipy.integrate.trapezoid(y, x=x, axis=0).sum())(y))


def test_vq_matches_jax():
    obs = _rng.normal(size=(7, 3)).astype(np.float32)
    book = _rng.normal(size=(4, 3)).astype(np.float32)
    for a, b in [(obs, book), (obs[:, 0], book[:, 0]), (obs.astype(np.int32), book)]:
        got, want = mlax.jit(msp.cluster.vq.vq)(a, b), jax.scipy.cluster.vq.vq(a, b)
        _check(got[0], want[0])
        _check(got[1], want[1])
    _check(mlax.grad(lambda o: msp.cluster.vq.vq(o, book)[1].sum())(obs),
           jax.grad(lambda o: jax.scipy.cluster.vq.vq(o, book)[1].sum())(obs))
    with pytest.raises(ValueError, match="same rank"):
        msp.cluster.vq.vq(obs, book[0])
    assert mnp.asarray(msp.cluster.vq.vq(obs, book)[0]).dtype == np.int32


SIGNAL = _rng.normal(size=(2, 50)).astype(np.float32)
STFT_CASES = [
    {"nperseg": 16}, {"nperseg": 10, "noverlap": 3, "nfft": 12, "boundary": "even", "padded": False, "detrend": "linear"},
    {"nperseg": 8, "boundary": "odd", "return_onesided": False},
    {"nperseg": 9, "boundary": None, "detrend": "constant", "fs": 4.0},
    {"nperseg": 8, "boundary": "constant", "window": np.hamming(8).astype(np.float32)},
]


@pytest.mark.parametrize("kw", STFT_CASES, ids=[str(i) for i in range(len(STFT_CASES))])
def test_stft_and_istft_match_jax(kw):
    got = mlax.jit(lambda x: msp.signal.stft(x, **kw))(SIGNAL)
    want = jax.scipy.signal.stft(SIGNAL, **kw)
    for g, w in zip(got, want):
        _check(g, w, rtol=1e-4, atol=1e-5)
    ikw = {k: kw[k] for k in ("nperseg", "noverlap", "nfft", "window") if k in kw}
    ikw["input_onesided"] = kw.get("return_onesided", True)
    if kw.get("boundary", "zeros") is not None and kw.get("padded", True):
        for g, w in zip(msp.signal.istft(got[2], **ikw), jax.scipy.signal.istft(want[2], **ikw)):
            _check(g, w, rtol=1e-4, atol=1e-5)


def test_stft_axis_grad_vmap_and_detrend():
    kw = {"nperseg": 8, "axis": 0}
    for g, w in zip(msp.signal.stft(SIGNAL.T, **kw), jax.scipy.signal.stft(SIGNAL.T, **kw)):
        _check(g, w, rtol=1e-4, atol=1e-5)
    f = lambda x: mnp.abs(msp.signal.stft(x, nperseg=16)[2]).sum()
    fj = lambda x: jax.numpy.abs(jax.scipy.signal.stft(x, nperseg=16)[2]).sum()
    _check(mlax.grad(f)(SIGNAL), jax.grad(fj)(SIGNAL), rtol=1e-4, atol=1e-4)
    st = lambda x: msp.signal.stft(x, nperseg=16)[2]
    _check(mlax.vmap(st)(SIGNAL), np.stack([np.asarray(st(x)) for x in SIGNAL]))
    for dkw in [{}, {"type": "constant", "axis": 0}, {"bp": [10, 30]}]:
        _check(msp.signal.detrend(SIGNAL, **dkw), jax.scipy.signal.detrend(SIGNAL, **dkw), rtol=1e-4, atol=1e-5)
    with pytest.raises(NotImplementedError, match="hann"):
        msp.signal.stft(SIGNAL, window="blackman")
