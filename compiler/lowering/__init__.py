"""Lowerings of the mlax dialect to upstream dialects, each a pass registered in mlax.passes."""
