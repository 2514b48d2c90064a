"""mlax.scipy.ndimage.map_coordinates, mlax.scipy.integrate.trapezoid and
mlax.scipy.cluster.vq.vq against jax.scipy: values for every mode and order, gradients
against JAX's, vmap against a loop."""
import numpy as np
import pytest

import mlax
import mlax.scipy as msp
from mlax import numpy as mnp

jax = pytest.importorskip("jax")
import jax.scipy.cluster.vq  # noqa: E402
import jax.scipy.integrate  # noqa: E402
import jax.scipy.ndimage  # noqa: E402

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
