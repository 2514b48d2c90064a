"""The cuda backend with no GPU: the numeric table and control flow in interpret mode
(MLAX_GPU_INTERPRET=1, the outlined kernels run as CPU loops) against NumPy and the cpu
backend, every kernel of the table assembled by ptxas for sm_80 and sm_90, the stages
of mlax-compile, and the errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

import mlax
from mlax import backends, lax
from mlax import numpy as jnp

from optable import ROWS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def interpret(monkeypatch):
    monkeypatch.setenv("MLAX_GPU_INTERPRET", "1")


def _call(row, fn, args):
    if "second" in row.kwargs:
        return fn(*args, row.kwargs["second"])
    return fn(*args)


def _runnable(row):
    return not any(m.name == "skipif" and m.args[0] for m in row.marks)


def _lowers_on_cuda(row, rng):
    """Whether the row uses only ops the cuda backend lowers (its UNSUPPORTED lists the
    others, each with its reason; test_rule_coverage keeps that list complete)."""
    from mlax.backends.cuda.unsupported import UNSUPPORTED
    text = mlax.make_ir(lambda a: _call(row, row.fn, a))(row.args(rng)).as_text()
    return not any(f'"{name}"' in text for name in UNSUPPORTED)


def _table():
    rng = np.random.default_rng(1)
    return [r for r in ROWS if _runnable(r) and _lowers_on_cuda(r, rng)]


def test_table_matches_numpy_in_interpret_mode(interpret, rng):
    """Every row of the numeric table, in one jitted function, on the cuda platform."""
    rows = _table()
    args = [r.args(rng) for r in rows]

    def every_row(args):
        return [_call(r, r.fn, a) for r, a in zip(rows, args)]

    got = mlax.jit(every_row, backend="cuda")(args)
    failed = []
    for r, a, g in zip(rows, args, got):
        want = _call(r, r.ref, a)
        try:
            np.testing.assert_allclose(np.asarray(g), want, rtol=max(r.rtol, 2e-5),
                                       atol=max(r.atol, 1e-5))
            assert np.asarray(g).shape == np.shape(want)
        except AssertionError as e:
            failed.append(f"{r.name}: {e}")
    assert not failed, "\n".join(failed)


# Each kernel family against NumPy, at sizes that need many blocks, partial blocks and
# more than one grid dimension.
FAMILIES = {
    "elementwise": (lambda x, y: jnp.exp(x) * y + 1.0, lambda x, y: np.exp(x) * y + 1.0,
                    [(300, 1000), (300, 1000)]),
    "broadcast": (lambda x, b: jnp.tanh(x + b), lambda x, b: np.tanh(x + b), [(257, 33), (33,)]),
    "rank4": (lambda x: x * 2 - 1, lambda x: x * 2 - 1, [(3, 4, 5, 300)]),
    "row_sum": (lambda x: x.sum(axis=1), lambda x: x.sum(axis=1), [(513, 700)]),
    "column_max": (lambda x: x.max(axis=0), lambda x: x.max(axis=0), [(700, 513)]),
    "full_sum": (lambda x: x.sum(), lambda x: x.sum(), [(1000, 300)]),
    "two_pass_max": (lambda x: x.max(), lambda x: x.max(), [(1 << 17,)]),
    "long_rows": (lambda x: jnp.min(x, axis=1), lambda x: x.min(axis=1), [(5, 5000)]),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [(130, 70), (70, 290)]),
    "batched_matmul": (lambda a, b: jnp.einsum("bij,bjk->bik", a, b),
                       lambda a, b: np.einsum("bij,bjk->bik", a, b), [(3, 40, 50), (3, 50, 60)]),
    "batched_register_tiles": (lambda a, b: jnp.einsum("bij,bjk->bik", a, b),
                               lambda a, b: np.einsum("bij,bjk->bik", a, b),
                               [(2, 70, 33), (2, 33, 128)]),
    "matvec": (lambda a, v: a @ v, lambda a, v: a @ v, [(300, 200), (200,)]),
    "softmax": (lambda x: mlax.nn.softmax(x, axis=-1),
                lambda x: np.exp(x - x.max(-1, keepdims=True))
                / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True), [(64, 1000)]),
    "transpose": (lambda x: x.T + 1, lambda x: x.T + 1, [(300, 500)]),
    "long_sort": (lambda x: jnp.sort(x, axis=1), lambda x: np.sort(x, axis=1), [(3, 2500)]),
    "top_k_select": (lambda x: lax.top_k(x, 8)[0], lambda x: -np.sort(-x, axis=1)[:, :8],
                     [(4, 5000)]),
    "scatter_add": (lambda x, u: x.at[(jnp.arange(3000) * 7) % 300].add(u),
                    lambda x, u: _add_at(x, (np.arange(3000) * 7) % 300, u), [(300, 4), (3000, 4)]),
    "rank3_cumsum": (lambda x: jnp.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1),
                     [(4, 300, 5)]),
}


def _add_at(x, i, u):
    out = x.copy()
    np.add.at(out, i, u)
    return out


@pytest.mark.parametrize("family", list(FAMILIES))
def test_kernel_families_match_numpy(interpret, rng, family):
    fn, ref, shapes = FAMILIES[family]
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    got = mlax.jit(fn, backend="cuda")(*args)
    np.testing.assert_allclose(np.asarray(got), ref(*args), rtol=2e-5, atol=2e-4)


# Matmuls with register tiles (64 x 64 block tiles, 4 x 4 outputs per thread): exact
# tiles, partial tiles at every edge, k shorter than a step and not a multiple of one,
# transposed operands.
MATMULS = [((64, 16), (16, 64)), ((130, 70), (70, 290)), ((65, 17), (17, 129)),
           ((128, 200), (200, 64)), ((70, 5000), (5000, 66))]


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16", "bfloat16"])
def test_register_tiled_matmuls_match_numpy(interpret, rng, dtype):
    from mlax.runtime.dtypes import is_float
    dt = jnp.dtype(dtype)
    pairs = [(rng.standard_normal(sa), rng.standard_normal(sb)) for sa, sb in MATMULS]
    pairs = [(a.astype(dt), b.astype(dt)) if is_float(dt) else
             (np.rint(3 * a).astype(dt), np.rint(3 * b).astype(dt)) for a, b in pairs]

    def every_matmul(pairs):
        return [a @ b for a, b in pairs] + [b.T @ a.T for a, b in pairs[:2]]

    got = mlax.jit(every_matmul, backend="cuda")(pairs)
    tol = {"float32": 1e-5, "int32": 0, "float16": 3e-3, "bfloat16": 2e-2}[dtype]
    for q, ((a, b), g) in enumerate(zip(pairs + pairs[:2], got)):
        want = a.astype(np.float64) @ b.astype(np.float64)
        want = want.T if q >= len(pairs) else want
        scale = np.sqrt(a.shape[1]) * 3
        np.testing.assert_allclose(np.asarray(g).astype(np.float64), want, rtol=tol,
                                   atol=tol * scale, err_msg=f"{a.shape} @ {b.shape}")


@pytest.mark.parametrize("dtype, ptx_types", [("float16", "f32.f16.f16.f32"),
                                               ("bfloat16", "f32.bf16.bf16.f32")])
def test_half_matmuls_use_tensor_cores_and_assemble(dtype, ptx_types):
    """An f16 or bf16 matmul of 64 or more rows and columns: nvgpu.mma.sync m16n8k16 in
    the kernel (8 per warp and k step), PTX's mma.sync with f32 accumulation (bf16 through
    --mlax-gpu-bf16-mma), assembled by ptxas for sm_80 and sm_90. Their numbers:
    test_register_tiled_matmuls."""
    from mlax.backends.cuda import ptx
    if ptx.ptxas_path() is None:
        pytest.skip("ptxas is not installed: pip install 'mlax[gpu]'")
    dt = jnp.dtype(dtype)
    a, b = np.ones((130, 70), np.float32).astype(dt), np.ones((70, 90), np.float32).astype(dt)
    lowered = mlax.jit(lambda a, b: a @ b, backend="cuda").lower(a, b)
    assert lowered.as_text("gpu").count("nvgpu.mma.sync") == 8
    for chip in ("sm_80", "sm_90"):
        texts = ptx.ptx(lowered.compiler_ir("nvvm"), chip)
        (mma,) = [t for t in texts.values() if "mma.sync" in t]
        assert f"mma.sync.aligned.m16n8k16.row.col.{ptx_types}" in mma
        assert ptx.ptxas(mma, chip)[:4] == b"\x7fELF"


CASES = {
    "cond": lambda x: lax.cond(x.sum() > 0, lambda v: v * 2, lambda v: v - 1, x),
    "while": lambda x: lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 1.1),
                                      (0, x))[1],
    "fori": lambda x: lax.fori_loop(0, 4, lambda i, v: v + i, x),
    "scan": lambda x: lax.scan(lambda c, r: (c + r, c * r), jnp.zeros(4), x),
    "grad": lambda x: mlax.grad(lambda v: jnp.sum(jnp.tanh(v) ** 2))(x),
    "vmap": lambda x: mlax.vmap(lambda r: jnp.dot(r, r))(x),
    "sort": lambda x: jnp.sort(x.ravel()),
    "argsort": lambda x: jnp.argsort(x.ravel()),
    "at_add_duplicates": lambda x: x.at[jnp.array([0, 0, 1])].add(1.0),
    "take": lambda x: jnp.take(x.ravel(), jnp.array([0, 5, 11])),
    "dynamic_slice": lambda x: lax.dynamic_slice(x, (1, jnp.int32(1)), (2, 2)),
    "cumsum": lambda x: jnp.cumsum(x, axis=1),
    "int_ops": lambda x: (x * 10).astype(jnp.int32) // 3 % 4 >> 1,
    "argmax": lambda x: jnp.argmax(x, axis=1),
    "pad": lambda x: jnp.pad(x, ((1, 2), (0, 1))),
    "concatenate": lambda x: jnp.concatenate([x, 2 * x], axis=1),
    # An indexing map that is not a projected permutation (not tiled: MLIR asserts).
    "flip": lambda x: jnp.flip(x, axis=1) * 2,
    "flip_grad": lambda x: mlax.grad(lambda v: (jnp.convolve(v.ravel(), v[0]) ** 2).sum())(x),
    # Loops of size 0 (not tiled either).
    "zero_size": lambda x: (x[:, :0] + 1, x[:0].sum(axis=0), x[:, :0] @ x[:0, :]),
}


# Sorts with the bitonic-sort kernel (a block per row): NaNs, ties (stability), -0 and 0,
# partial and exact powers of two, the longest row a block sorts, integers, unsigned
# integers, bools, bf16, top_k's largest-first order, rows of rank-3 operands. Each row: the function made from a
# lax and a numpy module (mlax's, jax's) and its argument.
def _sort_inputs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 300)).astype(np.float32)
    x[0, :10] = np.nan
    x[1, 5:40] = 0.5
    x[2, 3:5] = [-0.0, 0.0]
    ints = rng.integers(-5, 5, (5, 2048)).astype(np.int32)
    return x, ints


SORTS = {
    "sort": (lambda lax, jnp: lambda x: jnp.sort(x, axis=1), lambda x, i: x),
    "argsort": (lambda lax, jnp: lambda x: jnp.argsort(x, axis=1), lambda x, i: x),
    "argsort_ties_2048": (lambda lax, jnp: lambda x: jnp.argsort(x, axis=-1), lambda x, i: i),
    "sort_1d_pow2": (lambda lax, jnp: jnp.sort, lambda x, i: i[0, :1024]),
    "sort_two_operands": (lambda lax, jnp: lambda x: lax.sort((x, -x), num_keys=1),
                          lambda x, i: x),
    "sort_two_keys": (lambda lax, jnp: lambda x: lax.sort((x > 0, x), num_keys=2),
                      lambda x, i: x),
    "sort_columns": (lambda lax, jnp: lambda x: jnp.sort(x, axis=0), lambda x, i: x),
    "argsort_columns": (lambda lax, jnp: lambda x: jnp.argsort(x, axis=0),
                        lambda x, i: i[:, :300]),
    "sort_bool": (lambda lax, jnp: jnp.sort, lambda x, i: x[4] > 0),
    "sort_uint32": (lambda lax, jnp: lambda x: jnp.sort(x, axis=1),
                    lambda x, i: i.astype(np.uint32)),
    "sort_bf16": (lambda lax, jnp: jnp.sort, lambda x, i: x[5].astype(jnp.bfloat16)),
    "top_k": (lambda lax, jnp: lambda x: lax.top_k(x, 5), lambda x, i: x),
    "top_k_ints": (lambda lax, jnp: lambda x: lax.top_k(x, 7), lambda x, i: i),
    "top_k_1": (lambda lax, jnp: lambda x: lax.top_k(x, 1), lambda x, i: x),
    "top_k_64": (lambda lax, jnp: lambda x: lax.top_k(x, 64), lambda x, i: x[:, :100]),
    "sort_rank3_middle": (lambda lax, jnp: lambda x: jnp.sort(x, axis=1),
                          lambda x, i: x.reshape(2, 4, 300)),
    "argsort_rank3_first": (lambda lax, jnp: lambda x: jnp.argsort(x, axis=0),
                            lambda x, i: i[:, :300].reshape(5, 3, 100)),
    "top_k_rank3": (lambda lax, jnp: lambda x: lax.top_k(x, 4), lambda x, i: x.reshape(4, 2, 300)),
}


def _table_on_cuda(table, args):
    """Every row of `table` (name -> (make(lax, jnp), arg)) in one function jitted for the
    cuda platform, lowered; and the same function under jax.jit."""
    def every_row(lax, jnp):
        return lambda args: [make(lax, jnp)(a) for (make, _), a in zip(table.values(), args)]
    jax = pytest.importorskip("jax")
    return (mlax.jit(every_row(lax, jnp), backend="cuda").lower(args),
            jax.jit(every_row(jax.lax, jax.numpy)))


def _assert_rows_equal(table, got, want):
    """Each row's results equal JAX's exactly, dtypes included."""
    import jax
    for name, g, w in zip(table, got, want):
        for gl, wl in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(w)):
            assert np.asarray(gl).dtype == np.asarray(wl).dtype, name
            np.testing.assert_array_equal(np.asarray(gl), np.asarray(wl), err_msg=name)


def test_sorts_use_bitonic_kernels_and_match_jax(interpret):
    """Every SORTS row in one jitted function on the cuda platform: JAX's results exactly,
    each sort a kernel of a block per row with its barriers (no one-thread kernel)."""
    x, ints = _sort_inputs()
    args = [arg(x, ints) for _, arg in SORTS.values()]
    lowered, jax_fn = _table_on_cuda(SORTS, args)
    gpu = lowered.as_text("gpu")
    assert "blocks in (%c8, %c1, %c1) threads in (%c256, %c1, %c1)" in gpu      # 8 rows of 300
    assert "blocks in (%c5, %c1, %c1) threads in (%c1024, %c1, %c1)" in gpu     # 5 of 2048
    assert "mlax_gpu_row_kernel" not in gpu
    _assert_rows_equal(SORTS, lowered.compile()(args), jax_fn(args))


# Sorts of rows longer than a block sorts (global memory: chunks sorted in shared memory,
# the stages of larger strides a kernel each): NaNs, ties (stability), -0 and 0, rows of
# 4096 and 8192 once padded, strided rows, top_k, a second operand.
def _long_sort_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5000)).astype(np.float32)
    x[0, :30] = np.nan
    x[1, 100:400] = 0.25
    x[2, 7:9] = [-0.0, 0.0]
    return x, rng.integers(-4, 4, (2, 3000)).astype(np.int32)


LONG_SORTS = {
    "sort_2500": (lambda lax, jnp: lambda x: jnp.sort(x, axis=1), lambda x, i: x[:, :2500]),
    "argsort_ties_3000": (lambda lax, jnp: lambda x: jnp.argsort(x, axis=1), lambda x, i: i),
    "top_k_2100": (lambda lax, jnp: lambda x: lax.top_k(x, 6), lambda x, i: x[:, :2100]),
    "argsort_columns_5000": (lambda lax, jnp: lambda x: jnp.argsort(x, axis=0),
                             lambda x, i: x[:2].T),
    "sort_two_operands_4500": (lambda lax, jnp: lambda x: lax.sort((x, -x), num_keys=1),
                               lambda x, i: x[1:, :4500]),
}


def test_long_sorts_run_in_global_memory_and_match_jax(interpret):
    """Every LONG_SORTS row in one jitted function: JAX's results exactly, with no kernel
    of one thread."""
    x, ints = _long_sort_inputs()
    args = [arg(x, ints) for _, arg in LONG_SORTS.values()]
    lowered, jax_fn = _table_on_cuda(LONG_SORTS, args)
    gpu = lowered.as_text("gpu")
    assert "blocks in (%c2, %c3, %c1) threads in (%c1024, %c1, %c1)" in gpu   # 3 rows of 4096
    assert "blocks in (%c16, %c2, %c1) threads in (%c256, %c1, %c1)" in gpu   # a stride's
    assert "threads in (%c1, %c1, %c1)" not in gpu
    _assert_rows_equal(LONG_SORTS, lowered.compile()(args), jax_fn(args))


# Scatters: adds with atomics (duplicates, indices out of bounds dropped or clipped, windows,
# integers), sets with the sequential loop (the last duplicate wins).
SCATTERS = {
    "add_rows": lambda lax, jnp: lambda x, i, u: x.at[i].add(u),
    "add_clip": lambda lax, jnp: lambda x, i, u: x.at[i].add(u, mode="clip"),
    "add_elements": lambda lax, jnp: lambda x, i, u: x[:, 0].at[i].add(u[:, 1]),
    "add_int": lambda lax, jnp: lambda x, i, u: (x * 10).astype(np.int32).at[i % 50].add(
        (u * 10).astype(np.int32)),
    "add_2d_index": lambda lax, jnp: lambda x, i, u: x.at[i % 50, i % 8].add(u[:, 2]),
    "set": lambda lax, jnp: lambda x, i, u: x.at[i].set(u),
}


def test_scatters_add_atomically_and_match_jax(interpret, rng):
    """Every SCATTERS row in one jitted function: JAX's results (sums to float32 rounding:
    atomics add duplicates in any order), each scatter-add two kernels of many threads."""
    jax = pytest.importorskip("jax")
    x = rng.standard_normal((50, 8)).astype(np.float32)
    i = rng.integers(-3, 53, (300,)).astype(np.int32)
    u = rng.standard_normal((300, 8)).astype(np.float32)

    def every_scatter(lax, jnp):
        return lambda x, i, u: [make(lax, jnp)(x, i, u) for make in SCATTERS.values()]

    lowered = mlax.jit(every_scatter(lax, jnp), backend="cuda").lower(x, i, u)
    assert lowered.as_text("gpu").count("memref.atomic_rmw") == len(SCATTERS) - 1
    got = lowered.compile()(x, i, u)
    want = jax.jit(every_scatter(jax.lax, jax.numpy))(x, i, u)
    for name, g, w in zip(SCATTERS, got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype, name
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5,
                                   err_msg=name)


# Scans with the block-scan kernel (a block per row): runs of one and of several elements
# per thread, rows shorter than a warp, reverse scans, every cumulative op, integers,
# rows of rank-3 and rank-4 operands along any axis.
SCANS = {
    "cumsum": (lambda lax, jnp: lambda x: jnp.cumsum(x, axis=1), lambda x: x),
    "cumsum_short_rows": (lambda lax, jnp: lambda x: jnp.cumsum(x, axis=1), lambda x: x[:, :7]),
    "cumprod": (lambda lax, jnp: lambda x: jnp.cumprod(x, axis=-1),
                lambda x: 1 + x[:, :50] / 100),
    "cummax_reverse": (lambda lax, jnp: lambda x: lax.cummax(x, axis=1, reverse=True),
                       lambda x: x),
    "cummin_int": (lambda lax, jnp: lambda x: lax.cummin(x, axis=1),
                   lambda x: (x[:5, :1000] * 4).astype(np.int32)),
    "cumsum_int_1d": (lambda lax, jnp: jnp.cumsum, lambda x: (x[0] * 4).astype(np.int32)),
    "cumsum_columns": (lambda lax, jnp: lambda x: jnp.cumsum(x, axis=0), lambda x: x),
    "cumprod_columns_reverse": (lambda lax, jnp: lambda x: lax.cumprod(x, axis=0, reverse=True),
                                lambda x: 1 + x[:, :100] / 10),
    "cumlogsumexp": (lambda lax, jnp: lambda x: lax.cumlogsumexp(x, axis=1),
                     lambda x: x[:3, :1500]),
    "cumsum_rank3_first": (lambda lax, jnp: lambda x: jnp.cumsum(x, axis=0),
                           lambda x: x.reshape(4, 2, 3000)),
    "cummax_rank3_middle_reverse": (lambda lax, jnp: lambda x: lax.cummax(x, axis=1, reverse=True),
                                    lambda x: x[:, :600].reshape(2, 4, 3, 200)),
}


def test_scans_use_block_scan_kernels_and_match_jax(interpret, rng):
    """Every SCANS row in one jitted function on the cuda platform: JAX's results (to
    float32 rounding: the block scan associates sums differently), each scan one kernel
    of a block per row."""
    jax = pytest.importorskip("jax")
    x = rng.standard_normal((8, 3000)).astype(np.float32)
    args = [arg(x) for _, arg in SCANS.values()]

    def every_scan(lax, jnp):
        return lambda args: [make(lax, jnp)(a) for (make, _), a in zip(SCANS.values(), args)]

    lowered = mlax.jit(every_scan(lax, jnp), backend="cuda").lower(args)
    gpu = lowered.as_text("gpu")
    assert "blocks in (%c8, %c1, %c1) threads in (%c1024, %c1, %c1)" in gpu
    assert "threads in (%c1, %c1, %c1)" not in gpu           # no one-thread kernel
    got = lowered.compile()(args)
    want = jax.jit(every_scan(jax.lax, jax.numpy))(args)
    for name, g, w in zip(SCANS, got, want):
        assert np.asarray(g).dtype == np.asarray(w).dtype, name
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-4,
                                   err_msg=name)


def test_cases_match_the_cpu_backend(interpret, rng):
    """Control flow, transforms, sorts and indexing (kernels of one thread where no
    schedule exists yet) against the cpu backend."""
    x = rng.standard_normal((3, 4)).astype(np.float32)

    def every_case(x):
        return [f(x) for f in CASES.values()]

    want = mlax.jit(every_case)(x)
    got = mlax.jit(every_case, backend="cuda")(x)
    for name, g, w in zip(CASES, got, want):
        for gl, wl in zip(mlax.tree_util.tree_leaves(g), mlax.tree_util.tree_leaves(w)):
            np.testing.assert_allclose(np.asarray(gl), np.asarray(wl), rtol=1e-5, atol=1e-6,
                                       err_msg=name)


def _nvvm_of(fn, args):
    return mlax.jit(fn, backend="cuda").lower(*args).compiler_ir("nvvm")


@pytest.fixture(scope="module")
def table_kernels():
    """The NVVM stage of the table's kernels (one module, every row) and of the kernel
    families, compiled once for both chips."""
    rng = np.random.default_rng(0)
    rows = _table()
    args = [r.args(rng) for r in rows]
    modules = {"table": _nvvm_of(lambda a: [_call(r, r.fn, x) for r, x in zip(rows, a)],
                                 (args,))}
    for name, (fn, _, shapes) in FAMILIES.items():
        modules[name] = _nvvm_of(fn, [np.ones(s, np.float32) for s in shapes])
    return len(rows), modules


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_every_kernel_of_the_table_assembles_with_ptxas(table_kernels, chip):
    """The table's and the kernel families' kernels, through NVVM to PTX for `chip`, each
    assembled by ptxas."""
    from concurrent.futures import ThreadPoolExecutor

    from mlax.backends.cuda import ptx
    if ptx.ptxas_path() is None:
        pytest.skip("ptxas is not installed: pip install 'mlax[gpu]'")
    n_rows, modules = table_kernels
    texts = {}
    for group, m in modules.items():
        texts.update({f"{group}/{k}": v for k, v in ptx.ptx(m, chip).items()})
    assert len(texts) > n_rows
    for text in texts.values():
        assert f".target {chip}" in text

    def assemble(item):
        name, text = item
        try:
            assert ptx.ptxas(text, chip)[:4] == b"\x7fELF"
        except backends.BackendError as e:
            return f"{name}: {e}"
        return None
    with ThreadPoolExecutor(4) as pool:       # ptxas runs as a process: overlap them
        failed = [f for f in pool.map(assemble, texts.items()) if f]
    assert not failed, "\n".join(failed[:20])


def test_schedules_map_to_blocks_and_threads():
    """An elementwise kernel: 256 consecutive elements per block, one per thread; a short
    row sum: one thread per row; a full max: a block tree reduction, in two kernels when
    long (64 blocks of partials, then one block); a 100 x 100 matmul: 64 x 64 block tiles
    of 16 x 16 threads (4 x 4 outputs each); a 40 x 40 one: 16 x 16 tiles."""
    gpu = mlax.jit(lambda x, y: (jnp.exp(x), x.sum(axis=1), x.max(), y.max(), x @ x.T,
                                 x[:40, :40] @ x[:40, :40]),
                   backend="cuda").lower(np.ones((100, 300), np.float32),
                                         np.ones(1 << 17, np.float32)).as_text("gpu")
    assert "blocks in (%c2, %c100, %c1) threads in (%c256, %c1, %c1)" in gpu
    assert "threads in (%c128, %c1, %c1)" in gpu
    assert "blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1)" in gpu
    assert "blocks in (%c64, %c1, %c1) threads in (%c256, %c1, %c1)" in gpu
    assert "blocks in (%c2, %c2, %c1) threads in (%c16, %c16, %c1)" in gpu
    assert "blocks in (%c3, %c3, %c1) threads in (%c16, %c16, %c1)" in gpu
    assert "gpu.shuffle  xor" in gpu
    assert "gpu.barrier" in gpu and "#gpu.address_space<workgroup>" in gpu


def test_mlax_compile_prints_each_stage(tmp_path):
    src = tmp_path / "model.py"
    src.write_text("import mlax.numpy as jnp\ndef f(x):\n    return jnp.sin(x) * 2\n")
    tool = os.path.join(os.path.dirname(sys.executable), "mlax-compile")
    outs = {}
    for emit in ("gpu", "nvvm", "ptx"):
        r = subprocess.run([tool, f"{src}:f", "--arg", "f32[1000]", "--target", "cuda",
                            "--chip", "sm_90", "--emit", emit], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs[emit] = r.stdout
    assert "gpu.launch_func" in outs["gpu"] and "gpu.func @f_kernel" in outs["gpu"]
    assert "nvvm.read.ptx.sreg.tid.x" in outs["nvvm"]
    assert ".target sm_90" in outs["ptx"] and "__nv_sinf" not in outs["ptx"]
    r = subprocess.run([tool, f"{src}:f", "--arg", "f32[4]", "--target", "cuda", "--chip",
                        "sm_12", "--emit", "ptx"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "unknown GPU chip 'sm_12'" in r.stderr and "sm_80" in r.stderr


def test_devices_without_gpu_or_interpret_mode_name_the_platforms(monkeypatch):
    from mlax.runtime import cuda
    monkeypatch.delenv("MLAX_GPU_INTERPRET", raising=False)
    monkeypatch.setattr(cuda, "driver_present", lambda: False)
    with pytest.raises(RuntimeError, match="MLAX_GPU_INTERPRET=1") as e:
        mlax.devices("cuda")
    assert "platforms there are: cpu" in str(e.value)
    with pytest.raises(backends.BackendError, match="no NVIDIA GPU"):
        mlax.jit(lambda x: x + 1, backend="cuda")(np.ones(3, np.float32))


def test_devices_in_interpret_mode(interpret):
    (dev,) = mlax.devices("cuda")
    assert repr(dev) == "CudaDevice(id=0)" and dev.platform == "gpu"


def test_an_op_with_no_gpu_lowering_names_the_op_and_the_line(interpret):
    def f(x):
        return jnp.linalg.inv(x)     # LAPACK's getrf on the host
    line = f.__code__.co_firstlineno + 1
    with pytest.raises(NotImplementedError,
                       match=rf"mlax.lu has no lowering on the cuda backend: it calls LAPACK.*"
                             rf"test_cuda_backend.py:{line}:"):
        mlax.jit(f, backend="cuda")(np.eye(3, dtype=np.float32))


def test_linear_regression_tutorial_runs_with_mlax_platforms_cuda():
    """The tutorial, unchanged, on the cuda platform in interpret mode: the cpu backend's
    losses."""
    script = os.path.join(ROOT, "examples", "linear_regression.py")

    def losses(env):
        env = dict(os.environ, **env)
        out = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                             timeout=600, check=True).stdout
        return [float(line.split()[-1]) for line in out.splitlines() if line.startswith("Loss")]

    cuda = losses({"MLAX_PLATFORMS": "cuda", "MLAX_GPU_INTERPRET": "1"})
    cpu = losses({"MLAX_PLATFORMS": "cpu"})
    assert len(cuda) == len(cpu) == 22
    np.testing.assert_allclose(cuda, cpu, rtol=1e-4)


def test_notes_seed_with_scan_runs_with_mlax_platforms_cuda():
    """The notes page (grad, vmap, jit and a lax.scan running sum), unchanged, on the cuda
    platform in interpret mode: what it prints on the cpu platform."""
    script = os.path.join(ROOT, "examples", "notes.py")

    def output(env):
        return subprocess.run([sys.executable, script], env=dict(os.environ, **env),
                              capture_output=True, text=True, timeout=600, check=True).stdout

    cuda = output({"MLAX_PLATFORMS": "cuda", "MLAX_GPU_INTERPRET": "1"})
    assert "15.0 [ 1.  3.  6. 10. 15.]" in cuda
    assert cuda == output({"MLAX_PLATFORMS": "cpu"})


TREE_SUM = """
module attributes {gpu.container_module} {
  func.func @block_sums(%in: memref<512xf32>, %out: memref<2xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c256 = arith.constant 256 : index
    gpu.launch_func @k::@tree_sum blocks in (%c2, %c1, %c1) threads in (%c256, %c1, %c1) args(%in : memref<512xf32>, %out : memref<2xf32>)
    return
  }
  gpu.module @k {
    gpu.func @tree_sum(%in: memref<512xf32>, %out: memref<2xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %c128 = arith.constant 128 : index
      %shared = memref.alloca() : memref<256xf32, #gpu.address_space<workgroup>>
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %n = gpu.block_dim x
      %base = arith.muli %b, %n : index
      %i = arith.addi %base, %t : index
      %v = memref.load %in[%i] : memref<512xf32>
      memref.store %v, %shared[%t] : memref<256xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      scf.for %s = %c0 to %c8 step %c1 {
        %half = arith.shrui %c128, %s : index
        %lt = arith.cmpi ult, %t, %half : index
        scf.if %lt {
          %a = memref.load %shared[%t] : memref<256xf32, #gpu.address_space<workgroup>>
          %o = arith.addi %t, %half : index
          %bv = memref.load %shared[%o] : memref<256xf32, #gpu.address_space<workgroup>>
          %sum = arith.addf %a, %bv : f32
          memref.store %sum, %shared[%t] : memref<256xf32, #gpu.address_space<workgroup>>
        }
        gpu.barrier
      }
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        %r = memref.load %shared[%c0] : memref<256xf32, #gpu.address_space<workgroup>>
        %d = arith.subf %r, %v : f32
        memref.store %d, %out[%b] : memref<2xf32>
      }
      gpu.return
    }
  }
}
"""


def _run_interpreted(text, entry, arrays):
    """Interpret the kernels of the MLIR `text` and call its function `entry` on the NumPy
    `arrays` (bare pointers; written in place)."""
    import ctypes

    from mlir import ir
    from mlir.execution_engine import ExecutionEngine

    from mlax.backends.cuda.pipelines import CUDA_INTERPRET
    from mlax.passes import run_pipeline
    with ir.Context() as ctx, ir.Location.unknown():
        m = ir.Module.parse(text)
        run_pipeline(m, CUDA_INTERPRET)
        ee = ExecutionEngine(m, opt_level=2)
        # The packed wrapper: one void** to pointers to each (bare pointer) argument.
        packed = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(ee.raw_lookup(entry))
        ptrs = [ctypes.c_void_p(a.ctypes.data) for a in arrays]
        argv = (ctypes.c_void_p * len(arrays))(*[ctypes.addressof(p) for p in ptrs])
        packed(ctypes.addressof(argv))
        del ctx


def test_interpreted_barriers_shared_memory_and_values_kept_across_barriers(rng):
    """A hand-written block tree reduction (shared memory, a uniform loop of barriers, a
    loaded value used after them) interpreted and run on the CPU: each block's sum
    minus its first element, as on a GPU."""
    x = rng.standard_normal(512).astype(np.float32)
    out = np.zeros(2, np.float32)
    _run_interpreted(TREE_SUM, "block_sums", [x, out])
    want = x.reshape(2, 256).sum(1) - x.reshape(2, 256)[:, 0]
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


SHUFFLES = """
module attributes {gpu.container_module} {
  func.func @shuffles(%in: memref<48xi32>, %out: memref<4x48xi32>, %ok: memref<4x48xi8>) {
    %c1 = arith.constant 1 : index
    %c48 = arith.constant 48 : index
    gpu.launch_func @k::@shuffles blocks in (%c1, %c1, %c1) threads in (%c48, %c1, %c1) args(%in : memref<48xi32>, %out : memref<4x48xi32>, %ok : memref<4x48xi8>)
    return
  }
  gpu.module @k {
    gpu.func @shuffles(%in: memref<48xi32>, %out: memref<4x48xi32>, %ok: memref<4x48xi8>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %t = gpu.thread_id x
      %v = memref.load %in[%t] : memref<48xi32>
      %five = arith.constant 5 : i32
      %three = arith.constant 3 : i32
      %w32 = arith.constant 32 : i32
      %w16 = arith.constant 16 : i32
      %x, %xo = gpu.shuffle xor %v, %five, %w32 : i32
      %d, %do = gpu.shuffle down %v, %three, %w16 : i32
      %u, %uo = gpu.shuffle up %v, %three, %w16 : i32
      %i, %io = gpu.shuffle idx %v, %five, %w32 : i32
      memref.store %x, %out[%c0, %t] : memref<4x48xi32>
      memref.store %d, %out[%c1, %t] : memref<4x48xi32>
      memref.store %u, %out[%c2, %t] : memref<4x48xi32>
      memref.store %i, %out[%c3, %t] : memref<4x48xi32>
      %xo8 = arith.extui %xo : i1 to i8
      memref.store %xo8, %ok[%c0, %t] : memref<4x48xi8>
      %do8 = arith.extui %do : i1 to i8
      memref.store %do8, %ok[%c1, %t] : memref<4x48xi8>
      %uo8 = arith.extui %uo : i1 to i8
      memref.store %uo8, %ok[%c2, %t] : memref<4x48xi8>
      %io8 = arith.extui %io : i1 to i8
      memref.store %io8, %ok[%c3, %t] : memref<4x48xi8>
      gpu.return
    }
  }
}
"""


def test_interpreted_warp_shuffles_exchange_values_as_a_warp_does():
    """gpu.shuffle xor / down / up / idx over a block of 48 threads (the second 32-lane
    group only half full), interpreted: each thread gets its partner's value, or its own
    with valid = false where the partner is outside the width or the block."""
    x = np.arange(100, 148, dtype=np.int32)
    out = np.zeros((4, 48), np.int32)
    ok = np.zeros((4, 48), np.int8)
    _run_interpreted(SHUFFLES, "shuffles", [x, out, ok])
    want, valid = np.zeros((4, 48), np.int32), np.zeros((4, 48), np.bool_)
    for t in range(48):
        for row, (width, lane_of) in enumerate([
                (32, lambda lane: lane ^ 5), (16, lambda lane: lane + 3),
                (16, lambda lane: lane - 3), (32, lambda lane: 5)]):
            lane, base = t % width, t - t % width
            j = lane_of(lane)
            valid[row, t] = 0 <= j < width and base + j < 48
            want[row, t] = x[base + j] if valid[row, t] else x[t]
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(ok.astype(bool), valid)


# Reductions that take the block tree (warp shuffles, then shared memory across warps):
# full reductions, long rows, and full reductions long enough for two kernels.
REDUCTIONS = {
    "sum": (jnp.sum, np.sum), "max": (jnp.max, np.max), "min": (jnp.min, np.min),
    "prod": (jnp.prod, np.prod), "argmax": (jnp.argmax, np.argmax),
    "argmin": (jnp.argmin, np.argmin),
}
REDUCTION_SHAPES = [((1000,), None), ((1024,), None), ((4097,), None), ((65539,), None),
                    ((7, 1500), 1), ((3, 33000), 1), ((2, 1100, 3), 1), ((33,), None)]
REDUCTION_DTYPES = ["float32", "float16", "bfloat16", "int32", "int8", "uint8"]


def _reduction_input(rng, shape, dtype, op):
    from mlax.runtime.dtypes import is_float
    dt = jnp.dtype(dtype)
    if op == "prod":        # products near 1 (floats) or of +-1 (integers): no overflow
        if is_float(dt):
            return (1 + 1e-4 * rng.standard_normal(shape)).astype(dt)
        return rng.choice(np.array([1, 1, 1, 3] if dt.kind == "u" else [1, -1]),
                          shape).astype(dt)
    if is_float(dt):
        return rng.standard_normal(shape).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(max(info.min, -100), min(info.max, 100), shape).astype(dt)


@pytest.mark.parametrize("dtype", REDUCTION_DTYPES)
@pytest.mark.parametrize("op", list(REDUCTIONS))
def test_tree_reductions_match_numpy(interpret, rng, op, dtype):
    """Every reduction at every size (one block per output, two kernels for long full
    reductions, sizes not multiples of the warp or the block) against NumPy, computed in
    float64 for floats."""
    from mlax.runtime.dtypes import is_float
    fn, ref = REDUCTIONS[op]
    xs = [_reduction_input(rng, shape, dtype, op) for shape, _ in REDUCTION_SHAPES]

    def every_shape(xs):
        return [fn(x, axis=axis) for x, (_, axis) in zip(xs, REDUCTION_SHAPES)]

    got = mlax.jit(every_shape, backend="cuda")(xs)
    for x, (shape, axis), g in zip(xs, REDUCTION_SHAPES, got):
        wide = x.astype(np.float64) if is_float(x.dtype) else x
        want = ref(wide, axis=axis)
        if op in ("sum", "prod") and is_float(x.dtype):
            tol = {"float32": 1e-5, "float16": 2e-3, "bfloat16": 2e-2}[dtype]
            np.testing.assert_allclose(np.asarray(g).astype(np.float64), want,
                                       rtol=tol, atol=tol * np.sqrt(x.size),
                                       err_msg=str(shape))
        else:
            # NumPy accumulates integers in 64 bits, JAX in the result's: modulo its width
            # the products agree.
            g = np.asarray(g)
            np.testing.assert_array_equal(g, want.astype(g.dtype), err_msg=str(shape))



# ---------------------------------------------------------------------------------------
# The device runtime and GPU modules (mlax.runtime.cuda, mlax-compile --target cuda -o)

MODEL = """import mlax.numpy as jnp
def f(x, w):
    return jnp.tanh(x @ w).sum(axis=0) * 2 + jnp.array([1.0, 2.0, 3.0]).sum()
