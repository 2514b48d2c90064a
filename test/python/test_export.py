"""mlax.export against jax.export (jax 0.10): mlax's serialized functions run inside JAX
programs, JAX's run on mlax's tpu platform, the module has jax.export's calling
convention, and bad bytes are ValueErrors, never crashes."""
import re

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("flatbuffers")

import jax.numpy as jjnp  # noqa: E402

import mlax  # noqa: E402
from mlax import export as mexport  # noqa: E402
from mlax import numpy as jnp  # noqa: E402
from mlax.export_flatbuffer import read, write  # noqa: E402

from child import run_case  # noqa: E402


def model(params, x, *, scale):
    h = jnp.tanh(x @ params["w"] + params["b"])
    return {"out": h * scale, "norm": jnp.sum(h * h)}, jnp.argmax(h, axis=1)


def jax_model(params, x, *, scale):
    h = jjnp.tanh(x @ params["w"] + params["b"])
    return {"out": h * scale, "norm": jjnp.sum(h * h)}, jjnp.argmax(h, axis=1)


def _args(seed=0):
    rng = np.random.default_rng(seed)
    params = {"w": rng.standard_normal((5, 3)).astype(np.float32),
              "b": rng.standard_normal(3).astype(np.float32)}
    return params, rng.standard_normal((4, 5)).astype(np.float32), np.float32(0.5)


def _close(got, want):
    got_leaves, want_leaves = jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("platforms", [("tpu", "cpu"), ("cpu",), None])
def test_mlax_export_runs_in_jax(platforms):
    """mlax export -> bytes -> jax.export.deserialize -> called under jax.jit."""
    params, x, scale = _args()
    exp = mexport.export(mlax.jit(model))(params, x, scale=scale) if platforms is None else \
        mexport.export(mlax.jit(model), platforms=platforms)(params, x, scale=scale)
    ours = exp.call(params, x, scale=scale)
    loaded = jax.export.deserialize(bytearray(exp.serialize()))
    assert loaded.platforms == (platforms or ("cpu",))
    assert loaded.in_tree == jax.tree_util.tree_structure(((params, x), {"scale": scale}))
    assert loaded.out_tree == jax.tree_util.tree_structure(jax_model(params, x, scale=scale))
    theirs = jax.jit(loaded.call)(params, x, scale=scale)
    _close(theirs, ours)
    _close(ours, jax_model(params, x, scale=scale))
    # Inside a larger JAX program.
    total = jax.jit(lambda p: loaded.call(p, x, scale=scale)[0]["norm"] + jjnp.sum(p["b"]))
    np.testing.assert_allclose(total(params), float(ours[0]["norm"]) + params["b"].sum(),
                               rtol=1e-6)


@pytest.mark.parametrize("platforms", [("tpu",), ("cpu", "tpu"), ("cpu",)])
def test_jax_export_runs_on_mlax(platforms):
    """jax.export bytes -> mlax.export.deserialize -> run on XLA through mlax's runtime."""
    params, x, scale = _args(1)
    exp = jax.export.export(jax.jit(jax_model), platforms=platforms)(params, x, scale=scale)
    loaded = mexport.deserialize(exp.serialize())
    assert loaded.platforms == platforms
    assert loaded.fun_name == "jax_model"
    assert [(a.shape, a.dtype) for a in loaded.in_avals] == \
        [(a.shape, a.dtype) for a in exp.in_avals]
    got = loaded.call(params, x, scale=scale)
    assert isinstance(got[0]["out"], mlax.Array)
    _close(got, jax_model(params, x, scale=scale))


def loss(params, x):
    return jnp.mean(jnp.tanh(x @ params["w"] + params["b"]) ** 2)


def jax_loss(params, x):
    return jjnp.mean(jjnp.tanh(x @ params["w"] + params["b"]) ** 2)


