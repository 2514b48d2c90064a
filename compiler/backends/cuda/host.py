"""The host side of a compiled function for the GPU, as data: its launch plan.

After the gpu stage a public function's body is host code: allocations of temporaries,
views of buffers, `gpu.launch_func`s of outlined kernels with constant grid and block
sizes, and the control flow decided between launches (the control-flow lowering's
`scf.for` / `scf.while` / `scf.if` / `scf.index_switch` around launches, a predicate or an
index read back from the device with `memref.load`, scalar arith on those, views at
offsets computed at run time). `launch_plan(module, fn, n_inputs, out_dtypes)` reads that
into the plan `mlax.runtime.cuda.LaunchPlan` runs (buffers, then steps: launches, host
values, loops and branches; its docstring gives the format), so a GPU module runs with no
compiler and no host code generation, as XLA:GPU runs while and conditional thunks. Host
code beyond that (host calls, allocations of run-time size, loops that carry buffers) is
a BackendError naming the op and its line: such a function runs in interpret mode only.
"""
from __future__ import annotations

import base64
import os
import re

import numpy as np
from mlir import ir

from mlax.backends import BackendError
from mlax.backends import module_dir
from mlax.backends.cuda import ptx
from mlax.runtime import aot, scalar_ops

_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
           "i1": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64"}
# The predicates of arith's comparisons, by their enum values.
_PREDICATES = {
    "arith.cmpi": ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"],
    "arith.cmpf": ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt",
                   "uge", "ult", "ule", "une", "uno", "true"],
}
# The NumPy dtypes of host values (scalars the host computes between launches).
_VALUE_DTYPES = {"index": "int64", **{k: v for k, v in _DTYPES.items() if k != "bf16"}}


def _buffer_type(t, where):
    mt = ir.MemRefType(t)
    identity = ir.AffineMap.get_identity(mt.rank)
    if mt.layout.value != identity or not mt.has_static_shape:
        raise BackendError(f"no GPU launch plan: a buffer of type {t} (not a whole static "
                           f"row-major buffer) at {where}")
    elem = str(mt.element_type)
    if elem not in _DTYPES:
        raise BackendError(f"no GPU launch plan: buffers of {elem} at {where}")
    return list(mt.shape), _DTYPES[elem]


def _constant_index(v, where):
    op = v.owner
    op = op.operation if hasattr(op, "operation") else op
    if op.name != "arith.constant":
        raise BackendError(f"no GPU launch plan: a launch whose sizes are computed at run "
                           f"time, at {where}")
    return ir.IntegerAttr(op.attributes["value"]).value


def _global_data(module_op, name, shape, dtype, where):
    for o in module_op.regions[0].blocks[0].operations:
        o = o.operation
        if o.name == "memref.global" and ir.StringAttr(o.attributes["sym_name"]).value == name:
            attr = o.attributes["initial_value"]
            if dtype == "bfloat16":
                raise BackendError(f"no GPU launch plan: a bfloat16 constant at {where}")
            dense = ir.DenseElementsAttr(attr)
            if dense.is_splat:
                data = np.full(shape, dense.get_splat_value().value, dtype)
            else:
                data = np.array(dense)
            return base64.b64encode(np.asarray(data, dtype).tobytes()).decode()
    raise BackendError(f"no GPU launch plan: the constant @{name} is not defined ({where})")


