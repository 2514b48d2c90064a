"""Host callbacks (jax.debug.print / callback, jax.pure_callback, experimental.io_callback)
against JAX: what is printed and called, under jit, vmap, grad and loops; results; errors
raised in the host function surfacing at the call site; modules with callbacks not saved.
Every test runs on the cpu platform and on the tpu platform (XLA's Python-callback custom
call)."""
import contextlib
import io
import os
import threading

import jax
import jax.numpy as jjnp
import numpy as np
import pytest
from jax.experimental import io_callback as jax_io_callback

import mlax
import mlax.numpy as jnp
from mlax.experimental import io_callback


@pytest.fixture(autouse=True, params=["cpu", "tpu"])
def platform(request):
    """The default platform the test's jit and eager calls run on."""
    if request.param == "tpu":
        pytest.importorskip("jaxlib")
    mlax.config.update("jax_platform_name", request.param)
    yield request.param
    mlax.config.update("jax_platform_name", None)


def printed(m, thunk):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        m.block_until_ready(thunk())
    return out.getvalue().splitlines()


def both_print(program, *args):
    """Lines printed by `program(m, np_)(*args)` on mlax and on JAX."""
    got = printed(mlax, lambda: program(mlax, jnp)(*args))
    want = printed(jax, lambda: program(jax, jjnp)(*args))
    return got, want


# -- debug.print ----------------------------------------------------------------------------

PRINTS = {
    "kwargs under jit": lambda m, np_: m.jit(
        lambda x: m.debug.print("x={x} y={y}", x=x, y=np_.sin(x))),
    "positional, static and pytree": lambda m, np_: m.jit(
        lambda x: m.debug.print("{} {} {a[1]} {b}", 3, x, a=(x, x * 2), b={"k": "s"})),
    "no placeholders": lambda m, np_: m.jit(lambda x: m.debug.print("values:", x, 7, skip_format_check=True)),
    "format spec": lambda m, np_: m.jit(lambda x: m.debug.print("{:.3f}", np_.sum(x))),
    "under vmap": lambda m, np_: m.vmap(lambda x: m.debug.print("v {} {}", x, 5)),
    "nested vmap, one operand unbatched": lambda m, np_: (
        lambda x: m.vmap(m.vmap(lambda a, b: m.debug.print("vv {} {}", a, b)),
                         in_axes=(0, None))(x, np_.arange(10.0, 12.0))),
    "under grad": lambda m, np_: m.grad(lambda x: (m.debug.print("primal {}", x), x ** 2)[1]),
    "in a scan body": lambda m, np_: (lambda x: m.lax.scan(
        lambda c, y: (m.debug.print("step {} {}", c, y), (c + y, c))[1], 0.0, x)),
    "in a fori_loop": lambda m, np_: m.jit(lambda x: m.lax.fori_loop(
        0, 3, lambda i, c: (m.debug.print("i={} c={}", i, c), c * x)[1], 1.0)),
    "ordered": lambda m, np_: m.jit(lambda x: (m.debug.print("a {}", x, ordered=True),
                                               m.debug.print("b {}", x + 1, ordered=True))),
    "eager": lambda m, np_: (lambda x: m.debug.print("eager {} {}", x, 2)),
}


@pytest.mark.parametrize("name", list(PRINTS))
def test_debug_print_matches_jax(name):
    arg = np.arange(4.0, dtype=np.float32).reshape(2, 2) if "nested" in name else \
        np.arange(3.0, dtype=np.float32) if name in ("under vmap", "in a scan body",
                                                     "format spec") else np.float32(2.0)
    got, want = both_print(PRINTS[name], arg)
    assert got == want


def test_debug_print_checks_its_arguments_like_jax():
    with pytest.raises(ValueError, match="Unused positional arguments"):
        mlax.debug.print("{}", 1, 2)
    with pytest.raises(ValueError, match="Unused keyword arguments"):
        mlax.debug.print("x", y=1)


def test_breakpoint_is_not_implemented():
    with pytest.raises(NotImplementedError, match="breakpoint"):
        mlax.debug.breakpoint()


# -- debug.callback -------------------------------------------------------------------------

def test_debug_callback_calls_match_jax():
    def calls(m, np_):
        seen = []
        f = m.jit(lambda x: (m.debug.callback(lambda v: seen.append(float(v)), x), x)[1])
        m.block_until_ready((f(1.0), m.vmap(f)(np_.arange(5.0)), m.grad(f)(1.0)))
        return sorted(seen)
    assert calls(mlax, jnp) == calls(jax, jjnp)


def test_debug_callback_gets_arrays_and_static_values():
    seen = []
    mlax.jit(lambda x: mlax.debug.callback(lambda a, tag, k: seen.append((a, tag, k)), x,
                                           "tag", k=x.astype(jnp.int32)))(jnp.arange(3.0))
    (a, tag, k), = seen
    assert isinstance(a, mlax.Array) and a.dtype == np.float32 and tag == "tag"
    np.testing.assert_array_equal(k, [0, 1, 2])


