"""Runs the compat corpus under JAX and under mlax and compares what each program reports.

    python test/compat/run.py [--only NAME ...] [--jobs N] [--timeout S] [--report-only]
                              [--fresh-oracle]

Each program in `programs/` runs twice in child processes: once with the real `jax`, once
with `shim/` first on PYTHONPATH, where `import jax` gives mlax. A program prints its results
with `_report.report` (`@report <json>` lines); the runner compares the mlax run's reports
with the JAX run's, in order: kinds, dtypes, shapes, ints, bools, strings and the builtin
class of an exception exactly, floats with |mlax - jax| <= atol * max(1, max|jax|) +
rtol * |jax| (rtol 1e-4 and atol 1e-5 unless the report says otherwise). It prints one table
row per program: whether the mlax run ran to its end, whether every report matched, both run
times, the program's mark, and the first error: the first mismatching report (with the count
of later ones), and the exception that ended the run with the program line it came through.

JAX's results are cached (in ~/.cache/mlax/compat-oracle, keyed by the program, the runner's
files and the versions of JAX and NumPy); `--fresh-oracle` reruns JAX.

With MLAX_PLATFORMS=tpu the mlax run is on the tpu platform, whose TPU numerics round float32
products to bfloat16 at DEFAULT precision, beyond the reports' float32 tolerances: the runner
gives that run JAX_DEFAULT_MATMUL_PRECISION=highest unless the environment sets it (set it
to `default` to see TPU numerics), and TPU_TOLERANCES relaxes what differs even so, per
program, with the reason.

A program that fails on mlax today carries a header line `# compat: xfail <reason>`. The exit
status is 0 when every program did what its mark says (unmarked programs run and match,
marked ones do not), and always with `--report-only`.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
SHIM = HERE / "shim"
BOOTSTRAP = HERE / "_bootstrap.py"

RTOL = 1e-4
ATOL = 1e-5
XFAIL_MARK = "# compat: xfail"
# JAX's reports depend only on the program, the files that run it, and JAX's version: they
# are kept here between runs, so iterating on mlax reruns only the mlax side.
ORACLE_CACHE = (Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                / "mlax" / "compat-oracle")


@dataclass(frozen=True)
class TpuTolerance:
    """How a program's reports are compared when the mlax run is on the tpu platform."""
    reason: str
    unchecked: tuple = ()          # reports not compared there


# Programs whose reports differ on the tpu platform at HIGHEST precision, and why; each
# difference is XLA's (the CPU stand-in's) floating-point evaluation, not a wrong value.
TPU_TOLERANCES = {
    "autodiff_cookbook_batching": TpuTolerance(
        "loop_mjp and vmap_mjp agree to 1 ulp of their summands (2.5e-8) where a value "
        "cancels to 1e-3: XLA sums the batched product in another order than the looped "
        "ones, so jnp.allclose's atol of 1e-8 fails; JAX's lowering of the same program "
        "happens to sum both alike", unchecked=("mjp allclose",)),
}


def on_tpu() -> bool:
    """Whether the mlax runs are on the tpu platform (MLAX_PLATFORMS names it first)."""
    return os.environ.get("MLAX_PLATFORMS", "").split(",")[0].strip() == "tpu"


@dataclass
class Run:
    """One child run of a program: its reports, and how it ended."""
    reports: list = field(default_factory=list)
    error: str | None = None       # None when the program ran to its end
    seconds: float = 0.0


@dataclass
class Outcome:
    """One program's row of the table."""
    name: str
    xfail: str | None              # the reason of its `# compat: xfail` mark, if it has one
    ran: bool = False
    matched: bool = False
    first_error: str = ""
    jax_seconds: float = 0.0
    mlax_seconds: float = 0.0
    mismatches: list = field(default_factory=list)
    error: str | None = None       # what ended the mlax run early, if something did

    @property
    def as_marked(self) -> bool:
        return (self.ran and self.matched) != (self.xfail is not None)


def programs(only=()) -> list[Path]:
    paths = sorted(p for p in PROGRAMS.glob("*.py") if not p.name.startswith("_"))
    if only:
        names = {n.removesuffix(".py") for n in only}
        unknown = names - {p.stem for p in paths}
        if unknown:
            raise SystemExit(f"no corpus program named {', '.join(sorted(unknown))}")
        paths = [p for p in paths if p.stem in names]
    return paths


def xfail_reason(path: Path) -> str | None:
    """The reason of the program's `# compat: xfail <reason>` header line, else None."""
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(XFAIL_MARK):
            return line[len(XFAIL_MARK):].strip() or "(no reason given)"
    return None


def _env(use_mlax: bool) -> dict:
    env = dict(os.environ)
    path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p) != SHIM]
    if use_mlax:
        path.insert(0, str(SHIM))
        if on_tpu():
            env.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
    env["PYTHONPATH"] = os.pathsep.join(path)
    env["JAX_PLATFORMS"] = "cpu"
    return env


