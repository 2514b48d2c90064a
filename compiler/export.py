"""`mlax.export` (`jax.export` under mlax.compat): functions as serialized StableHLO that
JAX itself loads, and JAX's serialized functions run by mlax.

    exp = mlax.export.export(mlax.jit(f), platforms=("tpu", "cpu"))(x_spec, y_spec)
    exp.in_avals, exp.out_tree, exp.mlir_module()       # the module, as jax.export's
    blob = exp.serialize()                              # jax.export.deserialize(blob) runs it
    mlax.export.deserialize(blob).call(x, y)            # on XLA (the tpu platform's runtime)

`export` traces the function, lowers it with the tpu backend's StableHLO lowering and
gives its entry jax.export's calling convention (version 10: `@main`, a platform index
argument when there are several platforms, `jax.result_info` on results, the module
attributes; see mlax.backends.tpu.crossing.exported_module); the module is kept as a
portable artifact. `serialize` writes JAX's flatbuffer (export_flatbuffer.py), which
`jax.export.deserialize` reads; `deserialize` reads JAX's too. The lowering is the same for
every platform (XLA's StableHLO is portable), so the platform index is not read; an
artifact holding the LAPACK custom calls of the linear algebra lowering runs on XLA's CPU
(the tpu stand-in), not on a real TPU.

`Exported.call` runs the module through XLA's PJRT client (mlax.runtime.tpu), on the
platform of the current default if the export lists it, else on "tpu" or "cpu", whichever
it lists: XLA's CPU client is what runs both here. `serialize(vjp_order=n)` adds n orders
of VJP functions (mlax's own `vjp`, exported the same way), so JAX can differentiate a
loaded function. Not supported, each a clear error: symbolic shapes, effects, several
devices (shardings), custom pytree nodes, VJPs with float0 cotangents, and calling an
Exported inside a transformation (jit, grad, vmap).
"""
from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np
from mlir import ir

from mlax import ad, api, backends, stages, tracing
from mlax.backends import BackendError
from mlax.core import ShapedArray
from mlax.dialects import privatize
from mlax.dialects.types import tensor_type
from mlax.export_flatbuffer import (CALLING_CONVENTION_VERSION, CALLING_CONVENTION_VERSIONS,
                                    Record, read, write)
from mlax.runtime import Array, aot
from mlax.runtime.aot import treedef_to_json
from mlax.tracing import Tracer
from mlax.runtime.dtypes import is_inexact
from mlax.pytree import (keystr, tree_flatten, tree_flatten_with_path, tree_leaves,
                            tree_structure)

__all__ = ["export", "deserialize", "Exported", "default_export_platform",
           "symbolic_shape", "minimum_supported_calling_convention_version",
           "maximum_supported_calling_convention_version"]

minimum_supported_calling_convention_version, maximum_supported_calling_convention_version = \
    CALLING_CONVENTION_VERSIONS

# The platforms an export may name: XLA platforms the StableHLO lowering is valid for.
PLATFORMS = ("tpu", "cpu")


def default_export_platform() -> str:
    """The platform `export` uses when given none: the default platform's."""
    name = backends.default_name()
    if name not in PLATFORMS:
        raise ValueError(f"mlax.export exports for {' or '.join(PLATFORMS)}, not the default "
                         f"platform {name!r}: pass platforms=")
    return name


def symbolic_shape(*args, **kwargs):
    raise NotImplementedError("mlax.export exports static shapes only: symbolic shapes "
                              "(shape polymorphism) are not supported; export once per shape")


