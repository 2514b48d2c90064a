"""Structured control flow, as in `jax.lax`: cond, switch, while_loop, fori_loop, scan, map.

Control flow is functional IR (mlax.dialects.structural). Each branch or loop body is
traced into a private func.func; the call site is a `func.call` to a private declaration
that names those functions in its `mlax.cond` / `mlax.while` / `mlax.scan` entries:

    cond    (index: i32[], operands..., consts...) -> outs
            branches = [@b0, @b1, ...]; every branch takes (operands..., consts...)
    while   (state..., consts...) -> state
            cond = @c: (state..., consts...) -> bool[];  body = @b: -> state;  num_consts
    scan    (carry..., xs..., consts...) -> (carry..., ys...)
            body = @f: (carry..., x slices..., consts...) -> (carry..., y slices...);
            length, reverse, num_carry, num_consts

`consts` are the outer traced values the functions close over (JAX's consts): the tracer
turns closures into trailing parameters, and all functions of one construct share the
same trailing parameter list. `--mlax-lower-control-flow` (mlax.lowering.structural) gives
the declarations their scf bodies. Called outside any trace, each construct runs as a jit
of itself (traced and compiled once per signature and body functions).
"""
from __future__ import annotations

import collections

import numpy as np
from mlir import ir

from mlax import core, tracing
from mlax.dialects import structural, tensor_type
from mlax.lax import checked_bodies, primitives as lax
from mlax.lax.convenience import select_n
from mlax.api import PjitFunction, declare, emit_call
from mlax.core import ShapedArray
from mlax.tracing import Tracer
from mlax.pytree import keystr, tree_flatten, tree_flatten_with_path, tree_unflatten
from mlax.runtime.dtypes import dtype_kind

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "map"]


# ---------------------------------------------------------------------------------------
# Tracing bodies


def _origins(leaves):
    return frozenset().union(*[x.origin for x in leaves if isinstance(x, Tracer)]) \
        if leaves else frozenset()


class _Body:
    """One traced body function: its builder, output tree and output avals."""

    def __init__(self, builder, out_tree, out_avals):
        self.builder, self.out_tree, self.out_avals = builder, out_tree, out_avals

    @property
    def name(self):
        return self.builder.name

    def discard(self):
        self.builder.func.operation.erase()


def _trace_body(fun, in_tree, in_avals, in_origins, consts, name, what):
    """Trace `fun(*in_tree.unflatten(args))` into a private function of the current module.

    Its parameters are the args, then `consts` (outer tracers that sibling bodies already
    close over, in order), then the outer tracers that `fun` newly closes over."""
    parent = tracing.current()
    tm = parent.traced_module
    with tm.ctx, ir.Location.unknown():
        builder = tracing.FunctionBuilder(tm.module, tm.unique_name(name), parent, tm)
        args = [builder.add_argument(a, o) for a, o in zip(in_avals, in_origins)]
        for c in consts:
            builder.lift(c)
    frame = checked_bodies.check_frame()
    child = frame.child(builder) if frame is not None else None
    frames = core.check_frames()
    stack = core.trace_stack()
    stack.append(builder)
    if child is not None:
        frames.append(child)
    try:
        with tm.ctx:
            out = fun(*tree_unflatten(in_tree, args))
    finally:
        if child is not None:
            frames.pop()
        stack.pop()
    out_leaves, out_tree = tree_flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tracer):
            _check_output_leaf(o, what)
    with tm.ctx:
        builder.finish(out_leaves)
        builder.func.attributes["sym_visibility"] = ir.StringAttr.get("private")
    body = _Body(builder, out_tree, list(builder.out_avals))
    body.checks = child.checks if child is not None else []
    return body


def _check_output_leaf(x, what):
    if isinstance(x, (np.ndarray, np.generic)) or core.is_python_scalar(x) or hasattr(x, "_value"):
        return
    raise TypeError(f"{what} returned a value of type {type(x).__name__}, which is not a valid "
                    f"mlax type (at {tracing.user_site()}); return arrays, Python scalars, or "
                    "pytrees of them.")


def _share_consts(bodies):
    """Give every body the same trailing const parameters; returns the consts (Tracers).

    Bodies are traced in order, each seeded with the consts found so far, so each one's
    captures extend the previous list: the earlier bodies only lack a suffix."""
    consts = list(bodies[-1].builder.captured)
    for body in bodies[:-1]:
        missing = consts[len(body.builder.captured):]
        if missing:
            _append_params(body.builder, missing)
    return consts