def test_jax_differentiates_an_mlax_export():
    """serialize(vjp_order=2): jax.grad, and grad of grad, of the loaded function equal
    JAX's own derivatives of the same loss."""
    params, x, _ = _args(2)
    exp = mexport.export(mlax.jit(loss), platforms=("cpu",))(params, x)
    assert exp.has_vjp()
    loaded = jax.export.deserialize(exp.serialize(vjp_order=2))
    assert loaded.vjp().in_tree == jax.tree_util.tree_structure(((0.0,) * 4, {}))
    _close(jax.jit(jax.grad(lambda p: loaded.call(p, x)))(params), jax.grad(jax_loss)(params, x))
    second = jax.grad(lambda p: jax.grad(lambda q: loaded.call(q, x))(p)["b"].sum())
    want = jax.grad(lambda p: jax.grad(jax_loss)(p, x)["b"].sum())
    _close(second(params), want(params))
    with pytest.raises(ValueError, match="No VJP"):
        jax.export.deserialize(exp.serialize()).vjp()
    with pytest.raises(ValueError, match="float0"):
        mexport.export(mlax.jit(lambda v: v * 2))(np.ones(2, np.int32)).serialize(vjp_order=1)


def test_mlax_runs_the_vjp_of_a_jax_export():
    params, x, _ = _args(3)
    exp = jax.export.export(jax.jit(jax_loss), platforms=("tpu",))(params, x)
    loaded = mexport.deserialize(exp.serialize(vjp_order=1))
    got = loaded.vjp().call(params["b"], params["w"], x, np.float32(1.0))
    want = jax.vjp(jax_loss, params, x)[1](np.float32(1.0))
    _close(got, (want[0]["b"], want[0]["w"], want[1]))


def _main_signature(text):
    """@main's line and the module's attributes, without locations or SSA names."""
    module = re.search(r"^module @\S+ attributes (\{.*\})", text, re.M).group(1)
    main = re.search(r"func\.func public @main\((.*)\) -> (.*) \{$", text, re.M)
    args = re.sub(r"%arg\d+: ", "", re.sub(r" loc\([^)]*\)", "", main.group(1)))
    return module, args, main.group(2)


@pytest.mark.parametrize("platforms", [("tpu",), ("tpu", "cpu")])
def test_module_has_jax_exports_calling_convention(platforms):
    params, x, scale = _args()
    ours = mexport.export(mlax.jit(model), platforms=platforms)(params, x, scale=scale)
    theirs = jax.export.export(jax.jit(jax_model), platforms=platforms)(params, x, scale=scale)
    assert _main_signature(ours.mlir_module()) == _main_signature(theirs.mlir_module())
    for attr in ("in_tree", "out_tree", "platforms", "nr_devices", "module_kept_var_idx",
                 "uses_global_constants", "calling_convention_version"):
        assert str(getattr(ours, attr)) == str(getattr(theirs, attr)), attr
    assert [(a.shape, a.dtype) for a in ours.out_avals] == \
        [(a.shape, a.dtype) for a in theirs.out_avals]


def test_exported_fields_and_round_trip():
    exp = mexport.export(mlax.jit(lambda a, b: (a + b, a * 2)))(
        mlax.ShapeDtypeStruct((2, 3), np.float32), np.ones(3, np.int32))
    assert exp.fun_name == "<lambda>"
    assert [(a.shape, str(a.dtype)) for a in exp.in_avals] == [((2, 3), "float32"),
                                                               ((3,), "int32")]
    assert [(a.shape, str(a.dtype)) for a in exp.out_avals] == [((2, 3), "float32"),
                                                                ((2, 3), "float32")]
    assert exp.calling_convention_version == 10
    assert exp.mlir_module_serialized.startswith(b"ML\xefR")
    again = mexport.deserialize(exp.serialize())
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    s, d = again.call(a, np.arange(3, dtype=np.int32))
    np.testing.assert_array_equal(np.asarray(s), a + np.arange(3))
    np.testing.assert_array_equal(np.asarray(d), a * 2)
    assert again.mlir_module() == exp.mlir_module()


