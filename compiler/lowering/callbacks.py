"""The body of an `mlax.callback` declaration (a host callback's call site): a call of the
runtime's C entry point `mlax_host_callback(descriptor, table)` (mlax.runtime.callbacks).

    func.func private @callback(%a: tensor<3xf32>) -> tensor<3xf32> attributes {no_inline, ...} {
      %table = memref.alloca() : memref<2xi64>           // operand then result addresses
      %m = bufferization.to_buffer %a read_only           // each operand's buffer
      memref.store (its aligned pointer as i64), %table[0]
      %r = memref.alloc() : memref<3xf32>                // each result's buffer
      memref.store (its aligned pointer as i64), %table[1]
      call @mlax_host_callback(address of @descriptor, address of %table)
      return bufferization.to_tensor %r restrict writable
    }

`@descriptor` is a constant global holding the call site's JSON descriptor (callback id,
operand and result shapes and mlax dtypes, vmap levels and method; NUL-terminated). The
function keeps `no_inline`: its operands must stay alive across the call, which the
compiler sees only as long as they are operands of a call to this function (inlined, the
deallocation pipeline could free an operand's buffer after taking its address). Runs on
tensors, after `mlax-lower-to-linalg` (storage types) or before."""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith, bufferization, func, memref

from mlax.dialects import structural
from mlax.runtime import callbacks


def _address(m) -> ir.Value:
    """The aligned address of memref `m` as an i64."""
    p = memref.ExtractAlignedPointerAsIndexOp(m).result
    return arith.index_cast(ir.IntegerType.get_signless(64), p)


def _memref_type(t) -> ir.MemRefType:
    t = ir.RankedTensorType(t)
    return ir.MemRefType.get(list(t.shape), t.element_type)


def _ensure_entry_point(module_block):
    table = ir.SymbolTable(module_block.owner)
    if callbacks.SYMBOL in table:
        return
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint.at_block_begin(module_block):
        func.FuncOp(callbacks.SYMBOL, ([i64, i64], []), visibility="private")


def _descriptor_global(fn, decl: structural.Callback, ftype) -> tuple[str, ir.MemRefType]:
    dtypes = decl.dtypes.split(",") if decl.dtypes else []
    n_in = len(ftype.inputs)
    shapes = [list(ir.RankedTensorType(t).shape) for t in list(ftype.inputs) + list(ftype.results)]
    text = callbacks.descriptor(decl.callback_id, list(zip(shapes[:n_in], dtypes[:n_in])),
                                list(zip(shapes[n_in:], dtypes[n_in:])), decl.batch_sizes,
                                decl.batched, decl.vmap_method).encode() + b"\0"
    data = np.frombuffer(text, np.int8)
    gtype = ir.MemRefType.get([len(data)], ir.IntegerType.get_signless(8))
    module_block = fn.operation.parent.regions[0].blocks[0]
    table = ir.SymbolTable(module_block.owner)
    name = base = ir.StringAttr(fn.attributes["sym_name"]).value + "_descriptor"
    k = 0
    while name in table:
        k += 1
        name = f"{base}_{k}"
    with ir.InsertionPoint.at_block_begin(module_block):
        g = memref.GlobalOp(name, ir.TypeAttr.get(gtype), sym_visibility="private",
                            initial_value=ir.DenseElementsAttr.get(
                                data, type=ir.RankedTensorType.get([len(data)], gtype.element_type)),
                            constant=True)
    return ir.StringAttr(g.attributes["sym_name"]).value, gtype


def lower_callback(fn, decl: structural.Callback, ftype):
    """(operands...) -> results: the host function called through the runtime."""
    block = fn.regions[0].blocks[0]
    module_block = fn.operation.parent.regions[0].blocks[0]
    _ensure_entry_point(module_block)
    gname, gtype = _descriptor_global(fn, decl, ftype)
    args, results = list(block.arguments), list(ftype.results)
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(block):
        table = memref.AllocaOp(ir.MemRefType.get([len(args) + len(results)], i64), [], []).result
        slot = 0
        for a in args:
            m = bufferization.ToBufferOp(_memref_type(a.type), a, read_only=True).result
            memref.StoreOp(_address(m), table, [arith.ConstantOp(ir.IndexType.get(), slot).result])
            slot += 1
        outs = []
        for t in results:
            m = memref.AllocOp(_memref_type(t), [], []).result
            memref.StoreOp(_address(m), table, [arith.ConstantOp(ir.IndexType.get(), slot).result])
            slot += 1
            outs.append((t, m))
        desc = memref.GetGlobalOp(gtype, gname).result
        func.CallOp([], callbacks.SYMBOL, [_address(desc), _address(table)])
        func.ReturnOp([bufferization.ToTensorOp(t, m, restrict=True, writable=True).result
                       for t, m in outs])
    fn.attributes["no_inline"] = ir.UnitAttr.get()
    # Not inlined, it stays a function of the object code: internal, so that modules linked
    # into one process JIT do not define its name twice.
    fn.attributes["llvm.linkage"] = ir.Attribute.parse("#llvm.linkage<internal>")
