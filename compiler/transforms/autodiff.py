"""Automatic differentiation as passes: `--mlax-jvp`, `--mlax-vjp`, `--mlax-grad`.

The declarations (see mlax.dialects.structural) name the function to differentiate:

    mlax.jvp  = {callee = @f, argnums = array<i64: ...>}
        (operands of f..., tangents of the argnums operands...) -> (results of f..., a tangent per result...)
    mlax.vjp  = {callee = @f, argnums = array<i64: ...>}
        (operands of f..., a cotangent per result of f...) -> (cotangents of the argnums operands...)
    mlax.grad = {callee = @f, argnums = array<i64: ...>, has_aux = false, value = false}
        (operands of f...) -> ([result 0 if value], [results 1.. if has_aux], gradients of the argnums operands...)
        result 0 of f must be a real scalar; the other results (aux) are not differentiated.

Each pass turns its declarations into ordinary functions, innermost first
(mlax.transforms.expand), reading IR only, so `mlax-opt --mlax-grad` works on hand-written IR.

Forward mode (`Module.jvp_function`, built by `Jvp`) walks the callee once in program
order, copying each op and calling its rule in `JVP_RULES` when an operand has a non-zero
tangent. Tangents are symbolic: None stands for zero and costs no op, so only what depends
on the differentiated operands gets derivative code.

Reverse mode (`Module.vjp_split`, built by `Vjp`) builds two functions from a callee f:
`f_fwd` replays f's ops once and also returns the values the backward pass needs
(residuals), and `f_bwd` takes the output cotangents and the residuals and walks the ops
that depend on the differentiated operands (the active ops) backwards, calling their rules
in `VJP_RULES`.
The forward pass is computed once; after `inline` a gradient is one straight-line
function, and `mlax-simplify` removes the primal ops the gradient does not use.

Calls are differentiated by differentiating the callee (one derivative function per callee
and tangent/cotangent pattern, cached during one expansion). Calls to control-flow and
custom-derivative declarations have rules keyed "mlax.<kind>" in the same tables:
`cond` and `scan` in both modes, `while` in forward mode only (as in JAX), in
mlax.transforms.ad_control_flow; here, `custom_jvp` in both modes (reverse mode transposes the user's JVP rule by reverse-mode
differentiating it with respect to its tangent inputs, which it is linear in), and
`custom_vjp` in reverse mode only:

    mlax.custom_jvp = {callee = @f, jvp = @f_jvp, num_args = N, num_callee_consts = C}
        operands (args[N]..., callee consts[C]..., jvp consts...) -> results of f;
        f(args, callee consts); f_jvp(args, tangents of args, jvp consts) -> (results..., tangents...)
    mlax.custom_vjp = {callee = @f, fwd = @f_fwd, bwd = @f_bwd, num_args = N,
                       num_callee_consts = C, num_fwd_consts = F, num_res = R}
        operands (args[N]..., callee consts[C]..., fwd consts[F]..., bwd consts...) -> results of f;
        f_fwd(args, fwd consts) -> (results..., residuals[R]...);
        f_bwd(residuals..., a cotangent per result..., bwd consts...) -> (cotangents of args...)

Outside differentiation, `--mlax-expand-transforms` turns custom_jvp / custom_vjp
declarations into calls of their primal function, after every transform is expanded.
Consts are the outer values the traced functions close over; they are not differentiated
(differentiating through one is an error, as in JAX).
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import func as func_d

from mlax.dialects import spec_of_type, structural
from mlax.passes import ModulePass, PassError, PassTypeError, PassValueError, register
from mlax.transforms import ad_control_flow  # noqa: F401 (registers the cond, scan, while rules)
from mlax.transforms import expand as expand_mod
from mlax.transforms import simplify
from mlax.transforms.ad_rules import JVP_RULES, VJP_RULES, RuleContext, missing_rule
from mlax.transforms.builder import Builder, call, splat, zeros
from mlax.runtime.dtypes import is_inexact


CUSTOM_VJP_JVP_MESSAGE = "can't apply forward-mode autodiff (jvp) to a custom_vjp function."

CLOSURE_MESSAGE = (
    "Detected differentiation of a {kind} function with respect to a closed-over value. "
    "That isn't supported because the custom {what} rule only specifies how to "
    "differentiate the {kind} function with respect to explicit input parameters. Pass the "
    "value as an explicit argument instead.")


def _float_type(t: ir.Type) -> bool:
    """Whether values of type `t` are differentiated: real or complex floating point."""
    return is_inexact(spec_of_type(t).dtype)


# ---------------------------------------------------------------------------------------
# The module being transformed


class Module:
    """The functions of one module, fresh symbols, and the derivative functions built so far."""

    def __init__(self, module_op):
        self.module_op = module_op
        self.body = module_op.regions[0].blocks[0]
        self.fns = expand_mod.functions(module_op)
        self.names = set(self.fns)
        self.jvp_cache = {}
        self.vjp_cache = {}
        self.created = set()

    def unique(self, base: str) -> str:
        name, i = base, 0
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def lookup(self, name: str):
        fn = self.fns.get(name)
        if fn is None:
            raise PassError(f"no function @{name} in the module")
        return fn

    def body_of(self, name: str, what: str):
        """(block, ops, return op) of an ordinary function with a body."""
        fn = self.lookup(name)
        kind = structural.kind_of(fn)
        if kind is not None or not len(fn.regions[0].blocks):
            desc = f"an unexpanded mlax.{kind} declaration" if kind else "an external declaration"
            raise PassTypeError(f"cannot differentiate @{name} ({what}): it is {desc}")
        if len(fn.regions[0].blocks) != 1:
            raise PassTypeError(f"cannot differentiate @{name}: mlax functions have one block")
        block = fn.regions[0].blocks[0]
        ops = [op.operation for op in block.operations]
        return block, ops[:-1], ops[-1]

    def signature(self, name: str):
        fn = self.lookup(name)
        ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
        return list(ftype.inputs), list(ftype.results)

    def new_function(self, base: str, arg_types, loc=None):
        name = self.unique(base)
        with ir.InsertionPoint(self.body), loc or ir.Location.unknown():
            fn = func_d.FuncOp(name, (list(arg_types), []), visibility="private")
        block = fn.add_entry_block()
        self.fns[name] = fn
        self.created.add(name)
        return name, fn, block

    def declare(self, decl, base, arg_types, result_types, loc=None) -> str:
        """Add the structural declaration `decl` (mlax.dialects.structural) under a fresh
        symbol made from `base`."""
        name = self.unique(base)
        fn = decl.declare(self.body, name, arg_types, result_types, loc)
        self.fns[name] = fn
        self.created.add(name)
        return name

    def erase_unused_created(self, decl):
        """Erase the functions this expansion made that nothing refers to any more. Only
        `decl`, the declaration being expanded, and those functions can refer to them:
        every other function is older, and their symbols are fresh."""
        while True:
            used = expand_mod.callees(decl)
            for n in self.created:
                used |= expand_mod.callees(self.fns[n])
            dead = [n for n in self.created if n not in used]
            if not dead:
                return
            for n in dead:
                self.fns.pop(n).operation.erase()
                self.created.discard(n)

    # -- derivative functions, for the expanders and the call rules -----------------------
    def activity(self, name: str, in_mask) -> list:
        """Which results of @name depend on the operands in `in_mask` (float values only;
        calls to declarations are taken to depend on all their operands)."""
        block, ops, ret = self.body_of(name, "activity")
        active = {a for a, m in zip(block.arguments, in_mask) if m and _float_type(a.type)}
        for op in ops:
            ins = [v in active for v in op.operands]
            if not any(ins):
                continue
            outs = [True] * len(op.results)
            if op.name == "func.call" and structural.kind_of(self.lookup(callee_of(op))) is None:
                outs = self.activity(callee_of(op), ins)
            for r, a in zip(op.results, outs):
                if a and _float_type(r.type):
                    active.add(r)
        return [v in active for v in ret.operands]

    def jvp_function(self, name: str, in_mask, force=None):
        """(symbol, out_mask) of the JVP function of @name; see `Jvp`."""
        n_out = len(self.signature(name)[1])
        force = tuple(bool(f) for f in (force or [False] * n_out))
        key = (name, tuple(bool(m) for m in in_mask), force)
        if key not in self.jvp_cache:
            j = Jvp(self, name, in_mask, force)
            self.jvp_cache[key] = (j.name, j.out_mask)
        return self.jvp_cache[key]

    def vjp_split(self, name: str, in_mask, ct_mask, direct=None, reuse_outs=None) -> "Split":
        """The Split of @name (fwd and bwd functions); see `Vjp`."""
        key = (name, tuple(bool(m) for m in in_mask), tuple(bool(m) for m in ct_mask),
               None if direct is None else tuple(sorted(direct)),
               None if reuse_outs is None else tuple(sorted(reuse_outs)))
        if key not in self.vjp_cache:
            self.vjp_cache[key] = Vjp(self, name, in_mask, ct_mask, direct, reuse_outs).split
        return self.vjp_cache[key]

    def wrapper(self, base, arg_types, body):
        """A new function of `arg_types` whose body `body(args) -> results` builds (with the
        calls it makes inlined): a branch or loop body of a control-flow declaration."""
        name, fn, block = self.new_function(base, arg_types)
        with ir.InsertionPoint(block), ir.Location.unknown():
            outs = body(list(block.arguments))
        finish(fn, block, outs)
        simplify.inline_calls_in(fn, self.fns)
        return name


def finish(fn, block, values):
    """Return `values` from `fn` and set its type from its block."""
    with ir.InsertionPoint(block), ir.Location.unknown():
        func_d.ReturnOp(list(values))
    fn.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
        [a.type for a in block.arguments], [v.type for v in values]))


def clone(op, env):
    """Copy `op` at the current insertion point with its operands mapped through env."""
    new = op.clone()
    for i, v in enumerate(op.operands):
        new.operands[i] = env[v]
    for r, n in zip(op.results, new.results):
        env[r] = n
    return new


def callee_of(op) -> str:
    return ir.FlatSymbolRefAttr(op.attributes["callee"]).value


def rule_key(mod: Module, op) -> str:
    """The table key of an op: its name, or "mlax.<kind>" for a call to a declaration."""
    if op.name != "func.call":
        return op.name
    kind = structural.kind_of(mod.lookup(callee_of(op)))
    return "func.call" if kind is None else "mlax." + kind


def _apply(rule, ctx, values):
    """rule(ctx, values); a PassError raised without a location (a callee that cannot be
    differentiated, say) gets the location of the op being differentiated."""
    try:
        return rule(ctx, values)
    except PassError as e:
        if e.location is not None:
            raise
        raise type(e)(str(e), at=ctx.op) from None


def _check_type(op, what, value, expected_type, transform):
    if value is not None and value.type != expected_type:
        raise PassError(f"internal error: the {transform} rule of '{op.name}' returned a "
                        f"{what} of type {value.type}, expected {expected_type}", at=op)




# ---------------------------------------------------------------------------------------
# Forward mode


class Jvp:
    """Builds `<f>_jvp(args..., tangents of args in in_mask...) -> (results..., tangents of
    the results in out_mask...)`. `force` lists results whose tangent is returned (as zeros
    if need be) even when symbolically zero."""

    def __init__(self, mod: Module, name: str, in_mask, force):
        self.mod = mod
        block, ops, ret = mod.body_of(name, "jvp")
        arg_types = [a.type for a in block.arguments]
        in_mask = [bool(m) and _float_type(t) for m, t in zip(in_mask, arg_types)]
        t_types = [t for t, m in zip(arg_types, in_mask) if m]
        self.name, fn, nblock = mod.new_function(f"{name}_jvp", arg_types + t_types)
        self.env = dict(zip(block.arguments, nblock.arguments))
        self.tan = {}
        targs = iter(list(nblock.arguments)[len(arg_types):])
        for a, m in zip(block.arguments, in_mask):
            if m:
                self.tan[a] = next(targs)
        with ir.InsertionPoint(nblock):
            for op in ops:
                self.op(op)
            outs = [self.env[v] for v in ret.operands]
            touts = [self.tan.get(v) for v in ret.operands]
            for i, f in enumerate(force):
                if f and touts[i] is None:
                    touts[i] = zeros(outs[i].type)
            self.out_mask = tuple(t is not None for t in touts)
            finish(fn, nblock, outs + [t for t in touts if t is not None])

    def op(self, op):
        ts = [self.tan.get(v) for v in op.operands]
        new = clone(op, self.env)
        if all(t is None for t in ts):
            return
        key = rule_key(self.mod, op)
        rule = JVP_RULES.get(key)
        if rule is None:
            raise missing_rule(key, "jvp", op)
        ctx = RuleContext(op, [self.env[v] for v in op.operands], list(new.results),
                          [t is not None for t in ts], "jvp", self)
        ctx.primal_op = new
        touts = _apply(rule, ctx, ts)
        if isinstance(touts, ir.Value):
            touts = [touts]
        touts = list(touts)
        if len(touts) != len(op.results):
            raise PassError(f"internal error: the jvp rule of '{key}' returned {len(touts)} "
                            f"tangents for {len(op.results)} results", at=op)
        for r, t in zip(op.results, touts):
            if t is not None and _float_type(r.type):
                _check_type(op, "tangent", t, r.type, "jvp")
                self.tan[r] = t

    def replace_primal(self, ctx, new_values):
        """Use `new_values` (computed by a call rule) for the primal results of ctx's op."""
        for r, old, new in zip(ctx.op.results, ctx.primal_op.results, new_values):
            old.replace_all_uses_with(new)
            self.env[r] = new
        ctx.primal_op.operation.erase()
        ctx.outs = list(new_values)




