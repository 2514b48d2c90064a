"""Writes random_reference.json: JAX's PRNG outputs that mlax.random must reproduce.

    python test/data/make_random_reference.py      # needs jax; rewrites the JSON beside it

Each case names a jax.random call (function, seed, arguments), the configuration it ran
under (jax_threefry_partitionable, jax_enable_x64) and its output: shape, dtype, and the
values' bits as unsigned integers (floats as their IEEE bit patterns), so the comparison
is exact. `tol_ulps` is how far mlax may be from JAX: 0 for every call here (mlax.random
computes the samplers' transcendentals as XLA's CPU code does). `atol` (when not 0) would
allow an absolute difference instead.
"""
import json
import os

import jax
import numpy as np
from jax import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "random_reference.json")

SEEDS = [0, 1, 42, 1701, -1, 2 ** 31 - 1, 2 ** 32 + 3]

# (function, kwargs, tol_ulps[, atol]); the key is PRNGKey(seed), or key(seed) for "typed"
# calls.
CALLS = [
    ("PRNGKey", {}, 0),
    ("split", {"num": 2}, 0),
    ("split", {"num": 3}, 0),
    ("split", {"num": (2, 3)}, 0),
    ("fold_in", {"data": 0}, 0),
    ("fold_in", {"data": 7}, 0),
    ("fold_in", {"data": 2 ** 31 - 1}, 0),
    ("bits", {"shape": ()}, 0),
    ("bits", {"shape": (5,)}, 0),
    ("bits", {"shape": (3, 4)}, 0),
    ("bits", {"shape": (7,), "dtype": "uint8"}, 0),
    ("bits", {"shape": (5,), "dtype": "uint16"}, 0),
    ("uniform", {"shape": ()}, 0),
    ("uniform", {"shape": (5,)}, 0),
    ("uniform", {"shape": (2, 3)}, 0),
    ("uniform", {"shape": (4,), "minval": -2.0, "maxval": 5.0}, 0),
    ("randint", {"shape": (6,), "minval": 0, "maxval": 10}, 0),
    ("randint", {"shape": (3, 4), "minval": -5, "maxval": 5}, 0),
    ("randint", {"shape": (5,), "minval": 0, "maxval": 100, "dtype": "int8"}, 0),
    ("randint", {"shape": (4,), "minval": 3, "maxval": 3}, 0),
    ("normal", {"shape": ()}, 0),
    ("normal", {"shape": (1,)}, 0),
    ("normal", {"shape": (3, 5)}, 0),
    ("truncated_normal", {"lower": -1.0, "upper": 2.0, "shape": (6,)}, 0),
    ("exponential", {"shape": (6,)}, 0),
    ("gumbel", {"shape": (6,)}, 0),
    ("laplace", {"shape": (6,)}, 0),
    ("logistic", {"shape": (6,)}, 0),
    ("cauchy", {"shape": (6,)}, 0),
    ("permutation", {"x": 10}, 0),
    ("choice", {"a": 10, "shape": (4,)}, 0),
    ("choice", {"a": 10, "shape": (4,), "replace": False}, 0),
]

X64_CALLS = [
    ("PRNGKey", {}, 0),
    ("bits", {"shape": (3,), "dtype": "uint64"}, 0),
    ("uniform", {"shape": (4,), "dtype": "float64"}, 0),
    ("randint", {"shape": (4,), "minval": 0, "maxval": 1000, "dtype": "int64"}, 0),
    ("normal", {"shape": (3,), "dtype": "float64"}, 0),
    ("exponential", {"shape": (3,), "dtype": "float64"}, 0),
]

TYPED = [  # jax.random.key(seed): the key data of results
    ("key", {}, 0),
    ("split", {"num": 2}, 0),
    ("normal", {"shape": ()}, 0),
]


def _bits(x):
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x.view(f"u{x.dtype.itemsize}").reshape(-1).tolist()
    if x.dtype == np.bool_:
        return x.astype(np.uint8).reshape(-1).tolist()
    return x.astype(np.uint64 if x.dtype.kind == "u" else np.int64).reshape(-1).tolist()


def _call(fn, key, kw):
    if fn in ("PRNGKey", "key"):
        return key
    if fn == "fold_in":
        return random.fold_in(key, kw["data"])
    kw = dict(kw)
    if fn == "split":
        return random.split(key, kw["num"])
    if fn in ("randint", "bits", "uniform", "normal") and "dtype" in kw:
        kw["dtype"] = np.dtype(kw["dtype"])
    return getattr(random, fn)(key, **kw)


def cases():
    out = []
    for x64 in (False, True):
        jax.config.update("jax_enable_x64", x64)
        for partitionable in (True, False):
            jax.config.update("jax_threefry_partitionable", partitionable)
            calls = X64_CALLS if x64 else CALLS
            for seed in (SEEDS if not x64 else [0, -1, 2 ** 32 + 3, 2 ** 40 + 5]):
                for typed, table in ((False, calls), (True, TYPED if not x64 else [])):
                    for fn, kw, tol, *atol in table:
                        key = random.key(seed) if typed else random.PRNGKey(seed)
                        res = _call(fn, key, kw)
                        if typed and fn in ("key", "split"):
                            res = random.key_data(res)
                        res = np.asarray(res)
                        out.append({"fn": fn, "seed": seed, "typed": typed, "kwargs": kw,
                                    "partitionable": partitionable, "x64": x64,
                                    "shape": list(res.shape), "dtype": res.dtype.name,
                                    "bits": _bits(res), "tol_ulps": tol,
                                    "atol": atol[0] if atol else 0})
    jax.config.update("jax_enable_x64", False)
    jax.config.update("jax_threefry_partitionable", True)
    return out


if __name__ == "__main__":
    data = {"jax_version": jax.__version__, "cases": cases()}
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(data['cases'])} cases to {OUT}")
