"""Host callbacks: Python functions that compiled code calls (jax.pure_callback,
io_callback, debug.callback and debug.print).

The front end registers a host function (`register`: flat NumPy arrays in, a sequence of
arrays out) and gets an id that the call site's declaration carries (mlax.dialects.
structural.Callback). The lowering makes the call site call one C entry point,

    void mlax_host_callback(int64_t descriptor, int64_t table)

where `descriptor` is the address of a NUL-terminated JSON text compiled into the code
(the callback id, the operands' and results' shapes and dtypes, the vmap levels and
method) and `table` the address of one buffer address per operand, then per result.
`ENTRY_ADDRESS` is that entry point, a ctypes callback defined as the symbol
`mlax_host_callback` in the process JIT (mlax.runtime.cpu); ctypes takes the GIL for it
(compiled code runs with the GIL released). The entry point copies the operands, calls
the host function (applying it over the vmap levels as the descriptor says), checks the
results' shapes and dtypes as JAX does and writes them into the result buffers.

An exception in a host function never crosses into compiled code: it is kept for the
calling thread (callbacks later in the same call are skipped, their results left
unwritten) and raised by `raise_pending`, which runs after every call of compiled code,
so it surfaces at the call site in Python.

On the tpu platform XLA calls the host function instead (`xla_host_function`: jaxlib's
Python-callback custom call, the same descriptor, an exception kept for `raise_pending`).

Registered functions are kept for the life of the process (compiled code may call them
as long as it lives); a module that calls host callbacks cannot be saved or cached.
"""
from __future__ import annotations

import ctypes
import itertools
import json
import threading

import numpy as np

SYMBOL = "mlax_host_callback"

_REGISTRY: dict[int, object] = {}
_IDS = itertools.count(1)
_LOCK = threading.Lock()
_DESCRIPTORS: dict[bytes, dict] = {}
_state = threading.local()


def register(fn) -> int:
    """Register host function `fn(*arrays) -> sequence of arrays`; returns its id."""
    with _LOCK:
        cid = next(_IDS)
        _REGISTRY[cid] = fn
    return cid


def descriptor(callback_id, args, results, batch_sizes=(), batched=(), method="",
               token=False) -> str:
    """The JSON text the lowering compiles into a call site. `args` / `results` are
    (shape, dtype name) pairs of the operands and results as the call site passes them;
    `token`: XLA's call site passes an ordering token first and takes it back first
    (xla_host_function)."""
    n = len(args)
    levels = [list(batched[i * n:(i + 1) * n]) for i in range(len(batch_sizes))]
    desc = {"id": int(callback_id), "args": [[list(s), d] for s, d in args],
            "results": [[list(s), d] for s, d in results],
            "levels": list(batch_sizes), "batched": levels, "method": method}
    if token:
        desc["token"] = True
    return json.dumps(desc, separators=(",", ":"))


def _descriptor(address: int) -> dict:
    # Parsed descriptors are kept by their text: an address is reused once the code that
    # held it is freed.
    text = ctypes.string_at(address)
    desc = _DESCRIPTORS.get(text)
    if desc is None:
        desc = _parse(text.decode("utf-8"))
        with _LOCK:
            if len(_DESCRIPTORS) > 4096:
                _DESCRIPTORS.clear()
            _DESCRIPTORS[text] = desc
    return desc


def _view(address: int, shape, dtype) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if n == 0:
        return np.zeros(shape, dtype)
    return np.frombuffer((ctypes.c_char * n).from_address(address), dtype).reshape(shape)


def _check_results(outs, expected) -> list:
    """The host function's results as arrays of the expected shapes and dtypes, or JAX's
    RuntimeError naming the first that is not."""
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    if len(outs) != len(expected):
        raise RuntimeError(f"Callback returned {len(outs)} values, expected {len(expected)}")
    checked = []
    for i, (o, (shape, dtype)) in enumerate(zip(outs, expected)):
        a = np.asarray(o)
        if a.shape != tuple(shape):
            raise RuntimeError(f"Incorrect output shape for return value #{i}: Expected: "
                               f"{tuple(shape)}, Actual: {a.shape}")
        if a.dtype != dtype:
            if not np.can_cast(a.dtype, dtype, "same_kind"):
                raise RuntimeError(f"Incorrect output dtype for return value #{i}: Expected: "
                                   f"{dtype}, Actual: {a.dtype}")
            a = a.astype(dtype)
        checked.append(a)
    return checked


