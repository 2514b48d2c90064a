"""vmap against a Python loop over the batch: every row of the numeric table, the ops and
axis cases vmap rewrites specially, control flow, the seeds' examples, the API's pytree
and axis handling, the IR it produces, and its errors."""
import re

import numpy as np
import pytest

import mlax
from mlax import lax, numpy as jnp
from mlax.backends.cpu import pipelines
from mlax.batching import vmap
from mlax.passes import run_pipeline

from optable import ROWS

B = 3


def _take(a, i, axis):
    return a if axis is None else np.take(a, i, axis=axis)


def loop_reference(ref, args, in_axes, out_axes=0, size=None):
    """Stack ref(example) over the batch: what vmap must compute."""
    in_axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    size = size or next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [ref(*[_take(a, i, ax) for a, ax in zip(args, in_axes)]) for i in range(size)]
    if isinstance(outs[0], tuple):
        oax = out_axes if isinstance(out_axes, tuple) else (out_axes,) * len(outs[0])
        return tuple(np.stack([np.asarray(o[k]) for o in outs], axis=ax)
                     for k, ax in enumerate(oax))
    return np.stack([np.asarray(o) for o in outs], axis=out_axes)


def assert_tree_close(got, want, rtol=1e-5, atol=1e-6):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_close(g, w, rtol, atol)
        return
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "iub":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _batch(rng, row, axis):
    """B examples of the row's arguments stacked along `axis` (None: one example)."""
    if axis is None:
        return row.args(rng)
    examples = [row.args(rng) for _ in range(B)]
    return [np.stack([e[k] for e in examples], axis=axis % (examples[0][k].ndim + 1))
            for k in range(len(row.shapes))]


def _with_second(row, fn):
    if "second" in row.kwargs:
        return lambda *a: fn(*a, row.kwargs["second"])
    return fn


# ---------------------------------------------------------------------------------------
# Every row of the numeric table, batched two ways


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_table_rows_all_batched(row, rng):
    """All arguments batched along axis 0."""
    batched = [_batch(rng, row, 0)[k] for k in range(len(row.shapes))]
    in_axes = (0,) * len(batched)
    got = vmap(_with_second(row, row.fn), in_axes)(*batched)
    want = loop_reference(_with_second(row, row.ref), batched, in_axes)
    assert_tree_close(got, want, row.rtol * 10, row.atol * 10)


@pytest.mark.parametrize("row", [r.param() for r in ROWS])
def test_table_rows_first_batched_last_axis(row, rng):
    """The first argument batched along its last axis, the others not batched, and the
    batch axis of the result put last."""
    first = _batch(rng, row, -1)[0]
    rest = row.args(rng)[1:]
    in_axes = (-1,) + (None,) * len(rest)
    got = vmap(_with_second(row, row.fn), in_axes, out_axes=-1)(first, *rest)
    want = loop_reference(_with_second(row, row.ref), [first, *rest], (first.ndim - 1,) + in_axes[1:],
                          out_axes=-1)
    assert_tree_close(got, want, row.rtol * 10, row.atol * 10)


# ---------------------------------------------------------------------------------------
# The cases the batching rules treat specially: (fn, arguments, in_axes, out_axes, ref)

def _rand(*shape):
    return np.random.default_rng(sum(shape) + len(shape)).normal(size=shape).astype(np.float32)


def _ints(lo, hi, *shape):
    return np.random.default_rng(hi + len(shape)).integers(lo, hi, size=shape).astype(np.int32)


def _np_dynamic_slice(x, i, size):
    i = int(i) + x.shape[0] if i < 0 else int(i)   # lax counts a negative start from the end
    i = min(max(i, 0), x.shape[0] - size)
    return x[i:i + size]


def _np_dynamic_update_slice(x, u, i):
    i = int(i) + x.shape[0] if i < 0 else int(i)
    i = min(max(i, 0), x.shape[0] - u.shape[0])
    y = x.copy()
    y[i:i + u.shape[0]] = u
    return y


