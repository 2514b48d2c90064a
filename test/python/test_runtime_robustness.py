"""The runtime's trust in what it loads and keeps: compiled-module metadata checked
against the library, clear errors for malformed modules and settings."""
import json
import shutil

import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import stages
from mlax.runtime import aot
from child import run_case

F32 = np.float32


# ---------------------------------------------------------------------------------------
# Compiled-module metadata: every field that decides how much memory a call reads or
# writes is checked against the library, every field `load` reads is checked for form.

@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    """A module with two entries: double(float32[4,3]) -> float32[4,3] and
    total(float32[4,3], float32[3]) -> (float32[], float32[3])."""
    x = np.ones((4, 3), F32)
    double = mlax.jit(lambda x: x * 2).lower(x).compile()
    total = mlax.jit(lambda x, v: (jnp.sum(x), v + 1)).lower(x, np.ones(3, F32)).compile()
    path = tmp_path_factory.mktemp("mod") / "m"
    stages.save_module(path, {"double": double, "total": total})
    return path


def _edit(src, dst, edit):
    shutil.copytree(src, dst)
    meta = json.loads((dst / aot.METADATA).read_text())
    edit(meta)
    (dst / aot.METADATA).write_text(json.dumps(meta))
    return dst


# Load the edited module and call each entry with arrays of the (edited) metadata's
# shapes: before the checks, an edited output shape made the call write past its buffer.
_LOAD_AND_CALL = '''
import sys
import numpy as np
from mlax.runtime import aot
try:
    m = aot.load(sys.argv[1])
    for name, e in m.entries.items():
        e.flat([np.ones(leaf.shape, leaf.dtype) for leaf in e.inputs])
except aot.ModuleError as err:
    print("ModuleError:", err)
else:
    print("loaded and called")
'''


def _e(meta, name):
    return meta["entries"][name]


def _drop_output(meta):
    e = _e(meta, "total")
    e["outputs"].pop()
    e["out_tree"] = "*"


def _add_input(meta):
    e = _e(meta, "double")
    e["inputs"].append({"shape": [4, 3], "dtype": "float32", "weak": False})
    e["in_tree"]["tuple"][0]["list"].append("*")


