"""mlax.sharding: how arrays are laid out over devices (`jax.sharding`).

An array in host memory, or on one device, has a `SingleDeviceSharding`; a `Mesh` of
devices with named axes, a `PartitionSpec` (`P`) per array and a `NamedSharding` pairing
them split arrays over several (mlax.runtime.sharding). `jit` hands such layouts to XLA's
SPMD partitioner (mlax.spmd)."""
from mlax import api_names as _api_names
from mlax.runtime.array import Sharding, SingleDeviceSharding
from mlax.runtime.sharding import (AbstractMesh, Mesh, NamedSharding, PartitionSpec,
                                   get_abstract_mesh, set_mesh)
from mlax.runtime.tpu import Shard

P = PartitionSpec

__all__ = ["Sharding", "SingleDeviceSharding", "Mesh", "NamedSharding", "PartitionSpec", "P",
           "Shard", "set_mesh", "AbstractMesh", "get_abstract_mesh"]

__getattr__ = _api_names.module_getattr("jax.sharding", __name__)