def _np_at_set(x, i, v):
    y = x.copy()
    y[i] = v
    return y


def _np_at_add(x, i, v):
    y = x.copy()
    np.add.at(y, i, v)
    return y


def _np_pad(x, v):
    out = np.full(1 + x.shape[0] + (x.shape[0] - 1) + 2, v, x.dtype)
    out[1:1 + 2 * x.shape[0] - 1:2] = x
    return out


def _np_top_k(x, k):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, -1), idx.astype(np.int32)


class Case:
    def __init__(self, name, fn, args, in_axes, ref, out_axes=0, marks=()):
        self.name, self.fn, self.args, self.in_axes = name, fn, args, in_axes
        self.ref, self.out_axes, self.marks = ref, out_axes, marks

    def param(self):
        return pytest.param(self, id=self.name, marks=list(self.marks))


CASES = [
    Case("matvec_batched_vector", lambda m, v: jnp.dot(m, v), [_rand(5, 4), _rand(3, 4)],
         (None, 0), np.dot),
    Case("matvec_batched_matrix_axis1", lambda m, v: jnp.dot(m, v), [_rand(5, 3, 4), _rand(4)],
         (1, None), np.dot),
    Case("matmul_both_batched", jnp.matmul, [_rand(3, 2, 4), _rand(4, 5, 3)], (0, 2), np.matmul),
    Case("matmul_rhs_batched_free_dims", jnp.matmul, [_rand(2, 4), _rand(4, 3, 5)], (None, 1),
         np.matmul, out_axes=2),
    Case("batched_matmul_inside", jnp.matmul, [_rand(3, 2, 2, 4), _rand(2, 4, 5)], (0, None),
         np.matmul),
    Case("vecvec_both", jnp.inner, [_rand(3, 4), _rand(4, 3)], (0, 1), np.inner),
    Case("gather_both_batched", lambda x, i: x[i], [_rand(3, 5, 2), _ints(-5, 5, 3, 4)], (0, 0),
         lambda x, i: x[i]),
    Case("gather_indices_batched", lambda x, i: x[i], [_rand(5, 2), _ints(0, 5, 4, 3)], (None, 1),
         lambda x, i: x[i]),
    Case("gather_operand_batched", lambda x: x[jnp.array([4, 0, 2, 2])], [_rand(5, 3, 2)], 1,
         lambda x: x[np.array([4, 0, 2, 2])]),
    Case("at_set_both_batched", lambda x, i: x.at[i].set(-1.0), [_rand(3, 6), _ints(0, 6, 3, 2)],
         0, lambda x, i: _np_at_set(x, i, -1.0)),
    Case("at_add_index_and_values_batched", lambda x, i, v: x.at[i].add(v),
         [_rand(6), _ints(0, 6, 3, 4), _rand(3, 4)], (None, 0, 0),
         lambda x, i, v: _np_at_add(x, i, v)),
    Case("at_set_operand_batched", lambda x: x.at[jnp.array([1, 3])].set(7.0), [_rand(6, 3)], 1,
         lambda x: _np_at_set(x, np.array([1, 3]), 7.0)),
    Case("dynamic_slice_batched_index", lambda x, i: lax.dynamic_slice(x, (i,), (3,)),
         [_rand(4, 8), np.array([0, 5, 7, -2], np.int32)], 0,
         lambda x, i: _np_dynamic_slice(x, i, 3)),
    Case("dynamic_slice_index_only", lambda x, i: lax.dynamic_slice(x, (i,), (3,)),
         [_rand(8), np.array([1, 6, 3, 0], np.int32)], (None, 0),
         lambda x, i: _np_dynamic_slice(x, i, 3)),
    Case("dynamic_slice_operand_only", lambda x: lax.dynamic_slice(x, (2,), (3,)), [_rand(8, 4)],
         1, lambda x: _np_dynamic_slice(x, 2, 3)),
    Case("dynamic_update_slice_batched_index",
         lambda x, u, i: lax.dynamic_update_slice(x, u, (i,)),
         [_rand(4, 6), _rand(2, 4), np.array([0, 5, 2, -1], np.int32)], (0, 1, 0),
         _np_dynamic_update_slice),
    Case("dynamic_update_slice_update_only",
         lambda x, u: lax.dynamic_update_slice(x, u, (1,)), [_rand(6), _rand(3, 2)], (None, 0),
         lambda x, u: _np_dynamic_update_slice(x, u, 1)),
    Case("index_with_batched_scalar", lambda x, i: x[i], [_rand(5, 4), _ints(0, 5, 4)], (1, 0),
         lambda x, i: x[i]),
    Case("pad_batched_value", lambda x, v: lax.pad(x, v, [(1, 2, 1)]), [_rand(3, 4), _rand(3)], 0,
         _np_pad),
    Case("pad_operand_only", lambda x: lax.pad(x, 0.5, [(1, 2, 1)]), [_rand(4, 3)], 1,
         lambda x: _np_pad(x, 0.5)),
    Case("cumsum_axis", lambda x: lax.cumsum(x, axis=1), [_rand(2, 3, 4)], 1,
         lambda x: np.cumsum(x, axis=1)),
    Case("cummax_reverse", lambda x: lax.cummax(x, axis=0, reverse=True), [_rand(3, 5)], 0,
         lambda x: np.maximum.accumulate(x[::-1])[::-1]),
    Case("sort", lambda x: lax.sort(x), [_rand(5, 3)], 1, np.sort),
    Case("sort_key_value", lambda k, v: lax.sort((k, v))[1], [_rand(3, 5), _ints(0, 9, 5)],
         (0, None), lambda k, v: v[np.argsort(k, kind="stable")]),
    Case("top_k_batch_last", lambda x: lax.top_k(x, 2), [_rand(6, 3)], 1,
         lambda x: _np_top_k(x, 2)),
    Case("argmax_axis0", lambda x: jnp.argmax(x, axis=0), [_rand(4, 3, 2)], 2,
         lambda x: np.argmax(x, axis=0).astype(np.int32)),
    Case("iota_added", lambda x: x + jnp.arange(4), [_rand(3, 4)], 0,
         lambda x: x + np.arange(4, dtype=np.float32)),
    Case("where_unbatched_predicate", lambda x, y: jnp.where(y > 0, x, 0.0),
         [_rand(3, 4), _rand(4)], (0, None), lambda x, y: np.where(y > 0, x, 0.0)),
    Case("concatenate_mixed", lambda x, y: jnp.concatenate([y, x, y]), [_rand(4, 3), _rand(2)],
         (1, None), lambda x, y: np.concatenate([y, x, y])),
    Case("transpose_3d", lambda x: jnp.transpose(x, (2, 0, 1)), [_rand(2, 3, 4, 5)], 2,
         lambda x: np.transpose(x, (2, 0, 1)), out_axes=1),
    Case("reshape_batched_axis1", lambda x: x.reshape(6), [_rand(2, 4, 3)], 1,
         lambda x: x.reshape(6)),
    Case("broadcast_to", lambda x: jnp.broadcast_to(x, (2, 3)), [_rand(3, 4)], 1,
         lambda x: np.broadcast_to(x, (2, 3))),
    Case("integer_pow_and_convert", lambda x: (x ** 3).astype(jnp.int32),
         [_rand(3, 4) * 3], 0, lambda x: (x ** 3).astype(np.int32)),
    Case("scalar_examples", lambda x, y: jnp.abs(x - y), [_rand(5), _rand(5)], 0,
         lambda x, y: np.abs(x - y)),
    Case("several_outputs", lambda x: (x.sum(), x * 2), [_rand(3, 4)], 0,
         lambda x: (x.sum(), x * 2), out_axes=(0, 1)),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_special_cases(case):
    got = vmap(case.fn, case.in_axes, case.out_axes)(*case.args)
    in_axes = case.in_axes if isinstance(case.in_axes, tuple) else (case.in_axes,) * len(case.args)
    in_axes = tuple(None if a is None else a % np.ndim(x) for a, x in zip(in_axes, case.args))
    want = loop_reference(case.ref, case.args, in_axes, case.out_axes)
    assert_tree_close(got if not isinstance(got, list) else tuple(got), want, 1e-5, 1e-5)


def test_random_with_batched_keys():
    from mlax import random
    keys = random.split(random.PRNGKey(0), 4)
    got = vmap(lambda k: random.normal(k, (3,)))(keys)
    want = np.stack([np.asarray(random.normal(k, (3,))) for k in keys])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    bits = vmap(lambda k: random.randint(k, (2,), 0, 100))(keys)
    np.testing.assert_array_equal(bits, np.stack([random.randint(k, (2,), 0, 100) for k in keys]))


# ---------------------------------------------------------------------------------------
# Control flow

def run_control_flow(f, *args):
    """jit(f)(*args) as a list of results, lowering control flow even where the CPU
    pipeline does not do it yet (mlax-lower-control-flow after mlax-lower-to-linalg)."""
    if "mlax-lower-control-flow" in pipelines.CPU:
        out = mlax.jit(f)(*args)
        return list(out) if isinstance(out, (tuple, list)) else [out]
    from mlax.backends.cpu.compile import compile_module
    from mlax.dialects import func_ops, function_signature, symbol_name
    module = mlax.make_ir(f)(*args).module
    name = next(symbol_name(op) for op in func_ops(module) if "sym_visibility" not in op.attributes)
    pipeline = pipelines.CPU.replace("mlax-lower-to-linalg,",
                                     "mlax-lower-to-linalg,mlax-lower-control-flow,", 1)
    with module.context:
        exes, _ = compile_module(module, {name: function_signature(module, name)[1]}, pipeline)
    return exes[name]([np.ascontiguousarray(a) for a in args])


def test_cond_batched_predicate():
    from mlax.lax import control_flow as cf
    x = _rand(4, 3)
    [got] = run_control_flow(vmap(lambda x: cf.cond(x[0] > 0, lambda v: v * 2, lambda v: v - 1, x)), x)
    want = np.stack([e * 2 if e[0] > 0 else e - 1 for e in x])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_cond_unbatched_predicate_and_switch():
    from mlax.lax import control_flow as cf
    x = _rand(4, 3)
    [got] = run_control_flow(vmap(lambda x, p: cf.cond(p, lambda v: v * 2, lambda v: v - 1, x),
                                  (0, None)), x, np.array(True))
    np.testing.assert_allclose(got, x * 2, rtol=1e-6)
    i = np.array([0, 1, 2, 7], np.int32)
    fs = [lambda v: v * 2, lambda v: v - 1, lambda v: -v]
    [got] = run_control_flow(vmap(lambda i, x: cf.switch(i, fs, x)), i, x)
    want = np.stack([fs[min(k, 2)](e) for k, e in zip(i, x)])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_while_batched_and_unbatched_predicate():
    from mlax.lax import control_flow as cf
    n = np.array([0.0, 3.0, 1.0, 5.5], np.float32)

    def count(n):
        return cf.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1.0, c[1] * 2.0), (0.0, 1.0))
    got = run_control_flow(vmap(count), n)
    np.testing.assert_allclose(got[0], np.ceil(n))
    np.testing.assert_allclose(got[1], 2.0 ** np.ceil(n))
    x = _rand(4, 3)
    [got] = run_control_flow(vmap(lambda x: cf.while_loop(
        lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2), (0, x))[1]), x)
    np.testing.assert_allclose(got, x * 32, rtol=1e-6)


