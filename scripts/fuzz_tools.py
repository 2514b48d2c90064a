#!/usr/bin/env python3
"""Mutation fuzzing of `mlax-opt` and `mlax-compile`.

    .venv/bin/python scripts/fuzz_tools.py --seed 1 --iterations 2000 --out fuzz-failures
    .venv/bin/python scripts/fuzz_tools.py --replay fuzz-failures/crash-0001

Each case starts from a seed input: a lit test under `test/` (a whole file, or one chunk of
a `--split-input-file` test) or the driver's Python input, with the flags of one of the
test's RUN lines or of a named pipeline. Then one to four mutations: lines and tokens
deleted, duplicated or swapped, numbers set to extremes (0, -1, 2**31, 2**63, ...), element
types and op names changed, the text truncated, random bytes inserted, brackets nested
deeply; for mlax-compile also mutated `--arg` specs and options (`--emit`, `--cpu`,
`--cpu-features`, `--target-triple`, `-O`, `--passes`).

Cases run through the tools' library entry points (`mlax.tools.opt.main`, `mlax.tools.driver.main`)
in a worker process that runs many cases in turn and is restarted when one kills it. A
case fails when it
  - kills the worker (a signal: an MLIR/LLVM assertion, a stack overflow),
  - runs longer than --timeout seconds,
  - exits with a code other than 0 (success), 1 (bad input) or 2 (bad usage),
  - prints a Python traceback or an "internal error",
  - or exits non-zero without an `error:` diagnostic;
and, kept apart as "broken-invariant", when a pass reports "error: internal error" (the
contract holds, but a pass met input it should have rejected earlier).
Each failing case is written to the --out folder: the input, `case.json` (for --replay)
and `repro.sh` (the console command). Failures are grouped by their first diagnostic line;
a few examples of each group are kept. Exit status: 0 when no case failed.

test/python/test_tool_robustness.py runs a short seeded session of this in CI.
"""
from __future__ import annotations

import argparse
import base64
import collections
import io
import json
import os
import random
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_DIR = os.path.join(ROOT, "test")
DRIVER_INPUTS = os.path.join(TEST_DIR, "driver", "Inputs")
LINREG = os.path.join(DRIVER_INPUTS, "linreg.py")

# A worker's address-space limit: a runaway allocation fails instead of taking the machine.
WORKER_MEMORY_BYTES = 8 << 30


# ---------------------------------------------------------------------------------------
# Seeds

SPLIT = re.compile(r"^\s*// -----\s*$", re.M)
RUN_OPT = re.compile(r"RUN:.*?\bmlax-opt\b(?: %s| < %s)?(.*?)(?:\||2>&1|$)")
NAMED_PIPELINES = [["--pipeline=cpu"], ["--pipeline=mlax-opt"], ["--pipeline=cpu-linalg"], []]


class Seed:
    """An input text and the mlax-opt flag sets it was written for."""

    def __init__(self, name, text, flag_sets):
        self.name, self.text, self.flag_sets = name, text, flag_sets


def _run_flags(text):
    """The mlax-opt flags of each RUN line (without %s, -o and redirections)."""
    out = []
    for m in RUN_OPT.finditer(text):
        flags = []
        words = shlex.split(m.group(1).replace("%t", "X"), posix=True)
        skip = False
        for w in words:
            if skip:
                skip = False
            elif w == "-o":
                skip = True
            elif w.startswith("-"):
                flags.append(w)
        out.append([f for f in flags if f != "--split-input-file"])
    return out


