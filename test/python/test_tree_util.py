"""Pytrees: mlax.tree_util and mlax.tree against JAX's behaviour (structures, leaf order,
printed treedefs, key paths, errors), and pytrees through jit."""
import collections
import dataclasses

import numpy as np
import pytest

import mlax
from mlax import numpy as jnp
from mlax import tree
from mlax import tree_util as tu

try:
    import jax
except ImportError:
    jax = None

Point = collections.namedtuple("Point", "x y")

TREES = [
    [1, {"k1": 2, "k2": (3, 4)}, 5],
    (1, (2, 3), ()),
    {"b": 1, "a": [2, None, 3]},
    [None, Point(1, 2), collections.OrderedDict(b=1, a=2)],
    collections.defaultdict(int, {"z": 1, "y": 2}),
    None,
    7,
    (1,),
]


@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_flatten_roundtrip(t):
    leaves, treedef = tu.tree_flatten(t)
    assert tu.tree_unflatten(treedef, leaves) == t
    assert treedef.num_leaves == len(leaves)
    assert tu.tree_structure(t) == treedef
    assert tu.tree_leaves(t) == leaves
    assert tree.unflatten(*tree.flatten(t)[::-1]) == t


@pytest.mark.skipif(jax is None, reason="jax is not installed")
@pytest.mark.parametrize("t", TREES, ids=range(len(TREES)))
def test_matches_jax(t):
    leaves, treedef = tu.tree_flatten(t)
    jleaves, jtreedef = jax.tree_util.tree_flatten(t)
    assert leaves == jleaves
    assert repr(treedef) == repr(jtreedef)
    assert treedef.num_nodes == jtreedef.num_nodes
    paths = [tu.keystr(p) for p, _ in tu.tree_flatten_with_path(t)[0]]
    jpaths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(t)[0]]
    assert paths == jpaths


def test_seed_tree_map_examples():
    t = [1, {"k1": 2, "k2": (3, 4)}, 5]
    assert tu.tree_map(lambda x: x * x, t) == [1, {"k1": 4, "k2": (9, 16)}, 25]
    t2 = tu.tree_map(lambda x: x * x, t)
    assert tu.tree_map(lambda x, y: x + y, t, t2) == [2, {"k1": 6, "k2": (12, 20)}, 30]
    assert mlax.tree_map(lambda x: -x, t) == [-1, {"k1": -2, "k2": (-3, -4)}, -5]
    assert tree.map(lambda x: x + 1, t) == [2, {"k1": 3, "k2": (4, 5)}, 6]


def test_seed_linear_regression_update():
    """jax.tree_map over a params dict and its gradient dict, inside jit."""
    params = {"W": jnp.ones((2, 3)), "b": jnp.zeros(3)}
    grads = {"W": jnp.full((2, 3), 2.0), "b": jnp.ones(3)}

    @mlax.jit
    def update(params, grads, lr):
        return mlax.tree_map(lambda p, g: p - lr * g, params, grads)
    new = update(params, grads, 0.5)
    assert sorted(new) == ["W", "b"]
    np.testing.assert_allclose(new["W"], np.zeros((2, 3)))
    np.testing.assert_allclose(new["b"], -0.5 * np.ones(3))


def test_none_is_an_empty_subtree():
    assert tu.tree_leaves([None, 1, {"a": None}]) == [1]
    assert tu.tree_map(lambda x: x + 1, {"a": None, "b": 1}) == {"a": None, "b": 2}
    assert tu.tree_map(lambda x, y: x + y, [None, 1], [None, 2]) == [None, 3]
    assert tu.tree_leaves([None, 1], is_leaf=lambda x: x is None) == [None, 1]
    with pytest.raises(ValueError, match=r"different types.*at key path\n    tree_map tree\[0\]"):
        tu.tree_map(lambda x, y: x, [None, 1], [5, 1])


