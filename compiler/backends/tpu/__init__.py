"""The tpu backend: mlax -> StableHLO -> a portable artifact -> XLA (PJRT).

TPUs run only XLA, and XLA's portable input is StableHLO. `--mlax-lower-to-stablehlo`
(mlax.lowering.stablehlo) lowers the traced module after the shared MLAX_OPT; the module
then crosses into jaxlib's MLIR, is verified there and serialized as a versioned
portable artifact (crossing.py), which XLA compiles. No TPU is attached to these
machines: XLA's CPU client stands in for the chip (mlax.runtime.tpu); code compiled for
it is given the TPU's rounding of float32 products first (`--mlax-tpu-precision`,
precision.py), which the artifacts of the stages, for a real chip, do not hold. Needs the optional jax/jaxlib packages (`pip install 'mlax[tpu]'`); without
them the backend is registered Unavailable with that hint.

Files:
- crossing.py: the module from mlax's context to jaxlib's, verification, the artifact,
  compiling it with PJRT.
- precision.py: `--mlax-tpu-precision`, TPU numerics of float32 products on the stand-in.
"""
from __future__ import annotations

from mlax.backends import Backend, BackendError, Stage, no_timer
from mlax.backends.tpu import crossing, precision  # noqa: F401 (registers its pass)
from mlax.dialects import privatize
from mlax.lowering import stablehlo
from mlax.passes import run_pipeline
from mlax.runtime import tpu as tpu_runtime
from mlax.runtime.tpu import TpuExecutable
from mlax.transforms import MLAX_OPT

TPU_STABLEHLO = "mlax-lower-to-stablehlo"
# Run after the last stage on code compiled for the CPU stand-in only (see precision.py).
TPU_NUMERICS = "mlax-tpu-precision"


class TpuMachine:
    """What code is generated for: the StableHLO version of the artifact and the PJRT
    platform that compiles it."""
    arch = "tpu"

    def __init__(self, version=crossing.TARGET_VERSION):
        self.version = version

    def describe(self):
        return {"stablehlo_version": self.version, "executed_by": "XLA CPU (stand-in)"}


class TpuBackend(Backend):
    """StableHLO for XLA; XLA's CPU client stands in for a TPU."""
    name = "tpu"
    platform = "tpu"
    stages = (
        Stage("stablehlo", TPU_STABLEHLO, "StableHLO and CHLO ops (generic form)"),
        Stage("stablehlo-bytecode", None, "a portable StableHLO artifact (VHLO bytecode)",
              binary_suffix=".mlirbc"),
    )
    artifact = "not built yet (mlax-compile --target tpu emits stablehlo or stablehlo-bytecode)"
    named_pipelines = {"tpu-stablehlo": TPU_STABLEHLO, "tpu": f"{MLAX_OPT},{TPU_STABLEHLO}",
                       "tpu-stand-in": f"{MLAX_OPT},{TPU_STABLEHLO},{TPU_NUMERICS}"}
    lowerings = stablehlo.LOWERINGS

    def compile(self, module, entries, opt_level=None, pipeline=None):
        privatize(module, entries)
        pipeline = pipeline if pipeline is not None else f"{MLAX_OPT},{self.pipeline()}"
        run_pipeline(module, f"{pipeline},{TPU_NUMERICS}")
        ids = stablehlo.sharding.device_ids(module.operation) or (0,)
        text = crossing.generic_text(module)
        exes = {}
        for name, out_specs in entries.items():
            ctx = crossing.context()
            entry = crossing.entry_module(text, name, ctx)
            propagate = crossing.unspecified_results(entry)
            data = crossing.artifact(entry)
            exes[name] = TpuExecutable(crossing.compile_entry(data, ids, propagate), out_specs,
                                       ids)
        return exes, True

    def devices(self):
        return list(tpu_runtime.devices())

    def local_devices(self):
        return tpu_runtime.local_devices()

    def process_index(self):
        return tpu_runtime.process_index()

    def process_count(self):
        return tpu_runtime.process_count()

    def translate(self, module, stage, opt_level=3, machine=None):
        if stage != "stablehlo-bytecode":
            raise BackendError(f"the tpu backend has no stage {stage!r}")
        text = crossing.generic_text(module)
        ctx = crossing.context()
        version = (machine or self.machine_target()).version
        return crossing.artifact(crossing.parse(text, ctx), version)

    def save(self, path, modules, entries, opt_level=3, machine=None, creator="mlax",
             timer=no_timer):
        raise BackendError("the tpu backend cannot write a compiled module yet; "
                           "emit --emit stablehlo or stablehlo-bytecode instead")

    def machine_target(self, triple=None, cpu=None, features=None):
        if triple or cpu or features:
            raise BackendError("the tpu backend takes no --target-triple, --cpu or "
                               "--cpu-features: it writes StableHLO for XLA")
        return TpuMachine()

    def cache_key(self, machine):
        return [f"stablehlo={machine.version}"]


BACKEND = TpuBackend()
