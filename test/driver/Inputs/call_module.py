"""Imports the compiled module at argv[1] as a package and calls each entry point on
deterministic inputs (0.5, 1, 1.5, ... in each leaf's shape and dtype), printing the
signature and the results. Used by the driver's lit tests."""
import importlib
import os
import sys

import numpy as np

path = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.dirname(path))
module = importlib.import_module(os.path.basename(path))
np.set_printoptions(precision=4, suppress=True)

for name, entry in module.module.entries.items():
    leaves = [((np.arange(int(np.prod(leaf.shape))) + 1) / 2).astype(leaf.dtype).reshape(leaf.shape)
              for leaf in entry.inputs]
    from mlax.runtime.aot import tree_unflatten
    args, kwargs = tree_unflatten(entry.in_tree, leaves)
    print(entry.signature())
    print(entry(*args, **dict(kwargs)))
