# Copyright 2018 The JAX Authors.
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
# Modified for mlax from JAX's jax/_src/public_test_util.py (jax 0.10.2): mlax's dtypes only.
"""mlax.test_util: `check_grads`, `check_jvp`, `check_vjp` as in `jax.test_util`.

Derivatives from jvp / vjp (and linearize, mode "lin") are compared with central finite
differences in one random direction (NumPy's RandomState(0), as JAX), up to `order`; the
tolerances per dtype and their scaling with the array size are JAX's.
"""
from __future__ import annotations

import operator
from functools import partial

import numpy as np

from mlax import ad
from mlax import core
from mlax import dtypes as _dtypes
from mlax.pytree import tree_map, tree_reduce

__all__ = ["check_grads", "check_jvp", "check_vjp"]

EPS = 1e-4

_python_scalar_dtypes = {bool: np.dtype(np.bool_), int: np.dtype(np.int64),
                         float: np.dtype(np.float64), complex: np.dtype(np.complex128)}


def _dtype(x):
    if hasattr(x, "dtype"):
        return x.dtype
    if type(x) in _python_scalar_dtypes:
        return _python_scalar_dtypes[type(x)]
    return np.asarray(x).dtype


_default_tolerance = {
    _dtypes.float0: 0,
    **{np.dtype(t): 0 for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                np.uint16, np.uint32, np.uint64)},
    np.dtype(np.float16): 1e-3,
    np.dtype(np.float32): 1e-6,
    np.dtype(np.float64): 1e-15,
    np.dtype(np.complex64): 1e-6,
    np.dtype(np.complex128): 1e-15,
}


def default_tolerance():
    return _default_tolerance


default_gradient_tolerance = {
    np.dtype(np.float16): 1e-2,
    np.dtype(np.float32): 2e-3,
    np.dtype(np.float64): 1e-5,
    np.dtype(np.complex64): 1e-3,
    np.dtype(np.complex128): 1e-5,
}


def is_python_scalar(val):
    return not isinstance(val, np.generic) and isinstance(val, (bool, int, float, complex))


def _assert_numpy_allclose(a, b, atol=None, rtol=None, err_msg=""):
    if a.dtype == b.dtype == _dtypes.float0:
        np.testing.assert_array_equal(a, b, err_msg=err_msg)
        return
    kw = {}
    if atol:
        kw["atol"] = atol
    if rtol:
        kw["rtol"] = rtol
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(a, b, **kw, err_msg=err_msg)


def tolerance(dtype, tol=None):
    tol = {} if tol is None else tol
    if not isinstance(tol, dict):
        return tol
    tol = {np.dtype(key): value for key, value in tol.items()}
    dtype = core.canonicalize_dtype(np.dtype(dtype)) if np.dtype(dtype) in core.SUPPORTED \
        else np.dtype(dtype)
    return tol.get(dtype, default_tolerance()[dtype])