def load_seeds():
    """Every .mlir under test/ (whole, and each --split-input-file chunk)."""
    seeds = []
    for dirpath, dirnames, filenames in os.walk(TEST_DIR):
        dirnames[:] = [d for d in dirnames if d not in ("Output", "python", "data")]
        for fn in sorted(filenames):
            if not fn.endswith(".mlir"):
                continue
            path = os.path.join(dirpath, fn)
            text = open(path, encoding="utf-8").read()
            flag_sets = _run_flags(text) or [[]]
            rel = os.path.relpath(path, ROOT)
            chunks = SPLIT.split(text)
            seeds.append(Seed(rel, text, flag_sets))
            if len(chunks) > 1:
                seeds += [Seed(f"{rel}#{i}", c, flag_sets) for i, c in enumerate(chunks)]
    return seeds


# ---------------------------------------------------------------------------------------
# Mutations

EXTREMES = ["0", "-1", "1", "2", "-2147483648", "2147483647", "2147483648", "4294967296",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "18446744073709551616", "99999999999999999999999999", "1e308", "0x7fffffff"]
ELEMENT_TYPES = ["f32", "f16", "f64", "bf16", "i1", "i7", "i8", "i16", "i32", "i64", "ui8",
                 "ui32", "si32", "index", "complex<f32>", "f8E4M3FN", "tf32", "none",
                 "i1000", "vector<4xf32>", "tensor<2xf32>", "!llvm.ptr"]
ELEMENT_RE = re.compile(r"\b(?:f16|f32|f64|bf16|i1|i8|i16|i32|i64|ui8|ui16|ui32|ui64)\b")
TOKEN_RE = re.compile(r'"[^"\n]*"|[%@^#!]?[\w.$-]+|\S')
NUMBER_RE = re.compile(r"-?\b\d+\b")
DIM_RE = re.compile(r"(?<=[<x])(\d+|\?)(?=x)")
OP_RE = re.compile(r'"mlax\.\w+"')
BRACKETS = ["(", "[", "{", "<", "tensor<", "tuple<", "[[", "({"]
CLOSE = {"(": ")", "[": "]", "{": "}", "<": ">", "tensor<": "xf32>", "tuple<": ">",
         "[[": "]]", "({": "})"}
DEPTHS = [20, 100, 255, 256, 257, 1000, 5000]


def _op_names():
    try:
        from mlax.dialects import OPS
        return sorted(OPS)
    except ImportError:
        return ["mlax.add", "mlax.mul", "mlax.dot_general", "mlax.reshape"]


def _pick_match(rng, regex, text):
    ms = list(regex.finditer(text))
    return rng.choice(ms) if ms else None


def _lines(text):
    return text.splitlines(keepends=True)


def m_delete_line(rng, text):
    ls = _lines(text)
    if ls:
        del ls[rng.randrange(len(ls))]
    return "".join(ls)


def m_duplicate_line(rng, text):
    ls = _lines(text)
    if ls:
        i = rng.randrange(len(ls))
        ls.insert(rng.randrange(len(ls) + 1), ls[i])
    return "".join(ls)


def m_swap_lines(rng, text):
    ls = _lines(text)
    if len(ls) > 1:
        i, j = rng.randrange(len(ls)), rng.randrange(len(ls))
        ls[i], ls[j] = ls[j], ls[i]
    return "".join(ls)


def _tokens(text):
    return list(TOKEN_RE.finditer(text))


def m_delete_token(rng, text):
    ts = _tokens(text)
    if not ts:
        return text
    t = rng.choice(ts)
    return text[:t.start()] + text[t.end():]


def m_duplicate_token(rng, text):
    ts = _tokens(text)
    if not ts:
        return text
    t, at = rng.choice(ts), rng.choice(ts)
    return text[:at.start()] + t.group() + " " + text[at.start():]


def m_swap_tokens(rng, text):
    ts = _tokens(text)
    if len(ts) < 2:
        return text
    a, b = sorted(rng.sample(ts, 2), key=lambda m: m.start())
    return (text[:a.start()] + b.group() + text[a.end():b.start()] + a.group()
            + text[b.end():])


def m_number(rng, text):
    m = _pick_match(rng, NUMBER_RE, text)
    if m is None:
        return text
    return text[:m.start()] + rng.choice(EXTREMES) + text[m.end():]


