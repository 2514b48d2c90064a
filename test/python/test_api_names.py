"""JAX's everyday API names in mlax: every public name of jax 0.10.2's modules is either
implemented or raises NotImplementedError naming it; the single names (test_util,
flatten_util, linear_transpose, eval_shape, checkpoint, dtypes, typing, Precision, config
contexts, scalar types, Array, Tracer, Device) checked against JAX."""
import importlib
import warnings

import numpy as np
import pytest

import mlax
from mlax import api_names, lax
from mlax import numpy as jnp

# The mlax module answering for each JAX module (the same dotted name under mlax, but for
# jax.nn.initializers).
_MLAX_MODULE = {"jax": "mlax", "jax.nn.initializers": "mlax.nn.initializers"}


def _mlax_module(jax_module):
    name = _MLAX_MODULE.get(jax_module, "mlax" + jax_module[len("jax"):])
    return importlib.import_module(name)


def _status(module, jax_module, name):
    try:
        getattr(module, name)
    except NotImplementedError as e:
        assert str(e) == f"mlax does not implement {jax_module}.{name} yet"
        return "missing"
    return "implemented"


@pytest.mark.parametrize("jax_module", sorted(api_names.NAMES))
def test_every_jax_name_is_implemented_or_named_as_missing(jax_module):
    module = _mlax_module(jax_module)
    counts = {"implemented": 0, "missing": 0}
    for name in sorted(api_names.NAMES[jax_module]):
        counts[_status(module, jax_module, name)] += 1
    print(f"{jax_module}: {counts['implemented']} implemented, {counts['missing']} not yet")
    with pytest.raises(AttributeError, match="has no attribute"):
        getattr(module, "surely_not_a_jax_name")


def test_names_file_matches_installed_jax():
    """The stored names are jax 0.10.2's (the oracle the tests use); with that jax installed,
    scripts/jax_api_names.py finds the same names."""
    J = pytest.importorskip("jax")
    assert api_names.JAX_VERSION == J.__version__ == "0.10.2"
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
    try:
        gen = importlib.import_module("jax_api_names")
    finally:
        sys.path.pop(0)
    for jax_module in ("jax.numpy", "jax.lax", "jax.scipy.special", "jax.nn"):
        importlib.import_module(jax_module)
        assert set(gen.public_names(sys.modules[jax_module])) == api_names.NAMES[jax_module]


def test_missing_names_in_code():
    with pytest.raises(NotImplementedError, match=r"mlax does not implement jax\.numpy\.einsum_path yet"):
        from mlax.numpy import einsum_path  # noqa: F401
    with pytest.raises(NotImplementedError, match=r"jax\.lax\.conv_general_dilated_local"):
        lax.conv_general_dilated_local
    with pytest.raises(NotImplementedError, match=r"jax\.shard_map"):
        mlax.shard_map(lambda x: x)
    # Submodules load on first use, as `import jax` makes jax.flatten_util usable.
    assert mlax.flatten_util.ravel_pytree is not None
    assert "mlax.example_libraries" in str(mlax.example_libraries)


# -- jax.test_util ------------------------------------------------------------------------

def test_check_grads():
    from mlax.test_util import check_grads
    x, y = np.float32(0.5), np.linspace(-1, 1, 3).astype(np.float32)
    check_grads(lambda x, y: jnp.sin(x) * jnp.exp(y), (x, y), order=2)
    check_grads(lambda x: jnp.tanh(x) ** 2, (y,), order=2, modes=["fwd"], atol=1e-2, rtol=1e-2)
    check_grads(lambda x: jnp.sum(x ** 3), (y,), order=1, modes=["rev", "lin"])

    @mlax.custom_jvp
    def wrong(x):
        return jnp.sin(x)
    wrong.defjvp(lambda p, t: (wrong(p[0]), 2.0 * t[0]))
    for modes in (["fwd"], ["rev"]):
        with pytest.raises(AssertionError):
            check_grads(wrong, (y,), order=1, modes=modes)


# -- jax.flatten_util ---------------------------------------------------------------------