class _Plan:
    """A host function's plan under construction: its buffers (memref values, numbered)
    and host values (scalars, numbered), and the steps of each block, read op by op with
    HOST_RULES (rule(plan, op, where) -> steps)."""

    def __init__(self, module_op):
        self.module_op = module_op
        self.buffers, self.number = [], {}
        self.values = {}

    def add_buffer(self, v, entry):
        self.number[v] = len(self.buffers)
        self.buffers.append(entry)

    def buffer(self, v, where) -> int:
        if v not in self.number:
            raise BackendError(f"no GPU launch plan: a buffer ({v.type}) the plan does not "
                               f"know, at {where}")
        return self.number[v]

    def define(self, v, where) -> int:
        """Number the host value `v` (a scalar result or region argument)."""
        if isinstance(v.type, ir.MemRefType):
            raise BackendError(f"no GPU launch plan: a loop or branch that carries or yields "
                               f"a buffer ({v.type}) at {where}")
        _value_dtype(v.type, where)
        self.values[v] = len(self.values)
        return self.values[v]

    def value(self, v, where) -> int:
        if v not in self.values:
            raise BackendError(f"no GPU launch plan: a host value ({v.type}) the plan does "
                               f"not compute, at {where}")
        return self.values[v]

    def steps(self, ops) -> list:
        steps = []
        for op in ops:
            op = op.operation
            where = str(op.location)
            rule = HOST_RULES.get(op.name)
            if rule is None and op.name in scalar_ops.SCALAR_OPS:
                rule = _scalar
            if rule is None:
                raise BackendError(f"no GPU launch plan: host code the launch plan does not "
                                   f"express ({op.name}) at {where}; the function runs in "
                                   f"interpret mode (MLAX_GPU_INTERPRET=1)")
            steps += rule(self, op, where)
        return steps

    def region(self, region, where) -> dict:
        """{"args", "steps", "yield"} of a one-block region (its terminator's operands are
        the yield); an empty region (an scf.if with no else) yields nothing."""
        if not len(region.blocks):
            return {"args": [], "steps": [], "yield": []}
        block = region.blocks[0]
        ops = list(block.operations)
        return {"args": [self.define(a, where) for a in block.arguments],
                "steps": self.steps(ops[:-1]),
                "yield": [self.value(v, where) for v in ops[-1].operation.operands]}

    def results(self, op, where) -> list:
        return [self.define(r, where) for r in op.results]


def _value_dtype(t, where):
    """The NumPy dtype of a host value of type `t`."""
    name = "index" if isinstance(t, ir.IndexType) else str(t)
    if name not in _VALUE_DTYPES:
        raise BackendError(f"no GPU launch plan: a host value of type {t} at {where}")
    return _VALUE_DTYPES[name]


def _nothing(plan, op, where):
    return []


def _alloc(plan, op, where):
    if len(op.operands):
        raise BackendError(f"no GPU launch plan: an allocation of run-time size at {where}")
    shape, dtype = _buffer_type(op.results[0].type, where)
    plan.add_buffer(op.results[0], {"kind": "temp", "shape": shape, "dtype": dtype})
    return []


def _get_global(plan, op, where):
    shape, dtype = _buffer_type(op.results[0].type, where)
    name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
    plan.add_buffer(op.results[0], {"kind": "constant", "shape": shape, "dtype": dtype,
                                    "data": _global_data(plan.module_op, name, shape, dtype,
                                                         where)})
    return []


def _view(plan, op, where):
    """A new descriptor of the same memory. Sizes and strides are in the result's static
    type; so is the offset, else a "view" step computes it at run time from the source's
    offset and the op's run-time offsets (a dynamic slice at a traced index)."""
    source = plan.buffer(op.operands[0], where)
    mt = ir.MemRefType(op.results[0].type)
    strides, offset = mt.get_strides_and_offset()
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    if not mt.has_static_shape or dynamic in strides:
        raise BackendError(f"no GPU launch plan: a view with sizes or strides computed at "
                           f"run time ({op.results[0].type}) at {where}")
    root = plan.buffers[source].get("of", source)
    entry = {"kind": "view", "of": root, "shape": list(mt.shape), "strides": strides,
             "offset": None if offset == dynamic else offset}
    plan.add_buffer(op.results[0], entry)
    if entry["offset"] is not None:
        return []
    step = {"op": "view", "buffer": plan.number[op.results[0]], "from": source, "offset": 0,
            "terms": []}
    if op.name == "memref.subview":
        sv = op.opview
        source_strides, _ = ir.MemRefType(op.operands[0].type).get_strides_and_offset()
        dynamic_offsets = iter(sv.offsets)
        for off, stride in zip(sv.static_offsets, source_strides):
            if stride == dynamic:
                raise BackendError(f"no GPU launch plan: a view of a buffer with run-time "
                                   f"strides at {where}")
            if off == dynamic:
                step["terms"].append([plan.value(next(dynamic_offsets), where), stride])
            else:
                step["offset"] += off * stride
    elif op.name == "memref.reinterpret_cast":
        rc = op.opview
        step["from"] = None
        if len(rc.offsets):
            step["terms"].append([plan.value(rc.offsets[0], where), 1])
        else:
            step["offset"] = rc.static_offsets[0]
    return [step]


