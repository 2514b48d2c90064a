"""The mlax dialect: generated IRDL in sync, ill-typed IR rejected with the op's name, the
schema of structural declarations."""
import pathlib

import pytest
from mlir import ir

from mlax import dialects
from mlax.dialects import structural
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
        assert decl.symbols()


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