def test_ravel_pytree_matches_jax():
    J = pytest.importorskip("jax")
    from jax.flatten_util import ravel_pytree as jravel
    from mlax.flatten_util import ravel_pytree
    tree = {"a": np.ones((2, 3), np.float32), "b": [np.arange(3, dtype=np.int32), 2.5],
            "c": (np.float16(1.5),)}
    flat, unravel = ravel_pytree(tree)
    jflat, junravel = jravel(tree)
    assert flat.dtype == jflat.dtype and flat.shape == jflat.shape
    np.testing.assert_array_equal(flat, jflat)
    back, jback = unravel(flat), junravel(jflat)
    for x, y in zip(mlax.tree_util.tree_leaves(back), J.tree_util.tree_leaves(jback)):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)
    assert mlax.tree_util.tree_structure(back) == mlax.tree_util.tree_structure(tree)
    with pytest.raises(TypeError, match="expected dtype float32"):
        unravel(flat.astype(np.int32))
    # One dtype: the unravel function keeps the dtype it is given.
    flat, unravel = ravel_pytree([np.ones(2, np.float32), np.zeros((1, 2), np.float32)])
    assert [x.dtype for x in unravel(flat.astype(np.int32))] == [np.int32, np.int32]
    empty, unravel = ravel_pytree({})
    assert empty.shape == (0,) and empty.dtype == np.float32 and unravel(empty) == {}
    # Under jit and grad.
    g = mlax.grad(lambda t: jnp.sum(ravel_pytree(t)[0] ** 2))({"x": jnp.ones(2), "y": 3.0})
    np.testing.assert_allclose(g["x"], [2, 2]) and np.testing.assert_allclose(g["y"], 6)


# -- linear_transpose, eval_shape, named_call, checkpoint -----------------------------------

def test_linear_transpose_matches_jax():
    J = pytest.importorskip("jax")
    m = np.arange(6, dtype=np.float32).reshape(2, 3)

    def f(lib):
        np_ = lib.numpy
        return lambda x, y: (np_.dot(m, x) + 2 * y[0], np_.sum(x) - y / 4 + 1.0)
    x, y = np.ones(3, np.float32), np.ones(2, np.float32)
    ct = (np.array([1.0, -2.0], np.float32), np.array([0.5, 3.0], np.float32))
    got = mlax.linear_transpose(f(mlax), x, y)(ct)
    want = J.linear_transpose(f(J), x, y)(ct)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # Through a nested jit and inside a traced function.
    g = mlax.linear_transpose(mlax.jit(lambda x: jnp.cumsum(x)[::-1] * 3.0), x)
    np.testing.assert_allclose(g(np.arange(3, dtype=np.float32))[0],
                               J.linear_transpose(lambda x: J.numpy.cumsum(x)[::-1] * 3.0, x)(
                                   np.arange(3, dtype=np.float32))[0])
    out = mlax.jit(lambda c: mlax.linear_transpose(lambda v: v * 2.0, x)(c))(x)
    np.testing.assert_allclose(out[0], 2 * x)


@pytest.mark.parametrize("fun,op", [(jnp.sin, "sin"), (lambda x: x * x, "mul"),
                                    (lambda x: jnp.exp(x) + x, "exp"),
                                    (lambda x: 1.0 / x, "div")])
def test_linear_transpose_of_a_nonlinear_function_raises(fun, op):
    with pytest.raises(NotImplementedError, match=f"Transpose rule .* for '{op}' not implemented"):
        mlax.linear_transpose(fun, np.float32(1.0))


def test_linear_transpose_dtype_errors():
    with pytest.raises(TypeError, match="linear_transpose only supports"):
        mlax.linear_transpose(lambda x: x.astype(np.float32), np.int32(1))


