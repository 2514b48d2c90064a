"""Run a test case in a child Python process, so a case that kills its process (a signal,
an abort, a stack overflow) fails its test instead of ending the test run.

    out = run_case('''
        import numpy as np, mlax
        print(mlax.numpy.sum(mlax.numpy.ones((3, 0)), axis=1))
    ''')
    assert out.stdout.strip() == "[0. 0. 0.]"

`run_case` raises AssertionError naming the signal when the child dies by one, and when it
exits non-zero unless `expect_rc` says otherwise.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_case(code: str, expect_rc: int | None = 0, timeout: float = 300, env=None,
             args=()) -> Result:
    """Run `code` (dedented) with this interpreter; return its exit code and output."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=timeout, env=full_env)
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise AssertionError(f"the child process was killed by {name}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    if expect_rc is not None and proc.returncode != expect_rc:
        raise AssertionError(f"the child process exited {proc.returncode}, expected {expect_rc}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}")
    return Result(proc.returncode, proc.stdout, proc.stderr)
