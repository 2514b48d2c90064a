"""Running XLA executables for the tpu platform (the `tpu` backend's runtime).

No TPU is attached here: XLA's CPU client, through jaxlib's PJRT bindings, stands in for
the chip; on a machine with a TPU the same executables would be compiled by its client.
This first version copies at the call boundary: the inputs (mlax Arrays, host NumPy
buffers) are put into PJRT buffers for each call, and the results are copied back into
NumPy buffers that become mlax Arrays. Arrays do not live on the device between calls.

jax is imported on first use (it is an optional dependency, ~1 s to import): the PJRT
client and buffers are jax's (`jax.devices("cpu")`), and inputs are put with
`xla_client.batched_device_put`, which keeps their dtypes (jax.device_put would narrow
64-bit ones unless jax_enable_x64 is set).
"""
from __future__ import annotations

import functools
import importlib.util

import numpy as np

from .array import Array

PACKAGE_HINT = "pip install 'mlax[tpu]' (jax and jaxlib)"


class TpuRuntimeError(RuntimeError):
    """XLA could not run an executable; the message says why."""


def available() -> str | None:
    """None when the tpu platform's packages import, else what to install."""
    for name in ("jax", "jaxlib"):
        if importlib.util.find_spec(name) is None:
            return f"the tpu backend needs the {name} package: {PACKAGE_HINT}"
    return None


@functools.cache
def _pjrt():
    """(jax, xla_client, the device, its single-device sharding)."""
    import jax              # optional and slow to import: loaded when first needed
    from jaxlib import xla_client
    try:
        device = jax.devices("cpu")[0]
    except RuntimeError as e:       # e.g. JAX_PLATFORMS names platforms without cpu
        raise TpuRuntimeError(f"the tpu backend runs on XLA's CPU client, which jax does not "
                              f"provide here ({e}); set JAX_PLATFORMS=cpu or unset it") from None
    return jax, xla_client, device, jax.sharding.SingleDeviceSharding(device)


def client():
    """The PJRT client executables are compiled with and run on."""
    return _pjrt()[2].client


def device():
    return _pjrt()[2]


def device_list():
    """The devices an executable is compiled for, as `client().compile_and_load` takes."""
    _, xc, dev, _ = _pjrt()
    return xc.DeviceList((dev,))


@functools.lru_cache(maxsize=1024)
def _aval(shape, dtype):
    return _pjrt()[0].core.ShapedArray(shape, dtype)


def put(x: np.ndarray):
    """A PJRT buffer holding a copy of the NumPy array `x`."""
    _, xc, dev, sharding = _pjrt()
    return xc.batched_device_put(_aval(x.shape, x.dtype), sharding, [x], [dev], True, True)


class TpuCall:
    """Calls a loaded XLA executable on NumPy inputs: `call(inputs) -> outputs`."""
    __slots__ = ("loaded", "out_specs")

    def __init__(self, loaded, out_specs):
        self.loaded = loaded
        self.out_specs = [(tuple(s), np.dtype(d)) for s, d in out_specs]

    def __call__(self, inputs):
        try:
            results = self.loaded.execute_sharded([put(np.asarray(x)) for x in inputs])
            outs = results.disassemble_into_single_device_arrays()
        except Exception as e:       # jaxlib's JaxRuntimeError and friends
            raise TpuRuntimeError(f"XLA failed to run the executable: {e}") from None
        return [np.array(o[0], dtype=d, copy=True).reshape(s)
                for o, (s, d) in zip(outs, self.out_specs)]

    def call_arrays(self, arrays, weak):
        """jit's hot path: mlax Arrays in, mlax Arrays out."""
        outs = self([a._value for a in arrays])
        return [Array(o, w) for o, w in zip(outs, weak)]


class TpuExecutable:
    """One entry point compiled by XLA: `exe(inputs) -> outputs`, `exe.call.call_arrays`."""

    def __init__(self, loaded, out_specs):
        self.call = TpuCall(loaded, out_specs)

    def __call__(self, inputs):
        return self.call(inputs)
