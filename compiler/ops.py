"""`mlax.ops`: the indexed-update functions of older JAX (`jax.ops.index_update`), kept
because the tutorials use them; each is `x.at[idx].<op>(y)`."""
from mlax.numpy._indexing import update


class _Index:
    """`ops.index[0, :]` is the index tuple `(0, slice(None))`."""

    def __getitem__(self, idx):
        return idx


index = _Index()


def index_update(x, idx, y):
    return update(x, idx, y, "set")


def index_add(x, idx, y):
    return update(x, idx, y, "add")


def index_mul(x, idx, y):
    return update(x, idx, y, "mul")


def index_min(x, idx, y):
    return update(x, idx, y, "min")


def index_max(x, idx, y):
    return update(x, idx, y, "max")


# Names jax.ops has and mlax does not yet: NotImplementedError naming them (mlax.api_names).
from mlax import api_names as _api_names  # noqa: E402

__getattr__ = _api_names.module_getattr("jax.ops", __name__)
