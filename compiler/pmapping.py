"""`mlax.pmap`: JAX's parallel map over the devices of one backend.

mlax's backends have one device each (the CPU backend's device is the whole machine), so a
pmap maps over at most one member, as JAX's pmap does on a one-device host; the program is
`jit(vmap(fun, axis_name=...))`, so the collectives of mlax.lax work inside it. A leading
axis larger than the device count is JAX's error."""
from __future__ import annotations

import functools

from mlax import device_queries
from mlax.api import jit
from mlax.batching import vmap
from mlax.pytree import tree_flatten

__all__ = ["pmap"]


def _mapped_size(args, in_axes):
    per_arg = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    for a, ax in zip(args, per_arg):
        if ax is None:
            continue
        for leaf in tree_flatten(a)[0]:
            shape = getattr(leaf, "shape", None)
            if shape:
                return shape[ax]
    return None


class Pmapped:
    """The result of `mlax.pmap(fun, ...)`: one compiled program per tuple of static
    (broadcast) arguments."""

    def __init__(self, fun, axis_name, in_axes, out_axes, static_broadcasted_argnums,
                 backend, axis_size):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._axis_name = axis_name
        self._in_axes, self._out_axes = in_axes, out_axes
        nums = static_broadcasted_argnums
        self._static = (nums,) if isinstance(nums, int) else tuple(nums)
        self._backend = backend
        self._axis_size = axis_size
        self._programs = {}

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise NotImplementedError("mlax does not implement keyword arguments to a pmapped "
                                      "function yet (JAX maps them along axis 0)")
        n = len(args)
        static_pos = {i % n for i in self._static if -n <= i < n}
        static = tuple((i, args[i]) for i in sorted(static_pos))
        dyn = [a for i, a in enumerate(args) if i not in static_pos]
        in_axes = self._in_axes
        if isinstance(in_axes, (tuple, list)):
            in_axes = tuple(ax for i, ax in enumerate(in_axes) if i not in static_pos)
        size = self._axis_size or _mapped_size(dyn, in_axes)
        devices = device_queries.local_device_count(self._backend)
        if size is not None and size > devices:
            raise ValueError(f"compiling computation that requires {size} logical devices, "
                             f"but only {devices} XLA devices are available "
                             f"(num_replicas={size})")
        try:
            program = self._programs.get(static)
        except TypeError:
            raise ValueError("pmap static_broadcasted_argnums must be hashable") from None
        if program is None:
            def per_device(*dyn_args):
                it = iter(dyn_args)
                full = [dict(static)[i] if i in static_pos else next(it) for i in range(n)]
                return self._fun(*full)
            program = jit(vmap(per_device, in_axes=in_axes, out_axes=self._out_axes,
                               axis_name=self._axis_name, axis_size=self._axis_size),
                          backend=self._backend)
            self._programs[static] = program
        return program(*dyn)


def pmap(fun=None, axis_name=None, *, in_axes=0, out_axes=0, static_broadcasted_argnums=(),
         devices=None, backend=None, axis_size=None, donate_argnums=(),
         global_arg_shapes=None):
    """Map `fun` over the leading axis of its arguments, one member per device, like
    `jax.pmap` (see the module docstring). donate_argnums is accepted and has no effect."""
    if devices is not None:
        raise NotImplementedError("mlax does not implement pmap(devices=...) yet")
    if global_arg_shapes is not None:
        raise NotImplementedError("mlax does not implement pmap(global_arg_shapes=...)")
    if fun is None:
        return functools.partial(pmap, axis_name=axis_name, in_axes=in_axes,
                                 out_axes=out_axes,
                                 static_broadcasted_argnums=static_broadcasted_argnums,
                                 backend=backend, axis_size=axis_size,
                                 donate_argnums=donate_argnums)
    if not callable(fun):
        raise TypeError(f"pmap requires a callable as its first argument, got {fun!r}")
    return Pmapped(fun, axis_name, in_axes, out_axes, static_broadcasted_argnums, backend,
                   axis_size)
