"""Run slices of optax's and chex's own test suites (the test modules their wheels ship) with
`import jax` resolving to mlax, and report pass/fail counts and each failure's cause.

    python scripts/ecosystem_tests.py                       # the default slice, every test
    python scripts/ecosystem_tests.py --sample 20 --seed 0  # 20 tests drawn per module
    python scripts/ecosystem_tests.py optax/losses/_regression_test.py

Each test module runs in its own child process: `python -m mlax.compat -m pytest` on the
installed file, with a JUnit XML report read back for the outcome of each test. A failure's
cause is the last line of its error (the exception and its message); a test listed in
EXPECTED_FAILURES, with its reason, counts as xfailed. Exit status 0 always
when the suites ran (the counts are the result); 2 when a package is not installed.
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# The default slice: optimizers, schedules, losses, transforms, tree utilities; chex's
# assertions, dataclass, variants and restrict_backends.
SLICE = [
    "optax/_src/alias_test.py", "optax/_src/update_test.py", "optax/_src/numerics_test.py",
    "optax/schedules/_schedule_test.py", "optax/losses/_regression_test.py",
    "optax/losses/_classification_test.py", "optax/transforms/_clipping_test.py",
    "optax/transforms/_combining_test.py", "optax/tree_utils/_tree_math_test.py",
    "chex/_src/asserts_test.py", "chex/_src/dataclass_test.py", "chex/_src/variants_test.py",
    "chex/_src/restrict_backends_test.py",
]

# Tests that fail for a reason no correct implementation could remove: (module, test name)
# -> the reason. They are reported as expected failures (xfailed), not as failures.
EXPECTED_FAILURES = {
    ("optax/transforms/_clipping_test.py", "test_clip_by_block_rms"):
        "fails under JAX 0.10.2 on the CPU too: XLA computes `u / clip_denom` as a product "
        "(as mlax does, see docs/design.md, Dtypes), the clipped block's rms is 0.99999988 "
        "and the test asks for 1.0 to 7 places",
}

Outcome = collections.namedtuple("Outcome", "test passed skipped cause")


def expected_failure(relative: str, test: str) -> str | None:
    """The reason test `test` (pytest's class::name) of module `relative` is expected to
    fail, None if it is not."""
    return EXPECTED_FAILURES.get((relative, test.split("::")[-1].split("[")[0]))


def installed_path(relative: str) -> str | None:
    """The file `relative` (package/...) of an installed package, None if absent."""
    spec = importlib.util.find_spec(relative.split("/")[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(os.path.dirname(list(spec.submodule_search_locations)[0]), relative)
    return path if os.path.isfile(path) else None


def _pytest(args, timeout):
    cmd = [sys.executable, "-m", "mlax.compat", "-m", "pytest", "-q", "-p", "no:cacheprovider",
           *args]
    # A pytest running this script (the CI test) must not leak its settings into the child.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=package_root(path_of(cmd)))


def package_root(path: str) -> str:
    """The directory holding the top package of test file `path`. The child runs there:
    in the test's own directory a module beside it would shadow a standard one
    (optax/tree_utils/_random.py hides CPython's `_random`, which `random` imports)."""
    d = os.path.dirname(path)
    while os.path.isfile(os.path.join(d, "__init__.py")):
        d = os.path.dirname(d)
    return d


def path_of(cmd) -> str:
    """The test file a child pytest command runs (its last argument, before any `::`)."""
    return cmd[-1].split("::")[0]


def collect(path: str, timeout: int) -> list[str]:
    """The node ids of `path`'s tests, as absolute `path::Class::test` ids."""
    proc = _pytest(["--collect-only", path], timeout)
    return [path + "::" + line.split("::", 1)[1] for line in proc.stdout.splitlines()
            if "::" in line]


def run_module(path: str, tests: list[str] | None, timeout: int) -> list[Outcome]:
    """The outcome of each test of `path` (only `tests`, node ids, when given)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.xml")
        try:
            proc = _pytest([f"--junitxml={report}", *(tests or [path])], timeout)
        except subprocess.TimeoutExpired:
            return [Outcome(path, False, False, f"the module ran past {timeout} s")]
        if not os.path.exists(report):
            cause = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["?"]
            return [Outcome(path, False, False, f"did not run: {cause[0]}")]
        outcomes = []
        for case in ET.parse(report).iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            if bad is not None:
                outcomes.append(Outcome(name, False, False, _cause(bad)))
            else:
                outcomes.append(Outcome(name, True, case.find("skipped") is not None, ""))
        return outcomes


def _cause(element) -> str:
    """The exception a failed test raised: the last `E   ` line of its report (pytest's
    exception lines), else the report's message."""
    raised = [line[1:].strip() for line in (element.text or "").splitlines()
              if line.startswith("E ")]
    cause = raised[-1] if raised else (element.get("message") or "?").splitlines()[0]
    return cause[:200]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="test files, as package/path_test.py")
    parser.add_argument("--sample", type=int, default=0,
                        help="run this many tests drawn from each module (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per module")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    totals = collections.Counter()
    for relative in args.modules or SLICE:
        path = installed_path(relative)
        if path is None:
            print(f"{relative}: not installed (pip install -e '.[ecosystem]')")
            return 2
        tests = None
        if args.sample:
            ids = collect(path, args.timeout)
            tests = sorted(rng.sample(ids, min(args.sample, len(ids))))
        outcomes = run_module(path, tests, args.timeout)
        passed = sum(o.passed and not o.skipped for o in outcomes)
        skipped = sum(o.skipped for o in outcomes)
        xfailed = [o for o in outcomes if not o.passed and expected_failure(relative, o.test)]
        failed = [o for o in outcomes if not o.passed and o not in xfailed]
        totals.update(passed=passed, skipped=skipped, failed=len(failed), xfailed=len(xfailed))
        print(f"{relative}: {passed} passed, {len(failed)} failed, {skipped} skipped, "
              f"{len(xfailed)} xfailed")
        for o in failed:
            print(f"    FAIL {o.test}: {o.cause}")
        for o in xfailed:
            print(f"    XFAIL {o.test}: {expected_failure(relative, o.test)}")
        for o in outcomes:
            if o.passed and not o.skipped and expected_failure(relative, o.test):
                print(f"    XPASS {o.test}: listed as an expected failure")
    print(f"total: {totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['skipped']} skipped, {totals['xfailed']} xfailed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
