"""`mlax.vmap`: the vectorizing map.

`vmap(f, in_axes, out_axes)` traces `f` once on one example (the arguments with their
mapped axis removed) into a function of the module, and emits a call to a `mlax.vmap`
declaration naming it (mlax.dialects.structural). The pass `--mlax-vmap`
(mlax.transforms.vmap) gives that declaration its batched body. Values that `f` closes
over become trailing operands of the call, not batched. Called outside any trace, a
vmapped function runs as `jit` of itself.
"""
from __future__ import annotations

import numpy as np

from mlax import core, tracing
from mlax.lax import checked_bodies
from mlax.dialects import dependent_results, structural
from mlax.api import Transformed, closed_over, declare, emit_call, trace_callee
from mlax.core import ShapedArray
from mlax.runtime import Array
from mlax.tracing import Tracer
from mlax.pytree import (flatten_up_to, keystr, tree_flatten, tree_flatten_with_path,
                            tree_unflatten)


def _is_spec_leaf(x):
    return x is None


def _check_spec(spec, what):
    leaves, _ = tree_flatten(spec, is_leaf=_is_spec_leaf)
    for leaf in leaves:
        if not (leaf is None or (isinstance(leaf, (int, np.integer)) and not isinstance(leaf, bool))):
            raise TypeError(f"vmap {what} must be an int, None, or (nested) container with those "
                            f"types as leaves, but got {what}={spec!r}.")


def _broadcast_prefix(spec, tree, what, value_name):
    """One axis (int or None) per leaf of `tree`, from the tree prefix `spec`."""
    spec_leaves, spec_def = tree_flatten(spec, is_leaf=_is_spec_leaf)
    index_tree = tree_unflatten(tree_flatten(tree)[1], list(range(len(tree_flatten(tree)[0]))))
    try:
        subtrees = flatten_up_to(spec_def, index_tree)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(
            f"vmap {what} specification must be a tree prefix of the corresponding value, got "
            f"specification {spec!r} for value tree {tree_flatten(tree)[1]} ({value_name})."
        ) from None
    axes = [None] * len(tree_flatten(tree)[0])
    for axis, sub in zip(spec_leaves, subtrees):
        for i in tree_flatten(sub)[0]:
            axes[i] = axis
    return axes


def _type_str(aval: ShapedArray) -> str:
    return f"{aval.dtype.name}[{','.join(map(str, aval.shape))}]"


def _at() -> str:
    return f" (at {tracing.user_site()})"


