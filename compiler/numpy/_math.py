"""Mathematical routines beyond the elementwise functions: ranges of powers (`logspace`,
`geomspace`), differences and integrals (`diff`, `ediff1d`, `gradient`, `trapezoid`), `unwrap`,
`interp`, and the integer functions `gcd` and `lcm`."""
from __future__ import annotations

import builtins

import numpy as _np

from mlax import core, lax
from mlax.runtime import Array

from mlax.numpy._util import _arr, _axes, _axis, _dt, _float_args, _is_array, _promote, _take_axis
from mlax.numpy._shapes import _broadcast, broadcast_to, concatenate, ravel, reshape
from mlax.numpy._creation import _const, asarray, linspace, ones_like, zeros_like
from mlax.numpy._ufuncs import (_where3, abs, add, clip, exp, greater, less, log, logical_and,
                                multiply, not_equal, power, remainder, subtract)
from mlax.numpy._reductions import any, cumsum, sum
from mlax.numpy._sorting import searchsorted


# -- ranges of powers --------------------------------------------------------------------

def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    lin = linspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    return power(asarray(base, dtype), lin).astype(dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    dtype = core.canonicalize_dtype(dtype or core.default_float())
    if _is_array(start) or _is_array(stop):
        start, stop = asarray(start, dtype), asarray(stop, dtype)
        sign = lax.sign(start)
        lin = linspace(log(abs(start)), log(abs(stop)), num, endpoint=endpoint, dtype=dtype, axis=axis)
        return sign * exp(lin)
    return Array(_np.ascontiguousarray(_np.geomspace(start, stop, num, endpoint=endpoint, axis=axis).astype(dtype)))


# -- differences and integrals -----------------------------------------------------------

def diff(a, n=1, axis=-1, prepend=None, append=None):
    a = _arr(a)
    if a.ndim == 0:
        raise ValueError(f"diff requires input that is at least one dimensional; got {a}")
    axis = _axis(axis, a.ndim)
    if prepend is not None or append is not None:
        def edge(v):
            v = _arr(v)
            if v.ndim == 0:
                shp = list(a.shape)
                shp[axis] = 1
                v = broadcast_to(v, shp)
            return v
        pieces = ([edge(prepend)] if prepend is not None else []) + [a] + \
            ([edge(append)] if append is not None else [])
        a = concatenate(pieces, axis=axis)
    for _ in range(int(n)):
        m = a.shape[axis]
        if m == 0:   # nothing left to difference (NumPy's slices clamp: a[1:] is empty)
            break
        hi = lax.slice_in_dim(a, 1, m, 1, axis)
        lo = lax.slice_in_dim(a, 0, m - 1, 1, axis)
        a = not_equal(hi, lo) if _dt(a) == _np.bool_ else subtract(hi, lo)
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    out = diff(ravel(ary))
    parts = []
    if to_begin is not None:
        parts.append(ravel(_arr(to_begin)).astype(out.dtype))
    parts.append(out)
    if to_end is not None:
        parts.append(ravel(_arr(to_end)).astype(out.dtype))
    return concatenate(parts) if len(parts) > 1 else out


def gradient(f, *varargs, axis=None, edge_order=None):
    """Second-order central differences inside, first-order one-sided at the edges (NumPy's
    default), with scalar spacings."""
    f = _float_args(f)[0]
    axes = _axes(axis, f.ndim)
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and _np.ndim(varargs[0]) == 0:
        spacing = [varargs[0]] * len(axes)
    else:
        spacing = list(varargs)
    if builtins.any(_np.ndim(h) for h in spacing):
        raise NotImplementedError("gradient with coordinate arrays (only scalar spacings)")
    if edge_order not in (None, 1):
        raise NotImplementedError("gradient(edge_order=2)")
    out = []
    for ax, h in zip(axes, spacing):
        n = f.shape[ax]
        if n < 2:
            raise ValueError("Shape of array too small to calculate a numerical gradient, at least 2 elements are required.")
        sl = lambda s, e: lax.slice_in_dim(f, s, e, 1, ax)
        first = (sl(1, 2) - sl(0, 1)) / h
        last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        mid = (sl(2, n) - sl(0, n - 2)) / (2.0 * h) if n > 2 else None
        out.append(concatenate([first] + ([mid] if mid is not None else []) + [last], axis=ax))
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _float_args(y)[0]
    axis = _axis(axis, y.ndim)
    n = y.shape[axis]
    lo, hi = lax.slice_in_dim(y, 0, n - 1, 1, axis), lax.slice_in_dim(y, 1, n, 1, axis)
    if x is None:
        d = dx
    else:
        x = _arr(x)
        if x.ndim == 1:
            d = diff(x)
            shp = [1] * y.ndim
            shp[axis] = n - 1
            d = reshape(d, shp)
        else:
            d = diff(x, axis=axis)
    return sum(multiply(d, add(lo, hi)) / 2.0, axis=axis)


trapz = trapezoid


# -- phase unwrapping and interpolation --------------------------------------------------

def unwrap(p, discont=None, axis=-1, period=2 * _np.pi):
    p = _float_args(p)[0]
    axis = _axis(axis, p.ndim)
    if discont is None:
        discont = period / 2
    dd = diff(p, axis=axis)
    half = period / 2
    ddmod = remainder(dd + half, period) - half
    ddmod = _where3(logical_and(lax.eq(ddmod, _const(ddmod, -half)), lax.gt(dd, zeros_like(dd))),
                    _const(ddmod, half), ddmod)
    correct = ddmod - dd
    correct = _where3(lax.lt(lax.abs(dd), _const(dd, discont)), zeros_like(correct), correct)
    n = p.shape[axis]
    head = lax.slice_in_dim(p, 0, 1, 1, axis)
    return concatenate([head, lax.slice_in_dim(p, 1, n, 1, axis) + cumsum(correct, axis=axis)], axis=axis)


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of (xp, fp) at x (xp increasing)."""
    x, xp, fp = _float_args(x, xp, fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ValueError("xp and fp must be one-dimensional arrays of equal size")
    if period is not None:
        # As JAX: everything modulo the period, xp sorted, one point wrapped onto each end.
        if _np.ndim(period) != 0:
            raise ValueError(f"period must be a scalar; got {period}")
        period = abs(period)
        x, xp = remainder(x, period), remainder(xp, period)
        xp, fp = lax.sort_key_val(xp, fp)
        xp = concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = concatenate([fp[-1:], fp, fp[:1]])
    n = xp.shape[0]
    i = clip(searchsorted(xp, x, side="right"), 1, n - 1).astype(_np.int32)
    x0, x1 = _take_axis(xp, i - 1, 0), _take_axis(xp, i, 0)
    f0, f1 = _take_axis(fp, i - 1, 0), _take_axis(fp, i, 0)
    dx = x1 - x0
    safe = _where3(lax.eq(dx, zeros_like(dx)), ones_like(dx), dx)
    f = f0 + (x - x0) / safe * (f1 - f0)
    f = _where3(lax.eq(dx, zeros_like(dx)), f0, f)
    left = fp[0] if left is None else left
    right = fp[-1] if right is None else right
    f = _where3(less(x, xp[0]), left, f)
    f = _where3(greater(x, xp[-1]), right, f)
    return f


# -- integer functions -------------------------------------------------------------------

def _int_args(name, *args):
    args = _broadcast(*_promote(*args))
    if _dt(args[0]).kind not in "iu":
        raise TypeError(f"{name} requires integer arguments, got {_dt(args[0])}")
    return args


def gcd(x1, x2):
    """The greatest common divisor, by Euclid's algorithm in a while_loop."""
    x1, x2 = _int_args("gcd", x1, x2)
    x1, x2 = abs(x1), abs(x2)

    def cond(c):
        return any(lax.ne(c[1], zeros_like(c[1])))

    def body(c):
        a, b = c
        nz = lax.ne(b, zeros_like(b))
        safe = lax.select(nz, b, ones_like(b))
        return lax.select(nz, b, a), lax.select(nz, lax.rem(a, safe), zeros_like(b))
    return lax.while_loop(cond, body, (x1, x2))[0]


def lcm(x1, x2):
    x1, x2 = _int_args("lcm", x1, x2)
    d = gcd(x1, x2)
    safe = lax.select(lax.eq(d, zeros_like(d)), ones_like(d), d)
    out = abs(lax.mul(x1, lax.div(x2, safe)))
    return lax.select(lax.eq(d, zeros_like(d)), zeros_like(d), out)


# -- bits ---------------------------------------------------------------------------------

def packbits(a, axis=None, bitorder="big"):
    """The nonzero-ness of `a`'s elements packed eight to a uint8, as jnp.packbits."""
    from mlax.numpy._shapes import swapaxes
    arr = _arr(a)
    if _dt(arr).kind not in "iub":
        raise TypeError("Expected an input array of integer or boolean data type")
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    arr = lax.ne(arr, _const(arr, 0)).astype("uint8")
    bits = asarray(_np.arange(8, dtype=_np.uint8)[::-1 if bitorder == "big" else 1])
    if axis is None:
        arr, axis = ravel(arr), 0
    arr = swapaxes(arr, axis, -1)
    remainder = arr.shape[-1] % 8
    if remainder:
        arr = lax.pad(arr, _np.uint8(0), [(0, 0, 0)] * (arr.ndim - 1) + [(0, 8 - remainder, 0)])
    arr = reshape(arr, arr.shape[:-1] + (arr.shape[-1] // 8, 8))
    bits = reshape(bits, (1,) * (arr.ndim - 1) + (8,))
    packed = sum(lax.shift_left(arr, broadcast_to(bits, arr.shape)), axis=-1).astype("uint8")
    return swapaxes(packed, axis, -1)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """The bits of the uint8 array `a`, one uint8 0/1 per bit, as jnp.unpackbits."""
    from mlax.numpy._shapes import swapaxes
    from mlax.numpy._rearrange import pad
    arr = _arr(a)
    if _dt(arr) != _np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    bits = asarray((_np.uint8(1) << _np.arange(8, dtype=_np.uint8))[::-1 if bitorder == "big"
                                                                     else 1])
    if axis is None:
        arr, axis = ravel(arr), 0
    arr = swapaxes(arr, axis, -1)
    x = reshape(arr, arr.shape + (1,))
    unpacked = greater(lax.bitwise_and(broadcast_to(x, x.shape[:-1] + (8,)),
                                       broadcast_to(bits, x.shape[:-1] + (8,))),
                       _np.uint8(0)).astype("uint8")
    unpacked = reshape(unpacked, unpacked.shape[:-2] + (-1,))
    if count is not None:
        if count > unpacked.shape[-1]:
            unpacked = pad(unpacked, [(0, 0)] * (unpacked.ndim - 1)
                           + [(0, count - unpacked.shape[-1])])
        else:
            unpacked = unpacked[..., :count]
    return swapaxes(unpacked, axis, -1)
