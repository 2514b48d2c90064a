"""The mlax dialect: generated IRDL in sync; every op built from its description and
accepted by `--mlax-verify`, and rejected with its name and location when ill-typed."""
import pathlib

import numpy as np
import pytest
from mlir import ir
from mlir.dialects import func

from mlax import dialects
from mlax.dialects import TensorSpec
from mlax.passes import run_pipeline
from mlax.transforms.verify import VerifyError


def test_irdl_file_in_sync():
    path = pathlib.Path(dialects.IRDL_PATH)
    assert path.read_text() == dialects.irdl_text(), "run `python -m mlax.dialects`"
    docs = pathlib.Path(dialects.DOCS_PATH)
    assert docs.read_text() == dialects.docs_text(), "run `python -m mlax.dialects`"


# op -> (operand specs, attributes): one well-typed example of every op, the table the
# build and verification tests below run over. A new op adds its row.
F, I, B, U = "f32[2,3]", "i32[2,3]", "bool[2,3]", "u32[4]"
_FLOAT_UNARY = ["neg", "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin",
                "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
                "atanh", "sqrt", "rsqrt", "cbrt", "abs", "sign", "floor", "ceil", "round",
                "erf", "erfc", "erf_inv", "lgamma", "digamma", "stop_gradient", "copy",
                "is_finite"]
_FLOAT_BINARY = ["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "nextafter",
                 "eq", "ne", "lt", "le", "gt", "ge"]
