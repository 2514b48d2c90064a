"""Derivative rules of calls to control-flow declarations: `mlax.cond`, `mlax.scan` (both
modes) and `mlax.while` (forward mode; reverse mode is JAX's error).

They sit in the tables of mlax.transforms.ad_rules under "mlax.<kind>" and follow its
signatures. Each builds derivative functions of the branches or the loop body through the
module being transformed (`ctx.driver.mod`: `jvp_function`, `vjp_split`, `activity`,
`wrapper`, `declare`; see mlax.transforms.autodiff) and a new declaration of the same kind
calling them:

    cond  jvp: a cond of the branches' JVP functions (each returns the tangents any branch
          has); vjp: a forward cond returning the union of the branches' residuals, and a
          backward cond of the branches' backward functions.
    scan  jvp: a scan of the body's JVP function, tangent carries where the body makes
          them; vjp: a forward scan stacking the residuals, and a backward scan running
          the other way, summing the cotangents of the consts.
    while jvp: a while loop of the body's JVP function, tested by the condition on the primal
          state.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from mlir import ir

from mlax.dialects import spec_of_type, structural
from mlax.passes import PassValueError
from mlax.transforms.ad_rules import JVP_RULES, VJP_RULES
from mlax.transforms.builder import Builder, call, zeros

WHILE_REVERSE_MESSAGE = (
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop.")


def _cond_jvp(ctx, ts):
    mod = ctx.driver.mod
    branches = ctx.declaration().branches
    mask = [t is not None for t in ts[1:]]
    out_mask = [False] * len(ctx.op.results)
    for b in branches:
        out_mask = [a or b_ for a, b_ in zip(out_mask, mod.jvp_function(b, mask)[1])]
    jbranches = [mod.jvp_function(b, mask, force=out_mask)[0] for b in branches]
    types = [r.type for r in ctx.op.results]
    t_types = [t for t, m in zip(types, out_mask) if m]
    operands = ctx.args + [t for t in ts[1:] if t is not None]
    sym = mod.declare(structural.Cond(branches=tuple(jbranches)), "cond_jvp",
                      [v.type for v in operands], types + t_types)
    res = call(sym, types + t_types, operands, ctx.loc)
    ctx.driver.replace_primal(ctx, res[:len(types)])
    touts = iter(res[len(types):])
    return [next(touts) if m else None for m in out_mask]


def _cond_vjp(ctx, cts):
    drv = ctx.driver
    mod = drv.mod
    branches = ctx.declaration().branches
    ct_mask = [c is not None for c in cts]
    splits = [mod.vjp_split(b, ctx.active[1:], ct_mask) for b in branches]
    op_types = [v.type for v in ctx.op.operands][1:]
    out_types = [r.type for r in ctx.op.results]
    n_out = len(out_types)
    # The forward cond returns the union of the residuals the branches return (zeros for
    # those of the branches not taken). Operands and results of the cond that a branch
    # uses as residuals go to the backward cond directly.
    returned = [s.returned_types for s in splits]
    res_types = [t for r in returned for t in r]
    offsets = np.cumsum([0] + [len(r) for r in returned]).tolist()
    used_args = sorted({i for s in splits for k, i in s.res if k == "arg"})
    used_outs = sorted({j for s in splits for k, j in s.res if k == "out" and j < n_out})

    def fwd_branch(k):
        def body(args):
            s = splits[k]
            r = call(s.fwd, mod.signature(s.fwd)[1], args)
            res = [zeros(t) for t in res_types]
            res[offsets[k]:offsets[k + 1]] = r[n_out:]
            return r[:n_out] + res
        return body
    fwd_names = [mod.wrapper(f"{b}_cond_fwd", op_types, fwd_branch(k))
                 for k, b in enumerate(branches)]
    fsym = mod.declare(structural.Cond(branches=tuple(fwd_names)), "cond_fwd",
                       [ctx.op.operands[0].type] + op_types, out_types + res_types)
    with drv.forward_point(ctx.op):
        fres = call(fsym, out_types + res_types, ctx.fwd_args, ctx.loc)
    drv.replace_forward(ctx.op, fres[:n_out])

    in_union = sorted(set().union(*[set(s.in_cts) for s in splits]))
    ct_types = [t for t, m in zip(out_types, splits[0].ct_mask) if m]
    cts_in = [c if c is not None else zeros(t, ctx.loc)
              for c, t, m in zip(cts, out_types, splits[0].ct_mask) if m]
    extra_types = [op_types[i] for i in used_args] + [out_types[j] for j in used_outs]

    def bwd_branch(k):
        def body(args):
            n_ct, n_res = len(ct_types), len(res_types)
            c, res, extra = args[:n_ct], args[n_ct:n_ct + n_res], args[n_ct + n_res:]
            s = splits[k]
            mine = res[offsets[k]:offsets[k + 1]]
            by_arg = dict(zip(used_args, extra))
            by_out = dict(zip(used_outs, extra[len(used_args):]))
            residuals = [by_arg[i] if kind == "arg" else
                         (by_out[i] if i < n_out else mine[i - n_out])
                         for kind, i in s.res]
            got = call(s.bwd, [op_types[i] for i in s.in_cts], c + residuals)
            by_index = dict(zip(s.in_cts, got))
            return [by_index[i] if i in by_index else zeros(op_types[i]) for i in in_union]
        return body
    bwd_types = ct_types + res_types + extra_types
    bwd_names = [mod.wrapper(f"{b}_cond_bwd", bwd_types, bwd_branch(k))
                 for k, b in enumerate(branches)]
    bsym = mod.declare(structural.Cond(branches=tuple(bwd_names)), "cond_bwd",
                       [ctx.op.operands[0].type] + bwd_types, [op_types[i] for i in in_union])
    index = drv.lift(ctx.fwd_args[0])
    res = [drv.lift(v) for v in fres[n_out:]]
    extra = ([drv.lift(ctx.fwd_args[1 + i]) for i in used_args]
             + [drv.lift(fres[j]) for j in used_outs])
    got = call(bsym, [op_types[i] for i in in_union], [index] + cts_in + res + extra, ctx.loc)
    out = [None] * len(ctx.op.operands)
    for i, c in zip(in_union, got):
        out[i + 1] = c
    return out


def _scan_layout(ctx):
    e = ctx.declaration()
    nc, nk = e.num_carry, e.num_consts
    n = len(ctx.op.operands)
    return e, nc, n - nc - nk, nk


def _where_true(flags, offset):
    """offset + i for each true flags[i]."""
    return [offset + i for i, f in enumerate(flags) if f]


def _scan_jvp(ctx, ts):
    mod = ctx.driver.mod
    e, nc, nx, nk = _scan_layout(ctx)
    body = e.body
    ny = len(ctx.op.results) - nc
    mask = [t is not None for t in ts]
    carry_mask = mask[:nc]
    while True:
        m = carry_mask + mask[nc:]
        jname, out_mask = mod.jvp_function(body, m, force=carry_mask + [False] * ny)
        grown = [a or b for a, b in zip(carry_mask, out_mask[:nc])]
        if grown == carry_mask:
            break
        carry_mask = grown
    y_mask = list(out_mask[nc:])
    in_types = [v.type for v in ctx.op.operands]
    b_in, b_out = mod.signature(body)
    tc, tx, tk = (_where_true(carry_mask, 0), _where_true(mask[nc:nc + nx], nc),
                  _where_true(mask[nc + nx:], nc + nx))

    # The scan body wants (carry, tangent carry, xs, tangent xs, consts, tangent consts)
    # -> (carry, tangent carry, ys, tangent ys); the JVP function orders them
    # (carry, xs, consts, tangents of the masked ones) -> (carry, ys, tangents).
    w_types = (b_in[:nc] + [b_in[i] for i in tc] + b_in[nc:nc + nx] + [b_in[i] for i in tx]
               + b_in[nc + nx:] + [b_in[i] for i in tk])

    def wrap(args):
        a = iter(args)
        carry = [next(a) for _ in range(nc)]
        t_c = [next(a) for _ in tc]
        xs = [next(a) for _ in range(nx)]
        t_x = [next(a) for _ in tx]
        consts = [next(a) for _ in range(nk)]
        t_k = [next(a) for _ in tk]
        r = call(jname, b_out + [t for t, m_ in zip(b_out, out_mask) if m_],
                 carry + xs + consts + t_c + t_x + t_k)
        prim, tans = r[:len(b_out)], r[len(b_out):]
        t_carry, t_ys = tans[:len(tc)], tans[len(tc):]
        return prim[:nc] + t_carry + prim[nc:] + t_ys
    wname = mod.wrapper(f"{body}_scan_jvp", w_types, wrap)
    operands = (ctx.args[:nc] + [_or_zeros(ts[i], in_types[i]) for i in tc]
                + ctx.args[nc:nc + nx] + [ts[i] for i in tx]
                + ctx.args[nc + nx:] + [ts[i] for i in tk])
    out_types = [r.type for r in ctx.op.results]
    res_types = (out_types[:nc] + [out_types[i] for i in tc] + out_types[nc:]
                 + [out_types[nc + j] for j, m_ in enumerate(y_mask) if m_])
    sym = mod.declare(replace(e, body=wname, num_carry=nc + len(tc), num_consts=nk + len(tk)),
                      "scan_jvp", [v.type for v in operands], res_types)
    res = call(sym, res_types, operands, ctx.loc)
    prim = res[:nc] + res[nc + len(tc):nc + len(tc) + ny]
    ctx.driver.replace_primal(ctx, prim)
    t_carry = dict(zip(tc, res[nc:nc + len(tc)]))
    t_ys = iter(res[nc + len(tc) + ny:])
    return ([t_carry.get(i) for i in range(nc)]
            + [next(t_ys) if m_ else None for m_ in y_mask])


def _scan_vjp(ctx, cts):
    drv = ctx.driver
    mod = drv.mod
    e, nc, nx, nk = _scan_layout(ctx)
    body = e.body
    length = e.length
    ny = len(ctx.op.results) - nc
    b_in, b_out = mod.signature(body)
    act = list(ctx.active)
    carry_act = act[:nc]
    while True:
        out_act = mod.activity(body, carry_act + act[nc:])
        grown = [a or b for a, b in zip(carry_act, out_act[:nc])]
        if grown == carry_act:
            break
        carry_act = grown
    y_ct = [c is not None for c in cts[nc:]]
    # Residuals: xs and consts are passed to the backward scan as they are, ys come stacked
    # from the forward scan, anything else is stacked as extra ys of the forward scan.
    split = mod.vjp_split(body, carry_act + act[nc:], carry_act + y_ct,
                      direct=range(nc, nc + nx + nk), reuse_outs=range(nc, nc + ny))
    out_types = [r.type for r in ctx.op.results]
    op_types = [v.type for v in ctx.op.operands]
    n_out = nc + ny

    ret_types = split.returned_types
    stacked = [_stacked(t, length) for t in ret_types]
    fwd_body = mod.wrapper(f"{body}_scan_fwd", b_in,
                        lambda args: call(split.fwd, b_out + ret_types, args))
    fsym = mod.declare(replace(e, body=fwd_body), "scan_fwd", op_types, out_types + stacked)
    with drv.forward_point(ctx.op):
        fres = call(fsym, out_types + stacked, ctx.fwd_args, ctx.loc)
    drv.replace_forward(ctx.op, fres[:n_out])

    # Backward: a scan in the other direction. Carry: cotangents of the active carries and
    # running sums of the const cotangents; xs: the ys' cotangents, then the per-step
    # residuals (stacked ys and extra ys of the forward scan, xs); consts: the consts
    # used as residuals.
    ac = [i for i in range(nc) if split.ct_mask[i]]
    ak = [i for i in range(nc + nx, nc + nx + nk) if act[i]]
    ax = [i for i in range(nc, nc + nx) if act[i]]
    yc = [j for j in range(ny) if split.ct_mask[nc + j]]
    step_res = [(k, i) for k, i in split.res if not (k == "arg" and i >= nc + nx)]
    const_res = [i for k, i in split.res if k == "arg" and i >= nc + nx]

    def step_type(k, i):
        return b_in[i] if k == "arg" else (b_out[i] if i < n_out else ret_types[i - n_out])
    bw_types = ([b_out[i] for i in ac] + [b_in[i] for i in ak] + [b_out[nc + j] for j in yc]
                + [step_type(k, i) for k, i in step_res] + [b_in[i] for i in const_res])

    def bwd_body(args):
        a = iter(args)
        ct_c = [next(a) for _ in ac]
        acc = [next(a) for _ in ak]
        ct_y = [next(a) for _ in yc]
        per_step = {r: next(a) for r in step_res}
        consts = {i: next(a) for i in const_res}
        residuals = [consts[i] if k == "arg" and i in consts else per_step[(k, i)]
                     for k, i in split.res]
        got = call(split.bwd, [b_in[i] for i in split.in_cts], ct_c + ct_y + residuals)
        by = dict(zip(split.in_cts, got))
        em = Builder()
        new_c = [by[i] if i in by else zeros(b_in[i]) for i in ac]
        new_acc = [em.add(s_, by[i]) if i in by else s_ for s_, i in zip(acc, ak)]
        ct_x = [by[i] if i in by else zeros(b_in[i]) for i in ax]
        return new_c + new_acc + ct_x
    bname = mod.wrapper(f"{body}_scan_bwd", bw_types, bwd_body)

    def step_operand(k, i):
        return drv.lift(ctx.fwd_args[i] if k == "arg" else fres[i])
    init_c = [cts[i] if cts[i] is not None else zeros(out_types[i], ctx.loc) for i in ac]
    init_acc = [zeros(op_types[i], ctx.loc) for i in ak]
    x_ops = [cts[nc + j] for j in yc] + [step_operand(k, i) for k, i in step_res]
    k_ops = [drv.lift(ctx.fwd_args[i]) for i in const_res]
    b_results = ([b_out[i] for i in ac] + [b_in[i] for i in ak]
                 + [_stacked(b_in[i], length) for i in ax])
    operands = init_c + init_acc + x_ops + k_ops
    be = replace(e, body=bname, reverse=not e.reverse, num_carry=len(ac) + len(ak),
                 num_consts=len(k_ops))
    bsym = mod.declare(be, "scan_bwd", [v.type for v in operands], b_results)
    got = call(bsym, b_results, operands, ctx.loc)
    out = [None] * len(ctx.op.operands)
    for i, c in zip(ac + ak + ax, got):
        out[i] = c
    return out


def _or_zeros(t, type_):
    return t if t is not None else zeros(type_)


def _stacked(t, length):
    s = spec_of_type(t)
    return ir.RankedTensorType.get([length] + list(s.shape), ir.RankedTensorType(t).element_type)


def _while_jvp(ctx, ts):
    mod = ctx.driver.mod
    e = ctx.declaration()
    cond, body = e.cond, e.body
    nk = e.num_consts
    n = len(ctx.op.operands) - nk
    mask = [t is not None for t in ts]
    state_mask = mask[:n]
    while True:
        jname, out_mask = mod.jvp_function(body, state_mask + mask[n:], force=state_mask)
        grown = [a or b for a, b in zip(state_mask, out_mask)]
        if grown == state_mask:
            break
        state_mask = grown
    types = [v.type for v in ctx.op.operands]
    ts_idx = [i for i in range(n) if state_mask[i]]
    tk_idx = [n + i for i in range(nk) if mask[n + i]]
    w_types = types[:n] + [types[i] for i in ts_idx] + types[n:] + [types[i] for i in tk_idx]

    def split_args(args):
        a = iter(args)
        state = [next(a) for _ in range(n)]
        t_s = [next(a) for _ in ts_idx]
        consts = [next(a) for _ in range(nk)]
        t_k = [next(a) for _ in tk_idx]
        return state, t_s, consts, t_k

    def wbody(args):
        state, t_s, consts, t_k = split_args(args)
        return call(jname, types[:n] + [types[i] for i in ts_idx], state + consts + t_s + t_k)

    def wcond(args):
        state, _, consts, _ = split_args(args)
        return call(cond, mod.signature(cond)[1], state + consts)
    bname = mod.wrapper(f"{body}_while_jvp", w_types, wbody)
    cname = mod.wrapper(f"{cond}_while_jvp", w_types, wcond)
    operands = (ctx.args[:n] + [_or_zeros(ts[i], types[i]) for i in ts_idx] + ctx.args[n:]
                + [ts[i] for i in tk_idx])
    res_types = types[:n] + [types[i] for i in ts_idx]
    sym = mod.declare(structural.While(cond=cname, body=bname, num_consts=nk + len(tk_idx)),
                      "while_jvp", [v.type for v in operands], res_types)
    res = call(sym, res_types, operands, ctx.loc)
    ctx.driver.replace_primal(ctx, res[:n])
    t = dict(zip(ts_idx, res[n:]))
    return [t.get(i) for i in range(n)]


def _while_vjp(ctx, cts):
    raise PassValueError(WHILE_REVERSE_MESSAGE, at=ctx.op)


JVP_RULES["mlax.cond"] = _cond_jvp
VJP_RULES["mlax.cond"] = _cond_vjp
JVP_RULES["mlax.scan"] = _scan_jvp
VJP_RULES["mlax.scan"] = _scan_vjp
JVP_RULES["mlax.while"] = _while_jvp
VJP_RULES["mlax.while"] = _while_vjp
