"""Meshes and shardings: how an array's elements are laid out over devices (JAX's
`jax.sharding` names), as plain data.

A `Mesh` is an n-d array of devices with a name per axis; a `PartitionSpec` says, for
each dimension of an array, which mesh axes split it (None: none); a `NamedSharding`
pairs them. Everything the compiler and the runtime need follows from two numbers per
device, computed here:

- `tiles(ndim)`: XLA's view, (tile counts per dimension, device ids in tile order, with a
  last "replicated" tile dimension when some mesh axes split nothing). This is what
  becomes the `mhlo.sharding` text of the StableHLO module (`hlo_sharding_text`).
- `devices_indices_map(shape)`: the runtime's view, the slice of the array each device
  holds (for `device_put`, `addressable_shards`, and the buffers XLA's outputs are).

Nothing here imports the compiler or jax.
"""
from __future__ import annotations

import itertools
import math
import threading

import numpy as np

from .array import Sharding, SingleDeviceSharding

__all__ = ["Mesh", "AbstractMesh", "get_abstract_mesh", "PartitionSpec", "NamedSharding", "SingleDeviceSharding", "Sharding",
           "hlo_sharding_text", "ShardingError", "set_mesh", "current_mesh"]


class ShardingError(ValueError):
    """A sharding that does not fit its array or its mesh."""


class Mesh:
    """Devices arranged in an n-d array with named axes (`jax.sharding.Mesh`)."""

    def __init__(self, devices, axis_names, axis_types=None):
        devices = np.asarray(devices, dtype=object)
        if isinstance(axis_names, str):
            axis_names = (axis_names,)
        axis_names = tuple(axis_names)
        if devices.ndim != len(axis_names):
            raise ValueError(f"Mesh: devices of shape {devices.shape} need {devices.ndim} axis "
                             f"names, got {axis_names}")
        if len(set(axis_names)) != len(axis_names):
            raise ValueError(f"Mesh: axis names must be unique, got {axis_names}")
        ids = [d.id for d in devices.flat]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Mesh: a device appears more than once: ids {ids}")
        self.devices = devices
        self.axis_names = axis_names
        self.axis_types = axis_types
        self._identity = (axis_names, devices.shape, tuple(ids), devices.flat[0].platform)

    @property
    def shape(self) -> dict:
        return dict(zip(self.axis_names, self.devices.shape))

    @property
    def axis_sizes(self) -> tuple:
        return tuple(self.devices.shape)

    @property
    def size(self) -> int:
        return int(self.devices.size)

    @property
    def device_ids(self) -> np.ndarray:
        return np.vectorize(lambda d: d.id, otypes=[np.int64])(self.devices)

    @property
    def devices_flat(self) -> tuple:
        return tuple(self.devices.flat)

    @property
    def local_devices(self) -> list:
        return list(self.devices.flat)

    @property
    def empty(self) -> bool:
        return self.devices.size == 0

    def __eq__(self, other):
        return self is other or (isinstance(other, Mesh) and self._identity == other._identity)

    def __hash__(self):
        return hash(self._identity)

    def __repr__(self):
        axes = ", ".join(f"'{n}': {s}" for n, s in zip(self.axis_names, self.devices.shape))
        return f"Mesh({axes})"

    @property
    def abstract_mesh(self) -> "AbstractMesh":
        return AbstractMesh(self.axis_sizes, self.axis_names, self.axis_types)

    # `with mesh:` (JAX's older form of `with set_mesh(mesh):`)
    def __enter__(self):
        _mesh_stack().append(self)
        return self

    def __exit__(self, *exc):
        _mesh_stack().pop()
        return False


class AbstractMesh:
    """A mesh's axis names and sizes without its devices (`jax.sharding.AbstractMesh`)."""

    def __init__(self, axis_sizes, axis_names, axis_types=None):
        self.axis_sizes = tuple(axis_sizes)
        self.axis_names = tuple(axis_names)
        self.axis_types = axis_types
        if len(self.axis_sizes) != len(self.axis_names):
            raise ValueError(f"AbstractMesh: {len(self.axis_sizes)} axis sizes for "
                             f"{len(self.axis_names)} axis names")

    @property
    def shape(self) -> dict:
        return dict(zip(self.axis_names, self.axis_sizes))

    @property
    def size(self) -> int:
        return math.prod(self.axis_sizes)

    @property
    def empty(self) -> bool:
        return not self.axis_names

    def __eq__(self, other):
        return isinstance(other, AbstractMesh) and \
            (self.axis_sizes, self.axis_names) == (other.axis_sizes, other.axis_names)

    def __hash__(self):
        return hash((self.axis_sizes, self.axis_names))

    def __repr__(self):
        axes = ", ".join(f"'{n}': {s}" for n, s in zip(self.axis_names, self.axis_sizes))
        return f"AbstractMesh({axes})"