def test_scan_and_fori_loop():
    from mlax.lax import control_flow as cf
    xs = _rand(4, 6)
    carry, ys = run_control_flow(vmap(lambda xs: cf.scan(lambda c, x: (c + x, c * x), 0.0, xs)), xs)
    np.testing.assert_allclose(carry, xs.sum(1), rtol=1e-5)
    prev = np.concatenate([np.zeros((4, 1), np.float32), np.cumsum(xs, 1)[:, :-1]], 1)
    np.testing.assert_allclose(ys, prev * xs, rtol=1e-5, atol=1e-6)
    [got] = run_control_flow(vmap(lambda x: cf.fori_loop(0, 3, lambda i, c: c * x, x)), xs)
    np.testing.assert_allclose(got, xs ** 4, rtol=1e-5)
    w = _rand(6)
    [got] = run_control_flow(vmap(lambda y: cf.scan(lambda c, x: (c + x * y, c * x), 0.0, w)[1]),
                             xs[:, 0])
    want = np.stack([[np.sum(w[:k] * yv) * w[k] for k in range(6)] for yv in xs[:, 0]])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# The seeds


def test_seed_apply_matrix_shapes():
    from mlax import random
    key = random.PRNGKey(0)
    mat = random.normal(key, (15, 10))
    single = random.normal(key, (10,))
    batched_x = random.normal(key, (5, 10))

    def apply_matrix(v):
        return jnp.dot(mat, v)
    assert apply_matrix(single).shape == (15,)
    out = mlax.vmap(apply_matrix)(batched_x) if hasattr(mlax, "vmap") else vmap(apply_matrix)(batched_x)
    assert out.shape == (5, 15)
    np.testing.assert_allclose(out, np.asarray(batched_x) @ np.asarray(mat).T, rtol=1e-5, atol=1e-5)


