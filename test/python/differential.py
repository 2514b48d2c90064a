"""Differential testing against JAX: random small programs over mlax's operations, run
eagerly, under `jit`, under `grad` and under `vmap`, on mlax and on JAX, compared value by
value.

A program is a list of steps over a pool of values. The pool starts with the program's
inputs; each step applies one entry of `OPS` to values from the pool and appends its
result. The program returns the last value. Every entry is written once against a
namespace `m` (`m.numpy`, `m.lax`, `m.nn`), so the same program runs on mlax and on JAX,
and `Program.source()` prints it as a standalone script that reproduces a mismatch.

Entries keep values bounded on bounded inputs (inputs are drawn from [-3, 3]): growth-
prone ops see squashed arguments, and ops with restricted domains see arguments moved
into them. That keeps comparisons about the operation, not about overflow.

Used by test_differential.py (a short seeded run) and scripts/fuzz_differential.py (as
long a run as asked for).
"""
from __future__ import annotations

import dataclasses
import json
import re
import signal
import subprocess
import sys
import traceback
import types

import numpy as np


@dataclasses.dataclass(frozen=True)
class Entry:
    """One operation the generator may use.

    `src` is a Python expression over `m` (a namespace with numpy/lax/nn) and the operands
    `a`, `b`; `arity` is 1 or 2; `kind` restricts what it applies to: "float" (float
    operands, differentiable), "float_nd" (float operands, not differentiable: JAX's
    gradient is zero or undefined), "int" (int32 operands), "any" (either); `shape` says how
    the result's shape relates to the first operand's: "same", or a name in SHAPE_RULES."""
    name: str
    src: str
    arity: int = 1
    kind: str = "float"
    shape: str = "same"
    min_rank: int = 0


def _e(name, src, arity=1, kind="float", shape="same", min_rank=0):
    return Entry(name, src, arity, kind, shape, min_rank)


