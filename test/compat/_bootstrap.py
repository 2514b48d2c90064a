"""Runs one corpus program as `__main__`; an exception it lets escape becomes one `@error` line.

    python _bootstrap.py programs/name.py

The line carries the exception's type, the first line of its message and the program's line
the exception passed through last, so the runner can name the first error without parsing a
traceback. The traceback itself still goes to stderr, and the exit status is 1.
"""
import json
import os
import runpy
import sys
import traceback

path = os.path.abspath(sys.argv[1])
sys.argv = [path]
sys.path.insert(0, os.path.dirname(path))
try:
    runpy.run_path(path, run_name="__main__")
except Exception as e:  # noqa: BLE001 - whatever escapes the program is its result
    frames = traceback.extract_tb(e.__traceback__)
    line = next((f.lineno for f in reversed(frames) if os.path.abspath(f.filename) == path), None)
    message = str(e).strip().splitlines()
    print("@error " + json.dumps({"type": type(e).__name__, "message": message[0] if message else "",
                                  "line": line}), flush=True)
    traceback.print_exc()
    sys.exit(1)
