"""Automatic differentiation, as in JAX: grad, value_and_grad, jvp, vjp, linearize, jacfwd,
jacrev, jacobian, hessian, custom_jvp, custom_vjp.

Inside a trace, each transform traces the function into a private func.func, declares an
`mlax.grad` / `mlax.jvp` / `mlax.vjp` (or `mlax.custom_jvp` / `mlax.custom_vjp`)
declaration naming it (see mlax.transforms.autodiff for their entries), and calls the
declaration. The passes of mlax.transforms.autodiff give the declarations their bodies
when the module is compiled, innermost first, so transforms nest to any depth:
`grad(jit(grad(f)))`, `jacfwd(jacrev(f))`, `vmap(grad(f))`. Outside a trace, a transform
runs as a jit of itself (traced and compiled once per signature).

Arguments and results are pytrees. `argnums` select positional arguments; the
derivative has the structure of the selected argument (a tuple of them for a tuple of
argnums). Only floating-point leaves are differentiated.
"""
from __future__ import annotations

import collections
import functools
import inspect

import numpy as np

from mlax import core, lax, tracing
from mlax import numpy as jnp
from mlax.api import Jitted, Transformed, declare, emit_call, trace_avals, untraced_value
from mlax.batching import vmap
from mlax.dialects import structural
from mlax.tracing import Tracer
from mlax.tree_util import tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev",
           "jacobian", "hessian", "custom_jvp", "custom_vjp"]


# ---------------------------------------------------------------------------------------
# Helpers


def _fname(f):
    name = getattr(f, "__name__", None) or getattr(getattr(f, "func", None), "__name__", "fn")
    return "fn" if name == "<lambda>" else name


def _is_float(aval):
    return np.dtype(aval.dtype).kind == "f"


def _origins(leaves):
    return frozenset().union(*[x.origin for x in leaves if isinstance(x, Tracer)]) \
        if leaves else frozenset()


def _site():
    return tracing.user_site()


def _trace(fn, avals, in_tree, names, parent, name):
    """Trace `fn(*in_tree.unflatten(args))` on arguments of `avals` into a private function
    of parent's module. Returns (builder, out_leaves, out_tree)."""
    return trace_avals(fn, avals, in_tree, names, parent, name)


def _normalize_argnums(argnums, nargs, what):
    """(tuple of argument positions, whether argnums was a single int)."""
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else argnums
    if not isinstance(nums, (tuple, list)) or not all(isinstance(i, (int, np.integer)) for i in nums):
        raise TypeError(f"{what}: argnums must be an int or a tuple of ints, got {argnums!r}")
    nums = tuple(int(i) for i in nums)
    if any(i < -nargs for i in nums):
        bad = min(nums)
        raise ValueError(f"Positional argument indices, e.g. for `argnums`, must have value "
                         f"greater than or equal to -len(args) and less than len(args), but got "
                         f"value {bad} for len(args) == {nargs} (at {_site()}).")
    if any(i >= nargs for i in nums):
        need = max(i if i >= 0 else -i - 1 for i in nums) + 1
        raise TypeError(f"differentiating with respect to argnums={argnums} requires at least "
                        f"{need} positional arguments to be passed by the caller, but got only "
                        f"{nargs} positional arguments (at {_site()}).")
    nums = tuple(i % nargs for i in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"{what}: repeated argnums {argnums!r}")
    return nums, single


def _eager(cache_key, make, static=((), ())):
    """A Jitted cached per `cache_key` (the transform and its Python-level parameters) and
    `static`, its (static_argnums, static_argnames)."""
    cache_key = (cache_key, static)
    try:
        j = _EAGER.get(cache_key)
    except TypeError:
        return Jitted(make(), *static)
    if j is None:
        j = Jitted(make(), *static)
        _EAGER[cache_key] = j
        if len(_EAGER) > 256:
            _EAGER.popitem(last=False)
    return j


_EAGER: collections.OrderedDict = collections.OrderedDict()