def test_seed_naive_vs_vmap_batched():
    from mlax import random
    key = random.key(1701)
    key1, key2 = random.split(key)
    mat = random.normal(key1, (150, 100))
    batched_x = random.normal(key2, (10, 100))

    def apply_matrix(x):
        return jnp.dot(mat, x)

    def naively_batched_apply_matrix(v_batched):
        return jnp.stack([apply_matrix(v) for v in v_batched])

    @mlax.jit
    def vmap_batched_apply_matrix(batched_x):
        return vmap(apply_matrix)(batched_x)
    np.testing.assert_allclose(naively_batched_apply_matrix(batched_x),
                               vmap_batched_apply_matrix(batched_x), atol=1E-4, rtol=1E-4)


def test_seed_loss_in_axes_none_0_1():
    fhat = lambda params, x: params[0] * x + params[1]   # noqa: E731
    loss = lambda params, x, y: (fhat(params, x) - y) ** 2   # noqa: E731
    vmap_loss = vmap(loss, in_axes=(None, 0, 1))
    samples = 5
    xs = jnp.linspace(0, 2, samples)
    ys = 5 * xs + 2
    loss_vals = vmap_loss(jnp.array([5., 2.]), xs.reshape((samples, 1)), ys.reshape((1, samples)))
    assert loss_vals.shape == (5, 1)
    np.testing.assert_allclose(loss_vals, 0.0, atol=1e-10)


