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
# on mlax.lax.conv_general_dilated; method='fft' raises NotImplementedError.

"""mlax.scipy.signal: N-d `convolve` and `correlate`, and `convolve2d` / `correlate2d`, as
jax.scipy.signal computes them (one lax.conv_general_dilated)."""
from __future__ import annotations

import numpy as np

from mlax import lax
from mlax import numpy as jnp
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


# Names jax.scipy.signal has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.scipy.signal", __name__)
