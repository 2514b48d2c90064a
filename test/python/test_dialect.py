"""The mlax dialect: generated IRDL in sync; every op built from its description and
accepted by `--mlax-verify`, and rejected with its name and location when ill-typed; the
schema of structural declarations."""
import pathlib

import numpy as np
import pytest
from mlir import ir
from mlir.dialects import func

from mlax import dialects
from mlax.dialects import TensorSpec, structural
from mlax.passes import run_pipeline
from mlax.passes import PassError


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
                "is_finite", "xla_log", "xla_log1p", "xla_erf"]
_FLOAT_BINARY = ["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "nextafter",
                 "eq", "ne", "lt", "le", "gt", "ge"]
_INT_BINARY = ["and", "or", "xor", "shift_left", "shift_right_logical", "shift_right_arithmetic"]
_AXIS = {"axis": 1, "reverse": False}
_WINDOW = {"window_dimensions": (2, 2), "window_strides": (2, 2), "padding_low": (0, 0),
           "padding_high": (0, 0), "base_dilation": (1, 1), "window_dilation": (1, 1)}
EXAMPLES = {
    **{f"mlax.{n}": ([F], {}) for n in _FLOAT_UNARY},
    **{f"mlax.{n}": ([F, F], {}) for n in _FLOAT_BINARY},
    **{f"mlax.{n}": ([I, I], {}) for n in _INT_BINARY},
    "mlax.not": ([B], {}),
    "mlax.fma": ([F, F, F], {}),
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
        "lhs_batch_dimensions": (), "rhs_batch_dimensions": (),
        "precision": ("DEFAULT", "HIGHEST")}),
    "mlax.sort": ([F, I], {"dimension": 1, "is_stable": True}),
    "mlax.top_k": (["f32[2,5]"], {"k": 3}),
    "mlax.threefry2x32": ([U, U, U, U], {}),
    "mlax.cholesky": (["f32[2,3,3]"], {}),
    "mlax.lu": (["f32[4,3]"], {}),
    "mlax.triangular_solve": (["f32[3,3]", "f32[3,2]"], {"left_side": True, "lower": True,
                                                        "transpose_a": False, "unit_diagonal": False}),
    "mlax.qr": (["f32[4,3]"], {"full_matrices": True}),
    "mlax.eigh": (["f32[3,3]"], {"lower": True}),
    "mlax.svd": (["f32[2,3,4]"], {"full_matrices": False}),
    "mlax.eig": (["f32[2,3,3]"], {"compute_left": False, "compute_right": True}),
    "mlax.geqrf": (["f32[2,4,3]"], {}),
    "mlax.schur": (["f32[2,3,3]"], {"compute_schur_vectors": True}),
    "mlax.qr_pivoted": (["f32[4,3]"], {"full_matrices": False}),
    "mlax.householder_product": (["f32[2,4,3]", "f32[2,2]"], {}),
    "mlax.collective": (["f32[3]", "i32[]"], {"kind": "all_gather", "axis_name": "i",
                                              "axis_size": 4}),
    "mlax.conv": (["f32[2,3,9,8]", "f32[4,3,3,2]"], {
        "window_strides": (2, 1), "padding_low": (1, 0), "padding_high": (1, -1),
        "lhs_dilation": (1, 2), "rhs_dilation": (2, 1), "lhs_spec": (0, 1, 2, 3),
        "rhs_spec": (0, 1, 2, 3), "out_spec": (0, 1, 2, 3), "feature_group_count": 1,
        "batch_group_count": 1, "precision": ("HIGH", "HIGH")}),
    "mlax.rev": ([F], {"dimensions": (1,)}),
    "mlax.sharding_constraint": (["f32[4,6]"], {"tiles": (2, 1, 2), "devices": (0, 2, 1, 3)}),
    "mlax.reduce_window": (["f32[4,6]"], {"computation": "max", **_WINDOW}),
    "mlax.select_and_gather_add": (["f32[4,6]", "f32[4,6]"], {"select": "ge", **_WINDOW}),
    "mlax.select_and_scatter_add": (["f32[2,3]", "f32[4,6]"], {"select": "le", **_WINDOW}),
    "mlax.real": (["c64[2,3]"], {}),
    "mlax.imag": (["c64[2,3]"], {}),
    "mlax.conj": (["c64[2,3]"], {}),
    "mlax.complex": ([F, F], {}),
    "mlax.fft": (["c64[2,3]"], {"fft_type": "FFT", "fft_lengths": (3,)}),
}