def apply(fn, args, flags, sizes, method, results):
    """`fn` applied to `args` batched over the vmap levels `sizes` (outermost first;
    flags[l][i]: operand i has level l's dim), as JAX's batching rules apply it; `results`
    are the expected (shape, dtype) of the unbatched results. Returns the batched results."""
    if not sizes:
        return _check_results(fn(*args), results)
    if method in ("expand_dims", "broadcast_all", "legacy_vectorized"):
        full = []
        for i, a in enumerate(args):
            if method != "legacy_vectorized":
                for lvl, size in enumerate(sizes):
                    if not flags[lvl][i]:
                        a = np.expand_dims(a, lvl)
                        if method == "broadcast_all":
                            a = np.broadcast_to(a, a.shape[:lvl] + (size,) + a.shape[lvl + 1:])
            full.append(np.require(a, requirements="C"))
        return _check_results(fn(*full), [(tuple(sizes) + tuple(s), d) for s, d in results])
    # Sequential (and debug / io callbacks): one call per example. The innermost level is
    # looped over outermost, the order JAX's rules (applied innermost first) give.
    inner = len(sizes) - 1
    per = []
    for k in range(sizes[inner]):
        sliced = []
        for i, a in enumerate(args):
            if flags[inner][i]:
                axis = sum(1 for lvl in range(inner) if flags[lvl][i])
                a = np.take(a, k, axis=axis)
            sliced.append(a)
        per.append(apply(fn, sliced, flags[:inner], sizes[:inner], method, results))
    return [np.stack([p[j] for p in per], axis=inner) if per else
            np.zeros(tuple(sizes) + tuple(results[j][0]), results[j][1])
            for j in range(len(results))]


def _parse(text) -> dict:
    desc = json.loads(text)
    desc["args"] = [(tuple(s), np.dtype(d)) for s, d in desc["args"]]
    desc["results"] = [(tuple(s), np.dtype(d)) for s, d in desc["results"]]
    return desc


def _unbatched_results(desc):
    n_levels = len(desc["levels"])
    return [(s[n_levels:], d) for s, d in desc["results"]]


def _call(desc_address: int, table_address: int):
    desc = _descriptor(desc_address)
    fn = _REGISTRY[desc["id"]]
    n_in, n_out = len(desc["args"]), len(desc["results"])
    table = (ctypes.c_int64 * (n_in + n_out)).from_address(table_address)
    args = [_view(table[i], s, d).copy() for i, (s, d) in enumerate(desc["args"])]
    outs = apply(fn, args, desc["batched"], desc["levels"], desc["method"],
                 _unbatched_results(desc))
    for j, (o, (shape, dtype)) in enumerate(zip(outs, desc["results"])):
        if o.size:
            _view(table[n_in + j], shape, dtype)[...] = o


@ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64)
def _entry(desc_address, table_address):
    if getattr(_state, "error", None) is not None:
        return      # an earlier callback of this call failed: its exception is raised after
    try:
        _call(desc_address, table_address)
    except BaseException as e:    # noqa: BLE001 - raised again at the call site
        _state.error = e


ENTRY_ADDRESS = ctypes.cast(_entry, ctypes.c_void_p).value

# The exception of a host function XLA called (on a thread of its own), raised by
# raise_pending in the thread whose call XLA then failed.
_xla_error = []


def xla_host_function(text: str):
    """The function XLA's Python-callback handler calls for the call site of descriptor
    `text` (the tpu platform: jaxlib's `xla_ffi_python_cpu_callback` custom call): the
    operands as NumPy arrays in, the results out. An exception is kept for raise_pending
    and raised again for XLA, which stops the computation."""
    desc = _parse(text)
    fn = _REGISTRY[desc["id"]]
    results = _unbatched_results(desc)

    token = desc.get("token", False)

    def host(*args):
        try:
            outs = apply(fn, [np.array(a) for a in args[token:]], desc["batched"],
                         desc["levels"], desc["method"], results)
        except BaseException as e:    # noqa: BLE001 - raised again at the call site
            with _LOCK:
                _xla_error.append(e)
            raise
        outs = tuple(np.require(o, requirements="C") for o in outs)   # keeps 0-d arrays
        return (args[0], *outs) if token else outs
    return host


def raise_pending():
    """Raise the exception a host function raised during the last call of compiled code
    in this thread, if any."""
    e = getattr(_state, "error", None)
    if e is not None:
        _state.error = None
        raise e
    if _xla_error:
        with _LOCK:
            e = _xla_error[0] if _xla_error else None
            _xla_error.clear()
        if e is not None:
            raise e
