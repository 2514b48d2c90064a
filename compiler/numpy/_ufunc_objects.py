"""`jnp.ufunc` and the ufunc methods of the binary elementwise functions: `jnp.add.outer`,
`jnp.multiply.reduce`, `jnp.maximum.accumulate`, `jnp.add.at(..., inplace=False)`,
`jnp.add.reduceat`, and `jnp.frompyfunc`, as JAX defines them.

A `ufunc` wraps a function of `nin` arrays. Its methods are derived from the function
(JAX's generic forms: `reduce` a loop over the axis, `accumulate` a scan, `at` a scan over
the indices, `reduceat` a loop over the segments, `outer` a double vmap), unless a faster
form is given (`jnp.sum` for `add.reduce`, `x.at[i].add` for `add.at`, ...).

jnp's binary functions stay plain functions (jit, vmap and the rule tables see functions);
`attach` gives each one the methods of a `ufunc` built around it, so `jnp.add.outer(x, y)`
works as in JAX, and `isinstance(jnp.add, jnp.ufunc)` is true (the class's instance check
accepts the functions `attach` marked).
"""
from __future__ import annotations

import operator

import numpy as _np

from mlax import lax
from mlax.numpy import _reductions
from mlax.numpy._creation import asarray, full
from mlax.numpy._functional import vectorize
from mlax.numpy._index_routines import take, where as _where
from mlax.numpy._shapes import broadcast_to, concatenate, expand_dims, moveaxis

_AT_INPLACE = """\
Because JAX arrays are immutable, jnp.ufunc.at() cannot operate inplace like
np.ufunc.at(). Instead, you can pass inplace=False and capture the result; e.g.
>>> arr = jnp.add.at(arr, ind, val, inplace=False)
"""


def _axis(axis, ndim):
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


class _UfuncType(type):
    """`isinstance(f, ufunc)` for a ufunc and for a jnp function `attach` gave ufunc methods."""

    def __instancecheck__(cls, obj):
        return type.__instancecheck__(cls, obj) or type.__instancecheck__(cls, getattr(obj, "_mlax_ufunc", None))


