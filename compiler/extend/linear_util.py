"""mlax.extend.linear_util: importable, as `jax.extend.linear_util` is; mlax traces Python
functions directly, so its names (`wrap_init`, ...) raise NotImplementedError when used."""
from mlax import api_names as _api_names

__getattr__ = _api_names.module_getattr("jax.extend.linear_util", __name__)