def _not_differentiated(transform, args, kwargs):
    """(positions, keyword names) of the arguments `transform` (a Grad or Jacobian) passes
    to its function untouched: all but its argnums."""
    try:
        nums, _ = _normalize_argnums(transform._argnums, len(args), "")
    except (TypeError, ValueError):
        return (), ()           # tracing reports it
    return [i for i in range(len(args)) if i not in nums], list(kwargs)


def _hashable_argnums(argnums):
    return tuple(argnums) if isinstance(argnums, list) else argnums


def _named(f, name):
    f.__name__ = name
    return f


def _cast_like(x, aval, what):
    """`x` as a value of `aval`'s shape and dtype (weak scalars and same-kind dtypes convert)."""
    a = tracing.aval_of(x)
    if tuple(a.shape) != tuple(aval.shape):
        raise ValueError(f"{what}: got shape {a.str_short()} where {aval.str_short()} was "
                         f"expected (at {_site()}).")
    if a.dtype != aval.dtype:
        if not (a.weak_type or np.dtype(a.dtype).kind == np.dtype(aval.dtype).kind):
            raise TypeError(f"{what}: got dtype {np.dtype(a.dtype).name} where "
                            f"{np.dtype(aval.dtype).name} was expected (at {_site()}).")
        x = lax.convert_element_type(x, aval.dtype)
    return x


# ---------------------------------------------------------------------------------------
# A traced function and the derivative declarations over it


