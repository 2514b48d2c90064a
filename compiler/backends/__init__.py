"""Backends: one package per target, behind one contract (`Backend`).

A target (`jit(f, backend="cpu")`, `mlax-compile --target cpu`, MLAX_PLATFORMS) is a
backend. It takes a module of mlax ops, as traced, to something that runs there:

    backend = mlax.backends.get("cpu")
    exes, _ = backend.compile(module, {"f": out_specs})    # {"f": executable}
    backend.stages                                          # its stages after mlax-opt
    backend.translate(llvm_module, "asm")                   # a non-MLIR stage
    backend.save(path, [llvm_module], metas)                # its artifact (an importable module)

Every path starts with the target-neutral pipeline `mlax.transforms.MLAX_OPT` (verify,
expand transforms, inline, simplify). A backend's own pipelines follow it, one per stage
(`Stage`); they are data, printable and runnable by `mlax-opt --pipeline=<name>`. A
backend that goes through linalg starts its first pipeline with `mlax-lower-to-linalg`
(mlax.lowering.linalg); its own passes (the CPU schedule, ...) live in its package and
are registered in mlax.passes when the package is imported.

Backends are found by name (`get`), so the front end (`jit`, eager ops, `Lowered.compile`)
and the driver never test for a target. A target that is not built yet, or whose optional
packages are missing, is registered as `Unavailable` with the reason, and `get` raises
`BackendUnavailable` saying it.

A new target is a package beside `cpu/` that defines a `Backend` subclass as `BACKEND`
and is named in `_BACKENDS` below; see docs/design.md, "Adding a target".
"""
from __future__ import annotations

import contextlib
import importlib
import os
import time
from dataclasses import dataclass

from mlax.runtime import CPU0
from mlax.runtime import tpu as tpu_runtime


class BackendUnavailable(RuntimeError):
    """The named backend does not exist, is not built yet, or lacks its packages (a
    RuntimeError, as JAX's for `jax.devices('gpu')` where there is none)."""


class BackendError(Exception):
    """A backend could not generate code or write its artifact; the message says why."""


class HostCallbackError(BackendError):
    """A module that calls host callbacks cannot be saved or exported: they are Python
    functions of the process that compiled it (mlax.runtime.callbacks)."""


class Timer:
    """`with timer("stage"):` records the stage's wall time; `timer.times` lists them."""

    def __init__(self):
        self.times: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def __call__(self, name):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times.append((name, time.perf_counter() - t0))


def no_timer(name):
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Stage:
    """One stage of a backend's path: `name` (what `--emit` and `Lowered.as_text` take)
    and the pipeline that produces it from the previous stage (None: not MLIR; the
    backend's `translate` produces it from the last MLIR stage). `binary_suffix`: for a
    binary non-MLIR stage, the suffix of the file mlax-compile writes it to by default
    (None: text)."""
    name: str
    pipeline: str | None
    description: str = ""
    binary_suffix: str | None = None


