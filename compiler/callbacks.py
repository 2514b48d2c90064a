"""Host callbacks, as in JAX: `pure_callback`, `experimental.io_callback`,
`debug.callback` and `debug.print` call Python functions from compiled code.

Inside a trace, a callback is a call to an `mlax.callback` declaration (mlax.dialects.
structural.Callback) naming a host function registered with mlax.runtime.callbacks; the
lowering turns it into a call of the runtime's entry point, which calls the function with
mlax Arrays and writes its results back (see mlax.runtime.callbacks). Transforms treat it
as JAX does: under vmap the host function is applied per example (`sequential`, and always
for debug and io callbacks) or to the batch (`expand_dims`, `broadcast_all`,
`legacy_vectorized`), as the declaration's batch levels tell the runtime; under
differentiation a debug callback sees the primal values and pure / io callbacks raise
JAX's errors (wrap them in `custom_jvp` / `custom_vjp`). Outside a trace the function is
called at once.

Modules that call host callbacks run in this process only: exporting one (`.save`,
mlax-compile) is an error, and the persistent compilation cache skips them.
"""
from __future__ import annotations

import string
import sys

import numpy as np

from mlax import core, tracing
from mlax.api import declare, emit_call
from mlax.dialects import structural
from mlax.runtime import Array
from mlax.runtime import callbacks as rt
from mlax.tracing import Tracer
from mlax.pytree import tree_flatten, tree_unflatten

__all__ = ["pure_callback", "io_callback", "debug_callback", "debug_print", "breakpoint"]

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all",
                "legacy_vectorized", None)


def _is_dynamic(x) -> bool:
    """Whether a leaf is an array value (traced or passed to the host function as an
    Array) rather than a static Python object kept aside, as JAX splits them."""
    return isinstance(x, (Tracer, Array, np.ndarray, np.generic)) or core.is_python_scalar(x)


def _as_array(x) -> Array:
    if isinstance(x, Array):
        return x
    if core.is_python_scalar(x):
        aval = core.aval_of_python_scalar(x)
        return Array(np.asarray(x, aval.dtype), aval.weak_type)
    a = np.asarray(x)
    return Array(np.require(a.astype(core.canonicalize_dtype(a.dtype)), requirements="C"))


def _result_avals(result_shape_dtypes):
    """(flat ShapedArrays, tree) of `result_shape_dtypes` (ShapeDtypeStructs or arrays)."""
    leaves, tree = tree_flatten(result_shape_dtypes)
    avals = []
    for leaf in leaves:
        dtype = np.dtype(leaf.dtype)
        if core.canonicalize_dtype(dtype) != dtype:
            raise ValueError("result_shape_dtypes cannot specify 64-bit types when "
                             "`jax_enable_x64` is disabled")
        avals.append(core.ShapedArray(tuple(leaf.shape), dtype))
    return avals, tree


def _host(callback, in_tree, static, n_leaves, returns):
    """The registered host function: flat arrays in; `callback` called on the pytree of
    Arrays (static leaves put back); the leaves of its result out (when it `returns`;
    mlax.runtime.callbacks checks their number, shapes and dtypes)."""
    def host(*arrays):
        it = iter(arrays)
        leaves = [static[i] if i in static else Array(np.require(next(it), requirements="C"))
                  for i in range(n_leaves)]
        args, kwargs = tree_unflatten(in_tree, leaves)
        out = callback(*args, **kwargs)
        return [np.asarray(x) for x in tree_flatten(out)[0]] if returns else []
    return host


def _emit(callback, args, kwargs, result_avals, out_tree, effect, ordered, vmap_method=None,
          split_static=False):
    leaves, in_tree = tree_flatten((args, kwargs))
    static = {i: x for i, x in enumerate(leaves) if split_static and not _is_dynamic(x)}
    dyn = [x for i, x in enumerate(leaves) if i not in static]
    for x in dyn:
        if not _is_dynamic(x):
            raise TypeError(f"Arguments of a callback must be arrays or scalars, got {x!r} "
                            f"(at {tracing.user_site()})")
    host = _host(callback, in_tree, static, len(leaves), out_tree is not None)
    parent = tracing.current()
    if parent is None:
        arrays = [np.asarray(_as_array(x)) for x in dyn]
        outs = rt.apply(host, arrays, [], [], "", [(a.shape, a.dtype) for a in result_avals])
        return [Array(np.require(o, requirements="C")) for o in outs]
    operand_avals = [tracing.aval_of(x) for x in dyn]
    dtypes = ",".join(np.dtype(a.dtype).name for a in operand_avals + list(result_avals))
    decl = structural.Callback(callback_id=rt.register(host), effect=effect, ordered=ordered,
                               dtypes=dtypes, vmap_method=vmap_method or "")
    sym = declare(parent, decl, f"{effect}_callback", operand_avals, result_avals)
    origin = frozenset().union(*[x.origin for x in dyn if isinstance(x, Tracer)])
    return emit_call(parent, sym, dyn, list(result_avals), origin)


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None,
                  **kwargs):
    """Call the side-effect-free Python function `callback(*args, **kwargs)` from traced
    code; it returns arrays of `result_shape_dtypes` (a pytree of ShapeDtypeStructs)."""
    if vmap_method not in VMAP_METHODS:
        raise ValueError(f"vmap_method must be on of the allowed methods "
                         f"{list(VMAP_METHODS)}, but got: {vmap_method}")
    if sharding is not None:
        raise NotImplementedError("mlax runs on one device: pure_callback's sharding= is "
                                  "not supported")
    avals, out_tree = _result_avals(result_shape_dtypes)
    outs = _emit(callback, args, kwargs, avals, out_tree, "pure", False, vmap_method)
    return tree_unflatten(out_tree, outs)