class _Traced:
    """`fun(*args, **kwargs)` traced into a private function of the current module.

    `diff` are the leaf indices (of the flattened (args, kwargs)) of the positional
    arguments `nums` with floating-point dtypes; `push` and `pull` emit calls of one
    `mlax.jvp` / `mlax.vjp` declaration over the function."""

    def __init__(self, fun, args, kwargs, nums, has_aux, what, allow_int=True):
        self.fun, self.what, self.has_aux = fun, what, has_aux
        self.parent = tracing.current()
        # The arguments not differentiated that are plain values are closed over, not
        # traced: `fun` sees them concrete, as under JAX's transforms (a None stands in
        # for each: it has no leaves).
        fixed = {i: a for i, a in enumerate(args) if i not in nums and untraced_value(a)}
        fixed_kwargs = {k: v for k, v in kwargs.items() if untraced_value(v)}
        args = tuple(None if i in fixed else a for i, a in enumerate(args))
        kwargs = {k: v for k, v in kwargs.items() if k not in fixed_kwargs}
        self.leaves, self.in_tree = tree_flatten((args, dict(kwargs)))
        self.ranges, pos = [], 0
        for a in args:
            n = len(tree_flatten(a)[0])
            self.ranges.append((pos, pos + n))
            pos += n
        self.arg_trees = [tree_structure(a) for a in args]
        pnames = tracing.arg_names_of(fun, len(args))
        self.names = [pnames[k] for k, (lo, hi) in enumerate(self.ranges) for _ in range(lo, hi)]
        self.names += [""] * (len(self.leaves) - len(self.names))
        self.avals = []
        for x, n in zip(self.leaves, self.names):
            if not isinstance(x, Tracer):
                tracing.leaf_signature(x, n or "keyword argument")
            self.avals.append(tracing.aval_of(x))
        self.nums = nums
        self.diff = []
        for k in nums:
            for i in range(*self.ranges[k]):
                if _is_float(self.avals[i]):
                    self.diff.append(i)
                elif not allow_int:
                    raise TypeError(
                        f"{what} requires real- or complex-valued inputs (input dtype that is a "
                        f"sub-dtype of np.inexact), but got {np.dtype(self.avals[i].dtype).name}. "
                        "If you want to use Boolean- or integer-valued inputs, use vjp or set "
                        f"allow_int to True. (argument '{pnames[k]}' of {_fname(fun)}, at "
                        f"{_site()})")

        def flat(a, k):
            a = [fixed[i] if i in fixed else x for i, x in enumerate(a)]
            out = fun(*a, **k, **fixed_kwargs)
            if has_aux and not (isinstance(out, (tuple, list)) and len(out) == 2):
                desc = f"a {type(out).__name__} of length {len(out)}" \
                    if isinstance(out, (tuple, list)) else f"a {type(out).__name__}"
                raise TypeError(f"{what} with has_aux=True requires {_fname(fun)} to return a "
                                f"pair (output, auxiliary data), but it returned {desc} (at "
                                f"{_site()}).")
            return out
        self.builder, out_leaves, self.out_tree = _trace(
            flat, self.avals, self.in_tree, self.names, self.parent, _fname(fun))
        self.callee = self.builder.name
        self.out_avals = list(self.builder.out_avals)
        self.captured = list(self.builder.captured)
        if has_aux:
            self.main_tree, self.aux_tree = self.out_tree.children[0], self.out_tree.children[1]
        else:
            self.main_tree, self.aux_tree = self.out_tree, None
        self.n_main = self.main_tree.num_leaves
        self._jvp_sym = self._vjp_sym = None

    # -- operands and structure ------------------------------------------------------------
    @property
    def operands(self):
        return list(self.leaves) + self.captured

    def operand_avals(self):
        return self.avals + [c.aval for c in self.captured]

    def origin(self):
        return _origins(self.operands)

    def split_out(self, outs):
        """(main output pytree, aux pytree or None) from flat results."""
        main = self.main_tree.unflatten(outs[:self.n_main])
        aux = self.aux_tree.unflatten(outs[self.n_main:]) if self.has_aux else None
        return main, aux

    def per_arg(self, flat_by_leaf, nums, single):
        """The derivative pytrees of the arguments `nums` from {leaf index: value}; leaves
        that were not differentiated get zeros."""
        trees = []
        for k in nums:
            lo, hi = self.ranges[k]
            vals = []
            for i in range(lo, hi):
                v = flat_by_leaf.get(i)
                if v is None:
                    a = self.avals[i]
                    v = jnp.zeros(a.shape, a.dtype)
                vals.append(v)
            trees.append(self.arg_trees[k].unflatten(vals))
        return trees[0] if single else tuple(trees)

    # -- calls -----------------------------------------------------------------------------
    def primal(self):
        return emit_call(tracing.current(), self.callee, self.operands, self.out_avals,
                         self.origin())

    def push(self, tangents):
        """(outputs, output tangents) for tangents of the `diff` leaves."""
        if self._jvp_sym is None:
            self._jvp_sym = declare(self.parent,
                                    structural.Jvp(callee=self.callee, argnums=tuple(self.diff)),
                                    f"jvp_{self.callee}",
                                    self.operand_avals() + [self.avals[i] for i in self.diff],
                                    self.out_avals + self.out_avals)
        tangents = [_cast_like(t, self.avals[i], f"{self.what} tangent")
                    for t, i in zip(tangents, self.diff)]
        res = emit_call(tracing.current(), self._jvp_sym, self.operands + tangents,
                        self.out_avals + self.out_avals, self.origin() | _origins(tangents))
        return res[:len(self.out_avals)], res[len(self.out_avals):]

    def pull(self, cts):
        """{leaf index: cotangent} of the `diff` leaves, for one cotangent per output leaf."""
        if self._vjp_sym is None:
            self._vjp_sym = declare(self.parent,
                                    structural.Vjp(callee=self.callee, argnums=tuple(self.diff)),
                                    f"vjp_{self.callee}", self.operand_avals() + self.out_avals,
                                    [self.avals[i] for i in self.diff])
        res = emit_call(tracing.current(), self._vjp_sym, self.operands + list(cts),
                        [self.avals[i] for i in self.diff], self.origin() | _origins(cts))
        return dict(zip(self.diff, res))


def _zeros_of(aval):
    return np.zeros(aval.shape, aval.dtype)


# ---------------------------------------------------------------------------------------
# grad and value_and_grad