def m_dimension(rng, text):
    m = _pick_match(rng, DIM_RE, text)
    if m is None:
        return m_number(rng, text)
    new = rng.choice(EXTREMES[:9] + ["?", "0", "4294967296"])
    # The same dimension everywhere keeps the types consistent, so checks past the
    # parser see it; one place only tests the parser and verifiers.
    if rng.random() < 0.5:
        return DIM_RE.sub(lambda x: new if x.group() == m.group() else x.group(), text)
    return text[:m.start()] + new + text[m.end():]


def m_element_type(rng, text):
    m = _pick_match(rng, ELEMENT_RE, text)
    if m is None:
        return text
    new = rng.choice(ELEMENT_TYPES)
    if rng.random() < 0.5:
        return re.sub(rf"\b{re.escape(m.group())}\b", new, text)
    return text[:m.start()] + new + text[m.end():]


def m_op_name(rng, text):
    m = _pick_match(rng, OP_RE, text)
    if m is None:
        return text
    return text[:m.start()] + f'"{rng.choice(_op_names())}"' + text[m.end():]


def m_truncate(rng, text):
    return text[:rng.randrange(len(text) + 1)]


def m_random_bytes(rng, text):
    """Returns bytes: the text with random bytes inserted (invalid UTF-8, NULs, controls)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    junk = rng.choice([bytes([rng.randrange(256)]) for _ in range(1)] +
                      [b"\xff\xfe", b"\x00", b"\xc3", "é€😀".encode(), b"\r", b"\x1b[0m",
                       os.urandom(rng.randrange(1, 16))])
    at = rng.randrange(len(data) + 1)
    return data[:at] + junk + data[at:]


def m_deep_nesting(rng, text):
    ts = _tokens(text)
    kind, depth = rng.choice(BRACKETS), rng.choice(DEPTHS)
    at = rng.choice(ts).start() if ts else 0
    balanced = rng.random() < 0.7
    return (text[:at] + kind * depth + (CLOSE[kind] * depth if balanced else "")
            + text[at:])


TEXT_MUTATORS = [m_delete_line, m_duplicate_line, m_swap_lines, m_delete_token,
                 m_duplicate_token, m_swap_tokens, m_number, m_number, m_dimension,
                 m_dimension, m_element_type, m_element_type, m_op_name, m_truncate,
                 m_random_bytes, m_deep_nesting]


def mutate_text(rng, text, n):
    """`text` after `n` random mutations: str, or bytes once random bytes go in."""
    data = text
    for _ in range(n):
        mut = rng.choice(TEXT_MUTATORS)
        if isinstance(data, bytes):
            if mut is m_random_bytes:
                data = m_random_bytes(rng, data)
            continue
        data = mut(rng, data)
    return data


# ---------------------------------------------------------------------------------------
# mlax-compile argument specs and options

# linreg.py's functions and specs they trace with (W: [a, b], x: [n, a]).
PY_FUNCTIONS = {
    "predict": ["f32[3,2]", "f32[2]", "f32[4,3]"],
    "mse": ["f32[3,2]", "f32[2]", "f32[4,3]", "f32[4,2]"],
    "update_params": ["f32[3,2]", "f32[2]", "f32[4,3]", "f32[4,2]", "f32[]"],
    "mse_seed": ["f32[3,2]", "f32[2]", "f32[4,3]", "f32[4,2]"],
    "update_params_seed": ["f32[3,2]", "f32[2]", "f32[4,3]", "f32[4,2]", "f32[]"],
    "scale": ["f32[5]"],
    "pytree_fn": ['{"W": f32[3,2], "b": f32[2]}', "f32[4,3]"],
    "broken": ["f32[4]"],
}
DTYPES = ["f32", "f16", "f64", "i32", "i64", "u8", "bool", "q8", "f32 ", "", "None"]
SPEC_JUNK = ["[", "]", "(", ")", "{", "}", ",", ":", '"', "-", "?", "x", "²", "\x00", " "]
EMITS = ["mlax", "mlax-opt", "linalg", "llvm", "llvm", "llvm-ir", "asm", "obj", "module",
         "bitcode"]
CPUS = ["haswell", "x86-64", "x86-64-v3", "native", "generic", "pentium-9000", "i386",
        "pentium4", "cortex-a53", "", "znver4", "sm_90"]
FEATURES = ["+avx2", "-avx,-avx2", "-avx512f", "garbage", "+", ",", "-sse2", "-sse,-sse2",
            "+nope", "+avx2,", "-x87", "+neon", ""]
TRIPLES = ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu", "i386-linux-gnu",
           "armv7-linux-gnueabihf", "nvptx64-nvidia-cuda", "x86_64-pc-windows-msvc",
           "riscv64-linux-gnu", "foo", "", "x86_64", "aarch64-apple-darwin", "thumb"]
PASSES = ["mlax-lower-to-linalg", "mlax-lower-to-linalg,one-shot-bufferize",
          "canonicalize", "", "nope", "builtin.module(", "mlax-simplify{x=1}",
          "func.func(" * 300 + "cse" + ")" * 300]


def mutate_spec(rng, spec):
    choice = rng.randrange(6)
    if choice == 0:
        m = _pick_match(rng, re.compile(r"\d+"), spec)
        if m:
            return spec[:m.start()] + rng.choice(EXTREMES) + spec[m.end():]
    if choice == 1:
        m = _pick_match(rng, re.compile(r"[a-z]+\d*"), spec)
        if m:
            return spec[:m.start()] + rng.choice(DTYPES) + spec[m.end():]
    if choice == 2:
        at = rng.randrange(len(spec) + 1)
        return spec[:at] + rng.choice(SPEC_JUNK) + spec[at:]
    if choice == 3:
        return spec[:rng.randrange(len(spec) + 1)]
    if choice == 4:
        depth = rng.choice([5, 99, 100, 101, 1000, 100000])
        kind = rng.choice(["(", "[", "{"])
        close = {"(": ")", "[": "]", "{": "}"}[kind]
        return kind * depth + spec + close * depth if kind != "{" else \
            '{"k": ' * depth + spec + "}" * depth
    return f"f32[{','.join(rng.choice(EXTREMES[:9]) for _ in range(rng.randrange(1, 4)))}]"


def option_mutations(rng):
    """Target and pass options, a few of them wrong (for a third of the cases)."""
    out = []
    if rng.random() < 0.65:
        return out
    if rng.random() < 0.25:
        out += ["--cpu", rng.choice(CPUS)]
    if rng.random() < 0.2:
        out.append(f"--cpu-features={rng.choice(FEATURES)}")
    if rng.random() < 0.2:
        out += ["--target-triple", rng.choice(TRIPLES)]
    if rng.random() < 0.1:
        out.append(rng.choice(["-O0", "-O1", "-O3", "-O7", "-O", "--x64", "--timing",
                               "--print-ir-after-all", "--mlir-print-debuginfo", "--nope"]))
    if rng.random() < 0.05:
        out += ["--passes", rng.choice(PASSES)]
    return out


# ---------------------------------------------------------------------------------------
# Cases

def make_case(rng, seeds):
    """A random case: {tool, argv (INPUT is the input file), input (bytes) or None,
    suffix, stdin, seed}."""
    r = rng.random()
    if r < 0.6:
        return _opt_case(rng, seeds)
    if r < 0.8:
        return _compile_mlir_case(rng, seeds)
    return _compile_py_case(rng)


def _mutated_input(rng, seed, p_unchanged=0.1, most=4):
    if rng.random() < p_unchanged:
        return seed.text.encode()
    data = mutate_text(rng, seed.text, rng.randint(1, most))
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _opt_case(rng, seeds):
    seed = rng.choice(seeds)
    flags = list(rng.choice(seed.flag_sets + NAMED_PIPELINES))
    if "// -----" in seed.text and rng.random() < 0.8:
        flags.insert(0, "--split-input-file")
    if rng.random() < 0.1:
        flags.append(rng.choice(["--mlir-print-op-generic", "--mlir-print-debuginfo",
                                 "--mlir-print-local-scope", "--allow-unregistered-dialect",
                                 "--print-ir-after-all", "--mlir-timing", "--pipeline=",
                                 "--pass-pipeline=builtin.module(", "-o", "--",
                                 "--pass-pipeline=" + "func.func(" * 2000 + "cse" +
                                 ")" * 2000]))
    stdin = rng.random() < 0.1
    return {"tool": "mlax-opt", "argv": (["-"] if stdin else ["INPUT"]) + flags,
            "input": _mutated_input(rng, seed), "suffix": ".mlir", "stdin": stdin,
            "seed": seed.name}


def _compile_mlir_case(rng, seeds):
    seed = rng.choice([s for s in seeds if '"mlax.' in s.text] or seeds)
    emit = rng.choice(EMITS)
    argv = ["INPUT", "--emit", emit] + option_mutations(rng)
    if emit in ("obj", "module"):
        argv += ["-o", "OUTDIR/out"]
    stdin = rng.random() < 0.05
    if stdin:
        argv[0] = "-"
    # Fewer mutations than for mlax-opt: more of these inputs should reach code generation.
    return {"tool": "mlax-compile", "argv": argv,
            "input": _mutated_input(rng, seed, p_unchanged=0.2, most=2),
            "suffix": ".mlir", "stdin": stdin, "seed": seed.name}


def _compile_py_case(rng):
    name = rng.choice(list(PY_FUNCTIONS) + ["nope", "predict,mse", ""])
    specs = list(PY_FUNCTIONS.get(name.split(",")[0], ["f32[3]"]))
    for _ in range(rng.randint(0, 3)):
        op = rng.randrange(4)
        if op == 0 and specs:
            i = rng.randrange(len(specs))
            specs[i] = mutate_spec(rng, specs[i])
        elif op == 1 and specs:
            del specs[rng.randrange(len(specs))]
        elif op == 2:
            specs.append(rng.choice(["f32[3]", "i32[]", "None", "x=f32[2]", "=f32[1]"]))
        elif specs:
            i, j = rng.randrange(len(specs)), rng.randrange(len(specs))
            specs[i], specs[j] = specs[j], specs[i]
    argv = [f"{LINREG}:{name}"]
    for s in specs:
        argv += ["--arg", s]
    if name == "scale" and rng.random() < 0.8:
        argv += ["--static", rng.choice(["factor=2.5", "factor=" + "(" * 500, "factor=1e999",
                                         "1=2", "nope=1", "factor=[1,2]", "factor"])]
    emit = rng.choice(EMITS)
    argv += ["--emit", emit] + option_mutations(rng)
    if emit in ("obj", "module") or rng.random() < 0.5:
        argv += ["-o", "OUTDIR/out"]
    return {"tool": "mlax-compile", "argv": argv, "input": None, "suffix": ".py",
            "stdin": False, "seed": f"linreg.py:{name}"}


# ---------------------------------------------------------------------------------------
# The worker: runs cases through the tools' main functions

def _limit_resources():
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = WORKER_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(hard,
                                                                           WORKER_MEMORY_BYTES)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_one(case, workdir):
    """Run one case in this process; returns (exit code, stdout, stderr)."""
    from mlax import config
    from mlax.tools import driver, opt
    data = case["input"]
    path = None
    if data is not None and not case["stdin"]:
        path = os.path.join(workdir, "input" + case["suffix"])
        with open(path, "wb") as f:
            f.write(data)
    outdir = os.path.join(workdir, "out")
    os.makedirs(outdir, exist_ok=True)
    argv = [path if a == "INPUT" else a.replace("OUTDIR", outdir) for a in case["argv"]]
    main = opt.main if case["tool"] == "mlax-opt" else driver.main
    out_path, err_path = os.path.join(workdir, "stdout"), os.path.join(workdir, "stderr")
    saved_fds = os.dup(1), os.dup(2)
    saved = sys.stdin, sys.stdout, sys.stderr, list(sys.path), set(sys.modules)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        sys.stdin = io.TextIOWrapper(io.BytesIO(data if case["stdin"] else b""))
        sys.stdout = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), write_through=True)
        sys.stderr = io.TextIOWrapper(os.fdopen(os.dup(2), "wb"), write_through=True)
        try:
            rc = main(argv)
        except SystemExit as e:   # argparse's own exits
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException as e:   # a Python exception escaping main is a failure
            import traceback
            sys.stderr.write("Traceback (most recent call last): escaped main\n")
            traceback.print_exception(e, file=sys.stderr)
            rc = 99
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                    stream.close()
                except Exception:
                    pass
            os.dup2(saved_fds[0], 1)
            os.dup2(saved_fds[1], 2)
            for fd in saved_fds:
                os.close(fd)
            sys.stdin, sys.stdout, sys.stderr = saved[:3]
            sys.path[:] = saved[3]
            for name in set(sys.modules) - saved[4]:
                if not name.startswith(("mlax", "mlir", "numpy", "llvm")):
                    del sys.modules[name]
            config.update("jax_enable_x64", False)
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read()
    return rc, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")


def worker_main():
    """Read cases (JSON lines) on stdin, answer each with a JSON line on stdout."""
    _limit_resources()
    proto_in = os.fdopen(os.dup(0), "r")
    proto_out = os.fdopen(os.dup(1), "w")
    # Cases must not read the protocol: stdin is /dev/null below the main functions.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    import mlax  # noqa: F401  (imported once, before the first case is timed)
    for line in proto_in:
        case = decode_case(json.loads(line))
        t0 = time.perf_counter()
        rc, out, err = run_one(case, case["workdir"])
        proto_out.write(json.dumps({"rc": rc, "stdout": _clip(out, 4000),
                                    "stderr": _clip(err, 20000),
                                    "time": time.perf_counter() - t0}) + "\n")
        proto_out.flush()


def _clip(text, n):
    """The first and last n/2 characters of a long text."""
    return text if len(text) <= n else text[:n // 2] + "\n[...]\n" + text[-n // 2:]


def encode_case(case):
    c = dict(case)
    c["input"] = None if case["input"] is None else base64.b64encode(case["input"]).decode()
    return c


def decode_case(c):
    c = dict(c)
    c["input"] = None if c["input"] is None else base64.b64decode(c["input"])
    return c


class Worker:
    """A worker process; restarted after a case kills it or runs past the time limit, and
    every CASES_PER_WORKER cases (threads and memory grow over thousands of cases in one
    process, until a case fails to start a thread for want of address space)."""

    CASES_PER_WORKER = 200

    def __init__(self):
        self.proc = None
        self.tmp = tempfile.TemporaryDirectory(prefix="mlax-fuzz-")
        self.count = 0

    def start(self):
        env = dict(os.environ)
        env.setdefault("MLAX_NUM_THREADS", "1")
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env)

    def run(self, case, timeout):
        """{'rc', 'stdout', 'stderr', 'time'}; rc is None when the case timed out, and
        'died' is the worker's status (-signal, or the code it exited with) when the
        case ended the worker."""
        if self.proc is not None and self.count % self.CASES_PER_WORKER == 0:
            self.stop()
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        t0 = time.perf_counter()
        # The case's files live in a folder of ours: what a dying case printed stays.
        self.count += 1
        workdir = os.path.join(self.tmp.name, str(self.count))
        os.makedirs(workdir)
        try:
            return self._run(dict(case, workdir=workdir), timeout, t0)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _run(self, case, timeout, t0):
        try:
            self.proc.stdin.write(json.dumps(encode_case(case)) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        if not ready:
            self.stop()
            return {"rc": None, "stdout": "", "stderr": "", "time": timeout}
        status = self.proc.wait()
        self.proc = None
        return {"rc": None, "died": status, "stdout": _read(case["workdir"], "stdout"),
                "stderr": _read(case["workdir"], "stderr"), "time": time.perf_counter() - t0}

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def close(self):
        self.stop()
        self.tmp.cleanup()


def _read(workdir, name):
    try:
        with open(os.path.join(workdir, name), "rb") as f:
            return _clip(f.read().decode("utf-8", "replace"), 20000)
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------
# Judging results

DIAGNOSTIC = re.compile(r"(^|\s)error: ", re.M)
# "mlax-opt: internal error: ..." (an exception the tool did not expect), and a pass's own
# located "f.mlir:3:8: error: internal error: ..." (an invariant of the pass broken by its
# input: a bug, though the tools' contract holds).
INTERNAL = re.compile(r"^\S+: internal error", re.M)
INVARIANT = re.compile(r"error: internal error")

# Failure kinds that keep the tools' contract (a located diagnostic, exit 1) but show a
# bug; `fuzz(contract_only=True)` leaves them out.
SOFT_KINDS = {"broken-invariant"}


def failure(result):
    """(kind, signature) when the result breaks the tools' contract, else None."""
    rc, err = result["rc"], result["stderr"] + result["stdout"]
    died = result.get("died")
    if died is not None:
        name = signal.Signals(-died).name if died < 0 else f"the process exited {died}"
        why = _first_line(result["stderr"], r"Assertion|LLVM ERROR|Stack dump|rror")
        return "crash", f"{name}: {why}" if why else name
    if rc is None:
        return "timeout", "timeout"
    if "Traceback (most recent call last)" in err:
        return "traceback", _first_line(err, r"^\w*(Error|Exception)\b")
    if INTERNAL.search(result["stderr"]):
        return "internal-error", _first_line(result["stderr"], INTERNAL.pattern)
    if rc not in (0, 1, 2):
        return "exit-code", f"exit {rc}"
    if rc != 0 and not DIAGNOSTIC.search(result["stderr"]):
        return "no-diagnostic", _first_line(result["stderr"], ".") or "(no output)"
    if INVARIANT.search(result["stderr"]):
        return "broken-invariant", re.sub(r"^\S+:N:N: ", "", _first_line(
            result["stderr"], INVARIANT.pattern))
    return None


