"""Functions with user-defined derivatives, as in JAX: custom_jvp, custom_vjp, and
closure_convert (the traced float values a function closes over, made explicit arguments,
so a custom rule can differentiate them).

Inside a trace, calling such a function traces it and its rules into private functions
of the current module and calls an `mlax.custom_jvp` / `mlax.custom_vjp` declaration
naming them (see mlax.dialects.structural); mlax.transforms.autodiff uses the rules when
it differentiates the call, and the primal function otherwise. Outside a trace, the
function runs as it is, op by op, as in JAX.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from mlax import core, tracing
from mlax.ad import (_cast_like, _fname, _origins, _site, _trace, _zeros_like_leaf,
                     _zeros_of)
from mlax.api import PjitFunction, declare, emit_call, trace_callee
from mlax.dialects import structural
from mlax.pytree import tree_flatten, tree_map, tree_structure
from mlax.runtime.dtypes import is_inexact

__all__ = ["closure_convert", "custom_gradient", "custom_jvp", "custom_vjp"]



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
        self._depth = 0           # how many of this function's rules are being traced

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        args = _resolve_args(self.fun, args, kwargs)
        self._check_defined()
        if not core.trace_stack():
            # As in JAX, outside any transform the function just runs, op by op, on the
            # arguments as given (Python floats in, a Python float may come out); the
            # rules are not called.
            return self.fun(*args)
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
                                     parent, _fname(self.fun), leaves)
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
                              f"{_fname(self.fun)}_jvp", list(leaves) + [None] * len(leaves))
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
        fwd_b, fwd_outs, _ = _trace(fwd, avals, in_tree, names, parent,
                                    f"{_fname(self.fun)}_fwd", leaves)
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
        # The residuals are known where the arguments are (JAX calls bwd with their
        # values outside jit); the cotangents are not.
        bwd_b, _, _ = _trace(bwd, res_avals + out_avals, bwd_tree,
                             [""] * (len(res_avals) + len(out_avals)), parent,
                             f"{_fname(self.fun)}_bwd",
                             list(fwd_outs[len(out_avals):]) + [None] * len(out_avals))
        decl = structural.CustomVjp(callee=callee.name, fwd=fwd_b.name, bwd=bwd_b.name,
                                    num_args=len(leaves), num_callee_consts=len(callee.captured),
                                    num_fwd_consts=len(fwd_b.captured), num_res=len(res_avals))
        operands = (list(leaves) + list(callee.captured) + list(fwd_b.captured)
                    + list(bwd_b.captured))
        sym = declare(parent, decl, f"custom_vjp_{callee.name}",
                      [tracing.aval_of(x) for x in operands], out_avals)
        outs = emit_call(tracing.current(), sym, operands, out_avals, _origins(operands))
        return out_tree.unflatten(outs)


def custom_gradient(fun):
    """JAX's `custom_gradient`: `fun(*args)` returns `(value, vjp_fn)`, where
    `vjp_fn(cotangent)` gives a tuple of one cotangent per argument. A custom_vjp whose
    fwd traces `vjp_fn` at once, on cotangents like the value: the values it closes over
    are the residuals, and bwd calls the traced function on them."""
    traced = []          # (function builder, output structure) of each fwd traced

    @custom_vjp
    def wrapped(*args):
        return _value_and_rule(fun, args)[0]

    def fwd(*args):
        ans, rule = _value_and_rule(fun, args)
        leaves, tree = tree_flatten(ans)
        avals = [tracing.aval_of(x) for x in leaves]
        builder, _, out_tree = _trace(lambda *cts: rule(*cts), avals,
                                      tree_structure((tree.unflatten(leaves),)),
                                      [""] * len(avals), tracing.current(),
                                      f"{_fname(fun)}_vjp")
        traced.append((builder, out_tree))
        return ans, list(builder.captured)

    def bwd(res, ct):
        builder, out_tree = traced[-1]
        outs = emit_call(tracing.current(), builder.name, tree_flatten(ct)[0] + list(res),
                         builder.out_avals, _origins(res))
        cts = out_tree.unflatten(outs)
        return cts if isinstance(cts, (tuple, list)) else (cts,)

    wrapped.defvjp(fwd, bwd)
    functools.update_wrapper(wrapped, fun)
    return wrapped


def _value_and_rule(fun, args):
    res = fun(*args)
    if not (isinstance(res, (tuple, list)) and len(res) == 2 and callable(res[1])):
        raise TypeError(f"custom_gradient function {_fname(fun)} must return a pair "
                        f"(value, vjp_fn) with vjp_fn callable, got {res!r} (at {_site()}).")
    return res


class _ClosureConverted:
    """`fun` taking the values it closes over as trailing arguments (closure_convert)."""

    def __init__(self, fun, closed):
        self.fun, self.closed = fun, closed
        functools.update_wrapper(self, fun)

    def __call__(self, *args):
        n = len(args) - len(self.closed)
        pairs = list(zip(self.closed, args[n:]))
        with tracing.substituting(pairs):
            out = self.fun(*args[:n])
        # A closed-over value returned as it is is replaced too.
        return tree_map(lambda o: next((new for old, new in pairs if o is old), o), out)

    # Equal for one function closing over as many values, so a jit given it as a static
    # argument traces once: the closed-over values are its arguments, not part of the trace.
    def __eq__(self, other):
        return isinstance(other, _ClosureConverted) and self.fun == other.fun and \
            [c.aval for c in self.closed] == [c.aval for c in other.closed]

    def __hash__(self):
        return hash((self.fun, len(self.closed)))


def closure_convert(fun, *example_args):
    """JAX's `closure_convert`: `(converted, consts)` where `converted(*args, *consts)` is
    `fun(*args)` and `consts` are the traced floating-point values `fun` closes over (found
    by tracing `fun` on `example_args`). Outside a trace nothing is traced: `(fun, [])`."""
    parent = tracing.current()
    if parent is None:
        return fun, []
    leaves, in_tree = tree_flatten(example_args)
    builder, _, _ = trace_callee(lambda *a: fun(*a), leaves, in_tree, [""] * len(leaves),
                                 parent, f"{_fname(fun)}_closure")
    builder.func.operation.erase()
    closed = [c for c in builder.captured if is_inexact(c.aval.dtype)]
    if not closed:
        return fun, []
    return _ClosureConverted(fun, closed), closed
