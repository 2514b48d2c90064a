"""Statistics: quantiles, percentiles and medians (by sorting), `cov` and `corrcoef`,
histograms and `bincount`."""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax
from mlax.tracing import Tracer, user_site

from mlax.numpy._util import _arr, _axes, _dt, _float_args, _is_array, _promote
from mlax.numpy._shapes import (atleast_2d, broadcast_to, concatenate, moveaxis, ravel, reshape,
                                squeeze, transpose)
from mlax.numpy._creation import (asarray, diagonal, full, full_like, linspace, ones, ones_like,
                                  zeros, zeros_like)
from mlax.numpy._ufuncs import (_where3, ceil, clip, equal, floor, greater_equal, isnan, less,
                                logical_and, logical_not, minimum, multiply, round, sqrt,
                                true_divide)
from mlax.numpy._reductions import any, max, mean, min, sum
from mlax.numpy._index_routines import take_along_axis
from mlax.numpy._sorting import searchsorted, sort
from mlax.numpy._products import matmul
from mlax.numpy._math import diff


# -- order statistics (by sorting) -------------------------------------------------------

_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(a, q, axis, method, keepdims, ignore_nan):
    a = _float_args(a)[0]
    if a.dtype.kind == "c":
        raise ValueError("quantile does not support complex input, as the operation is poorly "
                         "defined.")
    q = _arr(q).astype(a.dtype)
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"quantile: method {method!r} is not supported (use one of {_QUANTILE_METHODS})")
    nd = a.ndim
    axes = _axes(axis, nd)
    rest = [d for d in range(nd) if d not in axes]
    a2 = transpose(a, rest + list(axes))
    n = 1
    for d in axes:
        n *= a.shape[d]
    a2 = reshape(a2, tuple(a.shape[d] for d in rest) + (n,))   # (n, not -1: n may be 0)
    n = a2.shape[-1]
    if n == 0:   # there is no element to interpolate between (JAX raises a TypeError)
        raise TypeError(f"quantile of an empty array: shape {a.shape}, axis {axis} (at {user_site()})")
    s = sort(a2, axis=-1)
    qf = ravel(q)
    nq = qf.shape[0]
    lead = s.shape[:-1]
    if ignore_nan:
        count = sum(logical_not(isnan(a2)), axis=-1, keepdims=True).astype(a.dtype)
    else:
        count = full(lead + (1,), float(n), a.dtype)
    pos = multiply(reshape(qf, (1,) * len(lead) + (nq,)), count - 1)
    pos = clip(pos, 0, None)
    lo = floor(pos)
    hi = ceil(pos)
    top = (count - 1).astype(_np.int32)
    ilo = minimum(lo.astype(_np.int32), top)
    ihi = minimum(hi.astype(_np.int32), top)
    ilo, ihi = broadcast_to(clip(ilo, 0), lead + (nq,)), broadcast_to(clip(ihi, 0), lead + (nq,))
    vlo = take_along_axis(s, ilo, -1, mode="clip")
    vhi = take_along_axis(s, ihi, -1, mode="clip")
    if method == "linear":
        frac = pos - lo
        res = vlo + (vhi - vlo) * frac
    elif method == "lower":
        res = vlo
    elif method == "higher":
        res = vhi
    elif method == "midpoint":
        res = (vlo + vhi) * 0.5
    else:
        # JAX's rule: a tie goes to the lower value (NumPy rounds half to even).
        res = _where3(lax.le(pos - lo, full_like(pos, 0.5)), vlo, vhi)
    if ignore_nan:
        res = _where3(lax.eq(count, zeros_like(count)), full_like(res, _np.nan), res)
    else:
        res = _where3(any(isnan(a2), axis=-1, keepdims=True), full_like(res, _np.nan), res)
    # NumPy's layout: q's dims first, then the kept dims.
    res = moveaxis(res, -1, 0)
    res = reshape(res, q.shape + lead)
    if keepdims:
        kshape = q.shape + tuple(1 if d in axes else a.shape[d] for d in range(nd))
        res = reshape(res, kshape)
    return res


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, interpolation=None):
    return _quantile(a, q, axis, interpolation or method, keepdims, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
                *, interpolation=None):
    return _quantile(a, q, axis, interpolation or method, keepdims, True)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
               *, interpolation=None):
    return quantile(a, true_divide(q, 100.0), axis=axis, method=interpolation or method, keepdims=keepdims)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
                  *, interpolation=None):
    return nanquantile(a, true_divide(q, 100.0), axis=axis, method=interpolation or method, keepdims=keepdims)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return nanquantile(a, 0.5, axis=axis, keepdims=keepdims)


# -- correlation -------------------------------------------------------------------------