def test_prefix_trees_and_errors():
    # A leaf of the first tree matches a whole subtree of the others.
    assert tu.tree_map(lambda x, y: (x, y), [1, 2], [[3, 4], {"a": 5}]) == \
        [(1, [3, 4]), (2, {"a": 5})]
    with pytest.raises(ValueError, match="different lengths of list"):
        tu.tree_map(lambda x, y: x, [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"metadata \(expected \('a',\), got \('b',\)\)"):
        tu.tree_map(lambda x, y: x, {"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="different types"):
        tu.tree_map(lambda x, y: x, (1, 2), [1, 2])


def test_tree_reduce_and_friends():
    t = {"a": 1, "b": [2, 3], "c": None}
    assert tu.tree_reduce(lambda a, b: a + b, t) == 6
    assert tu.tree_reduce(lambda a, b: a + b, t, 10) == 16
    assert tree.reduce_associative(lambda a, b: a * b, [1, 2, 3, 4, 5]) == 120
    assert tu.tree_all([True, {"x": True}]) and not tree.all([True, (False,)])
    assert tu.all_leaves([1, 2.0, "s"]) and not tu.all_leaves([1, [2]])
    assert tu.tree_transpose(tu.tree_structure([0, 0]), tu.tree_structure((0, 0)),
                             [(1, 2), (3, 4)]) == ([1, 3], [2, 4])
    assert tree.broadcast([1, 2], [(0, 0), {"a": 0}]) == [(1, 1), {"a": 2}]
    assert tree.leaves_with_path({"a": [1]}) == [((tu.DictKey("a"), tu.SequenceKey(0)), 1)]
    assert tree.map_with_path(lambda p, x: tu.keystr(p), {"a": [1]}) == {"a": ["['a'][0]"]}


def test_register_pytree_node_class():
    @tu.register_pytree_node_class
    class Box:
        def __init__(self, value, label):
            self.value, self.label = value, label

        def tree_flatten(self):
            return (self.value,), self.label

        @classmethod
        def tree_unflatten(cls, label, children):
            return cls(children[0], label)

    b = tu.tree_map(lambda x: x * 3, Box(2, "two"))
    assert isinstance(b, Box) and b.value == 6 and b.label == "two"
    assert repr(tu.tree_structure(Box(1, "l"))) == "PyTreeDef(CustomNode(Box['l'], [*]))"
    assert tu.keystr(tu.tree_flatten_with_path(Box(1, "l"))[0][0][0]) == "[<flat index 0>]"

    @mlax.jit
    def double(box):
        return tu.tree_map(lambda v: v * 2, box)
    out = double(Box(jnp.arange(3.0), "v"))
    assert out.label == "v"
    np.testing.assert_allclose(out.value, [0.0, 2.0, 4.0])


def test_register_pytree_node_and_keys():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    tu.register_pytree_with_keys(
        Pair, lambda p: (((tu.GetAttrKey("a"), p.a), (tu.GetAttrKey("b"), p.b)), None),
        lambda _, c: Pair(*c))
    paths = [tu.keystr(p) for p, _ in tu.tree_flatten_with_path(Pair(1, [2]))[0]]
    assert paths == [".a", ".b[0]"]
    assert tu.tree_leaves(Pair(1, [2, 3])) == [1, 2, 3]


def test_register_dataclass():
    @tu.register_dataclass
    @dataclasses.dataclass
    class Params:
        w: object
        b: object
        name: str = dataclasses.field(default="p", metadata=dict(static=True))

    p = Params(jnp.ones(2), jnp.zeros(2))
    leaves, treedef = tu.tree_flatten(p)
    assert len(leaves) == 2 and repr(treedef) == "PyTreeDef(CustomNode(Params[('p',)], [*, *]))"
    q = mlax.jit(lambda p: tu.tree_map(lambda x: x + 1, p))(p)
    assert isinstance(q, Params) and q.name == "p"
    np.testing.assert_allclose(q.w, [2.0, 2.0])

    @dataclasses.dataclass
    class Explicit:
        x: object
        tag: str
    tu.register_dataclass(Explicit, data_fields=["x"], meta_fields=["tag"])
    assert tu.tree_leaves(Explicit(3, "t")) == [3]
    with pytest.raises(TypeError, match="not a dataclass"):
        tu.register_dataclass(type("NotDC", (), {}))


def test_namedtuple_and_ordered_dict_through_jit():
    f = mlax.jit(lambda t: (Point(t[0].y, t[0].x), collections.OrderedDict(
        (k, v * 2) for k, v in t[1].items())))
    p, od = f((Point(jnp.float32(1), jnp.float32(2)), collections.OrderedDict(z=1.0, a=2.0)))
    assert isinstance(p, Point) and float(p.x) == 2.0 and float(p.y) == 1.0
    assert list(od) == ["z", "a"] and float(od["a"]) == 4.0


def test_register_static_and_partial():
    @tu.register_static
    class Config:
        def __init__(self, n):
            self.n = n

        def __eq__(self, other):
            return isinstance(other, Config) and other.n == self.n

        def __hash__(self):
            return hash(self.n)

    assert tu.tree_leaves([Config(3), 1]) == [1]
    part = tu.Partial(lambda a, b: a + b, jnp.float32(1))
    assert len(tu.tree_leaves(part)) == 1
    out = mlax.jit(lambda p, y: p(y))(part, jnp.float32(2))
    assert float(out) == 3.0


def test_treedef_helpers():
    td = tu.tree_structure({"a": (1, 2), "b": 3})
    assert [repr(c) for c in tu.treedef_children(td)] == ["PyTreeDef((*, *))", "PyTreeDef(*)"]
    assert tu.treedef_is_leaf(tu.tree_structure(1)) and not tu.treedef_is_leaf(td)
    assert tu.treedef_tuple([td, tu.tree_structure(1)]).num_leaves == 4
    assert td.flatten_up_to({"a": ([5], 7), "b": 6}) == [[5], 7, 6]
    assert tu.flatten_one_level({"b": 1, "a": 2}) == ([2, 1], ("a", "b"))
    with pytest.raises(ValueError, match="leaf"):
        tu.flatten_one_level(1)
    with pytest.raises(ValueError, match="Too few leaves"):
        td.unflatten([1, 2])
    with pytest.raises(ValueError, match="Too many leaves"):
        td.unflatten([1, 2, 3, 4])


def test_flatten_one_level_with_keys_as_jax():
    jtu = pytest.importorskip("jax").tree_util
    from mlax import tree_util as mtu
    for tree in ({"a": [1, 2], "b": 3}, [1, (2,)], (None, {"x": 1})):
        (mk, maux), (jk, jaux) = mtu.flatten_one_level_with_keys(tree), \
            jtu.flatten_one_level_with_keys(tree)
        assert [str(k) for k, _ in mk] == [str(k) for k, _ in jk]
        assert [c for _, c in mk] == [c for _, c in jk] and maux == jaux
    with pytest.raises(ValueError, match="tree-flatten"):
        mtu.flatten_one_level_with_keys(3)
    assert str(mtu.KeyPath) == str(jtu.KeyPath)
