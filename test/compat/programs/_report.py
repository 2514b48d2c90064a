"""How corpus programs print their results, in the one format the compat runner compares.

    report("loss", loss)                    # an array, a scalar, a bool, a string, a shape,
                                            # or a list / tuple / dict of them
    report("losses", losses, rtol=1e-3)     # a looser tolerance where iteration amplifies rounding
    report_error("mask under jit", lambda: jit(f)(x))   # the exception a call raises
    report_call("sort", lambda: jnp.sort(x))            # the value, or the exception if it raises

Each call prints one line, `@report <json>`, to stdout; other printing is free. This module
imports neither jax nor mlax: it sees values only through NumPy, so it reads the same under
both runs.
"""
import json

import numpy as np

_SCALARS = (bool, int, float, complex, str, type(None))


def _encode(value):
    """A JSON-able description of `value`: its kind, and for arrays their dtype, shape, values."""
    if isinstance(value, _SCALARS):
        kind = type(value).__name__
        if isinstance(value, complex):
            return {"kind": kind, "values": [value.real, value.imag]}
        return {"kind": kind, "values": value}
    if isinstance(value, dict):
        return {"kind": "dict", "items": {str(k): _encode(value[k]) for k in sorted(value)}}
    if isinstance(value, (list, tuple)):
        return {"kind": type(value).__name__ if type(value) in (list, tuple) else "tuple",
                "items": [_encode(v) for v in value]}
    # NumPy's own arrays and scalars are told apart from the library's arrays: a program that
    # gets a NumPy array where JAX gives an Array would see a different (mutable) object.
    kind = "numpy" if isinstance(value, (np.ndarray, np.generic)) else "array"
    a = np.asarray(value)
    dtype = str(a.dtype)
    if a.dtype.kind == "c":
        values = np.stack([a.real, a.imag], axis=-1).astype(np.float64).tolist()
    elif a.dtype.kind == "f" or dtype == "bfloat16":
        values = a.astype(np.float64).tolist()
    elif a.dtype.kind == "V":  # JAX's float0, the tangent type of integers: no values
        values = None
    else:
        values = a.tolist()
    return {"kind": kind, "dtype": dtype, "shape": list(a.shape), "values": values}


def report(name, value, rtol=None, atol=None):
    """Print `value` under `name` for the runner; `rtol` / `atol` loosen the float comparison."""
    line = {"name": name, "value": _encode(value)}
    if rtol is not None:
        line["rtol"] = rtol
    if atol is not None:
        line["atol"] = atol
    print("@report " + json.dumps(line), flush=True)


def _error(e):
    builtin = next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
    message = str(e).strip().splitlines()
    return {"kind": "error", "type": type(e).__name__, "builtin": builtin,
            "message": message[0] if message else ""}


def report_error(name, thunk):
    """Call `thunk` and report the type of the exception it raises (or that it raised none)."""
    try:
        thunk()
    except Exception as e:  # noqa: BLE001 - the exception is what is reported
        value = _error(e)
    else:
        value = {"kind": "no-error"}
    print("@report " + json.dumps({"name": name, "value": value}), flush=True)


def report_call(name, thunk, rtol=None, atol=None):
    """Report `thunk()`, or the exception it raises: in a program made of independent API
    examples, one that fails does not hide the others."""
    try:
        value = thunk()
    except Exception as e:  # noqa: BLE001 - the exception is what is reported
        print("@report " + json.dumps({"name": name, "value": _error(e)}), flush=True)
        return
    report(name, value, rtol, atol)
