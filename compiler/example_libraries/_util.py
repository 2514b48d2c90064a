"""The small list helpers of JAX's `jax._src.util` that the example libraries use."""
from __future__ import annotations

import builtins


def safe_zip(*args):
    """zip that insists the sequences have equal lengths."""
    n = len(args[0])
    for arg in args[1:]:
        if len(arg) != n:
            raise ValueError(f"length mismatch: {list(map(len, args))}")
    return list(builtins.zip(*args))


def safe_map(f, *args):
    """map that insists the sequences have equal lengths; returns a list."""
    args = list(builtins.map(list, args))
    n = len(args[0])
    for arg in args[1:]:
        if len(arg) != n:
            raise ValueError(f"length mismatch: {list(builtins.map(len, args))}")
    return list(builtins.map(f, *args))


def unzip2(xys):
    """A list of pairs as a pair of tuples."""
    xs, ys = [], []
    for x, y in xys:
        xs.append(x)
        ys.append(y)
    return tuple(xs), tuple(ys)
