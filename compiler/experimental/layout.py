"""mlax.experimental.layout: `Layout` and `Format`, the descriptions `jax.experimental.layout`
gives of how an array sits in memory. mlax arrays are row-major and dense, so a layout is
only carried (flax maps over the sharding of a `Format`); nothing consumes it yet."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlax import api_names as _api_names


@dataclass(frozen=True)
class Layout:
    """The order of an array's dims in memory, most major first (None: the default)."""
    major_to_minor: tuple | None = None


@dataclass(frozen=True)
class Format:
    """A layout paired with a sharding."""
    layout: Any = None
    sharding: Any = None


__getattr__ = _api_names.module_getattr("jax.experimental.layout", __name__)