class ufunc(metaclass=_UfuncType):
    """A universal function: `f(*arrays)` elementwise, with `outer`, `reduce`, `accumulate`,
    `at` and `reduceat` derived from it (JAX's `jax.numpy.ufunc`)."""

    def __init__(self, func, /, nin, nout, *, name=None, nargs=None, identity=None, call=None,
                 reduce=None, accumulate=None, at=None, reduceat=None):
        self.__doc__ = func.__doc__
        self.__name__ = name or func.__name__
        self._func = func
        self.nin, self.nout = operator.index(nin), operator.index(nout)
        self.nargs = operator.index(nargs or nin)
        self.identity = identity
        self._call, self._reduce, self._accumulate = call, reduce, accumulate
        self._at, self._reduceat = at, reduceat

    def __repr__(self):
        return f"<jnp.ufunc '{self.__name__}'>"

    def __hash__(self):
        return hash((self._func, self.__name__, self.identity, self.nin, self.nout))

    def __eq__(self, other):
        return isinstance(other, ufunc) and (
            (self._func, self.__name__, self.identity, self.nin, self.nout) ==
            (other._func, other.__name__, other.identity, other.nin, other.nout))

    def __call__(self, *args, out=None, where=None):
        if out is not None:
            raise NotImplementedError(f"out argument of {self}")
        if where is not None:
            raise NotImplementedError(f"where argument of {self}")
        return (self._call or vectorize(self._func))(*args)

    def _binary(self, method):
        if self.nin != 2:
            raise ValueError(f"{method} only supported for binary ufuncs")
        if self.nout != 1:
            raise ValueError(f"{method} only supported for functions returning a single value")

    def _dtype(self, *arrays):
        one = [_np.ones((), a.dtype) for a in arrays]
        return asarray(self(*one)).dtype

    # -- reduce -----------------------------------------------------------------------------

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims=False, initial=None,
               where=None):
        self._binary("reduce")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduce()")
        if where is not None:
            if self.identity is None and initial is None:
                raise ValueError(f"reduction operation {self.__name__!r} does not have an "
                                 "identity, so to use a where mask one has to specify 'initial'.")
            if asarray(where).dtype != _np.bool_:
                raise ValueError(f"where argument must have dtype=bool; got "
                                 f"dtype={asarray(where).dtype}")
        reduce = self._reduce or self._reduce_via_loop
        return reduce(a, axis=axis, dtype=dtype, keepdims=keepdims, initial=initial,
                      where=where)

    def _reduce_via_loop(self, a, axis=0, dtype=None, keepdims=False, initial=None,
                         where=None):
        a = asarray(a)
        initial = self.identity if initial is None else initial
        dtype = self._dtype(a, a) if dtype is None else _np.dtype(dtype)
        if where is not None:
            where = broadcast_to(asarray(where), a.shape)
        if isinstance(axis, tuple):
            raise NotImplementedError(f"{self.__name__}.reduce over a tuple of axes")
        if axis is None:
            final_shape = (1,) * a.ndim if keepdims else ()
            a, axis = a.ravel(), 0
            where = None if where is None else where.ravel()
        else:
            axis = _axis(axis, a.ndim)
            final_shape = (a.shape[:axis] + ((1,) if keepdims else ()) + a.shape[axis + 1:])
        a = moveaxis(a, axis, 0)
        where = None if where is None else moveaxis(where, axis, 0)
        if a.shape[0] == 0:
            if initial is None:
                raise ValueError(f"zero-size array to reduction operation {self.__name__} "
                                 "which has no identity")
            return full(final_shape, initial, dtype)

        def body(i, acc):
            new = self(acc, a[i].astype(dtype))
            return new if where is None else _where(where[i], new, acc)

        start = 1 if initial is None else 0
        acc = a[0] if initial is None else asarray(initial)
        acc = broadcast_to(acc.astype(dtype), a.shape[1:])
        return lax.fori_loop(start, a.shape[0], body, acc).reshape(final_shape)

    # -- accumulate -------------------------------------------------------------------------

    def accumulate(self, a, axis=0, dtype=None, out=None):
        self._binary("accumulate")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.accumulate()")
        return (self._accumulate or self._accumulate_via_scan)(a, axis=axis, dtype=dtype)

    def _accumulate_via_scan(self, a, axis=0, dtype=None):
        a = asarray(a)
        dtype = self._dtype(a, a) if dtype is None else _np.dtype(dtype)
        if axis is None or isinstance(axis, tuple):
            raise ValueError("accumulate does not allow multiple axes")
        axis = _axis(axis, a.ndim)
        if a.size == 0:
            return full(a.shape, 0, dtype)
        a = moveaxis(a, axis, 0).astype(dtype)

        def step(acc, x):
            y = self(acc, x).astype(dtype)
            return y, y

        _, rest = lax.scan(step, a[0], a[1:])
        return moveaxis(concatenate([a[:1], rest]), 0, axis)

    # -- at ---------------------------------------------------------------------------------

    def at(self, a, indices, b=None, /, *, inplace=True):
        if inplace:
            raise NotImplementedError(_AT_INPLACE)
        at = self._at or self._at_via_scan
        return at(a, indices) if b is None else at(a, indices, b)

    def _at_via_scan(self, a, indices, *args):
        a = asarray(a)
        args = tuple(asarray(x) for x in args)
        dtype = self._dtype(a, *args)
        a = a.astype(dtype)
        args = tuple(x.astype(dtype) for x in args)
        indices = indices if isinstance(indices, tuple) else (indices,)
        if not indices:
            return a
        shapes = [_np.shape(i) for i in indices if not isinstance(i, slice)]
        shape = _np.broadcast_shapes(*shapes) if shapes else ()
        if not shape:
            return a.at[indices].set(self(a.at[indices].get(), *args))
        n = int(_np.prod(shape))
        if args:
            x = broadcast_to(args[0], shape + args[0].shape[len(shape):])
            args = (x.reshape((n,) + args[0].shape[len(shape):]),)
        flat = [i if isinstance(i, slice) else broadcast_to(asarray(i), shape).ravel()
                for i in indices]

        def step(acc, i):
            idx = tuple(ind if isinstance(ind, slice) else ind[i] for ind in flat)
            return acc.at[idx].set(self(acc.at[idx].get(), *(x[i] for x in args))), None

        return lax.scan(step, a, _np.arange(n))[0]

    # -- reduceat ---------------------------------------------------------------------------

    def reduceat(self, a, indices, axis=0, dtype=None, out=None):
        self._binary("reduceat")
        if out is not None:
            raise NotImplementedError(f"out argument of {self.__name__}.reduceat()")
        return (self._reduceat or self._reduceat_via_loop)(a, indices, axis=axis, dtype=dtype)

    def _reduceat_via_loop(self, a, indices, axis=0, dtype=None):
        a, indices = asarray(a), asarray(indices)
        if a.ndim == 0:
            raise ValueError(f"reduceat: a must have 1 or more dimension, got a.shape={a.shape}")
        if indices.ndim != 1:
            raise ValueError(f"reduceat: indices must be one-dimensional, got "
                             f"indices.shape={indices.shape}")
        if axis is None or isinstance(axis, (tuple, list)):
            raise ValueError("reduceat requires a single integer axis.")
        axis = _axis(axis, a.ndim)
        a = a if dtype is None else a.astype(dtype)
        out = take(a, indices, axis=axis)
        bounds = concatenate([indices, asarray([a.shape[axis]], indices.dtype)])
        shape = [1] * out.ndim
        shape[axis] = indices.shape[0]
        start, end = bounds[:-1].reshape(shape), bounds[1:].reshape(shape)

        def body(i, acc):
            inside = (i > start) & (i < end)
            return _where(inside, self(acc, expand_dims(take(a, i, axis=axis), axis)), acc)

        return lax.fori_loop(0, a.shape[axis], body, out)

    # -- outer ------------------------------------------------------------------------------

    def outer(self, A, B, /):
        self._binary("outer")
        A, B = asarray(A), asarray(B)
        return self(A.reshape(A.shape + (1,) * B.ndim), B)