def _launch(plan, op, where):
    lf = op.opview
    if len(lf.asyncDependencies) or lf.asyncToken is not None or \
            lf.dynamicSharedMemorySize is not None:
        raise BackendError(f"no GPU launch plan: an asynchronous launch or dynamic shared "
                           f"memory at {where}")
    module, kernel = re.findall(r"@\"?([\w$.-]+)\"?", str(lf.kernel))
    args = [plan.buffer(v, where) if isinstance(v.type, ir.MemRefType)
            else {"value": plan.value(v, where)} for v in lf.kernelOperands]
    return [{"op": "launch", "module": module, "kernel": kernel, "args": args,
             "grid": [_constant_index(v, where) for v in
                      (lf.gridSizeX, lf.gridSizeY, lf.gridSizeZ)],
             "block": [_constant_index(v, where) for v in
                       (lf.blockSizeX, lf.blockSizeY, lf.blockSizeZ)]}]


def _constant(plan, op, where):
    if isinstance(op.results[0].type, ir.MemRefType) or \
            isinstance(op.results[0].type, ir.ShapedType):
        raise BackendError(f"no GPU launch plan: a constant of type {op.results[0].type} on "
                           f"the host at {where}")
    attr = op.attributes["value"]
    value = ir.FloatAttr(attr).value if isinstance(attr, ir.FloatAttr) else \
        ir.IntegerAttr(attr).value
    return [{"op": "constant", "to": plan.define(op.results[0], where), "value": value,
             "dtype": _value_dtype(op.results[0].type, where)}]


def _scalar(plan, op, where):
    step = {"op": op.name, "args": [plan.value(v, where) for v in op.operands],
            "to": plan.define(op.results[0], where),
            "dtype": _value_dtype(op.results[0].type, where)}
    if op.name in _PREDICATES:
        step["predicate"] = _PREDICATES[op.name][ir.IntegerAttr(op.attributes["predicate"]).value]
    return [step]


def _load(plan, op, where):
    """An element read back from the device: a predicate, a trip count, an index."""
    source = plan.buffer(op.operands[0], where)
    return [{"op": "load", "buffer": source,
             "indices": [plan.value(v, where) for v in list(op.operands)[1:]],
             "to": plan.define(op.results[0], where),
             "dtype": _value_dtype(op.results[0].type, where)}]


def _for(plan, op, where):
    operands = [plan.value(v, where) for v in op.operands]
    return [{"op": "for", "bounds": operands[:3], "init": operands[3:],
             "body": plan.region(op.regions[0], where), "results": plan.results(op, where)}]


def _while(plan, op, where):
    return [{"op": "while", "init": [plan.value(v, where) for v in op.operands],
             "before": plan.region(op.regions[0], where),
             "after": plan.region(op.regions[1], where), "results": plan.results(op, where)}]


def _if(plan, op, where):
    return [{"op": "if", "condition": plan.value(op.operands[0], where),
             "then": plan.region(op.regions[0], where),
             "else": plan.region(op.regions[1], where), "results": plan.results(op, where)}]


def _switch(plan, op, where):
    regions = list(op.regions)       # the default first, then the cases
    return [{"op": "switch", "index": plan.value(op.operands[0], where),
             "cases": list(ir.DenseI64ArrayAttr(op.attributes["cases"])),
             "default": plan.region(regions[0], where),
             "regions": [plan.region(r, where) for r in regions[1:]],
             "results": plan.results(op, where)}]


