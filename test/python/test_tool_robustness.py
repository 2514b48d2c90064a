"""mlax-opt and mlax-compile never crash or print a traceback: sizes that overflow, input
nested too deeply, unknown CPUs and features, element types and shapes mlax has no
lowering for, input that is not UTF-8 each get a diagnostic with a location and exit
code 1 (bad input) or 2 (bad usage). Cases that used to kill the process run in a child
(`run_case`). Last, a short seeded session of the mutation fuzzer, scripts/fuzz_tools.py.
"""
import importlib.util
import os

import pytest

from child import run_case
from mlax.tools import driver, opt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LINREG = os.path.join(ROOT, "test", "driver", "Inputs", "linreg.py")

ADD = """\
func.func @f(%x: tensor<{t}>) -> tensor<{t}> {{
  %0 = "mlax.add"(%x, %x) : (tensor<{t}>, tensor<{t}>) -> tensor<{t}>
  return %0 : tensor<{t}>
}}
"""


def tool(main, args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def child_tool(name, args, expect_rc, stdin=None):
    """Run mlax.tools.opt.main or mlax.tools.driver.main in a child; returns its stderr. The child's
    address space is limited to 8 GiB: a runaway allocation fails there, not the machine."""
    module = {"mlax-opt": "opt", "mlax-compile": "driver"}[name]
    feed = "" if stdin is None else (
        f"sys.stdin = io.TextIOWrapper(io.BytesIO({stdin!r}))\n")
    r = run_case(f"import io, resource, sys\n"
                 f"resource.setrlimit(resource.RLIMIT_AS, (8 << 30, resource.RLIM_INFINITY))\n"
                 f"from mlax.tools import {module}\n{feed}"
                 f"sys.exit({module}.main({[str(a) for a in args]!r}))\n", expect_rc=expect_rc)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return r.stderr


# ---------------------------------------------------------------------------------------
# Sizes that overflow

def test_overflowing_tensor_through_the_cpu_pipeline_is_an_error_at_the_argument(tmp_path):
    # Used to abort in makeCanonicalStridedLayoutExpr ("integer overflow in size").
    path = tmp_path / "big.mlir"
    path.write_text(ADD.format(t="4294967296x4294967296xf32"))
    err = child_tool("mlax-opt", [path, "--pipeline=cpu"], expect_rc=1)
    assert err.startswith(f"{path}:1:18: error: a shape of 4294967296x4294967296 elements: "
                          "more than 2**63 - 1\n")


def test_array_larger_than_int64_bytes_is_an_error_at_the_argument(tmp_path, capsys):
    # 2**62 elements count in int64, 2**64 bytes do not: mlax-verify catches it.
    path = tmp_path / "big.mlir"
    path.write_text(ADD.format(t="2147483648x2147483648xf32"))
    code, _, err = tool(opt.main, [path, "--pipeline=cpu"], capsys)
    assert code == 1 and err.startswith(f"{path}:1:14: error: 'func.func' op argument #0: "
                                        "tensor<2147483648x2147483648xf32> is larger than "
                                        "2**63 - 1 bytes")


def test_largest_array_compiles_and_one_element_more_does_not(tmp_path, capsys):
    # f32[2**61 - 1] is 2**63 - 4 bytes: JAX compiles f32[2**60] and rejects f32[2**61].
    ok, bad = tmp_path / "ok.mlir", tmp_path / "bad.mlir"
    ok.write_text(ADD.format(t="2305843009213693951xf32"))
    bad.write_text(ADD.format(t="2305843009213693952xf32"))
    assert tool(opt.main, [ok, "--pipeline=cpu"], capsys)[0] == 0
    code, _, err = tool(opt.main, [bad], capsys)
    assert code == 1 and "larger than 2**63 - 1 bytes" in err


def test_overflowing_argument_spec_points_into_the_spec():
    # Used to abort in the CPU pipeline like the .mlir case above.
    err = child_tool("mlax-compile", [f"{LINREG}:predict", "--arg", "f32[4294967296,4294967296]",
                                      "--arg", "f32[4294967296]", "--arg", "f32[3,4294967296]",
                                      "--emit", "llvm"], expect_rc=1)
    assert err.startswith("mlax-compile: error: bad argument spec 'f32[4294967296,4294967296]': "
                          "an array of 4294967296x4294967296 elements of 4 bytes is larger than "
                          "2**63 - 1 bytes\n  f32[4294967296,4294967296]\n  ^\n")


def test_dimension_beyond_int64_in_a_spec(capsys):
    # Used to be a binding TypeError from RankedTensorType.get.
    code, _, err = tool(driver.main, [f"{LINREG}:scale", "--arg", "f32[99999999999999999999]",
                                      "--static", "factor=2", "--emit", "mlax"], capsys)
    assert code == 1
    assert err == ("mlax-compile: error: bad argument spec 'f32[99999999999999999999]': "
                   "dimension 99999999999999999999 does not fit in int64\n"
                   "  f32[99999999999999999999]\n      ^\n")


# ---------------------------------------------------------------------------------------
# Bad CPU names, features and triples

@pytest.mark.parametrize("args, message", [
    (["--cpu", "pentium-9000"], "unknown CPU 'pentium-9000' for x86_64-"),
    (["--cpu", "i386"], "with CPU 'i386': 64-bit code requested on a subtarget that doesn't "
                        "support it!"),
    (["--cpu-features=garbage"], "bad CPU feature 'garbage' in 'garbage': features are +name "
                                 "or -name"),
    (["--cpu-features=+avx2,"], "bad CPU feature '' in '+avx2,'"),
    (["--cpu-features=-sse2"], "features '-sse2': "),
    (["--cpu-features=+neno"], "unknown CPU feature 'neno'"),
    (["--target-triple", "aarch64-linux-gnu", "--cpu", "haswell"],
     "unknown CPU 'haswell' for aarch64-linux-gnu"),
])
def test_bad_target_is_a_usage_error(args, message):
    # Each used to end in an LLVM assertion or fatal error (or, for +neno, a warning).
    if "haswell" not in args and not os.uname().machine == "x86_64":
        pytest.skip("x86 CPU names")
    err = child_tool("mlax-compile", [os.path.join(ROOT, "test", "driver", "cross-target.mlir"),
                                      "--emit", "obj", "-o", os.devnull, *args], expect_rc=2)
    assert err.startswith("mlax-compile: error: ") and message in err, err


def test_unknown_cpu_suggests_close_names():
    from mlax.backends.cpu import codegen
    problem = codegen.probe_target("x86_64-unknown-linux-gnu", "haswel", "")
    assert problem.startswith("unknown CPU 'haswel' for x86_64-unknown-linux-gnu; did you mean "
                              "'haswell'")


def test_cross_triple_gets_its_own_default_cpu(capsys, tmp_path):
    # "generic" is not an NVPTX CPU: LLVM used to warn three times.
    code, out, err = tool(driver.main, [os.path.join(ROOT, "test", "driver", "cross-target.mlir"),
                                        "--emit", "asm", "--target-triple",
                                        "nvptx64-nvidia-cuda"], capsys)
    assert code == 0 and err == "" and ".target sm_" in out


# ---------------------------------------------------------------------------------------
# Deep nesting

def _deep_regions(n):
    return ('func.func @f() {\n' + '"scf.execute_region"() ({\n' * n + 'scf.yield\n'
            + '}) : () -> ()\n' * n + 'return\n}\n')


@pytest.mark.parametrize("name", ["mlax-opt", "mlax-compile"])
def test_input_nested_3000_deep_is_an_error_at_the_bracket(tmp_path, name):
    # Used to overflow the parser's stack (SIGSEGV).
    path = tmp_path / "deep.mlir"
    path.write_text(_deep_regions(3000))
    err = child_tool(name, [path], expect_rc=1)
    assert err.startswith(f"{path}:129:25: error: brackets nested more than 256 deep")


def test_nesting_limit_counts_brackets_outside_strings_and_comments(tmp_path, capsys):
    ok = 'func.func @f() attributes {a = ' + '[' * 255 + ']' * 255 + ', s = "((((((((",' \
         ' t = "' + '(' * 300 + '"} {\n  // ' + '{' * 300 + '\n  return\n}\n'
    path = tmp_path / "ok.mlir"
    path.write_text(ok)
    assert tool(opt.main, [path], capsys)[0] == 0
    path.write_text(ok.replace("[" * 255, "[" * 256).replace("]" * 255, "]" * 256))
    code, _, err = tool(opt.main, [path], capsys)
    assert code == 1 and f"{path}:1:287: error: brackets nested more than 256 deep" in err


def test_array_attribute_of_index_elements_is_an_error_at_the_attribute(tmp_path):
    # MLIR 22's parser asserts on it (getIntOrFloatBitWidth of index); in a string it is fine.
    path = tmp_path / "a.mlir"
    path.write_text('func.func @f() attributes {s = "array<index: 1>", a = array<index: 1>} {\n'
                    '  return\n}\n')
    err = child_tool("mlax-opt", [path], expect_rc=1)
    assert err.startswith(f"{path}:1:55: error: array attributes of index elements are not "
                          "supported (element types: i1, i8, i16, i32, i64, f32, f64)")


def test_huge_result_number_is_an_error_at_the_use(tmp_path):
    # The parser allocated 2**31 placeholders first: "LLVM ERROR: out of memory".
    path = tmp_path / "r.mlir"
    path.write_text(ADD.format(t="3xf32").replace("return %0 :", "return %0#2147483648 :"))
    err = child_tool("mlax-opt", [path], expect_rc=1)
    assert err.startswith(f"{path}:3:10: error: result number 2147483648 is out of range")


def test_spec_nested_deeper_than_python_recursion(capsys):
    spec = "(" * 100000 + "f32" + ")" * 100000
    code, _, err = tool(driver.main, [f"{LINREG}:scale", "--arg", spec, "--static",
                                      "factor=2"], capsys)
    assert code == 1 and "nested more than 100 deep" in err


# ---------------------------------------------------------------------------------------
# Element types, dynamic shapes, encodings

@pytest.mark.parametrize("element", ["complex<f16>", "f8E4M3FN", "index", "i7"])
def test_element_type_without_a_dtype_is_an_error_at_the_op(tmp_path, capsys, element):
    # Used to print the walk callback's Python traceback.
    path = tmp_path / "t.mlir"
    path.write_text(ADD.format(t=f"3x{element}"))
    code, _, err = tool(opt.main, [path], capsys)
    assert code == 1
    assert err.startswith(f"{path}:2:8: error: 'mlax.add' op operand #0 has type "
                          f"tensor<3x{element}>: mlax has no dtype for MLIR element type {element}")


def test_dynamic_shape_is_rejected_by_mlax_verify(tmp_path, capsys):
    # Used to pass mlax-verify and fail in lowering with a tensor.empty error.
    path = tmp_path / "t.mlir"
    path.write_text(ADD.format(t="?xf32"))
    code, _, err = tool(opt.main, [path, "--pipeline=cpu"], capsys)
    assert code == 1
    assert err.startswith(f"{path}:2:8: error: 'mlax.add' op operand #0 has type "
                          "tensor<?xf32> of dynamic shape; mlax shapes are static\n")


@pytest.mark.parametrize("signature, message", [
    ("%p: i32, %x: tensor<4xf32>", "argument #0 has type i32; mlax values are ranked tensors"),
    ("%x: tensor<4xf32>, %y: tensor<?xf32>", "argument #1 has type tensor<?xf32> of dynamic "
                                             "shape; mlax shapes are static"),
])
def test_entry_point_of_a_type_mlax_cannot_pass(tmp_path, capsys, signature, message):
    # Used to be "internal error: AttributeError: 'IntegerType' object has no attribute 'shape'".
    path = tmp_path / "entry.mlir"
    path.write_text(f"func.func @f({signature}) -> tensor<4xf32> {{\n"
                    "  return %x : tensor<4xf32>\n}\n")
    code, _, err = tool(driver.main, [path, "--emit", "llvm"], capsys)
    assert code == 1 and err.startswith(f"{path}:1:1: error: entry point @f: {message}\n")


NOT_UTF8 = b'func.func @f() {\n  return // caf\xe9\n}\n'


@pytest.mark.parametrize("main", [opt.main, driver.main])
def test_file_that_is_not_utf8_is_an_error_at_the_byte(tmp_path, capsys, main):
    # Used to be "internal error: UnicodeDecodeError".
    path = tmp_path / "latin1.mlir"
    path.write_bytes(NOT_UTF8)
    code, _, err = tool(main, [path], capsys)
    assert code == 1 and err.startswith(f"{path}:2:16: error: invalid UTF-8 (byte 0xe9)")


@pytest.mark.parametrize("name", ["mlax-opt", "mlax-compile"])
def test_stdin_that_is_not_utf8_is_an_error_at_the_byte(name):
    # Used to be "internal error: TypeError" from the parse binding.
    err = child_tool(name, ["-"], expect_rc=1, stdin=NOT_UTF8)
    assert err.startswith("<stdin>:2:16: error: invalid UTF-8 (byte 0xe9)")


def test_long_lines_are_quoted_around_the_caret():
    quoted = opt.quote_line("x" * 1000 + "^here" + "y" * 1000, 1001)
    text, caret = quoted.splitlines()
    assert len(text) == opt.QUOTE_WIDTH + 6 and text.startswith("...")
    assert text[len(caret) - 1:].startswith("^here")


def test_exception_in_a_walk_callback_keeps_only_its_message():
    from mlax.passes import _unwrap_callback_error
    e = RuntimeError('Exception raised in callback: Traceback (most recent call last):\n'
                     '  File "x.py", line 3, in visit\n    raise PassError(msg)\n'
                     'mlax.passes.PassError: f.mlir:2:8: error: bad\n  detail')
    assert str(_unwrap_callback_error(e)) == "f.mlir:2:8: error: bad\n  detail"
    e = RuntimeError('Exception raised in callback: Traceback (most recent call last):\n'
                     '  File "x.py", line 3, in visit\nKeyError: \'x\'')
    assert str(_unwrap_callback_error(e)) == "KeyError: 'x'"


# ---------------------------------------------------------------------------------------
# Mutation fuzzing

def _fuzz_tools():
    spec = importlib.util.spec_from_file_location(
        "fuzz_tools", os.path.join(ROOT, "scripts", "fuzz_tools.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mutated_inputs_never_crash_the_tools():
    """A short seeded fuzzing session (scripts/fuzz_tools.py runs long ones)."""
    fuzz = _fuzz_tools()
    found = fuzz.fuzz(seed=0, iterations=500, timeout=120, contract_only=True)
    report = []
    for key, examples in found.items():
        kind, case, result = examples[0]
        report.append(f"{key}\n  {case['tool']} {' '.join(case['argv'])[:300]} "
                      f"(from {case['seed']})\n  {result['stderr'][-1500:]}")
    assert not found, "\n\n".join(report)
