"""Backends: one package per target, behind one contract.

A backend takes a module of mlax ops, as traced, to something that runs on its target:

    backend = mlax.backends.get("cpu")
    exes = backend.compile(module, {"f": out_specs})       # {"f": Executable}
    backend.stages                                          # the stages after mlax-opt
    backend.translate(llvm_module, "asm")                   # a text or binary stage
    backend.save(path, [llvm_module], metas)                # its artifact (an importable module)

The shared part of every path is the target-neutral pipeline `mlax.transforms.MLAX_OPT`
(verify, expand transforms, inline, simplify). A backend's own pipelines follow it, one
per stage (`Stage`); they are data, printable and runnable by `mlax-opt --pipeline=<name>`.

Backends are found by name (`get`), so the front end (`jit(f, backend=...)`, eager ops,
`Lowered.compile`) and the driver (`mlax-compile --target ...`) never test for a target.
A target that is not built yet, or whose optional packages are missing, is registered as
`Unavailable` with the reason, and `get` raises `BackendUnavailable` saying it.

A new target is a package beside `cpu/` that defines a `Backend` subclass and registers
it in `_BACKENDS` below; see docs/design.md, "Adding a target".
"""
from __future__ import annotations

import contextlib
import importlib
import os
import time
from dataclasses import dataclass


class BackendUnavailable(Exception):
    """The named backend does not exist, is not built yet, or lacks its packages."""


class BackendError(Exception):
    """A backend could not generate code or write its artifact; the message says why."""


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
    backend's `translate` produces it from the last MLIR stage)."""
    name: str
    pipeline: str | None
    description: str = ""


class Backend:
    """The contract of a target. Subclasses set the class attributes and implement the
    methods; executables are called with a list of C-contiguous NumPy arrays and return
    a list of NumPy arrays (an executable may also offer `call_arrays(arrays, weak)`, the
    jit hot path taking and returning mlax Arrays)."""

    name: str = ""              # "cpu", "cuda", "tpu": what jit(backend=) and --target take
    platform: str = ""          # the platform of its devices, as JAX names it
    stages: tuple = ()          # Stage, in order, after the shared mlax-opt stage
    artifact: str = ""          # what `save` writes, in words
    named_pipelines: dict = {}  # name -> pipeline, for `mlax-opt --pipeline=<name>`

    def pipeline(self) -> str:
        """The MLIR pipeline from mlax-opt's output to the last MLIR stage."""
        return ",".join(s.pipeline for s in self.stages if s.pipeline)

    def compile(self, module, entries: dict, opt_level: int | None = None,
                pipeline: str | None = None):
        """Compile `module` (mlax ops, as traced: the backend runs MLAX_OPT first) for this
        process. `entries` maps each public function to its
        results' [(shape, dtype)]. Returns ({name: executable}, lowered), `lowered` telling
        whether `module` now holds the last MLIR stage (False when a cached artifact was
        loaded). `pipeline` replaces the backend's own MLIR pipeline."""
        raise NotImplementedError

    def translate(self, module, stage: str, opt_level: int = 3, target=None) -> bytes:
        """A non-MLIR stage (e.g. llvm-ir, asm, obj) from the last MLIR stage. Raises
        BackendError."""
        raise NotImplementedError

    def save(self, path, modules, entries: dict, opt_level: int = 3, target=None,
             creator: str = "mlax", timer=no_timer) -> dict:
        """Write the artifact of `modules` (last MLIR stage) at `path`; its metadata.
        `entries` maps each entry point to its metadata (mlax.runtime.aot's format)."""
        raise NotImplementedError

    def default_opt_level(self, module) -> int:
        """The optimization level jit uses for `module` (mlax ops)."""
        return 3

    def target(self, triple=None, cpu=None, features=None):
        """The code generation target: the host, or the one these name."""
        raise NotImplementedError

    def cache_key(self, target) -> list[str]:
        """What, besides the module and the pipeline, the generated code depends on."""
        raise NotImplementedError

    def stage_names(self) -> tuple[str, ...]:
        return ("mlax", "mlax-opt") + tuple(s.name for s in self.stages)


@dataclass(frozen=True)
class Unavailable:
    """A registered target that cannot be used here, and why."""
    name: str
    why: str


# name -> the module defining the backend's `BACKEND`, or Unavailable.
_BACKENDS = {
    "cpu": "mlax.backends.cpu",
    "cuda": Unavailable("cuda", "the NVIDIA GPU backend is not built yet"),
    "tpu": Unavailable("tpu", "the TPU (StableHLO) backend is not built yet"),
}

_loaded: dict[str, Backend] = {}


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
        raise BackendUnavailable(f"unknown backend {name!r}: mlax has "
                                 f"{', '.join(repr(n) for n in _BACKENDS)}")
    if isinstance(entry, Unavailable):
        raise BackendUnavailable(f"backend {name!r} is not available: {entry.why}")
    backend = importlib.import_module(entry).BACKEND
    _loaded[name] = backend
    return backend


def default_name() -> str:
    """The default platform: MLAX_PLATFORMS (first of a comma-separated list), else cpu."""
    env = os.environ.get("MLAX_PLATFORMS") or os.environ.get("JAX_PLATFORMS")
    if env:
        return env.split(",")[0].strip()
    return "cpu"
