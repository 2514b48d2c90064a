"""Automatic differentiation, as in JAX: grad, value_and_grad, jvp, vjp, linearize.
Jacobians and Hessians are in mlax.jacobians, custom_jvp and custom_vjp in
mlax.custom_derivatives; both build on the traced function (`_Traced`) defined here.

Inside a trace, each transform traces the function into a private func.func, declares an
`mlax.grad` / `mlax.jvp` / `mlax.vjp` declaration naming it (see mlax.transforms.autodiff
for their entries), and calls the declaration. The passes of mlax.transforms.autodiff
give the declarations their bodies when the module is compiled, innermost first, so
transforms nest to any depth: `grad(jit(grad(f)))`, `jacfwd(jacrev(f))`,
`vmap(grad(f))`. Outside a trace, a transform runs as a jit of itself (traced and
compiled once per signature).

Arguments and results are pytrees. `argnums` select positional arguments; the
derivative has the structure of the selected argument (a tuple of them for a tuple of
argnums). Only floating-point leaves are differentiated.
"""
from __future__ import annotations

import collections
import functools

import numpy as np

from mlax import core, dtypes, lax, tracing
from mlax.lax import checked_bodies
from mlax import numpy as jnp
from mlax.api import PjitFunction, Transformed, closed_over, declare, emit_call, trace_avals
from mlax.dialects import structural
from mlax.tracing import Tracer
from mlax.pytree import tree_flatten, tree_map, tree_structure
from mlax.runtime.dtypes import is_inexact

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "linearize"]


# ---------------------------------------------------------------------------------------
# Helpers


def _fname(f):
    name = getattr(f, "__name__", None) or getattr(getattr(f, "func", None), "__name__", "fn")
    return "fn" if name == "<lambda>" else name


def _is_float(aval):
    """Whether values of `aval` are differentiated: real or complex floating point."""
    return is_inexact(aval.dtype)


def _is_complex(aval):
    return np.dtype(aval.dtype).kind == "c"


def _origins(leaves):
    return frozenset().union(*[x.origin for x in leaves if isinstance(x, Tracer)]) \
        if leaves else frozenset()


def _site():
    return tracing.user_site()