def _assert_numpy_close(a, b, atol=None, rtol=None, err_msg=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    atol = max(tolerance(a.dtype, atol), tolerance(b.dtype, atol))
    rtol = max(tolerance(a.dtype, rtol), tolerance(b.dtype, rtol))
    _assert_numpy_allclose(a, b, atol=atol * a.size, rtol=rtol * b.size, err_msg=err_msg)


def check_close(xs, ys, atol=None, rtol=None, err_msg=""):
    tree_map(partial(_assert_numpy_close, atol=atol, rtol=rtol, err_msg=err_msg), xs, ys)


def _check_dtypes_match(xs, ys):
    def check(x, y):
        if core.config.x64_enabled:
            assert _dtype(x) == _dtype(y)
        else:
            assert core.canonicalize_dtype(_dtype(x)) == core.canonicalize_dtype(_dtype(y))
    tree_map(check, xs, ys)


def inner_prod(xs, ys):
    def contract(x, y):
        return np.real(np.dot(np.conj(x).reshape(-1), np.asarray(y).reshape(-1)))
    return tree_reduce(np.add, tree_map(contract, xs, ys))


def _safe_subtract(x, y, *, dtype):
    """Subtraction with `inf - inf == 0`."""
    with np.errstate(invalid="ignore"):
        return np.where(np.equal(x, y), np.array(0, dtype), np.subtract(x, y, dtype=dtype))


def _preserve_input_types(f):
    def wrapped(*args):
        dtype = _dtype(args[0])
        result = np.array(f(*args), dtype=dtype)
        if all(is_python_scalar(arg) for arg in args):
            result = result.item()
        return result
    return wrapped


add = partial(tree_map, _preserve_input_types(operator.add))
sub = partial(tree_map, _preserve_input_types(operator.sub))
safe_sub = partial(tree_map, lambda x, y: _safe_subtract(x, y, dtype=_dtype(x)))
conj = partial(tree_map, _preserve_input_types(np.conj))


def scalar_mul(xs, a):
    def mul(x):
        dtype = _dtype(x)
        result = np.multiply(x, np.array(a, dtype=dtype), dtype=dtype)
        return result.item() if is_python_scalar(x) else result
    return tree_map(mul, xs)


def rand_like(rng, x):
    shape, dtype = np.shape(x), _dtype(x)
    randn = lambda: np.asarray(rng.randn(*shape), dtype=dtype)
    if np.issubdtype(dtype, np.complexfloating):
        result = randn() + dtype.type(1.0j) * randn()
    else:
        result = randn()
    return result.item() if is_python_scalar(x) else result


def numerical_jvp(f, primals, tangents, eps=EPS):
    delta = scalar_mul(tangents, eps)
    f_pos = f(*add(primals, delta))
    f_neg = f(*sub(primals, delta))
    return scalar_mul(safe_sub(f_pos, f_neg), 0.5 / eps)


def _merge_tolerance(tol, default):
    if tol is None:
        return default
    if not isinstance(tol, dict):
        return tol
    out = default.copy()
    for k, v in tol.items():
        out[np.dtype(k)] = v
    return out


def check_jvp(f, f_jvp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """Check a JVP (`f_jvp`, typically partial(mlax.jvp, f)) against finite differences in
    one random direction; raises AssertionError if they differ."""
    atol = _merge_tolerance(atol, default_gradient_tolerance)
    rtol = _merge_tolerance(rtol, default_gradient_tolerance)
    rng = np.random.RandomState(0)
    tangent = tree_map(partial(rand_like, rng), args)
    v_out, t_out = f_jvp(args, tangent)
    _check_dtypes_match(v_out, t_out)
    v_out_expected = f(*args)
    _check_dtypes_match(v_out, v_out_expected)
    t_out_expected = numerical_jvp(f, args, tangent, eps=eps)
    check_close(v_out, v_out_expected, atol=atol, rtol=rtol,
                err_msg=f"{err_msg} primal" if err_msg else "primal")
    check_close(t_out, t_out_expected, atol=atol, rtol=rtol,
                err_msg=f"{err_msg} tangent" if err_msg else "tangent")


def check_vjp(f, f_vjp, args, atol=None, rtol=None, eps=EPS, err_msg=""):
    """Check a VJP (`f_vjp`, typically partial(mlax.vjp, f)) against finite differences:
    <t, vjp(c)> must equal <jvp(t), c> for random t and c; raises AssertionError if not."""
    atol = _merge_tolerance(atol, default_gradient_tolerance)
    rtol = _merge_tolerance(rtol, default_gradient_tolerance)
    _rand_like = partial(rand_like, np.random.RandomState(0))
    v_out, vjpfun = f_vjp(*args)
    v_out_expected = f(*args)
    check_close(v_out, v_out_expected, atol=atol, rtol=rtol,
                err_msg=f"{err_msg} primal" if err_msg else "primal")
    tangent = tree_map(_rand_like, args)
    tangent_out = numerical_jvp(f, args, tangent, eps=eps)
    cotangent = tree_map(_rand_like, v_out)
    cotangent_out = conj(vjpfun(conj(cotangent)))
    ip = inner_prod(tangent, cotangent_out)
    ip_expected = inner_prod(tangent_out, cotangent)
    check_close(ip, ip_expected, atol=atol, rtol=rtol,
                err_msg=f"{err_msg} cotangent projection" if err_msg else "cotangent projection")


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check derivatives of `f` at `args` up to `order`, in forward ("fwd"), reverse
    ("rev") and linearized ("lin") mode, against finite differences in one random
    direction; raises AssertionError if they differ."""
    args = tuple(args)
    eps = eps or EPS
    _check_jvp = partial(check_jvp, atol=atol, rtol=rtol, eps=eps)
    _check_vjp = partial(check_vjp, atol=atol, rtol=rtol, eps=eps)

    def _check_grads(f, args, order, err_msg=""):
        if "fwd" in modes:
            fwd_msg = f"JVP of {err_msg}" if err_msg else "JVP"
            _check_jvp(f, partial(ad.jvp, f), args, err_msg=fwd_msg)
            if order > 1:
                _check_grads(partial(ad.jvp, f), (args, args), order - 1, fwd_msg)
        if "rev" in modes:
            rev_msg = f"VJP of {err_msg}" if err_msg else "VJP"
            _check_vjp(f, partial(ad.vjp, f), args, err_msg=rev_msg)
            if order > 1:
                def f_vjp(*args):
                    out_primal_py, vjp_py = ad.vjp(f, *args)
                    return vjp_py(out_primal_py)
                _check_grads(f_vjp, args, order - 1, rev_msg)
        if "lin" in modes:
            lin_msg = f"LIN of {err_msg}" if err_msg else "LIN"
            _check_jvp(f, partial(_jvp_from_lin, f), args, err_msg=lin_msg)
            if order > 1:
                _check_grads(partial(_jvp_from_lin, f), (args, args), order - 1, lin_msg)

    _check_grads(f, args, order)


def _jvp_from_lin(f, primals, tangents):
    primal_out, f_lin = ad.linearize(f, *primals)
    return primal_out, f_lin(*tangents)


# Names jax.test_util has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.test_util", __name__)
