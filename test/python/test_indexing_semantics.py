"""Out-of-bounds indexing semantics against JAX: reads clamp (or fill), updates drop (or clip),
negative indices count from the end once, `lax.dynamic_slice` wraps a negative start before
clamping; eagerly, in jit, under grad and under vmap. Also: eager indexing compiles one
executable for every position."""
import numpy as np
import pytest

import mlax
from mlax import eager
from mlax import numpy as jnp
from child import run_case

X1 = np.arange(10, dtype=np.float32)
X2 = np.arange(12, dtype=np.float32).reshape(3, 4)
IDX = np.array([11, 2, -11, 9, -3], np.int32)


def _jax():
    return pytest.importorskip("jax")


def _check(case):
    """Run `case(m)` with m = mlax and m = jax; the values must agree (NaN equal to NaN)."""
    jax = _jax()
    got, want = case(mlax), case(jax)
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_array_equal(got, want)


# Each case is f(m) with m the mlax or the jax module.
READS = {
    "int_past_end": lambda m: m.numpy.asarray(X1)[11],
    "int_before_start": lambda m: m.numpy.asarray(X1)[-11],
    "int_2d": lambda m: m.numpy.asarray(X2)[1, 5],
    "row_past_end": lambda m: m.numpy.asarray(X2)[5],
    "row_and_slice": lambda m: m.numpy.asarray(X2)[-7, 1:3],
    "at_get": lambda m: m.numpy.asarray(X1).at[11].get(),
    "at_get_clip": lambda m: m.numpy.asarray(X1).at[-12].get(mode="clip"),
    "at_get_fill": lambda m: m.numpy.asarray(X1).at[11].get(mode="fill"),
    "at_get_fill_negative": lambda m: m.numpy.asarray(X1).at[-11].get(mode="fill"),
    "at_get_fill_value": lambda m: m.numpy.asarray(X2).at[5, 1:3].get(mode="fill", fill_value=-1.0),
    "at_get_fill_int": lambda m: m.numpy.arange(10).at[11].get(mode="fill"),
    "at_get_fill_uint8": lambda m: m.numpy.arange(10, dtype=np.uint8).at[11].get(mode="fill"),
    "at_get_drop": lambda m: m.numpy.asarray(X1).at[11].get(mode="drop"),
    "at_get_fill_value_without_mode": lambda m: m.numpy.asarray(X1).at[11].get(fill_value=3.0),
    "array_index": lambda m: m.numpy.asarray(X1)[IDX],
    "array_fill": lambda m: m.numpy.asarray(X1).at[IDX].get(mode="fill", fill_value=0.0),
    "take": lambda m: m.numpy.take(m.numpy.asarray(X1), IDX),
    "take_clip": lambda m: m.numpy.take(m.numpy.asarray(X1), IDX, mode="clip"),
    "take_wrap": lambda m: m.numpy.take(m.numpy.asarray(X1), IDX, mode="wrap"),
    "take_fill_value": lambda m: m.numpy.take(m.numpy.asarray(X2), np.array([[1, 4], [-5, 0]]), axis=1,
                                              mode="fill", fill_value=7.0),
    "take_along_axis": lambda m: m.numpy.take_along_axis(m.numpy.asarray(X2), np.array([[1], [5], [-1]]),
                                                         axis=1),
    "take_along_axis_clip": lambda m: m.numpy.take_along_axis(m.numpy.asarray(X2), np.array([[1], [5], [-5]]),
                                                              axis=1, mode="clip"),
    "dynamic_slice_negative": lambda m: m.lax.dynamic_slice(m.numpy.asarray(X1), (-3,), (2,)),
    "dynamic_slice_negative_past_end": lambda m: m.lax.dynamic_slice(m.numpy.asarray(X1), (-1,), (2,)),
    "dynamic_slice_before_start": lambda m: m.lax.dynamic_slice(m.numpy.asarray(X1), (-13,), (2,)),
    "dynamic_slice_huge_unsigned": lambda m: m.lax.dynamic_slice(m.numpy.asarray(X1),
                                                                 (np.uint32(3_000_000_000),), (2,)),
    "dynamic_update_slice_negative": lambda m: m.lax.dynamic_update_slice(
        m.numpy.asarray(X1), m.numpy.ones(2, np.float32), (-3,)),
}