def run_child(path: Path, use_mlax: bool, timeout: float) -> Run:
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(BOOTSTRAP), str(path)], capture_output=True,
                              text=True, timeout=timeout, env=_env(use_mlax), cwd=HERE)
    except subprocess.TimeoutExpired as e:
        run = Run(error=f"timed out after {timeout:g} s")
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        run.reports = _reports(stdout)
        run.seconds = time.monotonic() - start
        return run
    run = Run(reports=_reports(proc.stdout), seconds=time.monotonic() - start)
    if proc.returncode < 0:
        run.error = f"killed by {signal.Signals(-proc.returncode).name}"
    elif proc.returncode != 0:
        errors = [json.loads(l[len("@error "):]) for l in proc.stdout.splitlines()
                  if l.startswith("@error ")]
        if errors:
            e = errors[-1]
            where = f" (line {e['line']})" if e["line"] else ""
            run.error = f"{e['type']}: {e['message']}{where}"
        else:
            tail = proc.stderr.strip().splitlines()
            run.error = f"exit status {proc.returncode}: {tail[-1] if tail else ''}"
    return run


def _reports(stdout: str) -> list:
    reports = []
    for line in stdout.splitlines():
        if line.startswith("@report "):
            try:
                reports.append(json.loads(line[len("@report "):]))
            except ValueError:  # the last line of a run killed while printing it
                break
    return reports


def _flat(values):
    if isinstance(values, list):
        for v in values:
            yield from _flat(v)
    else:
        yield values


def _short(value, limit=60) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def compare_values(ref: dict, got: dict, rtol: float, atol: float) -> str | None:
    """Why `got` (mlax) differs from `ref` (jax), or None when they agree."""
    if got["kind"] == "error" and ref["kind"] != "error":
        return f"raised {got['type']}: {got['message']}"
    if ref["kind"] == "error" and got["kind"] != "error":
        return f"raised nothing where jax raises {ref['type']}: {ref['message']}"
    if ref["kind"] != got["kind"]:
        return f"kind {got['kind']} where jax gives {ref['kind']}"
    kind = ref["kind"]
    if kind in ("dict", "list", "tuple"):
        if kind == "dict" and list(ref["items"]) != list(got["items"]):
            return f"keys {list(got['items'])} where jax gives {list(ref['items'])}"
        if len(ref["items"]) != len(got["items"]):
            return f"{len(got['items'])} items where jax gives {len(ref['items'])}"
        keys = list(ref["items"]) if kind == "dict" else range(len(ref["items"]))
        for k in keys:
            why = compare_values(ref["items"][k], got["items"][k], rtol, atol)
            if why:
                return f"[{k!r}] {why}"
        return None
    if kind == "error":
        # Programs catch exceptions by their builtin classes (`except TypeError`); JAX's own
        # subclasses and the messages are shown, not compared.
        if ref["builtin"] != got["builtin"]:
            return (f"raised {got['type']} ({got['builtin']}): {got['message']} where jax "
                    f"raises {ref['type']} ({ref['builtin']}): {ref['message']}")
        return None
    if kind == "no-error":
        return None
    for key in ("dtype", "shape"):
        if ref.get(key) != got.get(key):
            return f"{key} {got.get(key)} where jax gives {ref.get(key)}"
    ref_values, got_values = list(_flat(ref["values"])), list(_flat(got["values"]))
    if len(ref_values) != len(got_values):
        return f"{len(got_values)} values where jax gives {len(ref_values)}"
    floats = kind in ("float", "complex") or ref.get("dtype", "").startswith(
        ("float", "complex", "bfloat"))
    if not floats:
        if ref_values != got_values:
            return f"{_short(got['values'])} where jax gives {_short(ref['values'])}"
        return None
    finite = [abs(v) for v in ref_values if v is not None and math.isfinite(v)]
    scale = max([1.0] + finite)
    for i, (r, g) in enumerate(zip(ref_values, got_values)):
        same = (r == g or (math.isnan(r) and math.isnan(g))
                or (math.isfinite(r) and math.isfinite(g)
                    and abs(g - r) <= atol * scale + rtol * abs(r)))
        if not same:
            at = "" if len(ref_values) == 1 else f" at flat index {i}"
            return (f"{g!r} where jax gives {r!r}{at} (rtol {rtol:g}, atol {atol:g}"
                    f"{f' x {scale:.3g}' if scale != 1 else ''})")
    return None


def compare(ref_reports: list, got_reports: list, unchecked=()) -> list[str]:
    """The reports of the mlax run that differ from the jax run's, each described (those
    named in `unchecked` not compared)."""
    mismatches = []
    for ref, got in zip(ref_reports, got_reports):
        if ref["name"] != got["name"]:
            mismatches.append(f"report {got['name']!r} where jax reports {ref['name']!r}")
            break  # the runs have diverged: later reports do not correspond
        if ref["name"] in unchecked:
            continue
        why = compare_values(ref["value"], got["value"], ref.get("rtol", RTOL),
                             ref.get("atol", ATOL))
        if why:
            mismatches.append(f"{ref['name']}: {why}")
    return mismatches