def test_seed_double_vmap_pairwise_l1dist():
    def apply_double_arg_func(func, xs, xs2=None):
        if xs2 is None:
            return vmap(lambda x: vmap(lambda y: func(x, y))(xs))(xs)
        return vmap(lambda x: vmap(lambda y: func(x, y))(xs))(xs2).T

    def apply_double_arg_func2(func, xs, xs2=None):
        if xs2 is None:
            return vmap(vmap(func, (0, None)), (None, 0))(xs, xs)
        return vmap(vmap(func, (0, None)), (None, 0))(xs, xs2).T

    def l1dist(x, y):
        return jnp.sum(jnp.abs(x - y))
    x1 = jnp.linspace(1, 10, 100)
    y1 = jnp.linspace(1, 5, 20)
    a = apply_double_arg_func(l1dist, x1, y1)
    b = apply_double_arg_func2(l1dist, x1, y1)
    assert a.shape == b.shape == (100, 20)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, np.abs(np.asarray(x1)[:, None] - np.asarray(y1)[None, :]),
                               rtol=1e-6)
    np.testing.assert_allclose(apply_double_arg_func(l1dist, y1),
                               apply_double_arg_func2(l1dist, y1))


def _grad():
    g = getattr(mlax, "grad", None)
    if g is None:
        try:
            from mlax.ad import grad as g
        except ImportError:
            pytest.skip("mlax.grad is not available yet")
    return g


