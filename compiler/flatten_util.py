# Copyright 2018 The JAX Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
# Modified for mlax from JAX's jax/_src/flatten_util.py (jax 0.10.2).
"""mlax.flatten_util: `ravel_pytree`, a pytree of arrays as one flat vector and back."""
from __future__ import annotations

import numpy as np

from mlax import dtypes
from mlax import lax
from mlax import numpy as jnp
from mlax.pytree import tree_flatten, tree_unflatten

__all__ = ["ravel_pytree"]


class _HashablePartial:
    """functools.partial compared and hashed by its function and arguments, so equal
    unravel functions are equal (as JAX's, which jit may take as static arguments)."""

    def __init__(self, f, *args):
        self.f, self.args = f, args

    def __eq__(self, other):
        return type(other) is _HashablePartial and self.f is other.f and self.args == other.args

    def __hash__(self):
        return hash((self.f, self.args))

    def __call__(self, *args):
        return self.f(*self.args, *args)


def ravel_pytree(pytree):
    """(flat, unravel): the leaves raveled and concatenated into one 1-d array at their
    promoted dtype (float32 and empty for a tree without leaves), and the function that
    rebuilds a tree of the same structure, shapes and dtypes from such a vector."""
    leaves, treedef = tree_flatten(pytree)
    flat, unravel_list = _ravel_list(leaves)
    return flat, _HashablePartial(_unravel_pytree, treedef, unravel_list)


def _unravel_pytree(treedef, unravel_list, flat):
    return tree_unflatten(treedef, unravel_list(flat))


def _dtype(x):
    return dtypes.canonicalize_dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


def _ravel_list(lst):
    if not lst:
        return jnp.zeros((0,), np.float32), lambda _: []
    from_dtypes = tuple(_dtype(x) for x in lst)
    to_dtype = dtypes.result_type(*from_dtypes)
    sizes = tuple(int(np.size(x)) for x in lst)
    shapes = tuple(tuple(np.shape(x)) for x in lst)
    if all(dt == to_dtype for dt in from_dtypes):
        # No conversion: the unravel function keeps the dtype it is given (JAX issue 7809).
        raveled = jnp.concatenate([jnp.ravel(jnp.asarray(e, to_dtype)) for e in lst])
        return raveled, _HashablePartial(_unravel_list_single_dtype, sizes, shapes)
    raveled = jnp.concatenate([jnp.ravel(lax.convert_element_type(jnp.asarray(e), to_dtype))
                               for e in lst])
    return raveled, _HashablePartial(_unravel_list, sizes, shapes, from_dtypes, to_dtype)


def _split(arr, sizes):
    offsets = np.cumsum((0,) + sizes)
    return [lax.slice(arr, (int(lo),), (int(hi),)) for lo, hi in zip(offsets[:-1], offsets[1:])]


def _unravel_list_single_dtype(sizes, shapes, arr):
    return [jnp.reshape(chunk, shape) for chunk, shape in zip(_split(arr, sizes), shapes)]


def _unravel_list(sizes, shapes, from_dtypes, to_dtype, arr):
    arr_dtype = _dtype(arr)
    if arr_dtype != to_dtype:
        raise TypeError(f"unravel function given array of dtype {arr_dtype}, "
                        f"but expected dtype {to_dtype}")
    return [lax.convert_element_type(jnp.reshape(chunk, shape), dtype)
            for chunk, shape, dtype in zip(_split(arr, sizes), shapes, from_dtypes)]


# Names jax.flatten_util has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.flatten_util", __name__)
