"""Errors and diagnostics of `mlax-compile` (mlax.tools.driver): the two exceptions that
choose its exit status, and Python exceptions raised in the user's code as
`file:line: error:` lines quoting the source, without a traceback."""
from __future__ import annotations

import linecache
import os
import traceback

import mlax
from mlax import dialects, runtime
from mlax.tools import opt


class UsageError(Exception):
    """A bad command line: exit 2."""


class CompileError(Exception):
    """The input does not compile: exit 1. The text is ready to print."""


def _internal_dirs():
    dirs = {os.path.dirname(os.path.abspath(m.__file__))
            for m in (mlax, dialects, runtime, opt)}
    return tuple(d + os.sep for d in dirs)


class Files:
    """Quotes source lines of any file (the .py input and what it imports) in diagnostics;
    duck-types mlax.opt.Source."""

    def __init__(self, name=None, text=None):
        self.name = name
        self.lines = text.splitlines() if text is not None else None

    def quote(self, file, line, col) -> str:
        if self.lines is not None and file == self.name:
            src = self.lines[line - 1] if 1 <= line <= len(self.lines) else ""
        else:
            src = linecache.getline(file, line).rstrip("\n")
        if not src:
            return ""
        return opt.quote_line(src, col)


def _user_frame(tb):
    """The innermost traceback frame in the user's code (outside mlax), if any."""
    internal = _internal_dirs()
    user = None
    for fs in traceback.extract_tb(tb):
        fn = os.path.abspath(fs.filename) if not fs.filename.startswith("<") else fs.filename
        if not fn.startswith(internal) and not fs.filename.startswith("<frozen"):
            user = fs
    return user


def format_exception(e: BaseException, what: str) -> str:
    """`file:line: error: <what>: Type: message` + the source line, no traceback."""
    if isinstance(e, SyntaxError) and e.filename:
        col = e.offset or 1
        src = (e.text or linecache.getline(e.filename, e.lineno or 0)).rstrip("\n")
        quote = f"{src}\n{' ' * max(col - 1, 0)}^\n" if src else ""
        return f"{e.filename}:{e.lineno}:{col}: error: {what}: SyntaxError: {e.msg}\n{quote}"
    frame = _user_frame(e.__traceback__)
    msg = f"{type(e).__name__}: {e}"
    if frame is None:
        return f"mlax-compile: error: {what}: {msg}\n"
    # mlax's own messages end in "(at file:line)": the location is in front already.
    msg = msg.replace(f" (at {frame.filename}:{frame.lineno})", "")
    src = (frame.line or "").strip()
    quote = f"    {src}\n" if src else ""
    return f"{frame.filename}:{frame.lineno}: error: {what}: {msg}\n{quote}"