# How each host op becomes plan steps: rule(plan, op, where) -> steps, reading the op's
# operands through plan.buffer / plan.value and numbering its results. Scalar arith ops
# (mlax.runtime.scalar_ops.SCALAR_OPS) become steps named after the op.
HOST_RULES = {
    "memref.dealloc": _nothing,          # the plan frees every buffer after the call
    "memref.assume_alignment": _nothing,
    "func.return": _nothing,
    "memref.alloc": _alloc,
    "memref.alloca": _alloc,
    "memref.get_global": _get_global,
    **{name: _view for name in ("memref.expand_shape", "memref.collapse_shape", "memref.cast",
                                "memref.subview", "memref.reinterpret_cast")},
    "gpu.launch_func": _launch,
    "arith.constant": _constant,
    "memref.load": _load,
    "scf.for": _for,
    "scf.while": _while,
    "scf.if": _if,
    "scf.index_switch": _switch,
}


def launch_plan(module_op, fn, n_inputs: int, out_dtypes) -> dict:
    """The launch plan of the host function `fn` (func.func at the gpu or nvvm stage; its
    first `n_inputs` arguments are inputs, the others outputs, whose NumPy dtypes are
    `out_dtypes`: buffers are signless, so bool and unsigned results are named here)."""
    plan = _Plan(module_op)
    for i, a in enumerate(fn.regions[0].blocks[0].arguments):
        shape, dtype = _buffer_type(a.type, f"argument {i} of @{fn_name(fn)}")
        kind, index = ("input", i) if i < n_inputs else ("output", i - n_inputs)
        if kind == "output":
            dtype = np.dtype(out_dtypes[index]).name
        plan.add_buffer(a, {"kind": kind, "index": index, "shape": shape, "dtype": dtype})
    steps = plan.steps(fn.regions[0].blocks[0].operations)
    return {"buffers": plan.buffers, "steps": steps}


def fn_name(fn) -> str:
    return ir.StringAttr(fn.attributes["sym_name"]).value


def write_module_files(directory, modules, entries: dict, machine, name, creator="mlax"):
    """Write a GPU module into the existing, empty `directory`: each kernel module's PTX
    (generated for `machine.chip`) and cubin (ptxas), a launch plan per entry point, the
    metadata and the loader (`__init__.py`, mlax.runtime.aot.load)."""
    files, kernels, plans = {}, {}, {}
    for module in modules:
        module_op = module.operation
        functions = {fn_name(o.operation): o.operation
                     for o in module_op.regions[0].blocks[0].operations
                     if o.operation.name == "func.func"}
        for entry, meta in entries.items():
            if meta["symbol"] in functions:
                plans[entry] = launch_plan(module_op, functions[meta["symbol"]],
                                           len(meta["inputs"]),
                                           [o["dtype"] for o in meta["outputs"]])
        for kname, text in ptx.ptx(module, machine.chip).items():
            for kind, data in (("ptx", text.encode()), ("cubin", ptx.ptxas(text, machine.chip))):
                fname = f"{kname}.{kind}"
                with open(os.path.join(directory, fname), "wb") as f:
                    f.write(data)
                files[fname] = aot.file_digest(os.path.join(directory, fname))
            kernels[kname] = {"ptx": f"{kname}.ptx", "cubin": f"{kname}.cubin"}
    missing = [e for e in entries if e not in plans]
    if missing:
        raise BackendError(f"no GPU launch plan: no host function for {', '.join(missing)} "
                           f"(save from the gpu or nvvm stage: mlax-compile --target cuda -o "
                           f"dir/)")
    meta = module_dir.metadata(name, creator, {"platform": "cuda", **machine.describe()},
                               entries, files, kernels=kernels, plans=plans)
    module_dir.write_metadata(directory, meta)
    return meta
