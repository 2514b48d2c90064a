"""The tpu backend: mlax -> StableHLO -> a portable artifact -> XLA (PJRT).

TPUs run only XLA, and XLA's portable input is StableHLO. `--mlax-lower-to-stablehlo`
(mlax.lowering.stablehlo) lowers the traced module after the shared MLAX_OPT; the module
then crosses into jaxlib's MLIR, is verified there and serialized as a versioned
portable artifact (crossing.py), which XLA compiles. No TPU is attached to these
machines: XLA's CPU client stands in for the chip (mlax.runtime.tpu); code compiled for
it is given the TPU's rounding of float32 products first (`--mlax-tpu-precision`,
precision.py), which the artifacts of the stages, for a real chip, do not hold. Needs the optional jax/jaxlib packages (`pip install 'mlax[tpu]'`); without
them the backend is registered Unavailable with that hint.

`save` writes a compiled module directory of one artifact per entry point, which
mlax.runtime.aot loads with jaxlib alone; `export`, `artifact_module` and `load_artifact`
serve mlax.export (jax.export's calling convention and format).

Files:
- crossing.py: the module from mlax's context to jaxlib's, verification, the artifact,
  compiling it with PJRT, jax.export's calling convention, reading artifacts from outside.
- precision.py: `--mlax-tpu-precision`, TPU numerics of float32 products on the stand-in.
"""
from __future__ import annotations

import os
import re

from mlax.backends import (Backend, BackendError, HostCallbackError, Stage, module_dir,
                           no_timer)
from mlax.backends.tpu import crossing, precision  # noqa: F401 (registers its pass)
from mlax.dialects import func_ops, privatize, symbol_name
from mlax.lowering import stablehlo
from mlax.passes import run_pipeline
from mlax.runtime import aot, callbacks
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


def _no_host_callbacks(module, what):
    """HostCallbackError naming the first host callback's line when `module` (lowered)
    calls one: its artifact would name a Python function of this process, as JAX refuses
    to export one."""
    sites = stablehlo.host_callbacks.calls_host(module.operation)
    if sites:
        raise HostCallbackError(
            f"the module calls a host callback ('mlax.callback': jax.pure_callback, "
            f"io_callback, jax.debug.print or jax.debug.callback) at {sites[0]}: {what}, as "
            "a StableHLO artifact cannot hold a Python function of this process; run it "
            "with jit in this process, or move the callback out of the function")


