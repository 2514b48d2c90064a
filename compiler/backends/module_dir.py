"""Compiled module directories, whatever the target: what every backend's `save` shares.

A compiled module (format: mlax/runtime/aot.py) is a directory holding the target's code
(the cpu backend's shared library, the tpu backend's StableHLO artifacts, the cuda
backend's kernels and launch plans), the metadata
`mlax_module.json` and an `__init__.py` that loads it on `import`. `write_directory`
builds it beside its path and renames it into place; `write_metadata` writes the metadata
and the `__init__.py`.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

from mlax.backends import BackendError, cache
from mlax.runtime import aot


class OutputError(BackendError):
    """The output path cannot be written."""


_INIT_TEMPLATE = '''\
"""Compiled mlax module `{name}` (written by {creator}; do not edit).

Entry points: {entries}.
Loading runs no tracing and no compilation by mlax (`import mlax` loads no compiler
part): mlax.runtime.aot loads the code next to this file, {loader}.
"""
import os as _os

from mlax.runtime import aot as _aot

module = _aot.load(_os.path.dirname(_os.path.abspath(__file__)))
{assignments}
'''

# What loads each platform's code, for the __init__.py's docstring.
_LOADERS = {"cpu": "a shared library, with ctypes and NumPy",
            "tpu": "StableHLO artifacts, compiled by XLA through jaxlib's PJRT client",
            "cuda": "GPU kernels (cubin, or PTX for newer chips) through the CUDA driver"}


def init_py(name, entries, creator, platform="cpu") -> str:
    """The `__init__.py` of a module directory: `import name; name.entry(...)`."""
    exported = [e for e in entries if e.isidentifier() and not e.startswith("_") and
                e != "module"]
    lines = [f"{e} = module.entries[{e!r}]" for e in exported]
    lines.append(f"__all__ = {['module'] + exported!r}")
    return _INIT_TEMPLATE.format(name=name, creator=creator, entries=", ".join(entries) or "none",
                                 loader=_LOADERS[platform], assignments="\n".join(lines))


def metadata(name, creator, target: dict, entries: dict, files: dict, **fields) -> dict:
    """A module's metadata (mlax.runtime.aot's format): `target` says its platform,
    `files` maps each file to its SHA-256, `fields` are the platform's own."""
    return {
        "format": aot.FORMAT,
        "format_version": aot.FORMAT_VERSION,
        "name": name,
        "mlax_version": cache.mlax_version(),
        "created_by": creator,
        "target": target,
        **fields,
        "entries": entries,
        "files": files,
    }


def write_metadata(directory, meta: dict, package=True):
    """Write `meta` as the directory's mlax_module.json, and its `__init__.py` if
    `package`."""
    with open(os.path.join(directory, aot.METADATA), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    if package:
        with open(os.path.join(directory, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(init_py(meta["name"], list(meta["entries"]), meta["created_by"],
                            meta["target"]["platform"]))


def write_directory(path, write) -> dict:
    """Write a compiled module at directory `path`, atomically: `write(tmp, name)` fills a
    new directory beside it and returns the metadata, then it is renamed into place. An
    existing `path` is replaced only if it is a compiled module or an empty directory."""
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    if os.path.lexists(path):
        if not os.path.isdir(path) or (os.listdir(path) and
                                       not os.path.exists(os.path.join(path, aot.METADATA))):
            raise OutputError(f"{path} exists and is not a compiled mlax module: remove it or "
                              "choose another output path")
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", dir=parent)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror}") from None
    try:
        meta = write(tmp, os.path.basename(path))
        os.chmod(tmp, 0o755)
        old = None
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.old.", dir=parent)
            os.rename(path, os.path.join(old, "m"))
        os.rename(tmp, path)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta
