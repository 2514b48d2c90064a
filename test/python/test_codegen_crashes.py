"""Programs and shapes that once crashed or miscompiled CPU code generation
(mlax.lowering.cpu_codegen and the CPU_LLVM pipeline), run against NumPy.

A case that can kill its process (stack overflow, an LLVM assertion) runs in a child
process (`child.run_case`), so that it fails its test instead of ending the run.
"""
import numpy as np
import pytest
from child import run_case

import mlax
from mlax import lax
from mlax import numpy as jnp


# ---------------------------------------------------------------------------------------
# Stack temporaries inside loops
#
# A `memref.alloca` (LLVM `alloca`) outside a function's entry block allocates again on
# every iteration of the loop it is in: the stack grows with the trip count until the
# process dies. convert-vector-to-scf made such temporaries for every n-D vector transfer
# of a register tile; they must not come back from any pass of the CPU pipeline.


def allocas_outside_entry_blocks(module):
    """The llvm.alloca ops of an LLVM-dialect module that are not in the entry block of an
    llvm.func or of an omp.parallel region (run once per thread)."""
    found = []

    def visit(op):
        for region in op.regions:
            for i, block in enumerate(region.blocks):
                for child in block.operations:
                    child = child.operation
                    if child.name == "llvm.alloca" and not (
                            i == 0 and op.name in ("llvm.func", "omp.parallel")):
                        found.append(str(child))
                    visit(child)
    visit(module.operation)
    return found


def _dense_loss(p, x, y):
    return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)


def _f32(*shape):
    return np.ones(shape, np.float32)


# (name, function, arguments, MLAX_NUM_THREADS): one program per path of the CPU schedule.
ALLOCA_PROGRAMS = [
    ("batched_small_k", jnp.matmul, (_f32(64, 784, 4), _f32(64, 4, 32)), "1"),
    ("register_tiles", jnp.matmul, (_f32(10, 100), _f32(100, 150)), "1"),
    ("transposed_b", lambda a, b: a @ b.T, (_f32(40, 64), _f32(48, 64)), "1"),
    ("packed_threads", jnp.matmul, (_f32(256, 256), _f32(256, 256)), "2"),
    ("per_example_grads", mlax.vmap(mlax.grad(_dense_loss), (None, 0, 0)),
     ({"w": _f32(784, 32), "b": _f32(32)}, _f32(64, 784), _f32(64, 32)), "1"),
    ("row_sums_threads", lambda x: jnp.sum(x, axis=1), (_f32(1000, 1200),), "2"),
]


@pytest.mark.parametrize("name,fn,args,threads", ALLOCA_PROGRAMS,
                         ids=[p[0] for p in ALLOCA_PROGRAMS])
def test_no_stack_allocation_inside_loops(name, fn, args, threads, monkeypatch):
    monkeypatch.setenv("MLAX_NUM_THREADS", threads)
    module = mlax.jit(fn).lower(*args).compiler_ir("llvm")
    assert allocas_outside_entry_blocks(module) == []


def test_batched_contractions_with_small_k_run():
    # 64 x 98 register tiles per call: with per-tile stack temporaries this overflowed the
    # 8 MiB stack (SIGSEGV).
    out = run_case('''
        import numpy as np
        import mlax
        from mlax import numpy as jnp
        rng = np.random.default_rng(0)
        for k in (1, 2, 3, 4):
            a = rng.standard_normal((64, 784, k)).astype(np.float32)
            b = rng.standard_normal((64, k, 32)).astype(np.float32)
            got = np.asarray(jnp.matmul(a, b))
            np.testing.assert_allclose(got, a @ b, rtol=1e-5, atol=1e-5)

        def loss(p, x, y):
            return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)
        p = {"w": rng.standard_normal((784, 32)).astype(np.float32),
             "b": rng.standard_normal(32).astype(np.float32)}
        x = rng.standard_normal((64, 784)).astype(np.float32)
        y = rng.standard_normal((64, 32)).astype(np.float32)
        g = mlax.jit(mlax.vmap(mlax.grad(loss), (None, 0, 0)))(p, x, y)
        dy = 2 * (x @ p["w"] + p["b"] - y) / 32
        np.testing.assert_allclose(np.asarray(g["w"]), x[:, :, None] * dy[:, None, :],
                                   rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(np.asarray(g["b"]), dy, rtol=1e-4, atol=1e-5)
        print("ok")
    ''')
    assert out.stdout.strip() == "ok"


# ---------------------------------------------------------------------------------------
# Loops that control flow lowering makes


def test_scan_stacking_its_carry_compiles():
    # The scan loop inserts its carry into the stacked output and overwrites the carry in
    # place (materialize_in_destination); upstream loop-invariant-subset-hoisting, run on
    # the whole function, compared those two subsets and aborted on their ranks.
    out = run_case('''
        import numpy as np
        import mlax
        from mlax import lax, numpy as jnp
        rng = np.random.default_rng(0)
        w = rng.standard_normal((64, 64)).astype(np.float32) / 8
        x = rng.standard_normal((10, 64, 8)).astype(np.float32)
        f = lambda w, x: lax.scan(lambda c, r: (jnp.tanh(w @ c + r), c), x[0], x)
        carry, stacked = mlax.jit(f)(w, x)
        c, ref = x[0], []
        for r in x:
            ref.append(c)
            c = np.tanh(w @ c + r)
        np.testing.assert_allclose(np.asarray(carry), c, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.asarray(stacked), np.stack(ref), rtol=1e-4, atol=1e-5)
        print("ok")
    ''')
    assert out.stdout.strip() == "ok"


# ---------------------------------------------------------------------------------------
# Elementwise producers fused into a contraction (split_prologue)


def test_pairwise_squared_distances(rng):
    # sum((x - y)^2) fuses into one contraction-shaped generic whose multiply squares one
    # value; splitting it out used to leave a generic without a body (PassFailure).
    x = rng.standard_normal((100, 20)).astype(np.float32)
    f = mlax.vmap(mlax.vmap(lambda a, b: jnp.sum((a - b) ** 2), (None, 0)), (0, None))
    got = np.asarray(mlax.jit(f)(x, x))
    ref = ((x[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-4)


def test_iota_fused_into_contraction():
    # An iota (linalg.index) fused into a contraction operand, computed apart over fewer
    # loops: its index must be renumbered (an out-of-range index aborted in LLVM's fold).
    out = run_case('''
        import numpy as np
        import mlax
        from mlax import numpy as jnp
        rng = np.random.default_rng(0)
        a = rng.standard_normal((64, 48)).astype(np.float32)
        b = rng.standard_normal((48, 40)).astype(np.float32)
        k, n = np.arange(48, dtype=np.float32), np.arange(40, dtype=np.float32)
        cases = [
            (lambda a, b: (a * jnp.arange(48, dtype=jnp.float32)) @ b, (a * k) @ b),
            (lambda a, b: a @ (b * jnp.arange(40, dtype=jnp.float32)), a @ (b * n)),
            (lambda a, b: (a + jnp.arange(64, dtype=jnp.float32)[:, None]) @ b,
             (a + np.arange(64, dtype=np.float32)[:, None]) @ b),
            (lambda a, b: a @ (jnp.arange(48, dtype=jnp.float32)[:, None] + jnp.sin(b)),
             a @ (k[:, None] + np.sin(b))),
        ]
        for f, ref in cases:
            np.testing.assert_allclose(np.asarray(mlax.jit(f)(a, b)), ref, rtol=1e-4, atol=1e-3)
        print("ok")
    ''')
    assert out.stdout.strip() == "ok"
