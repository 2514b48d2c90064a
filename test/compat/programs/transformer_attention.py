# Modeled on: UvA Deep Learning Course, "Tutorial 6 (JAX): Transformers and Multi-Head
#   Attention" (scaled dot-product attention, multi-head attention, positional encoding,
#   a transformer encoder block) by Phillip Lippe
#   https://uvadlc-notebooks.readthedocs.io/en/latest/tutorial_notebooks/JAX/tutorial6/Transformers_and_MHAttention.html
# Changed: written without Flax, as pure functions over a parameter dict; synthetic tokens;
# a 2-layer encoder trained for 20 steps on a "reverse the sequence" task with hand-written
# Adam.
import math

import jax
import jax.numpy as jnp
from jax import random

from _report import report


def scaled_dot_product(q, k, v, mask=None):
    d_k = q.shape[-1]
    attn_logits = jnp.matmul(q, jnp.swapaxes(k, -2, -1)) / math.sqrt(d_k)
    if mask is not None:
        attn_logits = jnp.where(mask == 0, -9e15, attn_logits)
    attention = jax.nn.softmax(attn_logits, axis=-1)
    return jnp.matmul(attention, v), attention


key = random.key(42)
k1, k2, k3 = random.split(key, 3)
q = random.normal(k1, (3, 2))
k = random.normal(k2, (3, 2))
v = random.normal(k3, (3, 2))
values, attention = scaled_dot_product(q, k, v)
report("attention values", values)
report("attention weights", attention)
causal = jnp.tril(jnp.ones((3, 3)))
report("causal attention", scaled_dot_product(q, k, v, causal)[1])


def dense_init(key, n_in, n_out):
    limit = math.sqrt(6 / (n_in + n_out))  # Xavier uniform
    return {"w": random.uniform(key, (n_in, n_out), minval=-limit, maxval=limit),
            "b": jnp.zeros(n_out)}


def dense(p, x):
    return x @ p["w"] + p["b"]


def layer_norm(p, x, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * p["scale"] + p["bias"]


def multihead_attention(p, x, num_heads, mask=None):
    batch, seq, d_model = x.shape
    qkv = dense(p["qkv"], x).reshape(batch, seq, num_heads, -1).transpose(0, 2, 1, 3)
    q, k, v = jnp.array_split(qkv, 3, axis=-1)
    values, attention = scaled_dot_product(q, k, v, mask)
    values = values.transpose(0, 2, 1, 3).reshape(batch, seq, d_model)
    return dense(p["out"], values), attention


def encoder_block(p, x, num_heads):
    attn_out, _ = multihead_attention(p["attn"], x, num_heads)
    x = layer_norm(p["ln1"], x + attn_out)
    ff = dense(p["ff2"], jax.nn.relu(dense(p["ff1"], x)))
    return layer_norm(p["ln2"], x + ff)


def positional_encoding(seq_len, d_model):
    position = jnp.arange(seq_len)[:, None]
    div_term = jnp.exp(jnp.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe = jnp.zeros((seq_len, d_model))
    pe = pe.at[:, 0::2].set(jnp.sin(position * div_term))
    pe = pe.at[:, 1::2].set(jnp.cos(position * div_term))
    return pe


report("positional encoding", positional_encoding(4, 6))

NUM_CLASSES, SEQ, D, HEADS, LAYERS = 8, 6, 16, 2, 2


def init_params(key):
    keys = random.split(key, 2 + 4 * LAYERS)
    params = {"embed": random.normal(keys[0], (NUM_CLASSES, D)) * 0.1,
              "head": dense_init(keys[1], D, NUM_CLASSES), "layers": []}
    for i in range(LAYERS):
        ka, ko, kf1, kf2 = keys[2 + 4 * i: 6 + 4 * i]
        params["layers"].append({
            "attn": {"qkv": dense_init(ka, D, 3 * D), "out": dense_init(ko, D, D)},
            "ff1": dense_init(kf1, D, 2 * D), "ff2": dense_init(kf2, 2 * D, D),
            "ln1": {"scale": jnp.ones(D), "bias": jnp.zeros(D)},
            "ln2": {"scale": jnp.ones(D), "bias": jnp.zeros(D)}})
    return params


def model(params, tokens):
    x = params["embed"][tokens] + positional_encoding(tokens.shape[1], D)
    for layer in params["layers"]:
        x = encoder_block(layer, x, HEADS)
    return dense(params["head"], x)


def loss_fn(params, tokens, targets):
    logits = model(params, tokens)
    labels = jax.nn.one_hot(targets, NUM_CLASSES)
    loss = -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(logits), axis=-1))
    acc = jnp.mean(jnp.argmax(logits, -1) == targets)
    return loss, acc


def adam_init(params):
    zeros = jax.tree.map(jnp.zeros_like, params)
    return {"m": zeros, "v": zeros, "t": 0}


@jax.jit
def train_step(params, opt, tokens, targets, lr=3e-3, b1=0.9, b2=0.999, eps=1e-8):
    (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, tokens, targets)
    t = opt["t"] + 1
    m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, opt["m"], grads)
    v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g ** 2, opt["v"], grads)
    params = jax.tree.map(
        lambda p, m, v: p - lr * (m / (1 - b1 ** t)) / (jnp.sqrt(v / (1 - b2 ** t)) + eps),
        params, m, v)
    return params, {"m": m, "v": v, "t": t}, loss, acc


params = init_params(random.key(0))
report("parameter count", sum(x.size for x in jax.tree.leaves(params)))
opt = adam_init(params)
data_key = random.key(1)
losses = []
for step in range(20):
    data_key, sub = random.split(data_key)
    tokens = random.randint(sub, (16, SEQ), 0, NUM_CLASSES)
    params, opt, loss, acc = train_step(params, opt, tokens, jnp.flip(tokens, axis=1))
    losses.append(loss)
report("losses", jnp.stack(losses), rtol=2e-3, atol=1e-4)
tokens = random.randint(random.key(7), (4, SEQ), 0, NUM_CLASSES)
_, attention = multihead_attention(params["layers"][0]["attn"],
                                   params["embed"][tokens] + positional_encoding(SEQ, D), HEADS)
report("trained attention row sums", attention.sum(-1), rtol=1e-4)
report("trained attention first map", attention[0, 0], rtol=5e-3, atol=1e-4)
