"""The tpu backend (StableHLO through XLA; XLA's CPU client stands in for the chip): the
numeric table under jit(backend="tpu") against NumPy, control flow and transforms against
the cpu backend, PRNG bits against JAX, and its errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("jaxlib")

import mlax  # noqa: E402
from mlax import lax  # noqa: E402
from mlax import numpy as jnp  # noqa: E402

from optable import ROWS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _call(row, fn, args):
    if "second" in row.kwargs:
        return fn(*args, row.kwargs["second"])
    return fn(*args)


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_table_matches_numpy_on_tpu(row, rng):
    args = row.args(rng)
    got = mlax.jit(lambda *a: _call(row, row.fn, a), backend="tpu")(*args)
    want = _call(row, row.ref, args)
    np.testing.assert_allclose(np.asarray(got), want, rtol=row.rtol, atol=row.atol)
    assert np.asarray(got).shape == np.shape(want)
