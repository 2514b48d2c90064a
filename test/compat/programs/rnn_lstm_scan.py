# Modeled on: the jax.lax.scan API reference (a scan body as an RNN cell) and the JAX docs'
#   "Control flow" scan examples; the LSTM equations as in Hochreiter & Schmidhuber (1997)
#   https://docs.jax.dev/en/latest/_autosummary/jax.lax.scan.html
# Changed: written from scratch as pure functions; synthetic sine-wave data; an Elman RNN and
# an LSTM trained for 30 steps each on next-value prediction with SGD; gradients through
# lax.scan, vmap over sequences, reverse scan and unroll.
import jax
import jax.numpy as jnp
from jax import lax, random

from _report import report

HIDDEN = 8


def rnn_init(key, n_in, n_hidden):
    k1, k2, k3 = random.split(key, 3)
    return {"Wx": random.normal(k1, (n_in, n_hidden)) * 0.3,
            "Wh": random.normal(k2, (n_hidden, n_hidden)) * 0.3,
            "b": jnp.zeros(n_hidden),
            "Wo": random.normal(k3, (n_hidden, 1)) * 0.3}


def rnn(params, xs):
    def cell(h, x):
        h = jnp.tanh(x @ params["Wx"] + h @ params["Wh"] + params["b"])
        return h, h @ params["Wo"]
    _, ys = lax.scan(cell, jnp.zeros(HIDDEN), xs)
    return ys


def lstm_init(key, n_in, n_hidden):
    k1, k2, k3 = random.split(key, 3)
    return {"W": random.normal(k1, (n_in + n_hidden, 4 * n_hidden)) * 0.2,
            "b": jnp.zeros(4 * n_hidden).at[n_hidden:2 * n_hidden].set(1.0),  # forget bias
            "Wo": random.normal(k3, (n_hidden, 1)) * 0.3}


def lstm(params, xs):
    def cell(carry, x):
        h, c = carry
        gates = jnp.concatenate([x, h]) @ params["W"] + params["b"]
        i, f, g, o = jnp.split(gates, 4)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h @ params["Wo"]
    _, ys = lax.scan(cell, (jnp.zeros(HIDDEN), jnp.zeros(HIDDEN)), xs)
    return ys


def make_data(key, batch, length):
    phase = random.uniform(key, (batch, 1), maxval=2 * jnp.pi)
    t = jnp.linspace(0., 4 * jnp.pi, length + 1)[None, :]
    wave = jnp.sin(t + phase)[..., None]
    return wave[:, :-1], wave[:, 1:]


def loss_fn(model, params, xs, ys):
    preds = jax.vmap(model, in_axes=(None, 0))(params, xs)
    return jnp.mean((preds - ys) ** 2)


xs, ys = make_data(random.key(0), 16, 20)
report("data shapes", (xs.shape, ys.shape))
for name, model, init in [("rnn", rnn, rnn_init), ("lstm", lstm, lstm_init)]:
    params = init(random.key(1), 1, HIDDEN)
    step = jax.jit(lambda p, x, y, model=model: jax.tree.map(
        lambda a, g: a - 0.1 * g, p, jax.grad(loss_fn, argnums=1)(model, p, x, y)))
    report(f"{name} initial loss", loss_fn(model, params, xs, ys))
    for _ in range(30):
        params = step(params, xs, ys)
    report(f"{name} loss after training", loss_fn(model, params, xs, ys), rtol=1e-3)
    report(f"{name} prediction", model(params, xs[0])[:5, 0], rtol=1e-3, atol=1e-4)

# scan variants: reverse, unroll, length without xs, stacked outputs of pytrees.
report("reverse scan", lax.scan(lambda c, x: (c + x, c), 0., jnp.arange(5.), reverse=True))
report("unrolled scan", lax.scan(lambda c, x: (c * 2 + x, c), 1., jnp.arange(6.), unroll=3))
report("scan with length and no xs", lax.scan(lambda c, _: (c + 1, c ** 2), 0, None, length=4))
report("scan with pytree carry and outputs", lax.scan(
    lambda c, x: ({"s": c["s"] + x, "n": c["n"] + 1}, {"x2": x * 2, "c": c["s"]}),
    {"s": 0., "n": 0}, jnp.arange(3.)))
report("jacobian through scan", jax.jacrev(lambda w: lax.scan(
    lambda h, x: (jnp.tanh(w * h + x), h), 0.5, jnp.arange(3.))[0])(0.7))
report("cumulative max via associative_scan", lax.associative_scan(jnp.maximum,
                                                                   jnp.array([1, 3, 2, 5, 4])))
