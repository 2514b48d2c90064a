"""mlax: JAX's programming model as an MLIR compiler toolchain.

    import mlax as jax
    from mlax import numpy as jnp, random

Functions are traced into the mlax dialect (`make_ir`), transformed by MLIR passes, and
lowered by a backend (`jit`; the CPU: through linalg to native code).

`import mlax` loads only the runtime (arrays, the config, compiled-module loading): the
public names below are looked up on first use (PEP 562), so a compiled module imports
with no compiler part loaded, and a program pays for MLIR when it first traces.
"""
import importlib

from mlax.runtime.basearray import Array
from mlax.runtime.config import config

__version__ = "0.1.0"

# name -> (module, attribute): the public API, imported on first use.
_API = {
    "jit": ("mlax.api", "jit"), "make_ir": ("mlax.api", "make_ir"),
    "make_jaxpr": ("mlax.api", "make_ir"), "device_put": ("mlax.api", "device_put"),
    "typeof": ("mlax.api", "typeof"),
    "devices": ("mlax.api", "devices"), "clear_caches": ("mlax.api", "clear_caches"),
    "make_mesh": ("mlax.spmd", "make_mesh"), "set_mesh": ("mlax.runtime.sharding", "set_mesh"),
    "vmap": ("mlax.batching", "vmap"), "pmap": ("mlax.pmapping", "pmap"),
    "grad": ("mlax.ad", "grad"), "value_and_grad": ("mlax.ad", "value_and_grad"),
    "jvp": ("mlax.ad", "jvp"), "vjp": ("mlax.ad", "vjp"), "linearize": ("mlax.ad", "linearize"),
    "jacfwd": ("mlax.jacobians", "jacfwd"), "jacrev": ("mlax.jacobians", "jacrev"),
    "jacobian": ("mlax.jacobians", "jacobian"), "hessian": ("mlax.jacobians", "hessian"),
    "custom_jvp": ("mlax.custom_derivatives", "custom_jvp"),
    "custom_vjp": ("mlax.custom_derivatives", "custom_vjp"),
    "custom_gradient": ("mlax.custom_derivatives", "custom_gradient"),
    "closure_convert": ("mlax.custom_derivatives", "closure_convert"),
    "ShapeDtypeStruct": ("mlax.stages", "ShapeDtypeStruct"),
    "tree_map": ("mlax.tree_util", "tree_map"), "tree_leaves": ("mlax.tree_util", "tree_leaves"),
    "tree_structure": ("mlax.tree_util", "tree_structure"),
    "tree_flatten": ("mlax.tree_util", "tree_flatten"),
    "tree_unflatten": ("mlax.tree_util", "tree_unflatten"),
    "ConcretizationTypeError": ("mlax.core", "ConcretizationTypeError"),
    "TracerBoolConversionError": ("mlax.core", "TracerBoolConversionError"),
    "TracerIntegerConversionError": ("mlax.core", "TracerIntegerConversionError"),
    "NonConcreteBooleanIndexError": ("mlax.core", "NonConcreteBooleanIndexError"),
    "MlaxError": ("mlax.core", "MlaxError"),
    "Device": ("mlax.runtime", "CpuDevice"),
    "float0": ("mlax.dtypes", "float0"),
    "checkpoint": ("mlax.ad_checkpoint", "checkpoint"),
    "remat": ("mlax.ad_checkpoint", "remat"),
    "checkpoint_policies": ("mlax.ad_checkpoint", "checkpoint_policies"),
    "eval_shape": ("mlax.api_extensions", "eval_shape"),
    "linear_transpose": ("mlax.api_extensions", "linear_transpose"),
    "named_call": ("mlax.api_extensions", "named_call"),
    "typeof": ("mlax.api_extensions", "typeof"),
    "pure_callback": ("mlax.callbacks", "pure_callback"),
    "threefry_partitionable": ("mlax.config_contexts", "threefry_partitionable"),
    "numpy_rank_promotion": ("mlax.config_contexts", "numpy_rank_promotion"),
    "numpy_dtype_promotion": ("mlax.config_contexts", "numpy_dtype_promotion"),
    "enable_x64": ("mlax.config_contexts", "enable_x64"),
    "default_matmul_precision": ("mlax.config_contexts", "default_matmul_precision"),
    "disable_jit": ("mlax.config_contexts", "disable_jit"),
    "default_device": ("mlax.config_contexts", "default_device"),
    "ensure_compile_time_eval": ("mlax.config_contexts", "ensure_compile_time_eval"),
    "debug_nans": ("mlax.config_contexts", "debug_nans"),
    "debug_infs": ("mlax.config_contexts", "debug_infs"),
    "log_compiles": ("mlax.config_contexts", "log_compiles"),
    **{name: ("mlax.device_queries", name) for name in (
        "default_backend", "device_count", "local_device_count", "local_devices",
        "process_index", "process_count", "device_get", "named_scope",
        "print_environment_info")},
}

# Subpackages and modules a user reaches as attributes (`mlax.numpy.sum`).
_MODULES = {"numpy", "lax", "nn", "scipy", "random", "tree_util", "tree", "ops", "stages",
            "backends", "runtime", "dialects", "dtypes", "typing", "flatten_util", "test_util",
            "ad_checkpoint", "example_libraries", "sharding", "distributed",
            "experimental", "debug", "errors", "extend", "api_util", "version", "export"}


def __getattr__(name):
    if name == "__version_info__":      # JAX's API version mlax follows (mlax.version)
        return importlib.import_module("mlax.version").__version_info__
    if name in _API:
        module, attr = _API[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f"mlax.{name}")
    # A name JAX has and mlax does not yet: NotImplementedError naming it (mlax.api_names).
    return importlib.import_module("mlax.api_names").module_getattr("jax", __name__)(name)


def __dir__():
    return sorted(set(globals()) | set(_API) | _MODULES)


def block_until_ready(x):
    """Wait for every array in the pytree `x` (mlax computes synchronously: returns x)."""
    tree_util = importlib.import_module("mlax.tree_util")
    return tree_util.tree_map(
        lambda leaf: leaf.block_until_ready() if hasattr(leaf, "block_until_ready") else leaf, x)


__all__ = ["Array", "config", "block_until_ready", *_API, *sorted(_MODULES)]
