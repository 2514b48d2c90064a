"""`mlax.fft`: discrete Fourier transforms as contractions with constant DFT matrices.

Each transformed axis of length n is a mixed-radix Cooley-Tukey decomposition: n = n1 * n2,
with n1 the largest divisor of n from 2 to 16 (else n's smallest prime factor), splits
into DFTs of length n1 along the leading half of the axis (one `linalg.generic`
contracting with the n1 x n1 DFT matrix), a multiplication by twiddle factors, and DFTs of
length n2, decomposed the same way; a transpose puts the outputs in order. A length n1 = n
(n <= 16, or a prime) is one direct DFT: O(n^2), so a large prime length costs n^2
multiplications and an n x n constant. The DFT matrices and twiddles are computed in
float64 and rounded once to the element type.

FFT and IFFT transform complex values along each axis (IFFT scaled by 1/n, as XLA's).
RFFT converts to complex, transforms the last axis and keeps its first n // 2 + 1
entries, then transforms the others. IRFFT inverts the other axes, extends the last axis
to n entries by Hermitian symmetry (x[n - k] = conj(x[k])), inverts it and keeps the real
part, so the imaginary parts of the first and (n even) the middle entry are ignored, as in
NumPy and XLA.
"""
from __future__ import annotations

import math

import numpy as np
from mlir import ir
from mlir.dialects import arith, complex as complex_d

from mlax.dialects import dense_attr, infer, tensor_type
from mlax.dialects.ops import complex_dtype, real_dtype
from mlax.dialects.types import TensorSpec
from mlax.lowering.linalg import shape as shape_rules
from mlax.lowering.linalg.builders import (amap, elementwise, filled, generic, identity,
                                           scalar_const)
from mlax.lowering.linalg.elementwise import convert_scalar


class _Composed:
    """The view of an op that a family's rule reads (as the driver's `Op`), for an op the
    FFT is composed of and that is never built."""

    def __init__(self, name, operands, in_specs, attrs):
        self.name = name
        self.operands = list(operands)
        self.in_specs = list(in_specs)
        self.out_specs = infer(name, in_specs, attrs)
        self.attrs = attrs
        self.in_dtypes = [s.dtype for s in in_specs]


def _shape_op(name, v, spec, **attrs):
    """The lowering of the shape op `name` applied to v: (value, spec)."""
    op = _Composed(name, [v], [spec], attrs)
    return shape_rules.LOWERINGS[name](op)[0], op.out_specs[0]


def _constant(arr) -> ir.Value:
    return arith.ConstantOp(tensor_type(arr.shape, arr.dtype), dense_attr(arr)).result


def _radix(n):
    """The length of the first stage of an n-point DFT (n itself: a direct DFT)."""
    for d in range(min(n, 16), 1, -1):
        if n % d == 0:
            return d
    return next(p for p in range(2, n + 1) if n % p == 0)


def _roots(rows, cols, n, sign, dtype):
    """exp(sign * 2 pi i * r * c / n) for r < rows, c < cols, rounded once to `dtype`."""
    rc = np.outer(np.arange(rows), np.arange(cols)) % n   # exact, and small for the sine
    return np.exp(sign * 2j * np.pi * rc / n).astype(dtype)


def _direct(v, s, axis, sign):
    """The DFT of v along `axis`: out[.., k, ..] = sum_j v[.., j, ..] w[j, k]."""
    n, r = s.shape[axis], len(s.shape)
    w = _constant(_roots(n, n, n, sign, s.dtype))
    in_map = amap(r + 1, [r if d == axis else d for d in range(r)])
    return generic([s], [v, w], [s.dtype, s.dtype], [in_map, amap(r + 1, [r, axis])],
                   [amap(r + 1, list(range(r)))], ["parallel"] * r + ["reduction"],
                   lambda x, y, acc: [complex_d.add(acc, complex_d.mul(x, y))],
                   inits=[filled(s, 0)])[0]