def _first_line(text, pattern):
    for line in text.splitlines():
        if re.search(pattern, line):
            return re.sub(r"\d+", "N", line.strip())[:200]
    return ""


def save_failure(out_dir, index, kind, case, result):
    d = os.path.join(out_dir, f"{kind}-{index:04d}")
    os.makedirs(d, exist_ok=True)
    input_name = None
    if case["input"] is not None:
        input_name = "input" + case["suffix"]
        with open(os.path.join(d, input_name), "wb") as f:
            f.write(case["input"])
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(encode_case(case), f, indent=1)
    with open(os.path.join(d, "output.txt"), "w") as f:
        f.write(f"exit: {result['rc']}\n--- stderr\n{result['stderr']}\n"
                f"--- stdout\n{result['stdout']}\n")
    argv = [input_name if a == "INPUT" else a.replace("OUTDIR", "/tmp/mlax-fuzz-out")
            for a in case["argv"]]
    redirect = f" < {input_name}" if case["stdin"] else ""
    with open(os.path.join(d, "repro.sh"), "w") as f:
        f.write(f"#!/bin/sh\n# {kind} (seed input {case['seed']})\ncd \"$(dirname \"$0\")\"\n"
                f"{case['tool']} {shlex.join(argv)}{redirect}\n")
    return d