def test_usage_errors():
    f = mlax.jit(lambda v: v * 2)
    x = np.ones(3, np.float32)
    with pytest.raises(TypeError, match="mlax.jit"):
        mexport.export(lambda v: v)(x)
    with pytest.raises(ValueError, match="platforms"):
        mexport.export(f, platforms=("cuda",))
    with pytest.raises(NotImplementedError, match="symbolic shapes"):
        mexport.symbolic_shape("b, 3")
    exp = mexport.export(f, platforms=("tpu",))(x)
    with pytest.raises(ValueError, match="pytree structure"):
        exp.call(x, x)
    with pytest.raises(TypeError, match=r"float32\[3\]"):
        exp.call(np.ones(4, np.float32))
    with pytest.raises(NotImplementedError, match="inside a transformation"):
        mlax.jit(exp.call)(x)


def test_jax_symbolic_shapes_are_a_clear_error():
    b, = jax.export.symbolic_shape("b")
    exp = jax.export.export(jax.jit(lambda v: v * 2))(jax.ShapeDtypeStruct((b, 3), np.float32))
    with pytest.raises(ValueError, match="symbolic shape"):
        mexport.deserialize(exp.serialize())


def test_version_incompatible_blob_is_a_value_error():
    """Calling conventions older and newer than JAX 0.10's, in a child process."""
    out = run_case("""
        import numpy as np
        import mlax
        from mlax import export as mexport
        from mlax.export_flatbuffer import read, write
        blob = mexport.export(mlax.jit(lambda v: v + 1), platforms=("tpu",))(
            np.ones(2, np.float32)).serialize()
        for version in (8, 11):
            record = read(blob)
            record.calling_convention_version = version
            try:
                mexport.deserialize(write(record))
            except ValueError as e:
                print(e)
    """)
    lines = out.stdout.strip().splitlines()
    assert "calling convention version 8; mlax runs versions 9 to 10" in lines[0]
    assert "calling convention version 11;" in lines[1]


def test_bad_bytes_are_value_errors_not_crashes(tmp_path):
    """Truncated, bit-flipped and foreign bytes, in a child process (a crash of the
    flatbuffer reader or of jaxlib's bytecode reader would kill it)."""
    out = run_case("""
        import random
        import numpy as np
        import mlax, mlax.numpy as jnp
        from mlax import export as mexport
        f = mlax.jit(lambda x, y: (jnp.sin(x) * y, {"a": x.sum()}))
        x = np.arange(3, dtype=np.float32)
        blob = mexport.export(f, platforms=("tpu", "cpu"))(x, x).serialize()
        rng = random.Random(0)
        cases = [b"", b"garbage", b"\\0" * 64, blob[:40], blob[:-1],
                 blob.replace(b"ML\\xefR", b"XXXX")]
        for i in range(150):
            b = bytearray(blob)
            if i % 2:
                b = b[:rng.randrange(len(b))]
            else:
                for _ in range(rng.randrange(1, 4)):
                    b[rng.randrange(len(b))] = rng.randrange(256)
            cases.append(bytes(b))
        errors = other = ran = 0
        for b in cases:
            try:
                mexport.deserialize(b).call(x, x)
                ran += 1
            except (ValueError, TypeError):
                errors += 1
            except Exception as e:
                other += 1
                print("unexpected", type(e).__name__, e)
        print(errors, other, ran)
    """)
    errors, other, ran = map(int, out.stdout.split()[-3:])
    assert other == 0, out.stdout
    assert errors >= 100


def test_jax_export_is_mlax_export_under_compat():
    out = run_case("""
        import mlax.compat
        mlax.compat.install()
        import jax
        from jax import export
        import mlax.export
        print(export is mlax.export, jax.export.deserialize is mlax.export.deserialize)
    """)
    assert out.stdout.split() == ["True", "True"]
