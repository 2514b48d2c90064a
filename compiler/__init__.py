"""mlax: JAX's programming model as an MLIR compiler toolchain.

    import mlax as jax
    from mlax import numpy as jnp, random

Functions are traced into the mlax dialect (`make_ir`), transformed by MLIR passes, and
lowered through linalg to the CPU (`jit`).
"""
from mlax.core import config, ConcretizationTypeError, TracerBoolConversionError, \
    TracerIntegerConversionError, NonConcreteBooleanIndexError, MlaxError
from mlax.basearray import Array
from mlax.runtime import CpuDevice as Device
from mlax.api import jit, make_ir, device_put, devices, clear_caches
from mlax import tree_util
from mlax import numpy
from mlax import nn, scipy
from mlax import lax
from mlax.tree_util import tree_map, tree_leaves, tree_structure, tree_flatten, tree_unflatten
from mlax.batching import vmap
from mlax.ad import (grad, value_and_grad, jvp, vjp, linearize, jacfwd, jacrev, jacobian,
                     hessian, custom_jvp, custom_vjp)
from mlax import ops, random, tree, runtime, stages
from mlax.stages import ShapeDtypeStruct
from mlax import dtypes, typing, flatten_util, test_util, ad_checkpoint
from mlax.dtypes import float0
from mlax.ad_checkpoint import checkpoint, remat, checkpoint_policies
from mlax.api_extensions import eval_shape, linear_transpose, named_call
from mlax.config_contexts import (threefry_partitionable, numpy_rank_promotion,
                                  numpy_dtype_promotion, enable_x64, default_matmul_precision)
from mlax import api_names as _api_names

make_jaxpr = make_ir

__version__ = "0.1.0"


def block_until_ready(x):
    return tree_util.tree_map(lambda l: l.block_until_ready() if hasattr(l, "block_until_ready") else l, x)


__all__ = ["jit", "clear_caches", "make_ir", "device_put", "devices", "Array", "numpy", "lax", "tree_util",
           "config", "tree_map", "tree_leaves", "tree_structure", "tree_flatten",
           "tree_unflatten", "block_until_ready", "vmap", "ops", "make_jaxpr", "random", "tree", "runtime", "stages", "ShapeDtypeStruct",
           "grad", "value_and_grad", "jvp", "vjp", "linearize", "jacfwd", "jacrev", "jacobian",
           "hessian", "custom_jvp", "custom_vjp", "nn", "scipy", "Device", "dtypes", "typing",
           "flatten_util", "test_util", "ad_checkpoint", "float0", "checkpoint", "remat",
           "checkpoint_policies", "eval_shape", "linear_transpose", "named_call",
           "threefry_partitionable", "numpy_rank_promotion", "numpy_dtype_promotion",
           "enable_x64", "default_matmul_precision"]

# Names JAX has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
__getattr__ = _api_names.module_getattr("jax", __name__)
