"""`--mlax-lower-to-stablehlo`: mlax ops -> StableHLO (and CHLO) ops, for XLA.

The sibling of `mlax.lowering.linalg` for targets that only run XLA (TPUs: the `tpu`
backend). `LOWERINGS` maps an op name to its rule:

    rule(op: Op) -> list[ir.Value]

where `Op` gives the operand/result `TensorSpec`s (`op.in_specs`, `op.out_specs`), the
operand values (`op.operands`) and the attributes as Python values (`op.attrs`). Rules
run with the insertion point and location of the op they replace, so every StableHLO
op keeps the user's line. Types do not change: StableHLO has mlax's element types
(unsigned integers and i1 included). A rule that cannot lower its op raises `PassError`
naming the op; the driver adds the op's location.

The rules live in one file per op family, each ending with its own `LOWERINGS` table;
this driver's table is their union:

    builders.py      ops in generic form, types, constants, attributes, reducer regions
    elementwise.py   elementwise ops, comparisons, select, clamp, convert, bitcast
    shape.py         iota, broadcast_in_dim, reshape, transpose, slice, concatenate, pad,
                     dynamic_slice, dynamic_update_slice
    reductions.py    reduce_*, argmax / argmin, dot_general
    indexing.py      gather, scatter (XLA's modes as JAX maps them)
    cumulative.py    cumsum, cumprod, cummax, cummin, cumlogsumexp (reduce_window)
    sort.py          sort, top_k
    windows.py       conv, reduce_window, select_and_gather_add, select_and_scatter_add
    complex_numbers.py  real, imag, conj, complex, fft
    linear_algebra.py   cholesky, triangular_solve; geqrf, householder_product, eigh, svd,
                        lu, eig, schur, qr as LAPACK custom calls (XLA's CPU client only: see the file)
    random_bits.py   threefry2x32
    sharding.py      sharding_constraint (custom_call @Sharding), the entry points'
                     shardings and the module's partition count (GSPMD attributes)
    control_flow.py  the structural kinds cond, while, scan (LOWER_KINDS)
    host_callbacks.py   the structural kind callback: a custom call of jaxlib's Python
                     callback handler, the module's `mlax.host_callbacks` descriptors

The ops are built in mlax's MLIR context, which does not register the stablehlo and chlo
dialects: the pass allows unregistered dialects in the context and creates each op in
generic form (its dialect attributes are opaque there). The tpu backend prints the
result and parses it in jaxlib's context, where the StableHLO verifier checks it
(mlax.backends.tpu.crossing). `UNSUPPORTED` names the ops this lowering does not claim
and why; the pass raises a PassError naming such an op and its location.
"""
from __future__ import annotations

from mlir import ir

from mlax.dialects import spec_of_type, structural
from mlax.lowering.stablehlo import (complex_numbers, control_flow, cumulative, elementwise,
                                     host_callbacks, indexing, linear_algebra, random_bits,
                                     reductions, shape, sharding, sort, windows)
from mlax.lowering.stablehlo.builders import hlo, is_complex
from mlax.lowering.rules import Op, union
from mlax.passes import ModulePass, PassError, register


# Op name -> rule(op: Op) -> list[ir.Value] (see the module's docstring).
LOWERINGS = union("StableHLO", elementwise, shape, reductions, indexing, cumulative, sort,
                  random_bits, sharding, windows, complex_numbers, linear_algebra)

# Structural kind -> rule(fn, decl, ftype) giving its declaration a body.
LOWER_KINDS = {**control_flow.LOWER_KINDS, **host_callbacks.LOWER_KINDS}

# Ops this lowering does not claim, and why (the coverage test requires every op to be
# here or in LOWERINGS).
UNSUPPORTED = {
    "mlax.collective": "a collective outside vmap of its named axis has no meaning on one "
                       "device (--mlax-vmap replaces it)",
}


def _lower_constant(op):
    if is_complex(spec_of_type(op.result.type).dtype):
        # The bindings cannot read a complex dense attribute back: the op is rebuilt from
        # its generic text, which keeps the value and the location.
        text = op.get_asm(print_generic_op_form=True, enable_debug_info=True)
        new_op = ir.Operation.parse(text.replace('"arith.constant"', '"stablehlo.constant"', 1),
                                    context=op.context)
        ir.InsertionPoint(op).insert(new_op)
        new = new_op.result
    else:
        with ir.InsertionPoint(op), op.location:
            new = hlo("stablehlo.constant", [], [op.result.type],
                      {"value": op.attributes["value"]}).result
    op.result.replace_all_uses_with(new)
    op.erase()


def _lower_op(op, logical):
    rule = LOWERINGS.get(op.name)
    if op.name == "mlax.sharding_constraint":   # its text depends on the module's devices
        rule = sharding.constraint_rule(logical)
    if rule is None:
        why = UNSUPPORTED.get(op.name)
        raise PassError(f"'{op.name}' has no StableHLO lowering (tpu backend)"
                        f"{': ' + why if why else ''} (at {op.location})")
    ins = [spec_of_type(v.type) for v in op.operands]
    outs = [spec_of_type(r.type) for r in op.results]
    with ir.InsertionPoint(op), op.location:
        try:
            results = rule(Op(op, ins, outs))
        except PassError as e:
            raise PassError(f"{e} (at {op.location})") from None
    for old, new in zip(op.results, results):
        old.replace_all_uses_with(new)
    op.erase()


def _lower_declaration(fn):
    decl = structural.read(fn)
    ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    rule = LOWER_KINDS.get(decl.kind)
    if rule is None:
        raise PassError(f"'mlax.{decl.kind}' declaration @{ir.StringAttr(fn.attributes['sym_name']).value} "
                        f"has no StableHLO lowering (at {fn.location})")
    fn.regions[0].blocks.append(*ftype.inputs)
    with fn.location:
        rule(fn, decl, ftype)
    structural.undeclare(fn)


# Upstream ops the traced module may hold besides mlax ops, kept as they are.
_KEPT = {"builtin.module", "func.func", "func.call", "func.return"}


def lower_module(module_op):
    """Lower every mlax op, constant and control-flow declaration in the module."""
    pending = []

    def collect(op):
        pending.append(op)
        return ir.WalkResult.ADVANCE

    module_op.walk(collect, ir.WalkOrder.PRE_ORDER)
    logical = sharding.device_ids(module_op)
    for op in pending:
        name = op.name
        if name == "func.func":
            if not len(op.regions[0].blocks) and structural.kind_of(op) is not None:
                _lower_declaration(op)
        elif name == "arith.constant":
            _lower_constant(op)
        elif name.startswith("mlax."):
            _lower_op(op, logical)
        elif name not in _KEPT and not name.startswith(("stablehlo.", "chlo.")):
            raise PassError(f"'{name}' has no StableHLO lowering (tpu backend) "
                            f"(at {op.location})")
    host_callbacks.thread_tokens(module_op)
    sharding.lower_placement(module_op)


@register
class LowerToStablehloPass(ModulePass):
    """Lower mlax ops to StableHLO (and CHLO) ops in generic form, for XLA."""
    name = "mlax-lower-to-stablehlo"
    creates_unregistered_ops = True

    def run(self, module_op):
        lower_module(module_op)