"""


def _no_gpu():
    from mlax.runtime import cuda
    return cuda.device_reason()


@pytest.fixture(scope="module")
def gpu_module(tmp_path_factory):
    """`mlax-compile --target cuda --chip sm_90 -o dir/` of a matmul, a tanh, a column sum
    and a constant."""
    d = tmp_path_factory.mktemp("gpu")
    (d / "model.py").write_text(MODEL)
    tool = os.path.join(os.path.dirname(sys.executable), "mlax-compile")
    r = subprocess.run([tool, f"{d / 'model.py'}:f", "--arg", "f32[100,200]", "--arg",
                        "f32[200,300]", "--target", "cuda", "--chip", "sm_90", "-o",
                        str(d / "gpumod")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return d / "gpumod"


def _entry_params(ptx_text):
    """The number of parameters of the PTX's kernel entry."""
    head = ptx_text[ptx_text.index(".entry"):]
    return head[:head.index(")")].count(".param")


def test_gpu_module_holds_cubins_ptx_and_launch_plans(gpu_module):
    """The module: each kernel module's PTX for sm_90 and its cubin, one launch plan
    whose launches pass each kernel as many parameters as its PTX entry declares (a
    memref descriptor per buffer), the constant's data, and the loader."""
    import json

    from mlax.runtime import cuda
    meta = json.loads((gpu_module / "mlax_module.json").read_text())
    assert meta["target"] == {"platform": "cuda", "chip": "sm_90", "features": "+ptx80"}
    assert meta["name"] == "gpumod" and (gpu_module / "__init__.py").exists()
    for files in meta["kernels"].values():
        assert (gpu_module / files["cubin"]).read_bytes()[:4] == b"\x7fELF"
        assert ".target sm_90" in (gpu_module / files["ptx"]).read_text()
    plan = meta["plans"]["f"]
    kinds = [b["kind"] for b in plan["buffers"]]
    assert kinds[:3] == ["input", "input", "output"] and "temp" in kinds
    assert plan["buffers"][2]["dtype"] == "float32"
    assert "constant" in kinds
    assert len(list(cuda.launches(plan["steps"]))) >= 4
    for launch in cuda.launches(plan["steps"]):
        params = sum(len(cuda.descriptor(0, plan["buffers"][i]["shape"]))
                     for i in launch["args"])
        ptx_text = (gpu_module / meta["kernels"][launch["module"]]["ptx"]).read_text()
        assert params == _entry_params(ptx_text), launch


