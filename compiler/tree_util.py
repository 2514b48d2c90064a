"""Pytrees: nested tuples, lists, dicts (sorted keys), namedtuples, OrderedDicts, None,
and user-registered nodes, as in `jax.tree_util`."""
from __future__ import annotations

import collections
import dataclasses
import functools
from typing import Any, Callable, NamedTuple

_registry: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(nodetype, flatten_func, unflatten_func):
    """flatten_func(node) -> (children, aux); unflatten_func(aux, children) -> node."""
    _registry[nodetype] = (flatten_func, unflatten_func)


def register_pytree_node_class(cls):
    register_pytree_node(cls, lambda x: x.tree_flatten(), cls.tree_unflatten)
    return cls


def register_pytree_with_keys(nodetype, flatten_with_keys, unflatten_func, flatten_func=None):
    if flatten_func is None:
        def flatten_func(x):
            kids, aux = flatten_with_keys(x)
            return [c for _, c in kids], aux
    register_pytree_node(nodetype, flatten_func, unflatten_func)


def register_dataclass(nodetype, data_fields=None, meta_fields=None, drop_fields=()):
    if data_fields is None:
        fields = dataclasses.fields(nodetype)
        meta_fields = [f.name for f in fields if f.metadata.get("static", False)]
        data_fields = [f.name for f in fields if not f.metadata.get("static", False)
                       and f.name not in drop_fields]
    meta_fields = list(meta_fields or [])
    data_fields = list(data_fields)

    def flatten(x):
        return [getattr(x, n) for n in data_fields], tuple(getattr(x, n) for n in meta_fields)

    def unflatten(aux, children):
        kw = dict(zip(data_fields, children))
        kw.update(zip(meta_fields, aux))
        return nodetype(**kw)
    register_pytree_node(nodetype, flatten, unflatten)
    return nodetype


register_pytree_node(tuple, lambda t: (list(t), None), lambda _, c: tuple(c))
register_pytree_node(list, lambda l: (list(l), None), lambda _, c: list(c))
register_pytree_node(dict, lambda d: ([d[k] for k in sorted(d)], tuple(sorted(d))),
                     lambda keys, c: dict(zip(keys, c)))
register_pytree_node(collections.OrderedDict, lambda d: (list(d.values()), tuple(d)),
                     lambda keys, c: collections.OrderedDict(zip(keys, c)))
register_pytree_node(type(None), lambda _: ([], None), lambda _, c: None)


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields") and type(x) is not tuple


def _node_handler(x):
    t = type(x)
    h = _registry.get(t)
    if h is not None:
        return t, h
    if _is_namedtuple(x):
        return t, (lambda nt: (list(nt), None), lambda _, c, t=t: t(*c))
    if t is collections.defaultdict:
        return t, (lambda d: ([d[k] for k in sorted(d)], (d.default_factory, tuple(sorted(d)))),
                   lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c)))
    return None, None


class PyTreeDef:
    """The structure of a pytree: node type, aux data, children; leaves are `*`."""
    __slots__ = ("node_type", "aux", "children", "num_leaves", "_hash")

    def __init__(self, node_type, aux, children):
        self.node_type = node_type
        self.aux = aux
        self.children = tuple(children)
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in self.children)
        self._hash = None

    @property
    def num_nodes(self):
        return 1 + sum(c.num_nodes for c in self.children)

    def unflatten(self, leaves):
        return tree_unflatten(self, leaves)

    def __eq__(self, other):
        return (isinstance(other, PyTreeDef) and self.node_type is other.node_type
                and self.aux == other.aux and self.children == other.children)

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
        if self.node_type is None:
            return "*"
        kids = [c._str() for c in self.children]
        if self.node_type is tuple:
            return "(" + ", ".join(kids) + ("," if len(kids) == 1 else "") + ")"
        if self.node_type is list:
            return "[" + ", ".join(kids) + "]"
        if self.node_type is dict:
            return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(self.aux, kids)) + "}"
        if self.node_type is type(None):
            return "None"
        return f"CustomNode({self.node_type.__name__}[{self.aux!r}], [{', '.join(kids)}])"