def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    X = atleast_2d(_float_args(m)[0])
    if X.dtype.kind == "c" or (y is not None and _float_args(y)[0].dtype.kind == "c"):
        raise NotImplementedError("mlax.numpy.cov does not support complex inputs yet")
    if not rowvar and X.shape[0] != 1:
        X = X.T
    if y is not None:
        Y = atleast_2d(_float_args(y)[0])
        if not rowvar and Y.shape[0] != 1:
            Y = Y.T
        X = concatenate(_promote(X, Y), axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    if fweights is not None or aweights is not None:
        return _weighted_cov(X, ddof, fweights, aweights)
    n = X.shape[1]
    Xc = X - mean(X, axis=1, keepdims=True)
    c = matmul(Xc, Xc.T) / float(n - ddof)
    return squeeze(c) if c.shape == (1, 1) else c


def _weighted_cov(X, ddof, fweights, aweights):
    """JAX's cov with frequency and/or reliability weights (their absolute values)."""
    w = None
    if fweights is not None:
        fweights = _arr(fweights)
        if fweights.ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if fweights.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if not _np.issubdtype(fweights.dtype, _np.integer):
            raise TypeError("fweights must be integer.")
        w = abs(fweights)
    if aweights is not None:
        aweights = _arr(aweights)
        if aweights.ndim > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if aweights.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and aweights")
        aweights = abs(aweights)
        w = aweights if w is None else w * aweights
    X, w = _promote(X, _float_args(w)[0])
    w_sum = sum(w)
    avg = sum(X * w, axis=1) / w_sum
    if ddof == 0:
        f = w_sum
    elif aweights is None:
        f = w_sum - ddof
    else:
        f = w_sum - ddof * sum(w * aweights) / w_sum
    X = X - avg[:, None]
    return squeeze(matmul(X, (X * w).T) / f)


def corrcoef(x, y=None, rowvar=True):
    c = cov(x, y, rowvar)
    if c.ndim == 0:
        return c / c
    d = diagonal(c)
    stddev = sqrt(d)
    c = c / stddev[:, None] / stddev[None, :]
    return clip(c, -1, 1)


# -- histograms --------------------------------------------------------------------------

def histogram_bin_edges(a, bins=10, range=None, weights=None):
    a = _float_args(a)[0]
    if _np.ndim(bins) > 0 or _is_array(bins):
        return _arr(bins).astype(a.dtype)
    if range is None:
        lo, hi = min(a), max(a)
    else:
        lo, hi = asarray(range[0], a.dtype), asarray(range[1], a.dtype)
    same = lax.eq(lo, hi)
    lo = _where3(same, lo - 0.5, lo)
    hi = _where3(same, hi + 0.5, hi)
    return linspace(lo, hi, int(bins) + 1, dtype=a.dtype)


def histogram(a, bins=10, range=None, weights=None, density=None):
    a = ravel(_float_args(a)[0])
    edges = histogram_bin_edges(a, bins, range)
    nb = edges.shape[0] - 1
    idx = searchsorted(edges, a, side="right") - 1
    idx = _where3(equal(a, edges[-1]), full_like(idx, nb - 1), idx)
    inside = logical_and(greater_equal(idx, 0), less(idx, nb))
    idx = _where3(inside, idx, full_like(idx, nb))
    w = ones_like(a) if weights is None else ravel(_arr(weights)).astype(a.dtype)
    counts = zeros((nb,), a.dtype).at[idx].add(w, mode="drop")
    if density:
        widths = diff(edges)
        counts = counts / (sum(counts) * widths)
    return counts, edges


def bincount(x, weights=None, minlength=0, *, length=None):
    x = _arr(x)
    if _dt(x).kind not in "iu":
        raise TypeError(f"bincount: x must be integers, got {_dt(x)}")
    if x.ndim != 1:
        raise ValueError(f"bincount: x must be 1-d, got shape {x.shape}")
    if length is None:
        if isinstance(x, Tracer):
            x._concretization(core.ConcretizationTypeError, "bincount of a traced array without length",
                              "Pass length= (a static int).")
        host = _np.asarray(x)
        length = builtins.max(int(minlength), int(host.max()) + 1 if host.size else 0)
    length = int(length)
    if weights is None:
        w = ones(x.shape, core.default_int())
    else:
        w = broadcast_to(_arr(weights), x.shape)
    out = zeros((length,), _dt(w))
    idx = clip(x.astype(_np.int32), 0)
    return out.at[idx].add(w, mode="drop")


def histogramdd(sample, bins=10, range=None, weights=None, density=None):
    """The D-dimensional histogram of the (N, D) `sample`, as jnp.histogramdd."""
    import math
    from mlax.numpy._index_routines import ix_, ravel_multi_index, where
    sample = _arr(sample)
    if weights is not None:
        if _np.shape(weights) != _np.shape(sample)[:1]:
            raise ValueError("should have one weight for each sample.")
        sample, weights = _float_args(sample, weights)
    n, d = _np.shape(sample)
    if range is not None and (len(range) != d or builtins.any(
            r is not None and _np.shape(r)[0] != 2 for r in range)):
        raise ValueError(f"For sample.shape={(n, d)}, range must be a sequence of {d} pairs "
                         f"or Nones; got {range=}")
    try:
        per_dim = list(bins)
    except TypeError:
        per_dim = d * [bins]
    else:
        if len(per_dim) != d:
            raise ValueError("should be a bin for each dimension.")
    idx_by_dim, edges_by_dim = [], []
    for i in builtins.range(d):
        edges = histogram_bin_edges(sample[:, i], per_dim[i], None if range is None else
                                    range[i], weights)
        idx = searchsorted(edges, sample[:, i], side="right")
        idx = where(equal(sample[:, i], edges[-1]), idx - 1, idx)
        idx_by_dim.append(idx)
        edges_by_dim.append(edges)
    nbins = tuple(len(e) + 1 for e in edges_by_dim)
    xy = ravel_multi_index(tuple(idx_by_dim), nbins, mode="clip")
    hist = reshape(bincount(xy, weights, length=math.prod(nbins)), nbins)
    hist = hist[d * (builtins.slice(1, -1),)]
    if density:
        hist = hist.astype(sample.dtype)
        hist = hist / sum(hist)
        for norm in ix_(*[diff(e) for e in edges_by_dim]):
            hist = hist / norm
    return hist, edges_by_dim


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):
    """The 2-D histogram of the points (x, y), as jnp.histogram2d."""
    from mlax.numpy._shapes import stack
    try:
        nb = len(bins)
    except TypeError:
        nb = 1
    if nb != 1 and nb != 2:
        bins = [asarray(bins), asarray(bins)]
    hist, edges = histogramdd(stack([_arr(x), _arr(y)], axis=1), bins, range, weights, density)
    return hist, edges[0], edges[1]
