"""Programs and shapes that once crashed or miscompiled CPU code generation
(mlax.backends.cpu.schedule and the CPU_LLVM pipeline), run against NumPy.

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


# ---------------------------------------------------------------------------------------
# Contraction shapes the register-tile schedule vectorizes
#
# Every dot_general with enough work gets register tiles whose k loops step one element of
# every contracting dim: the vectorized tile has unit dims (each contracting dim, each batch
# dim, a size-1 output dim). Folding leading unit dims away (cast_away_vector_leading_one_dim)
# could leave a vector.contract whose reduction dim is missing from one operand, e.g.
# vector<1xf32> x vector<1x1x1xf32> with iterators [parallel, reduction, reduction], which
# convert-vector-to-llvm aborts on (SIGABRT).

# (lhs shape, rhs shape, ((lhs contracting, rhs contracting), (lhs batch, rhs batch)), dtype)
DOT_GENERALS = [
    # batch + two contracting dims + a size-1 output dim: the shapes that aborted
    ((16, 16, 16), (16, 16, 16, 1), (((1, 2), (1, 2)), ((0,), (0,))), "float32"),
    ((2, 16, 16), (16, 16, 16, 2, 1), (((2, 0), (2, 3)), ((1,), (0,))), "int32"),
    ((33, 4, 33), (33, 33, 4, 1), (((0, 1), (1, 2)), ((2,), (0,))), "int32"),
    # batched, contraction dim 1..4 (per-example outer products)
    ((64, 100, 1), (64, 1, 32), (((2,), (1,)), ((0,), (0,))), "float32"),
    ((8, 33, 3), (8, 3, 65), (((2,), (1,)), ((0,), (0,))), "float32"),
    # two contracting dims, no batch; matrix-vector with both
    ((1, 128), (32, 1, 128), (((0, 1), (1, 2)), ((), ())), "float32"),
    ((24, 4, 32), (4, 32, 40), (((1, 2), (0, 1)), ((), ())), "float32"),
    ((32, 16, 16), (16, 16), (((1, 2), (0, 1)), ((), ())), "float32"),
    # size-1 m, n or k dims
    ((1, 300), (300, 64), (((1,), (0,)), ((), ())), "float32"),
    ((300, 64), (64, 1), (((1,), (0,)), ((), ())), "float32"),
    ((256, 1), (1, 64), (((1,), (0,)), ((), ())), "float32"),
    ((16, 1, 64), (16, 64, 1), (((2,), (1,)), ((0,), (0,))), "float32"),
    # contracting dim first in both operands, transposed B, several batch dims
    ((64, 48), (64, 40), (((0,), (0,)), ((), ())), "float32"),
    ((4, 4, 65, 2), (4, 4, 2, 3), (((3,), (2,)), ((0, 1), (0, 1))), "float32"),
    ((32, 8, 2, 12), (12, 8, 32, 2), (((1, 3), (1, 0)), ((0,), (2,))), "int32"),
]


def test_dot_general_shapes_against_numpy():
    out = run_case(f'''
        import numpy as np
        import mlax
        from mlax import lax
        rng = np.random.default_rng(0)
        for i, (ls, rs, dn, dtype) in enumerate({DOT_GENERALS!r}):
            print("case", i, flush=True)
            if dtype == "int32":
                a = rng.integers(-3, 4, ls).astype(np.int32)
                b = rng.integers(-3, 4, rs).astype(np.int32)
            else:
                a = rng.standard_normal(ls).astype(np.float32)
                b = rng.standard_normal(rs).astype(np.float32)
            got = np.asarray(mlax.jit(lambda x, y: lax.dot_general(x, y, dn))(a, b))
            (lc, rc), (lb, rb) = dn
            # einsum letters: batch dims, then each contracting pair, then free dims
            la, ra = [None] * a.ndim, [None] * b.ndim
            letters = iter("abcdefghijklmnop")
            for x, y in zip(lb, rb):
                la[x] = ra[y] = next(letters)
            for x, y in zip(lc, rc):
                la[x] = ra[y] = next(letters)
            la = [c or next(letters) for c in la]
            ra = [c or next(letters) for c in ra]
            res = [la[x] for x in lb] + [c for j, c in enumerate(la) if j not in lb + lc] \\
                + [c for j, c in enumerate(ra) if j not in rb + rc]
            ref = np.einsum(f"{{''.join(la)}},{{''.join(ra)}}->{{''.join(res)}}",
                            a.astype(np.float64), b.astype(np.float64))
            np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-3, err_msg=f"case {{i}}")
        print("ok")
    ''')
    assert out.stdout.strip().endswith("ok")


def test_vanilla_rnn_gradients_against_jax():
    # jit(grad) over every parameter of an unrolled tanh RNN, a batch of 4 sequences so
    # that its contractions get register tiles (hidden 32 x batch 4 x hidden 32). Three
    # steps keep the compile short; 25 steps behave the same, only slower to compile.
    pytest.importorskip("jax")
    out = run_case('''
        import numpy as np
        import jax
        import mlax
        T, H, I, B = 3, 32, 2, 4
        rng = np.random.default_rng(0)
        params = {"Wxh": rng.standard_normal((H, I)) * 0.3,
                  "Whh": rng.standard_normal((H, H)) * 0.2, "bh": np.zeros((H, 1)),
                  "Why": rng.standard_normal((1, H)) * 0.3, "by": np.zeros((1, 1))}
        params = {k: v.astype(np.float32) for k, v in params.items()}
        xs = rng.standard_normal((T, I, B)).astype(np.float32)
        ys = rng.standard_normal((T, 1, B)).astype(np.float32)

        def make_loss(np_):
            def loss(p, xs, ys):
                h = np_.zeros((H, B))
                total = 0.0
                for t in range(T):
                    h = np_.tanh(p["Wxh"] @ xs[t] + p["Whh"] @ h + p["bh"])
                    y = p["Why"] @ h + p["by"]
                    total = total + np_.mean((y - ys[t]) ** 2)
                return total / T
            return loss
        got = mlax.jit(mlax.grad(make_loss(mlax.numpy)))(params, xs, ys)
        ref = jax.jit(jax.grad(make_loss(jax.numpy)))(params, xs, ys)
        for k in params:
            np.testing.assert_allclose(np.asarray(got[k]), np.asarray(ref[k]),
                                       rtol=2e-4, atol=1e-5, err_msg=k)
        print("ok")
    ''')
    assert out.stdout.strip() == "ok"


# ---------------------------------------------------------------------------------------
# Buffers with no elements at the calling convention


def test_zero_size_dims_after_the_first():
    # MLIR finds no static strides for a buffer like 5x0, so the entry point fell back to
    # memref descriptors while the runtime passes bare pointers: SIGSEGV on the call.
    out = run_case('''
        import numpy as np
        import mlax
        from mlax import numpy as jnp
        f32 = np.float32
        # (mlax function, NumPy reference, arguments)
        cases = [
            (lambda x: jnp.sum(x, axis=1), lambda x: np.sum(x, axis=1), (np.ones((5, 0), f32),)),
            (jnp.matmul, np.matmul, (np.ones((64, 0), f32), np.ones((0, 64), f32))),
            (jnp.matmul, np.matmul, (np.ones((10, 30, 0), f32), np.ones((10, 0, 30), f32))),
            (lambda x: jnp.max(x, axis=(1, 2), initial=-1.0),
             lambda x: np.max(x, axis=(1, 2), initial=-1.0), (np.ones((4, 0, 3), f32),)),
            (lambda x, y: (x * 2, y + 1), lambda x, y: (x * 2, y + 1),
             (np.ones((3, 0), f32), np.ones(3, f32))),
            (lambda x: x, lambda x: x, (np.ones((2, 0, 2), np.int32),)),
        ]
        for fn, np_fn, args in cases:
            ref = np_fn(*args)
            ref = ref if isinstance(ref, tuple) else (ref,)
            for f in (mlax.jit(fn), fn):          # compiled, and op by op
                got = f(*args)
                got = got if isinstance(got, tuple) else (got,)
                for g, r in zip(got, ref):
                    assert np.asarray(g).shape == r.shape, (np.asarray(g).shape, r.shape)
                    np.testing.assert_array_equal(np.asarray(g), r)
        print("ok")
    ''')
    assert out.stdout.strip() == "ok"
