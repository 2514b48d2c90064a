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
import json
import subprocess
import sys

from jaxlib import _jax
from jaxlib.mlir import ir as jir
from jaxlib.mlir import passmanager as jpm
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import chlo, func, stablehlo

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


def hlo_text(module: jir.Module) -> str:
    """XLA's HLO text of `module`'s @main, unoptimized: jaxlib's converter, as JAX's
    `Lowered.compiler_ir(dialect="hlo").as_hlo_text()` gives it."""
    with module.context:
        _legalize_chlo(module)
        return _jax.mlir.mlir_module_to_xla_computation(
            str(module), use_tuple_args=False).as_hlo_text()


def unspecified_results(module: jir.Module) -> list:
    """Per result of @main, whether it has no `mhlo.sharding` (XLA chooses its layout)."""
    with module.context:
        main = jir.SymbolTable(module.operation)["main"]
        n = len(jir.FunctionType(jir.TypeAttr(main.attributes["function_type"]).value).results)
        if "res_attrs" not in main.attributes:
            return [True] * n
        return ["mhlo.sharding" not in jir.DictAttr(d)
                for d in jir.ArrayAttr(main.attributes["res_attrs"])]


def compile_entry(data: bytes, device_ids=(0,), propagate=(), host_callbacks=()):
    """XLA's loaded executable of the artifact `data` (its @main), on the tpu platform's
    devices `device_ids` (mlax.runtime.tpu): one partition per device, split by XLA's SPMD
    partitioner when there are several; `host_callbacks` the functions its host-callback
    custom calls call (PJRT takes them only with a module object, not bytes)."""
    computation = data
    if host_callbacks:
        computation = stablehlo.deserialize_portable_artifact(context(), data)
    try:
        return tpu.compile_artifact(computation, device_ids, propagate, host_callbacks)
    except tpu.TpuRuntimeError as e:
        raise StablehloError(str(e)) from None


# ---------------------------------------------------------------------------------------
# jax.export's calling convention (mlax.export)

def exported_module(text: str, entry: str, ctx: jir.Context, *, module_name: str,
                    platforms: tuple, result_infos: list) -> jir.Module:
    """The module of @entry with jax.export's calling convention (version 9 and later, for
    static shapes without effects): @main public, a first `tensor<i32>` argument
    `{jax.global_constant = "_platform_index"}` when there are several platforms (the
    lowering is the same for each, so the index is not read), each result's
    `jax.result_info` (its pytree path), and the module attributes jax.export writes
    (`mhlo.num_partitions`, `mhlo.num_replicas`, `jax.uses_shape_polymorphism`) in place
    of mlax's own."""
    module = entry_module(text, entry, ctx)
    with ctx, jir.Location.unknown():
        attrs = module.operation.attributes
        for name in [a.name for a in attrs if a.name.startswith("mlax.")]:
            del attrs[name]
        attrs["sym_name"] = jir.StringAttr.get(module_name)
        i32 = jir.IntegerType.get_signless(32)
        attrs["mhlo.num_partitions"] = jir.IntegerAttr.get(i32, 1)
        attrs["mhlo.num_replicas"] = jir.IntegerAttr.get(i32, 1)
        attrs["jax.uses_shape_polymorphism"] = jir.BoolAttr.get(len(platforms) > 1)
        main = jir.SymbolTable(module.operation)["main"]
        ftype = jir.FunctionType(jir.TypeAttr(main.attributes["function_type"]).value)
        res_attrs = _attr_dicts(main, "res_attrs", len(ftype.results))
        for d, info in zip(res_attrs, result_infos):
            d["jax.result_info"] = jir.StringAttr.get(info)
        main.attributes["res_attrs"] = jir.ArrayAttr.get([jir.DictAttr.get(d) for d in res_attrs])
        if len(platforms) > 1:
            _add_platform_index(module, main, ftype)
    return module


def _attr_dicts(fn, key, n) -> list[dict]:
    if key not in fn.attributes:
        return [{} for _ in range(n)]
    return [{a.name: a.attr for a in jir.DictAttr(d)} for d in jir.ArrayAttr(fn.attributes[key])]