class Grad(Transformed):
    """The result of `grad(fun, ...)` / `value_and_grad(fun, ...)`."""

    def __init__(self, fun, argnums=0, has_aux=False, value=False, allow_int=False):
        super().__init__(fun)
        self._argnums, self._has_aux, self._value = argnums, has_aux, value
        self._allow_int = allow_int
        self._what = "value_and_grad" if value else "grad"
        _normalize_argnums(argnums, 1 << 30, self._what)   # type check now, range at call

    def _name(self):
        return f"{self._what}_{_fname(self._fun)}"

    def __call__(self, *args, **kwargs):
        if core.trace_stack():
            return self._traced(*args, **kwargs)
        # Eagerly, `grad(f)(x)` in a loop makes a new Grad each time: share the compiled
        # function between equal transforms of the same function.
        key = ("grad", self._fun, _hashable_argnums(self._argnums), self._has_aux,
               self._value, self._allow_int)
        return _eager(key, lambda: _named(lambda *a, **k: self._traced(*a, **k),
                                          self._name()),
                      self._static_options(args, kwargs))(*args, **kwargs)

    def _passed_through(self, args, kwargs):
        return _not_differentiated(self, args, kwargs)

    def _traced(self, *args, **kwargs):
        nums, single = _normalize_argnums(self._argnums, len(args), self._what)
        t = _Traced(self._fun, args, kwargs, nums, self._has_aux, self._what,
                    allow_int=self._allow_int)
        out_aval = t.out_avals[0] if t.out_avals else None
        if t.main_tree.node_type is not None or out_aval is None or out_aval.shape != ():
            shape = out_aval.shape if t.main_tree.node_type is None and out_aval else None
            what = f"Output had shape: {shape}" if shape is not None else \
                f"Output was a {t.main_tree}"
            raise TypeError(f"Gradient only defined for scalar-output functions. {what}. "
                            f"(function {_fname(self._fun)}, at {_site()})")
        if not _is_float(out_aval):
            raise TypeError(f"{self._what} requires real-valued outputs (output dtype that is a "
                            "sub-dtype of np.floating), but got "
                            f"{np.dtype(out_aval.dtype).name}. For differentiation of functions "
                            f"with integer outputs, use jax.vjp directly. (function "
                            f"{_fname(self._fun)}, at {_site()})")
        decl = structural.Grad(callee=t.callee, argnums=tuple(t.diff), has_aux=self._has_aux,
                               value=self._value)
        aux_avals = t.out_avals[1:] if self._has_aux else []
        res_avals = ([out_aval] if self._value else []) + aux_avals + [t.avals[i] for i in t.diff]
        sym = declare(t.parent, decl, f"{self._what}_{t.callee}", t.operand_avals(), res_avals)
        res = emit_call(tracing.current(), sym, t.operands, res_avals, t.origin())
        value = res[0] if self._value else None
        res = res[1:] if self._value else res
        aux = t.aux_tree.unflatten(res[:len(aux_avals)]) if self._has_aux else None
        grads = t.per_arg(dict(zip(t.diff, res[len(aux_avals):])), nums, single)
        if self._value:
            return ((value, aux), grads) if self._has_aux else (value, grads)
        return (grads, aux) if self._has_aux else grads