_INT_BINARY = ["and", "or", "xor", "shift_left", "shift_right_logical", "shift_right_arithmetic"]
_AXIS = {"axis": 1, "reverse": False}
EXAMPLES = {
    **{f"mlax.{n}": ([F], {}) for n in _FLOAT_UNARY},
    **{f"mlax.{n}": ([F, F], {}) for n in _FLOAT_BINARY},
    **{f"mlax.{n}": ([I, I], {}) for n in _INT_BINARY},
    "mlax.not": ([B], {}),
    "mlax.population_count": ([I], {}),
    "mlax.integer_pow": ([F], {"y": 3}),
    "mlax.select": ([B, F, F], {}),
    "mlax.clamp": ([F, F, F], {}),
    "mlax.convert_element_type": ([F], {"new_dtype": np.int32}),
    "mlax.bitcast_convert_type": ([F], {"new_dtype": np.int32}),
    "mlax.iota": ([], {"dtype": np.int32, "shape": (2, 3), "dimension": 1}),
    "mlax.broadcast_in_dim": (["f32[3]"], {"shape": (2, 3), "broadcast_dimensions": (1,)}),
    "mlax.reshape": ([F], {"new_sizes": (3, 2)}),
    "mlax.transpose": ([F], {"permutation": (1, 0)}),
    "mlax.slice": (["f32[4,6]"], {"start_indices": (1, 0), "limit_indices": (3, 6),
                                  "strides": (1, 2)}),
    "mlax.dynamic_slice": (["f32[4,6]", "i32[]", "i32[]"], {"slice_sizes": (2, 3)}),
    "mlax.dynamic_update_slice": (["f32[4,6]", F, "i32[]", "i32[]"], {}),
    "mlax.concatenate": ([F, "f32[4,3]"], {"dimension": 0}),
    "mlax.pad": ([F, "f32[]"], {"low": (1, 0), "high": (0, 2), "interior": (1, 0)}),
    "mlax.gather": (["f32[5,3]", "i32[4,1]"], {
        "offset_dims": (1,), "collapsed_slice_dims": (0,), "start_index_map": (0,),
        "operand_batching_dims": (), "start_indices_batching_dims": (), "slice_sizes": (1, 3),
        "mode": "clip"}),
    "mlax.scatter": (["f32[5,3]", "i32[4,1]", "f32[4,3]"], {
        "kind": "add", "update_window_dims": (1,), "inserted_window_dims": (0,),
        "scatter_dims_to_operand_dims": (0,), "operand_batching_dims": (),
        "scatter_indices_batching_dims": (), "mode": "drop"}),
    **{f"mlax.{n}": ([F], {"axes": (1,)})
       for n in ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"]},
    **{f"mlax.{n}": ([B], {"axes": (0, 1)}) for n in ["reduce_and", "reduce_or"]},
    **{f"mlax.{n}": ([F], {"axis": 1, "index_dtype": np.int32}) for n in ["argmax", "argmin"]},
    **{f"mlax.{n}": ([F], _AXIS) for n in ["cumsum", "cumprod", "cummax", "cummin",
                                           "cumlogsumexp"]},
    "mlax.dot_general": ([F, "f32[3,4]"], {
        "lhs_contracting_dimensions": (1,), "rhs_contracting_dimensions": (0,),
        "lhs_batch_dimensions": (), "rhs_batch_dimensions": ()}),
    "mlax.sort": ([F, I], {"dimension": 1, "is_stable": True}),
    "mlax.top_k": (["f32[2,5]"], {"k": 3}),
    "mlax.threefry2x32": ([U, U, U, U], {}),
}

_DTYPES = {"f32": np.float32, "i32": np.int32, "u32": np.uint32, "bool": np.bool_}


def spec(text):
    """`f32[2,3]` -> TensorSpec((2, 3), float32)."""
    dtype, _, dims = text.rstrip("]").partition("[")
    return TensorSpec(tuple(int(d) for d in dims.split(",") if d), np.dtype(_DTYPES[dtype]))


def build(name, result_specs=None):
    """A module with one function applying the op `name` to its arguments, as EXAMPLES
    describes it, at location `example.py:<row>:5`. `result_specs` replaces the result
    types the op's rule infers (to build an ill-typed op). Returns (module, the location
    as diagnostics print it)."""
    operands, attrs = EXAMPLES[name]
    row = 1 + list(EXAMPLES).index(name)
    ctx = dialects.make_context()
    with ctx, ir.Location.file("example.py", row, 5) as loc:
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            fn = func.FuncOp("f", ([dialects.spec_type(spec(o)) for o in operands], []))
            with ir.InsertionPoint(fn.add_entry_block()):
                if result_specs is None:
                    dialects.create(name, fn.arguments, attrs, loc)
                else:
                    kinds = dialects.OPS[name].attrs
                    ir.Operation.create(
                        name, results=[dialects.spec_type(s) for s in result_specs],
                        operands=list(fn.arguments),
                        attributes={k: dialects.attr_to_ir(kinds[k], attrs[k]) for k in kinds})
                func.ReturnOp([])
    return module, f'"example.py":{row}:5'


def test_examples_cover_every_op():
    assert set(EXAMPLES) == set(dialects.OPS), \
        f"ops without an example: {sorted(set(dialects.OPS) - set(EXAMPLES))}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_op_builds_and_verifies(name):
    """Built by `create`, the op passes IRDL's verifier and `--mlax-verify`, its printed
    (generic) form parses back, and its attributes read back as they were given."""
    module, _ = build(name)
    with module.context:
        assert module.operation.verify()
        run_pipeline(module, "mlax-verify")
        parsed = ir.Module.parse(str(module))
        assert parsed.operation.verify()
        [op] = [o for o in parsed.body.operations[0].regions[0].blocks[0].operations
                if o.name == name]
        assert dialects.op_attrs(op) == EXAMPLES[name][1]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_op_with_a_wrong_result_type_is_rejected(name):
    operands, attrs = EXAMPLES[name]
    right = dialects.infer(name, [spec(o) for o in operands], attrs)
    wrong = [TensorSpec(right[0].shape + (7,), right[0].dtype)] + right[1:]
    module, where = build(name, wrong)
    with module.context, pytest.raises(VerifyError) as e:
        run_pipeline(module, "mlax-verify")
    got, inferred = ", ".join(map(str, wrong)), ", ".join(map(str, right))
    assert str(e.value) == (f"loc({where}): error: '{name}' op result types {got} do not "
                            f"match the inferred {inferred}")


def test_irdl_rejects_mismatched_types():
    ctx = dialects.make_context()
    with ctx, pytest.raises(ir.MLIRError, match=r'"-":2:8: expected \'tensor<3xf32>\' but '
                                                 r'got \'tensor<4xf32>\'(.|\n)*"mlax.add"'):
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
        with pytest.raises(VerifyError) as e:
            run_pipeline(m, "mlax-verify")
    assert str(e.value) == ("loc(\"-\":2:8): error: 'mlax.dot_general' op result types f32[3] do "
                            "not match the inferred f32[2]")