N = "m.numpy"
OPS = [
    # elementwise, float
    _e("exp", f"{N}.exp({N}.tanh(a) * 2)"),
    _e("log", f"{N}.log({N}.abs(a) + 0.5)"),
    _e("log1p", f"{N}.log1p({N}.abs(a))"),
    _e("expm1", f"{N}.expm1({N}.tanh(a))"),
    _e("tanh", f"{N}.tanh(a)"),
    _e("sin", f"{N}.sin(a)"),
    _e("cos", f"{N}.cos(a)"),
    _e("tan", f"{N}.tan({N}.tanh(a))"),
    _e("sqrt", f"{N}.sqrt({N}.abs(a) + 0.1)"),
    _e("rsqrt", f"m.lax.rsqrt({N}.abs(a) + 0.5)"),
    _e("cbrt", f"{N}.cbrt(a + 0.5)"),
    _e("abs", f"{N}.abs(a)"),
    _e("negative", f"-a"),
    _e("arctan", f"{N}.arctan(a)"),
    _e("arcsin", f"{N}.arcsin({N}.tanh(a) * 0.9)"),
    _e("arccos", f"{N}.arccos({N}.tanh(a) * 0.9)"),
    _e("arcsinh", f"{N}.arcsinh(a)"),
    _e("arccosh", f"{N}.arccosh({N}.abs(a) + 1.5)"),
    _e("arctanh", f"{N}.arctanh({N}.tanh(a) * 0.9)"),
    _e("sinh", f"{N}.sinh({N}.tanh(a) * 2)"),
    _e("cosh", f"{N}.cosh({N}.tanh(a) * 2)"),
    _e("square", f"{N}.square({N}.tanh(a) * 2)"),
    _e("integer_pow", f"m.lax.integer_pow({N}.tanh(a) + 0.5, 3)"),
    _e("reciprocal", f"1.0 / ({N}.abs(a) + 0.5)"),
    _e("sigmoid", f"m.nn.sigmoid(a)"),
    _e("relu", f"m.nn.relu(a)"),
    _e("gelu", f"m.nn.gelu(a)"),
    _e("gelu_exact", f"m.nn.gelu(a, approximate=False)"),
    _e("softplus", f"m.nn.softplus(a)"),
    _e("silu", f"m.nn.silu(a)"),
    _e("elu", f"m.nn.elu(a)"),
    _e("log_sigmoid", f"m.nn.log_sigmoid(a)"),
    _e("erf", f"m.lax.erf(a)"),
    _e("erfc", f"m.lax.erfc(a)"),
    _e("erf_inv", f"m.lax.erf_inv({N}.tanh(a) * 0.9)"),
    _e("lgamma", f"m.lax.lgamma({N}.abs(a) + 0.5)"),
    _e("digamma", f"m.lax.digamma({N}.abs(a) + 0.5)"),
    _e("clip", f"{N}.clip(a, -1.0, 1.5)"),
    _e("scale", f"a * 0.5 + 1.0"),
    _e("floor", f"{N}.floor(a)", kind="float_nd"),
    _e("ceil", f"{N}.ceil(a)", kind="float_nd"),
    _e("round", f"{N}.round(a)", kind="float_nd"),
    _e("sign", f"{N}.sign(a)", kind="float_nd"),
    _e("to_int_and_back", f"a.astype({N}.int32).astype({N}.float32)", kind="float_nd"),
    _e("stop_gradient", f"m.lax.stop_gradient(a)"),
    # binary, float
    _e("add", "a + b", 2), _e("sub", "a - b", 2), _e("mul", "a * b", 2),
    _e("div", f"a / ({N}.abs(b) + 0.5)", 2),
    _e("maximum", f"{N}.maximum(a, b)", 2), _e("minimum", f"{N}.minimum(a, b)", 2),
    _e("power", f"{N}.power({N}.abs(a) + 0.5, {N}.tanh(b) * 2)", 2),
    _e("arctan2", f"{N}.arctan2(a, {N}.abs(b) + 0.5)", 2),
    _e("hypot", f"{N}.hypot(a, {N}.abs(b) + 0.5)", 2),
    _e("logaddexp", f"{N}.logaddexp(a, b)", 2),
    _e("where", f"{N}.where(a > b, a, b * 2.0)", 2),
    _e("fmod", f"{N}.fmod(a, {N}.abs(b) + 0.5)", 2, kind="float_nd"),
    _e("remainder", f"{N}.remainder(a, {N}.abs(b) + 0.5)", 2, kind="float_nd"),
    _e("floor_divide", f"{N}.floor_divide(a, {N}.abs(b) + 0.5)", 2, kind="float_nd"),
    _e("compare", f"(a < b).astype({N}.float32) + (a == b)", 2, kind="float_nd"),
    # reductions and scans (axis -1; keepdims so the pool stays broadcastable)
    _e("sum", f"{N}.sum(a, axis=-1, keepdims=True)", shape="reduce", min_rank=1),
    _e("sum_all", f"{N}.sum(a)", shape="scalar"),
    _e("mean", f"{N}.mean(a, axis=0, keepdims=True)", shape="reduce0", min_rank=1),
    _e("max", f"{N}.max(a, axis=-1, keepdims=True)", shape="reduce", min_rank=1),
    _e("min", f"{N}.min(a, axis=0, keepdims=True)", shape="reduce0", min_rank=1),
    _e("prod", f"{N}.prod({N}.tanh(a) + 1.0, axis=-1, keepdims=True)", shape="reduce", min_rank=1),
    _e("var", f"{N}.var(a, axis=-1, keepdims=True)", shape="reduce", min_rank=1),
    _e("std", f"{N}.std(a, axis=0, keepdims=True) + 0.1", shape="reduce0", min_rank=1),
    _e("logsumexp", f"m.nn.logsumexp(a, axis=-1, keepdims=True)", shape="reduce", min_rank=1),
    _e("softmax", f"m.nn.softmax(a, axis=-1)", min_rank=1),
    _e("log_softmax", f"m.nn.log_softmax(a, axis=0)", min_rank=1),
    _e("cumsum", f"{N}.cumsum(a, axis=-1)", min_rank=1),
    _e("cumprod", f"{N}.cumprod({N}.tanh(a) * 0.5 + 1.0, axis=0)", min_rank=1),
    _e("cummax", f"m.lax.cummax(a, axis=a.ndim - 1)", min_rank=1),
    _e("argmax", f"{N}.argmax(a, axis=-1, keepdims=True).astype({N}.float32)",
       kind="float_nd", shape="reduce", min_rank=1),
    _e("sort", f"{N}.sort(a, axis=-1)", min_rank=1),
    # structure
    _e("transpose", f"{N}.transpose(a)", shape="transpose", min_rank=2),
    _e("flip", f"{N}.flip(a, axis=0)", min_rank=1),
    _e("roll", f"{N}.roll(a, 1, axis=-1)", min_rank=1),
    _e("reverse_slice_pad", f"{N}.pad(a[..., 1:], [(0, 0)] * (a.ndim - 1) + [(1, 0)])",
       min_rank=1),
    _e("concat_halves", f"{N}.concatenate([a[..., ::2], a[..., 1::2]], axis=-1)", min_rank=1),
    _e("reshape_flat", f"{N}.reshape(a, (-1,)).reshape(a.shape)"),
    _e("broadcast_row", f"a[..., :1] * {N}.ones_like(a)", min_rank=1),
    _e("take", f"{N}.take(a, {N}.array([0, 2, 1, 0, 5, -1]) % a.shape[-1], axis=-1)",
       shape="take", min_rank=1),
    _e("gather_oob", f"a[..., {N}.array([0, 1, 7, -9])]", shape="take4", min_rank=1),
    _e("at_add", f"a.at[..., {N}.array([0, 1, 0])].add(1.5)", min_rank=1),
    _e("at_set_oob", f"a.at[..., {N}.array([1, 40])].set(2.0)", min_rank=1),
    _e("dynamic_slice", "m.lax.dynamic_slice_in_dim(a, -1, 1, axis=a.ndim - 1)",
       shape="reduce", min_rank=1),
    _e("matmul_t", f"{N}.matmul(a, {N}.swapaxes(a, -1, -2))", shape="gram", min_rank=2),
    _e("outer_dot", f"{N}.dot(a[..., :, None], b[..., None, :]).sum(axis=-1)",
       2, shape="dotsum", min_rank=1),
    _e("einsum", f"{N}.einsum('...i,...i->...', a, b)[..., None]", 2, shape="reduce",
       min_rank=1),
    # integer programs
    _e("iadd", "a + b", 2, kind="int"), _e("isub", "a - b", 2, kind="int"),
    _e("imul", "a * b", 2, kind="int"),
    _e("ifloordiv", "a // b", 2, kind="int"), _e("imod", "a % b", 2, kind="int"),
    _e("idiv", "m.lax.div(a, b)", 2, kind="int"), _e("irem", "m.lax.rem(a, b)", 2, kind="int"),
    _e("iand", "a & b", 2, kind="int"), _e("ior", "a | b", 2, kind="int"),
    _e("ixor", "a ^ b", 2, kind="int"),
    _e("ishl", f"m.lax.shift_left(a, b % 40)", 2, kind="int"),
    _e("ishr", f"m.lax.shift_right_arithmetic(a, b % 40)", 2, kind="int"),
    _e("ishrl", f"m.lax.shift_right_logical(a, b % 40)", 2, kind="int"),
    _e("imax", f"{N}.maximum(a, b)", 2, kind="int"), _e("imin", f"{N}.minimum(a, b)", 2, kind="int"),
    _e("iabs", f"{N}.abs(a)", kind="int"), _e("ineg", "-a", kind="int"),
    _e("inot", "~a", kind="int"),
    _e("isign", f"{N}.sign(a)", kind="int"),
    _e("isum", f"{N}.sum(a, axis=-1, keepdims=True)", kind="int", shape="reduce", min_rank=1),
    _e("icumsum", f"{N}.cumsum(a, axis=0)", kind="int", min_rank=1),
    _e("imaxr", f"{N}.max(a, axis=-1, keepdims=True)", kind="int", shape="reduce", min_rank=1),
    _e("iwhere", f"{N}.where(a > b, a, b)", 2, kind="int"),
    _e("isort", f"{N}.sort(a, axis=-1)", kind="int", min_rank=1),
    _e("ipow", f"m.lax.integer_pow(a, 2)", kind="int"),
    _e("iclip", f"{N}.clip(a, -7, 9)", kind="int"),
    _e("ifloat_round_trip", f"(a.astype({N}.float32) * 1.5).astype({N}.int32)", kind="int"),
]