def grad(fun=None, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of the scalar function `fun` with respect to its `argnums` arguments."""
    if fun is None:
        return functools.partial(grad, argnums=argnums, has_aux=has_aux, allow_int=allow_int)
    _check_callable(fun, "grad")
    if holomorphic:
        raise NotImplementedError("mlax has no complex dtypes: holomorphic=True is not supported")
    return Grad(fun, argnums, has_aux, value=False, allow_int=allow_int)


def value_and_grad(fun=None, argnums=0, has_aux=False, holomorphic=False, allow_int=False,
                   reduce_axes=()):
    """`fun`'s value and its gradient, computed together (one forward pass)."""
    if fun is None:
        return functools.partial(value_and_grad, argnums=argnums, has_aux=has_aux,
                                 allow_int=allow_int)
    _check_callable(fun, "value_and_grad")
    if holomorphic:
        raise NotImplementedError("mlax has no complex dtypes: holomorphic=True is not supported")
    return Grad(fun, argnums, has_aux, value=True, allow_int=allow_int)


def _check_callable(fun, what):
    if not callable(fun):
        raise TypeError(f"{what} requires a callable as its first argument, got "
                        f"{type(fun).__name__}: {fun!r}")


# ---------------------------------------------------------------------------------------
# jvp, linearize


def _check_tuple(what, primals, tangents):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(f"primal and tangent arguments to {what} must be tuples or lists; "
                        f"found {type(primals).__name__} and {type(tangents).__name__}.")


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), the directional derivative of fun at primals along tangents)."""
    _check_callable(fun, "jvp")
    _check_tuple("jax.jvp", primals, tangents)
    p_tree, t_tree = tree_structure(tuple(primals)), tree_structure(tuple(tangents))
    if p_tree != t_tree:
        raise TypeError("primal and tangent arguments to jax.jvp must have the same tree "
                        f"structure; primals have tree structure {p_tree} whereas tangents "
                        f"have tree structure {t_tree}.")
    if not core.trace_stack():
        j = _eager(("jvp", fun, has_aux), lambda: _named(
            lambda p, t: jvp(fun, p, t, has_aux=has_aux), f"jvp_{_fname(fun)}"))
        return j(tuple(primals), tuple(tangents))
    primals = tuple(primals)
    t = _Traced(fun, primals, {}, tuple(range(len(primals))), has_aux, "jvp")
    t_leaves = tree_flatten(tuple(tangents))[0]
    for i, (p, tl) in enumerate(zip(t.avals, t_leaves)):
        ta = tracing.aval_of(tl)
        if tuple(ta.shape) != tuple(p.shape):
            raise ValueError("jvp called with different primal and tangent shapes;Got primal "
                             f"shape {p.shape} and tangent shape as {ta.shape} (at {_site()})")
        if _is_float(p) and not _is_float(ta) and not ta.weak_type:
            raise TypeError("primal and tangent arguments to jax.jvp do not match; dtypes must "
                            f"be equal. Got primal dtype {np.dtype(p.dtype).name} and tangent "
                            f"dtype {np.dtype(ta.dtype).name} (at {_site()}).")
    outs, touts = t.push([t_leaves[i] for i in t.diff])
    out, aux = t.split_out(outs)
    tout = t.main_tree.unflatten(touts[:t.n_main])
    return (out, tout, aux) if has_aux else (out, tout)


def linearize(fun, *primals, has_aux=False):
    """(fun(*primals), f_jvp) where f_jvp(*tangents) is the JVP of fun at primals."""
    _check_callable(fun, "linearize")
    res = jvp(fun, primals, tuple(tree_map(_zeros_like_leaf, p) for p in primals), has_aux)
    out = res[0]

    def f_jvp(*tangents):
        if len(tangents) != len(primals):
            raise TypeError(f"linearized function takes {len(primals)} tangent arguments, "
                            f"got {len(tangents)}")
        return jvp(fun, primals, tangents, has_aux)[1]
    return (out, f_jvp, res[2]) if has_aux else (out, f_jvp)


def _zeros_like_leaf(x):
    a = tracing.aval_of(x)
    return np.zeros(a.shape, a.dtype)


# ---------------------------------------------------------------------------------------
# vjp


class VjpFunction:
    """The `vjp_fun` of `vjp(fun, *primals)`: cotangent of the output -> a tuple of
    cotangents of the primals. Works inside the trace that made it, in later traces, and
    eagerly (compiled once per cotangent signature)."""

    def __init__(self, fun, primals, has_aux, traced=None):
        self._fun, self._primals, self._has_aux = fun, tuple(primals), has_aux
        self._t = traced
        self._jitted = None
        self.__name__ = f"vjp_{_fname(fun)}"

    def __call__(self, *cts):
        if len(cts) != 1:
            raise TypeError(f"vjp_fun takes one cotangent argument (a pytree like the output), "
                            f"got {len(cts)}")
        ct = cts[0]
        if not core.trace_stack():
            if self._jitted is None:
                fun, has_aux = self._fun, self._has_aux
                self._jitted = Jitted(_named(
                    lambda p, c: vjp(fun, *p, has_aux=has_aux)[1](c), self.__name__))
            return self._jitted(self._primals, ct)
        t = self._t
        if t is None or t.parent.traced_module is not tracing.current().traced_module:
            t = _Traced(self._fun, self._primals, {}, tuple(range(len(self._primals))),
                        self._has_aux, "vjp")
        c_leaves, c_tree = tree_flatten(ct)
        if c_tree != t.main_tree:
            raise TypeError(f"Tree structure of cotangent input {c_tree}, does not match "
                            f"structure of primal output {t.main_tree} (at {_site()}).")
        c_leaves = [_cast_like(c, a, "vjp cotangent") for c, a in zip(c_leaves, t.out_avals)]
        aux_zeros = [_zeros_of(a) for a in t.out_avals[t.n_main:]]
        got = t.pull(c_leaves + aux_zeros)
        return t.per_arg(got, tuple(range(len(self._primals))), single=False)


def vjp(fun, *primals, has_aux=False, reduce_axes=()):
    """(fun(*primals), vjp_fun[, aux]): vjp_fun maps an output cotangent to the primals'."""
    _check_callable(fun, "vjp")
    if not core.trace_stack():
        j = _eager(("vjp", fun, has_aux), lambda: _named(
            lambda p: _vjp_out(fun, p, has_aux), f"vjp_{_fname(fun)}"))
        out, aux = j(tuple(primals))
        f = VjpFunction(fun, primals, has_aux)
        return (out, f, aux) if has_aux else (out, f)
    t = _Traced(fun, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    out, aux = t.split_out(t.primal())
    f = VjpFunction(fun, primals, has_aux, t)
    return (out, f, aux) if has_aux else (out, f)


def _vjp_out(fun, primals, has_aux):
    t = _Traced(fun, primals, {}, tuple(range(len(primals))), has_aux, "vjp")
    return t.split_out(t.primal())


# ---------------------------------------------------------------------------------------
# Jacobians


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
        return _eager(key, lambda: _named(lambda *a, **k: self._traced(*a, **k),
                                          self._name()),
                      self._static_options(args, kwargs))(*args, **kwargs)

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


# ---------------------------------------------------------------------------------------
# Custom derivatives


def _resolve_args(fun, args, kwargs):
    if not kwargs:
        return tuple(args)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{_fname(fun)}: {e}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"{_fname(fun)}: keyword-only arguments are not supported by "
                        "custom_jvp / custom_vjp functions")
    return tuple(bound.args)