def test_seed_vmap_of_grad_sin_is_cos():
    grad = _grad()
    x = jnp.linspace(0, 2 * np.pi, 100)
    dy = vmap(grad(jnp.sin))(x)
    np.testing.assert_allclose(dy, np.cos(np.asarray(x)), rtol=1e-5, atol=1e-6)


def test_seed_mse_with_vmap_inside_grad_trains():
    grad = _grad()
    from mlax import random

    def predict(W, b, x):
        return jnp.dot(x, W) + b

    def mse(W, b, x_batched, y_batched):
        def squared_error(x, y):
            y_pred = predict(W, b, x)
            return jnp.inner(y - y_pred, y - y_pred) / 2.0
        return jnp.mean(vmap(squared_error)(x_batched, y_batched), axis=0)

    key = random.PRNGKey(0)
    k1, k2 = random.split(key)
    W = random.normal(k1, (10, 5))
    b = random.normal(k2, (5,))
    key_sample, key_noise = random.split(k1)
    x_samples = random.normal(key_sample, (20, 10))
    y_samples = predict(W, b, x_samples) + 0.1 * random.normal(key_noise, (20, 5))

    @mlax.jit
    def update_params(W, b, x, y, lr):
        W, b = W - lr * grad(mse, 0)(W, b, x, y), b - lr * grad(mse, 1)(W, b, x, y)
        return W, b

    W_hat, b_hat = jnp.zeros_like(W), jnp.zeros_like(b)
    first = float(mse(W_hat, b_hat, x_samples, y_samples))
    for _ in range(101):
        W_hat, b_hat = update_params(W_hat, b_hat, x_samples, y_samples, 0.3)
    last = float(mse(W_hat, b_hat, x_samples, y_samples))
    assert last < 0.02 < first
    # The gradient of the vmapped loss equals the hand-batched one.
    Wn, bn, xn, yn = (np.asarray(a, np.float64) for a in (W_hat, b_hat, x_samples, y_samples))
    r = xn @ Wn + bn - yn
    np.testing.assert_allclose(grad(mse, 0)(W_hat, b_hat, x_samples, y_samples),
                               xn.T @ r / len(xn), rtol=1e-3, atol=1e-5)