def test_eval_shape_matches_jax():
    J = pytest.importorskip("jax")

    def f(lib):
        return lambda x, y: {"s": lib.numpy.sum(x * y, axis=0), "t": (x[0] > 0, y.astype(np.int32) + 1)}
    args = (np.ones((4, 3), np.float32), mlax.ShapeDtypeStruct((3,), np.float32))
    jargs = (args[0], J.ShapeDtypeStruct((3,), np.float32))
    got = mlax.eval_shape(f(mlax), *args)
    want = J.eval_shape(f(J), *jargs)
    for a, b in zip(mlax.tree_util.tree_leaves(got), J.tree_util.tree_leaves(want)):
        assert isinstance(a, mlax.ShapeDtypeStruct)
        assert (a.shape, a.dtype, a.weak_type) == (b.shape, b.dtype, b.weak_type)
    assert mlax.eval_shape(lambda x: x * 2, 3.0).weak_type
    with pytest.raises(TypeError, match="dot_general requires contracting dimensions"):
        mlax.eval_shape(jnp.dot, mlax.ShapeDtypeStruct((2, 3), np.float32),
                        mlax.ShapeDtypeStruct((2, 3), np.float32))


def test_named_call():
    f = mlax.named_call(lambda x: jnp.sin(x) * 2, name="my_block")
    assert "@my_block" in str(mlax.make_ir(lambda x: f(x) + 1)(1.0))
    np.testing.assert_allclose(f(np.float32(0.5)), np.sin(np.float32(0.5)) * 2, rtol=1e-6)
    np.testing.assert_allclose(mlax.grad(f)(0.5), 2 * np.cos(0.5), rtol=1e-6)


def test_checkpoint_values_and_gradients():
    J = pytest.importorskip("jax")

    def g(lib):
        return lambda x, n: lib.numpy.sum(lib.numpy.sin(x) ** n)
    x = np.linspace(0, 1, 5).astype(np.float32)
    for ckpt in (mlax.checkpoint, mlax.remat, mlax.ad_checkpoint.checkpoint):
        f = ckpt(g(mlax), static_argnums=(1,), policy=mlax.checkpoint_policies.nothing_saveable)
        jf = J.checkpoint(g(J), static_argnums=(1,), policy=J.checkpoint_policies.nothing_saveable)
        np.testing.assert_allclose(mlax.grad(f)(x, 3), J.grad(jf)(x, 3), rtol=1e-5)
        np.testing.assert_allclose(mlax.jit(f, static_argnums=1)(x, 2), jf(x, 2), rtol=1e-6)
    h = mlax.checkpoint(lambda x: mlax.ad_checkpoint.checkpoint_name(jnp.cos(x), "c") * x)
    np.testing.assert_allclose(mlax.vmap(mlax.grad(h))(x), J.vmap(J.grad(
        J.checkpoint(lambda x: J.numpy.cos(x) * x)))(x), rtol=1e-6)
    assert set(vars(mlax.checkpoint_policies)) == {n for n in dir(J.checkpoint_policies)
                                                    if not n.startswith("_")}


# -- dtypes, typing, scalar types, Array, Tracer, Device ---------------------------------

def test_dtypes_module_matches_jax():
    J = pytest.importorskip("jax")
    from mlax import dtypes
    assert dtypes.float0 == J.dtypes.float0
    for args in [(1.0, np.int32), (np.int8, np.uint8), (np.float16, 2), (np.bool_, True),
                 (jnp.ones(2, np.int16), 3)]:
        jargs = [J.numpy.ones(2, np.int16) if isinstance(a, mlax.Array) else a for a in args]
        assert dtypes.result_type(*args) == J.dtypes.result_type(*jargs)
    assert dtypes.canonicalize_dtype(np.float64) == J.dtypes.canonicalize_dtype(np.float64)
    assert dtypes.issubdtype(np.float32, np.floating) and not dtypes.issubdtype(np.int32, np.floating)
    key = mlax.random.key(0)
    assert dtypes.issubdtype(key.dtype, dtypes.prng_key)
    assert jnp.issubdtype(key.dtype, dtypes.extended)
    assert not jnp.issubdtype(key.dtype, np.floating) and not dtypes.issubdtype(np.float32, dtypes.prng_key)
    assert dtypes.finfo(np.float32).eps == J.dtypes.finfo(np.float32).eps
    assert dtypes.iinfo(np.int8).min == -128
    assert dtypes.scalar_type_of(jnp.ones(2)) is float and dtypes.scalar_type_of(np.int8(1)) is int
    assert dtypes.itemsize_bits(np.int16) == 16
    assert issubclass(dtypes.TypePromotionError, ValueError)
    assert dtypes.bfloat16 is J.dtypes.bfloat16
    assert dtypes.issubdtype(dtypes.bfloat16, np.floating) and dtypes.finfo(dtypes.bfloat16).bits == 16
    assert dtypes.scalar_type_of(jnp.ones(2, jnp.bfloat16)) is float