class Backend:
    """The contract of a target: what a new backend implements.

    Class attributes:

        name             what jit(backend=...), mlax-compile --target and MLAX_PLATFORMS
                         take: "cpu", "cuda", "tpu"
        platform         the platform of its devices, as JAX names it
        stand_in         what runs its code here in place of the platform's own devices
                         ("" when they are its own); JAX's device queries see a stand-in
                         platform only where it is requested (`requested_platforms`)
        stages           its `Stage`s after the shared mlax-opt stage, in order: the MLIR
                         stages (one pipeline each), then those `translate` makes
        artifact         what `save` writes, in words
        named_pipelines  name -> pipeline, for `mlax-opt --pipeline=<name>`
        lowerings        op name -> lowering rule, for every mlax op the backend claims
                         (mlax.lowering.linalg.LOWERINGS for one that goes through linalg);
                         the coverage test checks that the cpu backend claims every op

    `compile` is what jit and eager ops use; `translate` and `save` serve mlax-compile and
    `Compiled.save`; `machine_target` and `cache_key` say what code is generated for.

    Executables, one per entry point, share one calling convention:

        exe(inputs) -> outputs
            `inputs`: C-contiguous NumPy arrays of the entry's argument shapes and dtypes,
            in order; `outputs`: new NumPy arrays of its result specs, in order. The
            executable reads its inputs and never keeps them, and it may be called from
            several threads at once.
        exe.call.call_arrays(arrays, weak) -> list of mlax Arrays
            jit and eager ops: `arrays` are mlax Arrays of any kind (a backend reads the
            host values of others' and its own device buffers in place), `weak` the
            results' weak types; results may stay in the backend's device memory.

    A module whose top-level `mlax.device_ids` attribute lists devices (a jit over a mesh
    or on a chosen device) runs on those devices, its entry points' `mlax.sharding`
    argument and result attributes saying how each value is split over them; a backend
    that can run it returns executables with `placed(in_shardings, out_shardings)` (a
    callable `call_leaves(leaves, weak) -> Arrays` and the hot path's `call`) and
    `output_tiles()` (the layouts the compiler chose for results left unspecified).

    The tpu backend, which writes StableHLO, also has what mlax.export uses: `export`
    (an entry as a portable artifact with jax.export's calling convention),
    `artifact_module` (the text and signature of an artifact from outside) and
    `load_artifact` (an executable of one).
    """

    name: str = ""
    platform: str = ""
    stand_in: str = ""
    stages: tuple = ()
    artifact: str = ""
    named_pipelines: dict = {}
    lowerings: dict = {}

    def pipeline(self) -> str:
        """The MLIR pipeline from mlax-opt's output to the last MLIR stage."""
        return ",".join(s.pipeline for s in self.stages if s.pipeline)

    def compile(self, module, entries: dict, opt_level: int | None = None,
                pipeline: str | None = None):
        """Compile `module` (mlax ops, as traced, in its context) to run in this process.

        `entries` maps each public function to its results' [(shape, dtype)]; other
        functions may be made private. Runs MLAX_OPT and then `self.pipeline()` on
        `module` in place (`pipeline`, when given, replaces both), then generates code at
        `opt_level` (None: `default_opt_level`, where a backend may compile entry points
        that are called often again at a higher level). Returns ({name: executable}, lowered):
        `lowered` tells whether `module` now holds the last MLIR stage (False when a
        cached artifact was loaded instead). Raises BackendError (or a pass's error)."""
        raise NotImplementedError

    def translate(self, module, stage: str, opt_level: int = 3, machine=None) -> bytes:
        """The non-MLIR `stage` (e.g. llvm-ir, asm, obj) of `module`, which holds the last
        MLIR stage, for `machine` (a `machine_target`; None: this machine). Raises
        BackendError."""
        raise NotImplementedError

    def save(self, path, modules, entries: dict, opt_level: int = 3, machine=None,
             creator: str = "mlax", timer=no_timer) -> dict:
        """Write the artifact of `modules` (each at the last MLIR stage) at `path`, for
        `machine` (None: this machine), and return its metadata. `entries` maps each
        entry point to its metadata (mlax.runtime.aot's format); `timer(name)` times the
        steps. Raises BackendError."""
        raise NotImplementedError

    def default_opt_level(self, module) -> int:
        """The optimization level jit uses for `module` (mlax ops)."""
        return 3

    def machine_target(self, triple=None, cpu=None, features=None):
        """The machine code is generated for: this one, or the one these name (an LLVM
        triple, a CPU or chip, features). Raises BackendError if the backend cannot
        generate code for it."""
        raise NotImplementedError

    def cache_key(self, machine) -> list[str]:
        """What, besides the module and the pipeline, the code generated for `machine`
        depends on (the persistent cache's key includes it)."""
        raise NotImplementedError

    def unavailable(self) -> str | None:
        """None when code compiled by `compile` can run here, else why not (a backend
        whose stages work anywhere may still need a device to run)."""
        return None

    def devices(self) -> list:
        """The devices of this backend's platform (`mlax.devices(name)`), in id order."""
        return [CPU0]

    def local_devices(self) -> list:
        """The devices of this process (`mlax.local_devices()`)."""
        return self.devices()

    def process_index(self) -> int:
        """This process's index in a multi-process run (mlax.distributed), else 0."""
        return 0

    def process_count(self) -> int:
        return 1

    def stage_names(self) -> tuple[str, ...]:
        """Every stage's name: mlax (as traced), mlax-opt, then the backend's own."""
        return ("mlax", "mlax-opt") + tuple(s.name for s in self.stages)


