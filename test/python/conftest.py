import atexit
import os
import shutil
import tempfile

import numpy as np
import pytest

# JAX, the tests' oracle, compiles each eager op with XLA (about 0.1-0.3 s each, a quarter
# of the suite's time). Its persistent compilation cache, in a directory of this process's
# own, lets a program that an earlier test already compiled load instead (about one compile
# in ten). Set before jax is imported; a directory JAX was given by the environment wins.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    _jax_cache = tempfile.mkdtemp(prefix="mlax-tests-jax-cache-")
    atexit.register(shutil.rmtree, _jax_cache, ignore_errors=True)
    os.environ.update(JAX_COMPILATION_CACHE_DIR=_jax_cache,
                      JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                      JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")

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
