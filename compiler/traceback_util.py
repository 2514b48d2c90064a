"""mlax.traceback_util: what libraries use of JAX's private `jax._src.traceback_util`
(aliased to this module by mlax.compat): `api_boundary` and `register_exclusion`.

mlax does not filter tracebacks; a registered path is skipped when mlax looks for the
user's source line (mlax.tracing.register_exclusion)."""
from __future__ import annotations

from mlax.tracing import register_exclusion as _register_source_exclusion

_exclude_paths: list[str] = []


def api_boundary(fun=None, **_):
    """Marks a library's entry point; tracebacks are not filtered, so it returns `fun`."""
    if fun is None:
        return lambda f: f
    return fun


def register_exclusion(path: str):
    _exclude_paths.append(path)
    _register_source_exclusion(path)
