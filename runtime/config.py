"""`mlax.config`: process-wide options, as JAX's `jax.config`.

It sits with the runtime, at the bottom of the layers, because every layer reads it: the
front end (x64, key layout), the backends (the persistent cache's directory) and the
runtime (cache sizes).
"""
from __future__ import annotations

import os


def _flag(name, value):
    # JAX's boolean options take any value and keep its truth value.
    return bool(value)


def _string_or_none(name, value):
    if value is not None and not isinstance(value, str):
        raise ValueError(f"mlax config option {name!r} must be None or a string, got {value!r} "
                         f"of type {type(value).__name__}")
    return value


def _path_or_none(name, value):
    if value is not None and not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"mlax config option {name!r} must be None or a directory path (a "
                         f"string or os.PathLike), got {value!r} of type {type(value).__name__}")
    return None if value is None else os.fspath(value)


def _choice(*allowed):
    def check(name, value):
        if value not in allowed:
            raise ValueError(f"new enum value must be in {list(allowed)}, got {value!r} of type "
                             f"{type(value)} (config option {name!r})")
        return value
    return check


def _device_or_platform(name, value):
    # JAX's check: a device object, or the name of a platform, whose first device is meant.
    if value is None or value in ("cpu", "gpu", "cuda", "tpu") or (
            hasattr(value, "platform") and hasattr(value, "id")):
        return value
    raise ValueError("jax.default_device must be passed either a Device object (e.g. "
                     "`jax.devices('cpu')[0]`) or a platform name string like 'cpu' or 'gpu'"
                     f", got: {value!r}")


def _cache_size(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"mlax config option {name!r} must be a positive integer (a number of "
                         f"compiled functions), got {value!r}")
    return value


class Config:
    """`mlax.config.update("jax_enable_x64", True)` as in JAX.

    OPTIONS maps each option to (default, check); `check(name, value)` returns the value
    to store or raises ValueError saying what the option takes. Options are spelled with or
    without JAX's `jax_` prefix. TRACE_OPTIONS change what tracing (or, for the platform,
    compiling) produces: they are part of every compiled function's cache key.

    - `compilation_cache_dir`: the persistent compilation cache (mlax/cache.py).
    - `eager_cache_size`: how many compiled one-op functions eager execution keeps (least
      recently used dropped first; each holds its machine code, ~10-50 KB for one op).
    - `jit_cache_size`: how many compiled signatures each jitted function keeps (least
      recently used dropped first).
    - `jax_numpy_rank_promotion` ('allow', 'warn', 'raise'), `jax_numpy_dtype_promotion`
      ('standard', 'strict'): JAX's checks of implicit rank and dtype promotion in
      mlax.numpy; `jax_default_matmul_precision`: the precision of products given none
      (the tpu backend's numerics follow it; CPU code computes in the operands' dtype).
    - `jax_disable_jit`: `jit(f)(x)` calls `f(x)` op by op. `jax_debug_nans`/`jax_debug_infs`:
      a NaN/inf in the result of a jitted call or of an op run eagerly raises
      FloatingPointError naming the function or op. `jax_log_compiles`: every compilation
      is logged (logger `mlax.compiling`, WARNING: "Finished mlax compilation of ...").
    - `jax_default_device`: a device (or a platform's name, for its first device) that
      computations with no argument committed to a device run on, and that arrays are
      made on (`mlax.default_device(d)` for a block); None: the default platform's first."""

    OPTIONS = {
        "jax_enable_x64": (False, _flag),
        "jax_threefry_partitionable": (True, _flag),
        "jax_platform_name": (None, _string_or_none),
        "jax_default_device": (None, _device_or_platform),
        "compilation_cache_dir": (None, _path_or_none),
        "eager_cache_size": (2048, _cache_size),
        "jit_cache_size": (256, _cache_size),
        "jax_numpy_rank_promotion": ("allow", _choice("allow", "warn", "raise")),
        "jax_numpy_dtype_promotion": ("standard", _choice("standard", "strict")),
        "jax_default_matmul_precision": (None, _string_or_none),
        "jax_disable_jit": (False, _flag),
        "jax_debug_nans": (False, _flag),
        "jax_debug_infs": (False, _flag),
        "jax_log_compiles": (False, _flag),
    }
    TRACE_OPTIONS = ("jax_enable_x64", "jax_threefry_partitionable", "jax_numpy_rank_promotion",
                     "jax_numpy_dtype_promotion", "jax_default_matmul_precision",
                     "jax_platform_name", "jax_default_device")

    # Options whose starting value an environment variable of the option's name in capitals
    # sets, as JAX's do (JAX_DEFAULT_MATMUL_PRECISION=highest).
    ENVIRONMENT = ("jax_default_matmul_precision",)

    def __init__(self):
        self.values = {name: default for name, (default, _) in self.OPTIONS.items()}
        for name in self.ENVIRONMENT:
            if os.environ.get(name.upper()):
                self.values[name] = self.OPTIONS[name][1](name, os.environ[name.upper()])
        self.generation = 0      # bumped by every update: callers' memos of values expire
        self._trace_state = self._read_trace_state()

    def _key(self, name):
        for key in (name, f"jax_{name}", name.removeprefix("jax_")):
            if key in self.OPTIONS:
                return key
        raise AttributeError(f"Unrecognized config option: {name}")

    def update(self, name, value):
        key = self._key(name)
        self.values[key] = self.OPTIONS[key][1](key, value)
        self.generation += 1
        self._trace_state = self._read_trace_state()

    def read(self, name):
        return self.values[self._key(name)]

    def trace_state(self) -> tuple:
        """The values of TRACE_OPTIONS, for cache keys of traced functions (kept up to
        date by update: this is read on every jit call)."""
        return self._trace_state

    def _read_trace_state(self):
        return tuple(self.values[k] for k in self.TRACE_OPTIONS)

    @property
    def x64_enabled(self):
        return self.values["jax_enable_x64"]

    # JAX spells these as attributes too.
    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)


config = Config()