class Exported:
    """A function lowered to StableHLO with jax.export's calling convention: what
    `jax.export.Exported` holds, for one device and no effects."""

    def __init__(self, record: Record, module_text: str | None = None, make_vjp=None):
        self._record = record
        self._make_vjp = make_vjp     # () -> the Exported of the VJP, or None
        self.fun_name = record.fun_name
        self.in_tree = _treedef(record.in_tree)
        self.out_tree = _treedef(record.out_tree)
        self.in_avals = tuple(ShapedArray(s, d) for s, d in record.in_avals)
        self.out_avals = tuple(ShapedArray(s, d) for s, d in record.out_avals)
        self.platforms = tuple(record.platforms)
        self.nr_devices = record.nr_devices
        self.calling_convention_version = record.calling_convention_version
        self.mlir_module_serialized = bytes(record.mlir_module_serialized)
        self.module_kept_var_idx = tuple(record.module_kept_var_idx)
        self.uses_global_constants = record.uses_global_constants
        self.ordered_effects = self.unordered_effects = ()
        self.disabled_safety_checks = ()
        self.in_shardings_hlo = (None,) * len(self.in_avals)
        self.out_shardings_hlo = (None,) * len(self.out_avals)
        self._text = module_text
        self._exe = None

    def __repr__(self):
        return f"Exported(fun_name={self.fun_name!r}, platforms={self.platforms})"

    def mlir_module(self) -> str:
        """The module, as text (StableHLO, read back from the artifact)."""
        if self._text is None:
            self._text, _, _ = backends.get("tpu").artifact_module(self.mlir_module_serialized)
        return self._text

    def has_vjp(self) -> bool:
        return self._make_vjp is not None

    def vjp(self) -> "Exported":
        """The Exported of the VJP, in jax.export's convention: it takes the flat primal
        arguments then the flat output cotangents, and returns a tuple of the flat input
        cotangents."""
        if self._make_vjp is None:
            raise ValueError("No VJP is available")
        return self._make_vjp()

    def serialize(self, vjp_order: int = 0) -> bytes:
        """The bytes `jax.export.deserialize` (and `mlax.export.deserialize`) read; with
        `vjp_order` n, n orders of VJP functions too, so JAX can differentiate the
        function that many times (`jax.grad` of `call`)."""
        return write(self._record_with_vjps(vjp_order))

    def _record_with_vjps(self, vjp_order: int) -> Record:
        if vjp_order <= 0:
            return dataclasses.replace(self._record, vjp=None)
        return dataclasses.replace(self._record,
                                   vjp=self.vjp()._record_with_vjps(vjp_order - 1))

    def call(self, *args, **kwargs):
        """Run the module on `args` (the exported function's dynamic arguments) through
        XLA; returns mlax Arrays in the exported output structure."""
        leaves, treedef = tree_flatten((tuple(args), dict(kwargs)))
        if any(isinstance(x, Tracer) for x in leaves):
            raise NotImplementedError(
                f"Exported.call of {self.fun_name!r} inside a transformation (jit, grad, "
                "vmap): mlax runs exported modules on arrays only; call it outside")
        if treedef != self.in_tree:
            raise ValueError(f"The invocation args and kwargs must have the same pytree "
                             f"structure as when the function '{self.fun_name}' was "
                             f"exported: {treedef} differs from {self.in_tree}")
        inputs = [aot.Leaf(a.shape, a.dtype).convert(x, f"{self.fun_name}: argument {i}")
                  for i, (a, x) in enumerate(zip(self.in_avals, leaves))]
        index = [np.int32(self._platform_index())] if len(self.platforms) > 1 else []
        if self._exe is None:
            out_specs = [(a.shape, a.dtype) for a in self.out_avals]
            self._exe = backends.get("tpu").load_artifact(self.mlir_module_serialized,
                                                          out_specs)
        outs = self._exe([*index, *(inputs[i] for i in self.module_kept_var_idx)])
        return self.out_tree.unflatten([Array(o, False) for o in outs])

    def _platform_index(self) -> int:
        current = backends.default_name()
        for name in (current, *PLATFORMS):
            if name in self.platforms:
                return self.platforms.index(name)
        raise ValueError(f"Function '{self.fun_name}' was exported for platforms "
                         f"{self.platforms}; mlax runs exported modules on XLA's "
                         f"{' or '.join(PLATFORMS)} platform")


def _treedef(tree_json):
    return tree_structure(aot.tree_unflatten(tree_json, [0] * aot.tree_num_leaves(tree_json)))


def _check_platforms(platforms) -> tuple:
    if platforms is None:
        return (default_export_platform(),)
    if isinstance(platforms, str):
        platforms = (platforms,)
    platforms = tuple(platforms)
    bad = [p for p in platforms if p not in PLATFORMS]
    if not platforms or bad or len(set(platforms)) != len(platforms):
        raise ValueError(f"mlax.export platforms must be distinct names among {PLATFORMS}, "
                         f"got {platforms}")
    return platforms


