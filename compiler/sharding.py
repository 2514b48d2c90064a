"""mlax.sharding: how arrays are laid out over devices. mlax's arrays live on one device
each (`SingleDeviceSharding`); meshes and partitioned layouts (NamedSharding, Mesh,
PartitionSpec) are JAX names mlax does not implement yet (NotImplementedError)."""
from mlax import api_names as _api_names
from mlax.runtime.array import Sharding, SingleDeviceSharding

__all__ = ["Sharding", "SingleDeviceSharding"]

__getattr__ = _api_names.module_getattr("jax.sharding", __name__)
