"""Where a jit's values live when they live on several devices (or on a chosen one).

A jitted call is placed when any of its arguments is committed to devices (a TpuArray
from `device_put` or from another placed call), when `jit` was given `in_shardings` or
`out_shardings`, or when the function constrains a value with
`lax.with_sharding_constraint`. Its device assignment is the devices of the first of
these (a mesh's devices in mesh order); every other one must use the same devices, else
an error names the argument. Each argument's sharding is, in order: `in_shardings`' entry,
the array's own (input-sharding propagation), else replicated over the mesh.

The placement itself (deciding it, writing it into the module, calling the placed
executable) is mlax.placement's, which eager ops use too.
"""
from __future__ import annotations

import numpy as np

from mlax import core, tracing
from mlax.eager import to_numpy
from mlax.dispatch import bind
from mlax.runtime import Array
from mlax.runtime.sharding import (Mesh, NamedSharding, PartitionSpec, Sharding, ShardingError,
                                   SingleDeviceSharding, current_mesh, device_assignment)
from mlax.placement import committed
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
