# Source: JAX docs, "Pytrees" and "Custom pytree nodes"
#   https://docs.jax.dev/en/latest/pytrees.html (docs/pytrees.md in github.com/jax-ml/jax)
#   https://docs.jax.dev/en/latest/custom_pytrees.html
# Changed: 1-32-32-1 MLP instead of 1-128-128-1, trained 30 steps; printed values go
# through report(); tree definitions and key paths are reported as strings.
import collections
from typing import NamedTuple, Any

import numpy as np
import jax
import jax.numpy as jnp
from jax.tree_util import register_pytree_node

from _report import report

example_trees = [
    [1, 'a', None],
    (1, (2, 3), ()),
    [1, {'k1': 2, 'k2': (3, 4)}, 5],
    {'a': 2, 'b': (2, 3)},
    jnp.array([1, 2, 3]),
]
for i, pytree in enumerate(example_trees):
    report(f"leaves of tree {i}", jax.tree.leaves(pytree))

params = {'W': jnp.zeros((2, 3)), 'b': jnp.zeros(3)}
leaves, treedef = jax.tree.flatten(params)
report("flatten leaves", leaves)
report("treedef num_leaves", treedef.num_leaves)
report("unflatten", jax.tree.unflatten(treedef, leaves))

list_of_lists = [[1, 2, 3], [1, 2], [1, 2, 3, 4]]
report("tree.map", jax.tree.map(lambda x: x * 2, list_of_lists))
report("tree.map two trees", jax.tree.map(lambda x, y: x + y, list_of_lists, list_of_lists))


def loss(params, x):
    pred = jnp.dot(x, params['W']) + params['b']
    return jnp.sum(pred ** 2)


params = {'W': jnp.ones(3), 'b': 0.5}
x = jnp.array([[1., 2., 3.], [4., 5., 6.]])
report("grad of dict params", jax.grad(loss)(params, x))

np.random.seed(0)


def init_mlp_params(layer_widths):
    params = []
    for n_in, n_out in zip(layer_widths[:-1], layer_widths[1:]):
        params.append(dict(weights=np.random.normal(size=(n_in, n_out)) * np.sqrt(2 / n_in),
                           biases=np.ones(shape=(n_out,))))
    return params


params = init_mlp_params([1, 32, 32, 1])
report("param shapes", jax.tree.map(lambda x: x.shape, params))


def forward(params, x):
    *hidden, last = params
    for layer in hidden:
        x = jax.nn.relu(x @ layer['weights'] + layer['biases'])
    return x @ last['weights'] + last['biases']


def loss_fn(params, x, y):
    return jnp.mean((forward(params, x) - y) ** 2)


LEARNING_RATE = 0.0001


@jax.jit
def update(params, x, y):
    grads = jax.grad(loss_fn)(params, x, y)
    return jax.tree.map(lambda p, g: p - LEARNING_RATE * g, params, grads)


x = np.random.normal(size=(128, 1))
y = x ** 2
for _ in range(30):
    params = update(params, x, y)
report("mlp loss", loss_fn(params, x, y), rtol=1e-3)

ATuple = collections.namedtuple("ATuple", ('name',))
tree = [1, {'k1': 2, 'k2': (3, 4)}, ATuple('foo')]
flattened, _ = jax.tree_util.tree_flatten_with_path(tree)
report("key paths", [(jax.tree_util.keystr(key_path), value) for key_path, value in flattened])


class Special:
    def __init__(self, x, y):
        self.x = x
        self.y = y


report("unregistered class is a leaf", len(jax.tree.leaves([Special(0, 1), Special(2, 4)])))


class RegisteredSpecial(Special):
    def __repr__(self):
        return f"RegisteredSpecial(x={self.x}, y={self.y})"


def special_flatten(v):
    children = (v.x, v.y)
    aux_data = None
    return children, aux_data


def special_unflatten(aux_data, children):
    return RegisteredSpecial(*children)


register_pytree_node(RegisteredSpecial, special_flatten, special_unflatten)
mapped = jax.tree.map(lambda x: x + 1, [RegisteredSpecial(0, 1), RegisteredSpecial(2, 4)])
report("registered tree.map", [(s.x, s.y) for s in mapped])
g = jax.grad(lambda s: s.x ** 2 + s.y)(RegisteredSpecial(3.0, 4.0))
report("grad of registered class", (g.x, g.y))


class MyOtherContainer(NamedTuple):
    name: str
    a: Any
    b: Any


report("NamedTuple leaves", jax.tree.leaves([MyOtherContainer('alice', 1, 2),
                                              MyOtherContainer('bob', 3, 4)]))


@jax.tree_util.register_pytree_node_class
class MyContainer:
    def __init__(self, name, a, b):
        self.name = name
        self.a = a
        self.b = b

    def tree_flatten(self):
        return (self.a, self.b), self.name

    @classmethod
    def tree_unflatten(cls, name, children):
        return cls(name, *children)


c = jax.jit(lambda c: MyContainer(c.name, c.a * 2, c.b + 1))(MyContainer('x', jnp.ones(2), 3.))
report("register_pytree_node_class under jit", (c.name, c.a, c.b))

import dataclasses
import functools


@functools.partial(jax.tree_util.register_dataclass,
                   data_fields=['a', 'b'], meta_fields=['name'])
@dataclasses.dataclass
class MyDataclassContainer:
    name: str
    a: Any
    b: Any


d = jax.tree.map(lambda x: x * 10, MyDataclassContainer('d', 1., jnp.arange(3.)))
report("register_dataclass", (d.name, d.a, d.b))

report("tree.reduce", jax.tree.reduce(lambda a, b: a + b, [1, (2, 3), {'x': 4}]))
report("tree.structure equal", jax.tree.structure([1, (2, 3)]) == jax.tree.structure([0, (0, 0)]))
report("tree_transpose", jax.tree_util.tree_transpose(
    jax.tree.structure([0, 0]), jax.tree.structure((0, 0)), [(1, 2), (3, 4)]))
report("None is an empty subtree", jax.tree.leaves([None, 1, (None, 2)]))
report("is_leaf", jax.tree.map(lambda t: sum(t), [(1, 2), (3, 4)],
                               is_leaf=lambda t: isinstance(t, tuple)))
report("tree.map_with_path", jax.tree_util.tree_map_with_path(
    lambda p, v: jax.tree_util.keystr(p) + "=" + str(v), {'a': 1, 'b': [2, 3]}))
