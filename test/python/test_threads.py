"""Compiled functions, eager ops and first-time compiles called from several Python
threads at once: every result checked, each case in a child process (a race on the
arguments of compiled code can end the process)."""
from child import run_case

# Each thread computes values that differ from every other thread's, so a call that
# read another thread's buffers gives a wrong value rather than a lucky right one.
PRELUDE = '''
import threading
import numpy as np
import mlax
from mlax import numpy as jnp

N_THREADS = 4
failures = []

def run_threads(work):
    barrier = threading.Barrier(N_THREADS)
    def body(k):
        try:
            barrier.wait()
            work(k)
        except Exception as e:  # reported by the main thread
            failures.append(f"thread {k}: {type(e).__name__}: {e}")
    threads = [threading.Thread(target=body, args=(k,)) for k in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:5]
'''


def test_compiled_calls_from_threads():
    """Tests that one jitted function called from several threads, with Array and with
    NumPy arguments, gives every call its own result."""
    out = run_case(PRELUDE + '''
f = mlax.jit(lambda x, y: x * 2 + y)
ones = jnp.ones(64)
f(ones, ones)
f(np.ones(64, np.float32), np.ones(64, np.float32))

def work(k):
    for i in range(400):
        v = np.float32(k * 1000 + i)
        x = np.full(64, v, np.float32)
        got = f(jnp.asarray(x), ones) if i % 2 else f(x, np.ones(64, np.float32))
        if not (np.asarray(got) == v * 2 + 1).all():
            failures.append(f"thread {k} call {i}: {np.asarray(got)[:3]} != {v * 2 + 1}")
run_threads(work)
print("ok")
''')
    assert out.stdout.strip() == "ok"


def test_eager_ops_from_threads():
    """Tests that eager ops (cached one-op executables) from several threads at once give
    each call its own result."""
    out = run_case(PRELUDE + '''
def work(k):
    for i in range(300):
        v = np.float32(k * 1000 + i)
        x = jnp.asarray(np.full(16, v, np.float32))
        got = np.asarray(jnp.sum(x * 2 + 1))
        want = np.float32(16) * (v * 2 + 1)
        if got != want:
            failures.append(f"thread {k} op {i}: {got} != {want}")
run_threads(work)
print("ok")
''')
    assert out.stdout.strip() == "ok"


def test_first_compiles_from_threads():
    """Tests that tracing and compiling from several threads at once (distinct functions,
    one shared jitted function at a new shape, grad, vmap, new eager-op signatures)
    gives right results."""
    out = run_case(PRELUDE + '''
shared = mlax.jit(lambda x: jnp.cos(x) * 3)

def work(k):
    for i in range(3):
        c = float(k * 10 + i + 1)
        x = np.arange(2 + k + 5 * i, dtype=np.float32) / 7
        f = mlax.jit(lambda x: jnp.sin(x) * c + jnp.sum(x))
        np.testing.assert_allclose(f(x), np.sin(x) * np.float32(c) + x.sum(), rtol=1e-5)
        g = mlax.grad(lambda x: jnp.sum(x ** 2) * c)(x)
        np.testing.assert_allclose(g, 2 * x * np.float32(c), rtol=1e-5)
        v = mlax.vmap(lambda r: jnp.dot(r, r) + c)(x.reshape(-1, 1))
        np.testing.assert_allclose(v, x ** 2 + np.float32(c), rtol=1e-5)
        np.testing.assert_allclose(shared(x), np.cos(x) * 3, rtol=1e-5)
        e = jnp.asarray(np.ones((k + 1, i + 1), np.float32)) * (k + i)
        np.testing.assert_array_equal(e, np.full((k + 1, i + 1), k + i, np.float32))
run_threads(work)
print("ok")
''')
    assert out.stdout.strip() == "ok"


def test_cached_executables_from_threads(tmp_path):
    """Tests that executables loaded from the persistent compilation cache, and their
    first compiles, run correctly from several threads at once."""
    code = PRELUDE + '''
def work(k):
    f = mlax.jit(lambda x, y: jnp.tanh(x) - y)
    for i in range(100):
        x = np.full(8, (k * 100 + i) / 1000, np.float32)
        got = np.asarray(f(x, np.float32(i)))
        np.testing.assert_allclose(got, np.tanh(x) - np.float32(i), rtol=1e-5)
run_threads(work)
print("ok")
'''
    env = {"MLAX_COMPILATION_CACHE_DIR": str(tmp_path / "cache")}
    assert run_case(code, env=env).stdout.strip() == "ok"    # compiles and stores
    assert run_case(code, env=env).stdout.strip() == "ok"    # loads


def test_evictions_from_threads():
    """Tests that eager ops and jitted functions keep giving right results from several
    threads while tiny caches evict (and free) executables other threads may be calling."""
    out = run_case(PRELUDE + '''
mlax.config.update("eager_cache_size", 2)
mlax.config.update("jit_cache_size", 1)
f = mlax.jit(lambda x: x * 3 - 1)

def work(k):
    for i in range(6):
        n = 1 + (k + i) % 3
        x = np.full(n, k + i, np.float32)
        np.testing.assert_array_equal(jnp.asarray(x) + 2, x + 2)
        np.testing.assert_array_equal(f(jnp.asarray(x)), x * 3 - 1)
run_threads(work)
print("ok")
''')
    assert out.stdout.strip() == "ok"