# ---------------------------------------------------------------------------------------
# Reverse mode


class Split:
    """The result of `vjp_split`:

    fwd: (args...) -> (results..., returned residuals...)
    bwd: (cotangents of the results in ct_mask..., residuals...) -> (cotangents of in_cts...)

    `res` says where each residual operand of bwd comes from: ("arg", i) is argument i of
    the function (the caller passes its own operand), ("out", j) is result j of fwd (one of
    the function's results, or a returned residual when j >= n_out)."""

    def __init__(self, fwd, bwd, n_out, res, res_types, ct_mask, in_cts):
        self.fwd, self.bwd, self.n_out = fwd, bwd, n_out
        self.res, self.res_types = res, res_types
        self.ct_mask, self.in_cts = ct_mask, in_cts

    def residuals(self, args, fwd_results):
        """The residual operands of bwd, from the caller's args and fwd's results."""
        return [args[i] if k == "arg" else fwd_results[i] for k, i in self.res]

    @property
    def returned_types(self):
        """The types of the residuals fwd returns beyond the function's results."""
        return [t for (k, j), t in zip(self.res, self.res_types) if k == "out" and j >= self.n_out]


class Vjp:
    """Builds the Split of @name for cotangents of the arguments in `in_mask`, given
    cotangents of the results in `ct_mask`. `direct` is the set of argument indices that
    may be passed to bwd by the caller rather than returned by fwd (None: all);
    `reuse_outs` the set of result indices whose value may serve as a residual (None: all)
    rather than be returned a second time."""

    def __init__(self, mod: Module, name: str, in_mask, ct_mask, direct=None, reuse_outs=None):
        self.mod = mod
        block, ops, ret = mod.body_of(name, "vjp")
        arg_types = [a.type for a in block.arguments]
        res_types = [v.type for v in ret.operands]
        ct_mask = [bool(m) and _float_type(t) for m, t in zip(ct_mask, res_types)]
        self.fwd, self.F, fblock = mod.new_function(f"{name}_fwd", arg_types)
        self.bwd, self.B, bblock = mod.new_function(
            f"{name}_bwd", [t for t, m in zip(res_types, ct_mask) if m])
        self.fblock, self.bblock = fblock, bblock
        self.n_ct = sum(ct_mask)
        self.fenv = dict(zip(block.arguments, fblock.arguments))
        self.lifted = {}         # fwd value -> bwd block argument
        self.residuals = []      # fwd values, in the order of bwd's residual arguments

        # Forward: replay every op; record the active ones.
        active = {a for a, m in zip(block.arguments, in_mask) if m and _float_type(a.type)}
        tape = []
        with ir.InsertionPoint(fblock):
            for op in ops:
                clone(op, self.fenv)
                if any(v in active for v in op.operands):
                    tape.append(op)
                    for r in op.results:
                        if _float_type(r.type):
                            active.add(r)
        self.active = active

        # Backward: seed the result cotangents, walk the tape in reverse.
        ct = {}
        bargs = iter(list(bblock.arguments))
        with ir.InsertionPoint(bblock):
            for v, m in zip(ret.operands, ct_mask):
                if m:
                    c = next(bargs)
                    if v in active:
                        ct[v] = Builder(ret.location).add_any(ct.get(v), c)
            for op in reversed(tape):
                self.op(op, ct)
            in_cts = [i for i, a in enumerate(block.arguments) if ct.get(a) is not None
                      and a in active]
            outs = [ct[block.arguments[i]] for i in in_cts]
        self._prune()
        direct = set(range(len(arg_types))) if direct is None else set(direct)
        reuse = set(range(len(res_types))) if reuse_outs is None else set(reuse_outs)
        res, returned = [], []
        fargs = list(fblock.arguments)
        fouts = [self.fenv[v] for v in ret.operands]
        for v in self.residuals:
            reusable = [j for j, o in enumerate(fouts) if o == v and j in reuse]
            if isinstance(v, ir.BlockArgument) and v in fargs and fargs.index(v) in direct:
                res.append(("arg", fargs.index(v)))
            elif reusable:
                res.append(("out", reusable[0]))
            else:
                res.append(("out", len(fouts) + len(returned)))
                returned.append(v)
        finish(self.B, bblock, outs)
        finish(self.F, fblock, fouts + returned)
        self.split = Split(self.fwd, self.bwd, len(res_types), res,
                           [v.type for v in self.residuals], tuple(ct_mask), tuple(in_cts))

    # -- the backward walk ---------------------------------------------------------------
    def op(self, op, ct):
        cts = [ct.pop(r, None) for r in op.results]
        if all(c is None for c in cts):
            return
        key = rule_key(self.mod, op)
        rule = VJP_RULES.get(key)
        if rule is None:
            raise missing_rule(key, "vjp", op)
        ctx = RuleContext(op, [self.lift(self.fenv[v]) for v in op.operands],
                          [self.lift(self.fenv[r]) for r in op.results],
                          [v in self.active for v in op.operands], "vjp", self)
        ctx.fwd_args = [self.fenv[v] for v in op.operands]
        cts_in = _apply(rule, ctx, cts)
        if isinstance(cts_in, ir.Value):
            cts_in = [cts_in]
        cts_in = list(cts_in)
        if len(cts_in) != len(op.operands):
            raise PassError(f"internal error: the vjp rule of '{key}' returned {len(cts_in)} "
                            f"cotangents for {len(op.operands)} operands", at=op)
        e = Builder(op.location)
        for v, c in zip(op.operands, cts_in):
            if c is not None and v in self.active:
                _check_type(op, "cotangent", c, v.type, "vjp")
                ct[v] = e.add_any(ct.get(v), c)

    def lift(self, v):
        """The bwd value standing for the fwd value v (a residual argument of bwd)."""
        if v not in self.lifted:
            self.lifted[v] = self.bblock.add_argument(v.type, ir.Location.unknown())
            self.residuals.append(v)
        return self.lifted[v]

    def _prune(self):
        """Drop residual arguments of bwd that no rule used."""
        args = list(self.bblock.arguments)
        for i in reversed(range(self.n_ct, len(args))):
            if not list(args[i].uses):
                del self.lifted[self.residuals[i - self.n_ct]]
                del self.residuals[i - self.n_ct]
                self.bblock.erase_argument(i)

    # -- for call rules: replace a replayed forward op -----------------------------------
    def forward_point(self, op):
        """An insertion point just before the replayed copy of `op` in fwd."""
        return ir.InsertionPoint(_owner(self.fenv[op.results[0]]))

    def replace_forward(self, op, new_values):
        """Make fwd compute op's results with `new_values` (from a call that also returns
        residuals), erasing the plain replayed copy of the op."""
        old_op = _owner(self.fenv[op.results[0]])
        for r, new in zip(op.results, new_values):
            old = self.fenv[r]
            old.replace_all_uses_with(new)
            self.fenv[r] = new
            if old in self.lifted:
                self.lifted[new] = self.lifted.pop(old)
                self.residuals[self.residuals.index(old)] = new
        old_op.erase()

    def run_split(self, ctx, split, fwd_operands, cts, n_primal) -> dict:
        """Compute ctx's op in the forward pass with split.fwd (called on `fwd_operands`; its
        first `n_primal` results replace the op's), and call split.bwd in the backward pass
        with `cts` (one per result of the split function, None for zero). Returns
        {argument index of the split function: cotangent}."""
        mod = self.mod
        with self.forward_point(ctx.op):
            fres = call(split.fwd, mod.signature(split.fwd)[1], fwd_operands, ctx.loc)
        self.replace_forward(ctx.op, fres[:n_primal])
        res = [self.lift(v) for v in split.residuals(list(fwd_operands), fres)]
        out_types = mod.signature(split.fwd)[1][:split.n_out]
        ct_in = [c if c is not None else zeros(t, ctx.loc)
                 for c, t, m in zip(cts, out_types, split.ct_mask) if m]
        got = call(split.bwd, mod.signature(split.bwd)[1], ct_in + res, ctx.loc)
        return dict(zip(split.in_cts, got))


