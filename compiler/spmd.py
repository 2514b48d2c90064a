"""Where a jit's values live when they live on several devices (or on a chosen one).

A jitted call is placed when any of its arguments is committed to devices (a TpuArray
from `device_put` or from another placed call), when `jit` was given `in_shardings` or
`out_shardings`, or when the function constrains a value with
`lax.with_sharding_constraint`. Its device assignment is the devices of the first of
these (a mesh's devices in mesh order); every other one must use the same devices, else
an error names the argument. Each argument's sharding is, in order: `in_shardings`' entry,
the array's own (input-sharding propagation), else replicated over the mesh.

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

from mlax import core, tracing
from mlax.eager import to_numpy
from mlax.dispatch import bind
from mlax.runtime import Array
from mlax.runtime.array import HostArrayOn
from mlax.runtime.sharding import (Mesh, NamedSharding, PartitionSpec, Sharding, ShardingError,
                                   SingleDeviceSharding, current_mesh, device_assignment,
                                   named_from_tiles)
from mlax.tracing import Tracer
from mlax.pytree import tree_flatten, tree_map, tree_unflatten

def resolve(spec, what) -> Sharding | None:
    """`spec` (a Sharding, a PartitionSpec under a mesh, or None) as a Sharding; errors
    name `what`."""
    if spec is None or isinstance(spec, Sharding):
        return spec
    if isinstance(spec, PartitionSpec):
        mesh = current_mesh()
        if mesh is None:
            raise ValueError(f"{what}: PartitionSpec {spec} needs a mesh: pass "
                             f"NamedSharding(mesh, spec), or set one (`with set_mesh(mesh):`)")
        try:
            return NamedSharding(mesh, spec)
        except ShardingError as e:
            raise ShardingError(f"{what}: {e}") from None
    raise TypeError(f"{what}: expected a Sharding or a PartitionSpec, got {spec!r}")


def _is_spec_leaf(x):
    return x is None or isinstance(x, (Sharding, PartitionSpec))


def broadcast(specs, parts, names, what):
    """One Sharding (or None) per leaf of the pytrees `parts` (a jit's arguments, or its
    outputs), from `specs`: one for all, one per part (each for all its leaves, or
    matching its structure), or one per leaf (JAX's in_shardings / out_shardings as pytree
    prefixes). `names` name the leaves in errors."""
    counts = [len(tree_flatten(p)[0]) for p in parts]
    n = sum(counts)

    def one(spec, i):
        return resolve(spec, f"{what} for {names[i] if i < len(names) else f'leaf {i}'}")
    if _is_spec_leaf(specs):
        return [one(specs, i) for i in range(n)]
    if isinstance(specs, (tuple, list)) and len(specs) == len(parts):
        out = []
        for spec, k in zip(specs, counts):
            sub = [spec] * k if _is_spec_leaf(spec) else tree_flatten(spec, is_leaf=_is_spec_leaf)[0]
            if len(sub) != k:
                raise ValueError(f"{what}: an entry has {len(sub)} shardings for {k} arrays")
            out += [one(s, len(out)) for s in sub]
        return out
    leaves = tree_flatten(specs, is_leaf=_is_spec_leaf)[0]
    if len(leaves) != n:
        raise ValueError(f"{what} has {len(leaves)} shardings for {n} arrays: give one "
                         f"Sharding, one per argument, or one per array")
    return [one(s, i) for i, s in enumerate(leaves)]


def committed(x) -> Sharding | None:
    """The sharding an argument is committed to (an array on chosen devices), or None."""
    return x._sharding if getattr(x, "committed", False) else None


def _ids(devices):
    return [d.id for d in devices]


class Placement:
    """A placed jit call: its device assignment, mesh, and per-leaf shardings."""

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


# ---------------------------------------------------------------------------------------
# The public functions


def with_sharding_constraint(x, shardings):
    """`x` (a pytree) laid out as `shardings` says (one for all leaves, or a prefix of
    x's structure): inside jit an `mlax.sharding_constraint` op that XLA's SPMD
    partitioner honours (and that grad and vmap keep); outside, a device_put."""
    leaves, tree = tree_flatten(x)
    specs = broadcast(shardings, [x], [f"leaf {i}" for i in range(len(leaves))],
                      "with_sharding_constraint")
    trace = tracing.current()
    out = []
    for i, (leaf, s) in enumerate(zip(leaves, specs)):
        if s is None:
            out.append(leaf)
            continue
        if trace is None and not isinstance(leaf, Tracer):
            out.append(device_put_one(leaf, s))
            continue
        shape = leaf.shape if hasattr(leaf, "shape") else np.shape(leaf)
        if isinstance(s, NamedSharding):
            s.check(shape, f"with_sharding_constraint: leaf {i} (at {tracing.user_site()})")
        counts, ids = s.tiles(len(shape)) if isinstance(s, NamedSharding) else \
            ((1,) * len(shape), (s.device.id,))
        tm = trace.traced_module
        if not hasattr(tm, "constraints"):
            tm.constraints = []
        tm.constraints.append(s)
        out.append(bind("mlax.sharding_constraint", leaf, tiles=tuple(counts),
                        devices=tuple(ids)))
    return tree_unflatten(tree, out)


def device_put_one(x, sharding, weak=None):
    """One leaf placed as `sharding` (a Sharding or a device)."""
    if not isinstance(sharding, Sharding):
        sharding = SingleDeviceSharding(sharding)
    if committed(x) == sharding:
        return x
    if weak is None:
        weak = getattr(x, "weak_type", False) or (core.is_python_scalar(x) and not isinstance(x, bool))
    value = to_numpy(x)
    if isinstance(sharding, NamedSharding):
        sharding.check(value.shape, "device_put: the argument")
    device = device_assignment(sharding)[0]
    put = getattr(device, "_put", None)
    if put is None:
        return Array(np.array(value), weak)
    return put(value, sharding, weak)


def device_put(x, device):
    """`x` (a pytree) on `device`: a device or a Sharding (or a pytree prefix of them)."""
    if isinstance(device, Sharding) or hasattr(device, "platform"):
        return tree_map(lambda leaf: _put_traced_or(leaf, device), x)
    leaves, tree = tree_flatten(x)
    specs = broadcast(device, [x], [f"leaf {i}" for i in range(len(leaves))], "device_put")
    return tree_unflatten(tree, [_put_traced_or(leaf, s) for leaf, s in zip(leaves, specs)])


def _put_traced_or(leaf, target):
    if isinstance(leaf, Tracer):
        if isinstance(target, NamedSharding):
            return with_sharding_constraint(leaf, target)
        return leaf
    return device_put_one(leaf, target)


def make_mesh(axis_shapes, axis_names, *, devices=None, axis_types=None) -> Mesh:
    """A mesh of `axis_shapes` named `axis_names` over `devices` (default: the default
    backend's), as `jax.make_mesh`."""
    axis_shapes = tuple(int(n) for n in axis_shapes)
    if devices is None:
        devices = tracing.default_backend().devices()
    devices = list(devices)
    n = int(np.prod(axis_shapes))
    if n > len(devices):
        raise ValueError(f"make_mesh: a mesh of shape {axis_shapes} needs {n} devices, but "
                         f"only {len(devices)} are available")
    arr = np.empty(n, dtype=object)
    arr[:] = devices[:n]
    return Mesh(arr.reshape(axis_shapes), axis_names, axis_types)


def visualize_array_sharding(x, *, use_color=False, scale=1.0, min_width=9, max_width=80,
                             return_string=False):
    """Print which devices hold which block of the 1-d or 2-d array `x`, as text (JAX
    draws the same grid with rich)."""
    shape = tuple(x.shape)
    if len(shape) not in (1, 2):
        raise ValueError(f"visualize_array_sharding can only visualize 1-d or 2-d arrays, "
                         f"got shape {shape}")
    sharding = committed(x) or getattr(x, "sharding")
    index = sharding.devices_indices_map(shape) if isinstance(sharding, NamedSharding) else \
        {d: tuple(slice(None) for _ in shape) for d in sharding.device_set}
    shape2 = shape if len(shape) == 2 else (1,) + shape

    def bounds(s, n):
        return (s.start or 0, n if s.stop is None else s.stop)
    blocks = {}
    for dev, idx in index.items():
        idx2 = idx if len(shape) == 2 else (slice(None),) + tuple(idx)
        key = (bounds(idx2[0], shape2[0]), bounds(idx2[1], shape2[1]))
        blocks.setdefault(key, []).append(dev)
    rows = sorted({k[0] for k in blocks})
    cols = sorted({k[1] for k in blocks})
    platform = next(iter(index)).platform.upper()
    labels = {k: f"{platform} " + ",".join(str(d.id) for d in sorted(v, key=lambda d: d.id))
              for k, v in blocks.items()}
    width = max(min_width, max(len(s) for s in labels.values()) + 2)
    line = "+" + "+".join("-" * width for _ in cols) + "+"
    out = [line]
    for r in rows:
        out.append("|" + "|".join(labels.get((r, c), "").center(width) for c in cols) + "|")
        out.append(line)
    text = "\n".join(out) + "\n"
    if return_string:
        return text
    print(text, end="")
