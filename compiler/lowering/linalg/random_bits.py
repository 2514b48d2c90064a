"""Random bits: threefry2x32, one linalg.generic with two results (jax's 20-round
schedule), so the bits match jax.random's."""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import arith

from mlax.lowering.linalg.builders import generic, identity, wrap


_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def threefry2x32_scalar(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds on i32 scalars, exactly as jax's
    `_threefry2x32_lowering` (jax/_src/random/threefry2x32.py)."""
    i32 = ir.IntegerType.get_signless(32)
    c = lambda v: arith.constant(i32, wrap(v, np.int32))

    def rotl(v, r):
        return arith.ori(arith.shli(v, c(r)), arith.shrui(v, c(32 - r)))

    ks = [k0, k1, arith.xori(arith.xori(k0, k1), c(0x1BD11BDA))]
    x = [arith.addi(x0, ks[0]), arith.addi(x1, ks[1])]
    for step in range(5):
        for r in _THREEFRY_ROTATIONS[step % 2]:
            x[0] = arith.addi(x[0], x[1])
            x[1] = arith.xori(x[0], rotl(x[1], r))
        x[0] = arith.addi(x[0], ks[(step + 1) % 3])
        x[1] = arith.addi(arith.addi(x[1], ks[(step + 2) % 3]), c(step + 1))
    return x


def _threefry_rule(op):
    out = op.out_specs[0]
    n = len(out.shape)
    return generic([out, out], op.operands, op.in_dtypes, [identity(n)] * 4, [identity(n)] * 2,
                   ["parallel"] * n, lambda k0, k1, x0, x1, _a, _b: threefry2x32_scalar(k0, k1, x0, x1))


LOWERINGS = {"mlax.threefry2x32": _threefry_rule}