# How deep a custom_jvp / custom_vjp function called inside its own rules keeps its rules
# (enough for second derivatives through `ans = f(x)` in a JVP rule).
_CUSTOM_NESTING = 2


class _CustomBase:
    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(int(i) for i in nondiff_argnums)
        self._jitted = None
        self._depth = 0           # how many of this function's rules are being traced

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        args = _resolve_args(self.fun, args, kwargs)
        self._check_defined()
        if not core.trace_stack():
            if self._jitted is None:
                self._jitted = Jitted(_named(lambda *a: self(*a), _fname(self.fun)),
                                      static_argnums=self.nondiff_argnums)
            return self._jitted(*args)
        if self._depth >= _CUSTOM_NESTING:
            # Called inside its own rule (as in `ans = f(x)` in a JVP rule), past the depth
            # that higher derivatives use: the primal function, without the rule.
            return self.fun(*args)
        nondiff = {i: args[i] for i in self.nondiff_argnums if i < len(args)}
        diff_args = tuple(a for i, a in enumerate(args) if i not in nondiff)
        leaves, in_tree = tree_flatten(diff_args)
        avals = [tracing.aval_of(x) for x in leaves]
        pnames = tracing.arg_names_of(self.fun, len(args))
        dnames = [n for i, n in enumerate(pnames) if i not in nondiff]
        names = [dnames[k] for k, a in enumerate(diff_args) for _ in tree_flatten(a)[0]]

        def merge(d):
            it = iter(d)
            return tuple(nondiff[i] if i in nondiff else next(it) for i in range(len(args)))
        self._merge, self._nondiff = merge, [nondiff[i] for i in sorted(nondiff)]
        parent = tracing.current()
        callee, _, out_tree = _trace(lambda *d: self.fun(*merge(d)), avals, in_tree, names,
                                     parent, _fname(self.fun))
        self._depth += 1
        try:
            return self._emit(parent, leaves, avals, in_tree, names, diff_args, callee, out_tree)
        finally:
            self._depth -= 1

    def _nondiff_prefix(self):
        return list(self._nondiff)


