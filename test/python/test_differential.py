"""A short seeded differential run against JAX (test/python/differential.py): random
programs over mlax's operations, eager, under jit, grad and vmap, compared with JAX. Each
program runs in a child process, so a crash is a failure here, not the end of the run.
`scripts/fuzz_differential.py` runs as many programs as asked for."""
import numpy as np
import pytest

import differential

try:
    import jax
except ImportError:  # JAX is the reference: only the run against it needs it
    jax = None

SEEDS = [(0, 12), (1, 12)]     # (seed, programs)


@pytest.mark.skipif(jax is None, reason="jax is not installed (the reference)")
@pytest.mark.parametrize("seed,iterations", SEEDS, ids=[f"seed{s}" for s, _ in SEEDS])
def test_random_programs_match_jax(seed, iterations):
    found = list(differential.run_isolated(seed, iterations))
    assert not found, "\n\n".join(m.report() for m in found[:5])


def test_generator_covers_every_entry():
    """Over a few hundred programs every entry of the table is drawn at least once, so no
    row of OPS is dead."""
    used = set()
    for i in range(600):
        p, _ = differential.program_at(12345, i)
        used.update(name for name, _ in p.steps)
    assert used == {e.name for e in differential.OPS}, \
        sorted({e.name for e in differential.OPS} - used)


def test_compare_catches_differences():
    assert differential.compare(np.float32([1, 2]), np.float32([1, 2]), "float32") is None
    assert differential.compare(np.float32([1, 2]), np.float32([1, 2.01]), "float32")
    assert differential.compare(np.float32([np.nan]), np.float32([0]), "float32")
    assert differential.compare(np.int32([3]), np.int32([4]), "int32")
    assert differential.compare(np.float32([1]), np.float32([1, 1]), "float32")
