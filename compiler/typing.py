"""mlax.typing: the annotations of `jax.typing`.

`ArrayLike` is what mlax functions accept as an array argument (mlax arrays, tracers,
NumPy arrays and scalars, Python scalars); `DTypeLike` what they accept as a dtype."""
from __future__ import annotations

from typing import Any, Protocol, Union

import numpy as np

from mlax.runtime.basearray import Array

__all__ = ["ArrayLike", "DTypeLike"]


class SupportsDType(Protocol):
    @property
    def dtype(self) -> np.dtype: ...


ArrayLike = Union[Array, np.ndarray, np.bool_, np.number, bool, int, float, complex]
DTypeLike = Union[str, type[Any], np.dtype, SupportsDType]


# Names jax.typing has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.typing", __name__)
