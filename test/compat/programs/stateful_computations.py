# Source: JAX docs, "Stateful computations"
#   https://docs.jax.dev/en/latest/stateful-computations.html (docs/stateful-computations.md)
# Changed: plots left out; printed values go through report().
from typing import NamedTuple

import jax
import jax.numpy as jnp

from _report import report


class Counter:
    """A simple counter."""

    def __init__(self):
        self.n = 0

    def count(self) -> int:
        self.n += 1
        return self.n

    def reset(self):
        self.n = 0


counter = Counter()
report("counter", [counter.count() for _ in range(3)])
counter.reset()
fast_count = jax.jit(counter.count)
report("jitted counter is stuck", [fast_count() for _ in range(3)])

CounterState = int


class CounterV2:
    def count(self, n: CounterState) -> tuple[int, CounterState]:
        return n + 1, n + 1

    def reset(self) -> CounterState:
        return 0


counter = CounterV2()
state = counter.reset()
values = []
for _ in range(3):
    value, state = counter.count(state)
    values.append(value)
report("explicit state", values)
state = counter.reset()
fast_count = jax.jit(counter.count)
values = []
for _ in range(3):
    value, state = fast_count(state)
    values.append(value)
report("jitted explicit state", values)


class Params(NamedTuple):
    weight: jnp.ndarray
    bias: jnp.ndarray


def init(rng) -> Params:
    weights_key, bias_key = jax.random.split(rng)
    weight = jax.random.normal(weights_key, ())
    bias = jax.random.normal(bias_key, ())
    return Params(weight, bias)


def loss(params: Params, x: jnp.ndarray, y: jnp.ndarray) -> jnp.ndarray:
    pred = params.weight * x + params.bias
    return jnp.mean((pred - y) ** 2)


LEARNING_RATE = 0.005


@jax.jit
def update(params: Params, x: jnp.ndarray, y: jnp.ndarray) -> Params:
    grad = jax.grad(loss)(params, x, y)
    new_params = jax.tree.map(lambda param, g: param - g * LEARNING_RATE, params, grad)
    return new_params


rng = jax.random.key(42)
true_w, true_b = 2, -1
x_rng, noise_rng = jax.random.split(rng)
xs = jax.random.normal(x_rng, (128, 1))
noise = jax.random.normal(noise_rng, (128, 1)) * 0.5
ys = xs * true_w + true_b + noise

params = init(rng)
report("init params", tuple(params))
for _ in range(1000):
    params = update(params, xs, ys)
report("w", params.weight, rtol=1e-3)
report("b", params.bias, rtol=1e-3)
report("type of params", type(params).__name__)
