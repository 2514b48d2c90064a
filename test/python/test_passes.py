"""The pass registry: one class per pass, its options typed and declared once, checked when
a pipeline is built; pass failures are PassErrors carrying the op's location."""
import pytest
from mlir import ir

from mlax import backends
from mlax.dialects import make_context
from mlax.passes import (PASSES, ModulePass, PassError, PassOptionError, PassTypeError,
                         build_pass_manager, load_passes, option, register, run_pipeline)


@pytest.fixture(scope="module", autouse=True)
def all_passes():
    load_passes()
    backends.get("cpu")   # registers the CPU backend's passes


def test_every_pass_is_one_class_with_a_summary_and_typed_options():
    assert "mlax-dce" in PASSES and "mlax-cpu-schedule" in PASSES
    for flag, cls in PASSES.items():
        assert issubclass(cls, ModulePass) and cls.name == flag
        assert cls.summary() and not cls.summary().endswith(".")
        for o in cls.options():
            assert o.type in (int, float, bool, str) and o.help


def test_options_reach_the_pass():
    schedule = PASSES["mlax-cpu-schedule"]
    assert schedule.from_text("threads=3") == schedule(threads=3)
    assert schedule.from_text("") == schedule(threads=0)


@pytest.mark.parametrize("element, message", [
    ("mlax-dce{no-such-option=1}", "mlax-dce: unknown option 'no-such-option' (it has no options)"),
    ("mlax-cpu-schedule{thread=1}", "mlax-cpu-schedule: unknown option 'thread' (its options: threads, vector-bytes)"),
    ("mlax-cpu-schedule{threads=two}", "mlax-cpu-schedule: option 'threads' takes an integer, got 'two'"),
    ("mlax-cpu-schedule{threads}", "mlax-cpu-schedule: option 'threads' needs a value"),
])
def test_bad_options_name_the_pass_and_the_option(element, message):
    with pytest.raises(PassOptionError) as e:
        build_pass_manager(element, make_context())
    assert str(e.value).startswith(message)
    assert isinstance(e.value, ValueError)   # as MLIR's own pipeline errors


def test_a_pass_needs_a_docstring_and_option_types_it_can_parse():
    with pytest.raises(TypeError, match="docstring"):
        @register
        class NoDoc(ModulePass):
            name = "test-no-doc"
    with pytest.raises(TypeError, match="option 'table' has type"):
        @register
        class BadOption(ModulePass):
            """A pass with an option of a type no pipeline can spell."""
            name = "test-bad-option"
            table: dict = option(None, "a table")
    assert "test-no-doc" not in PASSES and "test-bad-option" not in PASSES


def test_a_pass_failure_is_a_pass_error_at_the_op():
    ctx = make_context()
    with ctx:
        m = ir.Module.parse(
            'func.func private @jvp_f(tensor<f32>) -> tensor<f32> attributes '
            '{mlax.jvp = {callee = @f, argnums = array<i64: 0>}}\n'
            'func.func private @f(%x: tensor<f32>) -> tensor<f32> {\n'
            '  return %x : tensor<f32>\n}', ctx)
        with pytest.raises(PassTypeError) as e:
            run_pipeline(m, "mlax-jvp")
    assert isinstance(e.value, PassError) and isinstance(e.value, TypeError)
    assert e.value.location is not None
    assert "mlax.jvp declaration @jvp_f has type" in str(e.value)
    assert f"(at {e.value.location})" in str(e.value)
