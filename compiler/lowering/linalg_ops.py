"""Builders of the upstream linalg ops mlax makes, from linalg's generated op classes.

`mlir.dialects.linalg` itself runs linalg's OpDSL definitions of every named op when
imported (about half a second, more than a small function's compile); these builders
take the same arguments as its `fill`, `copy` and `transpose`.

The bindings also import `mlir.dialects.<namespace>` the first time they meet an op or
attribute of a dialect, to find its Python classes. For linalg, the generated classes
(imported here) are all there is to find, so the lookup is answered once with them:
`mlir.dialects.linalg` stays importable, and imports fully, for code that asks for it."""
from __future__ import annotations

import sys
import types

from mlir import ir
from mlir._mlir_libs import _mlir
from mlir._mlir_libs._mlirDialectsLinalg import fill_builtin_region
from mlir.dialects._linalg_ops_gen import (CopyOp, FillOp, GenericOp, IndexOp,  # noqa: F401
                                           TransposeOp, YieldOp)
from mlir.dialects._ods_common import get_op_result_or_value as _get_op_result_or_value


def _named(op_class, inputs, outs, **attrs):
    init = _get_op_result_or_value(outs[0])
    results = [init.type] if isinstance(init.type, ir.RankedTensorType) else []
    op = op_class(results, [_get_op_result_or_value(v) for v in inputs], [init], **attrs)
    fill_builtin_region(op.operation)
    return op.result if results else op


def fill(value, *, outs):
    """linalg.fill of `outs[0]` with the scalar `value`: the filled tensor (or the op, on
    a memref)."""
    return _named(FillOp, [value], outs)


def copy(source, *, outs):
    """linalg.copy of `source` into `outs[0]`."""
    return _named(CopyOp, [source], outs)


def transpose(source, *, outs, permutation):
    """linalg.transpose of `source` into `outs[0]`: the op, as upstream's builder."""
    init = _get_op_result_or_value(outs[0])
    results = [init.type] if isinstance(init.type, ir.RankedTensorType) else []
    op = TransposeOp(results, _get_op_result_or_value(source), init, permutation)
    fill_builtin_region(op.operation)
    return op


def _answer_the_bindings_lookup():
    if "mlir.dialects.linalg" in sys.modules:
        return
    generated = types.ModuleType("mlir.dialects.linalg")
    sys.modules["mlir.dialects.linalg"] = generated
    try:
        _mlir.globals._check_dialect_module_loaded("linalg")
    finally:
        del sys.modules["mlir.dialects.linalg"]


_answer_the_bindings_lookup()