UPDATES = {
    "set_past_end": lambda m: m.numpy.asarray(X1).at[11].set(5.0),
    "set_before_start": lambda m: m.numpy.asarray(X1).at[-11].set(5.0),
    "add_past_end": lambda m: m.numpy.asarray(X1).at[11].add(5.0),
    "set_negative": lambda m: m.numpy.asarray(X1).at[-1].set(5.0),
    "set_clip": lambda m: m.numpy.asarray(X1).at[11].set(5.0, mode="clip"),
    "set_clip_negative": lambda m: m.numpy.asarray(X1).at[-12].set(5.0, mode="clip"),
    "set_promise_in_bounds": lambda m: m.numpy.asarray(X1).at[11].set(5.0, mode="promise_in_bounds"),
    "set_row": lambda m: m.numpy.asarray(X2).at[5].set(0.0),
    "set_row_slice": lambda m: m.numpy.asarray(X2).at[5, 1:3].set(0.0),
    "set_row_slice_clip": lambda m: m.numpy.asarray(X2).at[5, 1:3].set(-1.0, mode="clip"),
    "set_2d_point": lambda m: m.numpy.asarray(X2).at[1, 5].set(0.0),
    "array_add": lambda m: m.numpy.asarray(X1).at[IDX].add(1.0),
    "array_set_clip": lambda m: m.numpy.asarray(X1).at[np.array([1, 11])].set(np.float32([5, 6]), mode="clip"),
    "apply_past_end": lambda m: m.numpy.asarray(X1).at[11].apply(lambda v: v * 2),
    "power_past_end": lambda m: m.numpy.asarray(X1).at[11].power(2.0),
}

# Functions of (x, i) run under jit with a traced index i, for each i in TRACED_INDICES.
TRACED = {
    "get": lambda x, i: x[i],
    "get_fill": lambda x, i: x.at[i].get(mode="fill"),
    "set": lambda x, i: x.at[i].set(5.0),
    "add": lambda x, i: x.at[i].add(5.0),
    "min": lambda x, i: x.at[i].min(-1.0),
    "set_clip": lambda x, i: x.at[i].set(5.0, mode="clip"),
    "row_slice_set": lambda x, i: x.reshape(2, 5).at[i, 1:3].set(-1.0),
    "row_slice_mul": lambda x, i: x.reshape(2, 5).at[i, 1:3].multiply(2.0),
}
TRACED_INDICES = [11, 10, 9, -1, -10, -11, -3]


@pytest.mark.parametrize("name", sorted(READS))
def test_reads_match_jax(name):
    _check(READS[name])


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_updates_match_jax(name):
    _check(UPDATES[name])


@pytest.mark.parametrize("name", sorted(TRACED))
def test_traced_index_matches_jax(name):
    jax = _jax()
    f = TRACED[name]
    mf, jf = mlax.jit(f), jax.jit(f)
    for i in TRACED_INDICES:
        got = np.asarray(mf(jnp.asarray(X1), i))
        want = np.asarray(jf(jax.numpy.asarray(X1), i))
        np.testing.assert_array_equal(got, want, err_msg=f"{name} at index {i}")


@pytest.mark.parametrize("name", ["get", "get_fill", "set", "add", "row_slice_set"])
def test_vmapped_index_matches_jax(name):
    jax = _jax()
    f = TRACED[name]
    idx = np.array(TRACED_INDICES, np.int32)
    got = mlax.vmap(f, (None, 0))(jnp.asarray(X1), idx)
    want = jax.vmap(f, (None, 0))(jax.numpy.asarray(X1), idx)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_vmapped_operand_and_index_match_jax():
    jax = _jax()
    f = lambda x, i: x.at[i, 1].add(1.0)   # noqa: E731
    xs, idx = np.stack([X2] * 4), np.array([-1, -4, 3, 1], np.int32)
    got = mlax.vmap(f)(jnp.asarray(xs), idx)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(jax.vmap(f)(xs, idx)))