def _reduce(shape, axis):
    if not shape:
        return shape
    axis %= len(shape)
    return shape[:axis] + (1,) + shape[axis + 1:]


SHAPE_RULES = {
    "same": lambda s: s,
    "reduce": lambda s: _reduce(s, -1),
    "reduce0": lambda s: _reduce(s, 0),
    "scalar": lambda s: (),
    "transpose": lambda s: tuple(reversed(s)),
    "take": lambda s: s[:-1] + (6,),
    "take4": lambda s: s[:-1] + (4,),
    "gram": lambda s: s[:-1] + (s[-2],),
    "dotsum": lambda s: s,
}


def broadcastable(a, b) -> bool:
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def broadcast_shape(a, b):
    return tuple(np.broadcast_shapes(a, b))


@dataclasses.dataclass
class Program:
    """Inputs' shapes and dtype, and steps (op name, operand indices into the pool)."""
    dtype: str
    in_shapes: list
    steps: list

    def body(self) -> list[str]:
        lines = []
        n = len(self.in_shapes)
        for i, (name, args) in enumerate(self.steps):
            entry = BY_NAME[name]
            a = f"v{args[0]}"
            b = f"v{args[1]}" if len(args) > 1 else None
            expr = _substitute(entry.src, {"a": a, "b": b})
            lines.append(f"v{n + i} = {expr}  # {name}")
        return lines

    def function(self, m):
        """The program as a Python function of its inputs, on namespace `m`."""
        n = len(self.in_shapes)
        params = ", ".join(f"v{i}" for i in range(n))
        src = f"def f({params}):\n"
        for line in self.body():
            src += f"    {line}\n"
        src += f"    return v{n + len(self.steps) - 1}\n"
        scope = {"m": m}
        exec(compile(src, "<differential program>", "exec"), scope)
        return scope["f"]

    def source(self, mode, seed) -> str:
        """A standalone script that runs the program in `mode` on mlax and JAX."""
        n = len(self.in_shapes)
        params = ", ".join(f"v{i}" for i in range(n))
        body = "\n".join(f"        {line}" for line in self.body())
        return (f"import numpy as np\nimport types\nimport jax, mlax\n\n"
                f"def make(m):\n    def f({params}):\n{body}\n"
                f"        return v{n + len(self.steps) - 1}\n    return f\n\n"
                f"rng = np.random.default_rng({seed})\n"
                f"args = {_inputs_src(self)}\n"
                f"for name, mod in (('jax', jax), ('mlax', mlax)):\n"
                f"    m = types.SimpleNamespace(numpy=mod.numpy, lax=mod.lax, nn=mod.nn)\n"
                f"    print(name, {MODE_SRC[mode]})\n")


