"""jnp.packbits/unpackbits, histogram2d/histogramdd and the I/O names, against jax.numpy."""
import io

import numpy as np
import pytest

import mlax
from mlax import numpy as jnp

jax = pytest.importorskip("jax")
jjnp = jax.numpy

rng = np.random.default_rng(1)
BITS = rng.integers(0, 2, (3, 13)).astype(np.int32)
BYTES = rng.integers(0, 256, (2, 5)).astype(np.uint8)
PTS = rng.standard_normal((50, 3)).astype(np.float32)


def same(m, j):
    ml, jl = jax.tree_util.tree_leaves(m), jax.tree_util.tree_leaves(j)
    assert len(ml) == len(jl)
    for a, b in zip(ml, jl):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


CASES = [
    ("packbits", lambda n: n.packbits(BITS)),
    ("packbits_axis_little", lambda n: n.packbits(BITS, axis=1, bitorder="little")),
    ("packbits_bool_axis0", lambda n: n.packbits(BITS.astype(bool), axis=0)),
    ("unpackbits", lambda n: n.unpackbits(BYTES)),
    ("unpackbits_axis_count", lambda n: n.unpackbits(BYTES, axis=1, count=11)),
    ("unpackbits_pad_little", lambda n: n.unpackbits(BYTES, axis=0, count=20, bitorder="little")),
    ("histogram2d", lambda n: n.histogram2d(PTS[:, 0], PTS[:, 1], bins=4)),
    ("histogram2d_density", lambda n: n.histogram2d(PTS[:, 0], PTS[:, 1], bins=(3, 5),
                                                    density=True)),
    ("histogramdd", lambda n: n.histogramdd(PTS, bins=3, range=[(-2, 2), None, (-1, 1)])),
    ("histogramdd_weights", lambda n: n.histogramdd(PTS[:, :2], bins=4,
                                                    weights=np.abs(PTS[:, 2]))),
    ("frombuffer", lambda n: n.frombuffer(np.arange(6, dtype=np.int32).tobytes(), np.int32)),
    ("fromstring", lambda n: n.fromstring("1 2 3.5", dtype=np.float32, sep=" ")),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_matches_jax_numpy(name, fn):
    same(fn(jnp), fn(jjnp))


def test_packbits_under_jit_and_vmap():
    f = mlax.jit(lambda b: jnp.packbits(b, axis=-1))
    same(f(BITS), jjnp.packbits(BITS, axis=-1))
    rows = mlax.vmap(jnp.packbits)(BITS)
    np.testing.assert_array_equal(rows, np.stack([np.packbits(r) for r in BITS]))


def test_errors_as_jax():
    with pytest.raises(TypeError, match="unsigned byte"):
        jnp.unpackbits(BITS)
    with pytest.raises(TypeError, match="integer or boolean"):
        jnp.packbits(PTS)
    with pytest.raises(NotImplementedError, match="fromiter"):
        jnp.fromiter(range(3), int)


def test_save_and_load_round_trip():
    buf = io.BytesIO()
    jnp.save(buf, np.asarray(jnp.arange(4.0)))
    buf.seek(0)
    out = jnp.load(buf)
    assert isinstance(out, mlax.Array)
    np.testing.assert_array_equal(out, np.arange(4.0, dtype=np.float32))
    with jnp.printoptions(precision=2):
        assert jnp.get_printoptions()["precision"] == 2
