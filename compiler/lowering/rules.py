"""What the lowering passes share: the view of an op a rule receives, and the union of the
per-family rule tables (compiler/lowering/linalg/, compiler/lowering/stablehlo/)."""
from __future__ import annotations

from mlax.dialects import op_attrs


class Op:
    """An mlax op being lowered, with its types as they were before lowering began."""

    def __init__(self, op, in_specs, out_specs):
        self.op = op
        self.name = op.name
        self.in_specs = in_specs
        self.out_specs = out_specs
        self.attrs = op_attrs(op)

    @property
    def operands(self):
        return list(self.op.operands)

    @property
    def in_dtypes(self):
        return [s.dtype for s in self.in_specs]


def union(target: str, *families) -> dict:
    """The union of the families' `LOWERINGS` tables; no op has two rules."""
    table = {}
    for family in families:
        for name, rule in family.LOWERINGS.items():
            if name in table:
                raise ValueError(f"two {target} lowerings of '{name}' (one in "
                                 f"{family.__name__})")
            table[name] = rule
    return table
