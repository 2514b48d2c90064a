# Copyright 2020 The JAX Authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
# Modified for mlax: the direct convolutions of JAX's jax/_src/scipy/signal.py (jax 0.10.2)
# on mlax.lax.conv_general_dilated; method='fft' raises NotImplementedError. The short-time
# Fourier transforms and detrend are its stft / istft / detrend (mode 'stft' of its
# spectral helper; welch and csd are not ported yet).

"""mlax.scipy.signal: N-d `convolve` and `correlate`, and `convolve2d` / `correlate2d`, as
jax.scipy.signal computes them (one lax.conv_general_dilated); `detrend`, and `stft` /
`istft` as windowed FFTs of overlapping segments and their overlap-add."""
from __future__ import annotations

import math
import warnings
from functools import partial

import numpy as np

from mlax import lax
from mlax import numpy as jnp
from mlax.batching import vmap
from mlax.numpy._util import _float_args


def _convolve_nd(in1, in2, mode, *, precision):
    if mode not in ["full", "same", "valid"]:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 must have the same number of dimensions")
    if in1.size == 0 or in2.size == 0:
        raise ValueError("zero-size arrays not supported in convolutions, got shapes "
                         f"{in1.shape} and {in2.shape}.")
    in1, in2 = _float_args(in1, in2)
    no_swap = all(s1 >= s2 for s1, s2 in zip(in1.shape, in2.shape))
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape))
    if not (no_swap or swap):
        raise ValueError("One input must be smaller than the other in every dimension.")
    shape_o = in2.shape
    if swap:
        in1, in2 = in2, in1
    shape = in2.shape
    in2 = jnp.flip(in2)
    if mode == "valid":
        padding = [(0, 0) for _ in shape]
    elif mode == "same":
        padding = [(s - 1 - (s_o - 1) // 2, s - s_o + (s_o - 1) // 2)
                   for s, s_o in zip(shape, shape_o)]
    else:
        padding = [(s - 1, s - 1) for s in shape]
    strides = tuple(1 for _ in shape)
    result = lax.conv_general_dilated(in1[None, None], in2[None, None], strides, padding,
                                      precision=precision)
    return result[0, 0]


def _check_method(method):
    if method == "fft":
        raise NotImplementedError("mlax.scipy.signal does not implement method='fft' (mlax "
                                  "has no FFT yet); use method='direct'")
    if method not in ("direct", "auto"):
        raise ValueError(f"Got {method=}; expected 'auto', 'fft', or 'direct'.")


def convolve(in1, in2, mode="full", method="auto", precision=None):
    """N-d convolution of in1 and in2 (scipy.signal.convolve), computed directly."""
    _check_method(method)
    return _convolve_nd(in1, in2, mode, precision=precision)


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError("convolve2d() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError("convolve2d() only supports 2-dimensional inputs.")
    return _convolve_nd(in1, in2, mode, precision=precision)


def correlate(in1, in2, mode="full", method="auto", precision=None):
    """N-d cross-correlation of in1 and in2 (scipy.signal.correlate), computed directly."""
    return convolve(in1, jnp.flip(jnp.conj(jnp.asarray(in2))), mode, precision=precision,
                    method=method)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, precision=None):
    if boundary != "fill" or fillvalue != 0:
        raise NotImplementedError("correlate2d() only supports boundary='fill', fillvalue=0")
    if np.ndim(in1) != 2 or np.ndim(in2) != 2:
        raise ValueError("correlate2d() only supports 2-dimensional inputs.")
    in1, in2 = jnp.asarray(in1), jnp.asarray(in2)
    swap = all(s1 <= s2 for s1, s2 in zip(in1.shape, in2.shape))
    same_shape = all(s1 == s2 for s1, s2 in zip(in1.shape, in2.shape))
    if mode == "same":
        in1, in2 = jnp.flip(in1), jnp.conj(in2)
        return jnp.flip(_convolve_nd(in1, in2, mode, precision=precision))
    if mode == "valid":
        if swap and not same_shape:
            return _convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision)
        return jnp.flip(_convolve_nd(jnp.flip(in1), jnp.conj(in2), mode, precision=precision))
    if swap:
        return jnp.conj(_convolve_nd(jnp.flip(in2), jnp.conj(in1), mode, precision=precision))
    return jnp.flip(_convolve_nd(jnp.flip(in1), jnp.conj(in2), mode, precision=precision))