class TpuBackend(Backend):
    """StableHLO for XLA; XLA's CPU client stands in for a TPU."""
    name = "tpu"
    platform = "tpu"
    stand_in = "XLA's CPU client"
    stages = (
        Stage("stablehlo", TPU_STABLEHLO, "StableHLO and CHLO ops (generic form)"),
        Stage("stablehlo-bytecode", None, "a portable StableHLO artifact (VHLO bytecode)",
              binary_suffix=".mlirbc"),
        Stage("hlo", None, "XLA's HLO text of the entry point, unoptimized (jaxlib's "
              "converter, as JAX's Lowered.compiler_ir(dialect='hlo'))"),
    )
    artifact = ("a compiled module directory: a StableHLO artifact per entry point, "
                "mlax_module.json, __init__.py (loaded with jaxlib, run by XLA)")
    named_pipelines = {"tpu-stablehlo": TPU_STABLEHLO, "tpu": f"{MLAX_OPT},{TPU_STABLEHLO}",
                       "tpu-stand-in": f"{MLAX_OPT},{TPU_STABLEHLO},{TPU_NUMERICS}"}
    lowerings = stablehlo.LOWERINGS

    def compile(self, module, entries, opt_level=None, pipeline=None):
        privatize(module, entries)
        pipeline = pipeline if pipeline is not None else f"{MLAX_OPT},{self.pipeline()}"
        run_pipeline(module, f"{pipeline},{TPU_NUMERICS}")
        ids = stablehlo.sharding.device_ids(module.operation) or (0,)
        hosts = [callbacks.xla_host_function(t)
                 for t in stablehlo.host_callbacks.host_callbacks(module.operation)]
        text = crossing.generic_text(module)
        exes = {}
        for name, out_specs in entries.items():
            ctx = crossing.context()
            entry = crossing.entry_module(text, name, ctx)
            propagate = crossing.unspecified_results(entry)
            data = crossing.artifact(entry)
            exes[name] = TpuExecutable(crossing.compile_entry(data, ids, propagate, hosts),
                                       out_specs, ids, host_calls=bool(hosts))
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
        if stage not in ("stablehlo-bytecode", "hlo"):
            raise BackendError(f"the tpu backend has no stage {stage!r}")
        _no_host_callbacks(module, "it has no StableHLO artifact" if stage != "hlo"
                           else "it has no HLO")
        text = crossing.generic_text(module)
        ctx = crossing.context()
        if stage == "hlo":
            entries = [symbol_name(op) for op in func_ops(module)
                       if "sym_visibility" not in op.attributes
                       or str(op.attributes["sym_visibility"]) == '"public"']
            if len(entries) != 1:
                raise BackendError(f"the hlo stage is one entry point's: the module has "
                                   f"{len(entries)} public functions")
            return crossing.hlo_text(crossing.entry_module(text, entries[0], ctx)).encode()
        version = (machine or self.machine_target()).version
        return crossing.artifact(crossing.parse(text, ctx), version)

    def save(self, path, modules, entries, opt_level=3, machine=None, creator="mlax",
             timer=no_timer):
        machine = machine or self.machine_target()
        return module_dir.write_directory(path, lambda tmp, name: self._write_module(
            tmp, name, modules, entries, machine, creator, timer))

    def _write_module(self, directory, name, modules, entries, machine, creator, timer):
        """One portable artifact per entry point (its function as @main), the metadata
        (mlax.runtime.aot's format, each entry naming its artifact) and __init__.py."""
        for m in modules:
            _no_host_callbacks(m, "it cannot be saved as a compiled module")
            ids = stablehlo.sharding.device_ids(m.operation)
            if ids and len(ids) > 1:
                raise BackendError("the tpu backend saves modules of one device: this one "
                                   f"is placed on devices {list(ids)}")
        texts = [(crossing.generic_text(m), {symbol_name(op) for op in func_ops(m)})
                 for m in modules]
        files, metas = {}, {}
        for i, (entry, meta) in enumerate(entries.items()):
            text = next(t for t, symbols in texts if meta["symbol"] in symbols)
            with timer(f"artifact {entry}"):
                module = crossing.entry_module(text, meta["symbol"], crossing.context())
                data = crossing.artifact(module, machine.version)
            file = f"{i}_{re.sub(r'[^A-Za-z0-9_]', '_', entry)}.mlirbc"
            with open(os.path.join(directory, file), "wb") as f:
                f.write(data)
            files[file] = aot.file_digest(os.path.join(directory, file))
            metas[entry] = {**meta, "artifact": file}
        meta = module_dir.metadata(name, creator, {"platform": "tpu", **machine.describe()},
                                   metas, files)
        module_dir.write_metadata(directory, meta)
        return meta

    def export(self, module, entry, *, module_name, platforms, result_infos):
        """(the portable artifact, its text) of `entry` of `module` (mlax ops, as traced)
        with jax.export's calling convention (crossing.exported_module), for mlax.export."""
        run_pipeline(module, f"{MLAX_OPT},{self.pipeline()}")
        _no_host_callbacks(module, "it cannot be exported")
        ctx = crossing.context()
        exported = crossing.exported_module(crossing.generic_text(module), entry, ctx,
                                            module_name=module_name, platforms=platforms,
                                            result_infos=result_infos)
        data = crossing.artifact(exported)
        return data, crossing.own_artifact_text(data, ctx)

    def artifact_module(self, data):
        """(text, argument types, result types) of @main of the portable artifact
        `data` from outside, types as text (`tensor<3xf32>`); StablehloError when it is
        not one this jaxlib reads."""
        return crossing.read_artifact(bytes(data))

    def load_artifact(self, data, out_specs):
        """An executable of @main of the portable artifact `data` (one device)."""
        return TpuExecutable(crossing.compile_entry(bytes(data)), out_specs)

    def machine_target(self, triple=None, cpu=None, features=None):
        if triple or cpu or features:
            raise BackendError("the tpu backend takes no --target-triple, --cpu or "
                               "--cpu-features: it writes StableHLO for XLA")
        return TpuMachine()

    def cache_key(self, machine):
        return [f"stablehlo={machine.version}"]


BACKEND = TpuBackend()
