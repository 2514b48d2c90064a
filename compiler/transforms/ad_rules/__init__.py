"""Differentiation rules of the mlax ops: one JVP table and one VJP table, keyed by op name.

    JVP_RULES[name](ctx, tangents) -> tangents_out
        `tangents[i]` is the tangent of operand i, or None for a (symbolic) zero; the rule
        runs only when at least one is not None. It returns one tangent per result (a
        list, or a single Value for a one-result op), None where the tangent is zero.

    VJP_RULES[name](ctx, cts) -> cts_in
        `cts[i]` is the cotangent of result i, or None for zero; the rule runs only when
        at least one is not None. It returns one cotangent per operand, None where zero
        (or where `ctx.active[i]` is false: that operand needs none).

    ctx (a `RuleContext`): `ctx.args` / `ctx.outs` are the op's primal operands and results
    as Values of the function being built, `ctx.attrs` its attributes as Python values
    (`mlax.dialects.op_attrs`), `ctx.active[i]` whether operand i carries a tangent (JVP)
    or needs a cotangent (VJP). The context is a `mlax.transforms.builder.Builder`: new
    ops are built with `ctx.<op>(*operands, **attrs)` (`ctx.mul(g, ctx.cos(x))`), at the
    current insertion point and with the location of the op being differentiated, so a
    derivative op points at the user's line.

Reverse mode is built from reverse rules written beside the forward ones (micrograd,
PyTorch) rather than from JVP + partial evaluation + transposition: the passes in
mlax.transforms.autodiff replay the primal ops once, then walk them backwards calling
these rules. Rules emit mlax ops, so derivatives are differentiable again (grad of grad).

Family helpers register both tables at once, so most ops are one line:
  defunary(name, d)        elementwise, one operand: d(ctx, g, x, y) = g * dy/dx
                           (the Jacobian is diagonal, so one function serves JVP and VJP)
  defbinary(name, dl, dr)  elementwise, two operands: dl/dr(ctx, g, x, y, z) = g * dz/dx|y
  deflinear(name, transpose, linear=(0,))
                           linear in the operands listed in `linear` (the others, e.g.
                           indices, are passed through): the JVP applies the op itself to
                           the tangents; `transpose(ctx, ct)` gives the operand cotangents
  defzero(*names)          zero derivative everywhere (comparisons, integer ops,
                           floor/round/sign, stop_gradient)
Ops with no entry raise a NotImplementedError naming the op and the transform.

The rules of the mlax ops are grouped by family, one module each: `elementwise` (unary,
binary, select, clamp, conversions), `shape` (linear shape ops, gather, scatter),
`reductions` (reductions, cumulative ops, sort, top_k), `dot_general`, `linalg`
(cholesky, lu, triangular_solve, qr, eigh, svd, eig), `windows` (conv, rev, reduce_window and
the max / min window gradient ops), `fft` and `collectives` (psum and its kin over a named axis);
`table` holds the tables, the context and the family helpers. Calls (`func.call`, and calls to
control-flow / custom-derivative declarations, keyed "mlax.<kind>") get their rules in
mlax.transforms.autodiff and mlax.transforms.ad_control_flow: they build derivative
functions.
"""
from mlax.transforms.ad_rules import (collectives, dot_general, elementwise,  # noqa: F401
                                      fft, linalg, reductions, shape, windows)
from mlax.transforms.ad_rules.elementwise import NON_DIFFERENTIABLE
from mlax.transforms.ad_rules.table import JVP_RULES, VJP_RULES, RuleContext, missing_rule

__all__ = ["JVP_RULES", "VJP_RULES", "NON_DIFFERENTIABLE", "RuleContext", "missing_rule"]