@dataclass(frozen=True)
class Unavailable:
    """A registered target that cannot be used here, and why."""
    name: str
    why: str


# name -> the module defining the backend's `BACKEND`, or Unavailable.
_BACKENDS = {
    "cpu": "mlax.backends.cpu",
    "cuda": "mlax.backends.cuda",
    "tpu": "mlax.backends.tpu" if tpu_runtime.available() is None
           else Unavailable("tpu", tpu_runtime.available()),
}

_loaded: dict[str, Backend] = {}
# The backends in use, under the name JAX's private xla_bridge gives them (mlax.compat
# aliases `jax._src.xla_bridge` here: chex reads it to see whether the CPU is in use).
_backends = _loaded


def names() -> list[str]:
    """Every registered backend name, usable or not."""
    return list(_BACKENDS)


def get(name: str | None = None) -> Backend:
    """The backend `name` (None: the default platform's). Raises BackendUnavailable."""
    name = name or default_name()
    if name in _loaded:
        return _loaded[name]
    entry = _BACKENDS.get(name)
    if entry is None:
        raise BackendUnavailable(f"Unknown backend {name!r}: mlax has "
                                 f"{', '.join(repr(n) for n in _BACKENDS)}")
    if isinstance(entry, Unavailable):
        raise BackendUnavailable(f"backend {name!r} is not available: {entry.why}")
    backend = importlib.import_module(entry).BACKEND
    _loaded[name] = backend
    return backend


def stage_backend(stage: str) -> Backend:
    """The first usable backend with a stage named `stage` (JAX's "stablehlo" and "hlo"
    for a function jitted for another target). Raises BackendUnavailable."""
    having = [n for n in _BACKENDS
              if not isinstance(_BACKENDS[n], Unavailable)
              and any(st.name == stage for st in get(n).stages)]
    if not having:
        why = [f"{n}: {e.why}" for n, e in _BACKENDS.items() if isinstance(e, Unavailable)]
        raise BackendUnavailable(f"no usable backend has the stage {stage!r}"
                                 + (f" ({'; '.join(why)})" if why else ""))
    return get(having[0])


def platform_backend(platform: str) -> str:
    """The backend of devices whose `platform` is `platform` (JAX's "gpu" is cuda)."""
    return "cuda" if platform == "gpu" else platform


def backend_platforms() -> list[str]:
    """The backends whose compiled code can run here."""
    usable = []
    for name, entry in _BACKENDS.items():
        if isinstance(entry, Unavailable):
            continue
        if get(name).unavailable() is None:
            usable.append(name)
    return usable


def requested_platforms() -> list[str]:
    """The platforms MLAX_PLATFORMS (else JAX_PLATFORMS) lists, in order of priority, as
    JAX's jax_platforms; [] when neither is set."""
    env = os.environ.get("MLAX_PLATFORMS") or os.environ.get("JAX_PLATFORMS")
    return [p.strip() for p in env.split(",")] if env else []


def default_name() -> str:
    """The default platform: the first requested one, else cpu."""
    return (requested_platforms() or ["cpu"])[0]