def test_launch_plans_of_the_kernel_families_match_their_kernels(table_kernels):
    """Each kernel family's host function as a launch plan (views of buffers included):
    every launch passes as many parameters as the kernel's PTX entry declares."""
    from mlax.backends.cuda import host, ptx
    from mlax.runtime import cuda
    _, modules = table_kernels
    for family, (fn, _, shapes) in FAMILIES.items():
        m = modules[family]
        texts = ptx.ptx(m, "sm_80")
        with m.context:
            (entry,) = [o.operation for o in m.body.operations
                        if o.operation.name == "func.func"
                        and "sym_visibility" not in o.operation.attributes]
            plan = host.launch_plan(m.operation, entry, len(shapes), ["float32"])
        bufs = plan["buffers"]
        for launch in cuda.launches(plan["steps"]):
            params = sum(len(cuda.descriptor(0, bufs[i]["shape"], bufs[i].get("strides"),
                                             bufs[i].get("offset", 0))) for i in launch["args"])
            assert params == _entry_params(texts[launch["module"]]), (family, launch)


# Host control flow between launches: branches and loops decided on the host (a predicate
# or an index read back from the device), loop state in device buffers, dynamic slices at
# traced offsets (views whose offset the plan computes at run time). Each row: the function
# made from a lax and a numpy module (mlax's, jax's), and the values it reads back at least.
HOST_CONTROL_FLOW = {
    "cond": (lambda lax, jnp: lambda x, i: lax.cond(x.sum() > 0, lambda v: v * 2, lambda v: v - 1, x), 1),
    "cond_false": (lambda lax, jnp: lambda x, i: lax.cond(x.sum() > 1e9, lambda v: v * 2, lambda v: v - 1, x),
                   1),
    "switch": (lambda lax, jnp: lambda x, i: lax.switch(i, [lambda v: v + 1, lambda v: v * 2, jnp.sin], x), 1),
    "while": (lambda lax, jnp: lambda x, i: lax.while_loop(lambda c: c[0] < 5,
                                          lambda c: (c[0] + 1, c[1] * 1.1), (0, x))[1], 6),
    "while_on_values": (lambda lax, jnp: lambda x, i: lax.while_loop(lambda v: v.max() < 40.0,
                                                    lambda v: v * 1.5 + 1, x), 1),
    "fori": (lambda lax, jnp: lambda x, i: lax.fori_loop(0, 4, lambda j, v: v + j, x), 0),
    "fori_traced_bound": (lambda lax, jnp: lambda x, i: lax.fori_loop(0, i + 2, lambda j, v: v * 2 - j, x), 1),
    "scan": (lambda lax, jnp: lambda x, i: lax.scan(lambda c, r: (c + r, c * r), jnp.zeros(4), x), 0),
    "scan_reverse": (lambda lax, jnp: lambda x, i: lax.scan(lambda c, r: (c * 0.5 + r, jnp.tanh(c)), x[0], x,
                                           reverse=True), 0),
    "dynamic_slice": (lambda lax, jnp: lambda x, i: lax.dynamic_slice(x, (i, i + 1), (2, 2)), 1),
    "dynamic_slice_clamped": (lambda lax, jnp: lambda x, i: lax.dynamic_slice(x, (i + 5, 0), (2, 3)), 1),
    "dynamic_update_slice": (lambda lax, jnp: lambda x, i: lax.dynamic_update_slice(
        x, jnp.full((2, 2), 7.0), (i, 2 * i)), 1),
    "nested": (lambda lax, jnp: lambda x, i: lax.fori_loop(0, 3, lambda j, v: lax.cond(
        v.sum() > 10, lambda u: u - 1, lambda u: u * 2, v), x), 3),
    "row_kernels_in_loops": (lambda lax, jnp: lambda x, i: lax.scan(
        lambda c, r: (c + jnp.cumsum(r).sum(), jnp.argsort(-r)), 0.0,
        lax.fori_loop(0, 3, lambda j, v: jnp.sort(v * -1.5, axis=1), x)), 0),
}