MODE_SRC = {
    "any": "np.asarray(make(m)(*args)), np.asarray(mod.jit(make(m))(*args))",
    "eager": "np.asarray(make(m)(*args))",
    "jit": "np.asarray(mod.jit(make(m))(*args))",
    "grad": "np.asarray(mod.grad(lambda *a: mod.numpy.sum(make(m)(*a)))(*args))",
    "vmap": "np.asarray(mod.vmap(make(m))(*[np.stack([a, a * 0.5 + 0.25, -a]).astype(a.dtype) "
            "for a in args]))",
}


def _inputs_src(p):
    if p.dtype == "int32":
        return "[" + ", ".join(f"rng.integers(-9, 10, size={s}).astype(np.int32)"
                               for s in p.in_shapes) + "]"
    return "[" + ", ".join(f"rng.uniform(-3, 3, size={s}).astype(np.float32)"
                           for s in p.in_shapes) + "]"


def _substitute(src, names):
    """`src` with the operand names `a` and `b` (whole identifiers) replaced."""
    return re.sub(r"\b(a|b)\b", lambda mt: names[mt.group(1)], src)


BY_NAME = {e.name: e for e in OPS}


def random_program(rng, dtype="float32", n_steps=None) -> Program:
    """A program of 2-6 steps over one or two inputs of a random shape (rank 0-3)."""
    rank = int(rng.integers(0, 4))
    shape = tuple(int(d) for d in rng.integers(1, 5, size=rank))
    n_in = int(rng.integers(1, 3))
    in_shapes = [shape] * n_in
    shapes = list(in_shapes)
    kinds = ("int",) if dtype == "int32" else ("float", "float_nd")
    candidates = [e for e in OPS if e.kind in kinds]
    steps = []
    n_steps = n_steps or int(rng.integers(2, 7))
    while len(steps) < n_steps:
        e = candidates[int(rng.integers(len(candidates)))]
        # prefer recent values so steps chain
        i = len(shapes) - 1 - int(min(rng.geometric(0.5) - 1, len(shapes) - 1))
        s = shapes[i]
        if len(s) < e.min_rank:
            continue
        if e.shape in ("gram", "transpose") and len(s) < 2:
            continue
        args = [i]
        if e.arity == 2:
            fits = [j for j, t in enumerate(shapes) if broadcastable(s, t)]
            j = fits[int(rng.integers(len(fits)))]
            args.append(j)
            if e.shape == "same":
                out = broadcast_shape(s, shapes[j])
            elif e.shape == "dotsum":
                if shapes[j][-1:] != s[-1:]:
                    continue
                out = broadcast_shape(s, shapes[j])
                out = out[:-1] + (s[-1],)
            else:
                if shapes[j] != s:
                    continue
                out = SHAPE_RULES[e.shape](s)
        else:
            out = SHAPE_RULES[e.shape](s)
        steps.append((e.name, args))
        shapes.append(out)
    return Program(dtype, in_shapes, steps)