TAMPERS = {
    "output shape": (lambda m: _e(m, "double")["outputs"][0].update(shape=[400, 300]),
                     "entries.double.outputs[0].shape"),
    "output dtype": (lambda m: _e(m, "double")["outputs"][0].update(dtype="float64"),
                     "entries.double.outputs[0].dtype"),
    "output rank": (lambda m: _e(m, "total")["outputs"][0].update(shape=[3]),
                    "entries.total.outputs[0].shape"),
    "input shape": (lambda m: _e(m, "double")["inputs"][0].update(shape=[2, 3]),
                    "entries.double.inputs[0].shape"),
    "input dtype": (lambda m: _e(m, "total")["inputs"][1].update(dtype="int8"),
                    "entries.total.inputs[1].dtype"),
    "output count": (_drop_output, "entries.total.outputs"),
    "input count": (_add_input, "entries.double.inputs"),
    "symbol of the other entry": (lambda m: _e(m, "double").update(symbol=_e(m, "total")["symbol"]),
                                  "entries.double.inputs"),
    "symbol outside the module": (lambda m: _e(m, "double").update(symbol="free"),
                                  "entries.double.symbol"),
    "leaf count of out_tree": (lambda m: _e(m, "double").update(out_tree={"tuple": ["*", "*"]}),
                               "entries.double.out_tree"),
    "unknown dtype": (lambda m: _e(m, "double")["outputs"][0].update(dtype="object"),
                      "entries.double.outputs[0].dtype"),
    "negative dimension": (lambda m: _e(m, "double")["inputs"][0].update(shape=[-4, 3]),
                           "entries.double.inputs[0].shape"),
    "library path": (lambda m: m.update(library="../m/libm.so"), "library"),
    "checksum of the library dropped": (lambda m: m.update(files={}), "files"),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_edited_metadata_is_caught(module_dir, tmp_path, case):
    """Tests that an edited metadata field that sizes a call's buffers (or names its code)
    is an error naming the field, never a call that overruns memory."""
    edit, field = TAMPERS[case]
    edited = _edit(module_dir, tmp_path / "m", edit)
    out = run_case(_LOAD_AND_CALL, args=[str(edited)]).stdout
    assert out.startswith("ModuleError:"), out
    assert f"field '{field}'" in out and "mlax_module.json" in out, out


def test_unedited_module_loads_and_runs(module_dir, tmp_path):
    """Tests the control case of the tamper tests: the module as written loads and runs."""
    out = run_case(_LOAD_AND_CALL, args=[str(module_dir)]).stdout
    assert out.strip() == "loaded and called"
    m = aot.load(module_dir)
    x = np.arange(12, dtype=F32).reshape(4, 3)
    np.testing.assert_array_equal(m.double(x), x * 2)


def test_edited_cache_entry_is_recompiled(tmp_path):
    """Tests that a persistent-cache entry whose metadata was edited (an output shape) is
    discarded and recompiled, not run."""
    code = '''
import glob, json, os, sys
import numpy as np
import mlax
from mlax.backends import cache
f = mlax.jit(lambda x: x * 3)
x = np.arange(6, dtype=np.float32)
if sys.argv[1] == "edit":
    f(x)
    [meta_path] = glob.glob(os.path.join(cache.directory(), "*", "mlax_module.json"))
    meta = json.load(open(meta_path))
    [entry] = meta["entries"].values()
    entry["outputs"][0]["shape"] = [6000]
    json.dump(meta, open(meta_path, "w"))
else:
    np.testing.assert_array_equal(f(x), x * 3)
    print(cache.stats["corrupt"], cache.stats["writes"])
'''
    env = {"MLAX_COMPILATION_CACHE_DIR": str(tmp_path / "cache")}
    run_case(code, env=env, args=["edit"])
    assert run_case(code, env=env, args=["use"]).stdout.split() == ["1", "1"]


# ---------------------------------------------------------------------------------------
# Settings are checked when they are set.

@pytest.mark.parametrize("name,value,match", [
    ("compilation_cache_dir", 3, "'compilation_cache_dir' must be None or a directory path"),
    ("jax_compilation_cache_dir", ["/tmp"], "must be None or a directory path"),
    ("eager_cache_size", 0, "'eager_cache_size' must be a positive integer"),
    ("jit_cache_size", "10", "'jit_cache_size' must be a positive integer"),
    ("jax_platform_name", 3, "'jax_platform_name' must be None or a string"),
])
def test_config_values_are_checked_on_update(name, value, match):
    """Tests that a config value of the wrong kind is refused by update, naming the option,
    and leaves the setting as it was."""
    before = mlax.config.read(name)
    with pytest.raises(ValueError, match=match):
        mlax.config.update(name, value)
    assert mlax.config.read(name) == before


def test_config_names_and_flags_as_in_jax(tmp_path):
    """Tests JAX's spellings: the jax_ prefix is optional, an unknown option is an
    AttributeError, boolean options keep the truth value of what they are given."""
    with pytest.raises(AttributeError, match="Unrecognized config option: jax_no_such"):
        mlax.config.update("jax_no_such", 1)
    try:
        mlax.config.update("jax_compilation_cache_dir", tmp_path)
        assert mlax.config.read("compilation_cache_dir") == str(tmp_path)
    finally:
        mlax.config.update("compilation_cache_dir", None)
    try:
        mlax.config.update("jax_enable_x64", 1)
        assert mlax.config.x64_enabled is True
    finally:
        mlax.config.update("jax_enable_x64", False)


# ---------------------------------------------------------------------------------------
# Bounded caches

@pytest.fixture
def cache_sizes():
    saved = {n: mlax.config.read(n) for n in ("eager_cache_size", "jit_cache_size")}
    yield mlax.config.update
    for n, v in saved.items():
        mlax.config.update(n, v)


def test_eager_cache_is_bounded(cache_sizes):
    """Tests that eager execution keeps at most eager_cache_size compiled ops, and that an
    evicted op compiles again and gives the right values."""
    from mlax import eager
    mlax.clear_caches()    # other tests may have compiled these signatures already
    cache_sizes("eager_cache_size", 3)
    xs = [np.arange(n, dtype=F32) for n in range(1, 7)]
    for x in xs:
        np.testing.assert_array_equal(jnp.asarray(x) * 2, x * 2)
        assert len(eager._cache) <= 3
    np.testing.assert_array_equal(jnp.asarray(xs[0]) * 2, xs[0] * 2)


def test_jit_cache_is_bounded_and_frees_what_it_drops(cache_sizes):
    """Tests that a jitted function keeps at most jit_cache_size signatures, that a dropped
    executable is freed, and that its signature compiles again (hot path included)."""
    import gc
    import weakref
    cache_sizes("jit_cache_size", 2)
    f = mlax.jit(lambda x: x + 1)
    first = jnp.arange(1.0)
    np.testing.assert_array_equal(f(first), [1.0])
    [(entry, _)] = f._fast.values()
    exe = weakref.ref(entry.exe)
    for n in range(2, 6):
        np.testing.assert_array_equal(f(jnp.arange(float(n))), np.arange(n) + 1)
        assert len(f._cache) <= 2
    gc.collect()
    assert exe() is None
    np.testing.assert_array_equal(f(first), [1.0])


# ---------------------------------------------------------------------------------------
# jit caches on the function object, as JAX does

_JIT_CACHING = '''
import functools, gc, weakref
import numpy as np
g = 1.0
def f(x):
    return x + g
def h(x, n):
    return x * n + g
x = np.ones(2, np.float32)
out = [jax.jit(f)(x)]
g = 10.0
out.append(jax.jit(f)(x))                              # a fresh jit of the same f
out.append(jax.jit(f, static_argnums=())(x))           # the same options, spelled apart
out.append(jax.jit(h, static_argnums=1)(x, 2))
g = 100.0
out.append(jax.jit(h, static_argnums=1)(x, 2))
out.append(jax.jit(h, static_argnames="n")(x, n=2))    # called by keyword: a new signature
out.append(jax.jit(h)(x, 2))                           # other options: traced again
p = functools.partial(h, n=3)
out.append(jax.jit(p)(x))
g = 7.0
out.append(jax.jit(p)(x))
out.append(jax.jit(functools.partial(h, n=3))(x))      # another partial object
class A:
    def m(self, x):
        return x + g
a = A()
out.append(jax.jit(a.m)(x))
g = 8.0
out.append(jax.jit(a.m)(x))                            # bound methods are new objects
def k(x):
    return x * 2
jk = jax.jit(k)
jk(x)
alive = weakref.ref(k)
del k
gc.collect()
out.append(float(alive() is not None))
del jk
gc.collect()
out.append(float(alive() is not None))
result = [float(np.asarray(o).ravel()[0]) for o in out]
'''


def test_jit_caches_on_the_function_object_as_jax():
    """Tests that jit(f) made afresh reuses f's compiled code (seeing a changed global only
    as JAX does), per jit options and call signature, and keeps f alive only while a jit
    of it lives: the same values as JAX for the same steps."""
    jax = pytest.importorskip("jax")
    mine, theirs = {"jax": mlax}, {"jax": jax}
    exec(_JIT_CACHING, mine)
    exec(_JIT_CACHING, theirs)
    assert mine["result"] == theirs["result"]
    assert mine["result"][:2] == [2.0, 2.0]          # the second jit did not trace again


def test_jit_retraces_when_x64_changes():
    """Tests that a jitted function's cache is keyed on jax_enable_x64: its constants and
    Python scalars change dtype with it, as in JAX."""
    f = mlax.jit(lambda x: x + jnp.arange(2.0))
    x = jnp.ones(2)
    assert f(x).dtype == np.float32
    try:
        mlax.config.update("jax_enable_x64", True)
        assert f(x).dtype == np.float64
    finally:
        mlax.config.update("jax_enable_x64", False)
    assert f(x).dtype == np.float32


# ---------------------------------------------------------------------------------------
# Static arguments of a jit under transforms: arguments a transform passes through are
# concrete to the function, as in JAX.

def _power(x, n):
    return x ** n


def _power_kw(x, *, n):
    return x ** n


def _branchy(x, n):
    if n > 2:                    # Python control flow on an argument grad passes through
        return (x * n).sum()
    return x.sum()


_XS = np.arange(1.0, 4.0, dtype=F32)

STATIC_UNDER_TRANSFORMS = {
    "grad(jit static_argnums)": lambda jax: jax.grad(jax.jit(_power, static_argnums=1))(2.0, 3),
    "grad(jit static_argnames) positional":
        lambda jax: jax.grad(jax.jit(_power, static_argnames="n"))(2.0, 3),
    "grad(jit static_argnames) keyword":
        lambda jax: jax.grad(jax.jit(_power, static_argnames="n"))(2.0, n=3),
    "grad(jit keyword-only static)":
        lambda jax: jax.grad(jax.jit(_power_kw, static_argnames="n"))(2.0, n=3),
    "value_and_grad(jit static)":
        lambda jax: jax.value_and_grad(jax.jit(_power, static_argnums=1))(2.0, 3),
    "grad, Python control flow": lambda jax: jax.grad(_branchy)(_XS, 3),
    "grad, new value of the argument": lambda jax: jax.grad(_branchy)(_XS, 1),
    "vmap(jit static), in_axes None":
        lambda jax: jax.vmap(jax.jit(_power, static_argnums=1), in_axes=(0, None))(_XS, 2),
    "jit(grad) static": lambda jax: jax.jit(jax.grad(_power), static_argnums=1)(2.0, 3),
    "jit(grad(jit static)) static":
        lambda jax: jax.jit(jax.grad(jax.jit(_power, static_argnums=1)), static_argnums=1)(2.0, 3),
    "jacfwd(jit static)": lambda jax: jax.jacfwd(jax.jit(_power, static_argnums=1))(_XS, 2),
    "jacrev(jit static)": lambda jax: jax.jacrev(jax.jit(_power, static_argnums=1))(_XS, 2),
    "grad(vmap(jit static))": lambda jax: jax.grad(lambda x, n: jax.vmap(
        jax.jit(_power, static_argnums=1), in_axes=(0, None))(x, n).sum())(_XS, 2),
}


@pytest.mark.parametrize("case", list(STATIC_UNDER_TRANSFORMS))
def test_static_arguments_under_transforms(case):
    """Tests that a jit's static argument, passed through grad/vmap/jacfwd/jacrev, is the
    concrete value it is in JAX, with JAX's results."""
    jax = pytest.importorskip("jax")
    fn = STATIC_UNDER_TRANSFORMS[case]
    want = jax.tree_util.tree_leaves(fn(jax))
    got = mlax.tree_leaves(fn(mlax))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-6)


