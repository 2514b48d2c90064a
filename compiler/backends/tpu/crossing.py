"""From mlax's MLIR context to jaxlib's, and on to XLA.

mlax's MLIR (the xtc-mlir wheels) and jaxlib's bundled MLIR are two builds of MLIR that
cannot share objects. `--mlax-lower-to-stablehlo` builds StableHLO ops in mlax's context
in generic form (the dialect is unregistered there); the module crosses as text:

1. printed in generic form with locations (`get_asm(print_generic_op_form=True,
   enable_debug_info=True)`), so nothing depends on mlax's context knowing StableHLO's
   custom syntax, and the user's lines travel with every op;
2. parsed in a jaxlib context with the upstream dialects jax registers, chlo and
   stablehlo (`context()`), where parsing runs the real StableHLO verifier: an op or
   type StableHLO rejects is a `StablehloError` naming the op and its location;
3. for one entry point, renamed `main` (XLA's entry) with every other function private
   (`entry_module`);
4. serialized as a portable artifact (`artifact`: StableHLO's versioned bytecode, VHLO,
   at `TARGET_VERSION`), which is what XLA compiles (`compile_entry`): the artifact, not
   the text, is the interface between mlax and XLA, as it would be for a real TPU;
5. compiled and loaded by the PJRT client (`compile_entry`).

CHLO ops (erf, lgamma, top_k, ...) are kept as JAX emits them; the artifact
serializer expands them to StableHLO first (`chlo-legalize-to-stablehlo`).
"""
from __future__ import annotations

import functools

from jaxlib.mlir import ir as jir
from jaxlib.mlir import passmanager as jpm
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import chlo, stablehlo

from mlax.backends import BackendError
from mlax.runtime import tpu


class StablehloError(BackendError):
    """The lowered module is not valid StableHLO, or XLA rejected it."""


def _target_version() -> str:
    """The StableHLO version artifacts are written at: the one 12 weeks back from this
    jaxlib's, as jax.export chooses, so consumers up to 12 weeks older can load them."""
    try:
        return stablehlo.get_version_from_compatibility_requirement(
            stablehlo.StablehloCompatibilityRequirement.WEEK_12)
    except AttributeError:       # an older jaxlib: the minimum version it can write
        return stablehlo.get_minimum_version()


TARGET_VERSION = _target_version()


@functools.cache
def _registry():
    registry = jir.DialectRegistry()
    _jax_mlir_ext.register_dialects(registry)
    return registry


def context() -> jir.Context:
    """A jaxlib MLIR context with func/arith/... (as jax registers them), chlo and
    stablehlo."""
    ctx = jir.Context()
    ctx.append_dialect_registry(_registry())
    ctx.load_all_available_dialects()
    chlo.register_dialect(ctx)
    stablehlo.register_dialect(ctx)
    return ctx


def generic_text(module) -> str:
    """mlax's module (StableHLO ops in generic form) as text, locations included."""
    return module.operation.get_asm(print_generic_op_form=True, enable_debug_info=True)


def parse(text: str, ctx: jir.Context) -> jir.Module:
    """The module in jaxlib's context, checked by the StableHLO verifier."""
    with ctx:
        try:
            return jir.Module.parse(text)
        except jir.MLIRError as e:
            raise StablehloError(f"the lowered module is not valid StableHLO: {_diagnostics(e)}") from None


def _diagnostics(e) -> str:
    diags = getattr(e, "error_diagnostics", None)
    if not diags:
        return str(e)
    return "; ".join(f"{d.message} (at {d.location})" for d in diags)


def entry_module(text: str, entry: str, ctx: jir.Context) -> jir.Module:
    """The module with @entry renamed @main, public, and every other function private."""
    module = parse(text, ctx)
    with ctx:
        table = jir.SymbolTable(module.operation)
        if entry != "main" and "main" in table:
            jir.SymbolTable.set_symbol_name(table["main"], "main_0")
            jir.SymbolTable.replace_all_symbol_uses("main", "main_0", module.operation)
        for op in module.body.operations:
            if op.operation.name == "func.func":
                name = jir.StringAttr(op.attributes["sym_name"]).value
                op.attributes["sym_visibility"] = jir.StringAttr.get(
                    "public" if name == entry else "private")
        if entry != "main":
            jir.SymbolTable.replace_all_symbol_uses(entry, "main", module.operation)
            jir.SymbolTable.set_symbol_name(table[entry], "main")
    return module


@functools.cache
def _register_passes():
    stablehlo.register_stablehlo_passes()


def _legalize_chlo(module: jir.Module):
    _register_passes()
    with module.context:
        pm = jpm.PassManager.parse("builtin.module(func.func(chlo-legalize-to-stablehlo))")
        try:
            pm.run(module.operation)
        except jir.MLIRError as e:
            raise StablehloError(f"cannot expand the CHLO ops into StableHLO: "
                                 f"{_diagnostics(e)}") from None


def artifact(module: jir.Module, version: str = TARGET_VERSION) -> bytes:
    """The portable artifact of `module` (StableHLO bytecode at `version`)."""
    with module.context:
        _legalize_chlo(module)
        try:
            return stablehlo.serialize_portable_artifact(module, version)
        except Exception as e:
            raise StablehloError(f"cannot serialize the module as a StableHLO artifact at "
                                 f"version {version}: {e}") from None


def unspecified_results(module: jir.Module) -> list:
    """Per result of @main, whether it has no `mhlo.sharding` (XLA chooses its layout)."""
    with module.context:
        main = jir.SymbolTable(module.operation)["main"]
        n = len(jir.FunctionType(jir.TypeAttr(main.attributes["function_type"]).value).results)
        if "res_attrs" not in main.attributes:
            return [True] * n
        return ["mhlo.sharding" not in jir.DictAttr(d)
                for d in jir.ArrayAttr(main.attributes["res_attrs"])]


def compile_entry(data: bytes, device_ids=(0,), propagate=()):
    """XLA's loaded executable of the artifact `data` (its @main), on the tpu platform's
    devices `device_ids` (mlax.runtime.tpu): one partition per device, split by XLA's SPMD
    partitioner when there are several."""
    try:
        return tpu.client().compile_and_load(data, tpu.device_list(device_ids),
                                             tpu.compile_options(device_ids, propagate))
    except Exception as e:     # jaxlib's JaxRuntimeError
        raise StablehloError(f"XLA could not compile the module: {e}") from None