_local = threading.local()


def _mesh_stack() -> list:
    if not hasattr(_local, "meshes"):
        _local.meshes = []
    return _local.meshes


def current_mesh() -> Mesh | None:
    """The mesh `set_mesh` or `with mesh:` made current in this thread, or None."""
    stack = _mesh_stack()
    return stack[-1] if stack else None


def get_abstract_mesh() -> AbstractMesh:
    """The current mesh's AbstractMesh (an empty one when no mesh is set)."""
    mesh = current_mesh()
    return mesh.abstract_mesh if mesh is not None else AbstractMesh((), ())


class set_mesh:
    """`jax.sharding.set_mesh`: make `mesh` current in this thread, so PartitionSpecs
    stand for NamedShardings over it (jit's shardings, with_sharding_constraint); as
    `with set_mesh(mesh):`, only inside the block."""

    def __init__(self, mesh):
        if not isinstance(mesh, Mesh):
            raise TypeError(f"set_mesh needs a Mesh, got {type(mesh).__name__}")
        self.mesh = mesh
        _mesh_stack().append(mesh)

    def __enter__(self):
        return self.mesh

    def __exit__(self, *exc):
        _mesh_stack().pop()
        return False


class PartitionSpec(tuple):
    """Per array dimension, the mesh axis (or tuple of axes, or None) splitting it
    (`jax.sharding.PartitionSpec`, `P`). Dimensions past its length are not split."""

    def __new__(cls, *partitions):
        for p in partitions:
            if not (p is None or isinstance(p, str) or
                    (isinstance(p, tuple) and all(isinstance(a, str) for a in p))):
                raise TypeError(f"PartitionSpec entries must be None, a mesh axis name or a "
                                f"tuple of names, got {p!r}")
        return super().__new__(cls, partitions)

    def __repr__(self):      # as JAX prints it: P('x', 'y'), P('b',), P()
        return "P" + tuple.__repr__(self)

    def axes_of(self, dim) -> tuple:
        """The mesh axes splitting dimension `dim`, in order."""
        if dim >= len(self) or self[dim] is None:
            return ()
        p = self[dim]
        return (p,) if isinstance(p, str) else tuple(p)


