"""`mlax.collective` has no lowering of its own: `--mlax-vmap` of the axis it names replaces
it by a reduction over that axis. One that reaches the lowering names no enclosing vmap.
`mlax.sharding_constraint` lowers to its operand: a linalg target runs on one device."""
from __future__ import annotations

from mlax.passes import PassError


def _unbound(op):
    raise PassError(f"mlax.collective: unbound axis name '{op.attrs['axis_name']}': no "
                    "enclosing mlax.vmap declaration has that axis_name")


def _sharding_constraint(op):
    """One device holds the whole value: the constraint is the value itself."""
    return [op.operands[0]]


LOWERINGS = {"mlax.collective": _unbound, "mlax.sharding_constraint": _sharding_constraint}
