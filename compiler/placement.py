"""Placing a call on devices: deciding its device assignment and shardings (mlax.spmd
says when a jit is placed), writing them into the traced module, and calling the placed
executable. jit and eager ops both place their calls here: an eager op on arrays
committed to a device, or under a default device other than its platform's first, is
compiled for that device and runs there.

The placement is written into the traced module, where the backend finds it: the module
gets `mlax.device_ids` (the assignment), the entry's arguments and the results with an
`out_shardings` entry get `mlax.sharding = {tiles, devices}` (XLA's tile assignment), and
`with_sharding_constraint` is the op `mlax.sharding_constraint` with the same two
attributes, which grad and vmap carry through. The tpu backend turns them into GSPMD's
`mhlo.sharding` and compiles with XLA's SPMD partitioner; results left unspecified come
back laid out as XLA chose (read from the executable, expressed over the mesh).
"""
from __future__ import annotations

import numpy as np
from mlir import ir

from mlax import tracing
from mlax.runtime import Array
from mlax.runtime.array import HostArrayOn
from mlax.runtime.sharding import (NamedSharding, PartitionSpec, Sharding, SingleDeviceSharding,
                                   device_assignment, named_from_tiles)


def committed(x) -> Sharding | None:
    """The sharding an argument is committed to (an array on chosen devices), or None."""
    return x._sharding if getattr(x, "committed", False) else None


def _ids(devices):
    return [d.id for d in devices]


class Placement:
    """A placed call (a jit's or an eager op's): its device assignment, mesh, and per-leaf
    shardings."""

    def __init__(self, devices, mesh, in_shardings, out_shardings, committed=True):
        self.committed = committed      # False when only the default device placed it
        self.devices = tuple(devices)
        self.mesh = mesh
        self.in_shardings = in_shardings
        self.out_shardings = out_shardings

    @property
    def platform(self):
        return self.devices[0].platform


def _tiles_attr(sharding, ndim):
    if isinstance(sharding, SingleDeviceSharding):
        counts, ids = (1,) * ndim, (sharding.device.id,)
    else:
        counts, ids = sharding.tiles(ndim)
    return ir.DictAttr.get({"tiles": ir.DenseI64ArrayAttr.get(list(counts)),
                            "devices": ir.DenseI64ArrayAttr.get(list(ids))})


def default_placement() -> Sharding | None:
    """Where the default device places a call that nothing else places (None: nowhere,
    tracing.placed_default_device)."""
    device = tracing.placed_default_device()
    return None if device is None else SingleDeviceSharding(device)


def place(tm, builder, fname, leaves, names, in_specs, out_specs, out_avals,
          default=None) -> Placement | None:
    """Decide the placement of a traced call and write it into the module (see the
    module's docstring); None when nothing places it. `default`: the sharding of a call
    nothing else places (the default device's, `default_placement`)."""
    devices, mesh, first = None, None, None

    def meet(sharding, what):
        nonlocal devices, mesh, first
        devs = device_assignment(sharding)
        if devices is None:
            devices, first = devs, what
        elif set(devs) != set(devices):
            raise ValueError(
                f"Received incompatible devices for jitted computation {fname}: {what} is on "
                f"{devs[0].platform} devices {_ids(devs)} but {first} is on "
                f"{devices[0].platform} devices {_ids(devices)}; put them on one device, or "
                f"one mesh (device_put with a NamedSharding of the same mesh) "
                f"(at {tracing.user_site()})")
        if mesh is None and isinstance(sharding, NamedSharding):
            mesh = sharding.mesh

    shardings = []
    for i, (x, spec, name) in enumerate(zip(leaves, in_specs, names)):
        what = f"argument '{name}'"
        own = committed(x)
        if spec is not None and own is not None and own != spec:
            raise ValueError(f"{fname}: {what} is laid out as {own}, but in_shardings gives "
                             f"{spec}; device_put it to that sharding first")
        s = spec if spec is not None else own
        if s is not None:
            meet(s, what)
        shardings.append(s)
    for i, s in enumerate(out_specs):
        if s is not None:
            meet(s, f"output {i} (out_shardings)")
    for s in getattr(tm, "constraints", ()):
        meet(s, "a with_sharding_constraint")
    if devices is None and default is not None:
        meet(default, "the default device")
    if devices is None:
        return None
    default = NamedSharding(mesh, PartitionSpec()) if mesh is not None else \
        SingleDeviceSharding(devices[0])
    shardings = [s if s is not None else default for s in shardings]
    for x, s, name in zip(leaves, shardings, names):
        if isinstance(s, NamedSharding):
            s.check(np.shape(x) if not isinstance(x, Array) else x.shape,
                    f"{fname}: argument '{name}' (at {tracing.user_site()})")
    for i, (s, a) in enumerate(zip(out_specs, out_avals)):
        if isinstance(s, NamedSharding):
            s.check(a.shape, f"{fname}: output {i}")
    with tm.ctx:
        tm.module.operation.attributes["mlax.device_ids"] = \
            ir.DenseI64ArrayAttr.get(_ids(devices))
        fn = builder.func
        ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
        fn.attributes["arg_attrs"] = ir.ArrayAttr.get([
            ir.DictAttr.get({"mlax.sharding": _tiles_attr(s, ir.RankedTensorType(t).rank)})
            for s, t in zip(shardings, ftype.inputs)])
        fn.attributes["res_attrs"] = ir.ArrayAttr.get([
            ir.DictAttr.get({} if s is None else
                            {"mlax.sharding": _tiles_attr(s, ir.RankedTensorType(t).rank)})
            for s, t in zip(out_specs, ftype.results)])
    return Placement(devices, mesh, shardings, list(out_specs), first != "the default device")


def placed_executable(exe, placement, out_avals, fname):
    """The backend's executable called with the placement's layouts; results left
    unspecified get the layout XLA chose, over the placement's mesh."""
    placed = getattr(exe, "placed", None)
    if placed is None and len(placement.devices) == 1:
        # One device that holds everything: nothing to place; results committed there.
        return CommittedResults(exe, placement.devices[0])
    if placed is None:
        raise NotImplementedError(f"jit of {fname} is placed on devices "
                                  f"{_ids(placement.devices)}, but its backend cannot run a "
                                  "placed computation (only the XLA backends, tpu, can)")
    outs = list(placement.out_shardings)
    if any(s is None for s in outs):
        chosen = exe.output_tiles()
        for i, (s, a) in enumerate(zip(outs, out_avals)):
            if s is not None:
                continue
            counts, ids = chosen[i]
            if placement.mesh is None:
                outs[i] = SingleDeviceSharding(placement.devices[0])
                continue
            outs[i] = named_from_tiles(placement.mesh, a.shape, counts, ids)
            if outs[i] is None:
                raise NotImplementedError(
                    f"jit of {fname}: XLA laid output {i} out as tiles {counts} over devices "
                    f"{ids}, which no PartitionSpec over {placement.mesh} spells; give "
                    "out_shardings")
    return placed(placement.in_shardings, outs, placement.committed)


class CommittedResults:
    """An executable of a backend whose arrays are host buffers (cpu, cuda), called on
    arrays committed to `device`: its results are committed there too, as JAX's."""

    def __init__(self, exe, device):
        self.exe = exe
        self.call = self
        self.sharding = SingleDeviceSharding(device)

    def __call__(self, inputs):
        return self.exe(inputs)

    def call_arrays(self, arrays, weak):
        return [HostArrayOn(o._value, o.weak_type, self.sharding.device, self.sharding)
                for o in self.exe.call.call_arrays(arrays, weak)]
