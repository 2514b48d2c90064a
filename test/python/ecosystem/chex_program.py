"""chex's assertions, dataclass, restrict_backends, chexify and variants, written against
JAX; test_chex.py runs it under JAX and under mlax.compat and compares what it prints."""
import unittest
import jax, jax.numpy as jnp, numpy as np
import chex

chex.assert_shape(jnp.ones((2, 3)), (2, 3))
chex.assert_shape([jnp.ones(2), jnp.ones(2)], (2,))
try:
    chex.assert_shape(jnp.ones((2, 3)), (3, 2))
except AssertionError as e:
    print("shape:", "(3, 2)" in str(e))
chex.assert_trees_all_close({"a": jnp.ones(3)}, {"a": jnp.ones(3) + 1e-7})
try:
    chex.assert_trees_all_close({"a": jnp.ones(3)}, {"a": jnp.zeros(3)})
except AssertionError:
    print("close: raised")
chex.assert_type(jnp.ones(2, jnp.int32), int)
chex.assert_type([jnp.ones(2), 1.0], [float, float])
try:
    chex.assert_type(jnp.ones(2), int)
except AssertionError:
    print("type: raised")
chex.assert_rank(jnp.ones((2, 2)), 2)
chex.assert_equal_shape([jnp.ones(3), jnp.zeros(3)])
chex.assert_tree_all_finite({"x": jnp.ones(2)})


@chex.dataclass
class Params:
    w: chex.Array
    b: chex.Array


p = Params(w=jnp.ones(2), b=jnp.zeros(()))
q = jax.tree_util.tree_map(lambda x: x + 1, p)
print("dataclass:", type(q).__name__, float(q.w.sum()), float(q.b))
print("jit dataclass:", float(jax.jit(lambda p: p.w.sum() + p.b)(p)))

with chex.restrict_backends(allowed=["cpu"]):
    print("restrict allowed:", float(jax.jit(lambda x: x * 2)(jnp.float32(1.5))))
try:
    with chex.restrict_backends(forbidden=["cpu"]):
        jax.jit(lambda x: x * 3)(jnp.float32(1.0))
except RuntimeError as e:
    print("restrict forbidden:", type(e).__name__)


@chex.chexify
@jax.jit
def positive_log(x):
    chex.assert_tree_all_finite(x)
    return jnp.log(x)


print("chexify:", float(positive_log(jnp.float32(2.0))))
try:
    positive_log(jnp.float32(np.inf))
    chex.block_until_chexify_assertions_complete()
except Exception as e:
    print("chexify failed:", type(e).__name__, "assert_tree_all_finite" in str(e))


# assert_max_traces must wrap the function jit traces, not the jitted function: chex
# refuses the wrong order by the jitted function's type name.
try:
    chex.assert_max_traces(jax.jit(lambda x: x + 1), 1)
    print("max_traces wrong order: accepted")
except ValueError as e:
    print("max_traces wrong order:", type(e).__name__)
traced_once = jax.jit(chex.assert_max_traces(lambda x: x + 1, 1))
traced_once(jnp.ones(2))
traced_once(jnp.ones(2))
try:
    traced_once(jnp.ones(3))
except AssertionError:
    print("max_traces retrace: AssertionError")

class VariantsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_square(self):
        f = self.variant(lambda x: x * x)
        chex.assert_trees_all_close(f(jnp.float32(3.0)), jnp.float32(9.0))


result = unittest.main(argv=["x"], exit=False, verbosity=0).result
print("variants:", result.testsRun, len(result.failures) + len(result.errors))