# -- pure_callback --------------------------------------------------------------------------

def host_double(x):
    return (x * 2).astype(x.dtype)


def test_pure_callback_under_jit_with_pytree_results():
    def f(m, np_):
        def host(x, y):
            return {"s": np.asarray(x) + np.asarray(y), "n": np.int32(np.asarray(x).size)}
        return m.jit(lambda x, y: m.pure_callback(
            host, {"s": m.ShapeDtypeStruct(x.shape, x.dtype),
                   "n": m.ShapeDtypeStruct((), np.int32)}, x, y))
    x, y = np.arange(3.0, dtype=np.float32), np.float32(0.5)
    got, want = f(mlax, jnp)(x, y), f(jax, jjnp)(x, y)
    np.testing.assert_array_equal(got["s"], want["s"])
    assert int(got["n"]) == int(want["n"]) == 3


@pytest.mark.parametrize("method", ["sequential", "sequential_unrolled", "expand_dims",
                                    "broadcast_all", "legacy_vectorized"])
def test_pure_callback_vmap_methods_match_jax(method):
    def run(m, np_):
        shapes = []

        def host(x, y):
            shapes.append((np.shape(x), np.shape(y)))
            return (np.asarray(x) * 2 + np.asarray(y)).astype(np.float32)

        def f(x, y):
            out = m.ShapeDtypeStruct(np_.broadcast_shapes(x.shape, y.shape), np.float32)
            return m.pure_callback(host, out, x, y, vmap_method=method)
        res = m.vmap(f, in_axes=(0, None))(np_.arange(6.0).reshape(3, 2), np_.ones(2))
        return np.asarray(res), shapes
    if method == "legacy_vectorized":    # the unbatched y keeps its shape: (3, 2) + (2,)
        pass
    (got, got_shapes), (want, want_shapes) = run(mlax, jnp), run(jax, jjnp)
    np.testing.assert_array_equal(got, want)
    assert got_shapes == want_shapes


def test_pure_callback_nested_vmap_sequential():
    f = lambda m, np_: m.vmap(m.vmap(lambda x: m.pure_callback(
        host_double, m.ShapeDtypeStruct((), np.float32), x, vmap_method="sequential")))
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(f(mlax, jnp)(x), f(jax, jjnp)(x))


def test_pure_callback_vmap_without_method_raises_like_jax():
    f = mlax.vmap(lambda x: mlax.pure_callback(host_double, mlax.ShapeDtypeStruct((), np.float32), x))
    with pytest.raises(NotImplementedError, match="vmap_method=None"):
        f(jnp.arange(3.0))
    with pytest.raises(ValueError, match="vmap_method must be"):
        mlax.pure_callback(host_double, mlax.ShapeDtypeStruct((), np.float32), 1.0,
                           vmap_method="bogus")


def test_pure_callback_grad_raises_like_jax():
    f = lambda x: mlax.pure_callback(host_double, mlax.ShapeDtypeStruct((), np.float32), x)
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        mlax.grad(f)(1.0)
    with pytest.raises(ValueError, match="Pure callbacks do not support JVP"):
        mlax.jvp(f, (1.0,), (1.0,))


def test_pure_callback_differentiates_through_custom_jvp():
    @mlax.custom_jvp
    def sin(x):
        return mlax.pure_callback(lambda v: np.sin(v), mlax.ShapeDtypeStruct((), np.float32), x)

    @sin.defjvp
    def sin_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return sin(x), mlax.pure_callback(lambda v: np.cos(v),
                                          mlax.ShapeDtypeStruct((), np.float32), x) * t
    np.testing.assert_allclose(mlax.grad(sin)(0.5), np.cos(0.5), rtol=1e-6)
    np.testing.assert_allclose(mlax.jit(mlax.grad(sin))(0.5), np.cos(0.5), rtol=1e-6)


def test_pure_callback_eager_and_result_dtype_checks():
    r = mlax.pure_callback(host_double, mlax.ShapeDtypeStruct((2,), np.float32), jnp.ones(2))
    np.testing.assert_array_equal(r, [2.0, 2.0])
    with pytest.raises(ValueError, match="64-bit"):
        mlax.pure_callback(host_double, mlax.ShapeDtypeStruct((), np.float64), 1.0)


# -- errors in the host function --------------------------------------------------------------

def test_an_exception_in_the_host_function_surfaces_at_the_call():
    def boom(x):
        raise KeyError("boom")
    f = mlax.jit(lambda x: mlax.pure_callback(boom, mlax.ShapeDtypeStruct((), np.float32), x) + 1)
    for _ in range(2):
        with pytest.raises(KeyError, match="boom"):
            f(1.0)
    assert float(mlax.jit(lambda x: x + 1)(1.0)) == 2.0   # the process goes on
    g = mlax.jit(lambda x: mlax.debug.callback(lambda v: 1 / 0, x))
    with pytest.raises(ZeroDivisionError):
        g(1.0)