# ---------------------------------------------------------------------------------------
# Sessions

def fuzz(seed=0, iterations=100, out_dir=None, timeout=120.0, keep=3, log=None,
         only=None, contract_only=False):
    """Run `iterations` cases from random seed `seed`; returns {signature: [(kind, case,
    result)]} of the failures (at most `keep` cases each). `only` picks case kinds:
    a subset of {'mlax-opt', 'mlax-compile-mlir', 'mlax-compile-py'}; `contract_only`
    leaves out failures of SOFT_KINDS."""
    rng = random.Random(seed)
    seeds = load_seeds()
    worker = Worker()
    found = collections.OrderedDict()
    makers = {"mlax-opt": _opt_case, "mlax-compile-mlir": _compile_mlir_case,
              "mlax-compile-py": lambda r, s: _compile_py_case(r)}
    kinds = list(only or makers)
    try:
        for i in range(iterations):
            kind = rng.choice(kinds) if only else None
            case = makers[kind](rng, seeds) if kind else make_case(rng, seeds)
            result = worker.run(case, timeout)
            bad = failure(result)
            if bad and contract_only and bad[0] in SOFT_KINDS:
                bad = None
            if log:
                log(i, case, result, bad)
            if bad is None:
                continue
            key = f"{bad[0]}: {bad[1]}"
            examples = found.setdefault(key, [])
            if len(examples) < keep:
                examples.append((bad[0], case, result))
                if out_dir:
                    save_failure(out_dir, i, bad[0], case, result)
    finally:
        worker.close()
    return found