def test_typing():
    from mlax.typing import ArrayLike, DTypeLike

    def f(x: ArrayLike, dtype: DTypeLike = None) -> mlax.Array:
        return jnp.asarray(x, dtype)
    assert f(3, np.float32).dtype == np.float32
    assert mlax.Array in ArrayLike.__args__ and np.ndarray in ArrayLike.__args__


def test_scalar_types_are_jax_like():
    J = pytest.importorskip("jax")
    assert jnp.float32.dtype == np.dtype(np.float32)
    x = jnp.float32(3)
    assert isinstance(x, mlax.Array) and x.dtype == np.float32 and not x.weak_type
    assert repr(x) == repr(J.numpy.float32(3))
    np.testing.assert_array_equal(jnp.int32([1, 2]), J.numpy.int32([1, 2]))
    assert jnp.bool_(1).dtype == np.bool_ and jnp.uint8(300 % 256) == 44
    assert jnp.float32 == np.float32 and hash(jnp.float32) == hash(np.float32)
    assert np.dtype(jnp.float16) == np.float16 and jnp.zeros(2, jnp.int8).dtype == np.int8
    assert isinstance(np.float32(1), jnp.float32) and not isinstance(np.float64(1), jnp.float32)
    assert jnp.issubdtype(jnp.float32, jnp.floating) and jnp.finfo(jnp.float32).bits == 32
    assert mlax.jit(lambda x: jnp.float32(x) * 2)(3).dtype == np.float32
    assert jnp.float64(1).dtype == J.numpy.float64(1).dtype     # float32 unless x64


def test_array_and_tracer_types():
    seen = []

    def f(x):
        seen.append((isinstance(x, mlax.Array), isinstance(x, jnp.ndarray),
                     isinstance(x, mlax.core.Tracer), x.aval.shape, x.weak_type))
        return x * 2
    x = jnp.ones(3)
    assert isinstance(x, mlax.Array) and isinstance(x, jnp.ndarray)
    assert not isinstance(x, mlax.core.Tracer) and not isinstance(np.ones(3), mlax.Array)
    assert x.aval.shape == (3,) and x.aval.dtype == np.float32 and not x.aval.weak_type
    assert jnp.asarray(2.0).aval.weak_type and jnp.asarray(2.0).weak_type
    mlax.jit(f)(x)
    mlax.grad(lambda v: f(v).sum())(x)
    mlax.vmap(f)(jnp.ones((2, 3)))
    assert seen and all(s[:3] == (True, True, True) for s in seen)
    assert mlax.jit(f)(2.0).weak_type
    assert isinstance(mlax.devices()[0], mlax.Device)
    assert mlax.devices()[0].platform == "cpu"


# -- Precision ---------------------------------------------------------------------------