def test_wrong_result_shape_raises_like_jax():
    f = mlax.jit(lambda x: mlax.pure_callback(lambda v: np.ones(4, np.float32),
                                              mlax.ShapeDtypeStruct((), np.float32), x))
    with pytest.raises(RuntimeError, match=r"Incorrect output shape for return value #0: "
                                           r"Expected: \(\), Actual: \(4,\)"):
        f(1.0)


def test_callbacks_from_threads():
    seen, errors = [], []
    f = mlax.jit(lambda x: mlax.pure_callback(lambda v: (seen.append(float(v)), v * 2)[1],
                                              mlax.ShapeDtypeStruct((), np.float32), x))

    def work(i):
        try:
            assert float(f(np.float32(i))) == 2 * i
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and sorted(seen) == [float(i) for i in range(8)]


# -- io_callback ------------------------------------------------------------------------------

def test_io_callback_matches_jax():
    def run(m, np_, io):
        log = []

        def host(x):
            log.append(float(x))
            return np.float32(x) * 3
        f = m.jit(lambda x: io(host, m.ShapeDtypeStruct((), np.float32), x) + 1)
        out = [float(f(1.0)), np.asarray(m.vmap(f)(np_.arange(3.0))).tolist()]
        return out, log
    assert run(mlax, jnp, io_callback) == run(jax, jjnp, jax_io_callback)


def test_io_callback_errors_like_jax():
    host = lambda x: x
    s = mlax.ShapeDtypeStruct((), np.float32)
    with pytest.raises(ValueError, match="Cannot `vmap` ordered IO callback"):
        mlax.vmap(lambda x: io_callback(host, s, x, ordered=True))(jnp.arange(2.0))
    with pytest.raises(ValueError, match="IO callbacks do not support JVP"):
        mlax.grad(lambda x: io_callback(host, s, x))(1.0)


# -- saving ---------------------------------------------------------------------------------

def test_a_module_with_callbacks_cannot_be_saved(tmp_path):
    compiled = mlax.jit(lambda x: (mlax.debug.print("{}", x), x * 2)[1]).lower(1.0).compile()
    assert float(compiled(3.0)) == 6.0
    with pytest.raises(Exception, match="host callback"):
        compiled.save(os.path.join(tmp_path, "m"))


def test_a_module_with_callbacks_cannot_be_exported_and_the_error_names_the_line(platform):
    if platform != "tpu":
        pytest.skip("mlax.export lowers with the tpu backend")
    import inspect
    from mlax import export

    def f(x):
        mlax.debug.print("{}", x)
        return x * 2
    line = inspect.getsourcelines(f)[1] + 1
    with pytest.raises(ValueError, match=rf"host callback .*test_callbacks.py\":{line}:"
                                         r".*cannot be exported"):
        export.export(mlax.jit(f), platforms=("tpu",))(jnp.ones(3))


def test_ordered_callbacks_run_in_program_order():
    """XLA may run independent side effects in any order: ordered callbacks pass a token
    (on the tpu platform), so 40 prints of independent values come out in order."""
    f = mlax.jit(lambda x: [mlax.debug.print("{}", jnp.sum(jnp.sin(x * i)) * 0 + i,
                                             ordered=True) for i in range(40)] and x)
    for _ in range(3):
        lines = printed(mlax, lambda: f(jnp.ones(1000)))
        assert [float(v) for v in lines] == [float(i) for i in range(40)]


def test_ordered_callbacks_keep_their_order_through_calls_loops_and_branches():
    """The token passes through a nested jit, lax.cond branches, a fori_loop and a scan:
    every line comes out in JAX's order (each printed value depends on a slow independent
    computation, which XLA would otherwise run in any order)."""
    def program(m, np_):
        def slow(x, i):
            return np_.sum(np_.sin(x * i)) * 0 + i

        @m.jit
        def inner(x, i):
            m.debug.print("inner {}", slow(x, i), ordered=True)
            return x

        def branch(x, i):
            m.debug.print("branch {}", slow(x, i), ordered=True)
            return x

        def body(i, x):
            m.debug.print("loop {}", slow(x, i), ordered=True)
            return x

        def step(x, i):
            m.debug.print("scan {}", slow(x, i), ordered=True)
            return x, i

        @m.jit
        def f(x):
            for i in range(6):
                m.debug.print("top {}", slow(x, i), ordered=True)
                x = inner(x, i)
                x = m.lax.cond(i % 2 == 0, lambda x: branch(x, i), lambda x: x, x)
            x = m.lax.fori_loop(0, 4, body, x)
            x, _ = m.lax.scan(step, x, np_.arange(3.0))
            m.debug.print("end", ordered=True)
            return x
        return f

    x = np.ones(2000, np.float32)
    want = printed(jax, lambda: program(jax, jjnp)(x))
    for _ in range(3):
        assert printed(mlax, lambda: program(mlax, jnp)(x)) == want