@pytest.mark.parametrize("name", list(HOST_CONTROL_FLOW))
def test_host_control_flow_runs_from_launch_plans(name, rng):
    """Each function's launch plan (loops, branches, values read back, views at run-time
    offsets) run against a driver over host memory that runs the interpreted kernels
    (cuda_sim.CpuDriver): JAX's numbers, and as many values read back as the host's
    decisions need."""
    jax = pytest.importorskip("jax")
    from cuda_sim import run_plan
    make, reads = HOST_CONTROL_FLOW[name]
    x = rng.standard_normal((3, 4)).astype(np.float32)
    args = (x, np.int32(1))
    got, driver = run_plan(make(lax, jnp), args)
    want = jax.tree_util.tree_leaves(jax.jit(make(jax.lax, jax.numpy))(*args))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-5, atol=1e-5, err_msg=name)
    assert driver.reads >= reads


def test_host_control_flow_plans_run_against_the_recording_driver():
    """A while loop's plan: the condition's kernel, then its value read back (copied to
    the host, the stream synchronized) before each decision; 5 trips."""
    from mlax.backends.cuda import host
    from mlax.runtime import cuda
    f = HOST_CONTROL_FLOW["while"][0](lax, jnp)
    m = mlax.jit(f, backend="cuda").lower(np.ones(3, np.float32), np.int32(0)).compiler_ir("nvvm")
    with m.context:
        (entry,) = [o.operation for o in m.body.operations
                    if o.operation.name == "func.func"
                    and "sym_visibility" not in o.operation.attributes]
        plan = host.launch_plan(m.operation, entry, 2, ["float32"])
    (loop,) = [s for s in plan["steps"] if s["op"] == "while"]
    assert [s["op"] for s in loop["before"]["steps"]][-2:] == ["load", "arith.cmpi"]

    class Counting(_RecordingDriver):
        trips = 0

        def to_host(self, array, ptr):
            super().to_host(array, ptr)
            if array.shape == ():
                array[...] = self.trips < 5      # the condition the kernel would compute
                self.trips += 1

    driver = Counting()
    cuda.LaunchPlan(plan, {k: b"" for k in _kernel_modules(plan)}).run(
        [np.ones(3, np.float32), np.int32(0)], driver)
    assert driver.trips == 6
    kinds = [c[0] for c in driver.calls]
    reads = [i for i, c in enumerate(driver.calls) if c[0] == "to_host" and c[2] == 1]
    assert len(reads) == 6 and all(kinds[i + 1] == "synchronize" for i in reads)
    assert driver.memory == {}


