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


def _runnable(row):
    return not any(m.name == "skipif" and m.args[0] for m in row.marks)


# XLA's CPU compile of the whole table takes ~30 s; by default every STRIDE-th row runs
# (all rows, each family included, with MLAX_TEST_TPU_TABLE=all).
STRIDE = 1 if os.environ.get("MLAX_TEST_TPU_TABLE") == "all" else 6


def test_table_matches_numpy_on_tpu(rng):
    """Rows of the numeric table, all in one jitted function (one XLA compile keeps the
    test short), against NumPy."""
    rows = [r for r in ROWS if _runnable(r)][::STRIDE]
    args = [r.args(rng) for r in rows]

    def every_row(args):
        return [_call(r, r.fn, a) for r, a in zip(rows, args)]

    got = mlax.jit(every_row, backend="tpu")(args)
    failed = []
    for r, a, g in zip(rows, args, got):
        want = _call(r, r.ref, a)
        try:
            np.testing.assert_allclose(np.asarray(g), want, rtol=r.rtol, atol=r.atol)
            assert np.asarray(g).shape == np.shape(want)
        except AssertionError as e:
            failed.append(f"{r.name}: {e}")
    assert not failed, "\n".join(failed)
