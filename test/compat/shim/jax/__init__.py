"""`jax` for the compat corpus's mlax run: importing it installs mlax.compat's hook, so this
import and every later `import jax...` give mlax (`jax.X` is the module `mlax.X` itself).

The runner puts this directory first on PYTHONPATH in the mlax run only."""
import mlax.compat

mlax.compat.install()