_LEAF = PyTreeDef(None, None, ())


def _flatten(x, leaves, is_leaf):
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    t, h = _node_handler(x)
    if h is None:
        leaves.append(x)
        return _LEAF
    children, aux = h[0](x)
    return PyTreeDef(t, aux, [_flatten(c, leaves, is_leaf) for c in children])


def tree_flatten(tree, is_leaf=None):
    leaves = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves):
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
    t, h = td.node_type, _registry.get(td.node_type)
    if h is None:
        if issubclass(t, tuple) and hasattr(t, "_fields"):
            return t(*children)
        if t is collections.defaultdict:
            return collections.defaultdict(td.aux[0], zip(td.aux[1], children))
    return h[1](td.aux, children)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def treedef_children(treedef):
    return list(treedef.children)


def tree_map(f, tree, *rest, is_leaf=None):
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [flatten_up_to(treedef, r) for r in rest]
    return treedef.unflatten([f(*xs) for xs in zip(leaves, *others)])


def flatten_up_to(treedef: PyTreeDef, tree):
    """Leaves of `tree` at the leaf positions of `treedef` (tree may be deeper there)."""
    out = []

    def walk(td, x):
        if td.node_type is None:
            out.append(x)
            return
        t, h = _node_handler(x)
        if t is not td.node_type:
            raise ValueError(f"Custom node type mismatch; expected type: {td.node_type}; value: {x!r}.")
        children, aux = h[0](x)
        if aux != td.aux or len(children) != len(td.children):
            raise ValueError(f"Mismatch custom node data: {aux!r} != {td.aux!r}; value: {x!r}.")
        for c, sub in zip(td.children, children):
            walk(c, sub)
    walk(treedef, tree)
    return out


def tree_reduce(function, tree, initializer=..., is_leaf=None):
    leaves = tree_leaves(tree, is_leaf)
    if initializer is ...:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree):
    return all(tree_leaves(tree))


def tree_transpose(outer_treedef, inner_treedef, pytree_to_transpose):
    flat = flatten_up_to(outer_treedef, pytree_to_transpose)
    inner = [flatten_up_to(inner_treedef, x) for x in flat]
    cols = list(zip(*inner)) if inner else [[] for _ in range(inner_treedef.num_leaves)]
    return inner_treedef.unflatten([outer_treedef.unflatten(list(c)) for c in cols])


def all_leaves(iterable, is_leaf=None):
    return all(tree_structure(x, is_leaf) == _LEAF for x in iterable)


def tree_flatten_with_path(tree, is_leaf=None):
    out = []

    def walk(x, path):
        if is_leaf is not None and is_leaf(x):
            out.append((path, x)); return
        t, h = _node_handler(x)
        if h is None:
            out.append((path, x)); return
        children, aux = h[0](x)
        if t is dict or t is collections.OrderedDict:
            keys = [DictKey(k) for k in (aux if t is dict else aux)]
        elif _is_namedtuple(x):
            keys = [GetAttrKey(f) for f in type(x)._fields]
        else:
            keys = [SequenceKey(i) for i in range(len(children))]
        for k, c in zip(keys, children):
            walk(c, path + (k,))
    walk(tree, ())
    return out, tree_structure(tree, is_leaf)


def tree_map_with_path(f, tree, *rest, is_leaf=None):
    pairs, treedef = tree_flatten_with_path(tree, is_leaf)
    others = [flatten_up_to(treedef, r) for r in rest]
    return treedef.unflatten([f(p, x, *xs) for (p, x), *xs in zip(pairs, *others)])


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


def keystr(path):
    return "".join(str(k) for k in path)


class Partial(functools.partial):
    """A functools.partial that is a pytree over its arguments."""


register_pytree_node(Partial, lambda p: ((p.args, p.keywords), p.func),
                     lambda func, c: Partial(func, *c[0], **c[1]))
