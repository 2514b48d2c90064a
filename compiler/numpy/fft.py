"""mlax.numpy.fft: NumPy's discrete Fourier transforms over `lax.fft` (the `mlax.fft` op),
with JAX's argument rules: `n` / `s` crop or zero-pad the transformed axes, `axis` / `axes`
name them (at most three), `norm` is "backward" (None), "ortho" or "forward"."""
from __future__ import annotations

import operator

import numpy as _np

from mlax import api_names as _api_names
from mlax import core, lax

from mlax.numpy._util import _arr, _aval
from mlax.numpy._shapes import moveaxis
from mlax.numpy._creation import asarray
from mlax.numpy._ufuncs import conj, multiply, true_divide
from mlax.numpy._rearrange import pad, roll

FftType = lax.FftType


def _norm_factor(lengths, func_name, norm):
    """The factor `norm` applies to a transform of `lengths` (NumPy's conventions)."""
    size = float(_np.prod(lengths)) if lengths else 1.0
    inverse = func_name.startswith("i")
    if norm is None or norm == "backward":
        return None
    if norm == "ortho":
        return _np.sqrt(size) if inverse else 1 / _np.sqrt(size)
    if norm == "forward":
        return size if inverse else 1 / size
    raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _as_input(a, fft_type, full_name):
    a = _arr(a)
    kind = _aval(a).dtype.kind
    if fft_type == FftType.RFFT:
        if kind == "c":
            raise TypeError(f"{full_name} does not support complex-valued input.")
        if kind != "f":
            a = a.astype(core.default_float())
    elif kind != "c":
        a = a.astype(_np.complex128 if _aval(a).dtype == _np.float64 else core.default_complex())
    return a


def _fft_core(func_name, fft_type, a, s, axes, norm):
    full_name = f"jax.numpy.fft.{func_name}"
    a = _as_input(a, fft_type, full_name)
    ndim = a.ndim
    if s is not None:
        s = tuple(operator.index(n) for n in s)
        if any(n < 0 for n in s):
            raise ValueError(f"Shape should be non-negative, got {s}.")
    if s is not None and axes is not None and len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    orig_axes = axes
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    axes = tuple(operator.index(ax) % ndim if ndim else operator.index(ax) for ax in axes)
    if len(axes) != len(set(axes)):
        raise ValueError(f"{full_name} does not support repeated axes. Got axes {orig_axes}.")
    if len(axes) > 3:
        raise ValueError(f"{full_name} only supports 1D, 2D, and 3D FFTs. Got axes "
                         f"{orig_axes} with input rank {ndim}.")
    if not axes:
        return a
    if any(ax >= ndim for ax in axes):
        raise ValueError(f"{full_name}: axes {orig_axes} are out of range for rank {ndim}")
    last = tuple(range(ndim - len(axes), ndim))
    a = moveaxis(a, axes, last)
    if s is not None:
        in_s = list(a.shape)
        for ax, n in zip(last, s):
            in_s[ax] = n
        if fft_type == FftType.IRFFT:
            in_s[-1] = in_s[-1] // 2 + 1
        a = a[tuple(slice(0, n) for n in in_s)]
        if any(n > d for n, d in zip(in_s, a.shape)):
            a = pad(a, [(0, n - d) for n, d in zip(in_s, a.shape)])
    elif fft_type == FftType.IRFFT:
        s = [a.shape[ax] for ax in last[:-1]] + [max(0, 2 * (a.shape[-1] - 1))]
    else:
        s = [a.shape[ax] for ax in last]
    out = lax.fft(a, fft_type, tuple(s))
    factor = _norm_factor(s, func_name, norm)
    if factor is not None:
        out = multiply(out, asarray(factor, _aval(out).dtype))
    return moveaxis(out, last, axes)


def _axis_1d(func_name, axis):
    if isinstance(axis, (list, tuple)):
        raise ValueError(f"jax.numpy.fft.{func_name}: axis argument must be an int, got {axis}")