class custom_jvp(_CustomBase):
    """A function with a user-defined JVP rule: `@custom_jvp def f(x): ...` then
    `@f.defjvp def f_jvp(primals, tangents): return f(*primals), tangent_out`."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp, symbolic_zeros=False):
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """One rule per argument: `jvp_i(g, ans, *primals)` is the tangent contribution of
        argument i (None: that argument has no effect on the output)."""
        if self.nondiff_argnums:
            raise TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.")

        def rule(primals, tangents):
            ans = self.fun(*primals)
            outs = [f(t, ans, *primals) for f, t in zip(jvps, tangents) if f is not None]
            if not outs:
                return ans, tree_map(_zeros_like_leaf, ans)
            total = outs[0]
            for o in outs[1:]:
                total = tree_map(lambda a, b: a + b, total, o)
            return ans, total
        self.defjvp(rule)

    def _check_defined(self):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {_fname(self.fun)} "
                                 "using defjvp.")

    def _emit(self, parent, leaves, avals, in_tree, names, diff_args, callee, out_tree):
        out_avals = list(callee.out_avals)
        rule_fn = self.jvp
        nd = self._nondiff_prefix()

        def rule(primals, tangents):
            res = rule_fn(*nd, tuple(primals), tuple(tangents))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"Custom JVP rule {_fname(rule_fn)} for function "
                                f"{_fname(self.fun)} must produce a pair (list or tuple of "
                                f"length two) representing primal and tangent outputs, but got "
                                f"{res!r} (at {_site()}).")
            p_out, t_out = res
            p_leaves, p_tree = tree_flatten(p_out)
            t_leaves, t_tree = tree_flatten(t_out)
            if p_tree != out_tree or t_tree != out_tree:
                raise TypeError("Custom JVP rule must produce primal and tangent outputs with "
                                f"equal container (pytree) structures to the function's output "
                                f"{out_tree}, but got {p_tree} and {t_tree} (rule "
                                f"{_fname(rule_fn)}, at {_site()}).")
            p_leaves = [_cast_like(p, a, "custom_jvp rule primal output")
                        for p, a in zip(p_leaves, out_avals)]
            t_leaves = [_cast_like(tl, a, "custom_jvp rule tangent output")
                        for tl, a in zip(t_leaves, out_avals)]
            return p_leaves, t_leaves
        pair_tree = tree_structure((in_tree.unflatten(leaves), in_tree.unflatten(leaves)))
        rule_b, _, _ = _trace(rule, avals + avals, pair_tree, names + names, parent,
                              f"{_fname(self.fun)}_jvp")
        decl = structural.CustomJvp(callee=callee.name, jvp=rule_b.name, num_args=len(leaves),
                                    num_callee_consts=len(callee.captured))
        operands = list(leaves) + list(callee.captured) + list(rule_b.captured)
        sym = declare(parent, decl, f"custom_jvp_{callee.name}",
                      [tracing.aval_of(x) for x in operands], out_avals)
        outs = emit_call(tracing.current(), sym, operands, out_avals, _origins(operands))
        return out_tree.unflatten(outs)


class custom_vjp(_CustomBase):
    """A function with a user-defined VJP: `@custom_vjp def f(x): ...`,
    `f.defvjp(f_fwd, f_bwd)` with `f_fwd(*args) -> (out, residuals)` and
    `f_bwd(residuals, ct) -> tuple of one cotangent per argument`."""

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros=False, optimize_remat=False):
        self.fwd, self.bwd = fwd, bwd

    def _check_defined(self):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {_fname(self.fun)} "
                                 "using defvjp.")

    def _emit(self, parent, leaves, avals, in_tree, names, diff_args, callee, out_tree):
        out_avals = list(callee.out_avals)
        fwd_fn, bwd_fn, merge = self.fwd, self.bwd, self._merge
        nd = self._nondiff_prefix()
        res_tree_box = []

        def fwd(*d):
            res = fwd_fn(*merge(d))
            if not (isinstance(res, (tuple, list)) and len(res) == 2):
                raise TypeError(f"Custom VJP fwd rule {_fname(fwd_fn)} for function "
                                f"{_fname(self.fun)} must produce a pair (list or tuple of "
                                "length two) where the first element represents the primal "
                                f"output and the second element represents residuals, but got "
                                f"{res!r} (at {_site()}).")
            out, r = res
            o_leaves, o_tree = tree_flatten(out)
            if o_tree != out_tree:
                raise TypeError(f"Custom VJP fwd rule {_fname(fwd_fn)} must produce a primal "
                                f"output with the structure {out_tree} of the function's "
                                f"output, but got {o_tree} (at {_site()}).")
            o_leaves = [_cast_like(o, a, "custom_vjp fwd primal output")
                        for o, a in zip(o_leaves, out_avals)]
            r_leaves, r_tree = tree_flatten(r)
            res_tree_box.append(r_tree)
            return o_leaves, r_leaves
        fwd_b, _, _ = _trace(fwd, avals, in_tree, names, parent, f"{_fname(self.fun)}_fwd")
        res_tree = res_tree_box[0]
        res_avals = list(fwd_b.out_avals[len(out_avals):])
        n_args = len(diff_args)
        arg_trees = [tree_structure(a) for a in diff_args]
        arg_avals = []
        pos = 0
        for tr in arg_trees:
            arg_avals.append(avals[pos:pos + tr.num_leaves])
            pos += tr.num_leaves

        def bwd(res, ct):
            got = bwd_fn(*nd, res, ct)
            if not isinstance(got, (tuple, list)) or len(got) != n_args:
                raise TypeError("Custom VJP bwd rule must produce an output with the same "
                                "container (pytree) structure as the args tuple of the primal "
                                "function, and in particular must produce a tuple of length "
                                f"equal to the number of arguments to the primal function "
                                f"({n_args}), but got {got!r} (rule {_fname(bwd_fn)}, at "
                                f"{_site()}).")
            flat = []
            for k, (g, tr, av) in enumerate(zip(got, arg_trees, arg_avals)):
                if g is None:
                    flat += [_zeros_of(a) for a in av]
                    continue
                g_leaves, g_tree = tree_flatten(g)
                if g_tree != tr:
                    raise TypeError(f"Custom VJP bwd rule {_fname(bwd_fn)} produced a cotangent "
                                    f"of structure {g_tree} for argument {k} of structure {tr} "
                                    f"(at {_site()}).")
                flat += [_cast_like(x, a, "custom_vjp bwd cotangent")
                         for x, a in zip(g_leaves, av)]
            return flat
        bwd_tree = tree_structure((res_tree.unflatten(res_avals), out_tree.unflatten(out_avals)))
        bwd_b, _, _ = _trace(bwd, res_avals + out_avals, bwd_tree,
                             [""] * (len(res_avals) + len(out_avals)), parent,
                             f"{_fname(self.fun)}_bwd")
        decl = structural.CustomVjp(callee=callee.name, fwd=fwd_b.name, bwd=bwd_b.name,
                                    num_args=len(leaves), num_callee_consts=len(callee.captured),
                                    num_fwd_consts=len(fwd_b.captured), num_res=len(res_avals))
        operands = (list(leaves) + list(callee.captured) + list(fwd_b.captured)
                    + list(bwd_b.captured))
        sym = declare(parent, decl, f"custom_vjp_{callee.name}",
                      [tracing.aval_of(x) for x in operands], out_avals)
        outs = emit_call(tracing.current(), sym, operands, out_avals, _origins(operands))
        return out_tree.unflatten(outs)