# -- detrending and short-time Fourier transforms -----------------------------------------

def detrend(data, axis=-1, type="linear", bp=0, overwrite_data=None):
    if overwrite_data is not None:
        raise NotImplementedError("overwrite_data argument not implemented.")
    if type not in ["constant", "linear"]:
        raise ValueError("Trend type must be 'linear' or 'constant'.")
    data_arr, = _float_args(jnp.asarray(data))
    if type == "constant":
        return data_arr - data_arr.mean(axis, keepdims=True)
    N = data_arr.shape[axis]
    bp_arr = np.sort(np.unique(np.r_[0, bp, N]))
    if bp_arr[0] < 0 or bp_arr[-1] > N:
        raise ValueError("Breakpoints must be non-negative and less than length of data along given axis.")
    data_arr = jnp.moveaxis(data_arr, axis, 0)
    shape = data_arr.shape
    data_arr = data_arr.reshape(N, -1)
    for m in range(len(bp_arr) - 1):
        Npts = bp_arr[m + 1] - bp_arr[m]
        A = jnp.vstack([jnp.ones(Npts, dtype=data_arr.dtype),
                        jnp.arange(1, Npts + 1, dtype=data_arr.dtype) / Npts.astype(data_arr.dtype)]).T
        sl = slice(bp_arr[m], bp_arr[m + 1])
        coef, *_ = jnp.linalg.lstsq(A, data_arr[sl])
        data_arr = data_arr.at[sl].add(-jnp.matmul(A, coef))
    return jnp.moveaxis(data_arr.reshape(shape), 0, axis)


_detrend = detrend      # stft's argument `detrend` hides the function


def _hann(n, dtype):
    return (jnp.array([1.0]) if n == 1 else jnp.sin(jnp.linspace(0, np.pi, n, endpoint=False)) ** 2).astype(dtype)


def _triage_segments(window, nperseg, input_length, dtype):
    """The window as an array, and the segment length."""
    if isinstance(window, (str, tuple)):
        nperseg_int = input_length if nperseg is None else int(nperseg)
        if nperseg_int > input_length:
            warnings.warn(f"nperseg={nperseg_int} is greater than {input_length=}, using nperseg={input_length}")
            nperseg_int = input_length
        if window != "hann":
            raise NotImplementedError(f"window={window!r}: mlax.scipy.signal has only 'hann' and array windows")
        return _hann(nperseg_int, dtype), nperseg_int
    win = jnp.asarray(window, dtype=dtype)
    nperseg_int = win.size if nperseg is None else int(nperseg)
    if win.ndim != 1:
        raise ValueError("window must be 1-D")
    if input_length < win.size:
        raise ValueError("window is longer than input signal")
    if nperseg_int != win.size:
        raise ValueError("value specified for nperseg is different from length of window")
    return win, nperseg_int


def odd_ext(x, n, axis=-1):
    if n < 1:
        return x
    if n > x.shape[axis] - 1:
        raise ValueError(f"The extension length n ({n}) is too big. "
                         f"It must not exceed x.shape[axis]-1, which is {x.shape[axis] - 1}.")
    size = x.shape[axis]
    left_end = lax.slice_in_dim(x, 0, 1, axis=axis)
    left_ext = jnp.flip(lax.slice_in_dim(x, 1, n + 1, axis=axis), axis=axis)
    right_end = lax.slice_in_dim(x, size - 1, size, axis=axis)
    right_ext = jnp.flip(lax.slice_in_dim(x, size - (n + 1), size - 1, axis=axis), axis=axis)
    return jnp.concatenate((2 * left_end - left_ext, x, 2 * right_end - right_ext), axis=axis)


def _pad_both_ends(mode, **kwargs):
    def pad(x, n, axis=-1):
        pad_width = [(0, 0)] * x.ndim
        pad_width[axis] = (n, n)
        return jnp.pad(x, pad_width, mode, **kwargs)
    return pad


# boundary -> how stft extends the signal at both ends.
BOUNDARY_FUNCS = {
    "even": _pad_both_ends("reflect"),
    "odd": odd_ext,
    "constant": _pad_both_ends("edge"),
    "zeros": _pad_both_ends("constant", constant_values=0.0),
    None: lambda x, *args, **kwargs: x,
}