def _fft_1d(func_name, fft_type, a, n, axis, norm):
    _axis_1d(func_name, axis)
    return _fft_core(func_name, fft_type, a, None if n is None else [n], [axis], norm)


def _fft_2d(func_name, fft_type, a, s, axes, norm):
    if len(axes) != 2:
        raise ValueError(f"jax.numpy.fft.{func_name} only supports 2 axes. Got axes = {axes!r}.")
    return _fft_core(func_name, fft_type, a, s, axes, norm)


def fft(a, n=None, axis=-1, norm=None):
    return _fft_1d("fft", FftType.FFT, a, n, axis, norm)


def ifft(a, n=None, axis=-1, norm=None):
    return _fft_1d("ifft", FftType.IFFT, a, n, axis, norm)


def rfft(a, n=None, axis=-1, norm=None):
    return _fft_1d("rfft", FftType.RFFT, a, n, axis, norm)


def irfft(a, n=None, axis=-1, norm=None):
    return _fft_1d("irfft", FftType.IRFFT, a, n, axis, norm)


def hfft(a, n=None, axis=-1, norm=None):
    """The FFT of a signal with Hermitian symmetry: irfft of conj(a), scaled by n."""
    _axis_1d("hfft", axis)
    a = conj(_arr(a))
    nn = (a.shape[axis] - 1) * 2 if n is None else n
    return multiply(_fft_1d("hfft", FftType.IRFFT, a, n, axis, norm), nn)


def ihfft(a, n=None, axis=-1, norm=None):
    """The inverse of hfft: conj(rfft(a)) / n."""
    _axis_1d("ihfft", axis)
    a = _arr(a)
    nn = a.shape[axis] if n is None else n
    return multiply(conj(_fft_1d("ihfft", FftType.RFFT, a, n, axis, norm)), 1 / nn)


def fft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("fft2", FftType.FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("ifft2", FftType.IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("rfft2", FftType.RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    return _fft_2d("irfft2", FftType.IRFFT, a, s, axes, norm)


def fftn(a, s=None, axes=None, norm=None):
    return _fft_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
    return _fft_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    return _fft_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    return _fft_core("irfftn", FftType.IRFFT, a, s, axes, norm)


def _freq_args(func_name, n, d, dtype):
    if isinstance(n, (list, tuple)):
        raise ValueError(f"The n argument of jax.numpy.fft.{func_name} only takes an int. "
                         f"Got n = {list(n)}.")
    if isinstance(d, (list, tuple)):
        raise ValueError(f"The d argument of jax.numpy.fft.{func_name} only takes a single "
                         f"value. Got d = {list(d)}.")
    return operator.index(n), core.canonicalize_dtype(dtype or core.default_float())


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an n-point FFT with sample spacing d."""
    n, dtype = _freq_args("fftfreq", n, d, dtype)
    k = _np.concatenate([_np.arange(0, (n - 1) // 2 + 1), _np.arange(-(n // 2), 0)])
    return true_divide(asarray(k.astype(dtype)), asarray(d * n, dtype))


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an n-point RFFT with sample spacing d."""
    n, dtype = _freq_args("rfftfreq", n, d, dtype)
    k = _np.arange(0, n // 2 + 1)
    return true_divide(asarray(k.astype(dtype)), asarray(d * n, dtype))


def _shift(x, axes, sign):
    x = _arr(x)
    if axes is None:
        axes = tuple(range(x.ndim))
        shift = [sign * (dim // 2) for dim in x.shape]
    elif isinstance(axes, int):
        shift = sign * (x.shape[axes] // 2)
    else:
        shift = [sign * (x.shape[ax] // 2) for ax in axes]
    return roll(x, shift, axes)


def fftshift(x, axes=None):
    """x with the zero-frequency entry moved to the middle of each axis in `axes`."""
    return _shift(x, axes, 1)


def ifftshift(x, axes=None):
    """The inverse of fftshift."""
    return _shift(x, axes, -1)


# Names jax.numpy.fft has and mlax does not yet: NotImplementedError naming them.
__getattr__ = _api_names.module_getattr("jax.numpy.fft", __name__)
