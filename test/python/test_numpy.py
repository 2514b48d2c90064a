"""Every row of the numeric table, eagerly and under jit, against NumPy."""
import numpy as np
import pytest

import mlax
from mlax import numpy as jnp

from optable import ROWS


def _call(row, fn, args):
    if "second" in row.kwargs:
        return fn(*args, row.kwargs["second"])
    return fn(*args)


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_eager_matches_numpy(row, rng):
    args = row.args(rng)
    got = _call(row, row.fn, [jnp.asarray(a) for a in args])
    want = _call(row, row.ref, args)
    assert isinstance(got, mlax.Array)
    np.testing.assert_allclose(np.asarray(got), want, rtol=row.rtol, atol=row.atol)
    assert got.shape == np.shape(want)


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_jit_matches_numpy(row, rng):
    args = row.args(rng)
    got = mlax.jit(lambda *a: _call(row, row.fn, a))(*args)
    want = _call(row, row.ref, args)
    np.testing.assert_allclose(np.asarray(got), want, rtol=row.rtol, atol=row.atol)
    assert np.asarray(got).dtype == np.asarray(_call(row, row.fn, [jnp.asarray(a) for a in args])).dtype