def _kernel_modules(plan):
    from mlax.runtime import cuda
    return {lc["module"] for lc in cuda.launches(plan["steps"])}


HOST_CALL = """
module attributes {gpu.container_module} {
  func.func @f(%x: memref<4xf32>, %out: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0] : memref<4xf32>
    %r = math.sqrt %v : f32 loc("model.py":7:3)
    return
  }
}
"""


def test_host_code_with_no_plan_step_names_the_op_and_the_line():
    from mlir import ir

    from mlax.backends.cuda import host
    with ir.Context(), ir.Location.unknown():
        m = ir.Module.parse(HOST_CALL)
        (fn,) = [o.operation for o in m.body.operations]
        with pytest.raises(backends.BackendError,
                           match=r"no GPU launch plan: .*\(math.sqrt\).*model.py.*7"):
            host.launch_plan(m.operation, fn, 1, ["float32"])


@pytest.mark.parametrize("op, a, b, want", [
    ("arith.divsi", -7, 2, -3), ("arith.remsi", -7, 2, -1), ("arith.floordivsi", -7, 2, -4),
    ("arith.ceildivsi", 7, 2, 4), ("arith.divui", -8, 2, (2**64 - 8) // 2),
    ("arith.shrui", -8, 1, (2**64 - 8) >> 1), ("arith.maxui", -1, 3, -1),
    ("arith.addi", 2**63 - 1, 1, -2**63),
])
def test_host_scalar_ops_follow_mlir_semantics(op, a, b, want):
    """The plan's host arithmetic: signless integers of their width, signed ops truncate
    towards zero, unsigned ops reinterpret, overflow wraps."""
    from mlax.runtime import scalar_ops
    step = {"op": op, "dtype": "int64"}
    assert scalar_ops.compute(step, [np.int64(a), np.int64(b)]) == want
    lt = {"op": "arith.cmpi", "dtype": "bool", "predicate": "ult"}
    assert scalar_ops.compute(lt, [np.int64(1), np.int64(-1)])
    nan_ne = {"op": "arith.cmpf", "dtype": "bool", "predicate": "une"}
    assert scalar_ops.compute(nan_ne, [np.float32("nan"), np.float32(1)])


def test_saved_gpu_module_plans_host_control_flow(tmp_path):
    """mlax-compile --target cuda -o dir/ of a function with a fori_loop and a cond: its
    plan holds the loop and the branch around their launches."""
    import json
    (tmp_path / "m.py").write_text(
        "from mlax import lax\nimport mlax.numpy as jnp\n"
        "def f(x):\n    y = lax.fori_loop(0, 3, lambda i, v: v * 2 + i, x)\n"
        "    return lax.cond(y.sum() > 0, jnp.sin, jnp.cos, y)\n")
    tool = os.path.join(os.path.dirname(sys.executable), "mlax-compile")
    r = subprocess.run([tool, f"{tmp_path / 'm.py'}:f", "--arg", "f32[300]", "--target",
                        "cuda", "-o", str(tmp_path / "mod")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    steps = json.loads((tmp_path / "mod" / "mlax_module.json").read_text())["plans"]["f"]["steps"]
    ops = [s["op"] for s in steps]
    assert "for" in ops and "if" in ops and "load" in ops


def test_gpu_module_outputs_keep_their_dtypes(tmp_path):
    """Bool and unsigned results (signless i8 / i32 buffers in the IR) keep their dtypes
    in the plan, so a loaded module returns what jit returns."""
    import json
    (tmp_path / "m.py").write_text("import mlax.numpy as jnp\n"
                                  "def f(x):\n    return x > 0, x.astype(jnp.uint32)\n")
    tool = os.path.join(os.path.dirname(sys.executable), "mlax-compile")
    r = subprocess.run([tool, f"{tmp_path / 'm.py'}:f", "--arg", "f32[300]", "--target",
                        "cuda", "-o", str(tmp_path / "mod")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "mod" / "mlax_module.json").read_text())
    outputs = [b for b in meta["plans"]["f"]["buffers"] if b["kind"] == "output"]
    assert [b["dtype"] for b in outputs] == ["bool", "uint32"]


def test_loading_a_gpu_module_without_a_gpu_says_so(gpu_module):
    if _no_gpu() is None:
        pytest.skip("an NVIDIA GPU is here: the module loads")
    r = subprocess.run([sys.executable, "-c", "import gpumod"], cwd=gpu_module.parent,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "ModuleError" in r.stderr and "compiled for NVIDIA GPUs (sm_90)" in r.stderr
    assert "no NVIDIA GPU here (the CUDA driver, libcuda.so.1, does not load)" in r.stderr


class _RecordingDriver:
    """The Driver's interface, recording what a launch plan asks of it."""

    def __init__(self):
        self.calls, self.memory = [], {}

    def make_current(self):
        pass

    def load_module(self, image):
        return image

    def function(self, module, name):
        return (module, name)

    def alloc(self, nbytes):
        ptr = 4096 * (len(self.memory) + 1)
        self.memory[ptr] = nbytes
        return ptr

    def free(self, ptr):
        del self.memory[ptr]

    def to_device(self, ptr, array):
        assert array.nbytes <= self.memory[ptr]
        self.calls.append(("to_device", ptr, array.nbytes))

    def to_host(self, array, ptr):
        self.calls.append(("to_host", ptr, array.nbytes))

    def launch(self, function, grid, block, params):
        self.calls.append(("launch", function[1], tuple(grid), tuple(block),
                           [p.value for p in params]))

    def synchronize(self):
        self.calls.append(("synchronize",))


def test_launch_plan_copies_in_launches_in_order_and_copies_out(gpu_module):
    """A launch plan run against a recording driver: inputs and the constant copied to the
    device, every kernel launched in the plan's order with the buffers' descriptors
    (pointer, pointer, offset 0, sizes, row-major strides), the output copied back, the
    stream synchronized, every buffer freed."""
    import json

    from mlax.runtime import cuda
    meta = json.loads((gpu_module / "mlax_module.json").read_text())
    plan = cuda.LaunchPlan(meta["plans"]["f"], {k: b"" for k in meta["kernels"]})
    driver = _RecordingDriver()
    (out,) = plan.run([np.ones((100, 200), np.float32), np.ones((200, 300), np.float32)],
                      driver)
    assert out.shape == (300,) and out.dtype == np.float32
    kinds = [c[0] for c in driver.calls]
    assert kinds[:3] == ["to_device"] * 3
    assert kinds[-2:] == ["to_host", "synchronize"]
    launches = [c for c in driver.calls if c[0] == "launch"]
    assert [(c[2], c[3]) for c in launches] == [
        (tuple(lc["grid"]), tuple(lc["block"])) for lc in cuda.launches(meta["plans"]["f"]["steps"])]
    x_ptr = driver.calls[0][1]
    matmul = next(c for c in launches if x_ptr in c[4])
    at = matmul[4].index(x_ptr)
    assert matmul[4][at:at + 7] == [x_ptr, x_ptr, 0, 100, 200, 200, 1]
    assert driver.memory == {}


def test_cuda_errors_carry_cudas_name_and_string():
    """A failing driver call raises CudaError with CUDA's name and text for the error."""
    from mlax.runtime import cuda

    class FakeCu:
        @staticmethod
        def cuGetErrorName(err):
            return 0, b"CUDA_ERROR_OUT_OF_MEMORY"

        @staticmethod
        def cuGetErrorString(err):
            return 0, b"out of memory"

    driver = cuda.Driver.__new__(cuda.Driver)
    driver.cu = FakeCu
    assert driver.check("cuMemAlloc", (0, 1234)) == 1234
    with pytest.raises(cuda.CudaError, match="cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY: "
                                             "out of memory") as e:
        driver.check("cuMemAlloc", (2, None))
    assert e.value.code == 2 and e.value.text == "out of memory"


@pytest.mark.skipif(_no_gpu() is not None, reason=f"needs an NVIDIA GPU: {_no_gpu()}")
def test_gpu_module_runs_on_the_gpu(gpu_module, rng):
    sys.path.insert(0, str(gpu_module.parent))
    try:
        import gpumod
    finally:
        sys.path.pop(0)
    x = rng.standard_normal((100, 200)).astype(np.float32)
    w = rng.standard_normal((200, 300)).astype(np.float32) / 10
    np.testing.assert_allclose(np.asarray(gpumod.f(x, w)), np.tanh(x @ w).sum(0) * 2 + 6,
                               rtol=1e-4, atol=1e-3)


@pytest.mark.skipif(_no_gpu() is not None, reason=f"needs an NVIDIA GPU: {_no_gpu()}")
@pytest.mark.parametrize("family", list(FAMILIES))
def test_kernel_families_match_numpy_on_the_gpu(monkeypatch, rng, family):
    monkeypatch.delenv("MLAX_GPU_INTERPRET", raising=False)
    fn, ref, shapes = FAMILIES[family]
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    got = mlax.jit(fn, backend="cuda")(*args)
    np.testing.assert_allclose(np.asarray(got), ref(*args), rtol=2e-5, atol=2e-4)


@pytest.mark.skipif(_no_gpu() is not None, reason=f"needs an NVIDIA GPU: {_no_gpu()}")
def test_control_flow_sorts_and_scans_match_jax_on_the_gpu(monkeypatch, rng):
    """Host control flow (launch plans with loops, branches and values read back), the
    bitonic sorts (long rows too), the scatters and the block scans, on the device: JAX's
    numbers."""
    jax = pytest.importorskip("jax")
    monkeypatch.delenv("MLAX_GPU_INTERPRET", raising=False)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    for name, (make, _) in HOST_CONTROL_FLOW.items():
        got = mlax.jit(make(lax, jnp), backend="cuda")(x, np.int32(1))
        want = jax.jit(make(jax.lax, jax.numpy))(x, np.int32(1))
        for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5,
                                       err_msg=name)
    sx, ints = _sort_inputs()
    for name, (make, arg) in SORTS.items():
        a = arg(sx, ints)
        got = mlax.jit(make(lax, jnp), backend="cuda")(a)
        want = jax.jit(make(jax.lax, jax.numpy))(a)
        for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w), err_msg=name)
    lx, lints = _long_sort_inputs()
    for name, (make, arg) in LONG_SORTS.items():
        a = arg(lx, lints)
        got = mlax.jit(make(lax, jnp), backend="cuda")(a)
        want = jax.jit(make(jax.lax, jax.numpy))(a)
        for g, w in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want)):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w), err_msg=name)
    x8 = rng.standard_normal((50, 8)).astype(np.float32)
    i8 = rng.integers(-3, 53, (300,)).astype(np.int32)
    u8 = rng.standard_normal((300, 8)).astype(np.float32)
    for name, make in SCATTERS.items():
        got = mlax.jit(make(lax, jnp), backend="cuda")(x8, i8, u8)
        want = jax.jit(make(jax.lax, jax.numpy))(x8, i8, u8)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5,
                                   err_msg=name)
    big = rng.standard_normal((8, 3000)).astype(np.float32)
    for name, (make, arg) in SCANS.items():
        got = mlax.jit(make(lax, jnp), backend="cuda")(arg(big))
        want = jax.jit(make(jax.lax, jax.numpy))(arg(big))
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=2e-5, atol=2e-4,
                                   err_msg=name)
