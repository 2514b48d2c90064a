"""Op-by-op execution: each primitive applied to concrete arrays runs as a compiled one-op
function, cached per (op, attributes, operand types), as JAX does outside jit. The cache
keeps the `eager_cache_size` (config) most recently used functions."""
from __future__ import annotations

import numpy as np

from mlax import backends, core, placement, tracing
from mlax.core import ShapedArray
from mlax.runtime import Array
from mlax.runtime.array import ScalarBroadcast, SingleDeviceSharding
from mlax.runtime.dtypes import is_inexact

_cache = core.LRU("eager_cache_size")


def to_numpy(x) -> np.ndarray:
    if isinstance(x, Array):
        return x._value
    if core.is_python_scalar(x):
        return np.asarray(x, dtype=core.aval_of_python_scalar(x).dtype)
    arr = np.asarray(x)
    dtype = core.canonicalize_dtype(arr.dtype)
    if arr.dtype != dtype or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr, dtype=dtype)
    return arr


def _freeze(v):
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, np.dtype):
        return ("dtype", v.str)
    return v


def checking_finite() -> bool:
    """Whether `jax_debug_nans` or `jax_debug_infs` is on (read on every call: cheap)."""
    values = core.config.values
    return values["jax_debug_nans"] or values["jax_debug_infs"]


def check_finite(arrays, where: str):
    """With `jax_debug_nans` / `jax_debug_infs` on, raise FloatingPointError, as JAX does, when
    an array of `arrays` (NumPy) holds a NaN / an infinity; `where` names the op or function."""
    values = core.config.values
    nans, infs = values["jax_debug_nans"], values["jax_debug_infs"]
    if not (nans or infs):
        return
    for a in arrays:
        if not is_inexact(a.dtype):
            continue
        if nans and np.isnan(a).any():
            raise FloatingPointError(f"invalid value (nan) encountered in {where}")
        if infs and np.isinf(a).any():
            raise FloatingPointError(f"divide by zero (inf) encountered in {where}")


def run(name, operands, attrs):
    # A ScalarBroadcast operand is passed as its scalar and broadcast in the function.
    spread = tuple([x.shape if type(x) is ScalarBroadcast else None for x in operands])
    inputs = [as_array(x.scalar if type(x) is ScalarBroadcast else x) for x in operands]
    device = _committed_device(inputs)
    backend = None if device is None else backends.platform_backend(device.platform)
    # An op on committed operands, or under a default device other than its platform's
    # first, is compiled for that device (placed, as jit is) and runs there.
    target = device if device is not None else tracing.placed_default_device()
    key = (name, _freeze(attrs), tuple([(a.shape, a.dtype.str) for a in inputs]), spread,
           core.config.values["jax_platform_name"],      # the backend that compiled it
           core.config.values["jax_default_device"], backend, target)
    compiled = _cache.get(key)
    if compiled is None:
        tm = tracing.TracedModule()
        with tm.ctx:
            b = tracing.FunctionBuilder(tm.module, tm.unique_name(name.replace("mlax.", "")), None, tm)
            args = [b.add_argument(ShapedArray(a.shape, a.dtype)) for a in inputs]
            args = [a if shape is None else b.emit("mlax.broadcast_in_dim", [a], {
                "shape": shape, "broadcast_dimensions": ()})[0]
                for a, shape in zip(args, spread)]
            outs = b.emit(name, args, attrs)
            b.finish(outs)
        avals = [o.aval for o in outs]
        where = None
        if target is not None:
            where = placement.place(tm, b, name, inputs,
                                    [f"operand {i}" for i in range(len(inputs))],
                                    [None] * len(inputs), [None] * len(outs), avals,
                                    SingleDeviceSharding(target))
        # The level named: an op alone gains nothing from being compiled again when
        # hot, as jit's functions are (a backend's choice when it picks the level).
        level = tracing.compute_backend(backend).default_opt_level(tm.module)
        exe = tm.compile(b, avals, backend, opt_level=level)
        if where is not None:
            exe = placement.placed_executable(exe, where, avals, name)
        compiled = (exe, len(outs))
        _cache.put(key, compiled)
    exe, n_out = compiled
    weak = tracing._result_weak(name, operands)
    outs = exe.call.call_arrays(inputs, [weak] * n_out)
    if checking_finite():
        check_finite([o._value for o in outs], name.removeprefix("mlax."))
    return outs


def _committed_device(inputs):
    """The device of the first operand committed to one (an op runs where its committed
    operands are, as in JAX), else None: the default device's."""
    for x in inputs:
        if x.committed:
            return next(iter(x.devices()))
    return None


# (dtype, bytes) -> the Array of a scalar operand (0-d), kept so that the buffer a device
# backend puts it in is made once: `x * 2.0` eagerly put 2.0 into a new buffer on every
# call. Keyed by the dtype object (bfloat16's dtype string is a bare V2) and the bits
# (-0.0 and NaN are their own keys); past _SCALARS_KEPT values it starts afresh.
_SCALARS: dict = {}
_SCALARS_KEPT = 256


def as_array(x) -> Array:
    """Operand `x` as an mlax Array for an executable's `call_arrays`: Arrays as they
    are (a backend reads its own device-resident ones in place), anything else (NumPy
    arrays, scalars) converted, without freezing the caller's buffer."""
    if isinstance(x, Array):
        return x
    a = to_numpy(x)
    if a.ndim:
        return Array(a.view() if a.flags.writeable else a)
    key = (a.dtype, a.tobytes())
    arr = _SCALARS.get(key)
    if arr is None:
        if len(_SCALARS) >= _SCALARS_KEPT:
            _SCALARS.clear()
        arr = _SCALARS[key] = Array(np.array(a))
    return arr