_DTYPES = {"f32": np.float32, "i32": np.int32, "u32": np.uint32, "bool": np.bool_,
           "c64": np.complex64}


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
    with module.context, pytest.raises(PassError) as e:
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
            'rhs_batch_dimensions = array<i64>, precision = ["DEFAULT", "DEFAULT"]} : '
            '(tensor<2x3xf32>, tensor<3xf32>) -> tensor<3xf32>\n'
            '  return %0 : tensor<3xf32>\n}')
        with pytest.raises(PassError) as e:
            run_pipeline(m, "mlax-verify")
    assert str(e.value) == ("loc(\"-\":2:8): error: 'mlax.dot_general' op result types f32[3] do "
                            "not match the inferred f32[2]")


# ---------------------------------------------------------------------------------------
# Structural declarations: one typed schema per kind

# One declaration of each kind, with every entry set to a value other than its default.
DECLARATIONS = [
    structural.Jvp(callee="f", argnums=(0, 2)),
    structural.Vjp(callee="f", argnums=(1,)),
    structural.Grad(callee="f", argnums=(0,), has_aux=True, value=True),
    structural.Vmap(callee="f", in_axes=(0, -1), out_axes=(1,), axis_size=5),
    structural.Cond(branches=("b0", "b1", "b2")),
    structural.While(cond="c", body="b", num_consts=2),
    structural.Scan(body="b", length=7, reverse=True, num_carry=1, num_consts=3),
    structural.CustomJvp(callee="f", jvp="f_jvp", num_args=2, num_callee_consts=1),
    structural.CustomVjp(callee="f", fwd="f_fwd", bwd="f_bwd", num_args=2, num_callee_consts=1,
                         num_fwd_consts=0, num_res=4),
    structural.Callback(callback_id=3, effect="pure", ordered=False, dtypes="float32,bool",
                        vmap_method="sequential", batch_sizes=(4,), batched=(1,)),
]


def test_every_kind_has_a_declaration_case():
    assert sorted(d.kind for d in DECLARATIONS) == sorted(structural.KINDS)


@pytest.mark.parametrize("decl", DECLARATIONS, ids=lambda d: d.kind)
def test_declaration_round_trips_through_its_attribute(decl):
    with dialects.make_context(), ir.Location.unknown():
        module = ir.Module.create()
        fn = decl.declare(module, "d", [], [])
        assert structural.kind_of(fn) == decl.kind
        assert structural.read(fn) == decl
        # and through the printed IR
        again = ir.Module.parse(str(module))
        assert structural.read(again.body.operations[0]) == decl
        assert set(decl.symbols()) <= {"f", "f_jvp", "f_fwd", "f_bwd", "b", "c", "b0", "b1", "b2"}
        assert decl.symbols() or decl.kind == "callback"   # a callback names a host function


@pytest.mark.parametrize("text, message", [
    ("{callee = @f}", "mlax.grad declaration lacks entry 'argnums', an i64 array"),
    ("{callee = @f, argnums = 0 : i64}", "entry 'argnums' must be an i64 array"),
    ("{callee = \"f\", argnums = array<i64: 0>}", "entry 'callee' must be a symbol"),
    ("{callee = @f, argnums = array<i64: 0>, value = 1 : i64}", "entry 'value' must be a bool"),
    ("{callee = @f, argnums = array<i64: 0>, aux = true}", "has no entry 'aux'"),
    ("{callee = @f, argnums = array<i64: 1, 0>}", "argnums [1, 0] must be increasing"),
    ("3 : i64", "mlax.grad must be a dictionary"),
])
def test_declaration_errors_name_the_entry(text, message):
    with dialects.make_context():
        attr = ir.Attribute.parse(text)
        with pytest.raises(structural.DeclarationError, match=message.replace("[", r"\[")):
            structural.Grad.from_attr(attr)


def test_grad_entries_have_defaults():
    with dialects.make_context():
        attr = ir.Attribute.parse("{callee = @f, argnums = array<i64: 0>}")
        assert structural.Grad.from_attr(attr) == structural.Grad(callee="f", argnums=(0,))


def test_ordinary_function_has_no_declaration():
    with dialects.make_context(), ir.Location.unknown():
        m = ir.Module.parse("func.func private @f(%x: tensor<f32>) -> tensor<f32> {\n"
                            "  return %x : tensor<f32>\n}")
        fn = m.body.operations[0]
        assert structural.kind_of(fn) is None and structural.read(fn) is None