def _owner(v):
    o = v.owner
    return o.operation if hasattr(o, "operation") else o




# ---------------------------------------------------------------------------------------
# Call rules: ordinary functions


def _call_jvp(ctx, ts):
    mod = ctx.driver.mod
    g = callee_of(ctx.op)
    jname, out_mask = mod.jvp_function(g, [t is not None for t in ts])
    types = [r.type for r in ctx.op.results]
    res = call(jname, types + [t for t, m in zip(types, out_mask) if m],
               ctx.args + [t for t in ts if t is not None], ctx.loc)
    ctx.driver.replace_primal(ctx, res[:len(types)])
    touts = iter(res[len(types):])
    return [next(touts) if m else None for m in out_mask]


def _call_vjp(ctx, cts):
    g = callee_of(ctx.op)
    split = ctx.driver.mod.vjp_split(g, ctx.active, [c is not None for c in cts])
    got = ctx.driver.run_split(ctx, split, ctx.fwd_args, cts, len(ctx.op.results))
    return [got.get(i) for i in range(len(ctx.op.operands))]




JVP_RULES["func.call"] = _call_jvp
VJP_RULES["func.call"] = _call_vjp


# ---------------------------------------------------------------------------------------
# Call rules: custom derivatives


def _custom_jvp_layout(ctx):
    e = ctx.declaration()
    return e, e.num_args, e.num_callee_consts


