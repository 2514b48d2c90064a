"""Every mlax op has a rule in every table that must know it: a JVP rule and a VJP rule
(or an entry in NON_DIFFERENTIABLE saying why it has no derivative), a batching rule, and a
lowering on each backend, the structural kinds included.

The tables are read from the modules that own them, by their public names:
  mlax.dialects: OPS; mlax.dialects.structural: KINDS
  mlax.transforms.ad_rules: JVP_RULES, VJP_RULES, NON_DIFFERENTIABLE
  mlax.transforms.vmap: BATCHING_RULES
  mlax.transforms.expand: EXPANDERS
  mlax.lowering.linalg: LOWERINGS; mlax.lowering.structural: LOWER_KINDS
  mlax.lowering.stablehlo: LOWERINGS, LOWER_KINDS, UNSUPPORTED (the tpu backend's)
  mlax.backends.cuda.unsupported: CUDA_LOWERINGS, UNSUPPORTED (the cuda backend's)
A new op adds an entry to each table; a new backend adds its row to BACKEND_LOWERINGS.
A backend may claim a subset of the ops if it names every other op, with the reason, in
its table of unsupported ops: a new op fails the test until it is lowered or listed."""
import pytest

from mlax import backends, passes
from mlax.backends.cuda import unsupported as cuda_unsupported
from mlax.dialects import OPS, structural
from mlax.lowering import stablehlo
from mlax.lowering.linalg import LOWERINGS
from mlax.lowering.structural import LOWER_KINDS
from mlax.transforms.ad_rules import JVP_RULES, NON_DIFFERENTIABLE, VJP_RULES
from mlax.transforms.expand import EXPANDERS
from mlax.transforms.vmap import BATCHING_RULES

# The rules of calls (control flow, custom derivatives) register when their passes load.
passes.load_passes()

# Transform declarations are expanded innermost first (mlax.transforms.expand), so no
# rule ever meets a call to one; the other kinds stay calls that the rules transform.
TRANSFORM_KINDS = {"jvp", "vjp", "grad", "vmap"}
CALL_KINDS = sorted(set(structural.KINDS) - TRANSFORM_KINDS)

# backend -> (its lowering of each op, its lowering of each structural kind not expanded
# by the target-neutral pipeline, the ops it does not lower with the reason). The cpu
# backend claims every op.
BACKEND_LOWERINGS = {
    "cpu": (LOWERINGS, LOWER_KINDS, {}),
    "tpu": (stablehlo.LOWERINGS, stablehlo.LOWER_KINDS, stablehlo.UNSUPPORTED),
    "cuda": (cuda_unsupported.CUDA_LOWERINGS, LOWER_KINDS, cuda_unsupported.UNSUPPORTED),
}

# What a rule table may be keyed by besides ops: calls of the structural kinds, and calls
# of ordinary functions.
CALLS = {f"mlax.{k}" for k in CALL_KINDS} | {"func.call"}


def test_every_op_is_differentiable_or_says_why():
    missing = [n for n in OPS
               if n not in NON_DIFFERENTIABLE and not (n in JVP_RULES and n in VJP_RULES)]
    assert not missing, f"ops with neither a JVP and a VJP rule nor a reason in " \
                        f"NON_DIFFERENTIABLE: {missing}"


def test_non_differentiable_entries_are_ops_with_reasons():
    for name, why in NON_DIFFERENTIABLE.items():
        assert name in OPS, f"NON_DIFFERENTIABLE names {name}, which is not an op"
        assert isinstance(why, str) and why.strip(), f"{name} has no reason"


def test_every_call_kind_has_derivative_rules():
    missing = [f"mlax.{k}" for k in CALL_KINDS
               if f"mlax.{k}" not in JVP_RULES or f"mlax.{k}" not in VJP_RULES]
    assert not missing, f"calls without a JVP and a VJP rule: {missing}"


def test_every_op_and_call_kind_has_a_batching_rule():
    # An op without operands never has a batched operand: vmap copies it unchanged.
    missing = [n for n, d in OPS.items() if d.operands and n not in BATCHING_RULES]
    missing += [f"mlax.{k}" for k in CALL_KINDS if f"mlax.{k}" not in BATCHING_RULES]
    assert not missing, f"no batching rule for {missing}"


@pytest.mark.parametrize("table", ["JVP_RULES", "VJP_RULES", "BATCHING_RULES"])
def test_rule_tables_name_only_ops_and_calls(table):
    rules = {"JVP_RULES": JVP_RULES, "VJP_RULES": VJP_RULES,
             "BATCHING_RULES": BATCHING_RULES}[table]
    stale = sorted(set(rules) - set(OPS) - CALLS)
    assert not stale, f"{table} has rules for what is neither an op nor a call: {stale}"


def test_every_structural_kind_is_expanded_or_lowered():
    """A transform or custom-derivative declaration gets its body from the target-neutral
    pipeline (EXPANDERS); a control-flow one from each backend (checked below)."""
    lowered_somewhere = set().union(*(kinds for _, kinds, _ in BACKEND_LOWERINGS.values()))
    missing = [k for k in structural.KINDS if k not in EXPANDERS and k not in lowered_somewhere]
    assert not missing, f"structural kinds nothing gives a body: {missing}"


def test_every_usable_backend_has_a_row():
    for name in backends.names():
        try:
            backends.get(name)
        except backends.BackendUnavailable:
            continue        # registered but not built here: it compiles nothing yet
        assert name in BACKEND_LOWERINGS, f"backend {name!r} has no row in BACKEND_LOWERINGS"


@pytest.mark.parametrize("backend", sorted(BACKEND_LOWERINGS))
def test_every_op_and_kind_lowers_on_the_backend(backend):
    ops, kinds, unsupported = BACKEND_LOWERINGS[backend]
    missing = [n for n in OPS if n not in ops and n not in unsupported]
    missing += [f"mlax.{k}" for k in structural.KINDS if k not in EXPANDERS and k not in kinds]
    assert not missing, f"no {backend} lowering for {missing} (lower them, or list them with the reason among the backend's unsupported ops)"
    stale = sorted(set(ops) - set(OPS)) + sorted(set(kinds) - set(structural.KINDS))
    assert not stale, f"{backend} lowers what is neither an op nor a kind: {stale}"


@pytest.mark.parametrize("backend", sorted(BACKEND_LOWERINGS))
def test_unsupported_ops_are_ops_with_reasons(backend):
    ops, _, unsupported = BACKEND_LOWERINGS[backend]
    for name, why in unsupported.items():
        assert name in OPS, f"{backend} lists {name} as unsupported, which is not an op"
        assert name not in ops, f"{backend} both lowers {name} and lists it as unsupported"
        assert isinstance(why, str) and why.strip(), f"{backend}: {name} has no reason"