def export(fun_jit, *, platforms=None, disabled_checks=()):
    """`export(jit(f), platforms=...)(*args, **kwargs) -> Exported`: args and kwargs are
    arrays or ShapeDtypeStructs (static arguments of the jit as values)."""
    if not hasattr(fun_jit, "_flat_fun"):       # an mlax.jit (api.PjitFunction)
        raise TypeError(f"mlax.export.export takes a function wrapped by mlax.jit, not "
                        f"{type(fun_jit).__name__}: export(jit(f))")
    platforms = _check_platforms(platforms)
    if disabled_checks:
        raise ValueError("mlax.export has no safety checks to disable")

    def do_export(*args, **kwargs) -> Exported:
        tm = tracing.TracedModule()
        entry = stages.trace_entry(fun_jit, args, kwargs, tm)
        if entry.placement is not None:
            raise ValueError(f"mlax.export exports functions of one device: {entry.name!r} "
                             "is placed on devices or shardings")
        fun_name = getattr(fun_jit._fun, "__name__", entry.name)
        out_json = treedef_to_json(entry.out_tree)
        in_json = treedef_to_json(entry.in_tree)
        in_json = {"tuple": [{"tuple": in_json["tuple"][0]["list"]}, in_json["tuple"][1]]}
        record = Record(
            fun_name=fun_name,
            in_tree=in_json,
            in_avals=[(a.shape, a.dtype) for a in entry.in_avals],
            out_tree=out_json,
            out_avals=[(a.shape, a.dtype) for a in entry.out_avals],
            platforms=platforms,
            mlir_module_serialized=b"",
            calling_convention_version=CALLING_CONVENTION_VERSION,
            module_kept_var_idx=tuple(range(len(entry.in_avals))),
            uses_global_constants=len(platforms) > 1,
        )
        with tm.ctx:
            privatize(tm.module, {entry.symbol})
            try:
                record.mlir_module_serialized, text = backends.get("tpu").export(
                    tm.module, entry.symbol, module_name=_module_name(fun_name),
                    platforms=platforms, result_infos=_result_infos(entry.out_tree))
            except BackendError as e:
                raise ValueError(f"cannot export {fun_name!r}: {e}") from None
        static = fun_jit._split(args, kwargs)[0]
        primal = fun_jit._flat_fun(static, entry.in_tree)
        return Exported(record, text, functools.partial(
            _export_vjp, primal, entry.in_avals, entry.out_avals, platforms, fun_name))
    return do_export


def _export_vjp(primal, in_avals, out_avals, platforms, fun_name) -> Exported:
    """The Exported of the VJP of `primal` (a function of the flat dynamic arguments)."""
    if not all(is_inexact(a.dtype) for a in [*in_avals, *out_avals]):
        raise ValueError(f"the VJP of {fun_name!r} would take or give float0 cotangents "
                         "(it has integer or boolean arguments or results), which mlax.export "
                         "does not serialize")
    n = len(in_avals)

    def vjp_fun(*args_and_cts):
        primals, cts = args_and_cts[:n], args_and_cts[n:]
        _, pullback = ad.vjp(lambda *p: tree_leaves(primal(*p)), *primals)
        return tuple(pullback(list(cts)))
    vjp_fun.__name__ = f"{fun_name}_vjp"
    specs = [stages.ShapeDtypeStruct(a.shape, a.dtype) for a in [*in_avals, *out_avals]]
    return export(api.jit(vjp_fun), platforms=platforms)(*specs)


def _module_name(fun_name: str) -> str:
    return "jit_" + re.sub(r"\W", "_", fun_name)


def _result_infos(out_tree) -> list[str]:
    """jax.export's `jax.result_info` of each result: its path in the output pytree."""
    placeholder = out_tree.unflatten([0] * out_tree.num_leaves)
    paths, _ = tree_flatten_with_path(placeholder)
    return ["result" + keystr(path) for path, _ in paths]


def deserialize(blob) -> Exported:
    """The Exported of bytes written by `Exported.serialize` (mlax's or jax.export's).
    Raises ValueError naming what is wrong with bytes that are not a serialized Exported,
    or hold what mlax cannot run (several devices, effects, symbolic shapes, a StableHLO
    version or calling convention this jaxlib does not read)."""
    return _checked(read(blob))


def _checked(record: Record) -> Exported:
    """The Exported of a record read from outside, once its module is checked."""
    name = record.fun_name
    if record.nr_devices != 1:
        raise ValueError(f"the serialized Exported {name!r} is for {record.nr_devices} "
                         "devices; mlax runs exports of one device")
    try:
        text, ins, outs = backends.get("tpu").artifact_module(record.mlir_module_serialized)
    except BackendError as e:
        raise ValueError(f"the serialized Exported {name!r} holds a module mlax cannot "
                         f"read: {e}") from None
    with ir.Context():
        want_ins = ["tensor<i32>"] * (len(record.platforms) > 1) + [
            str(tensor_type(*record.in_avals[i])) for i in record.module_kept_var_idx]
        want_outs = [str(tensor_type(*a)) for a in record.out_avals]
    if (ins, outs) != (want_ins, want_outs):
        raise ValueError(f"the serialized Exported {name!r} is inconsistent: its module's "
                         f"@main takes ({', '.join(ins)}) -> ({', '.join(outs)}), where its "
                         f"avals say ({', '.join(want_ins)}) -> ({', '.join(want_outs)})")
    vjp = record.vjp
    return Exported(record, text, None if vjp is None else lambda: _checked(vjp))