def test_grad_of_vmap_and_vmap_of_grad_agree():
    grad = _grad()
    x = _rand(4, 3)
    per_example = vmap(grad(lambda v: jnp.sum(jnp.sin(v) * v)))(x)
    total = grad(lambda xs: jnp.sum(vmap(lambda v: jnp.sum(jnp.sin(v) * v))(xs)))(x)
    np.testing.assert_allclose(per_example, total, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(per_example, np.cos(x) * x + np.sin(x), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# The API: pytrees, axes, closures, composition


def test_in_axes_pytree_prefix_and_out_axes_pytree():
    params = {"w": _rand(4), "b": _rand(3, 2)}
    xs = _rand(3, 4)

    def f(p, x):
        return {"y": jnp.dot(p["w"], x) + p["b"][0], "z": p["b"]}
    out = vmap(f, in_axes=({"w": None, "b": 0}, 0), out_axes={"y": 0, "z": 1})(params, xs)
    np.testing.assert_allclose(out["y"], xs @ params["w"] + params["b"][:, 0], rtol=1e-5)
    np.testing.assert_allclose(out["z"], params["b"].T)


def test_list_in_axes_and_tuple_arguments():
    pair = (_rand(3, 2), _rand(2))
    out = vmap(lambda p: p[0] * p[1], in_axes=[(0, None)])(pair)
    np.testing.assert_allclose(out, pair[0] * pair[1])


def test_negative_axes_and_kwargs():
    x, y = _rand(2, 5), _rand(5, 2)
    out = vmap(lambda a, b: a + b, in_axes=(-1,), out_axes=-1)(x, b=y)
    np.testing.assert_allclose(out, x + y.T)


def test_unbatched_output_with_out_axes_none_and_broadcast_output():
    x, w = _rand(4, 3), _rand(3)
    a, b = vmap(lambda x, w: (w * 2, x + w), in_axes=(0, None), out_axes=(None, 0))(x, w)
    np.testing.assert_allclose(a, w * 2)
    np.testing.assert_allclose(b, x + w)
    c = vmap(lambda x, w: w * 2, in_axes=(0, None))(x, w)
    np.testing.assert_allclose(c, np.broadcast_to(w * 2, (4, 3)))


def test_axis_size_without_mapped_arguments():
    out = vmap(lambda: jnp.arange(3.0), in_axes=(), axis_size=4)()
    np.testing.assert_allclose(out, np.broadcast_to(np.arange(3.0), (4, 3)))


def test_closure_over_traced_and_concrete_values():
    w = _rand(3)

    @mlax.jit
    def f(xs, s):
        return vmap(lambda x: jnp.sum(x * w) * s)(xs)
    xs = _rand(5, 3)
    np.testing.assert_allclose(f(xs, 2.0), (xs @ w) * 2.0, rtol=1e-5)


def test_nested_vmap_different_axes():
    x = _rand(2, 3, 4)
    out = vmap(vmap(lambda v: v * jnp.sum(v), in_axes=1, out_axes=0), in_axes=2, out_axes=1)(x)
    want = np.stack([np.stack([x[:, j, k] * x[:, j, k].sum() for j in range(3)], 0)
                     for k in range(4)], 1)
    np.testing.assert_allclose(out, want, rtol=1e-5)


def test_vmap_of_jit_and_jit_of_vmap():
    f = mlax.jit(lambda x: jnp.tanh(x) @ jnp.ones((3, 2)))
    x = _rand(4, 5, 3)
    want = np.tanh(x) @ np.ones((3, 2), np.float32)
    np.testing.assert_allclose(vmap(f)(x), want, rtol=1e-5)
    np.testing.assert_allclose(mlax.jit(vmap(f, in_axes=1, out_axes=1))(x.transpose(1, 0, 2)),
                               want.transpose(1, 0, 2), rtol=1e-5)


def test_vmap_twice_nested_triple_batch():
    x = _rand(2, 3, 4)
    out = vmap(vmap(vmap(lambda s: s * s + 1.0)))(x)
    np.testing.assert_allclose(out, x * x + 1.0, rtol=1e-6)


def test_python_scalar_unbatched_argument_keeps_weak_type():
    out = vmap(lambda x, s: x * s, in_axes=(0, None))(_rand(3, 2).astype(np.float32), 2)
    assert out.dtype == np.float32


def test_vmapped_is_cached_per_signature():
    f = vmap(jnp.sin)
    f(_rand(3, 2))
    f(_rand(3, 2))
    assert len(f._jits[((), ())]._cache) == 1


# ---------------------------------------------------------------------------------------
# The IR


def test_every_op_with_operands_has_a_batching_rule():
    from mlax.dialects import OPS
    from mlax.transforms.vmap_rules import BATCHING_RULES
    missing = [n for n, d in OPS.items() if d.operands and n not in BATCHING_RULES]
    assert not missing
    for kind in ("cond", "while", "scan", "custom_jvp", "custom_vjp"):
        assert "mlax." + kind in BATCHING_RULES


def _expanded(fn, *args):
    module = mlax.make_ir(fn)(*args).module
    with module.context:
        run_pipeline(module, "mlax-expand-transforms,symbol-dce")
    return str(module)


def test_make_ir_shows_vmap_declaration():
    text = str(mlax.make_ir(vmap(jnp.sin, in_axes=1))(_rand(3, 5)))
    assert re.search(r"mlax\.vmap = \{axis_size = 5 : i64, callee = @sin\w*, "
                     r"in_axes = array<i64: 1>, out_axes = array<i64: 0>\}", text), text


def test_vmap_of_matvec_is_one_matmul():
    mat = _rand(150, 100)
    text = _expanded(lambda xs: vmap(lambda x: jnp.dot(mat, x))(xs), _rand(10, 100))
    assert text.count('"mlax.dot_general"') == 1
    assert "mlax.transpose" not in text
    assert "(tensor<10x100xf32>, tensor<150x100xf32>) -> tensor<10x150xf32>" in text


def test_elementwise_chain_has_no_transposes():
    def f(x, y):
        return jnp.tanh(jnp.exp(x + y) * x - 1.0)
    text = _expanded(lambda a, b: vmap(f, in_axes=1, out_axes=1)(a, b), _rand(3, 5), _rand(3, 5))
    assert "mlax.transpose" not in text
    text = _expanded(lambda a, b: vmap(f, in_axes=1)(a, b), _rand(3, 5), _rand(3, 5))
    assert text.count("mlax.transpose") == 1


# ---------------------------------------------------------------------------------------
# Bad input


def test_error_inconsistent_sizes_names_arguments_axes_sizes():
    def f(x, y):
        return x + y[0]
    with pytest.raises(ValueError) as e:
        vmap(f)(_rand(5, 3), _rand(4))
    msg = str(e.value)
    assert "vmap got inconsistent sizes for array axes to be mapped" in msg
    assert "one axis had size 5: axis 0 of argument x of type float32[5,3]" in msg
    assert "one axis had size 4: axis 0 of argument y of type float32[4]" in msg
    assert "test_vmap.py" in msg


def test_error_inconsistent_sizes_in_pytree_names_path():
    with pytest.raises(ValueError, match=r"axis 1 of argument p\['b'\] of type float32\[2,7\]"):
        vmap(lambda p: p["a"] + p["b"][0, 0], in_axes=({"a": 0, "b": 1},))({"a": _rand(3), "b": _rand(2, 7)})


def test_error_axis_out_of_range():
    with pytest.raises(ValueError, match=r"map its argument x along axis 2, which implies that its "
                                         r"rank should be at least 3, but is only 2 \(its shape is \(3, 4\)\)"):
        vmap(lambda x: x, in_axes=2)(_rand(3, 4))
    with pytest.raises(ValueError, match=r"along axis -3"):
        vmap(lambda x: x, in_axes=-3)(_rand(3, 4))
    with pytest.raises(ValueError, match=r"rank should be at least 1, but is only 0"):
        vmap(lambda x, s: x * s, in_axes=(0, 0))(_rand(3), 2.0)


def test_error_in_axes_structure():
    with pytest.raises(ValueError, match=r"len\(in_axes\)=2, len\(args\)=3"):
        vmap(lambda a, b, c: a, in_axes=(0, 0))(_rand(2), _rand(2), _rand(2))
    with pytest.raises(ValueError, match=r"in_axes specification must be a tree prefix"):
        vmap(lambda p: p[0], in_axes=((0, 0, 0),))((_rand(2), _rand(2)))
    with pytest.raises(TypeError, match=r"in_axes must be an int, None, or \(nested\) container"):
        vmap(lambda x: x, in_axes=(1.5,))
    with pytest.raises(TypeError, match=r"in_axes must be an int, None, or a tuple"):
        vmap(lambda x: x, in_axes="0")


def test_error_no_mapped_arguments_and_out_axes():
    with pytest.raises(ValueError, match=r"at least one non-None value in in_axes"):
        vmap(lambda x: x, in_axes=None)(_rand(3))
    with pytest.raises(ValueError, match=r"vmap has mapped output but out_axes is None"):
        vmap(lambda x: x * 2, out_axes=None)(_rand(3))
    with pytest.raises(ValueError, match=r"out_axes specification 2 is out of range"):
        vmap(lambda x: x * 2, out_axes=2)(_rand(3))
    with pytest.raises(ValueError, match=r"out_axes specification must be a tree prefix"):
        vmap(lambda x: (x, x), out_axes=(0, 0, 0))(_rand(3))


def test_error_axis_size_disagrees():
    with pytest.raises(ValueError, match=r"axis_size was given as 4"):
        vmap(lambda x: x, axis_size=4)(_rand(3))
