"""Pytrees, as in `jax.tree_util`: nested containers whose leaves are arrays.

Containers (nodes) are tuples, lists, dicts (children in sorted key order, as JAX),
OrderedDicts and defaultdicts (insertion / sorted order), namedtuples, None (a node with
no children: an empty subtree), and the types registered with `register_pytree_node`,
`register_pytree_node_class`, `register_pytree_with_keys`, `register_dataclass` or
`register_static`. Everything else is a leaf; so is a typed PRNG key array
(`mlax.random.key`), as in JAX, though the transforms take it apart into its uint32 data
(mlax.pytree, the machinery, registers it with `register_public_leaf`).

`tree_flatten(tree)` returns the leaves (left to right) and a `PyTreeDef`, which rebuilds
the tree from new leaves. The mlax.tree module offers the same functions under JAX's
`jax.tree` names (`mlax.tree.map`, ...).
"""
from __future__ import annotations

from mlax import pytree
from mlax.pytree import (DictKey, FlattenedIndexKey, GetAttrKey, KeyEntry,  # noqa: F401
                         KeyLeafPair, KeyPath, Partial, PyTreeDef, SequenceKey, flatten_up_to,
                         keystr, register_dataclass, register_pytree_node,
                         register_pytree_node_class, register_pytree_with_keys,
                         register_pytree_with_keys_class, register_static, tree_transpose,
                         tree_unflatten, treedef_children, treedef_is_leaf, treedef_tuple)


def _leaf(is_leaf):
    """`is_leaf` extended to the types that are one leaf here (pytree.public_leaf)."""
    if is_leaf is None:
        return pytree.public_leaf
    return lambda x: pytree.public_leaf(x) or is_leaf(x)


def is_tree_node(x, is_leaf=None):
    return pytree.is_tree_node(x, _leaf(is_leaf))


def tree_flatten(tree, is_leaf=None):
    """(leaves, treedef) of `tree`; `is_leaf(x)` True stops the descent at x."""
    return pytree.tree_flatten(tree, _leaf(is_leaf))


def tree_leaves(tree, is_leaf=None):
    return pytree.tree_leaves(tree, _leaf(is_leaf))


def tree_structure(tree, is_leaf=None):
    return pytree.tree_structure(tree, _leaf(is_leaf))


def all_leaves(iterable, is_leaf=None):
    return pytree.all_leaves(iterable, _leaf(is_leaf))


def flatten_one_level(tree):
    if pytree.public_leaf(tree):
        raise ValueError(f"flatten_one_level: {type(tree).__name__} is a leaf, not a node")
    return pytree.flatten_one_level(tree)


def flatten_one_level_with_keys(tree):
    if pytree.public_leaf(tree):
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    return pytree.flatten_one_level_with_keys(tree)


def tree_map(f, tree, *rest, is_leaf=None):
    return pytree.tree_map(f, tree, *rest, is_leaf=_leaf(is_leaf))


def tree_reduce(function, tree, initializer=..., is_leaf=None):
    return pytree.tree_reduce(function, tree, initializer, _leaf(is_leaf))


def tree_reduce_associative(operation, tree, *, identity=..., is_leaf=None):
    return pytree.tree_reduce_associative(operation, tree, identity=identity,
                                          is_leaf=_leaf(is_leaf))


def tree_all(tree, *, is_leaf=None):
    return pytree.tree_all(tree, is_leaf=_leaf(is_leaf))


def tree_broadcast(prefix_tree, full_tree, is_leaf=None):
    return pytree.tree_broadcast(prefix_tree, full_tree, _leaf(is_leaf))


def tree_flatten_with_path(tree, is_leaf=None):
    return pytree.tree_flatten_with_path(tree, _leaf(is_leaf))


def tree_leaves_with_path(tree, is_leaf=None):
    return pytree.tree_leaves_with_path(tree, _leaf(is_leaf))


def tree_map_with_path(f, tree, *rest, is_leaf=None):
    return pytree.tree_map_with_path(f, tree, *rest, is_leaf=_leaf(is_leaf))


# Names jax.tree_util has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.tree_util", __name__)