def _no_closure_derivative(ctx, flags, n, kind, what):
    if any(flags[n:]):
        raise PassTypeError(CLOSURE_MESSAGE.format(kind=kind, what=what), at=ctx.op)


def _custom_jvp_jvp(ctx, ts):
    e, n, ncc = _custom_jvp_layout(ctx)
    _no_closure_derivative(ctx, [t is not None for t in ts], n, "custom_jvp", "JVP")
    rule = e.jvp
    args = ctx.args[:n]
    tangents = [t if t is not None else zeros(a.type, ctx.loc) for t, a in zip(ts[:n], args)]
    types = [r.type for r in ctx.op.results]
    res = call(rule, types + types, args + tangents + ctx.args[n + ncc:], ctx.loc)
    ctx.driver.replace_primal(ctx, res[:len(types)])
    return [t if _float_type(t.type) else None for t in res[len(types):]]


def _custom_jvp_vjp(ctx, cts):
    drv = ctx.driver
    e, n, ncc = _custom_jvp_layout(ctx)
    _no_closure_derivative(ctx, ctx.active, n, "custom_jvp", "JVP")
    rule = e.jvp
    n_out = len(ctx.op.results)
    consts = list(ctx.fwd_args[n + ncc:])
    # The rule's tangent outputs are linear in its tangent inputs, so their VJP with
    # respect to the tangents (at any tangent: take zeros) is the transpose reverse mode
    # needs. The forward pass runs the rule, whose primal outputs replace the call's.
    in_mask = [False] * n + list(ctx.active[:n]) + [False] * len(consts)
    split = drv.mod.vjp_split(rule, in_mask, [False] * n_out + [c is not None for c in cts])
    with drv.forward_point(ctx.op):
        zs = [zeros(a.type, ctx.loc) for a in ctx.fwd_args[:n]]
    got = ctx.driver.run_split(ctx, split, list(ctx.fwd_args[:n]) + zs + consts,
                    [None] * n_out + list(cts), n_out)
    return [got.get(n + i) for i in range(n)] + [None] * (len(ctx.op.operands) - n)