def inputs(p: Program, rng):
    if p.dtype == "int32":
        return [rng.integers(-9, 10, size=s).astype(np.int32) for s in p.in_shapes]
    return [rng.uniform(-3, 3, size=s).astype(np.float32) for s in p.in_shapes]


def namespaces():
    import jax
    import mlax
    ns = {}
    for name, mod in (("jax", jax), ("mlax", mlax)):
        ns[name] = (mod, types.SimpleNamespace(numpy=mod.numpy, lax=mod.lax, nn=mod.nn))
    return ns


def run_mode(mod, m, p: Program, mode, args):
    f = p.function(m)
    if mode == "eager":
        return np.asarray(f(*args))
    if mode == "jit":
        return np.asarray(mod.jit(f)(*args))
    if mode == "grad":
        return np.asarray(mod.grad(lambda *a: mod.numpy.sum(f(*a)))(*args))
    if mode == "vmap":
        batched = [np.stack([a, a * 0.5 + 0.25, -a]).astype(a.dtype) for a in args]
        return np.asarray(mod.vmap(f)(*batched))
    raise ValueError(mode)


def modes_for(p: Program):
    modes = ["eager", "jit", "vmap"]
    if p.dtype != "int32" and all(BY_NAME[n].kind == "float" for n, _ in p.steps):
        modes.append("grad")
    return modes


@dataclasses.dataclass
class Mismatch:
    program: Program
    mode: str
    seed: int
    message: str

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        return json.dumps(d)

    @classmethod
    def from_json(cls, text):
        d = json.loads(text)
        d["program"] = Program(**d["program"])
        d["program"].in_shapes = [tuple(s) for s in d["program"].in_shapes]
        return cls(**d)

    def report(self) -> str:
        return (f"--- {self.mode} mismatch (seed {self.seed}): {self.message}\n"
                f"{self.program.source(self.mode, self.seed)}")