def test_precision_is_accepted_everywhere_and_validated_as_jax():
    J = pytest.importorskip("jax")
    P = lax.Precision
    assert [m.name for m in P] == [m.name for m in J.lax.Precision]
    assert P("highest") is P.HIGHEST and P("bfloat16") is P.DEFAULT and P(1) is P.HIGH
    assert str(P.HIGH) == "HIGH" and repr(P.HIGH) == "Precision.HIGH"
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    for prec in [None, "highest", P.HIGH, (P.DEFAULT, P.HIGHEST), ("high", "float32"), "fastest"]:
        want = a @ a.T
        np.testing.assert_allclose(jnp.dot(a, a.T, precision=prec), want)
        np.testing.assert_allclose(jnp.matmul(a, a.T, precision=prec), want)
        np.testing.assert_allclose(jnp.einsum("ij,kj->ik", a, a, precision=prec), want)
        np.testing.assert_allclose(jnp.tensordot(a, a.T, 1, precision=prec), want)
        np.testing.assert_allclose(lax.dot(a, a.T, precision=prec), want)
        np.testing.assert_allclose(lax.dot_general(a, a, (([1], [1]), ([], [])), precision=prec), want)
    for bad in ["bad", 5, ("highest", "bad")]:
        with pytest.raises(ValueError, match="Precision argument must be one of"):
            jnp.dot(a, a.T, precision=bad)
        with pytest.raises(ValueError, match="Precision argument must be one of"):
            lax.dot(a, a.T, precision=bad)
    with pytest.raises(NotImplementedError, match="DotAlgorithmPreset"):
        jnp.dot(a, a.T, precision="F32_F32_F32")
    with mlax.default_matmul_precision("highest"):
        np.testing.assert_allclose(jnp.dot(a, a.T), a @ a.T)
    with mlax.default_matmul_precision("nonsense"):
        with pytest.raises(ValueError, match="jax_default_matmul_precision flag"):
            jnp.dot(a, a.T)


# -- config options and their context managers ---------------------------------------------

def test_threefry_partitionable_context_restores():
    J = pytest.importorskip("jax")
    old = mlax.config.read("jax_threefry_partitionable")
    for flag in (True, False):
        with mlax.threefry_partitionable(flag), J.threefry_partitionable(flag):
            assert mlax.config.jax_threefry_partitionable is flag
            k, jk = mlax.random.split(mlax.random.PRNGKey(7)), J.random.split(J.random.PRNGKey(7))
            np.testing.assert_array_equal(k, jk)
        assert mlax.config.read("jax_threefry_partitionable") == old
    with pytest.raises(RuntimeError):
        with mlax.threefry_partitionable(not old):
            raise RuntimeError
    assert mlax.config.read("jax_threefry_partitionable") == old


def test_rank_promotion_option():
    a, b = jnp.ones((2, 3)), jnp.ones(3)
    assert mlax.config.jax_numpy_rank_promotion == "allow"
    with mlax.numpy_rank_promotion("raise"):
        with pytest.raises(ValueError, match="jax_numpy_rank_promotion='raise'"):
            a + b
        with pytest.raises(ValueError, match=r"\(2, 3\) \(3,\)"):
            mlax.jit(lambda x, y: jnp.where(x > 0, x, y))(a, b)
        assert (a + 1.0).shape == (2, 3) and (a * a).shape == (2, 3)    # scalars, equal ranks
        assert jnp.broadcast_arrays(a, b)[1].shape == (2, 3)            # explicit: allowed
    with mlax.numpy_rank_promotion("warn"):
        with pytest.warns(UserWarning, match="Following NumPy automatic rank promotion"):
            a - b
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(a + b, 2 * np.ones((2, 3)))
    # The option is part of a jitted function's cache key: a trace made under 'allow' is
    # not reused under 'raise'.
    f = mlax.jit(lambda x, y: x + y)
    f(a, b)
    with mlax.numpy_rank_promotion("raise"), pytest.raises(ValueError):
        f(a, b)
    with pytest.raises(ValueError, match="must be in"):
        mlax.config.update("jax_numpy_rank_promotion", "sometimes")


