"""The workloads of DESIGN.md's performance contract, each written once for a JAX-like library.

Every workload is a `Workload` row with:
  make_data(rng)           NumPy inputs (float32), made with NumPy so the suite does not depend on
                           mlax.random; the harness converts arrays with the library's jnp.asarray.
  build(jax, jnp, d)       the tutorial's code, written against `jax`/`jnp` exactly as the seeds
                           write it (`import mlax as jax` runs the same lines); returns (fn, args),
                           and the harness times `fn(*args)` with the outputs blocked on.
  numpy_impl(d)            the same computation by hand in NumPy (gradients derived by hand);
                           returns (fn, args). Run on float32 inputs it is the NumPy column; run
                           on the inputs cast to float64 it is the reference every column is
                           checked against.
  kind                     "steady": median of repeated calls of one jitted function, after warm-up.
                           "first_call": each repetition jits a fresh function and times its first
                           call (trace + compile + run); NumPy, which compiles nothing, gets no
                           column there (its implementation is still the reference).
  delta_of                 name of an input pytree (parameters) to subtract from the outputs before
                           comparing, so an update step is checked on `-lr * grad`, not on the
                           parameters that dominate its value.
"""
from __future__ import annotations

import math

import numpy as np


class Workload:
    def __init__(self, name, description, make_data, build, numpy_impl, *, kind="steady",
                 rtol=1e-4, atol=1e-5, delta_of=None, note=""):
        self.name = name
        self.description = description
        self.make_data = make_data
        self.build = build
        self.numpy_impl = numpy_impl
        self.kind = kind
        self.rtol = rtol
        self.atol = atol  # scaled by max(1, max |reference|) when checking
        self.delta_of = delta_of
        self.note = note


