# Source: JAX docs, "Common Gotchas in JAX" (the sharp bits)
#   https://docs.jax.dev/en/latest/notebooks/Common_Gotchas_in_JAX.html
#   (docs/notebooks/Common_Gotchas_in_JAX.md in github.com/jax-ml/jax)
# Changed: printed values go through report(); the cells that raise are caught and their
# exception types reported; the side effect of tracing is counted instead of printed.
import numpy as np
from jax import jit
from jax import lax
from jax import random
import jax
import jax.numpy as jnp

from _report import report, report_error

traces = []


def impure_print_side_effect(x):
    traces.append("Executing function")  # This is a side-effect
    return x


report("first call", jit(impure_print_side_effect)(4.))
report("second call", jit(impure_print_side_effect)(5.))
report("third call, different type", jit(impure_print_side_effect)(jnp.array([5.])))
report("traces", len(traces))

g = 0.


def impure_uses_globals(x):
    return x + g


report("globals first call", jit(impure_uses_globals)(4.))
g = 10.
report("globals second call", jit(impure_uses_globals)(5.))
report("globals third call", jit(impure_uses_globals)(jnp.array([4.])))


def pure_uses_internal_state(x):
    state = dict(even=0, odd=0)
    for i in range(10):
        state['even' if i % 2 == 0 else 'odd'] += x
    return state['even'] + state['odd']


report("internal state", jit(pure_uses_internal_state)(5.))

array = jnp.arange(10)
report("fori_loop", lax.fori_loop(0, 10, lambda i, x: x + array[i], 0))
iterator = iter(range(10))
report("fori_loop with iterator", lax.fori_loop(0, 10, lambda i, x: x + next(iterator), 0))


def func11(arr, extra):
    ones = jnp.ones(arr.shape)

    def body(carry, aelems):
        ae1, ae2 = aelems
        return (carry + ae1 * ae2 + extra, carry)
    return lax.scan(body, 0., (arr, ones))


report("scan", func11(jnp.arange(16), 5.))
array_operand = jnp.array([0.])
report("cond", lax.cond(True, lambda x: x + 1, lambda x: x - 1, array_operand))

numpy_array = np.zeros((3, 3), dtype=np.float32)
numpy_array[1, :] = 1.0
report("numpy in place", numpy_array)


def in_place():
    jax_array = jnp.zeros((3, 3), dtype=jnp.float32)
    jax_array[1, :] = 1.0


report_error("in-place update", in_place)

jax_array = jnp.array([10, 20])
jax_array_new = jax_array
jax_array_new += 10
report("rebound", jax_array_new)
report("original", jax_array)

jax_array = jnp.zeros((3, 3), dtype=jnp.float32)
updated_array = jax_array.at[1, :].set(1.0)
report("at set", updated_array)
report("unchanged", jax_array)
jax_array = jnp.ones((5, 6))
report("at add", jax_array.at[::2, 3:].add(7.))


class CustomClass:
    def __init__(self, x, mul):
        self.x = x
        self.mul = mul

    def calc(self, y):
        return _calc(self.mul, self.x, y)


@jit(static_argnums=0)
def _calc(mul, x, y):
    if mul:
        return x * y
    return y


c = CustomClass(2, True)
report("static method helper", c.calc(3))


class CustomClass:
    def __init__(self, x, mul):
        self.x = x
        self.mul = mul

    @jit
    def calc(self, y):
        if self.mul:
            return self.x * y
        return y

    def _tree_flatten(self):
        children = (self.x,)
        aux_data = {'mul': self.mul}
        return (children, aux_data)

    @classmethod
    def _tree_unflatten(cls, aux_data, children):
        return cls(*children, **aux_data)


from jax import tree_util
tree_util.register_pytree_node(CustomClass, CustomClass._tree_flatten, CustomClass._tree_unflatten)
c = CustomClass(2, True)
report("pytree method", c.calc(3))
c.mul = False
report("pytree method after mutation", c.calc(3))
c = CustomClass(jnp.array(2), True)
report("pytree method array x", c.calc(3))

report("out of bounds index clamps", jnp.arange(10)[11])
report("at get out of bounds", jnp.arange(10.0).at[11].get())
report("at get fill", jnp.arange(10.0).at[11].get(mode='fill', fill_value=jnp.nan))
report("np.sum of list", int(np.sum([1, 2, 3])))
report_error("jnp.sum of list", lambda: jnp.sum([1, 2, 3]))


def permissive_sum(x):
    return jnp.sum(jnp.array(x))


x = list(range(10))
report("permissive_sum", permissive_sum(x))


def nansum(x):
    mask = ~jnp.isnan(x)
    x_without_nans = x[mask]
    return x_without_nans.sum()


x = jnp.array([1, 2, jnp.nan, 3, 4])
report("nansum", nansum(x))
report_error("nansum under jit", lambda: jax.jit(nansum)(x))


@jax.jit
def nansum_2(x):
    mask = ~jnp.isnan(x)
    return jnp.where(mask, x, 0).sum()


report("nansum_2", nansum_2(x))

x = random.uniform(random.key(0), (1000,), dtype=jnp.float64)
report("float64 without x64", str(x.dtype))

report("default int", str(jnp.arange(3).dtype))
report("int overflow wraps", jnp.array(2 ** 31 - 1, dtype=jnp.int32) + 1)
report("divide by zero", jnp.array([1., 0., -1.]) / 0.)
report("nan propagation", jnp.max(jnp.array([1., jnp.nan, 3.])))
report("jnp.arange(0.0, 1.0, 0.1)", jnp.arange(0.0, 1.0, 0.1))
