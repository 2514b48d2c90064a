"""The numeric test table: one row per mlax.numpy function.

Each row gives the function, its NumPy reference, argument shapes/dtypes and the traits
that later checks use (`grad`: differentiable in its float arguments). test_numpy.py checks
every row eagerly and under jit; the autodiff and vmap tests check the rows they apply to.
An expected failure is a mark on its row, never a list kept elsewhere.
"""
import numpy as np
import pytest

from mlax import numpy as jnp


class Row:
    def __init__(self, name, fn, ref, shapes, dtype="float32", grad=True, domain=None,
                 rtol=1e-5, atol=1e-6, marks=(), kwargs=None):
        self.name, self.fn, self.ref, self.shapes = name, fn, ref, shapes
        self.dtype, self.grad, self.domain = dtype, grad, domain
        self.rtol, self.atol, self.marks = rtol, atol, marks
        self.kwargs = kwargs or {}

    def args(self, rng):
        out = []
        for s in self.shapes:
            if np.dtype(self.dtype).kind == "f":
                lo, hi = self.domain or (-2.0, 2.0)
                out.append(rng.uniform(lo, hi, size=s).astype(self.dtype))
            elif np.dtype(self.dtype) == np.bool_:
                out.append(rng.integers(0, 2, size=s).astype(bool))
            else:
                out.append(rng.integers(-5, 6, size=s).astype(self.dtype))
        return out

    def param(self):
        return pytest.param(self, id=self.name, marks=list(self.marks))


def _unary(name, ref=None, domain=None, **kw):
    return Row(name, getattr(jnp, name), ref or getattr(np, name), [(3, 4)], domain=domain, **kw)


def _binary(name, ref=None, shapes=((3, 4), (4,)), **kw):
    return Row(name, getattr(jnp, name), ref or getattr(np, name), list(shapes), **kw)


