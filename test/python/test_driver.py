"""mlax-compile: argument specs, exit codes and diagnostics, outputs, and the seeds' linear
regression compiled to a module and trained with in a fresh interpreter."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mlax.tools import driver, driver_specs
from mlax.runtime import aot
from mlax.runtime import tpu as tpu_runtime
from mlax.stages import ShapeDtypeStruct

INPUTS = os.path.join(os.path.dirname(__file__), os.pardir, "driver", "Inputs")
LINREG = os.path.abspath(os.path.join(INPUTS, "linreg.py"))
INVALID = os.path.abspath(os.path.join(INPUTS, "invalid.mlir"))
PREDICT_ARGS = ["--arg", "f32[10,5]", "--arg", "f32[5]", "--arg", "f32[20,10]"]
F32 = np.dtype(np.float32)
BROKEN_LINE = 1 + open(LINREG).read().splitlines().index(
    "    return jnp.dot(x, x[:3])   # shapes do not line up")


def run(args, capsys):
    code = driver.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------
# Argument specs

@pytest.mark.parametrize("text, want", [
    ("f32[20,10]", ShapeDtypeStruct((20, 10), F32)),
    ("i32[]", ShapeDtypeStruct((), np.int32)),
    ("bool", ShapeDtypeStruct((), np.bool_)),
    (" u8 [ 3 ] ", ShapeDtypeStruct((3,), np.uint8)),
    ("float16[2,0]", ShapeDtypeStruct((2, 0), np.float16)),
    ('{"W": f32[10,5], "b": f32[5]}', {"W": ShapeDtypeStruct((10, 5), F32),
                                       "b": ShapeDtypeStruct((5,), F32)}),
    ("{w: f32[2], 3: i8[1]}", {"w": ShapeDtypeStruct((2,), F32), 3: ShapeDtypeStruct((1,), np.int8)}),
    ("(f32[3], [i32[], None])", (ShapeDtypeStruct((3,), F32), [ShapeDtypeStruct((), np.int32), None])),
    ("(f32[3],)", (ShapeDtypeStruct((3,), F32),)),
    ("(f32[3])", ShapeDtypeStruct((3,), F32)),
    ("[]", []),
])
def test_parse_spec(text, want):
    assert driver_specs.parse_spec(text) == want


@pytest.mark.parametrize("text, message, pos", [
    ("f32[20,x]", "expected a non-negative integer dimension", 7),
    ("f33[2]", "unknown dtype 'f33'", 0),
    ("f32[2", "expected ']' at the end", 5),
    ("(f32[2] f32[3])", "expected ',' or ')'", 8),
    ("{'a' f32[2]}", "expected ':'", 5),
    ("f32[2] extra", "unexpected 'e'", 7),
    ("", "expected a spec such as f32[2,3]", 0),
])
def test_bad_spec_points_at_the_problem(text, message, pos):
    with pytest.raises(driver_specs.SpecError) as e:
        driver_specs.parse_spec(text)
    assert message in str(e.value) and e.value.pos == pos


# ---------------------------------------------------------------------------------------
# Exit codes and diagnostics

@pytest.mark.parametrize("args, message", [
    ([], "no input"),
    ([LINREG], "name the function to compile"),
    ([LINREG + ":predict", "--emit", "bitcode"], "unknown --emit stage 'bitcode'"),
    ([LINREG + ":predict", "--target", "cuda", "--chip", "sm_1"], "unknown GPU chip 'sm_1'"),
    ([LINREG + ":predict", "--target", "tpu", "--cpu", "znver4"],
     "the tpu backend takes no --target-triple, --cpu or --cpu-features"
     if tpu_runtime.available() is None else "pip install 'mlax[tpu]'"),
    ([LINREG + ":predict", "--target", "gpu"], "Unknown backend 'gpu'"),
    ([LINREG + ":predict", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["missing.py:f"], "cannot open input file 'missing.py'"),
    ([INVALID, "--arg", "f32[2]"], "are for FILE.py:FUNCTION input"),
    ([LINREG + ":predict,scale", "--fn", "mse"], "--fn mse: not among the functions"),
    ([LINREG + ":predict", "--passes", "no-such-pass"], "invalid --passes pipeline"),
    ([LINREG + ":scale", "--static", "oops"], "--static needs NAME=VALUE"),
])
def test_usage_errors_exit_2(capsys, args, message):
    code, out, err = run(args, capsys)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


@pytest.mark.parametrize("args, expected", [
    ([LINREG + ":nope"] + PREDICT_ARGS,
     ["has no function 'nope' (functions there: broken, mse, mse_seed, predict, pytree_fn, "
      "scale, update_params, update_params_seed)"]),
    ([LINREG + ":predict", "--arg", "f32[10,x]"],
     ["bad argument spec 'f32[10,x]': expected a non-negative integer dimension",
      "  f32[10,x]\n         ^"]),
    ([LINREG + ":broken", "--arg", "f32[4]"],
     [f"{LINREG}:{BROKEN_LINE}: error: tracing broken failed: TypeError: dot_general requires contracting "
      "dimensions to have the same shape", "    return jnp.dot(x, x[:3])"]),
    ([LINREG + ":predict", "--arg", "f32[10,5]", "--arg", "f32[5]"],
     ["tracing predict failed: TypeError:", "missing 1 required positional argument: 'x'"]),
    ([INVALID], ["invalid.mlir:2:8: error: expected 'tensor<8xf32>' but got 'tensor<4xf32>'",
                 '"mlax.add"(%x, %y)']),
    ([LINREG + ":predict", "--arg", "f64[3]"], ["float64 arguments need --x64"]),
])
def test_compile_errors_exit_1_with_the_source_line(capsys, args, expected):
    code, out, err = run(args, capsys)
    assert code == 1, err
    for e in expected:
        assert e in err
    assert "Traceback" not in err and out == ""


def test_import_error_of_the_input_names_its_line(capsys, tmp_path):
    src = tmp_path / "bad_model.py"
    src.write_text("import mlax\n\ndef f(x):\n    return x\n\nundefined_name + 1\n")
    code, _, err = run([f"{src}:f", "--arg", "f32[2]"], capsys)
    assert code == 1
    assert f"{src}:6: error: importing bad_model.py failed: NameError" in err
    assert "undefined_name + 1" in err and "Traceback" not in err


def test_debug_shows_the_traceback(capsys):
    with pytest.raises(TypeError, match="dot_general"):
        driver.main([LINREG + ":broken", "--arg", "f32[4]", "--debug"])


def test_main_guard_does_not_run(capsys):
    # linreg.py raises SystemExit under `if __name__ == "__main__"`.
    code, out, _ = run([LINREG + ":predict", "--emit", "mlax"] + PREDICT_ARGS, capsys)
    assert code == 0 and "func.func @predict" in out


# ---------------------------------------------------------------------------------------
# Outputs

def test_text_stages_and_output_files(capsys, tmp_path):
    code, out, _ = run([LINREG + ":predict", "--emit", "linalg"] + PREDICT_ARGS, capsys)
    assert code == 0 and "linalg.generic" in out and '"mlax.' not in out
    code, _, _ = run([LINREG + ":predict", "--emit", "llvm-ir", "-o", tmp_path / "p.ll"]
                     + PREDICT_ARGS, capsys)
    assert code == 0 and "define void @predict(ptr" in (tmp_path / "p.ll").read_text()
    os.chdir(tmp_path)
    code, _, _ = run([LINREG + ":predict", "--emit", "obj"] + PREDICT_ARGS, capsys)
    assert code == 0 and (tmp_path / "linreg.o").read_bytes()[:4] == b"\x7fELF"


def test_timing_reports_each_stage(capsys):
    code, _, err = run([LINREG + ":predict", "--emit", "asm", "--timing"] + PREDICT_ARGS, capsys)
    assert code == 0
    for stage in ("trace", "mlax-opt", "linalg", "llvm", "asm", "total"):
        assert f"ms  {stage}" in err


def test_output_directory_that_is_not_a_module_is_kept(capsys, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "data.txt").write_text("keep")
    code, _, err = run([LINREG + ":predict", "-o", tmp_path / "mine"] + PREDICT_ARGS, capsys)
    assert code == 1 and "is not a compiled mlax module" in err
    assert (tmp_path / "mine" / "data.txt").read_text() == "keep"


def test_static_and_keyword_arguments(capsys, tmp_path):
    code, _, err = run([LINREG + ":scale", "--arg", "f32[3]", "--static", "factor=2.5",
                        "-o", tmp_path / "scale"], capsys)
    assert code == 0, err
    m = aot.load(tmp_path / "scale")
    assert m.metadata["entries"]["scale"]["static"] == {"factor": "2.5"}
    np.testing.assert_allclose(np.asarray(m.scale(np.array([1, 2, 3], np.float32))), [2.5, 5, 7.5])
    code, _, err = run([LINREG + ":pytree_fn", "--arg", '{"W": f32[3,2], "b": f32[2]}',
                        "--arg", "x=f32[4,3]", "-o", tmp_path / "tree"], capsys)
    assert code == 0, err
    m = aot.load(tmp_path / "tree")
    params = {"W": np.ones((3, 2), np.float32), "b": np.zeros(2, np.float32)}
    out = m.pytree_fn(params, x=np.ones((4, 3), np.float32))
    np.testing.assert_allclose(np.asarray(out["y"]), np.full((4, 2), 3.0))
    with pytest.raises(TypeError, match=r"takes 1 positional argument \(params\) but 2 were given"):
        m.pytree_fn(params, np.ones((4, 3), np.float32))
    with pytest.raises(TypeError, match=r"compiled with keyword arguments \['x'\], got \[\]"):
        m.pytree_fn(params)


def test_mlir_input_module(capsys, tmp_path):
    src = tmp_path / "k.mlir"
    src.write_text(textwrap.dedent("""
        func.func @twice(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<f32>) {
          %0 = "mlax.add"(%x, %x) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
          %1 = "mlax.reduce_sum"(%0) {axes = array<i64: 0>} : (tensor<3xf32>) -> tensor<f32>
          return %0, %1 : tensor<3xf32>, tensor<f32>
        }
        func.func private @helper(%x: tensor<3xf32>) -> tensor<3xf32> {
          return %x : tensor<3xf32>
        }
    """))
    code, _, err = run([src, "-o", tmp_path / "k_mod"], capsys)
    assert code == 0, err
    m = aot.load(tmp_path / "k_mod")
    assert list(m.entries) == ["twice"]
    doubled, total = m.twice(np.array([1, 2, 3], np.float32))
    np.testing.assert_allclose(np.asarray(doubled), [2, 4, 6])
    assert float(total) == 12.0


# ---------------------------------------------------------------------------------------
# Done-when: the seeds' linear regression, compiled, imported in a fresh interpreter,
# trained with.

@pytest.mark.parametrize("update", ["update_params", "update_params_seed"])
def test_train_linear_regression_with_a_compiled_module(capsys, tmp_path, update):
    code, _, err = run([LINREG + ":predict," + update,
                        "--fn", "predict", "--arg", "f32[10,5]", "--arg", "f32[5]",
                        "--arg", "f32[20,10]",
                        "--fn", update, "--args-json", os.path.join(INPUTS, "linreg_args.json"),
                        "-o", tmp_path / "linreg_compiled"], capsys)
    assert code == 0, err
    rng = np.random.default_rng(0)
    W = rng.standard_normal((10, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    x = rng.standard_normal((20, 10)).astype(np.float32)
    y = (x @ W + b + 0.1 * rng.standard_normal((20, 5))).astype(np.float32)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        sys.path.insert(0, {str(tmp_path)!r})
        import linreg_compiled as m
        d = np.load({str(tmp_path / 'data.npz')!r})
        x, y = d["x"], d["y"]
        W_hat, b_hat = np.zeros((10, 5), np.float32), np.zeros(5, np.float32)
        for i in range(101):
            W_hat, b_hat = m.{update}(W_hat, b_hat, x, y, 0.3)
            if i % 25 == 0:
                err = np.asarray(m.predict(W_hat, b_hat, x)) - y
                print(f"loss step {{i}}: {{np.mean(np.sum(err * err, axis=1) / 2):.6f}}")
        np.savez({str(tmp_path / 'trained.npz')!r}, W=np.asarray(W_hat), b=np.asarray(b_hat))
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    losses = [float(line.split(": ")[1]) for line in r.stdout.splitlines()]
    assert len(losses) == 5 and losses[-1] < 0.05 < losses[0] and losses == sorted(losses)[::-1]
    # The same training with jit in this process.
    sys.path.insert(0, INPUTS)
    import linreg
    W_hat, b_hat = np.zeros((10, 5), np.float32), np.zeros(5, np.float32)
    for _ in range(101):
        W_hat, b_hat = getattr(linreg, update)(W_hat, b_hat, x, y, np.float32(0.3))
    trained = np.load(tmp_path / "trained.npz")
    np.testing.assert_allclose(trained["W"], np.asarray(W_hat), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(trained["b"], np.asarray(b_hat), rtol=1e-4, atol=1e-5)


def test_console_script_runs(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "mlax-compile")
    if not os.path.exists(exe):
        pytest.skip("mlax-compile is not installed (pip install -e .)")
    r = subprocess.run([exe, LINREG + ":nope"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "has no function 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--emit" in r.stdout