class Vmapped(Transformed):
    """The result of `mlax.vmap(fun, in_axes, out_axes, axis_size)`."""

    def __init__(self, fun, in_axes=0, out_axes=0, axis_size=None, axis_name=None):
        super().__init__(fun)
        if axis_name is not None:
            try:
                hash(axis_name)
            except TypeError:
                raise TypeError(f"vmap axis_name must be hashable, got {axis_name!r}") from None
        self._axis_name = axis_name
        if isinstance(in_axes, list):
            # JAX reads a top-level list as the tuple of per-argument specs.
            in_axes = tuple(in_axes)
        if not (in_axes is None or isinstance(in_axes, (int, np.integer, tuple))):
            raise TypeError("vmap in_axes must be an int, None, or a tuple of entries "
                            "corresponding to the positional arguments passed to the function, "
                            f"but got {in_axes!r}.")
        _check_spec(in_axes, "in_axes")
        _check_spec(out_axes, "out_axes")
        if axis_size is not None and (not isinstance(axis_size, (int, np.integer)) or axis_size < 0):
            raise TypeError(f"vmap axis_size must be a non-negative int, got {axis_size!r}.")
        self._in_axes, self._out_axes = in_axes, out_axes
        self._axis_size = None if axis_size is None else int(axis_size)

    def _name(self):
        return f"vmap_{getattr(self._fun, '__name__', 'fn')}"

    def _passed_through(self, args, kwargs):
        """The positional arguments whose in_axes entry is None (keyword arguments are
        always mapped)."""
        in_axes = self._in_axes
        if isinstance(in_axes, tuple):
            return [i for i, spec in enumerate(in_axes) if spec is None and i < len(args)], ()
        return (list(range(len(args))) if in_axes is None else []), ()

    def _arg_axes(self, args, kwargs):
        """(leaves, axes, names) of (args, kwargs), one axis (or None) per leaf."""
        in_axes = self._in_axes
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                "vmap in_axes must be an int, None, or a tuple of entries corresponding to the "
                f"positional arguments passed to the function, but got len(in_axes)="
                f"{len(in_axes)}, len(args)={len(args)}{_at()}")
        per_arg = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        params = tracing.arg_names_of(self._fun, len(args))
        leaves, axes, names = [], [], []
        for a, spec, pname in zip(args, per_arg, params):
            paths, _ = tree_flatten_with_path(a)
            axes += _broadcast_prefix(spec, a, "in_axes", f"argument {pname}")
            leaves += [x for _, x in paths]
            names += [pname + keystr(p) for p, _ in paths]
        for k, v in kwargs.items():   # keyword arguments are mapped along axis 0, as in JAX
            paths, _ = tree_flatten_with_path(v)
            leaves += [x for _, x in paths]
            axes += [0] * len(paths)
            names += [k + keystr(p) for p, _ in paths]
        return leaves, axes, names

    def _axis_size_of(self, avals, axes, names):
        sizes = []
        for aval, axis, name in zip(avals, axes, names):
            if axis is None:
                continue
            if not -aval.ndim <= axis < aval.ndim:
                raise ValueError(
                    f"vmap was requested to map its argument {name} along axis {axis}, which "
                    f"implies that its rank should be at least {axis + 1 if axis >= 0 else -axis}, "
                    f"but is only {aval.ndim} (its shape is {aval.shape}){_at()}")
            sizes.append((aval.shape[axis], axis % aval.ndim, name, aval))
        distinct = {s for s, *_ in sizes}
        if self._axis_size is not None:
            distinct.add(self._axis_size)
        if not sizes and self._axis_size is None:
            raise ValueError(f"vmap must have at least one non-None value in in_axes{_at()}")
        if len(distinct) > 1:
            lines = []
            if self._axis_size is not None:
                lines.append(f"  * axis_size was given as {self._axis_size}")
            for size in sorted({s for s, *_ in sizes}, key=lambda s: -sum(1 for x in sizes if x[0] == s)):
                group = [x for x in sizes if x[0] == size]
                _, ax, name, aval = group[0]
                example = f"axis {ax} of argument {name} of type {_type_str(aval)}"
                if len(group) == 1:
                    lines.append(f"  * one axis had size {size}: {example}")
                else:
                    lines.append(f"  * {len(group)} axes had size {size}, e.g. {example}")
            raise ValueError("vmap got inconsistent sizes for array axes to be mapped:\n"
                             + ";\n".join(lines) + _at())
        return distinct.pop()

    def _traced(self, *args, **kwargs):
        parent = tracing.current()
        # Unmapped arguments that are plain values are closed over, not traced: `fun`
        # sees them concrete, as under JAX's vmap (a None stands in: it has no leaves).
        fixed = {i: args[i] for i in self._passed_through(args, kwargs)[0]
                 if closed_over(args[i])}
        args = tuple(None if i in fixed else a for i, a in enumerate(args))
        leaves, axes, names = self._arg_axes(args, kwargs)
        avals = [tracing.aval_of(x) for x in leaves]
        size = self._axis_size_of(avals, axes, names)
        axes = [None if a is None else a % avals[i].ndim for i, a in enumerate(axes)]
        example = [ShapedArray(a.shape[:ax] + a.shape[ax + 1:], a.dtype, a.weak_type)
                   if ax is not None else a for a, ax in zip(avals, axes)]
        # trace_callee reads only the avals of its leaves: stand-ins of one example.
        name = self._axis_name
        if name is not None:
            # The member's index on the named axis: a hidden operand mapped along axis 0,
            # which the collectives of `fun` (mlax.lax.parallel) take as an operand.
            leaves.append(Array(np.arange(size, dtype=np.int32)))
            axes.append(0)
            names.append(f"axis_index({name})")
            avals.append(ShapedArray((size,), np.dtype(np.int32)))
            example.append(ShapedArray((), np.dtype(np.int32)))
        stand_ins = [Tracer(None, None, e) for e in example]
        in_tree = tree_flatten(((args, kwargs), 0 if name is not None else None))[1]

        def per_example(ak, index):
            a, k = ak
            if checked is not None:
                mapped = [x for x, ax in zip(tree_flatten((ak, index))[0], axes) if ax is not None]
                checked_bodies.mark_mapped(tracing.current(), mapped)
            if name is None:
                return self._fun(*[fixed[i] if i in fixed else x for i, x in enumerate(a)], **k)
            env = core.axis_env()
            env.append((name, size, index))
            try:
                return self._fun(*[fixed[i] if i in fixed else x for i, x in enumerate(a)],
                                 **k)
            finally:
                env.pop()
        per_example.__name__ = getattr(self._fun, "__name__", "fn")
        # Inside checkify, `fun` also returns its checks, mapped along axis 0.
        frame = checked_bodies.check_frame()
        checked = checked_bodies.Checked(frame, per_example) if frame is not None else None
        # The unmapped arguments keep their values (known outside jit, as under JAX).
        sources = [x if ax is None else None for x, ax in zip(leaves, axes)]
        builder, out_leaves, out_tree = trace_callee(checked or per_example, stand_ins, in_tree,
                                                     names, parent, sources=sources)
        captured = list(builder.captured)
        in_axes = axes + [None] * len(captured)
        out_avals = builder.out_avals
        out_axes = _broadcast_prefix((self._out_axes, 0) if checked else self._out_axes,
                                     tree_unflatten(out_tree, out_avals),
                                     "out_axes", "the function's output")
        with parent.traced_module.ctx:
            batched = dependent_results(parent.traced_module.module.operation,
                                                builder.name, [a is not None for a in in_axes])
        result_avals = []
        for i, (aval, ax, b) in enumerate(zip(out_avals, out_axes, batched)):
            if ax is None:
                if b:
                    raise ValueError(f"vmap has mapped output but out_axes is None (output {i} "
                                     f"of {per_example.__name__} depends on a mapped argument)"
                                     f"{_at()}")
                result_avals.append(aval)
                continue
            if not -(aval.ndim + 1) <= ax <= aval.ndim:
                raise ValueError(f"vmap out_axes specification {ax} is out of range for output "
                                 f"{i} of type {_type_str(aval)}: it must be in "
                                 f"[{-(aval.ndim + 1)}, {aval.ndim}]{_at()}")
            ax %= aval.ndim + 1
            out_axes[i] = ax
            result_avals.append(ShapedArray(aval.shape[:ax] + (size,) + aval.shape[ax:],
                                            aval.dtype, aval.weak_type))
        operands = leaves + captured
        operand_avals = [ShapedArray(a.shape, a.dtype, a.weak_type) for a in avals] + \
            [c.aval for c in captured]
        decl = structural.Vmap(callee=builder.name,
                               in_axes=tuple(-1 if a is None else a for a in in_axes),
                               out_axes=tuple(-1 if a is None else a for a in out_axes),
                               axis_size=size, axis_name="" if name is None else str(name))
        sym = declare(parent, decl, self._name(), operand_avals, result_avals)
        origin = frozenset().union(*[x.origin for x in operands if isinstance(x, Tracer)])
        outs = emit_call(parent, sym, operands, result_avals, origin)
        if checked is None:
            return tree_unflatten(out_tree, outs)
        out, values = tree_unflatten(out_tree, outs)
        checked_bodies.report(frame, checked.checks,
                              checked_bodies.last_failed_member(values, size))
        return out


def vmap(fun=None, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Vectorize `fun` over the axes `in_axes` of its arguments, like `jax.vmap`.

    in_axes: an int, None (not mapped), or a tuple with one entry per positional argument,
    each a pytree prefix of that argument; keyword arguments are mapped along axis 0.
    out_axes: where the mapped axis goes in each output (None: the output must not depend
    on a mapped argument). axis_size: the batch size when no argument is mapped.
    axis_name: names the mapped axis for the collectives of mlax.lax (psum, pmean, pmax,
    pmin, all_gather, axis_index) called inside `fun`."""
    if spmd_axis_name is not None:
        raise NotImplementedError("mlax does not implement vmap(spmd_axis_name=...) yet: it "
                                  "names mesh axes for sharding")
    if fun is None:
        import functools
        return functools.partial(vmap, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size,
                                 axis_name=axis_name)
    if not callable(fun):
        raise TypeError(f"vmap requires a callable as its first argument, got {fun!r}")
    return Vmapped(fun, in_axes, out_axes, axis_size, axis_name)