def _custom_vjp_jvp(ctx, ts):
    raise PassTypeError(CUSTOM_VJP_JVP_MESSAGE, at=ctx.op)


def _custom_vjp_vjp(ctx, cts):
    drv = ctx.driver
    mod = drv.mod
    e = ctx.declaration()
    n = e.num_args
    ncc, nfc, nres = e.num_callee_consts, e.num_fwd_consts, e.num_res
    _no_closure_derivative(ctx, ctx.active, n, "custom_vjp", "VJP")
    fwd, bwd = e.fwd, e.bwd
    out_types = [r.type for r in ctx.op.results]
    fa = ctx.fwd_args
    with drv.forward_point(ctx.op):
        fres = call(fwd, mod.signature(fwd)[1], fa[:n] + fa[n + ncc:n + ncc + nfc], ctx.loc)
    drv.replace_forward(ctx.op, fres[:len(out_types)])
    res = [drv.lift(v) for v in fres[len(out_types):len(out_types) + nres]]
    ct_in = [c if c is not None else zeros(t, ctx.loc) for c, t in zip(cts, out_types)]
    bconsts = [drv.lift(v) for v in fa[n + ncc + nfc:]]
    got = call(bwd, [v.type for v in fa[:n]], res + ct_in + bconsts, ctx.loc)
    return [g if a else None for g, a in zip(got, ctx.active[:n])] + [None] * (len(fa) - n)