def _normal(rng, shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


# -- selu (seed 000, "Jit") ---------------------------------------------------------------------

def _selu_data(rng):
    return {"v": _normal(rng, (1_000_000,))}


def _selu_source(jnp):
    def selu(x, alpha=1.67, lmbda=1.05):
        return lmbda * jnp.where(x > 0, x, alpha * jnp.exp(x) - alpha)
    return selu


def _selu_jit(jax, jnp, d):
    return jax.jit(_selu_source(jnp)), (d["v"],)


def _selu_eager(jax, jnp, d):
    return _selu_source(jnp), (d["v"],)


def _selu_numpy(d):
    return _selu_source(np), (d["v"],)


# -- row-normalize (seed 001, "jit") ------------------------------------------------------------

def _norm_data(rng):
    return {"X": rng.random((10000, 10)).astype(np.float32)}


def _norm_source(X):
    X = X - X.mean(0)
    return X / X.std(0)


def _norm_jit(jax, jnp, d):
    return jax.jit(_norm_source), (d["X"],)


def _norm_numpy(d):
    return _norm_source, (d["X"],)


# -- matrix-vector, vmapped and hand-batched (seed 001, "vmap") ---------------------------------

def _matvec_data(rng):
    return {"mat": _normal(rng, (150, 100)), "batched_x": _normal(rng, (10, 100))}


def _vmap_matvec(jax, jnp, d):
    mat = d["mat"]

    def apply_matrix(x):
        return jnp.dot(mat, x)

    return jax.jit(jax.vmap(apply_matrix)), (d["batched_x"],)


def _batched_matvec(jax, jnp, d):
    mat = d["mat"]

    def batched_apply_matrix(batched_x):
        return jnp.dot(batched_x, mat.T)

    return jax.jit(batched_apply_matrix), (d["batched_x"],)


def _matvec_numpy(d):
    mat = d["mat"]
    return (lambda batched_x: np.dot(batched_x, mat.T)), (d["batched_x"],)


# -- linear regression with pytrees (seed 000, "Linear regression with Pytrees") ----------------

_LR = 0.3


def _linreg_data(rng):
    n_samples, x_dim, y_dim = 20, 10, 5
    W = _normal(rng, (x_dim, y_dim))
    b = _normal(rng, (y_dim,))
    x = _normal(rng, (n_samples, x_dim))
    y = (x @ W + b + 0.1 * rng.standard_normal((n_samples, y_dim))).astype(np.float32)
    params = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
    return {"params": params, "x_samples": x, "y_samples": y}


def _linreg_source(jax, jnp):
    """The seed's code, verbatim but for jax.tree_map (removed from JAX) -> tree_util.tree_map."""
    def predict_pytree(params, x):
        return jnp.dot(x, params['W']) + params['b']

    def mse_pytree(params, x_batched, y_batched):
        def squared_error(x, y):
            y_pred = predict_pytree(params, x)
            return jnp.inner(y - y_pred, y - y_pred) / 2.0
        return jnp.mean(jax.vmap(squared_error)(x_batched, y_batched), axis=0)

    @jax.jit
    def update_params_pytree(params, learning_rate, x_samples, y_samples):
        params = jax.tree_util.tree_map(
            lambda p, g: p - learning_rate * g, params,
            jax.grad(mse_pytree)(params, x_samples, y_samples))
        return params

    return update_params_pytree


def _linreg_update(jax, jnp, d):
    return _linreg_source(jax, jnp), (d["params"], _LR, d["x_samples"], d["y_samples"])


def _linreg_first_call(jax, jnp, d):
    def first_call(params, learning_rate, x_samples, y_samples):
        # A fresh jitted function per call: nothing cached in memory can answer it.
        return _linreg_source(jax, jnp)(params, learning_rate, x_samples, y_samples)
    return first_call, (d["params"], _LR, d["x_samples"], d["y_samples"])


def _linreg_numpy(d):
    def update_params(params, learning_rate, x, y):
        W, b = params["W"], params["b"]
        r = (x @ W + b - y) / x.shape[0]  # d mse / d y_pred
        return {"W": W - learning_rate * (x.T @ r), "b": b - learning_rate * r.sum(0)}
    return update_params, (d["params"], _LR, d["x_samples"], d["y_samples"])


# -- MLP training step: 784-512-512-10, batch 256, relu, softmax cross-entropy, SGD --------------

_MLP_SIZES = (784, 512, 512, 10)
_MLP_BATCH = 256
_MLP_LR = 0.1


def _mlp_data(rng):
    params = []
    for m, n in zip(_MLP_SIZES[:-1], _MLP_SIZES[1:]):
        params.append((_normal(rng, (m, n), np.sqrt(2.0 / m)), _normal(rng, (n,), 0.01)))
    x = _normal(rng, (_MLP_BATCH, _MLP_SIZES[0]))
    labels = rng.integers(0, _MLP_SIZES[-1], _MLP_BATCH)
    onehot = np.eye(_MLP_SIZES[-1], dtype=np.float32)[labels]
    return {"params": params, "x": x, "onehot": onehot}


def _mlp_step(jax, jnp, d):
    def loss(params, x, onehot):
        h = x
        for W, b in params[:-1]:
            h = jnp.maximum(jnp.dot(h, W) + b, 0.0)
        W, b = params[-1]
        logits = jnp.dot(h, W) + b
        z = logits - jnp.max(logits, axis=1, keepdims=True)
        log_probs = z - jnp.log(jnp.sum(jnp.exp(z), axis=1, keepdims=True))
        return -jnp.mean(jnp.sum(onehot * log_probs, axis=1))

    @jax.jit
    def train_step(params, x, onehot):
        grads = jax.grad(loss)(params, x, onehot)
        return jax.tree_util.tree_map(lambda p, g: p - _MLP_LR * g, params, grads)

    return train_step, (d["params"], d["x"], d["onehot"])


def _mlp_numpy(d):
    def train_step(params, x, onehot):
        (W1, b1), (W2, b2), (W3, b3) = params
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        logits = h2 @ W3 + b3
        e = np.exp(logits - logits.max(1, keepdims=True))
        g3 = (e / e.sum(1, keepdims=True) - onehot) / x.shape[0]
        g2 = (g3 @ W3.T) * (z2 > 0)
        g1 = (g2 @ W2.T) * (z1 > 0)
        lr = _MLP_LR
        return [(W1 - lr * (x.T @ g1), b1 - lr * g1.sum(0)),
                (W2 - lr * (h1.T @ g2), b2 - lr * g2.sum(0)),
                (W3 - lr * (h2.T @ g3), b3 - lr * g3.sum(0))]
    return train_step, (d["params"], d["x"], d["onehot"])


# -- 1024^3 matmul ------------------------------------------------------------------------------

def _matmul_data(rng):
    return {"a": _normal(rng, (1024, 1024)), "b": _normal(rng, (1024, 1024))}


def _matmul(jax, jnp, d):
    return jax.jit(jnp.dot), (d["a"], d["b"])


def _matmul_numpy(d):
    return np.dot, (d["a"], d["b"])


# -- double-vmap pairwise l1 distance (seed 002) ------------------------------------------------

def _l1_data(rng):
    return {"x1": np.linspace(1, 10, 100, dtype=np.float32),
            "y1": np.linspace(1, 5, 20, dtype=np.float32)}


def _pairwise_l1(jax, jnp, d):
    def l1dist(x, y):
        return jnp.sum(jnp.abs(x - y))
    return jax.jit(jax.vmap(jax.vmap(l1dist, (0, None)), (None, 0))), (d["x1"], d["y1"])


def _l1_numpy(d):
    return (lambda x1, y1: np.abs(x1[None, :] - y1[:, None])), (d["x1"], d["y1"])


# -- sorts, scans and host loops (the cuda backend's row kernels and launch plans) -----------

def _rows_data(rng):
    return {"x": _normal(rng, (1024, 1024))}


def _argsort_rows(jax, jnp, d):
    return jax.jit(lambda x: jnp.argsort(x, axis=1)), (d["x"],)


def _argsort_numpy(d):
    return (lambda x: np.argsort(x, axis=1, kind="stable").astype(np.int32)), (d["x"],)


def _cumsum_rows(jax, jnp, d):
    return jax.jit(lambda x: jnp.cumsum(x, axis=1)), (d["x"],)


def _cumsum_numpy(d):
    return (lambda x: np.cumsum(x, axis=1)), (d["x"],)


def _newton_data(rng):
    return {"a": np.abs(_normal(rng, (1 << 16,))) + 1}


def _newton_sqrt(jax, jnp, d):
    def sqrt(a):
        def far(c):
            return (c[1] < 50) & (jnp.max(jnp.abs(c[0] * c[0] - a) / a) > 1e-6)
        return jax.lax.while_loop(far, lambda c: (0.5 * (c[0] + a / c[0]), c[1] + 1),
                                  (a, 0))[0]
    return jax.jit(sqrt), (d["a"],)


def _newton_numpy(d):
    def sqrt(a):
        x, i = a, 0
        while i < 50 and np.max(np.abs(x * x - a) / a) > 1e-6:
            x, i = np.float32(0.5) * (x + a / x), i + 1
        return x
    return sqrt, (d["a"],)


# -- small CNN training step: conv 3x3 1->8, relu, conv 3x3 8->16, relu, max pool 2x2, dense ---------

_CNN_BATCH = 8
_CNN_LR = 0.05


def _cnn_data(rng):
    params = [(_normal(rng, (3, 3, 1, 8), np.sqrt(2.0 / 9)), _normal(rng, (8,), 0.01)),
              (_normal(rng, (3, 3, 8, 16), np.sqrt(2.0 / 72)), _normal(rng, (16,), 0.01)),
              (_normal(rng, (12 * 12 * 16, 10), np.sqrt(1.0 / 2304)), _normal(rng, (10,), 0.01))]
    x = _normal(rng, (_CNN_BATCH, 28, 28, 1))
    labels = rng.integers(0, 10, _CNN_BATCH)
    return {"params": params, "x": x, "onehot": np.eye(10, dtype=np.float32)[labels]}


def _cnn_step(jax, jnp, d):
    dn = ("NHWC", "HWIO", "NHWC")

    def loss(params, x, onehot):
        (W1, b1), (W2, b2), (W3, b3) = params
        h = jax.nn.relu(jax.lax.conv_general_dilated(x, W1, (1, 1), "VALID",
                                                     dimension_numbers=dn) + b1)
        h = jax.nn.relu(jax.lax.conv_general_dilated(h, W2, (1, 1), "VALID",
                                                     dimension_numbers=dn) + b2)
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        logits = jnp.dot(h.reshape(h.shape[0], -1), W3) + b3
        z = logits - jnp.max(logits, axis=1, keepdims=True)
        log_probs = z - jnp.log(jnp.sum(jnp.exp(z), axis=1, keepdims=True))
        return -jnp.mean(jnp.sum(onehot * log_probs, axis=1))

    @jax.jit
    def train_step(params, x, onehot):
        grads = jax.grad(loss)(params, x, onehot)
        return jax.tree_util.tree_map(lambda p, g: p - _CNN_LR * g, params, grads)

    return train_step, (d["params"], d["x"], d["onehot"])


def _cnn_numpy(d):
    from numpy.lib.stride_tricks import sliding_window_view

    def im2col(x):           # (N, H, W, C) -> (N, H-2, W-2, 3 * 3 * C)
        p = sliding_window_view(x, (3, 3), axis=(1, 2))          # N, H-2, W-2, C, 3, 3
        p = p.transpose(0, 1, 2, 4, 5, 3)
        return p.reshape(p.shape[:3] + (-1,))

    def conv(x, W):
        return im2col(x) @ W.reshape(-1, W.shape[-1])

    def conv_back(x, W, dz):   # gradients of conv(x, W) w.r.t. x and W
        cols = im2col(x)
        dW = (cols.reshape(-1, cols.shape[-1]).T @ dz.reshape(-1, dz.shape[-1])).reshape(W.shape)
        dcols = (dz @ W.reshape(-1, W.shape[-1]).T).reshape(dz.shape[:3] + (3, 3, x.shape[-1]))
        dx = np.zeros_like(x)
        for i in range(3):
            for j in range(3):
                dx[:, i:i + dz.shape[1], j:j + dz.shape[2]] += dcols[:, :, :, i, j]
        return dx, dW

    def train_step(params, x, onehot):
        (W1, b1), (W2, b2), (W3, b3) = params
        n = x.shape[0]
        z1 = conv(x, W1) + b1
        h1 = np.maximum(z1, 0)
        z2 = conv(h1, W2) + b2
        h2 = np.maximum(z2, 0)
        win = h2.reshape(n, 12, 2, 12, 2, 16).transpose(0, 1, 3, 5, 2, 4).reshape(n, 12, 12, 16, 4)
        first = win.argmax(-1)                       # the first maximum, as XLA selects
        pooled = np.take_along_axis(win, first[..., None], -1)[..., 0]
        flat = pooled.reshape(n, -1)
        logits = flat @ W3 + b3
        e = np.exp(logits - logits.max(1, keepdims=True))
        g3 = (e / e.sum(1, keepdims=True) - onehot) / n
        dflat = g3 @ W3.T
        dwin = np.zeros_like(win)
        np.put_along_axis(dwin, first[..., None], dflat.reshape(n, 12, 12, 16, 1), -1)
        dh2 = dwin.reshape(n, 12, 12, 16, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(h2.shape)
        dz2 = dh2 * (z2 > 0)
        dh1, dW2 = conv_back(h1, W2, dz2)
        dz1 = dh1 * (z1 > 0)
        _, dW1 = conv_back(x, W1, dz1)
        lr = _CNN_LR
        return [(W1 - lr * dW1, b1 - lr * dz1.sum((0, 1, 2))),
                (W2 - lr * dW2, b2 - lr * dz2.sum((0, 1, 2))),
                (W3 - lr * (flat.T @ g3), b3 - lr * g3.sum(0))]
    return train_step, (d["params"], d["x"], d["onehot"])


# -- transformer block train step ---------------------------------------------------------------

_TF_BATCH, _TF_SEQ, _TF_WIDTH, _TF_HEADS, _TF_HIDDEN, _TF_CLASSES = 4, 128, 256, 4, 1024, 32
_TF_LR = 0.01


def _transformer_data(rng):
    w, f = _TF_WIDTH, _TF_HIDDEN
    ones, zeros = np.ones(w, np.float32), np.zeros(w, np.float32)
    params = {"ln1": (ones, zeros),
              "attn": tuple(_normal(rng, (w, w), w ** -0.5) for _ in range(4)),
              "ln2": (ones.copy(), zeros.copy()),
              "mlp": (_normal(rng, (w, f), w ** -0.5), np.zeros(f, np.float32),
                      _normal(rng, (f, w), f ** -0.5), zeros.copy()),
              "out": _normal(rng, (w, _TF_CLASSES), w ** -0.5)}
    x = _normal(rng, (_TF_BATCH, _TF_SEQ, w))
    labels = rng.integers(0, _TF_CLASSES, (_TF_BATCH, _TF_SEQ))
    return {"params": params, "x": x, "onehot": np.eye(_TF_CLASSES, dtype=np.float32)[labels]}


def _transformer_step(jax, jnp, d):
    def layer_norm(x, g, b):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + 1e-5) * g + b

    def attention(a, Wq, Wk, Wv, Wo):
        B, T, W = a.shape
        D = W // _TF_HEADS
        split = lambda t: t.reshape(B, T, _TF_HEADS, D)
        q, k, v = split(a @ Wq), split(a @ Wk), split(a @ Wv)
        s = jnp.einsum("bthd,bshd->bhts", q, k) / np.float32(np.sqrt(D))
        p = jax.nn.softmax(s, axis=-1)
        return jnp.einsum("bhts,bshd->bthd", p, v).reshape(B, T, W) @ Wo

    def loss(params, x, onehot):
        h = x + attention(layer_norm(x, *params["ln1"]), *params["attn"])
        W1, b1, W2, b2 = params["mlp"]
        h = h + jax.nn.gelu(layer_norm(h, *params["ln2"]) @ W1 + b1) @ W2 + b2
        logits = h @ params["out"]
        return -jnp.mean(jnp.sum(onehot * jax.nn.log_softmax(logits), axis=-1))

    @jax.jit
    def train_step(params, x, onehot):
        grads = jax.grad(loss)(params, x, onehot)
        return jax.tree_util.tree_map(lambda p, g: p - _TF_LR * g, params, grads)

    return train_step, (d["params"], d["x"], d["onehot"])


def _transformer_numpy(d):
    """The same step with hand-derived gradients (tanh GELU, as jax.nn.gelu's default)."""
    def ln_forward(x, g, b):
        xc = x - x.mean(-1, keepdims=True)
        r = 1.0 / np.sqrt((xc ** 2).mean(-1, keepdims=True) + 1e-5)
        return xc * r * g + b, (xc * r, r, g)

    def ln_backward(dy, cache):
        xh, r, g = cache
        dxh = dy * g
        dx = r * (dxh - dxh.mean(-1, keepdims=True) - xh * (dxh * xh).mean(-1, keepdims=True))
        return dx, (dy * xh).sum((0, 1)), dy.sum((0, 1))

    def train_step(p, x, onehot):
        B, T, W = x.shape
        H, D = _TF_HEADS, _TF_WIDTH // _TF_HEADS
        heads = lambda t: t.reshape(B, T, H, D).transpose(0, 2, 1, 3)          # B, H, T, D
        unheads = lambda t: t.transpose(0, 2, 1, 3).reshape(B, T, W)
        flat = lambda t: t.reshape(-1, t.shape[-1])
        Wq, Wk, Wv, Wo = p["attn"]
        W1, b1, W2, b2 = p["mlp"]
        a, ln1 = ln_forward(x, *p["ln1"])
        q, k, v = heads(a @ Wq), heads(a @ Wk), heads(a @ Wv)
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(D)
        e = np.exp(s - s.max(-1, keepdims=True))
        pr = e / e.sum(-1, keepdims=True)
        o = unheads(pr @ v)
        h1 = x + o @ Wo
        c, ln2 = ln_forward(h1, *p["ln2"])
        z = c @ W1 + b1
        kk = math.sqrt(2 / math.pi)
        th = np.tanh(kk * (z + 0.044715 * z ** 3))
        gz = 0.5 * z * (1 + th)
        h2 = h1 + gz @ W2 + b2
        logits = h2 @ p["out"]
        el = np.exp(logits - logits.max(-1, keepdims=True))
        dlogits = (el / el.sum(-1, keepdims=True) - onehot) / (B * T)
        g_out = flat(h2).T @ flat(dlogits)
        dh2 = dlogits @ p["out"].T
        dz = (dh2 @ W2.T) * (0.5 * (1 + th) + 0.5 * z * (1 - th ** 2) * kk * (1 + 3 * 0.044715 * z ** 2))
        g_mlp = (flat(c).T @ flat(dz), dz.sum((0, 1)), flat(gz).T @ flat(dh2), dh2.sum((0, 1)))
        dh1_ln, *g_ln2 = ln_backward(dz @ W1.T, ln2)
        dh1 = dh2 + dh1_ln
        dO = heads(dh1 @ Wo.T)
        dpr = dO @ v.transpose(0, 1, 3, 2)
        ds = pr * (dpr - (dpr * pr).sum(-1, keepdims=True)) / math.sqrt(D)
        dq, dk, dv = unheads(ds @ k), unheads(ds.transpose(0, 1, 3, 2) @ q), unheads(pr.transpose(0, 1, 3, 2) @ dO)
        g_attn = tuple(flat(a).T @ flat(t) for t in (dq, dk, dv)) + (flat(o).T @ flat(dh1),)
        _, *g_ln1 = ln_backward(dq @ Wq.T + dk @ Wk.T + dv @ Wv.T, ln1)
        step = lambda ps, gs: tuple(w - _TF_LR * g for w, g in zip(ps, gs))
        return {"ln1": step(p["ln1"], g_ln1), "attn": step(p["attn"], g_attn),
                "ln2": step(p["ln2"], g_ln2), "mlp": step(p["mlp"], g_mlp),
                "out": p["out"] - _TF_LR * g_out}
    return train_step, (d["params"], d["x"], d["onehot"])


# -- RNN over 100 steps with lax.scan ---------------------------------------------------------

_RNN_STEPS, _RNN_BATCH, _RNN_IN, _RNN_HIDDEN = 100, 32, 64, 128


def _rnn_data(rng):
    h = _RNN_HIDDEN
    params = (_normal(rng, (h, h), h ** -0.5), _normal(rng, (_RNN_IN, h), _RNN_IN ** -0.5),
              np.zeros(h, np.float32), _normal(rng, (h, 1), h ** -0.5))
    xs = _normal(rng, (_RNN_STEPS, _RNN_BATCH, _RNN_IN))
    return {"params": params, "xs": xs, "y": _normal(rng, (_RNN_BATCH, 1))}


def _rnn_grad(jax, jnp, d):
    def loss(params, xs, y):
        Wh, Wx, b, Wo = params

        def cell(h, x):
            h = jnp.tanh(h @ Wh + x @ Wx + b)
            return h, None

        h, _ = jax.lax.scan(cell, jnp.zeros((xs.shape[1], Wh.shape[0]), xs.dtype), xs)
        return jnp.mean((h @ Wo - y) ** 2)

    return jax.jit(jax.value_and_grad(loss)), (d["params"], d["xs"], d["y"])


def _rnn_numpy(d):
    def value_and_grad(params, xs, y):
        Wh, Wx, b, Wo = params
        hs = [np.zeros((xs.shape[1], Wh.shape[0]), xs.dtype)]
        for x in xs:
            hs.append(np.tanh(hs[-1] @ Wh + x @ Wx + b))
        r = hs[-1] @ Wo - y
        dr = 2 * r / r.size
        gWo, dh = hs[-1].T @ dr, dr @ Wo.T
        gWh, gWx, gb = np.zeros_like(Wh), np.zeros_like(Wx), np.zeros_like(b)
        for t in range(len(xs) - 1, -1, -1):
            dz = dh * (1 - hs[t + 1] ** 2)
            gWh += hs[t].T @ dz
            gWx += xs[t].T @ dz
            gb += dz.sum(0)
            dh = dz @ Wh.T
        return np.mean(r ** 2), (gWh, gWx, gb, gWo)
    return value_and_grad, (d["params"], d["xs"], d["y"])


# -- compile time of a long elementwise chain ----------------------------------------------------

def _chain_data(rng):
    return {"x": _normal(rng, (1000,))}


def _chain_source(jnp, n, sin=False):
    """A fresh function (nothing cached for it) of `n` elementwise ops in a straight line
    (with `sin`: every fourth one `jnp.sin`)."""
    def chain(x):
        for i in range(n):
            if i % 4 == 0:
                x = jnp.sin(x) if sin else x * 1.0001
            elif i % 4 == 1:
                x = x + 0.5
            elif i % 4 == 2:
                x = jnp.maximum(x, -0.75)
            else:
                x = x - 0.25
        return x
    return chain


def _chain_first_call(n, sin=False):
    def build(jax, jnp, d):
        def first_call(x):
            return jax.jit(_chain_source(jnp, n, sin))(x)
        return first_call, (d["x"],)
    return build


def _chain_numpy(n, sin=False):
    def impl(d):
        return _chain_source(np, n, sin), (d["x"],)
    return impl


WORKLOADS = [
    Workload("selu", "selu on 1M f32, jitted", _selu_data, _selu_jit, _selu_numpy),
    Workload("row_normalize", "(X - X.mean(0)) / X.std(0), X 10000x10", _norm_data, _norm_jit,
             _norm_numpy),
    Workload("vmap_matvec", "jit(vmap(apply_matrix)), mat 150x100, x 10x100", _matvec_data,
             _vmap_matvec, _matvec_numpy, note="dispatch-bound"),
    Workload("batched_matvec", "jit(jnp.dot(batched_x, mat.T)), same sizes", _matvec_data,
             _batched_matvec, _matvec_numpy, note="dispatch-bound"),
    Workload("linreg_update", "update_params_pytree: grad of mse_pytree, 20x10 -> 5",
             _linreg_data, _linreg_update, _linreg_numpy, delta_of="params", rtol=1e-4,
             atol=1e-5),
    Workload("mlp_step", "MLP 784-512-512-10 SGD step, batch 256", _mlp_data, _mlp_step,
             _mlp_numpy, delta_of="params", rtol=1e-3, atol=1e-4),
    Workload("cnn_step", "CNN conv3x3(8)-conv3x3(16)-maxpool-dense SGD step, 8x28x28x1",
             _cnn_data, _cnn_step, _cnn_numpy, delta_of="params", rtol=1e-3, atol=1e-4),
    Workload("matmul_1024", "1024x1024 @ 1024x1024 f32", _matmul_data, _matmul, _matmul_numpy,
             rtol=1e-4, atol=1e-5),
    Workload("transformer_step", "transformer block SGD step: seq 128, width 256, 4 heads, "
             "layer norm, GELU MLP 1024, softmax cross-entropy, batch 4", _transformer_data,
             _transformer_step, _transformer_numpy, delta_of="params", rtol=2e-3, atol=1e-4),
    Workload("rnn_scan", "tanh RNN over 100 steps (lax.scan), hidden 128, batch 32: "
             "value_and_grad", _rnn_data, _rnn_grad, _rnn_numpy, rtol=1e-3, atol=1e-5),
    Workload("pairwise_l1", "vmap(vmap(l1dist,(0,None)),(None,0)), 100 x 20", _l1_data,
             _pairwise_l1, _l1_numpy),
    Workload("argsort_rows", "argsort of each row of 1024x1024 f32", _rows_data, _argsort_rows,
             _argsort_numpy),
    Workload("cumsum_rows", "cumsum of each row of 1024x1024 f32", _rows_data, _cumsum_rows,
             _cumsum_numpy, rtol=1e-4, atol=1e-4),
    Workload("newton_sqrt", "sqrt of 65536 f32 by Newton steps in a lax.while_loop until "
             "converged (a condition on the values)", _newton_data, _newton_sqrt,
             _newton_numpy),
    Workload("linreg_first_call", "first call of a fresh jit(update_params_pytree)",
             _linreg_data, _linreg_first_call, _linreg_numpy, kind="first_call",
             delta_of="params", note="trace+compile+run"),
    Workload("chain_1000", "first call of a fresh jit of 1000 elementwise ops in a chain",
             _chain_data, _chain_first_call(1000), _chain_numpy(1000), kind="first_call",
             note="trace+compile+run"),
    Workload("chain_5000", "first call of a fresh jit of 5000 elementwise ops in a chain",
             _chain_data, _chain_first_call(5000), _chain_numpy(5000), kind="first_call",
             note="trace+compile+run"),
    Workload("chain_sin_1000", "first call of a fresh jit of 1000 elementwise ops in a chain, "
             "every fourth jnp.sin", _chain_data, _chain_first_call(1000, sin=True),
             _chain_numpy(1000, sin=True), kind="first_call", note="trace+compile+run"),
    Workload("selu_eager", "selu on 1M f32, un-jitted (op by op)", _selu_data, _selu_eager,
             _selu_numpy, note="all columns un-jitted"),
]

BY_NAME = {w.name: w for w in WORKLOADS}
