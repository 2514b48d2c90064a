"""mlax.lax: the primitives, one function per mlax op, with lax's strict typing
(primitives.py), and structured control flow whose bodies become functions in the IR
(control_flow.py).

`igamma`, `igammac`, `igamma_grad_a`, `random_gamma_grad`, `betainc`, `bessel_i0e`,
`bessel_i1e`, `zeta` and `polygamma` are compositions
written with mlax.numpy (mlax.lax_special), which sits above mlax.lax: they load on first
use, like the names JAX has and mlax does not yet (NotImplementedError, mlax.api_names)."""
import importlib

from mlax.lax.primitives import *  # noqa: F401,F403
from mlax.lax.convenience import *  # noqa: F401,F403
from mlax.lax.parallel import *  # noqa: F401,F403
from mlax.lax.control_flow import cond, switch, while_loop, fori_loop, scan, map  # noqa: F401
from mlax.precision import Precision, canonicalize_precision  # noqa: F401

_SPECIAL = {"igamma", "igammac", "igamma_grad_a", "random_gamma_grad", "betainc", "bessel_i0e",
            "bessel_i1e", "zeta", "polygamma"}


def __getattr__(name):
    if name in _SPECIAL:
        return getattr(importlib.import_module("mlax.lax_special"), name)
    return importlib.import_module("mlax.api_names").module_getattr("jax.lax", __name__)(name)
