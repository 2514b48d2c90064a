"""Shardings to XLA's GSPMD form: `mlax.sharding_constraint` becomes
`stablehlo.custom_call @Sharding` carrying an `mhlo.sharding` attribute (as JAX lowers
with_sharding_constraint), and the entry points' `mlax.sharding` argument and result
attributes become `mhlo.sharding`; the module's device list (`mlax.device_ids`) becomes
`mhlo.num_partitions` (XLA's SPMD partitioner reads these).

GSPMD rather than Shardy: an `mhlo.sharding` is a self-contained string attribute, so it
crosses from mlax's MLIR context to jaxlib's as a builtin attribute with nothing to
declare (Shardy needs an `sdy.mesh` symbol and its own attribute dialect), and XLA's
`use_spmd_partitioning` path takes it as it is. JAX 0.10 emits Shardy by default; XLA
still partitions GSPMD modules (it logs that GSPMD propagation is deprecated).

The device ids in mlax's attributes are the platform's; XLA's are partition numbers,
positions in the computation's device assignment: `mlax.device_ids` on the module lists
that assignment (without it, ids are taken as partition numbers).
"""
from __future__ import annotations

from mlir import ir

from mlax.lowering.stablehlo.builders import hlo
from mlax.runtime.sharding import hlo_sharding_text


def _ints(attr) -> tuple:
    return tuple(int(v) for v in ir.DenseI64ArrayAttr(attr))


def device_ids(module_op) -> tuple | None:
    """The computation's device assignment (`mlax.device_ids`), or None."""
    attrs = module_op.attributes
    return _ints(attrs["mlax.device_ids"]) if "mlax.device_ids" in attrs else None


def sharding_text(tiles, devices, ndim, logical) -> str:
    return hlo_sharding_text(tiles, devices, ndim,
                             logical if logical is not None else range(max(devices) + 1))


def _constraint(op, logical):
    a = op.attrs
    text = sharding_text(a["tiles"], a["devices"], len(op.in_specs[0].shape), logical)
    return hlo("stablehlo.custom_call", [op.operands[0]], [op.operands[0].type],
               {"call_target_name": ir.StringAttr.get("Sharding"),
                "mhlo.sharding": ir.StringAttr.get(text)}).results


def constraint_rule(logical):
    """The rule of `mlax.sharding_constraint` for a module over `logical` devices."""
    return lambda op: list(_constraint(op, logical))


def _convert_attrs(dicts, types, logical):
    """A function's argument or result attributes with `mlax.sharding` as mhlo.sharding."""
    out = []
    for d, t in zip(dicts, types):
        entries = {n.name: n.attr for n in ir.DictAttr(d)}
        s = entries.pop("mlax.sharding", None)
        if s is not None:
            s = ir.DictAttr(s)
            text = sharding_text(_ints(s["tiles"]), _ints(s["devices"]),
                                 ir.RankedTensorType(t).rank, logical)
            entries["mhlo.sharding"] = ir.StringAttr.get(text)
        out.append(ir.DictAttr.get(entries))
    return ir.ArrayAttr.get(out)


def lower_placement(module_op):
    """The module's and its functions' sharding attributes in XLA's form."""
    logical = device_ids(module_op)
    if logical is not None:
        i32 = ir.IntegerType.get_signless(32)
        module_op.attributes["mhlo.num_partitions"] = ir.IntegerAttr.get(i32, len(logical))
        module_op.attributes["mhlo.num_replicas"] = ir.IntegerAttr.get(i32, 1)
    for op in module_op.regions[0].blocks[0].operations:
        if op.operation.name != "func.func":
            continue
        ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
        for key, types in (("arg_attrs", ftype.inputs), ("res_attrs", ftype.results)):
            if key in op.attributes:
                op.attributes[key] = _convert_attrs(ir.ArrayAttr(op.attributes[key]), types,
                                                    logical)


# The table entry (the coverage test reads it); the driver gives the rule the module's
# device assignment (`constraint_rule`).
LOWERINGS = {"mlax.sharding_constraint": constraint_rule(None)}
