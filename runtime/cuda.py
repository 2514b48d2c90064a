"""The cuda platform's runtime: its device, and whether it can run here.

Two ways to run the cuda backend's kernels:

- interpret mode (`MLAX_GPU_INTERPRET=1`): the same outlined kernels, rewritten into CPU
  loops over blocks and threads (the backend's `--mlax-gpu-interpret`), run as CPU code.
  The platform then exists on any machine; its arrays are host buffers behind the same
  API as the cpu platform's.
- an NVIDIA GPU through the CUDA driver: not built yet. Without interpret mode the
  platform is unavailable, and asking for it says so, listing the platforms there are.

This module imports neither mlir nor the compiler.
"""
from __future__ import annotations

import ctypes
import os

INTERPRET_ENV = "MLAX_GPU_INTERPRET"


class CudaUnavailable(RuntimeError):
    """The cuda platform cannot run here; the message says why and what to do."""


class CudaDevice:
    """A cuda device (`jax.devices("cuda")` gives `CudaDevice(id=0)`)."""
    platform = "gpu"
    device_kind = "cuda"
    process_index = 0       # mlax runs one process

    def __init__(self, id=0, interpret=False):
        self.id = id
        self.interpret = interpret

    def __repr__(self):
        return f"CudaDevice(id={self.id})"

    def __eq__(self, other):
        return isinstance(other, CudaDevice) and other.id == self.id

    def __hash__(self):
        return hash(("cuda", self.id))


def interpret() -> bool:
    """Whether MLAX_GPU_INTERPRET asks for interpret mode."""
    return os.environ.get(INTERPRET_ENV, "").strip().lower() not in ("", "0", "false", "no")


def driver_present() -> bool:
    """Whether the CUDA driver library loads (an NVIDIA GPU may be attached)."""
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


def unavailable_reason(platforms=()) -> str | None:
    """None when the cuda platform can run kernels here, else why not (naming `platforms`,
    those that can)."""
    if interpret():
        return None
    there = ", ".join(platforms) if platforms else "cpu"
    if driver_present():
        why = ("an NVIDIA driver is present, but mlax's CUDA device runtime (module load, "
               "launch, device memory) is not built yet")
    else:
        why = "no NVIDIA GPU here (the CUDA driver, libcuda.so.1, does not load)"
    return (f"the cuda platform cannot run kernels: {why}. Set {INTERPRET_ENV}=1 to run its "
            f"kernels on the CPU (interpret mode), or use one of the platforms there are: "
            f"{there}")


def devices(platforms=()):
    """The cuda devices; raises CudaUnavailable when the platform cannot run here."""
    why = unavailable_reason(platforms)
    if why is not None:
        raise CudaUnavailable(why)
    return [CUDA0]


CUDA0 = CudaDevice(0, interpret=True)