@pytest.mark.parametrize("name", ["dynamic_slice", "dynamic_update_slice"])
def test_vmapped_dynamic_slices_match_jax(name):
    idx = np.array([-1, -11, 3, 9], np.int32)

    def run(m):
        x = m.numpy.asarray(X1)
        if name == "dynamic_slice":
            return m.vmap(lambda i: m.lax.dynamic_slice(x, (i,), (2,)))(idx)
        return m.vmap(lambda i: m.lax.dynamic_update_slice(x, m.numpy.ones(2), (i,)))(idx)
    _check(run)


# Gradients at out-of-bounds indices: JAX's default read clamps the value but drops the
# gradient of an out-of-bounds array index; "clip" sends it to the clamped element; "fill"
# and dropped updates have none.
GRADS = {
    "array_index": lambda m: m.grad(lambda x: x[IDX].sum())(m.numpy.asarray(X1)),
    "array_clip": lambda m: m.grad(lambda x: x.at[IDX].get(mode="clip").sum())(m.numpy.asarray(X1)),
    "array_fill": lambda m: m.grad(lambda x: x.at[IDX].get(mode="fill", fill_value=0.0).sum())(
        m.numpy.asarray(X1)),
    "int_past_end": lambda m: m.grad(lambda x: x[11])(m.numpy.asarray(X1)),
    "int_fill": lambda m: m.grad(lambda x: x.at[11].get(mode="fill"))(m.numpy.asarray(X1)),
    "traced_int": lambda m: m.grad(lambda x, i: x[i])(m.numpy.asarray(X1), 11),
    "dropped_add": lambda m: m.grad(lambda v, i: m.numpy.asarray(X1).at[i].add(v).sum())(1.0, 11),
    "dropped_set_values": lambda m: m.grad(lambda v: m.numpy.asarray(X1).at[np.array([11, 2, -11])].set(v).sum())(
        m.numpy.ones(3)),
    "dropped_row_set": lambda m: m.grad(lambda v, i: m.numpy.asarray(X2).at[i, 1:3].set(v).sum())(
        m.numpy.ones(2), 7),
    "kept_row_add": lambda m: m.grad(lambda v, i: m.numpy.asarray(X2).at[i, 1:3].add(v * v).sum())(
        m.numpy.ones(2), -1),
    "take": lambda m: m.grad(lambda x: m.numpy.take(x, IDX).sum())(m.numpy.asarray(X1)),
    "take_clip": lambda m: m.grad(lambda x: m.numpy.take(x, IDX, mode="clip").sum())(m.numpy.asarray(X1)),
    "dynamic_slice_negative": lambda m: m.grad(lambda x: m.lax.dynamic_slice(x, (-3,), (2,)).sum())(
        m.numpy.asarray(X1)),
    "vmap_of_grad_fill": lambda m: m.vmap(m.grad(lambda x, i: x.at[i].get(mode="fill")), (None, 0))(
        m.numpy.asarray(X1), np.array([1, 11, -11, -2], np.int32)),
    "vmap_of_grad_set": lambda m: m.vmap(m.grad(lambda v, i: m.numpy.asarray(X1).at[i].set(v).sum()), (None, 0))(
        2.0, np.array([1, 11, -11, -2], np.int32)),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_gradients_match_jax(name):
    _check(GRADS[name])


# ---------------------------------------------------------------------------------------
# Errors where JAX raises


@pytest.mark.parametrize("case", [
    lambda: jnp.zeros(0)[0],
    lambda: jnp.zeros((0, 3))[0],
    lambda: jnp.zeros(0).at[0].set(1.0),
    lambda: jnp.zeros(0).at[0].get(mode="fill"),
    lambda: mlax.jit(lambda x, i: x[i])(jnp.zeros(0), 0),
    lambda: mlax.jit(lambda x, i: x.at[i].set(1.0))(jnp.zeros(0), 0),
])
def test_integer_index_into_an_empty_axis_raises(case):
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 0"):
        case()


def test_gathers_from_an_empty_axis_raise_or_read_nothing():
    # A gather from an empty axis read memory outside the operand (and could kill the process).
    out = run_case('''
        import numpy as np, pytest
        from mlax import numpy as jnp
        for mode in (None, "clip", "wrap"):
            with pytest.raises(IndexError, match="non-empty jnp.take"):
                jnp.take(jnp.zeros(0), np.array([0]), mode=mode)
        with pytest.raises(TypeError, match="axis 0 of size 0"):
            jnp.zeros((0, 3))[np.array([0])]
        print(jnp.zeros((0, 3))[np.array([], np.int32)].shape)
        print(jnp.take_along_axis(jnp.zeros((2, 0)), np.zeros((2, 1), np.int32), axis=1).tolist())
    ''')
    assert out.stdout.split("\n")[:2] == ["(0, 3)", "[[0.0], [0.0]]"]   # JAX's results


@pytest.mark.parametrize("case, match", [
    (lambda: jnp.arange(3.0).at[1].get(mode="bogus"), "Unknown gather mode 'bogus'"),
    (lambda: jnp.arange(3.0).at[1].set(2.0, mode="bogus"), "Unknown scatter mode 'bogus'"),
    (lambda: jnp.take(jnp.arange(3.0), np.array([1]), mode="drop"), "Invalid mode 'drop' for np.take"),
    (lambda: jnp.take(jnp.arange(3.0), np.array([1]), mode="promise_in_bounds"), "Invalid mode"),
    (lambda: jnp.take_along_axis(jnp.ones((2, 2)), np.ones((2, 1), np.int32), 1, mode="wrap"),
     "Unknown gather mode 'wrap'"),
    (lambda: mlax.lax.dynamic_slice(jnp.ones((2, 2)), (0,), (1, 1)), "2 start indices|1 start indices"),
])
def test_bad_modes_and_indices_raise_value_error(case, match):
    with pytest.raises(ValueError, match=match):
        case()


def test_take_raise_mode_is_not_implemented():
    with pytest.raises(NotImplementedError, match="'raise' mode"):
        jnp.take(jnp.arange(3.0), np.array([1]), mode="raise")


# ---------------------------------------------------------------------------------------
# Eager indexing compiles once for all positions


def test_eager_indexing_reuses_one_executable_per_shape():
    x = jnp.asarray(np.arange(40 * 8, dtype=np.float32).reshape(40, 8))
    for warm in (x[0], x[0, 1], x[0:2], x[0:6:2], x.at[0].set(1.0), x.at[0].add(1.0)):
        pass
    before = len(eager._cache)
    rows = list(x)
    points = [x[i, i % 8] for i in range(40)]
    windows = [x[i:i + 2] for i in range(38)]
    strided = [x[i:i + 6:2] for i in range(30)]
    updated = [x.at[i].set(1.0) for i in range(0, 40, 7)] + [x.at[i].add(1.0) for i in range(0, 40, 9)]
    assert len(eager._cache) == before   # positions are runtime operands, not compile-time constants
    want = np.asarray(x)
    np.testing.assert_array_equal(np.stack([np.asarray(r) for r in rows]), want)
    np.testing.assert_array_equal([float(p) for p in points], [want[i, i % 8] for i in range(40)])
    np.testing.assert_array_equal(np.asarray(windows[17]), want[17:19])
    np.testing.assert_array_equal(np.asarray(strided[29]), want[29:35:2])
    np.testing.assert_array_equal(np.asarray(updated[2])[14], np.ones(8, np.float32))


def test_static_indices_stay_static_under_jit():
    text = mlax.jit(lambda x: (x[2], x[1:3, ::2])).lower(jnp.ones((5, 4))).as_text()
    assert '"mlax.slice"' in text and "dynamic_slice" not in text
