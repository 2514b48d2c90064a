"""`mlax.collective` has no lowering of its own: `--mlax-vmap` of the axis it names replaces
it by a reduction over that axis. One that reaches the lowering names no enclosing vmap."""
from __future__ import annotations

from mlax.passes import PassError


def _unbound(op):
    raise PassError(f"mlax.collective: unbound axis name '{op.attrs['axis_name']}': no "
                    "enclosing mlax.vmap declaration has that axis_name")


LOWERINGS = {"mlax.collective": _unbound}
