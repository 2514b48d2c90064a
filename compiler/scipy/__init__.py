"""mlax.scipy: SciPy-style functions over mlax arrays."""
from mlax.scipy import special  # noqa: F401
