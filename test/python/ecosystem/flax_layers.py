"""flax.linen's layers and lifted transforms, written against JAX: test_flax.py runs it
under JAX and under mlax.compat and compares what it prints (each case's result summed)."""
import jax, jax.numpy as jnp, numpy as np
import flax.linen as nn
x = jnp.asarray(np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32))
key = jax.random.PRNGKey(0)
def case(name, fn):
    try:
        out = fn()
        print(name, "ok", np.round(float(jnp.sum(jnp.asarray(out))), 4))
    except Exception as e:
        print(name, "FAIL", type(e).__name__, str(e).splitlines()[0][:150])
class BN(nn.Module):
    @nn.compact
    def __call__(self, x, train):
        return nn.BatchNorm(use_running_average=not train)(x)
def bn():
    v = BN().init(key, x, False)
    y, upd = BN().apply(v, x, True, mutable=["batch_stats"])
    return y.sum() + sum(jnp.sum(l) for l in jax.tree_util.tree_leaves(upd))
case("batchnorm", bn)
case("embed", lambda: (lambda m: m.apply(m.init(key, jnp.array([1, 2])), jnp.array([1, 2])))(nn.Embed(5, 3)))
case("sequential", lambda: (lambda m: m.apply(m.init(key, x), x))(nn.Sequential([nn.Dense(3), nn.relu, nn.Dense(2)])))
case("attention", lambda: (lambda m: m.apply(m.init(key, x[None]), x[None]))(nn.SelfAttention(num_heads=2, qkv_features=4)))
case("groupnorm", lambda: (lambda m: m.apply(m.init(key, x), x))(nn.GroupNorm(num_groups=2)))
case("rmsnorm", lambda: (lambda m: m.apply(m.init(key, x), x))(nn.RMSNorm()))
case("lstm", lambda: (lambda m: m.apply(m.init(key, x[None]), x[None]))(nn.RNN(nn.LSTMCell(3))))
case("gru", lambda: (lambda m: m.apply(m.init(key, x[None]), x[None]))(nn.RNN(nn.GRUCell(3))))
case("maxpool", lambda: nn.max_pool(x[None, :, :, None], (2, 2)))
case("convT", lambda: (lambda m: m.apply(m.init(key, x[None, :, :, None]), x[None, :, :, None]))(nn.ConvTranspose(2, (3, 3))))
class Remat(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.remat(nn.Dense)(3)(x)
case("remat", lambda: (lambda m: m.apply(m.init(key, x), x))(Remat()))
class VM(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.vmap(nn.Dense, variable_axes={"params": 0}, split_rngs={"params": True}, in_axes=0)(3)(x)
case("nn.vmap", lambda: (lambda m: m.apply(m.init(key, x), x))(VM()))
class JM(nn.Module):
    @nn.compact
    def __call__(self, x):
        return nn.jit(nn.Dense)(3)(x)
case("nn.jit", lambda: (lambda m: m.apply(m.init(key, x), x))(JM()))
class SC(nn.Module):
    @nn.compact
    def __call__(self, c, xs):
        return nn.scan(nn.LSTMCell, variable_broadcast="params", split_rngs={"params": False}, in_axes=1, out_axes=1)(3)(c, xs)
def sc():
    m = SC(); c = nn.LSTMCell(3).initialize_carry(key, (4, 6))
    v = m.init(key, c, x[:, None, :].repeat(2, 1))
    return m.apply(v, c, x[:, None, :].repeat(2, 1))[1]
case("nn.scan", sc)
