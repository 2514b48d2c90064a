"""The persistent compilation cache: hits across processes, keys, corrupt entries,
concurrent writers, and a cache that cannot be written."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlax
from mlax.backends import cache
from mlax.backends.cpu import BACKEND as CPU, codegen, pipelines
from mlax import numpy as jnp
from mlax.runtime import aot

F32 = np.float32


@pytest.fixture
def cache_dir(tmp_path):
    d = tmp_path / "cache"
    mlax.config.update("compilation_cache_dir", str(d))
    mlax.clear_caches()     # compiled in memory by an earlier test: nothing to store
    try:
        yield d
    finally:
        mlax.config.update("compilation_cache_dir", None)


def _entries(d):
    return sorted(n for n in os.listdir(d) if not n.startswith(".")) if d.exists() else []


def _stats():
    return dict(cache.stats)


def _delta(before):
    return {k: cache.stats[k] - before[k] for k in before}


def f(x, y):
    return jnp.tanh(x @ y) + 1.0


def test_cache_directory_setting(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    assert cache.directory() is None                       # off by default
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "env"))
    assert cache.directory() == str(tmp_path / "env")
    mlax.config.update("compilation_cache_dir", str(tmp_path / "config"))
    try:
        assert cache.directory() == str(tmp_path / "config")   # the config wins
    finally:
        mlax.config.update("compilation_cache_dir", None)


def test_compile_stores_then_hits(cache_dir):
    x, y = np.ones((3, 4), F32), np.ones((4, 2), F32)
    before = _stats()
    r1 = mlax.jit(f)(x, y)
    assert _delta(before) == {"hits": 0, "misses": 1, "corrupt": 0, "writes": 1}
    assert len(_entries(cache_dir)) == 1
    before = _stats()
    mlax.clear_caches()
    r2 = mlax.jit(f)(x, y)          # no in-memory entry, the disk has one
    assert _delta(before) == {"hits": 1, "misses": 0, "corrupt": 0, "writes": 0}
    np.testing.assert_allclose(np.asarray(r1), np.tanh(4.0) + 1.0, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(r1), np.asarray(r2))
    # The fast dispatch path of jit works on cached code too.
    xa, ya = mlax.device_put(x), mlax.device_put(y)
    j = mlax.jit(f)
    j(xa, ya)
    np.testing.assert_array_equal(np.asarray(j(xa, ya)), np.asarray(r1))


def test_key_covers_signature_pipeline_and_machine(cache_dir):
    mlax.jit(f)(np.ones((3, 4), F32), np.ones((4, 2), F32))
    mlax.jit(f)(np.ones((3, 4), F32), np.ones((4, 5), F32))      # another shape
    mlax.jit(f)(np.ones((3, 4), np.int32), np.ones((4, 5), np.int32))  # another dtype
    assert len(_entries(cache_dir)) == 3
    m = mlax.jit(f).trace_ir(np.ones((3, 4), F32), np.ones((4, 2), F32))
    host = codegen.MachineTarget.host()

    def key(pipeline, level, machine):
        return cache.key(m, pipeline, level, CPU.cache_key(machine))
    k = key(pipelines.CPU, 3, host)
    assert k == key(pipelines.CPU, 3, host)
    assert len({k, key(pipelines.CPU, 2, host), key(pipelines.MLAX_OPT, 3, host),
                key(pipelines.CPU, 3, codegen.MachineTarget(host.triple, "x86-64", "")),
                key(pipelines.CPU, 3, codegen.MachineTarget(host.triple, host.cpu, "-avx2"))}) == 5


@pytest.mark.parametrize("damage", ["truncate-library", "garbage-metadata", "missing-library",
                                    "empty-directory"])
def test_corrupt_entry_is_recompiled_and_replaced(cache_dir, damage):
    x, y = np.ones((2, 3), F32), np.ones((3, 3), F32)
    want = np.asarray(mlax.jit(f)(x, y))
    (entry,) = _entries(cache_dir)
    path = cache_dir / entry
    lib = path / "libmodule.so"
    # Damage goes into new files: this process has the library mapped, and truncating a
    # mapped file in place would kill it (SIGBUS), corrupt entry or not.
    if damage == "truncate-library":
        data = lib.read_bytes()
        lib.unlink()
        lib.write_bytes(data[:64])
    elif damage == "garbage-metadata":
        (path / aot.METADATA).unlink()
        (path / aot.METADATA).write_bytes(b"\x00garbage{")
    elif damage == "missing-library":
        lib.unlink()
    else:
        for p in path.iterdir():
            p.unlink()
    before = _stats()
    mlax.clear_caches()
    got = mlax.jit(f)(x, y)
    d = _delta(before)
    assert d["corrupt"] == 1 and d["writes"] == 1 and d["hits"] == 0
    np.testing.assert_array_equal(np.asarray(got), want)
    assert _entries(cache_dir) == [entry]
    aot.load(path)                   # sound again
    before = _stats()
    mlax.clear_caches()
    mlax.jit(f)(x, y)
    assert _delta(before)["hits"] == 1


def test_unwritable_cache_falls_back_to_the_jit(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    mlax.config.update("compilation_cache_dir", str(blocker / "cache"))
    try:
        with pytest.warns(RuntimeWarning, match="could not store"):
            r = mlax.jit(f)(np.ones((2, 2), F32), np.ones((2, 2), F32))
    finally:
        mlax.config.update("compilation_cache_dir", None)
    np.testing.assert_allclose(np.asarray(r), np.tanh(2.0) + 1.0, rtol=1e-6)


def test_lowered_compile_uses_the_cache_and_still_saves(cache_dir, tmp_path):
    x = np.ones((5,), F32)
    mlax.jit(jnp.sin).lower(x).compile()
    before = _stats()
    c = mlax.jit(jnp.sin).lower(x).compile()
    assert _delta(before)["hits"] == 1
    np.testing.assert_allclose(np.asarray(c(x)), np.sin(x), rtol=1e-6)
    assert "llvm.func" in c.as_text()    # lowered on demand after a hit
    c.save(tmp_path / "sin_module")
    np.testing.assert_allclose(np.asarray(aot.load(tmp_path / "sin_module").sin(x)), np.sin(x),
                               rtol=1e-6)


_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    t0 = time.perf_counter()
    import mlax
    from mlax import numpy as jnp
    from mlax.backends import cache
    def f(x, y):
        return jnp.tanh(x @ y) + 1.0
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 10
    t1 = time.perf_counter()
    r = mlax.jit(f)(x, np.ones((4, 2), np.float32))
    t2 = time.perf_counter()
    np.save(sys.argv[1], np.asarray(r))
    print(cache.stats["hits"], cache.stats["misses"], cache.stats["writes"])
    print(f"first call {(t2 - t1) * 1e3:.1f} ms", file=sys.stderr)
""")