def io_callback(callback, result_shape_dtypes, *args, sharding=None, ordered=False, **kwargs):
    """Call the impure Python function `callback(*args, **kwargs)` from traced code
    (JAX's `jax.experimental.io_callback`); never vmapped when `ordered`."""
    if sharding is not None:
        raise NotImplementedError("mlax runs on one device: io_callback's sharding= is not "
                                  "supported")
    avals, out_tree = _result_avals(result_shape_dtypes)
    outs = _emit(callback, args, kwargs, avals, out_tree, "io", bool(ordered))
    return tree_unflatten(out_tree, outs)


def debug_callback(callback=None, *args, ordered=False, partitioned=False, **kwargs):
    """Call `callback(*args, **kwargs)` for its effect (JAX's `jax.debug.callback`): with
    the primal values under differentiation, once per example under vmap. Without
    arguments after `callback`'s keywords, a decorator."""
    if callback is None:
        return lambda f: (lambda *a, **k: debug_callback(f, *a, ordered=ordered, **k))
    if not callable(callback):
        raise TypeError("first argument to jax.debug.callback must be callable, but got an "
                        f"object of type {type(callback)}")
    _emit(callback, args, kwargs, [], None, "debug", bool(ordered), split_static=True)
    return None


class _FormatChecker(string.Formatter):
    """JAX's check that every argument of `jax.debug.print` is used by the format."""

    def format_field(self, value, format_spec):
        return ""    # no formatting: only which arguments the format uses

    def check_unused_args(self, used_args, args, kwargs):
        unused_args = [arg for i, arg in enumerate(args) if i not in used_args]
        unused_kwargs = [k for k in kwargs if k not in used_args]
        if unused_args:
            raise ValueError(f"Unused positional arguments to `jax.debug.print`: {unused_args}")
        if unused_kwargs:
            raise ValueError(
                f"Unused keyword arguments to `jax.debug.print`: {unused_kwargs}. You may be "
                "passing an f-string (i.e, `f\"{x}\"`) into `jax.debug.print` and instead "
                "should pass in a regular string.")


def debug_print(fmt=None, *args, ordered=False, partitioned=False, skip_format_check=False,
                **kwargs):
    """Print `fmt.format(*args, **kwargs)` with the values of traced arrays, when the
    compiled code runs (JAX's `jax.debug.print`); once per example under vmap."""
    if fmt is None:
        if args or kwargs:
            raise TypeError("debug_print received unexpected arguments in the two-call form: "
                            f"args={args} kwargs={kwargs}")
        return lambda f, *a, **k: debug_print(f, *a, ordered=ordered, **k)
    if not skip_format_check:
        _FormatChecker().format(fmt, *args, **kwargs)
    has_placeholders = False
    if fmt:
        _, field_name, *_ = next(iter(string.Formatter().parse(fmt)))
        has_placeholders = field_name is not None
    printoptions = np.get_printoptions()

    def show(*a, **k):
        if has_placeholders:
            with np.printoptions(**printoptions):
                msg = fmt.format(*a, **k)
        else:
            msg = " ".join((fmt, *(str(x) for x in a)))
        sys.stdout.write(msg + "\n")
    debug_callback(show, *args, ordered=ordered, **kwargs)


def breakpoint(*args, **kwargs):  # noqa: A001 - JAX's name
    raise NotImplementedError("mlax does not implement jax.debug.breakpoint: compiled code "
                              "cannot stop in a Python debugger; use jax.debug.print or "
                              "jax.debug.callback to look at values")
