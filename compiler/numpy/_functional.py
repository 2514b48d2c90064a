"""NumPy's functional programming: `vectorize`, `apply_along_axis` and `apply_over_axes` as
nested vmaps, `piecewise`."""
from __future__ import annotations

import functools
import re

import numpy as _np

from mlax import batching
from mlax.runtime import Array
from mlax.tracing import Tracer

from mlax.numpy._util import _arr, _axis, _is_array
from mlax.numpy._shapes import broadcast_shapes, broadcast_to, expand_dims
from mlax.numpy._creation import asarray, zeros_like
from mlax.numpy._ufuncs import _as_bool, _where3, logical_not, logical_or


def piecewise(x, condlist, funclist, *args, **kw):
    x = _arr(x)
    if isinstance(condlist, (Array, Tracer, _np.ndarray)) and _np.ndim(condlist) == x.ndim:
        condlist = [condlist]
    condlist = list(condlist)
    funclist = list(funclist)
    if len(funclist) == len(condlist) + 1:
        otherwise = logical_not(_any_of(condlist))
        condlist.append(otherwise)
    elif len(funclist) != len(condlist):
        raise ValueError(f"piecewise: {len(condlist)} conditions need {len(condlist)} or "
                         f"{len(condlist) + 1} functions, got {len(funclist)}")
    out = zeros_like(x)
    for c, f in zip(condlist, funclist):
        v = f(x, *args, **kw) if callable(f) else f
        out = _where3(c, asarray(v, x.dtype) if not _is_array(v) else v.astype(x.dtype), out)
    return out


def _any_of(conds):
    out = _as_bool(conds[0])
    for c in conds[1:]:
        out = logical_or(out, c)
    return out


def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    arr = _arr(arr)
    axis = _axis(axis, arr.ndim)
    f = lambda x: func1d(x, *args, **kwargs)
    for _ in range(arr.ndim - axis - 1):
        f = batching.vmap(f, in_axes=-1, out_axes=-1)
    for _ in range(axis):
        f = batching.vmap(f, in_axes=0, out_axes=0)
    return f(arr)


def apply_over_axes(func, a, axes):
    a = _arr(a)
    for ax in ([axes] if isinstance(axes, int) else axes):
        res = func(a, ax)
        if res.ndim == a.ndim - 1:
            res = expand_dims(res, ax)
        elif res.ndim != a.ndim:
            raise ValueError("function is not returning an array of the correct shape")
        a = res
    return a


def _parse_signature(signature):
    ins, outs = signature.replace(" ", "").split("->")

    def parse(part):
        return [tuple(d for d in grp.split(",") if d) for grp in re.findall(r"\(([^)]*)\)", part)]
    return parse(ins), parse(outs)


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """NumPy's vectorize as nested vmaps over the broadcast loop dims (core dims from the
    gufunc signature stay with each call)."""
    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        excl_pos = {e for e in excluded if isinstance(e, int)}
        excl_kw = {k: v for k, v in kwargs.items() if k in excluded}
        kw = {k: v for k, v in kwargs.items() if k not in excluded}
        if kw:
            raise NotImplementedError("vectorize: pass non-excluded arguments positionally")
        arr_pos = [i for i in range(len(args)) if i not in excl_pos]
        arrs = [_arr(args[i]) for i in arr_pos]
        if signature is not None:
            in_core = _parse_signature(signature)[0]
            if len(in_core) != len(arrs):
                raise TypeError(f"vectorize: signature {signature!r} has {len(in_core)} inputs, got {len(arrs)}")
        else:
            in_core = [()] * len(arrs)
        dims = {}
        loops = []
        for a, cd in zip(arrs, in_core):
            if a.ndim < len(cd):
                raise ValueError(f"vectorize: input with shape {a.shape} has fewer dims than its core dims {cd}")
            for name, n in zip(cd, a.shape[a.ndim - len(cd):]):
                if dims.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: inconsistent size for core dimension {name!r}: {dims[name]} vs {n}")
            loops.append(a.shape[:a.ndim - len(cd)])
        loop_shape = broadcast_shapes(*loops)
        arrs = [broadcast_to(a, loop_shape + a.shape[a.ndim - len(cd):]) for a, cd in zip(arrs, in_core)]

        def call(*xs):
            full_args = list(args)
            for i, x in zip(arr_pos, xs):
                full_args[i] = x
            return pyfunc(*full_args, **excl_kw)
        f = call
        for _ in range(len(loop_shape)):
            f = batching.vmap(f)
        return f(*arrs)
    return wrapped
