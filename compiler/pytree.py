"""The pytree machinery: nested containers whose leaves are arrays (mlax.tree_util, as
`jax.tree_util`, is its public face).

Containers (nodes) are tuples, lists, dicts (children in sorted key order, as JAX),
OrderedDicts and defaultdicts (insertion / sorted order), namedtuples, None (a node with
no children: an empty subtree), and the types registered with `register_pytree_node`,
`register_pytree_node_class`, `register_pytree_with_keys`, `register_dataclass` or
`register_static`. Everything else is a leaf.

`tree_flatten(tree)` returns the leaves (left to right) and a `PyTreeDef`, which rebuilds
the tree from new leaves. The transforms (jit, vmap, grad, control flow, ...) take trees
apart with these functions. A type registered with `register_public_leaf` as well (typed
PRNG key arrays, over their uint32 data) is a node here, so transforms pass its data, and
one leaf to the public functions of mlax.tree_util, as in JAX.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Callable, NamedTuple, TypeVar


class _Node(NamedTuple):
    """How to take one node type apart: flatten(x) -> (children, aux);
    unflatten(aux, children) -> x; keys(x, aux, n) -> a key per child, for paths."""
    flatten: Callable
    unflatten: Callable
    keys: Callable


_registry: dict[type, _Node] = {}
# Node types that mlax.tree_util's functions (JAX's public ones) treat as leaves.
_public_leaves: set[type] = set()


def register_public_leaf(nodetype):
    """Make the registered node type `nodetype` one leaf to mlax.tree_util's functions
    (what users and libraries see), while the transforms take it apart."""
    _public_leaves.add(nodetype)


def public_leaf(x) -> bool:
    """Whether `x` is of a type registered with `register_public_leaf`."""
    return type(x) in _public_leaves


# ---------------------------------------------------------------------------------------
# Path keys


class DictKey(NamedTuple):
    key: Any

    def __str__(self):
        return f"[{self.key!r}]"


class SequenceKey(NamedTuple):
    idx: int

    def __str__(self):
        return f"[{self.idx}]"


class GetAttrKey(NamedTuple):
    name: str

    def __str__(self):
        return f".{self.name}"


class FlattenedIndexKey(NamedTuple):
    key: int

    def __str__(self):
        return f"[<flat index {self.key}>]"


def keystr(keys, *, simple=False, separator=""):
    """The path `keys` as text: `[0]['w'].bias`."""
    if simple:
        return separator.join(str(getattr(k, f)) for k in keys
                              for f in ("key", "idx", "name") if hasattr(k, f))
    return separator.join(str(k) for k in keys)


def _index_keys(x, aux, n):
    return [FlattenedIndexKey(i) for i in range(n)]


def _sequence_keys(x, aux, n):
    return [SequenceKey(i) for i in range(n)]


# ---------------------------------------------------------------------------------------
# Registration


def register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys_func=None):
    """flatten_func(node) -> (children, aux); unflatten_func(aux, children) -> node."""
    keys = _index_keys
    if flatten_with_keys_func is not None:
        def keys(x, aux, n, f=flatten_with_keys_func):
            return [k for k, _ in f(x)[0]]
    _registry[nodetype] = _Node(flatten_func, unflatten_func, keys)
    return nodetype


def register_pytree_node_class(cls):
    """Register a class with `tree_flatten(self)` and `tree_unflatten(cls, aux, children)`."""
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func, flatten_func=None):
    """flatten_with_keys(node) -> ([(key, child), ...], aux)."""
    if flatten_func is None:
        def flatten_func(x):
            kids, aux = flatten_with_keys(x)
            return [c for _, c in kids], aux
    return register_pytree_node(nodetype, flatten_func, unflatten_func, flatten_with_keys)


def register_pytree_with_keys_class(cls):
    """Register a class with `tree_flatten_with_keys(self)` and `tree_unflatten`."""
    flatten = (lambda x: x.tree_flatten()) if hasattr(cls, "tree_flatten") else None
    register_pytree_with_keys(cls, lambda x: x.tree_flatten_with_keys(), cls.tree_unflatten,
                              flatten)
    return cls


def register_dataclass(nodetype=None, data_fields=None, meta_fields=None, drop_fields=()):
    """Register a dataclass: `data_fields` are children, `meta_fields` static aux data.

    Without field lists, fields with `metadata=dict(static=True)` are meta fields and the
    others data fields. Usable as a decorator, with or without arguments."""
    if nodetype is None:
        return functools.partial(register_dataclass, data_fields=data_fields,
                                 meta_fields=meta_fields, drop_fields=drop_fields)
    if data_fields is None:
        if not dataclasses.is_dataclass(nodetype):
            raise TypeError(f"register_dataclass: {nodetype.__name__} is not a dataclass; pass "
                            "data_fields and meta_fields explicitly.")
        fields = [f for f in dataclasses.fields(nodetype)
                  if f.init and f.name not in drop_fields]
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)]
    meta_fields = list(meta_fields or [])
    data_fields = list(data_fields)

    def flatten(x):
        return [getattr(x, n) for n in data_fields], tuple(getattr(x, n) for n in meta_fields)

    def unflatten(aux, children):
        kw = dict(zip(data_fields, children))
        kw.update(zip(meta_fields, aux))
        return nodetype(**kw)

    def with_keys(x):
        return [(GetAttrKey(n), getattr(x, n)) for n in data_fields], \
            tuple(getattr(x, n) for n in meta_fields)
    register_pytree_node(nodetype, flatten, unflatten, with_keys)
    return nodetype


def register_static(cls):
    """Register `cls` as a node with no children: its instances are static data."""
    register_pytree_node(cls, lambda x: ((), x), lambda aux, _: aux)
    return cls


def _dict_keys(x, aux, n):
    return [DictKey(k) for k in aux]


_registry[tuple] = _Node(lambda t: (t, None), lambda _, c: tuple(c), _sequence_keys)
_registry[list] = _Node(lambda l: (l, None), lambda _, c: list(c), _sequence_keys)
_registry[dict] = _Node(lambda d: ([d[k] for k in sorted(d)], tuple(sorted(d))),
                        lambda keys, c: dict(zip(keys, c)), _dict_keys)
_registry[collections.OrderedDict] = _Node(
    lambda d: (list(d.values()), tuple(d)),
    lambda keys, c: collections.OrderedDict(zip(keys, c)), _dict_keys)
_registry[collections.defaultdict] = _Node(
    lambda d: ([d[k] for k in sorted(d)], (d.default_factory, tuple(sorted(d)))),
    lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)),
    lambda x, aux, n: [DictKey(k) for k in aux[1]])
_registry[type(None)] = _Node(lambda _: ((), None), lambda _, c: None, _sequence_keys)


def _namedtuple_node(t):
    return _Node(lambda nt: (nt, None), lambda _, c: t(*c),
                 lambda x, aux, n: [GetAttrKey(f) for f in t._fields])


def _node_of(x):
    """(type, _Node) of a node, or (None, None) for a leaf."""
    t = type(x)
    node = _registry.get(t)
    if node is not None:
        return t, node
    if issubclass(t, tuple) and hasattr(t, "_fields"):
        return t, _namedtuple_node(t)
    return None, None


def _node_of_type(t):
    node = _registry.get(t)
    if node is None and issubclass(t, tuple) and hasattr(t, "_fields"):
        node = _namedtuple_node(t)
    return node


def is_tree_node(x, is_leaf=None):
    """Whether x is a pytree node (a container), not a leaf."""
    if is_leaf is not None and is_leaf(x):
        return False
    return _node_of(x)[0] is not None


# ---------------------------------------------------------------------------------------
# PyTreeDef


class PyTreeDef:
    """The structure of a pytree: node type, aux data and children; a leaf is `*`.

    `children` is the tuple of child PyTreeDefs (JAX's `treedef.children()` is
    `treedef_children(treedef)` here)."""
    __slots__ = ("node_type", "aux", "children", "num_leaves", "num_nodes", "_hash")

    def __init__(self, node_type, aux, children):
        self.node_type = node_type
        self.aux = aux
        self.children = tuple(children)
        if node_type is None:
            self.num_leaves, self.num_nodes = 1, 1
        else:
            self.num_leaves = sum(c.num_leaves for c in self.children)
            self.num_nodes = 1 + sum(c.num_nodes for c in self.children)
        self._hash = None

    def unflatten(self, leaves):
        return tree_unflatten(self, leaves)

    def flatten_up_to(self, tree):
        return flatten_up_to(self, tree)

    def node_data(self):
        return None if self.node_type is None else (self.node_type, self.aux)

    def __eq__(self, other):
        return (isinstance(other, PyTreeDef) and self.node_type is other.node_type
                and _aux_eq(self.aux, other.aux) and self.children == other.children)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        if self._hash is None:
            try:
                aux = hash(self.aux)
            except TypeError:
                aux = id(self.aux)
            self._hash = hash((self.node_type, aux, self.children))
        return self._hash

    def __repr__(self):
        return f"PyTreeDef({self._str()})"

    def _str(self):
        t = self.node_type
        if t is None:
            return "*"
        kids = [c._str() for c in self.children]
        if t is tuple:
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if t is list:
            return "[" + ", ".join(kids) + "]"
        if t is dict:
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.aux, kids)) + "}"
        if t is type(None):
            return "None"
        if issubclass(t, tuple) and hasattr(t, "_fields") and t not in _registry:
            return f"CustomNode(namedtuple[{t.__name__}], [{', '.join(kids)}])"
        return f"CustomNode({t.__name__}[{self.aux!r}], [{', '.join(kids)}])"


def _aux_eq(a, b):
    try:
        return bool(a == b)
    except Exception:      # e.g. arrays as aux data
        return a is b


_LEAF = PyTreeDef(None, None, ())


# ---------------------------------------------------------------------------------------
# Flatten / unflatten


def _flatten(x, leaves, is_leaf):
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t, node = _node_of(x)
    if node is None:
        leaves.append(x)
        return _LEAF
    children, aux = node.flatten(x)
    return PyTreeDef(t, aux, [_flatten(c, leaves, is_leaf) for c in children])


def tree_flatten(tree, is_leaf=None):
    """(leaves, treedef) of `tree`; `is_leaf(x)` True stops the descent at x."""
    leaves = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves):
    """The tree of structure `treedef` with `leaves` in order."""
    it = iter(leaves)
    out = _unflatten(treedef, it)
    try:
        next(it)
    except StopIteration:
        return out
    raise ValueError(f"Too many leaves for PyTreeDef; expected {treedef.num_leaves}.")


def _unflatten(td, it):
    if td.node_type is None:
        try:
            return next(it)
        except StopIteration:
            raise ValueError("Too few leaves for PyTreeDef.") from None
    children = [_unflatten(c, it) for c in td.children]
    return _node_of_type(td.node_type).unflatten(td.aux, children)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def treedef_children(treedef):
    return list(treedef.children)


def treedef_is_leaf(treedef):
    return treedef.node_type is None


def treedef_tuple(treedefs):
    return PyTreeDef(tuple, None, list(treedefs))


def all_leaves(iterable, is_leaf=None):
    """Whether every element of `iterable` is a leaf."""
    return all(tree_structure(x, is_leaf) == _LEAF for x in iterable)


def flatten_one_level(tree):
    """(children, aux) of a node; ValueError for a leaf."""
    t, node = _node_of(tree)
    if node is None:
        raise ValueError(f"flatten_one_level: {type(tree).__name__} is a leaf, not a node")
    children, aux = node.flatten(tree)
    return list(children), aux


def flatten_one_level_with_keys(tree):
    """(((key, child), ...), aux) of a node; ValueError for a leaf."""
    t, node = _node_of(tree)
    if node is None:
        raise ValueError(f"can't tree-flatten type: {type(tree)}")
    children, aux = node.flatten(tree)
    children = list(children)
    return tuple(zip(node.keys(tree, aux, len(children)), children)), aux


KeyEntry = TypeVar("KeyEntry", bound=Any)
KeyLeafPair = tuple[KeyEntry, Any]
KeyPath = tuple[KeyEntry, ...]


def _type_name(t):
    return "None" if t is type(None) else repr(t)


def flatten_up_to(treedef: PyTreeDef, tree, what="tree"):
    """The subtrees of `tree` at the leaf positions of `treedef` (a prefix of tree's
    structure). A mismatch raises ValueError naming the key path."""
    out = []

    def fail(path, msg):
        raise ValueError(f"pytree structure error: {msg} at key path\n    {what}{keystr(path)}")

    def walk(td, x, path):
        if td.node_type is None:
            out.append(x)
            return
        t, node = _node_of(x)
        if t is not td.node_type:
            fail(path, f"different types (expected {_type_name(td.node_type)}, got "
                       f"{_type_name(type(x)) if t is None else _type_name(t)} with value {x!r})")
        children, aux = node.flatten(x)
        children = list(children)
        if len(children) != len(td.children):
            fail(path, f"different lengths of {td.node_type.__name__} (expected "
                       f"{len(td.children)}, got {len(children)})")
        if not _aux_eq(aux, td.aux):
            fail(path, f"different pytree metadata (expected {td.aux!r}, got {aux!r})")
        keys = node.keys(x, aux, len(children))
        for c, sub, k in zip(td.children, children, keys):
            walk(c, sub, path + (k,))
    walk(treedef, tree, ())
    return out


# ---------------------------------------------------------------------------------------
# Maps and reductions


def tree_map(f, tree, *rest, is_leaf=None):
    """The tree of `f(leaf, *corresponding leaves of rest)`; `rest` trees must have the
    structure of `tree` (or have it as a prefix: their subtrees there are passed whole)."""
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "tree_map tree") for r in rest]
    return treedef.unflatten([f(*xs) for xs in zip(leaves, *others)])


def tree_reduce(function, tree, initializer=..., is_leaf=None):
    leaves = tree_leaves(tree, is_leaf)
    if initializer is ...:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_reduce_associative(operation, tree, *, identity=..., is_leaf=None):
    """Reduce the leaves with an associative `operation`, pairwise (a balanced tree)."""
    leaves = tree_leaves(tree, is_leaf)
    if not leaves:
        if identity is ...:
            raise TypeError("tree_reduce_associative: an empty tree needs an identity")
        return identity
    while len(leaves) > 1:
        pairs = [operation(leaves[i], leaves[i + 1]) for i in range(0, len(leaves) - 1, 2)]
        leaves = pairs + ([leaves[-1]] if len(leaves) % 2 else [])
    return leaves[0]


def tree_all(tree, *, is_leaf=None):
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    """A tree of outer structure of inner-structured trees -> inner of outer."""
    flat = flatten_up_to(outer_treedef, pytree_to_transpose)
    if inner_treedef is None:
        inner_treedef = tree_structure(flat[0]) if flat else _LEAF
    inner = [flatten_up_to(inner_treedef, x) for x in flat]
    cols = list(zip(*inner)) if inner else [[] for _ in range(inner_treedef.num_leaves)]
    return inner_treedef.unflatten([outer_treedef.unflatten(list(c)) for c in cols])


def tree_broadcast(prefix_tree, full_tree, is_leaf=None):
    """`prefix_tree` with each leaf repeated over the matching subtree of `full_tree`."""
    leaves, treedef = tree_flatten(prefix_tree, is_leaf)
    subtrees = flatten_up_to(treedef, full_tree, "tree_broadcast full tree")
    return treedef.unflatten([tree_map(lambda _, x=x: x, sub, is_leaf=is_leaf)
                              for x, sub in zip(leaves, subtrees)])


# ---------------------------------------------------------------------------------------
# Paths


def tree_flatten_with_path(tree, is_leaf=None):
    """([(key path, leaf), ...], treedef)."""
    out = []

    def walk(x, path):
        if is_leaf is not None and is_leaf(x):
            out.append((path, x))
            return
        t, node = _node_of(x)
        if node is None:
            out.append((path, x))
            return
        children, aux = node.flatten(x)
        children = list(children)
        for k, c in zip(node.keys(x, aux, len(children)), children):
            walk(c, path + (k,))
    walk(tree, ())
    return out, tree_structure(tree, is_leaf)


def tree_leaves_with_path(tree, is_leaf=None):
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(f, tree, *rest, is_leaf=None):
    """tree_map with `f(key_path, leaf, *others)`."""
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [flatten_up_to(treedef, r, "tree_map tree") for r in rest]
    return treedef.unflatten([f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


# ---------------------------------------------------------------------------------------


class Partial(functools.partial):
    """A functools.partial that is a pytree over its arguments (the function is static)."""


register_pytree_node(Partial, lambda p: ((p.args, p.keywords), p.func),
                     lambda func, c: Partial(func, *c[0], **c[1]))
