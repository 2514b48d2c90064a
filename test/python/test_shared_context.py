"""Traces share one MLIR Context per thread (dialects.shared_context), replaced after
SHARED_CONTEXT_USES traces or SHARED_CONTEXT_BYTES of constants; run_pipeline keeps its
pass managers per shared Context; mlax builds linalg ops without importing
mlir.dialects.linalg."""
import threading

import numpy as np
import pytest
from mlir import ir

import mlax
from mlax import dialects, stages
from mlax import numpy as jnp
from mlax.passes import PassTypeError, run_pipeline
from child import run_case


def _ctx_of(fn, *args):
    return mlax.jit(fn).lower(*args)._ctx


def test_traces_share_a_context_until_its_use_limit():
    x = np.ones(3, np.float32)
    seen = [_ctx_of(lambda a, i=i: a + i, x) for i in range(dialects.SHARED_CONTEXT_USES + 2)]
    changes = sum(a is not b for a, b in zip(seen, seen[1:]))
    assert changes == 1, changes          # one Context, replaced once at the limit


def test_large_constants_replace_the_context():
    x = np.ones(3, np.float32)
    big = np.ones(dialects.SHARED_CONTEXT_BYTES // 4 + 1, np.float32)
    during = _ctx_of(lambda a: a + jnp.asarray(big)[:3], x)   # a constant of 64 MB
    after = _ctx_of(lambda a: a + 2, x)
    assert after is not during            # so the next trace gets a new Context


def test_each_thread_has_its_own_context():
    x = np.ones(3, np.float32)
    here = _ctx_of(lambda a: a * 2, x)
    there = []
    t = threading.Thread(target=lambda: there.append(_ctx_of(lambda a: a * 3, x)))
    t.start()
    t.join()
    assert there[0] is not here
    assert np.allclose(mlax.jit(lambda a: a * 3)(x), 3)


def test_a_reused_pass_manager_does_not_keep_a_failure():
    """The same pipeline fails on one module, then runs on another in the same Context:
    the cached pass manager's mlax pass holds no error from the first run."""
    ctx = dialects.shared_context()
    bad = ('func.func private @jvp_f(tensor<f32>) -> tensor<f32> attributes '
           '{mlax.jvp = {callee = @f, argnums = array<i64: 0>}}\n'
           'func.func private @f(%x: tensor<f32>) -> tensor<f32> {\n'
           '  return %x : tensor<f32>\n}')
    good = 'func.func @g(%x: tensor<f32>) -> tensor<f32> {\n  return %x : tensor<f32>\n}'
    with ctx:
        with pytest.raises(PassTypeError):
            run_pipeline(ir.Module.parse(bad, ctx), "mlax-jvp")
        m = ir.Module.parse(good, ctx)
        run_pipeline(m, "mlax-jvp")
        assert "func.func @g" in str(m)
    assert dialects.context_cache(ctx) is not None
    assert dialects.context_cache(dialects.make_context()) is None


def test_results_are_unchanged_across_a_context_replacement():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    fns = [lambda a, i=i: jnp.tanh(a * i).sum(axis=1) for i in range(dialects.SHARED_CONTEXT_USES + 3)]
    for i, f in enumerate(fns):
        np.testing.assert_allclose(mlax.jit(f)(x), np.tanh(x * i).sum(axis=1), rtol=1e-6)


def test_compiling_does_not_import_linalgs_opdsl_and_linalg_still_imports():
    out = run_case('''
        import sys, numpy as np, mlax, mlax.numpy as jnp
        f = mlax.jit(lambda x: jnp.sort(jnp.cumsum(x, axis=1)) @ jnp.pad(x, ((0, 1), (0, 0))))
        print(np.asarray(f(np.ones((3, 4), np.float32))).sum())
        print("mlir.dialects.linalg" in sys.modules)
        from mlir.dialects import linalg
        print(callable(linalg.matmul), hasattr(linalg, "GenericOp"))
    ''')
    assert out.stdout.split() == ["72.0", "False", "True", "True"]
