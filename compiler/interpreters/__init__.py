"""mlax.interpreters: `partial_eval`, importable as `jax.interpreters.partial_eval` is."""