ROWS = [
    _unary("exp"), _unary("log", domain=(0.1, 3)), _unary("tanh"), _unary("sin"), _unary("cos"),
    _unary("sqrt", domain=(0.1, 3)), _unary("abs"), _unary("negative"), _unary("log1p", domain=(-0.5, 2)),
    _unary("expm1"), _unary("arctan"), _unary("sinh"), _unary("cosh"), _unary("square"),
    _unary("floor", grad=False), _unary("ceil", grad=False), _unary("sign", grad=False),
    _unary("round", grad=False), _unary("arcsin", domain=(-0.9, 0.9)), _unary("log2", domain=(0.1, 3)),
    _binary("add"), _binary("subtract"), _binary("multiply"), _binary("divide", domain=(0.5, 2)),
    _binary("maximum"), _binary("minimum"), _binary("power", domain=(0.5, 2)),
    _binary("arctan2", domain=(0.5, 2)),
    _binary("greater", grad=False), _binary("less_equal", grad=False), _binary("equal", grad=False),
    Row("add_int", jnp.add, np.add, [(3, 4), (3, 1)], dtype="int32", grad=False),
    Row("floor_divide_int", jnp.floor_divide, np.floor_divide, [(3, 4)], dtype="int32", grad=False,
        kwargs={"second": np.array([[3, -2, 5, 1]], np.int32)}),
    Row("where", lambda c, x, y: jnp.where(c > 0, x, y), lambda c, x, y: np.where(c > 0, x, y),
        [(3, 4), (3, 4), (4,)], grad=False),
    Row("sum", lambda x: jnp.sum(x), np.sum, [(3, 4)]),
    Row("sum_axis", lambda x: jnp.sum(x, axis=1, keepdims=True), lambda x: np.sum(x, axis=1, keepdims=True), [(3, 4)]),
    Row("mean", lambda x: jnp.mean(x, axis=0), lambda x: np.mean(x, axis=0), [(3, 4)]),
    Row("var", lambda x: jnp.var(x, axis=1), lambda x: np.var(x, axis=1), [(3, 4)]),
    Row("std", lambda x: jnp.std(x), lambda x: np.std(x), [(3, 4)]),
    Row("max", lambda x: jnp.max(x, axis=1), lambda x: np.max(x, axis=1), [(3, 4)]),
    Row("min", lambda x: jnp.min(x), np.min, [(3, 4)]),
    Row("prod", lambda x: jnp.prod(x, axis=0), lambda x: np.prod(x, axis=0), [(3, 4)]),
    Row("argmax", lambda x: jnp.argmax(x, axis=1), lambda x: np.argmax(x, axis=1), [(3, 4)], grad=False),
    Row("argmin", lambda x: jnp.argmin(x), lambda x: np.argmin(x), [(3, 4)], grad=False),
    Row("dot_mv", jnp.dot, np.dot, [(3, 4), (4,)]),
    Row("dot_mm", jnp.dot, np.dot, [(3, 4), (4, 5)]),
    Row("matmul_batched", jnp.matmul, np.matmul, [(2, 3, 4), (4, 5)]),
    Row("inner", jnp.inner, np.inner, [(4,), (4,)]),
    Row("outer", jnp.outer, np.outer, [(3,), (4,)]),
    Row("reshape", lambda x: jnp.reshape(x, (2, -1)), lambda x: np.reshape(x, (2, -1)), [(3, 4)]),
    Row("transpose", lambda x: jnp.transpose(x, (1, 0, 2)), lambda x: np.transpose(x, (1, 0, 2)), [(2, 3, 4)]),
    Row("T", lambda x: x.T, lambda x: x.T, [(3, 4)]),
    Row("squeeze", lambda x: jnp.squeeze(x), np.squeeze, [(3, 1, 4)]),
    Row("expand_dims", lambda x: jnp.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [(3, 4)]),
    Row("concatenate", lambda x, y: jnp.concatenate([x, y, x], axis=1),
        lambda x, y: np.concatenate([x, y, x], axis=1), [(3, 4), (3, 2)]),
    Row("stack", lambda x, y: jnp.stack([x, y], axis=1), lambda x, y: np.stack([x, y], axis=1), [(3, 4), (3, 4)]),
    Row("slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [(3, 4)]),
    Row("index_int", lambda x: x[1, 2], lambda x: x[1, 2], [(3, 4)]),
    Row("index_newaxis", lambda x: x[None, ..., -1], lambda x: x[None, ..., -1], [(3, 4)]),
    Row("at_set", lambda x: x.at[0, :].set(3.0), lambda x: _np_set(x, (0, slice(None)), 3.0), [(3, 4)]),
    Row("at_add", lambda x: x.at[1].add(2.0), lambda x: _np_add(x, 1, 2.0), [(3, 4)]),
    Row("at_mul", lambda x: x.at[1:, 2].mul(3.0), lambda x: _np_mul(x, (slice(1, None), 2), 3.0), [(3, 4)]),
    Row("clip", lambda x: jnp.clip(x, -1.0, 0.5), lambda x: np.clip(x, -1.0, 0.5), [(3, 4)]),
    Row("linspace_mul", lambda x: x * jnp.linspace(0, 1, 4), lambda x: x * np.linspace(0, 1, 4, dtype=np.float32), [(3, 4)]),
    Row("selu", lambda x: 1.05 * jnp.where(x > 0, x, 1.67 * jnp.exp(x) - 1.67),
        lambda x: 1.05 * np.where(x > 0, x, 1.67 * np.exp(x) - 1.67), [(1000,)]),
    Row("normalize", lambda X: (X - X.mean(0)) / X.std(0), lambda X: (X - X.mean(0)) / X.std(0),
        [(100, 10)], rtol=1e-4, atol=1e-5),
]


def _np_set(x, idx, v):
    y = x.copy(); y[idx] = v; return y


def _np_add(x, idx, v):
    y = x.copy(); y[idx] += v; return y


def _np_mul(x, idx, v):
    y = x.copy(); y[idx] *= v; return y