def _append_params(builder, tracers):
    with builder.traced_module.ctx, ir.Location.unknown():
        for t in tracers:
            builder.block.add_argument(tensor_type(t.aval.shape, t.aval.dtype),
                                       ir.Location.unknown())
            builder.captured.append(t)
        ftype = ir.FunctionType(ir.TypeAttr(builder.func.attributes["function_type"]).value)
        builder.func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
            [a.type for a in builder.block.arguments], list(ftype.results)))


def _emit(decl, name, operands, out_avals):
    """Declare `decl` (mlax.dialects.structural) and call it on `operands`; returns result
    Tracers."""
    parent = tracing.current()
    sym = declare(parent, decl, name, [tracing.aval_of(x) for x in operands], out_avals)
    return emit_call(parent, sym, operands, out_avals, _origins(operands))


def _typematch(a: ShapedArray, b: ShapedArray):
    return tuple(a.shape) == tuple(b.shape) and np.dtype(a.dtype) == np.dtype(b.dtype)


def _join_weak(avals_list):
    first = avals_list[0]
    return [ShapedArray(a.shape, a.dtype, all(av[i].weak_type for av in avals_list))
            for i, a in enumerate(first)]


# ---------------------------------------------------------------------------------------
# Running outside a trace: as a jit of the construct, cached per body functions.

_EAGER = collections.OrderedDict()
_EAGER_MAX = 256


def _eager(key, make):
    """The PjitFunction for `key` (the construct and its Python-level parameters)."""
    try:
        j = _EAGER.get(key)
    except TypeError:           # unhashable static parameter: no caching
        return PjitFunction(make())
    if j is None:
        j = PjitFunction(make())
        _EAGER[key] = j
        if len(_EAGER) > _EAGER_MAX:
            _EAGER.popitem(last=False)
    return j


def _tracing():
    return bool(core.trace_stack())


# ---------------------------------------------------------------------------------------
# cond / switch

_NO_OPERAND = object()


def cond(pred, true_fun, false_fun, *operands, operand=_NO_OPERAND):
    """`true_fun(*operands)` if `pred` else `false_fun(*operands)`, both traced."""
    if operand is not _NO_OPERAND:
        if operands:
            raise TypeError("if 'operand' keyword is passed then no positional operands can be "
                            f"passed, got operand={operand} and positional operands {operands}")
        operands = (operand,)
    if pred is None:
        raise TypeError("cond predicate is None")
    if isinstance(pred, (list, tuple)) or np.ndim(pred) != 0:
        what = f"type {type(pred)}" if isinstance(pred, (list, tuple)) else f"shape {np.shape(pred)}."
        raise TypeError(f"Pred must be a scalar, got {pred} of {what}")
    for f, n in ((true_fun, "true_fun"), (false_fun, "false_fun")):
        if not callable(f):
            raise TypeError(f"{n} argument to cond must be callable, got {type(f).__name__}")
    if not _tracing():
        return _eager(("cond", true_fun, false_fun),
                      lambda: _named(lambda p, *ops: cond(p, true_fun, false_fun, *ops),
                                     "cond"))(pred, *operands)
    dtype = tracing.aval_of(pred).dtype
    if dtype != np.bool_:
        if dtype_kind(dtype) not in "iuf":
            raise TypeError(f"Pred type must be either boolean or number, got {dtype}.")
        pred = lax.ne(pred, _zero_like(pred))
    index = lax.convert_element_type(pred, np.int32)
    return _switch(index, (false_fun, true_fun), operands, ("false_fun", "true_fun"), "cond")


