import numpy as np
import pytest

import mlax


@pytest.fixture
def x64():
    """Run a test with 64-bit types enabled (JAX's jax_enable_x64)."""
    mlax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        mlax.config.update("jax_enable_x64", False)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