def _trace(fn, avals, in_tree, names, parent, name, sources=None, differentiated=()):
    """Trace `fn(*in_tree.unflatten(args))` on arguments of `avals` into a private function
    of parent's module. `sources`: the values of `parent` the arguments stand for (None
    for one that is unknown, as a tangent), so that `fn` sees them concrete where JAX's
    would be (mlax.concrete). Returns (builder, out_leaves, out_tree)."""
    return trace_avals(fn, avals, in_tree, names, parent, name, sources, differentiated)


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
    """A PjitFunction cached per `cache_key` (the transform and its Python-level parameters) and
    `static`, its (static_argnums, static_argnames)."""
    cache_key = (cache_key, static)
    try:
        j = _EAGER.get(cache_key)
    except TypeError:
        return PjitFunction(make(), *static, concrete=True)
    if j is None:
        j = PjitFunction(make(), *static, concrete=True)
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
        fixed = {i: a for i, a in enumerate(args) if i not in nums and closed_over(a)}
        fixed_kwargs = {k: v for k, v in kwargs.items() if closed_over(v)}
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
        # Inside checkify, `fun` also returns the checks its primal computation makes;
        # they are reported where its value is computed (`report_checks`), as JAX's.
        frame = checked_bodies.check_frame()
        self.checked = checked_bodies.Checked(frame, flat) if frame is not None else None
        self.builder, out_leaves, self.out_tree = _trace(
            self.checked or flat, self.avals, self.in_tree, self.names, self.parent,
            _fname(fun), self.leaves, self.diff)
        self.checks_tree = None
        if self.checked is not None:
            self.out_tree, self.checks_tree = self.out_tree.children
        self.callee = self.builder.name
        self.out_avals = list(self.builder.out_avals)     # the outputs', then the checks'
        self.n_out = self.out_tree.num_leaves
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
        """(main output pytree, aux pytree or None) from flat results, the checks among
        them reported."""
        self.report_checks(outs[self.n_out:])
        main = self.main_tree.unflatten(outs[:self.n_main])
        aux = self.aux_tree.unflatten(outs[self.n_main:self.n_out]) if self.has_aux else None
        return main, aux

    def report_checks(self, values):
        """Give the checkify frame the checks `fun` made, from the flat values of their
        flags and payloads (the results after `fun`'s own)."""
        if self.checked is not None:
            checked_bodies.report(self.checked.frame, self.checked.checks,
                                  self.checks_tree.unflatten(list(values)))

    def per_arg(self, flat_by_leaf, nums, single, float0=False):
        """The derivative pytrees of the arguments `nums` from {leaf index: value}; leaves
        that were not differentiated get zeros (with `float0`, integer and boolean leaves
        get JAX's float0 zeros, NumPy arrays, as grad and vjp give them)."""
        trees = []
        for k in nums:
            lo, hi = self.ranges[k]
            vals = []
            for i in range(lo, hi):
                v = flat_by_leaf.get(i)
                if v is None:
                    a = self.avals[i]
                    if float0 and not _is_float(a):
                        v = np.zeros(a.shape, dtypes.float0)
                    else:
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

    def __init__(self, fun, argnums=0, has_aux=False, value=False, allow_int=False,
                 holomorphic=False):
        super().__init__(fun)
        self._argnums, self._has_aux, self._value = argnums, has_aux, value
        self._allow_int, self._holomorphic = allow_int, holomorphic
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
               self._value, self._allow_int, self._holomorphic)
        static = self._static_options(args, kwargs)
        if static is None:
            return self._call_closed(args, kwargs)
        return _eager(key, lambda: _named(lambda *a, **k: self._traced(*a, **k),
                                          self._name()),
                      static)(*args, **kwargs)

    def _passed_through(self, args, kwargs):
        return _not_differentiated(self, args, kwargs)

    def _check_holomorphic(self, t, out_aval):
        """JAX's checks of holomorphic=True: complex inputs and a complex output."""
        for i in t.diff:
            if not _is_complex(t.avals[i]):
                raise TypeError(f"{self._what} with holomorphic=True requires inputs with "
                                f"complex dtype, but got {np.dtype(t.avals[i].dtype).name}. "
                                f"(function {_fname(self._fun)}, at {_site()})")
        if not _is_complex(out_aval):
            raise TypeError(f"{self._what} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {np.dtype(out_aval.dtype).name}. (function "
                            f"{_fname(self._fun)}, at {_site()})")

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
        if self._holomorphic:
            self._check_holomorphic(t, out_aval)
        elif _is_complex(out_aval):
            raise TypeError(f"{self._what} requires real-valued outputs (output dtype that is a "
                            "sub-dtype of np.floating), but got "
                            f"{np.dtype(out_aval.dtype).name}. For holomorphic differentiation, "
                            "pass holomorphic=True. For differentiation of non-holomorphic "
                            "functions involving complex outputs, use jax.vjp directly. "
                            f"(function {_fname(self._fun)}, at {_site()})")
        if not _is_float(out_aval):
            raise TypeError(f"{self._what} requires real-valued outputs (output dtype that is a "
                            "sub-dtype of np.floating), but got "
                            f"{np.dtype(out_aval.dtype).name}. For differentiation of functions "
                            f"with integer outputs, use jax.vjp directly. (function "
                            f"{_fname(self._fun)}, at {_site()})")
        # The aux outputs: the function's, then its checks' (inside checkify).
        aux_avals = t.out_avals[1:]
        decl = structural.Grad(callee=t.callee, argnums=tuple(t.diff),
                               has_aux=self._has_aux or bool(aux_avals), value=self._value)
        res_avals = ([out_aval] if self._value else []) + aux_avals + [t.avals[i] for i in t.diff]
        sym = declare(t.parent, decl, f"{self._what}_{t.callee}", t.operand_avals(), res_avals)
        res = emit_call(tracing.current(), sym, t.operands, res_avals, t.origin())
        value = res[0] if self._value else None
        res = res[1:] if self._value else res
        t.report_checks(res[t.n_out - 1:len(aux_avals)])
        aux = t.aux_tree.unflatten(res[:t.n_out - 1]) if self._has_aux else None
        grads = t.per_arg(dict(zip(t.diff, res[len(aux_avals):])), nums, single, float0=True)
        if self._value:
            return ((value, aux), grads) if self._has_aux else (value, grads)
        return (grads, aux) if self._has_aux else grads


def grad(fun=None, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of the scalar function `fun` with respect to its `argnums` arguments.

    As in JAX, the cotangent convention is not conjugated: for a real `fun` of complex `z`
    the result is df/dx - i df/dy, and with holomorphic=True, f'(z)."""
    if fun is None:
        return functools.partial(grad, argnums=argnums, has_aux=has_aux, allow_int=allow_int,
                                 holomorphic=holomorphic)
    _check_callable(fun, "grad")
    return Grad(fun, argnums, has_aux, value=False, allow_int=allow_int, holomorphic=holomorphic)


def value_and_grad(fun=None, argnums=0, has_aux=False, holomorphic=False, allow_int=False,
                   reduce_axes=()):
    """`fun`'s value and its gradient, computed together (one forward pass)."""
    if fun is None:
        return functools.partial(value_and_grad, argnums=argnums, has_aux=has_aux,
                                 allow_int=allow_int, holomorphic=holomorphic)
    _check_callable(fun, "value_and_grad")
    return Grad(fun, argnums, has_aux, value=True, allow_int=allow_int, holomorphic=holomorphic)


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
                self._jitted = PjitFunction(_named(
                    lambda p, c: vjp(fun, *p, has_aux=has_aux)[1](c), self.__name__),
                    concrete=True)
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
        return t.per_arg(got, tuple(range(len(self._primals))), single=False, float0=True)


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