def replay(path):
    case_file = os.path.join(path, "case.json") if os.path.isdir(path) else path
    with open(case_file) as f:
        case = decode_case(json.load(f))
    worker = Worker()
    try:
        result = worker.run(case, 600)
    finally:
        worker.close()
    print(f"exit: {result['rc']}\n--- stderr\n{result['stderr']}\n--- stdout\n"
          f"{result['stdout'][:2000]}")
    bad = failure(result)
    print("FAILS:" if bad else "passes", *(bad or ()))
    return 1 if bad else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--iterations", type=int, default=1000, help="cases to run (default 1000)")
    p.add_argument("--out", default="fuzz-failures",
                   help="folder for failing cases (default fuzz-failures)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds one case may run (default 120)")
    p.add_argument("--keep", type=int, default=3, help="examples kept per failure (default 3)")
    p.add_argument("--only", action="append",
                   choices=["mlax-opt", "mlax-compile-mlir", "mlax-compile-py"],
                   help="run only cases of this kind (repeatable)")
    p.add_argument("--verbose", "-v", action="store_true", help="print every case")
    p.add_argument("--replay", metavar="DIR", help="rerun a saved failing case")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main()
        return 0
    if args.replay:
        return replay(args.replay)

    t0 = time.perf_counter()
    exits = collections.Counter()

    def log(i, case, result, bad):
        exits[result["rc"]] += 1
        if args.verbose or bad:
            argv = " ".join(case["argv"])[:150]
            status = f"FAIL {bad[0]}: {bad[1]}" if bad else f"exit {result['rc']}"
            print(f"[{i}] {case['tool']} {argv} ({case['seed']}, {result['time']:.1f}s): "
                  f"{status}", flush=True)
        elif i % 100 == 99:
            print(f"[{i + 1}/{args.iterations}] {time.perf_counter() - t0:.0f}s", flush=True)

    found = fuzz(args.seed, args.iterations, args.out, args.timeout, args.keep, log,
                 args.only)
    print(f"\n{args.iterations} cases in {time.perf_counter() - t0:.0f}s; exit codes "
          f"{dict(sorted(exits.items(), key=str))}; {len(found)} distinct failures")
    for key, examples in found.items():
        print(f"  {key}  ({len(examples)} kept)")
    if found:
        print(f"failing cases: {os.path.abspath(args.out)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
