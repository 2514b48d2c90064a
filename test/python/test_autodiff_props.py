"""Property tests: for every differentiable mlax op, on random shapes (0-d and size-1 axes
included), the JVP matches central finite differences of the op itself and the VJP is its
transpose (<ct, J t> == <J^T ct, t>), in float64; and jacfwd equals jacrev.

Each example compiles one function (the JVP, the VJP and the finite difference together),
so the example counts are small."""
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import mlax
from mlax import lax, numpy as jnp
from mlax.ad import jvp, vjp
from mlax.jacobians import jacfwd, jacrev

SETTINGS = settings(max_examples=3, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)
nonscalar = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)
seeds = st.integers(0, 2 ** 31 - 1)


def _u(rng, shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def _axes(rng, rank):
    return tuple(sorted(int(a) for a in np.flatnonzero(rng.integers(0, 2, size=rank))))


# name -> make(rng, shape) -> (f, args): f differentiable at args in all float64 operands.
def unary(fn, lo=-2.0, hi=2.0):
    return lambda rng, shape: (fn, [_u(rng, shape, lo, hi)])


def binary(fn, lo=-2.0, hi=2.0):
    return lambda rng, shape: (fn, [_u(rng, shape, lo, hi), _u(rng, shape, lo, hi)])


def _away_from_zero(rng, shape, lo=0.2, hi=2.0):
    return _u(rng, shape, lo, hi) * rng.choice([-1.0, 1.0], size=shape)


def _reduce(fn):
    def make(rng, shape):
        axes = _axes(rng, len(shape))
        return (lambda x: fn(x, axes)), [_u(rng, shape)]
    return make


def _cumulative(fn, lo=-2.0, hi=2.0):
    def make(rng, shape):
        axis = int(rng.integers(0, len(shape))) if shape else None
        rev = bool(rng.integers(0, 2))
        if axis is None:
            return (lambda x: fn(x[None], axis=0, reverse=rev)), [_u(rng, shape, lo, hi)]
        return (lambda x: fn(x, axis=axis, reverse=rev)), [_u(rng, shape, lo, hi)]
    return make


def _broadcast(rng, shape):
    out = (2,) + shape
    return (lambda x: lax.broadcast_in_dim(x, out, tuple(range(1, len(out))))), [_u(rng, shape)]


def _transpose(rng, shape):
    perm = tuple(int(i) for i in rng.permutation(len(shape)))
    return (lambda x: lax.transpose(x, perm)), [_u(rng, shape)]


def _slice(rng, shape):
    start = [int(rng.integers(0, n)) for n in shape]
    stride = [int(rng.integers(1, 3)) for _ in shape]
    return (lambda x: lax.slice(x, start, list(shape), stride)), [_u(rng, shape)]


def _pad(rng, shape):
    cfg = [(int(rng.integers(-1, 2)) if n > 1 else int(rng.integers(0, 2)),
            int(rng.integers(0, 2)), int(rng.integers(0, 2))) for n in shape]
    return (lambda x, v: lax.pad(x, v, cfg)), [_u(rng, shape), _u(rng, ())]


def _concatenate(rng, shape):
    d = int(rng.integers(0, len(shape)))
    return (lambda x, y: lax.concatenate([x, y], d)), [_u(rng, shape), _u(rng, shape)]


def _dynamic_slice(rng, shape):
    idx = [np.int32(rng.integers(0, n)) for n in shape]
    sizes = [max(1, n - 1) for n in shape]
    return (lambda x: lax.dynamic_slice(x, idx, sizes)), [_u(rng, shape)]


def _dynamic_update_slice(rng, shape):
    idx = [np.int32(rng.integers(0, n)) for n in shape]
    upd = tuple(max(1, n - 1) for n in shape)
    return (lambda x, u: lax.dynamic_update_slice(x, u, idx)), [_u(rng, shape), _u(rng, upd)]


def _select(rng, shape):
    pred = rng.integers(0, 2, size=shape).astype(bool)
    return (lambda x, y: lax.select(pred, x, y)), [_u(rng, shape), _u(rng, shape)]


def _clamp(rng, shape):
    return (lambda lo, x, hi: lax.clamp(lo, x, hi)), [
        _u(rng, shape, -2, -0.5), _u(rng, shape, -1, 1), _u(rng, shape, 0.5, 2)]


def _dot_general(rng, shape):
    # x: shape; y: (last dim of x, k): contract the last dim, batch none.
    k = int(rng.integers(1, 3))
    n = shape[-1]
    return (lambda x, y: lax.dot_general(x, y, (([len(shape) - 1], [0]), ([], [])))), [
        _u(rng, shape), _u(rng, (n, k))]


def _batched_dot(rng, shape):
    b, m = shape[0], shape[-1]
    return (lambda x, y: lax.dot_general(x, y, (([2], [1]), ([0], [0])))), [
        _u(rng, (b, 2, m)), _u(rng, (b, m, 3))]


def _sort(rng, shape):
    d = int(rng.integers(0, len(shape)))
    return (lambda x: lax.sort(x, dimension=d)), [_u(rng, shape)]


def _sort_values(rng, shape):
    d = int(rng.integers(0, len(shape)))
    return (lambda k, v: lax.sort((k, v), dimension=d)[1]), [_u(rng, shape), _u(rng, shape)]


def _top_k(rng, shape):
    k = int(rng.integers(1, shape[-1] + 1))
    return (lambda x: lax.top_k(x, k)[0]), [_u(rng, shape)]


def _gather(rng, shape):
    idx = rng.integers(0, shape[0], size=(2,)).astype(np.int32)
    return (lambda x: x[idx]), [_u(rng, shape)]


def _scatter_add(rng, shape):
    i = int(rng.integers(0, shape[0]))
    return (lambda x, u: x.at[i].add(u)), [_u(rng, shape), _u(rng, shape[1:])]


def _scatter_set(rng, shape):
    i = int(rng.integers(0, shape[0]))
    return (lambda x, u: x.at[i].set(u)), [_u(rng, shape), _u(rng, shape[1:])]


def _convert(rng, shape):
    return (lambda x: lax.convert_element_type(lax.convert_element_type(x, np.float32),
                                               np.float64) * x), [_u(rng, shape)]


OPS = {
    "neg": unary(lax.neg), "exp": unary(lax.exp), "exp2": unary(lax.exp2),
    "log": unary(lax.log, 0.2, 3), "log1p": unary(lax.log1p, -0.5, 2),
    "expm1": unary(lax.expm1), "tanh": unary(lax.tanh), "logistic": unary(lax.logistic),
    "sin": unary(lax.sin), "cos": unary(lax.cos), "tan": unary(lax.tan, -1.2, 1.2),
    "asin": unary(lax.asin, -0.9, 0.9), "acos": unary(lax.acos, -0.9, 0.9),
    "atan": unary(lax.atan), "sinh": unary(lax.sinh), "cosh": unary(lax.cosh),
    "asinh": unary(lax.asinh), "acosh": unary(lax.acosh, 1.2, 3),
    "atanh": unary(lax.atanh, -0.9, 0.9), "sqrt": unary(lax.sqrt, 0.2, 3),
    "rsqrt": unary(lax.rsqrt, 0.2, 3), "cbrt": unary(lax.cbrt, 0.2, 3),
    "abs": lambda rng, s: (lax.abs, [_away_from_zero(rng, s)]),
    "erf": unary(lax.erf), "erfc": unary(lax.erfc), "erf_inv": unary(lax.erf_inv, -0.9, 0.9),
    "lgamma": unary(lax.lgamma, 0.3, 4), "digamma": unary(lax.digamma, 0.3, 4),
    "integer_pow": unary(lambda x: lax.integer_pow(x, 3)),
    "integer_pow_neg": lambda rng, s: ((lambda x: lax.integer_pow(x, -2)), [_away_from_zero(rng, s)]),
    "add": binary(lax.add), "sub": binary(lax.sub), "mul": binary(lax.mul),
    "div": lambda rng, s: (lax.div, [_u(rng, s), _away_from_zero(rng, s)]),
    "pow": binary(lax.pow, 0.3, 2), "max": binary(lax.max), "min": binary(lax.min),
    "atan2": binary(lax.atan2, 0.3, 2),
    "rem": lambda rng, s: (lax.rem, [_u(rng, s, 0.1, 0.9) + 3 * rng.integers(0, 3, size=s),
                                     _u(rng, s, 1.1, 1.9)]),
    "select": _select, "clamp": _clamp, "convert_element_type": _convert,
    "reduce_sum": _reduce(lax.reduce_sum), "reduce_max": _reduce(lax.reduce_max),
    "reduce_min": _reduce(lax.reduce_min), "reduce_prod": _reduce(lax.reduce_prod),
    "cumsum": _cumulative(lax.cumsum), "cumprod": _cumulative(lax.cumprod, 0.3, 2),
    "cummax": _cumulative(lax.cummax), "cummin": _cumulative(lax.cummin),
    "cumlogsumexp": _cumulative(lax.cumlogsumexp),
    "broadcast_in_dim": _broadcast, "transpose": _transpose,
    "reshape": lambda rng, s: ((lambda x: lax.reshape(x, (int(np.prod(s)),))), [_u(rng, s)]),
}

# Ops whose construction needs at least one axis.
OPS_NONSCALAR = {
    "slice": _slice, "pad": _pad, "concatenate": _concatenate,
    "dynamic_slice": _dynamic_slice, "dynamic_update_slice": _dynamic_update_slice,
    "dot_general": _dot_general, "dot_general_batched": _batched_dot,
    "sort": _sort, "sort_values": _sort_values, "top_k": _top_k,
    "gather": _gather, "scatter_add": _scatter_add, "scatter_set": _scatter_set,
}


# Finite differences through a float32 round trip are only good to ~ulp(f32) / eps: the
# rounding of x +- eps*t to float32 (up to 6e-8 |x|) over 2 eps leaves up to ~3e-3 x^2 |t|
# of absolute noise in the difference quotient, however small the derivative is.
FD_TOL = {"convert_element_type": (2e-2, 3e-2)}     # (rtol, atol)


def _cotangent(np_, shape):
    """A cotangent that is a fixed function of the position, so that one compiled function
    can make it without knowing the output's shape in advance."""
    size = int(np.prod(shape, dtype=np.int64))
    return np_.reshape(np_.cos(np_.arange(size) * 1.7 + 0.3), shape)


def check_jvp_vjp(make, shape, seed, rtol=1e-5, atol=1e-6):
    rng = np.random.default_rng(seed)
    op, args = make(rng, shape)
    f = lambda *a: op(*a)          # traced under its own name, not the op's (e.g. libm's asinh)
    args = [np.asarray(a, np.float64) for a in args]
    ts = [rng.normal(size=np.shape(a)) for a in args]
    eps = 1e-5

    @mlax.jit
    def run(args, ts):
        plus = f(*[a + eps * t for a, t in zip(args, ts)])
        minus = f(*[a - eps * t for a, t in zip(args, ts)])
        out, tout = jvp(f, tuple(args), tuple(ts))
        _, pull = vjp(f, *args)
        cts = pull(_cotangent(jnp, out.shape))
        # <J^T ct, t>, summed here (in float64) beside <ct, J t>'s ingredients.
        return tout, (plus - minus) / (2 * eps), sum(jnp.sum(c * t) for c, t in zip(cts, ts))
    tout, fd, rhs = run(args, ts)
    np.testing.assert_allclose(np.asarray(tout), np.asarray(fd), rtol=rtol, atol=atol)
    lhs = float(np.sum(_cotangent(np, np.shape(tout)) * np.asarray(tout)))
    rhs = float(rhs)
    assert lhs == pytest.approx(rhs, rel=max(rtol * 1e-3, 1e-8), abs=1e-8)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_jvp_vjp(name, x64):
    @SETTINGS
    @given(shape=shapes, seed=seeds)
    def prop(shape, seed):
        check_jvp_vjp(OPS[name], shape, seed, *FD_TOL.get(name, (1e-5, 1e-6)))
    prop()


@pytest.mark.parametrize("name", sorted(OPS_NONSCALAR))
def test_shaped_op_jvp_vjp(name, x64):
    @SETTINGS
    @given(shape=nonscalar, seed=seeds)
    def prop(shape, seed):
        check_jvp_vjp(OPS_NONSCALAR[name], shape, seed)
    prop()


@settings(max_examples=5, deadline=None, derandomize=True)
@given(n=st.integers(1, 4), m=st.integers(1, 3), seed=seeds)
def test_jacfwd_equals_jacrev(n, m, seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n, m)).astype(np.float32)
    x = rng.normal(size=(n,)).astype(np.float32)

    def f(x):
        h = jnp.tanh(x @ w)
        return jnp.concatenate([h * jnp.sum(x ** 2), lax.cumsum(jnp.exp(x))])
    np.testing.assert_allclose(np.asarray(jacfwd(f)(x)), np.asarray(jacrev(f)(x)),
                               rtol=1e-5, atol=1e-6)
