"""mlax.scipy: SciPy-style functions over mlax arrays."""
from mlax.scipy import special  # noqa: F401
from mlax.scipy import stats  # noqa: F401
