"""mlax.scipy: SciPy-style functions over mlax arrays."""
from mlax.scipy import cluster  # noqa: F401
from mlax.scipy import fft  # noqa: F401
from mlax.scipy import integrate  # noqa: F401
from mlax.scipy import linalg  # noqa: F401
from mlax.scipy import ndimage  # noqa: F401
from mlax.scipy import signal  # noqa: F401
from mlax.scipy import special  # noqa: F401
from mlax.scipy import stats  # noqa: F401


# Names jax.scipy has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy", __name__)
