"""`jax` for the compat corpus's mlax run: importing it gives mlax.

The runner puts this directory first on PYTHONPATH in the mlax run, so a corpus program's
`import jax`, `import jax.numpy as jnp` and `from jax.scipy.special import logsumexp` resolve
to mlax, mlax.numpy and mlax.scipy.special: `jax.X` is the module `mlax.X` itself (one copy,
one state), and a module mlax lacks fails to import with a message naming both names.
This is private to the corpus; it changes nothing in mlax.
"""
import importlib
import importlib.abc
import importlib.util
import sys

import mlax


def _real_name(name):
    return "mlax" + name[len("jax"):]


class _AliasLoader(importlib.abc.Loader):
    """Loads `jax.X` as the already imported module `mlax.X`."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # The import system has set the alias's spec on the module; give it back its own.
        module.__spec__ = self.spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if not name.startswith("jax."):
            return None
        real = _real_name(name)
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as e:
            if e.name is not None and real.startswith(e.name):
                raise ModuleNotFoundError(f"No module named {name!r} (mlax has no {real!r})",
                                          name=name) from None
            raise
        loader = _AliasLoader(module)
        loader.spec = module.__spec__
        return importlib.util.spec_from_loader(name, loader)


sys.meta_path.insert(0, _AliasFinder())
for _name, _module in list(sys.modules.items()):
    if _name.startswith("mlax."):
        sys.modules["jax" + _name[len("mlax"):]] = _module
sys.modules["jax"] = mlax
