"""The mlax dialect: generated IRDL in sync, ill-typed IR rejected with the op's name."""
import pathlib

import pytest
from mlir import ir

from mlax import dialects
from mlax.passes import run_pipeline


def test_irdl_file_in_sync():
    path = pathlib.Path(dialects.IRDL_PATH)
    assert path.read_text() == dialects.irdl_text(), "run `python -m mlax.dialects`"
    docs = pathlib.Path(dialects.DOCS_PATH)
    assert docs.read_text() == dialects.docs_text(), "run `python -m mlax.dialects`"


def test_every_op_loads_and_builds():
    ctx = dialects.make_context()
    with ctx, ir.Location.unknown():
        m = ir.Module.parse('func.func @f(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {\n'
                            '  %0 = "mlax.add"(%a, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>\n'
                            '  return %0 : tensor<3xf32>\n}')
        assert m.operation.verify()


def test_irdl_rejects_mismatched_types():
    ctx = dialects.make_context()
    with ctx, pytest.raises(ir.MLIRError, match="mlax.add"):
        ir.Module.parse('func.func @f(%a: tensor<3xf32>, %b: tensor<4xf32>) {\n'
                        '  %0 = "mlax.add"(%a, %b) : (tensor<3xf32>, tensor<4xf32>) -> tensor<3xf32>\n'
                        '  return\n}')


def test_verify_pass_rejects_bad_result_shape():
    ctx = dialects.make_context()
    with ctx:
        m = ir.Module.parse(
            'func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {\n'
            '  %0 = "mlax.dot_general"(%a, %b) {lhs_contracting_dimensions = array<i64: 1>, '
            'rhs_contracting_dimensions = array<i64: 0>, lhs_batch_dimensions = array<i64>, '
            'rhs_batch_dimensions = array<i64>} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>\n'
            '  return %0 : tensor<3xf32>\n}')
        with pytest.raises(Exception, match="mlax.dot_general"):
            run_pipeline(m, "mlax-verify")
