"""Write JAX's public names per module to compiler/jax_api_names.json.

    python scripts/jax_api_names.py            # with jax installed (the test oracle)

mlax's modules read that file (mlax/api_names.py): a name JAX has and mlax does not yet
raises NotImplementedError("mlax does not implement jax.X yet"), any other missing name
AttributeError. The file records the jax version it was made from; run this again after
changing the jax the project tests against.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import types

# The JAX modules whose names mlax mirrors, each with the mlax module that answers for it.
MODULES = [
    "jax", "jax.numpy", "jax.numpy.linalg", "jax.numpy.fft", "jax.lax", "jax.lax.linalg", "jax.nn",
    "jax.nn.initializers",
    "jax.random", "jax.scipy", "jax.scipy.linalg", "jax.scipy.signal", "jax.scipy.special",
    "jax.scipy.stats", "jax.scipy.integrate", "jax.scipy.fft", "jax.scipy.ndimage",
    "jax.scipy.cluster", "jax.scipy.cluster.vq",
    *[f"jax.scipy.stats.{d}" for d in (
        "bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet", "expon",
        "gamma", "gennorm", "geom", "gumbel_l", "gumbel_r", "laplace", "logistic", "multinomial",
        "multivariate_normal", "nbinom", "norm", "pareto", "poisson", "t", "truncnorm",
        "uniform", "vonmises", "wrapcauchy")],
    "jax.tree_util", "jax.tree", "jax.dtypes", "jax.typing", "jax.flatten_util", "jax.test_util",
    "jax.ad_checkpoint", "jax.ops", "jax.example_libraries.optimizers",
    "jax.example_libraries.stax", "jax.sharding", "jax.debug",
    "jax.experimental", "jax.experimental.checkify", "jax.experimental.layout", "jax.errors",
    "jax.extend", "jax.extend.core", "jax.extend.linear_util", "jax.interpreters.partial_eval",
    "jax.api_util",
]

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "compiler",
                   "jax_api_names.json")


def public_names(module: types.ModuleType) -> list[str]:
    """The names a user of `module` may use: `__all__` where it is complete, else dir()
    without private names and without the modules and typing helpers it merely imports."""
    names = set(getattr(module, "__all__", ()))
    for name in dir(module):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) and not value.__name__.startswith("jax"):
            continue        # numpy, functools, ... imported by the module
        names.add(name)
    return sorted(names)


def main():
    import jax
    for name in MODULES:
        importlib.import_module(name)
    table = {name: public_names(sys.modules[name]) for name in MODULES}
    with open(OUT, "w") as f:
        json.dump({"jax_version": jax.__version__, "modules": table}, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}: {sum(map(len, table.values()))} names in {len(table)} modules "
          f"(jax {jax.__version__})")


if __name__ == "__main__":
    main()
