"""`jax` for the compat corpus's mlax run: importing it installs mlax.compat's hook, so this
import and every later `import jax...` give mlax (`jax.X` is the module `mlax.X` itself).

The runner puts this directory first on PYTHONPATH in the mlax run only. Once the hook is
installed (with this module out of sys.modules, so that it is not set aside as the real
jax) this directory leaves sys.path: the hook answers every later `import jax`, and
the real jax stays findable for mlax's tpu runtime (`mlax.compat.real_jax`)."""
import os
import sys

import mlax.compat

del sys.modules[__name__]     # this module is not a real jax for install() to set aside
mlax.compat.install()
_shim = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _shim]
