"""JAX's device and process queries, answered for mlax's single process and its backends.

mlax runs in one process; a backend lists its devices (`Backend.devices()`): the CPU
backend's one device is the whole machine (its code is multithreaded inside each call), the
tpu backend has one per device of XLA's CPU client (8 with
`XLA_FLAGS=--xla_force_host_platform_device_count=8`). `process_index()` is 0 unless
mlax.distributed joined this process to a multi-process run."""
from __future__ import annotations

import contextlib
import platform
import sys

import numpy as np

from mlax import tracing
from mlax.runtime import Array
from mlax.pytree import tree_map

__all__ = ["default_backend", "device_count", "local_device_count", "local_devices",
           "process_index", "process_count", "device_get", "named_scope",
           "print_environment_info"]


def default_backend() -> str:
    """The name of the default backend ('cpu' unless jax_platform_name says otherwise)."""
    return tracing.default_backend().name


def _devices(backend=None):
    return tracing.present_backend(backend).devices()   # raises where it is not present


def device_count(backend=None) -> int:
    return len(_devices(backend))


def local_device_count(backend=None) -> int:
    return len(tracing.present_backend(backend).local_devices())


def local_devices(process_index=None, backend=None, host_id=None):
    b = tracing.present_backend(backend)
    index = process_index if process_index is not None else host_id
    if index is None or index == b.process_index():
        return b.local_devices()
    if not 0 <= index < b.process_count():
        raise ValueError(f"Unknown process_index {index}: this run has {b.process_count()} "
                         f"process(es)")
    return [d for d in b.devices() if getattr(d, "process_index", 0) == index]


def process_index(backend=None) -> int:
    return tracing.default_backend(backend).process_index()


def process_count(backend=None) -> int:
    return tracing.default_backend(backend).process_count()


def device_get(x):
    """Copy the arrays of the pytree `x` to the host: mlax Arrays become NumPy arrays (as
    JAX's device_get does); other leaves are returned unchanged."""
    def get(leaf):
        if isinstance(leaf, Array):
            return np.asarray(leaf)
        if hasattr(leaf, "__array__") and hasattr(leaf, "block_until_ready"):
            return np.asarray(leaf)
        return leaf
    return tree_map(get, x)


@contextlib.contextmanager
def named_scope(name: str):
    """JAX's named_scope: names the ops of the block in the compiler's metadata. mlax's IR
    carries the user's source locations instead, so the scope has no other effect."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope name must be a string, got {type(name).__name__}")
    yield


def print_environment_info(return_string: bool = False):
    """The versions of mlax and its compiler parts, as JAX prints its own."""
    import importlib.metadata as md

    def version(dist):
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "not installed"
    lines = [f"mlax:    {version('mlax')}",
             f"numpy:   {np.__version__}",
             f"mlir:    {version('xtc-mlir-python-bindings')}",
             f"python:  {sys.version}",
             f"machine: {platform.machine()} {platform.system()} {platform.release()}",
             f"backend: {default_backend()}, {device_count()} device(s)"]
    text = "\n".join(lines) + "\n"
    if return_string:
        return text
    print(text, end="")