def _dft(v, s, axis, sign):
    """The DFT of v (complex, spec s) along `axis`: sign -1 forward, +1 inverse (unscaled)."""
    n = s.shape[axis]
    if n <= 1:
        return v
    n1 = _radix(n)
    if n1 == n:
        return _direct(v, s, axis, sign)
    n2 = n // n1
    # x[n2 j1 + j2] -> X[k1 + n1 k2]: DFTs over j1, twiddles w_n^(k1 j2), DFTs over j2.
    v, split = _shape_op("mlax.reshape", v, s,
                         new_sizes=s.shape[:axis] + (n1, n2) + s.shape[axis + 1:])
    v = _direct(v, split, axis, sign)
    r = len(split.shape)
    twiddles = _constant(_roots(n1, n2, n, sign, s.dtype))
    v = generic([split], [v, twiddles], [s.dtype, s.dtype], [identity(r), amap(r, [axis, axis + 1])],
                [identity(r)], ["parallel"] * r, lambda x, t, _: [complex_d.mul(x, t)])[0]
    v = _dft(v, split, axis + 1, sign)
    perm = list(range(r))
    perm[axis], perm[axis + 1] = axis + 1, axis
    v, swapped = _shape_op("mlax.transpose", v, split, permutation=tuple(perm))
    return _shape_op("mlax.reshape", v, swapped, new_sizes=s.shape)[0]


def _scaled(v, s, factor):
    return elementwise(s, [v], [s.dtype], lambda x: complex_d.mul(x, scalar_const(s.dtype, factor)))


def _hermitian_extension(v, s, n):
    """v (last dim n // 2 + 1) extended to n entries along the last axis with
    x[n - k] = conj(x[k])."""
    m = s.shape[-1]
    if n == m:
        return v, s
    r = len(s.shape)
    tail = TensorSpec(s.shape[:-1] + (n - m,), s.dtype)
    # entry d of the tail is conj(x[n - m - d])
    rev = ir.AffineAddExpr.get(ir.AffineConstantExpr.get(n - m),
                               ir.AffineMulExpr.get(ir.AffineDimExpr.get(r - 1),
                                                    ir.AffineConstantExpr.get(-1)))
    ext = generic([tail], [v], [s.dtype], [amap(r, list(range(r - 1)) + [rev])], [identity(r)],
                  ["parallel"] * r, lambda x, _: [complex_d.conj(x)])[0]
    op = _Composed("mlax.concatenate", [v, ext], [s, tail], {"dimension": r - 1})
    return shape_rules.LOWERINGS["mlax.concatenate"](op)[0], op.out_specs[0]


def _fft_rule(op):
    x = op.in_specs[0]
    kind, lengths = op.attrs["fft_type"], tuple(op.attrs["fft_lengths"])
    r = len(x.shape)
    axes = list(range(r - len(lengths), r))
    size = math.prod(lengths)
    v = op.operands[0]
    if kind in ("FFT", "IFFT"):
        sign = -1 if kind == "FFT" else 1
        for a in reversed(axes):
            v = _dft(v, x, a, sign)
        return [_scaled(v, x, 1 / size) if kind == "IFFT" and size else v]
    if kind == "RFFT":
        c = TensorSpec(x.shape, complex_dtype(x.dtype))
        v = elementwise(c, [v], [x.dtype], lambda a: convert_scalar(a, x.dtype, c.dtype))
        v = _dft(v, c, r - 1, -1)
        n = lengths[-1]
        v, c = _shape_op("mlax.slice", v, c, start_indices=(0,) * r,
                         limit_indices=c.shape[:-1] + (n // 2 + 1,), strides=(1,) * r)
        for a in reversed(axes[:-1]):
            v = _dft(v, c, a, -1)
        return [v]
    # IRFFT
    for a in reversed(axes[:-1]):
        v = _dft(v, x, a, 1)
    v, full = _hermitian_extension(v, x, lengths[-1])
    v = _dft(v, full, r - 1, 1)
    out = TensorSpec(full.shape, real_dtype(x.dtype))
    scale = scalar_const(out.dtype, 1 / size if size else 1)
    return [elementwise(out, [v], [full.dtype], lambda z: arith.mulf(complex_d.re(z), scale))]


LOWERINGS = {"mlax.fft": _fft_rule}