def _oracle_key(path: Path) -> str:
    h = hashlib.sha256()
    for f in (path, PROGRAMS / "_report.py", BOOTSTRAP):
        h.update(f.read_bytes())
    versions = [importlib.metadata.version(p) for p in ("jax", "jaxlib", "numpy")]
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(("JAX_", "XLA_")))
    h.update(json.dumps([versions, platform.python_version(), platform.machine(), env]).encode())
    return h.hexdigest()


def run_oracle(path: Path, timeout: float, use_cache: bool) -> Run:
    """The program's run under JAX, from the cache when an identical run is recorded there."""
    cached = ORACLE_CACHE / f"{path.stem}-{_oracle_key(path)}.json"
    if use_cache and cached.exists():
        return Run(**json.loads(cached.read_text()))
    run = run_child(path, use_mlax=False, timeout=timeout)
    if run.error is None:
        ORACLE_CACHE.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(run.__dict__))
        tmp.replace(cached)
    return run


def _local(message: str) -> str:
    """`message` naming corpus programs by file name instead of full path."""
    return message.replace(str(PROGRAMS) + os.sep, "")


def run_program(path: Path, timeout: float, use_cache: bool = True) -> Outcome:
    outcome = Outcome(path.stem, xfail_reason(path))
    ref = run_oracle(path, timeout, use_cache)
    got = run_child(path, use_mlax=True, timeout=timeout)
    outcome.jax_seconds, outcome.mlax_seconds = ref.seconds, got.seconds
    if ref.error:
        outcome.first_error = f"the program fails under jax itself: {ref.error}"
        return outcome
    outcome.ran = got.error is None
    outcome.error = got.error and _local(got.error)
    tolerance = TPU_TOLERANCES.get(path.stem) if on_tpu() else None
    mismatches = compare(ref.reports, got.reports, tolerance.unchecked if tolerance else ())
    if not mismatches and got.error is None and len(got.reports) != len(ref.reports):
        mismatches = [f"{len(got.reports)} reports where jax gives {len(ref.reports)}"]
    outcome.mismatches = [_local(m) for m in mismatches]
    outcome.matched = outcome.ran and not mismatches
    parts = []
    if mismatches:
        more = f" (+{len(mismatches) - 1} more mismatches)" if len(mismatches) > 1 else ""
        parts.append(outcome.mismatches[0] + more)
    if outcome.error:
        parts.append(outcome.error)
    outcome.first_error = "; then ".join(parts)
    return outcome


def format_table(outcomes: list[Outcome]) -> str:
    rows = [("program", "ran", "matched", "jax s", "mlax s", "mark", "first error")]
    for o in outcomes:
        mark = "xfail" if o.xfail else ""
        if not o.as_marked:
            mark = "XPASS" if o.xfail else "FAIL"
        error = o.first_error if len(o.first_error) <= 160 else o.first_error[:157] + "..."
        rows.append((o.name, "yes" if o.ran else "no", "yes" if o.matched else "no",
                     f"{o.jax_seconds:.1f}", f"{o.mlax_seconds:.1f}", mark, error))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = [" | ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]).rstrip() for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths) + "-+-" + "-" * 11)
    passed = sum(o.ran and o.matched for o in outcomes)
    ran = sum(o.ran for o in outcomes)
    unexpected = [o.name for o in outcomes if not o.as_marked]
    lines.append(f"\n{len(outcomes)} programs: {ran} ran, {passed} matched, "
                 f"{sum(o.xfail is not None for o in outcomes)} marked xfail; "
                 + (f"not as marked: {', '.join(unexpected)}" if unexpected else "all as marked"))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME",
                        help="run only these programs (file names without .py)")
    parser.add_argument("--jobs", type=int, default=1, help="programs run at once (default 1)")
    parser.add_argument("--timeout", type=float, default=180,
                        help="seconds each run of a program may take (default 180)")
    parser.add_argument("--report-only", action="store_true",
                        help="print the table and exit 0 whatever it says")
    parser.add_argument("--details", action="store_true",
                        help="after the table, list every mismatching report of each program")
    parser.add_argument("--fresh-oracle", action="store_true",
                        help=f"rerun JAX even where its results are cached in {ORACLE_CACHE}")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("jax") is None:
        print("run.py compares with JAX: install it (pip install 'mlax[jax]')", file=sys.stderr)
        return 2
    paths = programs(args.only)

    def one(path):
        outcome = run_program(path, args.timeout, use_cache=not args.fresh_oracle)
        print(f"{outcome.name}: {'ok' if outcome.ran and outcome.matched else outcome.first_error}",
              file=sys.stderr, flush=True)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(one, paths))
    print(format_table(outcomes))
    if args.details:
        for o in outcomes:
            if o.mismatches or not o.ran:
                print(f"\n{o.name}:")
                for m in o.mismatches:
                    print(f"  {m}")
                if o.error:
                    print(f"  ended by {o.error}")
    return 0 if args.report_only or all(o.as_marked for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