# ---------------------------------------------------------------------------------------
# Call rules: host callbacks (JAX's: a debug callback sees the primal values and has no
# derivative; pure and io callbacks cannot be differentiated)


def _callback_error(ctx):
    e = ctx.declaration()
    if e.effect == "pure":
        return PassValueError("Pure callbacks do not support JVP. Please use `jax.custom_jvp` "
                              "to use callbacks while taking gradients.", at=ctx.op)
    return PassValueError("IO callbacks do not support JVP.", at=ctx.op)


def _callback_jvp(ctx, ts):
    if ctx.declaration().effect != "debug":
        raise _callback_error(ctx)
    return [None] * len(ctx.op.results)


def _callback_vjp(ctx, cts):
    if ctx.declaration().effect != "debug":
        raise _callback_error(ctx)
    return [None] * len(ctx.op.operands)


JVP_RULES["mlax.callback"] = _callback_jvp
VJP_RULES["mlax.callback"] = _callback_vjp
JVP_RULES["mlax.custom_jvp"] = _custom_jvp_jvp
VJP_RULES["mlax.custom_jvp"] = _custom_jvp_vjp
JVP_RULES["mlax.custom_vjp"] = _custom_vjp_jvp
VJP_RULES["mlax.custom_vjp"] = _custom_vjp_vjp


