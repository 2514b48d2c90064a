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
# Modified for mlax from JAX's jax/_src/lax/control_flow/loops.py (jax 0.10.2).
"""`lax.associative_scan`: JAX's parallel prefix scan (Blelloch's odd/even recursion),
written with lax slices, pads and concatenations, so it is ordinary IR that every transform
(grad, vmap, jit) handles. `fn` is called on whole slices, O(log n) times; the order of the
combinations, hence the rounding, is JAX's. It sits above mlax.numpy (reversal is
`jnp.flip`) and is loaded by `mlax.lax` on first use."""
from __future__ import annotations

import functools

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.pytree import tree_flatten, tree_unflatten

__all__ = ["associative_scan"]


def _slice_in_dim(x, start, limit, stride, axis):
    """JAX's slice_in_dim: a `limit` of None is the end, a negative one counts from it."""
    n = x.shape[axis]
    limit = n if limit is None else (limit + n if limit < 0 else limit)
    return lax.slice_in_dim(x, start, max(limit, start), stride, axis)


def _interleave(a, b, axis):
    """a[0], b[0], a[1], b[1], ... along `axis` (len(a) is len(b) or len(b) + 1)."""
    a_pad = [(0, 0, 0)] * a.ndim
    b_pad = [(0, 0, 0)] * b.ndim
    same = a.shape[axis] == b.shape[axis]
    a_pad[axis] = (0, 1 if same else 0, 1)
    b_pad[axis] = (1, 0 if same else 1, 1)
    op = lax.bitwise_or if a.dtype == np.bool_ else lax.add
    return op(lax.pad(a, np.zeros((), a.dtype), a_pad), lax.pad(b, np.zeros((), b.dtype), b_pad))


def associative_scan(fn, elems, reverse=False, axis=0):
    """All prefix combinations of `elems` along `axis` under the associative `fn` (JAX's
    `lax.associative_scan`): `fn(a, b)` takes and returns pytrees shaped like `elems`,
    combining slices elementwise."""
    if not callable(fn):
        raise TypeError("lax.associative_scan: fn argument should be callable.")
    elems_flat, tree = tree_flatten(elems)
    elems_flat = [jnp.asarray(e) for e in elems_flat]
    if not elems_flat:
        raise ValueError("lax.associative_scan: elems must contain at least one array")
    ndim = elems_flat[0].ndim
    if not -ndim <= axis < ndim or any(e.ndim != ndim for e in elems_flat):
        raise ValueError(f"lax.associative_scan: axis {axis} is out of bounds for the elems' "
                         f"shapes {[e.shape for e in elems_flat]}")
    axis = axis % ndim
    if reverse:
        elems_flat = [jnp.flip(e, axis) for e in elems_flat]

    def combine(a_flat, b_flat):
        c_flat, c_tree = tree_flatten(fn(tree_unflatten(tree, a_flat), tree_unflatten(tree, b_flat)))
        if c_tree != tree:
            raise TypeError(f"lax.associative_scan: fn must return a pytree like elems "
                            f"({tree}), got {c_tree}")
        return c_flat

    num_elems = int(elems_flat[0].shape[axis])
    if not all(int(e.shape[axis]) == num_elems for e in elems_flat[1:]):
        raise ValueError("Array inputs to associative_scan must have the same first dimension. "
                         f"(saw: {[e.shape for e in elems_flat]})")

    def _scan(elems):
        num_elems = elems[0].shape[axis]
        if num_elems < 2:
            return elems
        # Combine adjacent pairs; the scan of the pairs is the scan's odd elements.
        reduced = combine([_slice_in_dim(e, 0, -1, 2, axis) for e in elems],
                          [_slice_in_dim(e, 1, None, 2, axis) for e in elems])
        odd = _scan(reduced)
        # Each even element is the odd element before it combined with the input's.
        if num_elems % 2 == 0:
            even = combine([_slice_in_dim(e, 0, -1, 1, axis) for e in odd],
                           [_slice_in_dim(e, 2, None, 2, axis) for e in elems])
        else:
            even = combine(odd, [_slice_in_dim(e, 2, None, 2, axis) for e in elems])
        even = [lax.concatenate([_slice_in_dim(e, 0, 1, 1, axis), r], axis)
                for e, r in zip(elems, even)]
        return list(map(functools.partial(_interleave, axis=axis), even, odd))

    scans = _scan(elems_flat)
    if reverse:
        scans = [jnp.flip(s, axis) for s in scans]
    return tree_unflatten(tree, scans)