def switch(index, branches, *operands, operand=_NO_OPERAND):
    """`branches[clamp(0, index, len(branches) - 1)](*operands)`, every branch traced."""
    if operand is not _NO_OPERAND:
        operands = operands + (operand,)
    if np.ndim(index) != 0:
        raise TypeError(f"Branch index must be scalar, got {index} of shape {np.shape(index)}.")
    dtype = tracing.aval_of(index).dtype
    if dtype.kind not in "iu":
        raise TypeError(f"Index type must be an integer, got {index} as {dtype}")
    branches = tuple(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    for i, f in enumerate(branches):
        if not callable(f):
            raise TypeError(f"branches[{i}] argument to switch must be callable, got "
                            f"{type(f).__name__}")
    if len(branches) == 1:
        return branches[0](*operands)
    if not _tracing():
        return _eager(("switch", branches),
                      lambda: _named(lambda i, *ops: switch(i, branches, *ops), "switch"))(
            index, *operands)
    index = lax.convert_element_type(index, np.int32)
    index = lax.clamp(np.int32(0), index, np.int32(len(branches) - 1))
    names = tuple(f"branch {i}" for i in range(len(branches)))
    return _switch(index, branches, operands, names, "switch")


def _named(f, name):
    f.__name__ = name
    return f


def _zero_like(x):
    a = tracing.aval_of(x)
    return np.zeros(a.shape, a.dtype)


def _switch(index, branches, operands, names, what, found=None):
    """`found`: the checks each branch made when first traced, whose slots every branch
    returns on its second trace."""
    frame = checked_bodies.check_frame()
    if found is not None:
        checked = [checked_bodies.Checked(frame, f) for f in branches]

        def padded(i):
            def branch(*ops):
                out, mine = checked[i](*ops)
                return out, [mine if j == i else checked_bodies.not_failed(c)
                             for j, c in enumerate(found)]
            branch.__name__ = _fname(branches[i])
            return branch
        out, values = _switch(index, [padded(i) for i in range(len(branches))], operands,
                              names, what)
        for c, v in zip(found, values):
            checked_bodies.report(frame, c, v)
        return out
    leaves, in_tree = tree_flatten(operands)
    avals = [tracing.aval_of(x) for x in leaves]
    origins = [x.origin if isinstance(x, Tracer) else frozenset() for x in leaves]
    bodies, consts = [], []
    for fun, n in zip(branches, names):
        body = _trace_body(fun, in_tree, avals, origins, consts, f"{what}_{_fname(fun)}",
                           f"{what} {n}")
        consts = list(body.builder.captured)
        bodies.append(body)
    # Messages name cond's branches as JAX does: true_fun first.
    order = [1, 0] if what == "cond" else list(range(len(bodies)))
    b0, name0 = bodies[order[0]], names[order[0]]
    for b, n in ((bodies[i], names[i]) for i in order[1:]):
        if b.out_tree != b0.out_tree:
            raise TypeError(f"{name0} and {n} outputs must have same type structure, got "
                            f"{b0.out_tree} and {b.out_tree} (at {tracing.user_site()}).")
        if not all(_typematch(x, y) for x, y in zip(b0.out_avals, b.out_avals)):
            diff = ", ".join(f"{x.str_short()} vs {y.str_short()}"
                             for x, y in zip(b0.out_avals, b.out_avals) if not _typematch(x, y))
            raise TypeError(f"{name0} and {n} output must have identical types, got {diff} "
                            f"(at {tracing.user_site()}).")
    out_avals = _join_weak([b.out_avals for b in bodies])
    if any(b.checks for b in bodies):
        found = [b.checks for b in bodies]
        for b in bodies:
            b.discard()
        if checked_bodies.mapped_by_vmap(index):
            return _select_every_branch(index, branches, operands, bodies[0].out_tree,
                                        out_avals)
        return _switch(index, branches, operands, names, what, found)
    consts = _share_consts(bodies)
    outs = _emit(structural.Cond(branches=tuple(b.name for b in bodies)), what,
                 [index] + leaves + consts, out_avals)
    return bodies[0].out_tree.unflatten(outs)


def _select_every_branch(index, branches, operands, out_tree, out_avals):
    """What vmap makes of a cond or switch whose index is mapped (JAX's batching rule:
    every branch runs for every member, and each member's outputs are selected), traced
    so inside checkify: the branches run inline, so every branch's checks are made for
    every member and reported, as JAX's checkify reports them."""
    cases = [tree_flatten(f(*operands))[0] for f in branches]
    outs = []
    for aval, leaves in zip(out_avals, zip(*cases)):
        leaves = [lax.broadcast_in_dim(lax.convert_element_type(x, aval.dtype), aval.shape, ())
                  if not isinstance(x, Tracer) else lax.convert_element_type(x, aval.dtype)
                  for x in leaves]
        outs.append(select_n(index, *leaves))
    return out_tree.unflatten(outs)


def _fname(f):
    name = getattr(f, "__name__", "fn")
    return "fn" if name == "<lambda>" else name


# ---------------------------------------------------------------------------------------
# Loops: carried state with JAX's weak-type promotion


def _init_avals(leaves):
    return [tracing.aval_of(x) for x in leaves]


def _promote_weak(init_leaves, in_avals, out_avals):
    """JAX's rule: a weakly typed initial value whose type differs from the body's output
    is converted to the promoted type, and the body traced again."""
    changed = False
    new_leaves, new_avals = [], []
    for x, a, o in zip(init_leaves, in_avals, out_avals):
        if a.weak_type and not _typematch(a, o):
            dtype, _ = core.result_type(a, ShapedArray(o.shape, o.dtype, o.weak_type))
            x = lax.convert_element_type(x, dtype)
            a = ShapedArray(a.shape, dtype, False)
            changed = True
        new_leaves.append(x)
        new_avals.append(a)
    return new_leaves, new_avals, changed


def _carry_name(fun, default="carry"):
    import inspect
    try:
        params = list(inspect.signature(fun).parameters)
        return params[0] if params else default
    except (TypeError, ValueError):
        return default


def _check_carry(what, fun, init, in_tree, in_avals, out_tree, out_avals):
    name = _carry_name(fun)
    if out_tree != in_tree:
        raise TypeError(f"{what} function carry input and carry output must have the same "
                        f"pytree structure, but they differ: the input carry {name} is "
                        f"{in_tree} and the carry output is {out_tree} (at "
                        f"{tracing.user_site()}). Revise the function so that the carry output "
                        "has the same pytree structure as the carry input.")
    paths = [p for p, _ in tree_flatten_with_path(init)[0]]
    diffs = [f"the input carry component {name}{keystr(p)} has type {a.str_short()} but the "
             f"corresponding output carry component has type {o.str_short()}"
             for p, a, o in zip(paths, in_avals, out_avals) if not _typematch(a, o)]
    if diffs:
        raise TypeError(f"{what} function carry input and carry output must have equal types, "
                        f"but they differ: {'; '.join(diffs)} (at {tracing.user_site()}). "
                        "Revise the function so that all output types match the corresponding "
                        "input types.")


def while_loop(cond_fun, body_fun, init_val):
    """`while cond_fun(val): val = body_fun(val)`, as one traced loop."""
    if not _tracing():
        return _eager(("while", cond_fun, body_fun),
                      lambda: _named(lambda v: while_loop(cond_fun, body_fun, v),
                                     "while_loop"))(init_val)
    leaves, in_tree = tree_flatten(init_val)
    args_tree = tree_flatten((init_val,))[1]
    avals = _init_avals(leaves)
    origins = [x.origin if isinstance(x, Tracer) else frozenset() for x in leaves]

    def trace_body(avals):
        return _trace_body(body_fun, args_tree, avals, origins, [],
                           f"while_body_{_fname(body_fun)}", "while_loop body_fun")
    body = trace_body(avals)
    if body.out_tree == in_tree:
        leaves, new_avals, changed = _promote_weak(leaves, avals, body.out_avals)
        if changed:
            body.discard()
            avals = new_avals
            body = trace_body(avals)
    _check_carry("body_fun", body_fun, init_val, in_tree, avals, body.out_tree, body.out_avals)
    test = _trace_body(cond_fun, args_tree, avals, origins, list(body.builder.captured),
                       f"while_cond_{_fname(cond_fun)}", "while_loop cond_fun")
    if body.checks or test.checks:
        body.discard()
        test.discard()
        return _while_with_checks(cond_fun, body_fun, init_val, test.checks, body.checks)
    if test.out_tree.num_leaves != 1 or test.out_avals[0].shape != () or \
            test.out_avals[0].dtype != np.bool_:
        raise TypeError("cond_fun must return a boolean scalar, but got output type(s) "
                        f"[{', '.join(a.str_short() for a in test.out_avals)}] "
                        f"(at {tracing.user_site()}).")
    consts = _share_consts([body, test])
    state_avals = [ShapedArray(a.shape, a.dtype, a.weak_type and o.weak_type)
                   for a, o in zip(avals, body.out_avals)]
    outs = _emit(structural.While(cond=test.name, body=body.name, num_consts=len(consts)),
                 "while", leaves + consts, state_avals)
    return in_tree.unflatten(outs)


def _while_with_checks(cond_fun, body_fun, init_val, cond_found, body_found):
    """The while loop carrying the checks its cond_fun and body make. As JAX's checkify,
    cond_fun's checks are made on the initial value and again after each step (in the
    body, on the new value); the loop's own test runs cond_fun with its checks dropped."""
    frame = checked_bodies.check_frame()
    checked_cond = checked_bodies.Checked(frame, cond_fun)
    checked_body = checked_bodies.Checked(frame, body_fun)
    found = list(cond_found) + list(body_found)

    def body(carry):
        val, failures = carry
        val, new_body = checked_body(val) if body_found else (body_fun(val), [])
        new_cond = checked_cond(val)[1] if cond_found else []
        return val, checked_bodies.first_failure(frame, found, failures, new_cond + new_body)

    def test(carry):
        return checked_bodies.Checked(frame, cond_fun)(carry[0])[0]
    body.__name__, test.__name__ = _fname(body_fun), _fname(cond_fun)
    first = checked_cond(init_val)[1] if cond_found else []
    # The checks as first made, cond_fun's before body_fun's: JAX traces cond_fun first,
    # and of failed user checks reports the first made.
    cond_checks = checked_cond.checks if cond_found else []
    val, failures = while_loop(test, body,
                               (init_val, first + checked_bodies.not_failed(body_found)))
    checked_bodies.report(frame, cond_checks + checked_body.checks, failures)
    return val


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """`for i in range(lower, upper): val = body_fun(i, val)`.

    With concrete bounds this is a scan over the trip count (reverse-differentiable, as in
    JAX); with traced bounds, a while_loop."""
    la, ua = tracing.aval_of(lower), tracing.aval_of(upper)
    if la.dtype != ua.dtype:
        dtype = None
        if la.dtype.kind == "i" and ua.dtype.kind == "i":
            if la.weak_type and not ua.weak_type:
                dtype = ua.dtype
            elif ua.weak_type and not la.weak_type:
                dtype = la.dtype
        if dtype is None:
            raise TypeError("lower and upper arguments to fori_loop must have equal types, "
                            f"got {la.dtype.name} and {ua.dtype.name}")
    else:
        dtype = la.dtype
    if not isinstance(lower, Tracer) and not isinstance(upper, Tracer):
        lo, hi = int(lower), int(upper)

        def step(loop_carry, _):
            i, x = loop_carry
            return (i + 1, body_fun(i, x)), None
        step.__name__ = f"fori_{_fname(body_fun)}"
        if not _tracing():
            return _eager(("fori", body_fun, lo, hi),
                          lambda: _named(lambda v: fori_loop(lo, hi, body_fun, v),
                                         "fori_loop"))(init_val)
        (_, result), _ = scan(step, (lo, init_val), None, length=max(hi - lo, 0))
        return result
    if unroll not in (None, False, 1):
        raise ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are "
                         "statically known.")
    lower = lax.convert_element_type(lower, dtype) if la.dtype != dtype else lower
    upper = lax.convert_element_type(upper, dtype) if ua.dtype != dtype else upper

    def test(carry):
        i, hi, _ = carry
        return lax.lt(i, hi)

    def step(carry):
        i, hi, x = carry
        return lax.add(i, np.ones((), tracing.aval_of(i).dtype)), hi, body_fun(i, x)
    test.__name__ = "fori_cond"
    step.__name__ = f"fori_{_fname(body_fun)}"
    return while_loop(test, step, (lower, upper, init_val))[2]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs`; returns (carry, stacked ys).

    As `jax.lax.scan`: `xs` is a pytree of arrays with a common leading dimension (or None
    with `length`); `reverse` scans from the end, and writes ys at their original index."""
    if not callable(f):
        raise TypeError(f"scan: f argument should be a callable, got {type(f).__name__}")
    xs_leaves, xs_tree = tree_flatten(xs)
    lengths = {int(np.shape(x)[0]) for x in xs_leaves if np.ndim(x) > 0}
    for x in xs_leaves:
        if np.ndim(x) == 0:
            raise ValueError(f"scan got value with no leading axis to scan over: {x!r}.")
    if length is not None:
        try:
            length = int(length)
        except (TypeError, core.ConcretizationTypeError):
            raise TypeError("scan's length argument must be a concrete int; got "
                            f"{length!r}") from None
        if lengths and lengths != {length}:
            raise ValueError("scan got `length` argument of "
                             f"{length} which disagrees with leading axis sizes "
                             f"{sorted(lengths)}.")
    else:
        if not lengths:
            raise ValueError("scan got no values to scan over and `length` not provided.")
        if len(lengths) > 1:
            raise ValueError("scan got values with different leading axis sizes: "
                             f"{', '.join(str(np.shape(x)[0]) for x in xs_leaves)}.")
        length = lengths.pop()
    if not _tracing():
        return _eager(("scan", f, length, bool(reverse)),
                      lambda: _named(lambda c, x: scan(f, c, x, length, reverse), "scan"))(
            init, xs)

    init_leaves, init_tree = tree_flatten(init)
    init_avals = _init_avals(init_leaves)
    x_avals = [ShapedArray(tuple(a.shape[1:]), a.dtype, a.weak_type)
               for a in _init_avals(xs_leaves)]
    origins = [x.origin if isinstance(x, Tracer) else frozenset()
               for x in init_leaves + xs_leaves]
    in_tree = tree_flatten((init, xs))[1]
    num_carry = len(init_leaves)

    def trace(avals):
        body = _trace_body(lambda c, x: _pair(f(c, x)), in_tree, avals + x_avals, origins, [],
                           f"scan_{_fname(f)}", "scan body")
        carry_tree, y_tree = body.out_tree.children[0], body.out_tree.children[1]
        return body, carry_tree, y_tree

    body, carry_tree, y_tree = trace(init_avals)
    carry_out = body.out_avals[:carry_tree.num_leaves]
    if carry_tree == init_tree:
        init_leaves, new_avals, changed = _promote_weak(init_leaves, init_avals, carry_out)
        if changed:
            body.discard()
            init_avals = new_avals
            body, carry_tree, y_tree = trace(init_avals)
            carry_out = body.out_avals[:carry_tree.num_leaves]
    _check_carry("scan body", f, init, init_tree, init_avals, carry_tree, carry_out)
    if body.checks:
        body.discard()
        return _scan_with_checks(f, init, xs, length, reverse, body.checks)
    consts = list(body.builder.captured)
    y_avals = [ShapedArray((length,) + tuple(a.shape), a.dtype, a.weak_type)
               for a in body.out_avals[num_carry:]]
    carry_avals = [ShapedArray(a.shape, a.dtype, a.weak_type and o.weak_type)
                   for a, o in zip(init_avals, carry_out)]
    decl = structural.Scan(body=body.name, length=length, reverse=bool(reverse),
                           num_carry=num_carry, num_consts=len(consts))
    outs = _emit(decl, "scan", init_leaves + xs_leaves + consts, carry_avals + y_avals)
    return carry_tree.unflatten(outs[:num_carry]), y_tree.unflatten(outs[num_carry:])


def _scan_with_checks(f, init, xs, length, reverse, found):
    """The scan carrying the checks its body makes."""
    frame = checked_bodies.check_frame()
    checked = checked_bodies.Checked(frame, lambda c, x: _pair(f(c, x)))

    def body(carry, x):
        c, failures = carry
        (c, y), new = checked(c, x)
        return (c, checked_bodies.first_failure(frame, found, failures, new)), y
    body.__name__ = _fname(f)
    (c, failures), ys = scan(body, (init, checked_bodies.not_failed(found)), xs, length, reverse)
    checked_bodies.report(frame, checked.checks, failures)
    return c, ys


def _pair(out):
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"scan body output must be a pair, got {out!r} (at "
                        f"{tracing.user_site()}).")
    return (out[0], out[1])


def map(f, xs, *, batch_size=None):
    """`jnp.stack([f(x) for x in xs])` over the leading axis of the pytree `xs`, as a scan."""
    def step(carry, x):
        return carry, f(x)
    step.__name__ = f"map_{_fname(f)}"
    if not _tracing():
        return _eager(("map", f), lambda: _named(lambda x: map(f, x), "map"))(xs)
    _, ys = scan(step, (), xs)
    return ys
