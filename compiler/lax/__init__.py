"""mlax.lax: the primitives, one function per mlax op, with lax's strict typing
(primitives.py), structured control flow whose bodies become functions in the IR
(control_flow.py), convolutions (convolution.py) and windowed reductions
(windowed_reductions.py).

`igamma`, `igammac`, `igamma_grad_a`, `random_gamma_grad`, `betainc`, `bessel_i0e`,
`bessel_i1e`, `zeta` and `polygamma` are compositions
written with mlax.numpy (mlax.lax_special), which sits above mlax.lax: they load on first
use, like the names JAX has and mlax does not yet (NotImplementedError, mlax.api_names).
So is `associative_scan` (mlax.associative_scan), a composition of lax ops and jnp.flip."""
import importlib

from mlax.lax.primitives import *  # noqa: F401,F403
from mlax.lax.primitives import _convert_element_type  # noqa: F401  (jax.numpy's promotion)
from mlax.lax.convenience import *  # noqa: F401,F403
from mlax.lax.parallel import *  # noqa: F401,F403
from mlax.lax.control_flow import cond, switch, while_loop, fori_loop, scan, map  # noqa: F401
from mlax.lax.convolution import (ConvDimensionNumbers, conv, conv_dimension_numbers,  # noqa: F401
                                  conv_general_dilated, conv_general_permutations,
                                  conv_general_shape_tuple, conv_shape_tuple, conv_transpose,
                                  conv_transpose_shape_tuple, conv_with_general_padding,
                                  padtype_to_pads)
from mlax.lax.windowed_reductions import reduce_window, reduce_window_shape_tuple  # noqa: F401
from mlax.precision import Precision, canonicalize_precision  # noqa: F401

# cummax and cummin carry JAX's derivative, a composition (mlax.lax_composites).
del cummax, cummin  # noqa: F821

_SPECIAL = {"igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc", "bessel_i0e",
            "bessel_i1e", "zeta", "polygamma"}
_COMPOSITIONS = {"associative_scan": "mlax.associative_scan",
                 "with_sharding_constraint": "mlax.spmd", "clz": "mlax.lax_composites",
                 "reduce_precision": "mlax.lax_composites", "approx_max_k": "mlax.lax_composites",
                 "approx_min_k": "mlax.lax_composites", "cummax": "mlax.lax_composites",
                 "cummin": "mlax.lax_composites"}


def __getattr__(name):
    if name in _SPECIAL:
        return getattr(importlib.import_module("mlax.lax_special"), name)
    if name in _COMPOSITIONS:
        return getattr(importlib.import_module(_COMPOSITIONS[name]), name)
    return importlib.import_module("mlax.api_names").module_getattr("jax.lax", __name__)(name)