def test_dtype_promotion_option_matches_jax():
    J = pytest.importorskip("jax")
    cases = [(np.float32, 2.0), (np.float32, 2), (np.int32, 2.0), (np.float32, np.float16),
             (np.int32, np.int8), (np.int32, np.float32), (np.bool_, 1), (np.float32, np.float32)]
    with mlax.numpy_dtype_promotion("strict"), J.numpy_dtype_promotion("strict"):
        for t, other in cases:
            a = jnp.ones(2, t)
            b = jnp.ones(2, other) if isinstance(other, type) else other
            ja = J.numpy.ones(2, t)
            jb = J.numpy.ones(2, other) if isinstance(other, type) else other
            try:
                want = ja + jb
            except J.dtypes.TypePromotionError:
                with pytest.raises(mlax.dtypes.TypePromotionError,
                                   match="no available implicit dtype promotion path"):
                    a + b
            else:
                got = a + b
                assert got.dtype == want.dtype, (t, other)
    assert (jnp.ones(2, np.int32) + jnp.ones(2, np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="must be in"):
        mlax.config.update("jax_numpy_dtype_promotion", "loose")


# -- lax.select --------------------------------------------------------------------------

def test_select_with_scalar_predicate_matches_jax():
    J = pytest.importorskip("jax")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    for p in (True, False, np.bool_(True)):
        np.testing.assert_array_equal(lax.select(p, x, -x), J.lax.select(p, x, -x))
        np.testing.assert_array_equal(mlax.jit(lambda p, x: lax.select(p, x, -x))(p, x),
                                      J.lax.select(p, x, -x))
    np.testing.assert_array_equal(mlax.vmap(lambda p, x: lax.select(p, x, -x))(np.array([True, False]), x),
                                  [x[0], -x[1]])
    np.testing.assert_allclose(mlax.grad(lambda x: lax.select(True, x, 2 * x).sum())(x), np.ones((2, 3)))
    with pytest.raises(TypeError, match="must be scalar or have the same shape as cases"):
        lax.select(np.array([True, False]), np.ones(3), np.zeros(3))
    with pytest.raises(TypeError, match="does not accept dtype bool"):
        lax.add(np.ones(2, bool), np.ones(2, bool))


# -- jax.nn.initializers -------------------------------------------------------------------

def test_nn_initializers_module_matches_jax():
    J = pytest.importorskip("jax")
    import jax.nn.initializers as jinit
    import mlax.nn.initializers as init
    from mlax.nn.initializers import glorot_normal  # noqa: F401  (a submodule, as in JAX)
    assert init is mlax.nn.initializers
    old, old_jax = mlax.config.read("jax_threefry_partitionable"), J.config.jax_threefry_partitionable
    try:
        mlax.config.update("jax_threefry_partitionable", True)
        J.config.update("jax_threefry_partitionable", True)
        key, jkey = mlax.random.PRNGKey(3), J.random.PRNGKey(3)
        for make in [lambda m: m.zeros, lambda m: m.ones, lambda m: m.constant(-2.5),
                     lambda m: m.uniform(0.3), lambda m: m.normal(2.0),
                     lambda m: m.truncated_normal(0.5, lower=-1.0, upper=3.0),
                     lambda m: m.variance_scaling(0.7, "fan_out", "uniform", in_axis=(0, 1)),
                     lambda m: m.variance_scaling(1.3, "fan_avg", "normal", batch_axis=0),
                     lambda m: m.xavier_uniform(), lambda m: m.kaiming_normal(),
                     lambda m: m.lecun_uniform(dtype=np.float16)]:
            got, want = make(init)(key, (4, 3, 5)), make(jinit)(jkey, (4, 3, 5))
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert isinstance(init.glorot_uniform(), init.Initializer)
    finally:
        mlax.config.update("jax_threefry_partitionable", old)
        J.config.update("jax_threefry_partitionable", old_jax)
    with pytest.raises(ValueError, match="in_axis explicitly"):
        init.he_uniform()(key, (5,))
    with pytest.raises(ValueError, match="invalid mode"):
        init.variance_scaling(1.0, "fan_sideways", "normal")(key, (2, 2))
    for make, jmake, shape in ((init.orthogonal, jinit.orthogonal, (4, 3, 5)),
                               (init.delta_orthogonal, jinit.delta_orthogonal, (3, 4, 4))):
        np.testing.assert_allclose(make()(key, shape), jmake()(jkey, shape), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at least a 2D shape"):
        init.orthogonal()(key, (3,))