class NamedSharding(Sharding):
    """An array split over a mesh by a PartitionSpec (`jax.sharding.NamedSharding`)."""

    def __init__(self, mesh: Mesh, spec=None, *, memory_kind=None):
        if not isinstance(mesh, Mesh):
            raise TypeError(f"NamedSharding needs a Mesh, got {type(mesh).__name__}")
        if spec is None:
            spec = PartitionSpec()
        if not isinstance(spec, PartitionSpec):
            if isinstance(spec, (tuple, list)):
                spec = PartitionSpec(*spec)
            else:
                raise TypeError(f"NamedSharding needs a PartitionSpec, got {spec!r}")
        used = [a for d in range(len(spec)) for a in spec.axes_of(d)]
        unknown = [a for a in used if a not in mesh.axis_names]
        if unknown:
            raise ShardingError(f"PartitionSpec {spec} names mesh axis {unknown[0]!r}, which "
                                f"the mesh does not have (its axes: {mesh.axis_names})")
        if len(set(used)) != len(used):
            raise ShardingError(f"PartitionSpec {spec} uses a mesh axis more than once")
        self.mesh = mesh
        self.spec = spec
        self.memory_kind = memory_kind or "device"
        self._hash = hash((mesh, _trimmed(spec)))

    # -- jax.sharding.Sharding -------------------------------------------------------------
    @property
    def device_set(self) -> set:
        return set(self.mesh.devices.flat)

    @property
    def is_fully_replicated(self) -> bool:
        return all(self.mesh.shape[a] == 1 for d in range(len(self.spec))
                   for a in self.spec.axes_of(d))

    @property
    def _device_assignment(self) -> tuple:
        return self.mesh.devices_flat

    def __eq__(self, other):
        return self is other or (isinstance(other, NamedSharding) and self.mesh == other.mesh
                                 and _trimmed(self.spec) == _trimmed(other.spec))

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"NamedSharding(mesh={self.mesh!r}, spec={self.spec!r}, memory_kind={self.memory_kind})"

    # -- layout ---------------------------------------------------------------------------
    def check(self, shape, what="the array"):
        """Raise ShardingError naming `what` unless this sharding fits an array of `shape`."""
        if len(self.spec) > len(shape):
            raise ShardingError(f"{what} has rank {len(shape)} (shape {tuple(shape)}), fewer "
                                f"dimensions than its PartitionSpec {self.spec}")
        for d, n in enumerate(shape):
            t = self.tile_count(d)
            if n % t:
                raise ShardingError(
                    f"{what}: dimension {d} of size {n} is not divisible by {t}, the size of "
                    f"mesh axes {self.spec.axes_of(d)} that PartitionSpec {self.spec} splits it "
                    f"over")

    def tile_count(self, dim) -> int:
        return math.prod(self.mesh.shape[a] for a in self.spec.axes_of(dim))

    def tiles(self, ndim):
        """(tile counts per dim, device ids in tile order): XLA's tile assignment. When
        some mesh axes split nothing, the counts get one more entry, the number of
        replicas (XLA's `last_tile_dim_replicate`)."""
        names = self.mesh.axis_names
        order = [names.index(a) for d in range(ndim) for a in self.spec.axes_of(d)]
        rest = [i for i in range(len(names)) if i not in order]
        ids = self.mesh.device_ids.transpose(order + rest).reshape(-1)
        counts = [self.tile_count(d) for d in range(ndim)]
        replicas = math.prod(self.mesh.devices.shape[i] for i in rest)
        if replicas > 1:
            counts.append(replicas)
        return tuple(counts), tuple(int(i) for i in ids)

    def shard_shape(self, shape) -> tuple:
        self.check(shape)
        return tuple(n // self.tile_count(d) for d, n in enumerate(shape))

    def devices_indices_map(self, shape) -> dict:
        """device -> the tuple of slices of an array of `shape` it holds."""
        self.check(shape)
        return _indices_from_tiles(shape, *self.tiles(len(shape)), self.mesh.devices_flat)


def _trimmed(spec):
    spec = list(spec)
    while spec and spec[-1] is None:
        spec.pop()
    return tuple(spec)


def _indices_from_tiles(shape, counts, ids, devices):
    by_id = {d.id: d for d in devices}
    ndim = len(shape)
    out = {}
    for pos, dev_id in zip(itertools.product(*[range(c) for c in counts]), ids):
        idx = []
        for d in range(ndim):
            step = shape[d] // counts[d]
            idx.append(slice(pos[d] * step, (pos[d] + 1) * step) if counts[d] > 1
                       else slice(None))
        out[by_id[dev_id]] = tuple(idx)
    return out


def single_device_indices_map(sharding: SingleDeviceSharding, shape) -> dict:
    return {sharding.device: tuple(slice(None) for _ in shape)}


def indices_map(sharding, shape) -> dict:
    """device -> slices, for any mlax sharding."""
    if isinstance(sharding, SingleDeviceSharding):
        return single_device_indices_map(sharding, shape)
    return sharding.devices_indices_map(shape)


def device_assignment(sharding) -> tuple:
    """The devices a computation on an array of `sharding` runs on, in partition order."""
    if isinstance(sharding, SingleDeviceSharding):
        return (sharding.device,)
    return sharding._device_assignment


def hlo_sharding_text(counts, ids, ndim, logical) -> str:
    """XLA's sharding text (`mhlo.sharding`) of the tile assignment (`counts`, device
    `ids`) of an array of rank `ndim`; a count beyond `ndim` is the replicated tile
    dimension. The ids become their positions in `logical`, the computation's device
    assignment (XLA's partition numbers)."""
    counts, ids = tuple(counts), tuple(ids)
    if math.prod(counts[:ndim]) == 1:
        return "{replicated}"
    position = {d: i for i, d in enumerate(logical)}
    dims = ",".join(str(c) for c in counts)
    parts = ",".join(str(position[i]) for i in ids)
    last = " last_tile_dim_replicate" if len(counts) > ndim else ""
    return f"{{devices=[{dims}]{parts}{last}}}"


def named_from_tiles(mesh: Mesh, shape, counts, ids):
    """A NamedSharding over `mesh` whose tile assignment is (`counts`, `ids`), or None
    (XLA chose a layout that no PartitionSpec over this mesh spells)."""
    ndim = len(shape)
    names = mesh.axis_names
    want = _indices_from_tiles(shape, counts, ids, mesh.devices_flat) \
        if len(ids) == mesh.size else None
    if want is None:
        return None
    for choice in itertools.product(range(ndim + 1), repeat=len(names)):
        spec = [[] for _ in range(ndim)]
        for axis, d in zip(names, choice):
            if d < ndim:
                spec[d].append(axis)
        entries = [None if not s else (s[0] if len(s) == 1 else tuple(s)) for s in spec]
        candidate = NamedSharding(mesh, PartitionSpec(*entries))
        try:
            if candidate.devices_indices_map(shape) == want:
                return NamedSharding(mesh, PartitionSpec(*_trimmed(entries)))
        except ShardingError:
            continue
    return None