# ---------------------------------------------------------------------------------------
# Expanding the declarations


def _symbol_of(fn) -> str:
    return ir.StringAttr(fn.attributes["sym_name"]).value


class _Decl:
    """A transform declaration being expanded: its entries, callee and types, checked."""

    def __init__(self, module_op, decl):
        self.mod = Module(module_op)
        self.decl = decl
        self.e = structural.read(decl)
        self.kind = self.e.kind
        self.name = _symbol_of(decl)
        self.callee = self.e.callee
        self.c_in, self.c_out = self.mod.signature(self.callee)
        self.d_in, self.d_out = self.mod.signature(self.name)

    def error(self, message) -> PassTypeError:
        return PassTypeError(f"mlax.{self.kind} declaration @{self.name}{message}", at=self.decl)

    def argnums(self) -> list:
        """The argnums (increasing, as the schema checks), each an operand of the callee."""
        for i in self.e.argnums:
            if i >= len(self.c_in):
                raise self.error(f": argnum {i} is out of range for a callee of "
                                 f"{len(self.c_in)} operands")
        return list(self.e.argnums)

    def expect(self, ins, outs):
        def fmt(ts):
            return "(" + ", ".join(str(t) for t in ts) + ")"
        if list(ins) != self.d_in or list(outs) != self.d_out:
            raise self.error(f" has type {fmt(self.d_in)} -> {fmt(self.d_out)}, but for "
                             f"@{self.callee} it must be {fmt(ins)} -> {fmt(outs)}")

    def define(self, body):
        """Give the declaration the body `body(args) -> results` and drop its kind."""
        block = self.decl.add_entry_block()
        with ir.InsertionPoint(block), self.decl.location:
            outs = body(list(block.arguments))
            func_d.ReturnOp(outs)
        structural.undeclare(self.decl)
        # The derivative is built as calls of fwd/bwd/jvp functions; bring them into the
        # body, so the result is one function (and no helper returns a value twice).
        simplify.inline_calls_in(self.decl, self.mod.fns)
        self.mod.erase_unused_created(self.decl)


def expand_jvp(module_op, decl):
    d = _Decl(module_op, decl)
    nums = d.argnums()
    d.expect(d.c_in + [d.c_in[i] for i in nums], d.c_out + d.c_out)
    mask = [i in nums for i in range(len(d.c_in))]
    jname, out_mask = d.mod.jvp_function(d.callee, mask)
    used = [i for i in nums if _float_type(d.c_in[i])]

    def body(args):
        prim, tans = args[:len(d.c_in)], dict(zip(nums, args[len(d.c_in):]))
        res = call(jname, d.c_out + [t for t, m in zip(d.c_out, out_mask) if m],
                   prim + [tans[i] for i in used])
        t = iter(res[len(d.c_out):])
        return res[:len(d.c_out)] + [next(t) if m else zeros(ty)
                                     for ty, m in zip(d.c_out, out_mask)]
    d.define(body)


