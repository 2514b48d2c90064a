"""mlax.version: mlax's own version (`__version__`) and, as a tuple, the version of JAX's
API that mlax follows (`__version_info__`, jax_api_names.json's): libraries written
against JAX compare it (`jax.version.__version_info__`) to choose which JAX APIs to call."""
from mlax import __version__  # noqa: F401  (mlax's own)
from mlax.api_names import JAX_VERSION

__version_info__ = tuple(int(p) for p in JAX_VERSION.split("."))
