"""Jacobians and Hessians, as in JAX: jacfwd, jacrev, jacobian, hessian.

Built on the JVP / VJP declarations of mlax.ad: one JVP (jacfwd) or VJP (jacrev) of the
function is vmapped over the rows of an identity matrix, so the derivative code is traced
once whatever the number of elements.
"""
from __future__ import annotations

import numpy as np

from mlax import core, lax
from mlax import numpy as jnp
from mlax.ad import (_Traced, _check_callable, _eager, _fname, _hashable_argnums, _is_float,
                     _named, _normalize_argnums, _not_differentiated, _site, _zeros_of)
from mlax.api import Transformed
from mlax.batching import vmap

__all__ = ["jacfwd", "jacrev", "jacobian", "hessian"]



class Jacobian(Transformed):
    """The result of `jacfwd` / `jacrev`: the Jacobian of every output leaf with respect to
    every leaf of the `argnums` arguments, shaped output.shape + input.shape, nested as
    output structure of (input structure).

    As in JAX, one JVP (jacfwd) or VJP (jacrev) is vmapped over the rows of an identity
    matrix, so the derivative code is built once whatever the number of elements."""

    def __init__(self, fun, argnums, has_aux, mode):
        super().__init__(fun)
        self._argnums, self._has_aux, self._mode = argnums, has_aux, mode
        _normalize_argnums(argnums, 1 << 30, mode)

    def _name(self):
        return f"{self._mode}_{_fname(self._fun)}"

    def __call__(self, *args, **kwargs):
        if core.trace_stack():
            return self._traced(*args, **kwargs)
        key = (self._mode, self._fun, _hashable_argnums(self._argnums), self._has_aux)
        static = self._static_options(args, kwargs)
        if static is None:
            return self._call_closed(args, kwargs)
        return _eager(key, lambda: _named(lambda *a, **k: self._traced(*a, **k),
                                          self._name()),
                      static)(*args, **kwargs)

    def _passed_through(self, args, kwargs):
        return _not_differentiated(self, args, kwargs)

    def _traced(self, *args, **kwargs):
        nums, single = _normalize_argnums(self._argnums, len(args), self._mode)
        t = _Traced(self._fun, args, kwargs, nums, self._has_aux, self._mode)
        for k in nums:
            for i in range(*t.ranges[k]):
                if not _is_float(t.avals[i]):
                    raise TypeError(f"{self._mode} requires real-valued inputs (input dtype that "
                                    "is a sub-dtype of np.floating), but got "
                                    f"{np.dtype(t.avals[i].dtype).name}. (argument "
                                    f"{k} of {_fname(self._fun)}, at {_site()})")
        main_avals = t.out_avals[:t.n_main]
        outs = t.primal()
        if self._mode == "jacfwd":
            jac = _jacfwd_blocks(t, main_avals)
        else:
            jac = _jacrev_blocks(t, main_avals)
        per_out = [t.per_arg({i: jac[k, i] for i in t.diff}, nums, single)
                   for k in range(len(main_avals))]
        result = t.main_tree.unflatten(per_out)
        if self._has_aux:
            return result, t.aux_tree.unflatten(outs[t.n_main:])
        return result


def _offsets(sizes):
    return np.cumsum([0] + list(sizes)).tolist()


def _basis(n, dtype):
    """The n x n identity, built from iotas (not an n^2-element constant)."""
    eq = lax.eq(lax.broadcasted_iota(np.int32, (n, n), 0), lax.broadcasted_iota(np.int32, (n, n), 1))
    return lax.convert_element_type(eq, dtype)


def _jacfwd_blocks(t, main_avals):
    """{(output leaf, input leaf): block}: vmap of the JVP over the input basis."""
    ins = [t.avals[i] for i in t.diff]
    off = _offsets([a.size for a in ins])
    n = off[-1]
    jac = {}
    if n == 0:
        for k, o in enumerate(main_avals):
            for i, a in zip(t.diff, ins):
                jac[k, i] = jnp.zeros(o.shape + a.shape, o.dtype)
        return jac

    def push(row):
        tans = [jnp.reshape(row[off[j]:off[j + 1]], a.shape).astype(a.dtype)
                for j, a in enumerate(ins)]
        return t.push(tans)[1][:t.n_main]
    cols = vmap(push)(_basis(n, core.default_float()))      # each: (n,) + out shape
    for k, o in enumerate(main_avals):
        col = jnp.moveaxis(cols[k], 0, -1)                     # out shape + (n,)
        for j, (i, a) in enumerate(zip(t.diff, ins)):
            jac[k, i] = jnp.reshape(col[..., off[j]:off[j + 1]], o.shape + a.shape)
    return jac


def _jacrev_blocks(t, main_avals):
    """{(output leaf, input leaf): block}: vmap of the VJP over the output basis."""
    off = _offsets([o.size for o in main_avals])
    m = off[-1]
    jac = {}
    if m == 0:
        for k, o in enumerate(main_avals):
            for i in t.diff:
                a = t.avals[i]
                jac[k, i] = jnp.zeros(o.shape + a.shape, a.dtype)
        return jac
    aux_zeros = [_zeros_of(a) for a in t.out_avals[t.n_main:]]

    def pull(row):
        cts = [jnp.reshape(row[off[k]:off[k + 1]], o.shape).astype(o.dtype)
               for k, o in enumerate(main_avals)]
        got = t.pull(cts + aux_zeros)
        return [got[i] for i in t.diff]
    rows = vmap(pull)(_basis(m, core.default_float()))      # each: (m,) + in shape
    for k, o in enumerate(main_avals):
        for r, i in zip(rows, t.diff):
            a = t.avals[i]
            jac[k, i] = jnp.reshape(r[off[k]:off[k + 1]], o.shape + a.shape)
    return jac


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Jacobian of `fun` by forward mode (one JVP per input element)."""
    _check_callable(fun, "jacfwd")
    return Jacobian(fun, argnums, has_aux, "jacfwd")


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The Jacobian of `fun` by reverse mode (one VJP per output element)."""
    _check_callable(fun, "jacrev")
    return Jacobian(fun, argnums, has_aux, "jacrev")


jacobian = jacrev


def hessian(fun, argnums=0, has_aux=False, holomorphic=False):
    """The Hessian of the scalar function `fun`: jacfwd(jacrev(fun))."""
    return jacfwd(jacrev(fun, argnums, has_aux), argnums, has_aux)