def expand_vjp(module_op, decl):
    d = _Decl(module_op, decl)
    nums = d.argnums()
    d.expect(d.c_in + d.c_out, [d.c_in[i] for i in nums])
    split = d.mod.vjp_split(d.callee, [i in nums for i in range(len(d.c_in))],
                      [True] * len(d.c_out))

    def body(args):
        prim, cts = args[:len(d.c_in)], args[len(d.c_in):]
        fres = call(split.fwd, d.mod.signature(split.fwd)[1], prim)
        ct_in = [c for c, m in zip(cts, split.ct_mask) if m]
        got = dict(zip(split.in_cts, call(split.bwd, d.mod.signature(split.bwd)[1],
                                          ct_in + split.residuals(prim, fres))))
        return [got[i] if i in got else zeros(d.c_in[i]) for i in nums]
    d.define(body)


def expand_grad(module_op, decl):
    d = _Decl(module_op, decl)
    nums = d.argnums()
    has_aux, value = d.e.has_aux, d.e.value
    if not d.c_out:
        raise d.error(f": @{d.callee} returns nothing")
    out0 = spec_of_type(d.c_out[0])
    if out0.shape != () or not is_inexact(out0.dtype):
        raise d.error(f": gradient only defined for scalar-output functions, but @{d.callee} "
                      f"returns {d.c_out[0]} first")
    if len(d.c_out) > 1 and not has_aux:
        raise d.error(f": @{d.callee} returns {len(d.c_out)} results; without has_aux it must "
                      "return one")
    for i in nums:
        if not _float_type(d.c_in[i]):
            raise d.error(f": grad requires real-valued inputs, but operand {i} of @{d.callee} "
                          f"is {d.c_in[i]}")
    d.expect(d.c_in, ([d.c_out[0]] if value else []) + (d.c_out[1:] if has_aux else [])
             + [d.c_in[i] for i in nums])
    split = d.mod.vjp_split(d.callee, [i in nums for i in range(len(d.c_in))],
                      [True] + [False] * (len(d.c_out) - 1))

    def body(args):
        fres = call(split.fwd, d.mod.signature(split.fwd)[1], args)
        seed = splat((), out0.dtype, 1)
        got = dict(zip(split.in_cts, call(split.bwd, d.mod.signature(split.bwd)[1],
                                          [seed] + split.residuals(args, fres))))
        grads = [got[i] if i in got else zeros(d.c_in[i]) for i in nums]
        return ([fres[0]] if value else []) + \
            (fres[1:len(d.c_out)] if has_aux else []) + grads
    d.define(body)


def expand_custom(module_op, decl):
    """custom_jvp / custom_vjp outside differentiation: a call of the primal function."""
    d = _Decl(module_op, decl)
    n, ncc = d.e.num_args, d.e.num_callee_consts
    if d.d_in[:n] + d.d_in[n:n + ncc] != d.c_in or d.d_out != d.c_out:
        d.expect(d.c_in, d.c_out)
    d.define(lambda args: call(d.callee, d.c_out, args[:n + ncc]))


expand_mod.EXPANDERS["jvp"] = expand_jvp
expand_mod.EXPANDERS["vjp"] = expand_vjp
expand_mod.EXPANDERS["grad"] = expand_grad
expand_mod.EXPANDERS["custom_jvp"] = expand_custom
expand_mod.EXPANDERS["custom_vjp"] = expand_custom


@register
class JvpPass(ModulePass):
    """Forward-mode differentiation: expand mlax.jvp declarations."""
    name = "mlax-jvp"

    def run(self, module_op):
        expand_mod.expand(module_op, kinds=("jvp",))


@register
class VjpPass(ModulePass):
    """Reverse-mode differentiation: expand mlax.vjp declarations."""
    name = "mlax-vjp"

    def run(self, module_op):
        expand_mod.expand(module_op, kinds=("vjp",))


@register
class GradPass(ModulePass):
    """Reverse-mode differentiation: expand mlax.grad declarations."""
    name = "mlax-grad"

    def run(self, module_op):
        expand_mod.expand(module_op, kinds=("grad",))


@register
class AutodiffPass(ModulePass):
    """Expand every jvp, vjp and grad declaration, innermost first."""
    name = "mlax-autodiff"

    def run(self, module_op):
        expand_mod.expand(module_op, kinds=("jvp", "vjp", "grad"))


@register
class ExpandCustomDerivativesPass(ModulePass):
    """Turn custom_jvp / custom_vjp declarations into calls of their primal function."""
    name = "mlax-expand-custom-derivatives"

    def run(self, module_op):
        expand_mod.expand(module_op, kinds=("custom_jvp", "custom_vjp"))