@pytest.mark.parametrize("case", ["mapped static", "traced static"])
def test_static_argument_that_is_traced_is_an_error(case):
    """Tests the cases JAX refuses too: a static argument that vmap maps, or that an
    enclosing jit traces."""
    if case == "mapped static":
        with pytest.raises(ValueError, match="vmap was requested to map its argument n"):
            mlax.vmap(mlax.jit(_power, static_argnums=1))(_XS, 2)
    else:
        with pytest.raises(ValueError, match="Static argument 'n' is a traced value"):
            mlax.jit(mlax.grad(mlax.jit(_power, static_argnums=1)))(2.0, 3)


# ---------------------------------------------------------------------------------------
# Errors that say what is wrong

MALFORMED = {
    "no library field": (lambda m: m.pop("library"), "field 'library' is missing"),
    "library not a string": (lambda m: m.update(library=3), "field 'library' must be a string"),
    "no entries": (lambda m: m.pop("entries"), "field 'entries' is missing"),
    "entries a list": (lambda m: m.update(entries=[]), "field 'entries' must be an object"),
    "entry without inputs": (lambda m: _e(m, "double").pop("inputs"),
                             "field 'entries.double.inputs' is missing"),
    "shape not a list": (lambda m: _e(m, "double")["inputs"][0].update(shape="4,3"),
                         "field 'entries.double.inputs[0].shape' must be an array"),
    "in_tree without its kwargs": (lambda m: _e(m, "double").update(in_tree={"list": ["*"]}),
                                   "field 'entries.double.in_tree' must be the structure"),
    "out_tree not a tree": (lambda m: _e(m, "total").update(out_tree={"set": ["*", "*"]}),
                            "field 'entries.total.out_tree' is not a pytree structure"),
    "checksum not a digest": (lambda m: m["files"].update({m["library"]: "abc"}),
                              "must be a SHA-256 digest"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_metadata_names_the_file_and_field(module_dir, tmp_path, case):
    """Tests that a missing or malformed metadata field is a ModuleError naming the
    metadata file and the field (not a KeyError or TypeError from inside the loader)."""
    edit, message = MALFORMED[case]
    edited = _edit(module_dir, tmp_path / "m", edit)
    with pytest.raises(aot.ModuleError) as info:
        aot.load(edited)
    assert message in str(info.value) and str(edited / aot.METADATA) in str(info.value)


def test_non_native_byte_order_is_named(module_dir):
    """Tests that a big-endian array given for a float32 input is refused with a message
    that names the byte order (it read 'expected float32[4,3], got float32[4,3]'), and
    that jit refuses it with a TypeError, as JAX does."""
    x = np.arange(12, dtype=">f4").reshape(4, 3)
    with pytest.raises(TypeError, match=r"expected float32\[4,3\], got big-endian float32\[4,3\]"):
        aot.load(module_dir).double(x)
    with pytest.raises(TypeError, match=r"dtype >f4 \(float32 in non-native byte order\)"):
        mlax.jit(lambda x: x * 2)(x)
    jax = pytest.importorskip("jax")
    with pytest.raises(TypeError):
        jax.jit(lambda x: x * 2)(x)
    np.testing.assert_array_equal(aot.load(module_dir).double(x.astype(F32)), x * 2)


def test_retained_executables_are_small():
    """Tests that each compiled function kept alive costs tens of KB of memory, not the
    ~3 MB an ExecutionEngine per function held (its own JIT, target machine and copies of
    the runtime libraries)."""
    out = run_case('''
import gc, resource
import numpy as np
import mlax
from mlax import numpy as jnp

def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))

x = np.ones(8, np.float32)
keep = []
def compile_some(n, base):
    for i in range(n):
        f = mlax.jit(lambda x, c=float(base + i): jnp.sin(x) * c + 1.5)
        np.testing.assert_allclose(f(x), np.sin(x) * np.float32(base + i) + 1.5, rtol=1e-6)
        keep.append(f)
compile_some(10, 0)
gc.collect()
before = rss_kb()
compile_some(40, 100)
gc.collect()
print((rss_kb() - before) / 40)
''')
    assert float(out.stdout) < 400, f"{float(out.stdout):.0f} KB per executable"
