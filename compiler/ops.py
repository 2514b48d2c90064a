"""`mlax.ops`: the segment reductions (`segment_sum`, `segment_max`, `segment_min`,
`segment_prod`) and the indexed-update functions of older JAX (`jax.ops.index_update`),
kept because the tutorials use them; each of those is `x.at[idx].<op>(y)`.

A segment reduction is JAX's: one `mlax.scatter` of `data` into an array of
`(num_segments,) + data.shape[1:]` filled with the reduction's identity, at the rows named by
`segment_ids` (not counted from the end: a negative or too large id is dropped, or clamped
with `mode="clip"`). With `bucket_size`, each bucket of `bucket_size` consecutive rows is
reduced on its own and the buckets' results are reduced after, as JAX does. Gradients and
vmap are scatter's.
"""
import numpy as np

from mlax import core, lax
from mlax import numpy as jnp
from mlax.dispatch import bind
from mlax.numpy._indexing import _SCATTER_MODES, _mode, update
from mlax.tracing import Tracer


def _identity(kind, dtype):
    if kind == "add":
        return 0
    if kind == "mul":
        return 1
    if dtype == np.bool_:
        return kind == "min"
    if dtype.kind in "iu":
        return np.iinfo(dtype).max if kind == "min" else np.iinfo(dtype).min
    return np.inf if kind == "min" else -np.inf


def _segment(name, kind, reducer, data, segment_ids, num_segments, bucket_size, mode):
    data, ids = jnp.asarray(data), jnp.asarray(segment_ids)
    if np.dtype(ids.dtype).kind not in "iu":
        raise TypeError(f"{name}: segment_ids must be integers, got {ids.dtype}")
    if ids.ndim != 1 or data.ndim < 1 or data.shape[0] != ids.shape[0]:
        raise ValueError(f"{name}: segment_ids must be 1-d with one id per row of data; got "
                         f"segment_ids of shape {ids.shape} and data of shape {data.shape}")
    smode = _mode(mode, _SCATTER_MODES, "scatter")
    if num_segments is None:
        if isinstance(ids, Tracer):
            ids._concretization(core.ConcretizationTypeError,
                                f"{name} of traced segment_ids without num_segments",
                                "Pass num_segments= (a static int).")
        num_segments = int(np.max(np.asarray(ids))) + 1 if ids.size else 0
    if isinstance(num_segments, Tracer):
        num_segments._concretization(core.ConcretizationTypeError,
                                     f"{name}() `num_segments` argument",
                                     "num_segments must be a static int.")
    num_segments = int(num_segments)
    if num_segments < 0:
        raise ValueError("num_segments must be non-negative.")
    dtype = np.dtype(data.dtype)
    if np.dtype(ids.dtype) != np.int32:
        # Wider ids keep out of bounds when narrowed: bring them to [-1, num_segments] first.
        ids = lax.convert_element_type(jnp.clip(ids, -1 if ids.dtype.kind == "i" else 0,
                                                num_segments), np.int32)
    n = ids.shape[0]
    if bucket_size is None:
        out = jnp.full((num_segments,) + data.shape[1:], _identity(kind, dtype), dtype)
        index, inserted = ids[:, None], (0,)
    else:
        buckets = -(-n // int(bucket_size))
        out = jnp.full((buckets, num_segments) + data.shape[1:], _identity(kind, dtype), dtype)
        index = jnp.stack([jnp.arange(n, dtype=np.int32) // np.int32(bucket_size), ids], axis=1)
        inserted = (0, 1)
    result = bind("mlax.scatter", out, index, data, kind=kind,
                  update_window_dims=tuple(range(1, data.ndim)), inserted_window_dims=inserted,
                  scatter_dims_to_operand_dims=inserted, operand_batching_dims=(),
                  scatter_indices_batching_dims=(), mode=smode)
    return result if bucket_size is None else reducer(result, axis=0).astype(dtype)


def segment_sum(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None):
    """The sum of the rows of `data` in each segment (JAX's `jax.ops.segment_sum`)."""
    return _segment("segment_sum", "add", jnp.sum, data, segment_ids, num_segments,
                    bucket_size, mode)


def segment_prod(data, segment_ids, num_segments=None, indices_are_sorted=False,
                 unique_indices=False, bucket_size=None, mode=None):
    """The product of the rows of `data` in each segment; 1 for an empty segment."""
    return _segment("segment_prod", "mul", jnp.prod, data, segment_ids, num_segments,
                    bucket_size, mode)


def segment_max(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None):
    """The maximum of the rows of `data` in each segment; the dtype's lowest value (-inf)
    for an empty segment."""
    return _segment("segment_max", "max", jnp.max, data, segment_ids, num_segments,
                    bucket_size, mode)


def segment_min(data, segment_ids, num_segments=None, indices_are_sorted=False,
                unique_indices=False, bucket_size=None, mode=None):
    """The minimum of the rows of `data` in each segment; the dtype's highest value (inf)
    for an empty segment."""
    return _segment("segment_min", "min", jnp.min, data, segment_ids, num_segments,
                    bucket_size, mode)


class _Index:
    """`ops.index[0, :]` is the index tuple `(0, slice(None))`."""

    def __getitem__(self, idx):
        return idx


index = _Index()


def index_update(x, idx, y):
    return update(x, idx, y, "set")


def index_add(x, idx, y):
    return update(x, idx, y, "add")


def index_mul(x, idx, y):
    return update(x, idx, y, "mul")


def index_min(x, idx, y):
    return update(x, idx, y, "min")


def index_max(x, idx, y):
    return update(x, idx, y, "max")


# Names jax.ops has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.ops", __name__)
