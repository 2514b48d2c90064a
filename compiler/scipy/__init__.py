"""mlax.scipy: SciPy-style functions over mlax arrays."""
