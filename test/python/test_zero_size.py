"""Zero-size arrays: reductions give their identity, contractions zeros, shape ops empty
results, as in JAX; reductions without an identity raise JAX's ValueError. A zero-size
argument or result used to make a compiled function take memref descriptors instead of
the bare pointers the runtime passes (SIGSEGV): every case runs in a child process,
eagerly and under jit, and is compared with JAX."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from child import run_case

HERE = os.path.dirname(os.path.abspath(__file__))

E30 = np.ones((3, 0), np.float32)


def cases(jax):
    """name -> (f, args)."""
    jnp, lax, nn = jax.numpy, jax.lax, jax.nn
    return {
        "sum axis 1": (lambda x: jnp.sum(x, axis=1), E30),
        "sum axis 0": (lambda x: jnp.sum(x, axis=0), E30),
        "sum": (jnp.sum, E30),
        "int sum": (lambda x: jnp.sum(x, axis=1), E30.astype(np.int32)),
        "prod": (lambda x: jnp.prod(x, axis=1), E30),
        "max initial": (lambda x: jnp.max(x, axis=1, initial=-5.0), E30),
        "min initial": (lambda x: jnp.min(x, axis=1, initial=5.0), E30.astype(np.int32)),
        "max over a non-empty axis": (lambda x: jnp.max(x, axis=0), E30),
        "mean var std": (lambda x: (jnp.mean(x, axis=1), jnp.var(x, axis=1), jnp.std(x), jnp.mean(x)), E30),
        "any all": (lambda x: (jnp.any(x > 0, axis=1), jnp.all(x > 0, axis=1), jnp.all(x > 0)), E30),
        "matmul": (lambda a: a @ jnp.ones((0, 3)), np.ones((2, 0), np.float32)),
        "matmul empty result": (lambda a: a @ jnp.ones((3, 4)), np.ones((0, 3), np.float32)),
        "int matmul": (lambda a: a @ jnp.ones((0, 3), jnp.int32), np.ones((2, 0), np.int32)),
        "dot": (lambda a: jnp.dot(a, a), np.ones((0,), np.float32)),
        "batched matmul": (lambda a: jnp.matmul(a, jnp.ones((5, 0, 2))), np.ones((5, 3, 0), np.float32)),
        "einsum": (lambda a: jnp.einsum("ij,jk->ik", a, jnp.ones((0, 4))), E30),
        "softmax": (lambda x: (nn.softmax(x, axis=-1), nn.log_softmax(x, axis=-1)), E30),
        "logsumexp": (lambda x: (nn.logsumexp(x, axis=-1), nn.logsumexp(x)), E30),
        "cumsum sort": (lambda x: (jnp.cumsum(x, axis=1), jnp.sort(x, axis=1), jnp.argsort(x, axis=0)), E30),
        "top_k k=0": (lambda x: lax.top_k(x, 0), np.ones((3, 5), np.float32)),
        "concatenate split stack": (lambda x: (jnp.concatenate([x, jnp.ones((3, 2))], axis=1),
                                               jnp.split(x, 3), jnp.stack([x, x]), jnp.diff(x[:, :1])), E30),
        "pad reshape transpose": (lambda x: (jnp.pad(x, ((1, 1), (2, 0))), x.reshape(0, 3) + 1, x.T * 2), E30),
        "elementwise": (lambda x: jnp.where(x > 0, jnp.exp(x), x * 2 - 1), np.ones((2, 0, 3), np.float32)),
        "median": (lambda x: jnp.median(x, axis=1), np.ones((0, 3), np.float32)),
        "empty result only": (lambda x: (x[:0] * 2, x[:, :0]), np.ones((4, 3), np.float32)),
        "vmap": (lambda x: (jax.vmap(jnp.sum)(x), jax.vmap(lambda r: r * 2)(x.T)), E30),
        "grad": (lambda x: jax.grad(lambda y: jnp.sum(y ** 2))(x), E30),
    }


def errors(jax):
    jnp = jax.numpy
    return {
        "max": lambda x: jnp.max(x, axis=1),
        "min": jnp.min,
        "argmax": lambda x: jnp.argmax(x, axis=1),
        "argmin": jnp.argmin,
    }


def _leaves(jax, r):
    return [[str(np.asarray(v).dtype), list(np.shape(v)), np.asarray(v).tolist()]
            for v in jax.tree_util.tree_leaves(r)]


# Cases also run eagerly (op by op); all run under jit.
EAGER = {"sum axis 1", "sum", "prod", "max initial", "mean var std", "matmul", "einsum",
         "softmax", "logsumexp", "top_k k=0", "concatenate split stack", "elementwise"}
GROUPS = 3


def results(jax, group, modes=("eager", "jit")):
    """{"<case> <mode>": leaves, "error <case> <mode>": the exception} for every GROUPS-th
    case from `group` on."""
    out = {}
    for name, (f, *args) in list(cases(jax).items())[group::GROUPS]:
        for mode in modes:
            if mode == "jit" or name in EAGER:
                g = jax.jit(f) if mode == "jit" else f
                out[f"{name} {mode}"] = _leaves(jax, g(*[jax.numpy.asarray(a) for a in args]))
    for name, f in list(errors(jax).items())[group::GROUPS]:
        for mode in modes:
            try:
                (jax.jit(f) if mode == "jit" else f)(jax.numpy.asarray(E30))
                out[f"error {name} {mode}"] = "no error"
            except ValueError as e:
                out[f"error {name} {mode}"] = f"ValueError: {str(e).split(' (at ')[0]}"
    return out


@pytest.mark.parametrize("group", range(GROUPS))
def test_zero_size_against_jax(group):
    jax = pytest.importorskip("jax")
    out = run_case(f"""
        import json, sys
        sys.path.insert(0, {HERE!r})
        import mlax, mlax.nn
        from test_zero_size import results
        print(json.dumps(results(mlax, {group})))
    """)
    got = json.loads(out.stdout)
    want = results(jax, group, modes=("jit",))   # JAX's eager results are the same
    for key, value in got.items():
        ref = want[key.rsplit(" ", 1)[0] + " jit"]
        if key.startswith("error "):
            # JAX's message, as far as the shorter of the two goes (either may add details).
            n = min(len(value), len(ref))
            assert value.startswith("ValueError") and ref[:n] == value[:n], (key, value, ref)
        else:
            np.testing.assert_equal(value, ref, err_msg=key)


def test_zero_size_signature_takes_bare_pointers():
    """Every entry point takes one pointer per buffer, with zero-size arrays among them
    (small functions included: they are compiled at LLVM level 0, which used to read
    the descriptors' garbage)."""
    out = run_case("""
        import numpy as np, mlax
        from mlax import numpy as jnp
        f = mlax.jit(lambda x, y: (jnp.sum(x, axis=1), x * 2, y @ x, y[:, :0]))
        x, y = np.ones((3, 0), np.float32), np.ones((2, 3), np.float32)
        text = f.lower(x, y).as_text("llvm")
        sig = [l for l in text.splitlines() if "llvm.func @" in l and "private" not in l]
        print(all("i64" not in l.split(")")[0] for l in sig))
        print([np.asarray(r).shape for r in f(x, y)], np.asarray(f(x, y)[0]).tolist())
    """)
    assert out.stdout.split("\n")[:2] == ["True", "[(3,), (3, 0), (2, 0), (2, 0)] [0.0, 0.0, 0.0]"]
