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
    Workload("pairwise_l1", "vmap(vmap(l1dist,(0,None)),(None,0)), 100 x 20", _l1_data,
             _pairwise_l1, _l1_numpy),
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