def _fft_segments(x, win, detrend_func, nperseg, noverlap, nfft, sides):
    """The windowed FFTs of x's overlapping segments, frames on the next-to-last axis."""
    if x.dtype.kind == "i":
        x = x.astype(win.dtype)
    *batch_shape, signal_length = x.shape
    if nperseg == 1 and noverlap == 0:
        result = x[..., np.newaxis]
    else:
        starts = jnp.arange(signal_length - nperseg + 1, step=nperseg - noverlap)
        slice_func = partial(lax.dynamic_slice_in_dim, x, slice_size=nperseg, axis=x.ndim - 1)
        result = vmap(slice_func, out_axes=-2)(starts)
    result = detrend_func(result)
    if jnp.iscomplexobj(win):
        result = result.astype(jnp.result_type(result.dtype, np.complex64))
    result = win.reshape((1,) * len(batch_shape) + (1, nperseg)) * result
    if sides == "twosided":
        return jnp.fft.fft(result, n=nfft)
    return jnp.fft.rfft(result.real, n=nfft)


def stft(x, fs=1.0, window="hann", nperseg=256, noverlap=None, nfft=None, detrend=False,
         return_onesided=True, boundary="zeros", padded=True, axis=-1):
    if boundary not in BOUNDARY_FUNCS:
        raise ValueError(f"Unknown boundary option '{boundary}', must be one of: {list(BOUNDARY_FUNCS)}")
    x, = _float_args(jnp.asarray(x))
    axis = int(axis) % x.ndim
    result_dtype = jnp.result_type(x.dtype, np.complex64)
    freq_dtype = np.finfo(result_dtype).dtype
    nperseg_int = None
    if nperseg is not None:
        nperseg_int = int(nperseg)
        if nperseg_int < 1:
            raise ValueError("nperseg must be a positive integer")
    win, nperseg_int = _triage_segments(window, nperseg_int, input_length=x.shape[axis], dtype=x.dtype)
    noverlap_int = nperseg_int // 2 if noverlap is None else int(noverlap)
    nfft_int = nperseg_int if nfft is None else int(nfft)
    if x.size == 0:
        return jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, freq_dtype), jnp.zeros(x.shape, result_dtype)
    x = jnp.moveaxis(x, axis, -1)
    if nfft_int < nperseg_int:
        raise ValueError("nfft must be greater than or equal to nperseg.")
    if noverlap_int >= nperseg_int:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg_int - noverlap_int
    if boundary is not None:
        x = BOUNDARY_FUNCS[boundary](x, nperseg_int // 2, axis=-1)
    if padded:
        # A whole number of segments: x.shape[-1] = nperseg + (nseg - 1) * nstep.
        nadd = (-(x.shape[-1] - nperseg_int) % nstep) % nperseg_int
        x = jnp.concatenate((x, jnp.zeros((*x.shape[:-1], nadd), x.dtype)), axis=-1)
    if isinstance(detrend, str):
        detrend_func = partial(_detrend, type=detrend, axis=-1)
    elif callable(detrend):
        detrend_func = detrend
    elif not detrend:
        detrend_func = lambda d: d
    else:
        raise ValueError(f"Unsupported detrend type: {detrend}")
    scale = jnp.sqrt(1.0 / win.sum() ** 2).astype(result_dtype)
    sides = "onesided" if return_onesided else "twosided"
    if return_onesided and jnp.iscomplexobj(x):
        sides = "twosided"
        warnings.warn("Input data is complex, switching to return_onesided=False")
    freqs = (jnp.fft.fftfreq(nfft_int, 1 / fs, dtype=freq_dtype) if sides == "twosided"
             else jnp.fft.rfftfreq(nfft_int, 1 / fs, dtype=freq_dtype))
    result = _fft_segments(x, win, detrend_func, nperseg_int, noverlap_int, nfft_int, sides) * scale
    time = jnp.arange(nperseg_int / 2, x.shape[-1] - nperseg_int / 2 + 1, nperseg_int - noverlap_int,
                      dtype=freq_dtype) / fs
    if boundary is not None:
        time -= (nperseg_int / 2) / fs
    result = jnp.moveaxis(result.astype(result_dtype), -1, axis)
    return freqs, time, result


def _overlap_and_add(x, step_size):
    """Frames (..., nframes, frame_length) summed at offsets step_size apart."""
    *batch_shape, nframes, segment_len = x.shape
    flat_batchsize = math.prod(batch_shape)
    x = x.reshape((flat_batchsize, nframes, segment_len))
    output_size = step_size * (nframes - 1) + segment_len
    nstep_per_segment = 1 + (segment_len - 1) // step_size
    padded_segment_len = nstep_per_segment * step_size
    x = jnp.pad(x, ((0, 0), (0, 0), (0, padded_segment_len - segment_len)))
    x = x.reshape((flat_batchsize, nframes, nstep_per_segment, step_size))
    # Read the padded rows flattened with one row fewer: each row's tail moves to the head of
    # the next, which shifts the segments into place (TensorFlow's overlap_and_add).
    x = x.transpose((0, 2, 1, 3))
    x = jnp.pad(x, ((0, 0), (0, 0), (0, nframes), (0, 0)))
    shrunken = x.shape[2] - 1
    x = x.reshape((flat_batchsize, -1))[:, :(nstep_per_segment * shrunken * step_size)]
    x = x.reshape((flat_batchsize, nstep_per_segment, shrunken * step_size))
    return x.sum(axis=1)[:, :output_size].reshape(tuple(batch_shape) + (-1,))


def istft(Zxx, fs=1.0, window="hann", nperseg=None, noverlap=None, nfft=None,
          input_onesided=True, boundary=True, time_axis=-1, freq_axis=-2):
    Zxx = jnp.asarray(Zxx)
    if Zxx.ndim < 2:
        raise ValueError("Input stft must be at least 2d!")
    freq_axis, time_axis = int(freq_axis) % Zxx.ndim, int(time_axis) % Zxx.ndim
    if freq_axis == time_axis:
        raise ValueError("Must specify differing time and frequency axes!")
    Zxx = Zxx.astype(jnp.result_type(Zxx.dtype, np.complex64))
    n_default = 2 * (Zxx.shape[freq_axis] - 1) if input_onesided else Zxx.shape[freq_axis]
    nperseg_int = int(nperseg or n_default)
    if nperseg_int < 1:
        raise ValueError("nperseg must be a positive integer")
    if nfft is None:
        nfft_int = n_default + (1 if input_onesided and nperseg_int == n_default + 1 else 0)
    else:
        nfft_int = int(nfft)
    if nfft_int < nperseg_int:
        raise ValueError(f"FFT length ({nfft_int}) must be longer than nperseg ({nperseg_int}).")
    noverlap_int = int(noverlap or nperseg_int // 2)
    if noverlap_int >= nperseg_int:
        raise ValueError("noverlap must be less than nperseg.")
    nstep = nperseg_int - noverlap_int
    if time_axis != Zxx.ndim - 1 or freq_axis != Zxx.ndim - 2:
        outer = tuple(i for i in range(Zxx.ndim) if i not in {time_axis, freq_axis})
        Zxx = jnp.transpose(Zxx, outer + (freq_axis, time_axis))
    ifunc = jnp.fft.irfft if input_onesided else jnp.fft.ifft
    xsubs = ifunc(Zxx, axis=-2, n=nfft)[..., :nperseg_int, :]
    if isinstance(window, (str, tuple)):
        if window != "hann":
            raise NotImplementedError(f"window={window!r}: mlax.scipy.signal has only 'hann' and array windows")
        win = _hann(nperseg_int, xsubs.dtype)
    else:
        win = jnp.asarray(window)
        if len(win.shape) != 1:
            raise ValueError("window must be 1-D")
        if win.shape[0] != nperseg_int:
            raise ValueError(f"window must have length of {nperseg_int}")
    xsubs = xsubs * win.sum()  # the 'spectrum' scaling
    win = lax.expand_dims(win, (*range(xsubs.ndim - 2), xsubs.ndim - 1))
    x = _overlap_and_add((xsubs * win).swapaxes(-2, -1), nstep)
    norm = _overlap_and_add(jnp.repeat(win * win, xsubs.shape[-1], axis=-1).swapaxes(-2, -1), nstep)
    if boundary:
        x = x[..., nperseg_int // 2:-(nperseg_int // 2)]
        norm = norm[..., nperseg_int // 2:-(nperseg_int // 2)]
    x = x / jnp.where(norm > 1e-10, norm, 1.0)
    if x.ndim > 1 and time_axis != Zxx.ndim - 1:
        if freq_axis < time_axis:
            time_axis -= 1
        x = jnp.moveaxis(x, -1, time_axis)
    time = jnp.arange(x.shape[0], dtype=np.finfo(x.dtype).dtype) / fs
    return time, x


# Names jax.scipy.signal has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.signal", __name__)
