"""mlax.tree: the pytree functions under `jax.tree`'s short names (`mlax.tree.map`, ...)."""
from mlax.tree_util import (tree_all as all, tree_broadcast as broadcast,  # noqa: F401
                            tree_flatten as flatten,
                            tree_flatten_with_path as flatten_with_path,
                            tree_leaves as leaves, tree_leaves_with_path as leaves_with_path,
                            tree_map as map, tree_map_with_path as map_with_path,
                            tree_reduce as reduce,
                            tree_reduce_associative as reduce_associative,
                            tree_structure as structure, tree_transpose as transpose,
                            tree_unflatten as unflatten)

__all__ = ["all", "broadcast", "flatten", "flatten_with_path", "leaves", "leaves_with_path",
           "map", "map_with_path", "reduce", "reduce_associative", "structure", "transpose",
           "unflatten"]


# Names jax.tree has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.tree", __name__)
