"""Run code written against JAX on mlax, in one process: an explicit, opt-in import hook.

    import mlax.compat
    mlax.compat.install()          # from here on, `import jax` gives mlax
    import optax                   # optax's `import jax` resolves to mlax
    ...
    mlax.compat.uninstall()        # the real jax (if it was imported) is back

or, for a whole script: `python -m mlax.compat script.py [args]` (`-m module` too).

While installed, `jax` is the module `mlax` and `jax.X` is `mlax.X` itself (one copy, one
state: `jax.config` is `mlax.config`); a module mlax does not have fails to import with a
ModuleNotFoundError naming both. `jaxlib` is not touched. Nothing is installed by default:
real JAX in the same environment keeps working (the test suite uses it as an oracle).

The one exception is mlax's own tpu runtime (mlax.runtime.tpu), which runs XLA through the
real jax's PJRT client: `install()` gives it `real_jax()`, a context that suspends the hook
while it imports jax's modules (the real ones, kept aside again afterwards, as those
imported before `install()` are), so `MLAX_PLATFORMS=tpu` works under the hook.

Limits: modules imported before `install()` keep the jax they imported (install first,
then import the libraries); arrays made by the real jax are not mlax arrays; of JAX's
private modules (`jax._src...`) only those in `PRIVATE_ALIASES` are aliased, each to the
public mlax module with the names libraries use from it; importing any other fails at
that import, naming it.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import logging
import sys
import types

from mlax.runtime import tpu as tpu_runtime

__all__ = ["install", "uninstall", "installed", "is_installed"]


# JAX's private modules that libraries import, each with the mlax module answering for
# it: the narrowest that gives the library's public behaviour (docs/design.md lists them).
PRIVATE_ALIASES = {
    "jax._src.core": "mlax.core",           # flax.linen.fp8_ops: ShapedArray
    "jax._src.dtypes": "mlax.dtypes",       # flax.linen.fp8_ops: extended, ExtendedDType
    "jax._src.traceback_util": "mlax.traceback_util",  # flax: api_boundary, register_exclusion
    "jax._src.compiler": "mlax.compiling",  # chex.restrict_backends: backend_compile
    "jax._src.xla_bridge": "mlax.backends",  # chex.fake: _backends (the backends in use)
}


def _alias(name: str) -> str:
    """`jax.X` -> `mlax.X`; a private module -> its entry in PRIVATE_ALIASES."""
    if name in PRIVATE_ALIASES:
        return PRIVATE_ALIASES[name]
    return "mlax" + name[len("jax"):]


def _is_jax_name(name: str) -> bool:
    return name == "jax" or name.startswith("jax.")


class _AliasLoader(importlib.abc.Loader):
    """Loads `jax.X` as the (imported) module `mlax.X`."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # The import system set the alias's spec on the module: give it back its own.
        module.__spec__ = self.spec


def _private_submodule(name):
    """`jax._src.X` read as an attribute (`jax._src.xla_bridge._backends`): imported."""
    if f"jax._src.{name}" in PRIVATE_ALIASES:
        return importlib.import_module(f"jax._src.{name}")
    raise AttributeError(f"module 'jax._src' has no attribute {name!r}")


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `jax` and `jax.X` as mlax's modules."""

    def find_spec(self, name, path, target=None):
        if not _is_jax_name(name):
            return None
        if name == "jax._src":
            # A package holding only the aliased private modules.
            package = types.ModuleType(name, "JAX's private modules mlax.compat aliases.")
            package.__path__ = []
            package.__getattr__ = _private_submodule
            loader = _AliasLoader(package)
            loader.spec = importlib.util.spec_from_loader(name, loader, is_package=True)
            return loader.spec
        real = _alias(name)
        if real.split(".")[1:2] == ["_src"] and name not in PRIVATE_ALIASES:
            raise ModuleNotFoundError(f"No module named {name!r}: mlax.compat does not alias "
                                      "JAX's private modules", name=name)
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


_state = {"finder": None, "saved": {}}


def is_installed() -> bool:
    return _state["finder"] is not None


def install() -> None:
    """Make `import jax` (and `jax.X`) resolve to mlax from now on; idempotent."""
    if is_installed():
        return
    import mlax
    saved = {n: m for n, m in sys.modules.items() if _is_jax_name(n)}
    for n in saved:
        del sys.modules[n]
    finder = _AliasFinder()
    sys.meta_path.insert(0, finder)
    _state.update(finder=finder, saved=saved)
    for name, module in list(sys.modules.items()):
        if name.startswith("mlax."):
            sys.modules["jax" + name[len("mlax"):]] = module
    sys.modules["jax"] = mlax
    tpu_runtime.jax_import_context = real_jax
    # mlax's log records (`log_compiles`) reach the handlers code written against JAX
    # attaches to the `jax` logger.
    logging.getLogger("mlax").parent = logging.getLogger("jax")


@contextlib.contextmanager
def real_jax():
    """While the block runs, the hook is suspended and `import jax` gives the real jax (the
    modules set aside by install(), and any imported in the block, set aside again after
    it). Only for mlax's tpu runtime, which imports jax's PJRT client here; not
    thread-safe, as imports under the hook are not."""
    finder = _state["finder"]
    if finder is None:
        yield
        return
    aliases = {n: sys.modules.pop(n) for n in [n for n in sys.modules if _is_jax_name(n)]}
    sys.meta_path.remove(finder)
    sys.modules.update(_state["saved"])
    try:
        yield
    finally:
        real = {n: sys.modules.pop(n) for n in [n for n in sys.modules if _is_jax_name(n)]}
        _state["saved"] = real
        sys.modules.update(aliases)
        sys.meta_path.insert(0, finder)


def uninstall() -> None:
    """Undo `install()`: `jax` names leave sys.modules, the real jax modules imported before
    install come back."""
    finder = _state["finder"]
    if finder is None:
        return
    sys.meta_path.remove(finder)
    for n in [n for n in sys.modules if _is_jax_name(n)]:
        del sys.modules[n]
    sys.modules.update(_state["saved"])
    _state.update(finder=None, saved={})
    tpu_runtime.jax_import_context = contextlib.nullcontext
    logging.getLogger("mlax").parent = logging.getLogger()


@contextlib.contextmanager
def installed():
    """`with mlax.compat.installed(): ...`: install for the block, uninstall after."""
    was = is_installed()
    install()
    try:
        yield
    finally:
        if not was:
            uninstall()