def _add_platform_index(module, main, ftype):
    """Make @main a wrapper taking the platform index first and calling the function."""
    jir.SymbolTable.set_symbol_name(main, "_wrapped_main")
    main.attributes["sym_visibility"] = jir.StringAttr.get("private")
    index_type = jir.RankedTensorType.get([], jir.IntegerType.get_signless(32))
    wrapper = func.FuncOp("main", jir.FunctionType.get([index_type, *ftype.inputs],
                                                       ftype.results),
                          ip=jir.InsertionPoint.at_block_begin(module.body))
    wrapper.attributes["sym_visibility"] = jir.StringAttr.get("public")
    index_attr = {"jax.global_constant": jir.StringAttr.get("_platform_index")}
    args = [index_attr, *_attr_dicts(main, "arg_attrs", len(ftype.inputs))]
    wrapper.attributes["arg_attrs"] = jir.ArrayAttr.get([jir.DictAttr.get(d) for d in args])
    wrapper.attributes["res_attrs"] = main.attributes["res_attrs"]
    block = wrapper.add_entry_block()
    with jir.InsertionPoint(block):
        call = func.CallOp(list(ftype.results), jir.FlatSymbolRefAttr.get("_wrapped_main"),
                           list(block.arguments)[1:])
        func.ReturnOp(call.results)


def own_artifact_text(data: bytes, ctx: jir.Context) -> str:
    """The text of an artifact `artifact` just wrote (serializing turns the module into
    VHLO in place, so it is read back, as jax.export's `mlir_module()` does)."""
    return str(stablehlo.deserialize_portable_artifact(ctx, data))


# Reads a portable artifact in a child process: jaxlib's bytecode reader can corrupt the
# heap on malformed bytes (and abort, or not, depending on the process's state), so bytes
# from outside are read there first. It prints JSON: the module's text and @main's types,
# or the reader's error.
_READER = r"""
import json, sys
from jaxlib.mlir import ir
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import chlo, stablehlo
registry = ir.DialectRegistry()
_jax_mlir_ext.register_dialects(registry)
ctx = ir.Context()
ctx.append_dialect_registry(registry)
ctx.load_all_available_dialects()
chlo.register_dialect(ctx)
stablehlo.register_dialect(ctx)
messages = []
ctx.attach_diagnostic_handler(lambda d: messages.append(str(d.message)) or True)
try:
    module = stablehlo.deserialize_portable_artifact(ctx, sys.stdin.buffer.read())
except Exception as e:
    print(json.dumps({"error": "; ".join(messages) or str(e)}))
    sys.exit(0)
with ctx:
    table = ir.SymbolTable(module.operation)
    if "main" not in table:
        print(json.dumps({"error": "the module has no @main function"}))
        sys.exit(0)
    ftype = ir.FunctionType(ir.TypeAttr(table["main"].attributes["function_type"]).value)
    print(json.dumps({"text": str(module), "inputs": [str(t) for t in ftype.inputs],
                      "results": [str(t) for t in ftype.results]}))
"""


@functools.lru_cache(maxsize=64)
def read_artifact(data: bytes) -> tuple[str, list, list]:
    """(text, @main's argument types, its result types) of the portable artifact `data`
    (types as text: `tensor<3xf32>`), read in a child process; StablehloError when the
    bytes are not an artifact this jaxlib reads."""
    if not data.startswith(b"ML\xefR"):
        raise StablehloError("the module is not MLIR bytecode (a StableHLO portable "
                             "artifact starts with 'ML\\xefR')")
    proc = subprocess.run([sys.executable, "-c", _READER], input=data, capture_output=True,
                          timeout=300)
    why = f"cannot read the StableHLO artifact (corrupt, or of a version this jaxlib " \
          f"({stablehlo.get_current_version()}) cannot read)"
    if proc.returncode != 0:
        raise StablehloError(f"{why}: reading it ended the reading process (exit status "
                             f"{proc.returncode})")
    try:
        answer = json.loads(proc.stdout)
    except ValueError:
        raise StablehloError(f"{why}: the reading process answered {proc.stdout[:200]!r}") \
            from None
    if "error" in answer:
        raise StablehloError(f"{why}: {answer['error']}")
    return answer["text"], answer["inputs"], answer["results"]