def compare(ref, out, dtype, rtol=2e-4):
    """None if `out` matches `ref`, else a message."""
    ref = np.asarray(ref)
    out = np.asarray(out)
    if ref.shape != out.shape:
        return f"shape {out.shape}, JAX {ref.shape}"
    if ref.dtype != out.dtype:
        return f"dtype {out.dtype}, JAX {ref.dtype}"
    if dtype == "int32" or ref.dtype.kind in "iub":
        if not np.array_equal(ref, out):
            bad = np.flatnonzero(ref.ravel() != out.ravel())[:5]
            return (f"values differ at flat indices {bad.tolist()}: "
                    f"{out.ravel()[bad].tolist()} vs JAX {ref.ravel()[bad].tolist()}")
        return None
    r = ref.astype(np.float64)
    o = out.astype(np.float64)
    same_nan = np.isnan(r) == np.isnan(o)
    if not same_nan.all():
        return f"NaN where JAX has {r[~same_nan][:3].tolist()} (or the reverse)"
    finite = np.isfinite(r)
    if not np.array_equal(r[~finite & ~np.isnan(r)], o[~finite & ~np.isnan(r)]):
        return "infinities differ"
    scale = max(1.0, float(np.abs(r[finite]).max())) if finite.any() else 1.0
    err = np.abs(o[finite] - r[finite])
    if err.size and (err > rtol * np.abs(r[finite]) + rtol * scale).any():
        k = int(np.argmax(err - rtol * np.abs(r[finite])))
        return f"max abs error {err.max():.3g} (at {o[finite][k]!r} vs JAX {r[finite][k]!r})"
    return None


def check(p: Program, seed, ns, modes=None) -> list[Mismatch]:
    """Run `p` in each mode on both libraries; the mismatches found."""
    found = []
    for mode in modes or modes_for(p):
        args = inputs(p, np.random.default_rng(seed))
        try:
            ref = run_mode(*ns["jax"], p, mode, args)
        except Exception:  # noqa: BLE001 - a program JAX rejects says nothing about mlax
            continue
        try:
            out = run_mode(*ns["mlax"], p, mode, args)
        except Exception as e:  # noqa: BLE001 - reported as a mismatch
            found.append(Mismatch(p, mode, seed, f"mlax raised {type(e).__name__}: {e}"
                                  f"\n{traceback.format_exc(limit=-3)}"))
            continue
        msg = compare(ref, out, p.dtype)
        if msg:
            found.append(Mismatch(p, mode, seed, msg))
    return found


def program_at(seed, i, int_share=0.25):
    """The i-th program of the run seeded `seed` (each drawn from its own generator, so a
    run can resume after any program)."""
    rng = np.random.default_rng([seed, i])
    dtype = "int32" if rng.random() < int_share else "float32"
    return random_program(rng, dtype), seed * 100003 + i


def run(seed, iterations):
    """Check programs 0..iterations-1 of `seed` in this process; yields mismatches."""
    ns = namespaces()
    for i in range(iterations):
        p, s = program_at(seed, i)
        yield from check(p, s, ns)


def run_isolated(seed, iterations, timeout=600):
    """Like `run`, but in child processes: a program that kills its process (a signal, an
    abort) is reported as a mismatch, and the run goes on in a fresh child."""
    start = 0
    while start < iterations:
        proc = subprocess.Popen([sys.executable, __file__, str(seed), str(start),
                                 str(iterations)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        current = start
        for line in out.splitlines():
            tag, _, rest = line.partition(" ")
            if tag == "START":
                current = int(rest)
            elif tag == "MISMATCH":
                yield Mismatch.from_json(rest)
        if proc.returncode == 0:
            return
        p, s = program_at(seed, current)
        why = (f"killed by {signal.Signals(-proc.returncode).name}" if proc.returncode < 0
               else f"exited {proc.returncode}")
        yield Mismatch(p, "any", s, f"the process {why}\n{err[-2000:]}")
        start = current + 1


def _child(seed, start, stop):
    ns = namespaces()
    for i in range(start, stop):
        print("START", i, flush=True)
        p, s = program_at(seed, i)
        for mm in check(p, s, ns):
            print("MISMATCH", mm.to_json(), flush=True)


if __name__ == "__main__":
    _child(*(int(a) for a in sys.argv[1:4]))
