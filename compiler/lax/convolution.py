"""Convolutions, as in JAX's lax convolution.py: `conv_general_dilated` (one `mlax.conv` op
carrying XLA's ConvGeneralDilated attributes) and the wrappers and shape helpers built on
it. Dimension numbers are JAX's `ConvDimensionNumbers`: (batch, feature, spatial...) of
lhs and out, (out feature, in feature, spatial...) of rhs."""
from __future__ import annotations

import operator
from typing import NamedTuple, Sequence

import numpy as np

from mlax import core
from mlax.dispatch import bind
from mlax.lax.primitives import aval, convert_element_type, rev, transpose
from mlax.precision import precision_names
from mlax.tracing import user_site
from mlax.runtime.dtypes import is_float


class ConvDimensionNumbers(NamedTuple):
    """Batch, feature and spatial dims of a convolution's operands and result.

    lhs_spec, out_spec: (batch dimension, feature dimension, spatial dimensions...);
    rhs_spec: (out feature dimension, in feature dimension, spatial dimensions...)."""
    lhs_spec: Sequence[int]
    rhs_spec: Sequence[int]
    out_spec: Sequence[int]


def _dilate_dim(n, d):
    return 0 if n == 0 else 1 + d * (n - 1)


def _ceil_divide(a, b):
    return -(-a // b)


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """(low, high) padding per dim for the padding string 'SAME', 'SAME_LOWER' or 'VALID'."""
    if not isinstance(padding, str):
        raise TypeError(f"Unknown padding type: {padding}.")
    kind = padding.upper()
    if kind not in ("SAME", "SAME_LOWER", "VALID"):
        raise RuntimeError("Unrecognized padding type: expected 'VALID', 'SAME', or "
                           f"'SAME_LOWER', got {padding}.")
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for n, w, s in zip(in_shape, window_shape, window_strides):
        out = _ceil_divide(int(n), int(s))
        total = max((out - 1) * int(s) + int(w) - int(n), 0)
        lo = total // 2 if kind == "SAME" else _ceil_divide(total, 2)
        pads.append((lo, total - lo))
    return pads


def conv_general_permutations(dimension_numbers):
    """The dims of (lhs, rhs, out) in XLA's order, from JAX's spec strings."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    charpairs = ("N", "C"), ("O", "I"), ("N", "C")
    for i, (a, b) in enumerate(charpairs):
        if not dimension_numbers[i].count(a) == dimension_numbers[i].count(b) == 1:
            raise TypeError(f"convolution dimension_numbers[{i}] must contain the characters "
                            f"'{a}' and '{b}' exactly once, got {dimension_numbers[i]}.")
        if len(dimension_numbers[i]) != len(set(dimension_numbers[i])):
            raise TypeError(f"convolution dimension_numbers[{i}] cannot have duplicate "
                            f"characters, got {dimension_numbers[i]}.")
    if not (set(lhs_spec) - set(charpairs[0]) == set(rhs_spec) - set(charpairs[1])
            == set(out_spec) - set(charpairs[2])):
        raise TypeError("convolution dimension_numbers elements must each have the same set "
                        f"of spatial characters, got {dimension_numbers}.")

    def getperm(spec, charpair):
        spatial = [i for i, c in enumerate(spec) if c not in charpair]
        if spec is not rhs_spec:
            spatial = sorted(spatial, key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(charpair[0]), spec.index(charpair[1])) + tuple(spatial)

    return tuple(getperm(s, c) for s, c in zip(dimension_numbers, charpairs))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """`dimension_numbers` (None, spec strings or ConvDimensionNumbers) as
    ConvDimensionNumbers."""
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    if len(lhs_shape) != len(rhs_shape):
        raise TypeError("convolution requires lhs and rhs ndim to be equal, got "
                        f"{len(lhs_shape)} and {len(rhs_shape)}.")
    if dimension_numbers is None:
        iota = tuple(range(len(lhs_shape)))
        return ConvDimensionNumbers(iota, iota, iota)
    if isinstance(dimension_numbers, (list, tuple)):
        if len(dimension_numbers) != 3:
            raise TypeError("convolution dimension_numbers list/tuple must be length 3, got "
                            f"{len(dimension_numbers)}.")
        if not all(isinstance(s, str) for s in dimension_numbers):
            raise TypeError("convolution dimension_numbers elements must be strings, got "
                            f"{tuple(map(type, dimension_numbers))}.")
        for i, s in enumerate(dimension_numbers):
            if len(s) != len(lhs_shape):
                raise TypeError(f"convolution dimension_numbers[{i}] must have len equal to "
                                f"the ndim of lhs and rhs, got {len(s)} for lhs and rhs "
                                f"shapes {tuple(lhs_shape)} and {tuple(rhs_shape)}.")
        return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))
    raise TypeError("convolution dimension_numbers must be tuple/list or None, got "
                    f"{type(dimension_numbers)}.")


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """The result shape of a conv with operands in XLA's dim order."""
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    if len(pads) != len(lhs_shape) - 2:
        raise TypeError("Wrong number of explicit pads for convolution: expected "
                        f"{len(lhs_shape) - 2}, got {len(pads)}.")
    padded = [n + lo + hi for n, (lo, hi) in zip(lhs_shape[2:], pads)]
    if any(p < 0 for p in padded):
        raise ValueError("Negative padding is larger than the size of the corresponding "
                         f"dimension: got padding={pads} for lhs_shape[2:]={lhs_shape[2:]}")
    space = tuple(0 if p < k else (p - k) // s + 1
                  for p, k, s in zip(padded, rhs_shape[2:], strides))
    return (lhs_shape[0] // batch_group_count, rhs_shape[0]) + space


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    out = conv_shape_tuple(tuple(np.take(lhs_shape, lhs_perm)),
                           tuple(np.take(rhs_shape, rhs_perm)), window_strides, padding)
    return tuple(int(n) for n in np.take(out, np.argsort(out_perm)))


def _conv_transpose_padding(k, s, padding):
    """Low and high padding of one dim of a transposed convolution (JAX's rule)."""
    if padding == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else int(np.ceil(pad_len / 2))
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    elif isinstance(padding, tuple):
        pads = tuple(k - p - 1 for p in padding)
        pad_a = pads[0]
        pad_len = sum(pads)
    else:
        raise ValueError(f"Invalid padding mode: {padding}")
    return pad_a, pad_len - pad_a


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                               dimension_numbers):
    lhs_perm, rhs_perm, out_perm = conv_general_permutations(dimension_numbers)
    lhs_trans = np.take(lhs_shape, lhs_perm)
    rhs_trans = np.take(rhs_shape, rhs_perm)
    if isinstance(padding, str):
        padding = [_conv_transpose_padding(int(k), int(s), padding)
                   for k, s in zip(rhs_trans[2:], window_strides)]
    padding = [sum(p) for p in padding]
    space = [(i - 1) * s - k + 2 + p
             for i, k, s, p in zip(lhs_trans[2:], rhs_trans[2:], window_strides, padding)]
    out = (lhs_trans[0], rhs_trans[0]) + tuple(space)
    return tuple(int(n) for n in np.take(out, np.argsort(out_perm)))


def _check(lhs_shape, rhs_shape, dnums, window_strides, lhs_dilation, rhs_dilation, padding,
           feature_group_count, batch_group_count):
    """JAX's shape checks of conv_general_dilated, as its ValueErrors, at the user's line."""
    where = f" (at {user_site()})"
    nsp = len(lhs_shape) - 2
    for key, value in (("window_strides", window_strides), ("lhs_dilation", lhs_dilation),
                       ("rhs_dilation", rhs_dilation), ("padding", padding)):
        if len(value) != nsp:
            raise ValueError(f"conv_general_dilated {key} must have {nsp} entries (one per "
                             f"spatial dimension), got {tuple(value)}" + where)
    if feature_group_count < 1 or batch_group_count < 1:
        raise ValueError("conv_general_dilated feature_group_count and batch_group_count "
                         f"must be positive integers, got {feature_group_count} and "
                         f"{batch_group_count}" + where)
    if feature_group_count > 1 and batch_group_count > 1:
        raise ValueError("At most one of batch_group_count and feature_group_count may be > "
                         f"1, got batch_group_count={batch_group_count} and "
                         f"feature_group_count={feature_group_count}" + where)
    features = lhs_shape[dnums.lhs_spec[1]]
    if features % feature_group_count or \
            features // feature_group_count != rhs_shape[dnums.rhs_spec[1]]:
        raise ValueError("conv_general_dilated lhs feature dimension size divided by "
                         "feature_group_count must equal the rhs input feature dimension "
                         f"size, but {features} // {feature_group_count} != "
                         f"{rhs_shape[dnums.rhs_spec[1]]}" + where)
    out_features = rhs_shape[dnums.rhs_spec[0]]
    for name, count in (("feature_group_count", feature_group_count),
                        ("batch_group_count", batch_group_count)):
        if out_features % count:
            raise ValueError("conv_general_dilated rhs output feature dimension size must "
                             f"be a multiple of {name}, but {out_features} is not a "
                             f"multiple of {count}" + where)
    if lhs_shape[dnums.lhs_spec[0]] % batch_group_count:
        raise ValueError("conv_general_dilated batch_group_count must divide lhs batch "
                         f"dimension size, but {batch_group_count} does not divide "
                         f"{lhs_shape[dnums.lhs_spec[0]]}" + where)
    for i in range(nsp):
        if _dilate_dim(lhs_shape[dnums.lhs_spec[2 + i]], lhs_dilation[i]) + sum(padding[i]) < 0:
            raise ValueError("Negative padding is larger than the size of the corresponding "
                             f"dimension: got padding={tuple(padding)}" + where)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """General n-dimensional convolution with dilations (XLA's ConvGeneralDilated), as
    jax.lax.conv_general_dilated."""
    names = precision_names(precision)   # validated as JAX does; the op's attribute
    la, ra = aval(lhs), aval(rhs)
    if la.ndim != ra.ndim:
        raise ValueError("conv_general_dilated lhs and rhs must have the same number of "
                         f"dimensions, but got {la.shape} and {ra.shape}. (at {user_site()})")
    dnums = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    nsp = la.ndim - 2
    lhs_dilation = (1,) * nsp if lhs_dilation is None else tuple(int(d) for d in lhs_dilation)
    rhs_dilation = (1,) * nsp if rhs_dilation is None else tuple(int(d) for d in rhs_dilation)
    window_strides = tuple(int(s) for s in window_strides)
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dilation):
            raise ValueError("String padding is not implemented for transposed convolution "
                             "using this op. Please either exactly specify the required "
                             "padding or use conv_transpose.")
        rhs_space = [_dilate_dim(ra.shape[d], r) for d, r in zip(dnums.rhs_spec[2:], rhs_dilation)]
        padding = padtype_to_pads([la.shape[d] for d in dnums.lhs_spec[2:]], rhs_space,
                                  window_strides, padding)
    else:
        try:
            padding = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
        except (ValueError, TypeError) as e:
            raise ValueError("padding argument to conv_general_dilated should be a string or "
                             f"a sequence of (low, high) pairs, got {padding}") from e
    _check(la.shape, ra.shape, dnums, window_strides, lhs_dilation, rhs_dilation, padding,
           feature_group_count, batch_group_count)
    if la.dtype != ra.dtype:
        raise TypeError("conv_general_dilated requires arguments to have the same dtypes, "
                        f"got {la.dtype.name}, {ra.dtype.name}. (at {user_site()})")
    if preferred_element_type is not None:
        preferred = core.canonicalize_dtype(preferred_element_type)
        if preferred != la.dtype:
            narrower = preferred.kind == la.dtype.kind and preferred.itemsize < la.dtype.itemsize
            if narrower or (is_float(la.dtype) and not is_float(preferred)):
                raise TypeError(f"`preferred_element_type` {preferred.name} does not fit the "
                                f"input type {la.dtype.name} (at {user_site()})")
            # Accumulating in the wider type is computing in it: the inputs convert exactly.
            lhs = convert_element_type(lhs, preferred)
            rhs = convert_element_type(rhs, preferred)
    return bind("mlax.conv", lhs, rhs, window_strides=window_strides,
                padding_low=tuple(lo for lo, _ in padding),
                padding_high=tuple(hi for _, hi in padding),
                lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
                lhs_spec=tuple(int(d) for d in dnums.lhs_spec),
                rhs_spec=tuple(int(d) for d in dnums.rhs_spec),
                out_spec=tuple(int(d) for d in dnums.out_spec),
                feature_group_count=int(feature_group_count),
                batch_group_count=int(batch_group_count), precision=names)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """conv_general_dilated with NCHW / OIHW dims and no dilation."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None,
                   use_consistent_padding=False):
    """A fractionally strided convolution (JAX's conv_transpose)."""
    la, ra = aval(lhs), aval(rhs)
    ndims = la.ndim
    one = (1,) * (ndims - 2)
    if dimension_numbers is None:
        defaults = {3: ("NHC", "HIO", "NHC"), 4: ("NHWC", "HWIO", "NHWC"),
                    5: ("NHWDC", "HWDIO", "NHWDC")}
        if ndims not in defaults:
            raise ValueError("No 4+ dimensional dimension_number defaults.")
        dimension_numbers = defaults[ndims]
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    k_sdims = [ra.shape[d] for d in dn.rhs_spec[2:]]
    if rhs_dilation is None:
        rhs_dilation = one
    if use_consistent_padding or (isinstance(padding, str) and padding in {"SAME", "VALID"}):
        sizes = [_dilate_dim(k, r) for k, r in zip(k_sdims, rhs_dilation)]
        replicated = [padding] * len(strides) if isinstance(padding, str) else \
            [tuple(p) for p in padding]
        pads = tuple(_conv_transpose_padding(k, s, p)
                     for k, s, p in zip(sizes, strides, replicated))
    else:
        pads = padding
    if transpose_kernel:
        rhs = rev(rhs, tuple(dn.rhs_spec[2:]))
        perm = list(range(ndims))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = perm[dn.rhs_spec[1]], perm[dn.rhs_spec[0]]
        rhs = transpose(rhs, perm)
    return conv_general_dilated(lhs, rhs, one, pads, strides, rhs_dilation, dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)
