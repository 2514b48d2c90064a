"""mlax.scipy.cluster: vector quantization (`vq`), as jax.scipy.cluster."""
from mlax.scipy.cluster import vq  # noqa: F401


# Names jax.scipy.cluster has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.cluster", __name__)
