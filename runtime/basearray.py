"""`mlax.Array`: the abstract array type of JAX programs (`jax.Array`).

`isinstance(x, mlax.Array)` is true of concrete arrays (`mlax.runtime.Array`) and of the
tracers that stand for arrays inside jit, grad and vmap (mlax.tracing registers its
`Tracer`), as `isinstance(x, jax.Array)` is in JAX; annotations use it the same way. The
concrete class is registered, not derived, so it keeps its own fast attribute access."""
from __future__ import annotations

import abc

from mlax.runtime.array import Array as _ConcreteArray


class Array(abc.ABC):
    """The type of mlax arrays, concrete or traced (an abstract base class)."""
    __slots__ = ()


Array.register(_ConcreteArray)
