"""threefry2x32: the 20-round cipher in uint32 StableHLO ops (add, xor, shifts), the
schedule of JAX's `_threefry2x32_lowering`, so the bits match jax.random's and the cpu
backend's."""
from __future__ import annotations

import numpy as np

from mlax.lowering.stablehlo.builders import const, same

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry(op):
    shape = op.in_specs[0].shape
    k0, k1, x0, x1 = op.operands

    def c(v):
        return const(np.uint32, v & 0xFFFFFFFF, shape)

    def add(a, b):
        return same("stablehlo.add", a, b)

    def xor(a, b):
        return same("stablehlo.xor", a, b)

    def rotl(v, r):
        return same("stablehlo.or", same("stablehlo.shift_left", v, c(r)),
                    same("stablehlo.shift_right_logical", v, c(32 - r)))

    ks = [k0, k1, xor(xor(k0, k1), c(0x1BD11BDA))]
    x = [add(x0, ks[0]), add(x1, ks[1])]
    for step in range(5):
        for r in _ROTATIONS[step % 2]:
            x[0] = add(x[0], x[1])
            x[1] = xor(x[0], rotl(x[1], r))
        x[0] = add(x[0], ks[(step + 1) % 3])
        x[1] = add(add(x[1], ks[(step + 2) % 3]), c(step + 1))
    return x


LOWERINGS = {"mlax.threefry2x32": _threefry}