def _spawn(cache_path, out, extra_env=None):
    env = {**os.environ, cache.ENV_VAR: str(cache_path), **(extra_env or {})}
    return subprocess.Popen([sys.executable, "-c", _SCRIPT, str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(p):
    out, err = p.communicate(timeout=180)
    assert p.returncode == 0, err
    return out.split()


def test_second_process_hits(tmp_path):
    d = tmp_path / "cache"
    assert _finish(_spawn(d, tmp_path / "a.npy")) == ["0", "1", "1"]
    assert _finish(_spawn(d, tmp_path / "b.npy")) == ["1", "0", "0"]
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))


def test_concurrent_writers_leave_one_sound_entry(tmp_path):
    d = tmp_path / "cache"
    procs = [_spawn(d, tmp_path / f"r{i}.npy") for i in range(3)]
    results = [_finish(p) for p in procs]
    # Each process hit, or missed and then wrote or found another's entry at the rename.
    assert all(r in (["1", "0", "0"], ["0", "1", "1"], ["0", "1", "0"]) for r in results), results
    assert sum(int(r[2]) for r in results) >= 1
    names = os.listdir(d)
    assert len(names) == 1 and not names[0].startswith("."), names   # no temporaries left
    aot.load(d / names[0])
    first = np.load(tmp_path / "r0.npy")
    for i in (1, 2):
        np.testing.assert_array_equal(np.load(tmp_path / f"r{i}.npy"), first)


def test_small_functions_are_stored_optimized(cache_dir):
    # In process a small function runs level-0 code until it is hot; a process loading it
    # from the cache never recompiles it, so the cache stores the hot code's level.
    mlax.jit(f)(np.ones((3, 4), F32), np.ones((4, 2), F32))
    entry, = _entries(cache_dir)
    meta = json.loads((cache_dir / entry / "mlax_module.json").read_text())
    assert meta["target"]["opt_level"] == 3, meta["target"]
