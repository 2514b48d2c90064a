"""mlax.extend.source_info_util: `register_exclusion(path)`, so that the source line mlax
gives an op (and its errors) is the user's, not a library's that registered its files."""
from mlax.tracing import register_exclusion

__all__ = ["register_exclusion"]
