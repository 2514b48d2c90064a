"""The host side of a compiled function for the GPU, as data: its launch plan.

After the gpu stage a public function's body is host code: allocations of temporaries,
`gpu.launch_func`s of outlined kernels with constant grid and block sizes, the return.
`launch_plan(module, fn, n_inputs, out_dtypes)` reads that into the plan
`mlax.runtime.cuda.LaunchPlan` runs (buffers, views of them with static sizes, strides and
offsets, then launches naming gpu.modules, kernels and buffers), so a GPU module runs with
no compiler and no host code generation. Host code that is more than that (loops of the control-flow lowering around
launches, a value read back to the host, scalar kernel arguments, host calls) is a
BackendError naming the op and its line: such a function runs in interpret mode but has
no plan yet.
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
from mlax.runtime import aot

_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
           "i1": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64"}
# Ops of host code with nothing to do at run time (buffers are freed after the call).
_NOTHING_TO_DO = {"memref.dealloc", "func.return", "memref.assume_alignment"}
# Views of a buffer: a new descriptor (sizes, strides, offset: all in the result's static
# type) of the same memory.
_VIEWS = {"memref.expand_shape", "memref.collapse_shape", "memref.cast", "memref.subview",
          "memref.reinterpret_cast"}


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


def launch_plan(module_op, fn, n_inputs: int, out_dtypes) -> dict:
    """The launch plan of the host function `fn` (func.func at the gpu or nvvm stage; its
    first `n_inputs` arguments are inputs, the others outputs, whose NumPy dtypes are
    `out_dtypes`: buffers are signless, so bool and unsigned results are named here)."""
    buffers, number, launches = [], {}, []
    args = list(fn.regions[0].blocks[0].arguments)
    for i, a in enumerate(args):
        shape, dtype = _buffer_type(a.type, f"argument {i} of @{fn_name(fn)}")
        kind, index = ("input", i) if i < n_inputs else ("output", i - n_inputs)
        if kind == "output":
            dtype = np.dtype(out_dtypes[index]).name
        number[a] = len(buffers)
        buffers.append({"kind": kind, "index": index, "shape": shape, "dtype": dtype})
    for op in fn.regions[0].blocks[0].operations:
        op = op.operation
        where = str(op.location)
        if op.name == "arith.constant" or op.name in _NOTHING_TO_DO:
            continue
        if op.name in ("memref.alloc", "memref.alloca") and not len(op.operands):
            shape, dtype = _buffer_type(op.results[0].type, where)
            number[op.results[0]] = len(buffers)
            buffers.append({"kind": "temp", "shape": shape, "dtype": dtype})
        elif op.name in _VIEWS:
            source = number.get(op.operands[0])
            mt = ir.MemRefType(op.results[0].type)
            dynamic = ir.ShapedType.get_dynamic_size()
            strides, offset = mt.get_strides_and_offset()
            if source is None or not mt.has_static_shape or dynamic in strides or \
                    offset == ir.ShapedType.get_dynamic_stride_or_offset() or \
                    ir.ShapedType.get_dynamic_stride_or_offset() in strides:
                raise BackendError(f"no GPU launch plan: a view with sizes, strides or offset "
                                   f"computed at run time ({op.results[0].type}) at {where}")
            root = buffers[source].get("of", source)
            number[op.results[0]] = len(buffers)
            buffers.append({"kind": "view", "of": root, "shape": list(mt.shape),
                            "strides": strides, "offset": offset})
        elif op.name == "memref.get_global":
            shape, dtype = _buffer_type(op.results[0].type, where)
            name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
            number[op.results[0]] = len(buffers)
            buffers.append({"kind": "constant", "shape": shape, "dtype": dtype,
                            "data": _global_data(module_op, name, shape, dtype, where)})
        elif op.name == "gpu.launch_func":
            lf = op.opview
            if len(lf.asyncDependencies) or lf.asyncToken is not None or \
                    lf.dynamicSharedMemorySize is not None:
                raise BackendError(f"no GPU launch plan: an asynchronous launch or dynamic "
                                   f"shared memory at {where}")
            module, kernel = re.findall(r"@\"?([\w$.-]+)\"?", str(lf.kernel))
            operands = []
            for v in lf.kernelOperands:
                if v not in number:
                    raise BackendError(f"no GPU launch plan: a kernel argument that is not a "
                                       f"whole buffer ({v.type}) at {where}")
                operands.append(number[v])
            launches.append({
                "module": module, "kernel": kernel, "args": operands,
                "grid": [_constant_index(v, where) for v in
                         (lf.gridSizeX, lf.gridSizeY, lf.gridSizeZ)],
                "block": [_constant_index(v, where) for v in
                          (lf.blockSizeX, lf.blockSizeY, lf.blockSizeZ)]})
        else:
            raise BackendError(f"no GPU launch plan: host code the launch plan does not "
                               f"express yet ({op.name}) at {where}; the function runs in "
                               f"interpret mode (MLAX_GPU_INTERPRET=1)")
    return {"buffers": buffers, "launches": launches}


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