def frompyfunc(func, /, nin, nout, *, identity=None):
    """A `ufunc` from a scalar function of `nin` arguments (JAX's `jnp.frompyfunc`)."""
    return ufunc(func, nin, nout, identity=identity)


# -- jnp's binary functions as ufuncs --------------------------------------------------------

def _reduce_with(fn):
    def reduce(a, axis=0, dtype=None, keepdims=False, initial=None, where=None):
        kw = {} if initial is None else {"initial": initial}
        if where is not None:
            kw["where"] = where
        return fn(a, axis=axis, dtype=dtype, keepdims=keepdims, **kw)
    return reduce


def _accumulate_with(fn):
    def accumulate(a, axis=0, dtype=None):
        return fn(a, axis=axis, dtype=dtype)
    return accumulate


def _at_with(method):
    def at(a, indices, b):
        return getattr(asarray(a).at[indices], method)(b)
    return at


# name -> (identity, fast reduce, fast accumulate, fast at); None: JAX's generic form.
FAST = {
    "add": (0, _reduce_with(_reductions.sum), _accumulate_with(_reductions.cumsum),
            _at_with("add")),
    "multiply": (1, _reduce_with(_reductions.prod), _accumulate_with(_reductions.cumprod),
                 _at_with("multiply")),
    "maximum": (None, _reduce_with(_reductions.max), None, _at_with("max")),
    "minimum": (None, _reduce_with(_reductions.min), None, _at_with("min")),
    "logaddexp": (-_np.inf, None, None, None),
    "logaddexp2": (-_np.inf, None, None, None),
    "logical_and": (True, None, None, None),
    "logical_or": (False, None, None, None),
    "logical_xor": (False, None, None, None),
    "bitwise_and": (-1, None, None, None),
    "bitwise_or": (0, None, None, None),
    "bitwise_xor": (0, None, None, None),
}

# The functions of jax.numpy that are ufuncs in JAX (the others are plain functions there).
UFUNCS = {"add": 2, "subtract": 2, "multiply": 2, "maximum": 2, "minimum": 2,
          "logaddexp": 2, "logaddexp2": 2, "logical_and": 2, "logical_or": 2, "logical_xor": 2,
          "bitwise_and": 2, "bitwise_or": 2, "bitwise_xor": 2, "negative": 1}


def attach(namespace: dict) -> None:
    """Give each function of `namespace` (jax.numpy's) that JAX makes a ufunc the methods
    and attributes of a ufunc built around it."""
    for name, nin in UFUNCS.items():
        fn = namespace[name]
        identity, reduce, accumulate, at = FAST.get(name, (None, None, None, None))
        u = ufunc(fn, nin, 1, name=name, identity=identity, call=fn, reduce=reduce,
                  accumulate=accumulate, at=at)
        for attr in ("outer", "reduce", "accumulate", "at", "reduceat"):
            setattr(fn, attr, getattr(u, attr))
        fn.nin, fn.nout, fn.nargs, fn.identity = nin, 1, nin, identity
        fn._mlax_ufunc = u
