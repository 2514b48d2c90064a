"""`mlax-compile`: the compiler driver.

    mlax-compile model.py:predict --arg f32[10,5] --arg f32[5] --arg f32[20,10] -o linreg
    mlax-compile model.py:predict,update --fn predict --arg ... --fn update --arg ...
    mlax-compile kernel.mlir --emit asm --cpu x86-64-v3
    mlax-compile model.py:predict --arg f32[256,784] --target cuda --chip sm_90 --emit ptx

Input: `FILE.py:FUNCTION[,FUNCTION...]` with argument specs, or a `.mlir` file in the mlax
dialect (every public function with a body is an entry point). The Python file is
imported under its own name (code under `if __name__ == "__main__":` does not run); a
function may be plain or already `mlax.jit`-wrapped (its static arguments are kept).

Argument specs: a dtype and a shape, `f32[20,10]`, `i32[]` (or just `i32`), and pytrees
of them in Python syntax: `'{"W": f32[10,5], "b": f32[5]}'`, `'(f32[3], [i32[], None])'`.
Dtypes: bool, i8, i16, i32, i64, u8, u16, u32, u64, f16, bf16, f32, f64 (or NumPy names;
64-bit types need --x64). `--arg NAME=SPEC` passes a keyword argument. `--static
NAME=VALUE` fixes a static argument (a Python literal; anything else is a string).
`--args-json FILE` reads {"args": [...], "kwargs": {...}, "static": {...}} (or a bare
list of args) with spec strings as leaves.

Several functions: options before the first `--fn` apply to every function without a
section of its own; `--fn NAME` starts the section of function NAME.

--emit picks the output stage: mlax (as traced), mlax-opt (transforms expanded,
simplified), linalg, llvm (LLVM dialect), llvm-ir (LLVM IR after LLVM's -O pipeline;
-O0 gives the plain translation), asm, obj, or module (the default: an importable
compiled module directory, loaded by `mlax.runtime.load(path)` or `import`). Text goes
to -o or stdout; obj to -o or FILE.o; a module to -o or FILE_compiled/.
`--target cuda` has the stages linalg, gpu (host code launching outlined kernels), nvvm,
ptx and cubin (ptxas), for `--chip` (sm_80 by default).

Exit status: 0 on success, 1 when the input does not compile (with one diagnostic naming
the source line), 2 for a bad command line. `--debug` shows internal tracebacks.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback

from mlir import ir

from mlax import backends, passes
from mlax.backends import BackendError, BackendUnavailable, Timer, no_timer
from mlax.dialects import make_context
from mlax.stages import mlir_stages, stage_pipelines
from mlax.tools import opt
from mlax.tools.driver_errors import CompileError, UsageError
from mlax.tools.driver_inputs import Input, load_input
from mlax.tools.driver_specs import FunctionArgs, _static_value

# The docstring above is also `--help`'s epilog. This file holds the command line and the
# stages; argument specs are in driver_specs.py, loading the input in driver_inputs.py,
# errors and diagnostics in driver_errors.py.


# ---------------------------------------------------------------------------------------
# Command line

class _Section(argparse.Action):
    def __call__(self, parser, ns, value, option=None):
        ns.sections.append(FunctionArgs(value))


class _InSection(argparse.Action):
    def __call__(self, parser, ns, value, option=None):
        sec = ns.sections[-1]
        if option == "--arg":
            name, eq, spec = value.partition("=")
            if eq and name.isidentifier():
                if name in sec.kwargs:
                    raise UsageError(f"--arg {name}= given twice")
                sec.kwargs[name] = spec
            else:
                sec.args.append(value)
        elif option == "--static":
            name, eq, v = value.partition("=")
            if not eq or not name:
                raise UsageError(f"--static needs NAME=VALUE, got '{value}'")
            sec.static[int(name) if name.isdigit() else name] = _static_value(v)
        else:
            sec.args_json = value


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def make_parser():
    p = _Parser(prog="mlax-compile", add_help=False,
                description="The mlax compiler driver: Python functions or mlax IR to any "
                            "stage, down to importable compiled modules.",
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("input", nargs="?", help="FILE.py:FUNCTION[,FUNCTION...] or FILE.mlir")
    p.add_argument("-h", "--help", action="store_true", help="show this message")
    p.add_argument("--fn", action=_Section, metavar="NAME",
                   help="start the arguments of function NAME")
    p.add_argument("--arg", action=_InSection, metavar="[NAME=]SPEC",
                   help="the next argument's spec (repeat per argument)")
    p.add_argument("--static", action=_InSection, metavar="NAME=VALUE",
                   help="a static argument's value")
    p.add_argument("--args-json", action=_InSection, metavar="FILE",
                   help="arguments from a JSON file")
    p.add_argument("--target", default="cpu",
                   help="the target, a backend: " + ", ".join(backends.names())
                   + " (default: cpu)")
    p.add_argument("--emit", default="module",
                   help="a stage of the target (cpu: " + "|".join(emit_stages(backends.get("cpu")))
                   + "; default: module)")
    p.add_argument("-o", dest="output", metavar="PATH", help="output file or module directory")
    p.add_argument("--passes", metavar="PIPELINE",
                   help="a pass pipeline replacing the target's own (mlax -> its last MLIR "
                   "stage)")
    p.add_argument("--print-ir-after-all", action="store_true",
                   help="print the IR after every pass (stderr)")
    p.add_argument("--timing", action="store_true", help="print each stage's time (stderr)")
    p.add_argument("--cpu", help="the CPU to generate code for, as llc -mcpu (default: this "
                   "machine's)")
    p.add_argument("--chip", help="the GPU chip to generate code for (cuda: sm_80 (default), "
                   "sm_90, ...)")
    p.add_argument("--cpu-features", help="CPU features to generate code for, as llc -mattr "
                   "(e.g. -avx512f)")
    p.add_argument("--target-triple", help="the LLVM triple to generate code for (llvm-ir, asm, "
                   "obj; default: this machine's)")
    p.add_argument("-O", dest="opt_level", type=int, choices=(0, 1, 2, 3), default=3,
                   help="LLVM optimization level (default 3)")
    p.add_argument("--x64", action="store_true", help="enable 64-bit dtypes (jax_enable_x64)")
    p.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    p.add_argument("--debug", action="store_true", help="show internal tracebacks")
    return p


class Options:
    pass


def parse_args(argv) -> Options:
    parser = make_parser()
    ns = argparse.Namespace(sections=[FunctionArgs()])
    parser.parse_args(argv, namespace=ns)
    opts = Options()
    opts.__dict__.update(vars(ns))
    if opts.help:
        return opts
    if not opts.input:
        raise UsageError("no input: give FILE.py:FUNCTION or FILE.mlir")
    try:
        opts.backend = backends.get(opts.target)
    except BackendUnavailable as e:
        raise UsageError(str(e)) from None
    emits = emit_stages(opts.backend)
    if opts.emit not in emits:
        raise UsageError(f"unknown --emit stage '{opts.emit}' (stages of target "
                         f"{opts.target}: {', '.join(emits)})")
    mlir = mlir_stages(opts.backend)
    if opts.passes is not None and opts.emit in mlir[1:-1]:
        raise UsageError(f"--emit {opts.emit} names a stage of the default pipeline; with "
                         f"--passes, --emit {mlir[-1]} prints the custom pipeline's output")
    try:
        if opts.chip and opts.cpu:
            raise UsageError("give --cpu (a CPU) or --chip (a GPU), not both")
        opts.machine = opts.backend.machine_target(opts.target_triple, opts.chip or opts.cpu,
                                                   opts.cpu_features)
    except BackendError as e:
        raise UsageError(str(e)) from None
    if opts.target_triple and opts.emit == "module" and \
            opts.machine.arch != opts.backend.machine_target().arch:
        raise UsageError("a module for another architecture cannot be linked here: "
                         "use --emit obj or asm with --target-triple")
    path, names = _split_input(opts.input)
    opts.path, opts.names = path, names
    opts.is_mlir = path.endswith(".mlir") or path == "-"
    if opts.is_mlir:
        if names:
            raise UsageError(".mlir input names no function: its public functions are the "
                             "entry points")
        if any(not s.empty() or s.name for s in opts.sections):
            raise UsageError("--fn/--arg/--static/--args-json are for FILE.py:FUNCTION input")
    else:
        if not path.endswith(".py"):
            raise UsageError(f"input '{opts.input}' is neither FILE.py:FUNCTION nor FILE.mlir")
        _assign_sections(opts)
    if path != "-" and not os.path.isfile(path):
        raise UsageError(f"cannot open input file '{path}'")
    return opts


def _split_input(text):
    """`dir/file.py:f,g` -> ('dir/file.py', ['f', 'g']); `file.mlir` -> ('file.mlir', [])."""
    idx = text.rfind(".py:")
    if idx >= 0:
        names = [n.strip() for n in text[idx + 4:].split(",") if n.strip()]
        return text[:idx + 3], names
    return text, []


def _assign_sections(opts):
    default, sections = opts.sections[0], opts.sections[1:]
    by_name = {}
    for s in sections:
        if s.name in by_name:
            raise UsageError(f"--fn {s.name} given twice")
        if opts.names and s.name not in opts.names:
            raise UsageError(f"--fn {s.name}: not among the functions named in "
                             f"'{opts.input}' ({', '.join(opts.names)})")
        by_name[s.name] = s
    names = opts.names or [s.name for s in sections]
    if not names:
        raise UsageError(f"name the function to compile: {opts.path}:FUNCTION")
    if len(names) != len(set(names)):
        raise UsageError("a function is named twice")
    opts.functions = []
    for n in names:
        s = by_name.get(n)
        if s is None:
            s = FunctionArgs(n)
            s.args, s.kwargs, s.static, s.args_json = (list(default.args), dict(default.kwargs),
                                                        dict(default.static), default.args_json)
        opts.functions.append(s)


# ---------------------------------------------------------------------------------------
# Running the stages

def run_stage(inp: Input, stage: str, pipeline: str, opts, timer):
    with timer(stage), inp.ctx:
        pm, wrappers = passes.build_pass_manager(pipeline, inp.ctx, opts.print_ir_after_all)
        try:
            pm.run(inp.module.operation)
        except ir.MLIRError as e:
            flags = [f for f in opt._element_names(passes.split_pipeline(pipeline))
                     if f in passes.PASSES]
            for flag, w in zip(flags, wrappers):
                if w.error is not None:
                    if opts.debug:
                        raise w.error
                    raise CompileError(opt.format_pass_error(flag, w.error, inp.files)) from None
            raise CompileError(opt.format_mlir_error(e, inp.files)) from None


def check_passes(opts):
    if opts.passes is None:
        return
    try:
        passes.build_pass_manager(opts.passes, make_context())
    except ValueError as e:
        raise UsageError(f"invalid --passes pipeline: {e}".rstrip())


def _write(opts, data, default=None, binary=False):
    out = opts.output or default
    if out in (None, "-"):
        if binary:
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    try:
        with open(out, "wb" if binary else "w") as f:
            f.write(data)
    except OSError as e:
        raise CompileError(f"mlax-compile: error: cannot write '{out}': {e.strerror}\n") from None


def emit_stages(backend) -> tuple[str, ...]:
    """What --emit takes for `backend`: its stages, then `module` (its artifact)."""
    return backend.stage_names() + ("module",)


def run(opts) -> int:
    timer = Timer() if opts.timing else no_timer
    t0 = time.perf_counter()
    check_passes(opts)
    backend, machine = opts.backend, opts.machine
    inp = load_input(opts, timer)
    with timer("load passes"):
        passes.load_passes()
    mlir = mlir_stages(backend)
    mlir_stage = opts.emit if opts.emit in mlir else mlir[-1]
    for stage, pipeline in stage_pipelines(backend, mlir_stage, opts.passes):
        run_stage(inp, stage, pipeline, opts, timer)
    try:
        if opts.emit in mlir:
            _write(opts, inp.module.operation.get_asm(enable_debug_info=opts.mlir_print_debuginfo))
        elif opts.emit != "module":
            with timer(opts.emit), inp.ctx:
                data = backend.translate(inp.module, opts.emit, opts.opt_level, machine)
            suffix = {s.name: s.binary_suffix for s in backend.stages}.get(opts.emit)
            if suffix is not None:
                _write(opts, data, default=f"{inp.stem}{suffix}", binary=True)
            else:
                _write(opts, data.decode())
        else:
            out = opts.output or f"{inp.stem}_compiled"
            with inp.ctx:
                backend.save(out, [inp.module], inp.entries_meta, opts.opt_level, machine,
                             creator="mlax-compile", timer=timer)
    except BackendError as e:
        raise CompileError(f"mlax-compile: error: {e}\n") from None
    if opts.timing:
        total = time.perf_counter() - t0
        lines = ["mlax-compile timing (wall clock):"]
        for name, dt in timer.times:
            lines.append(f"  {dt * 1e3:9.1f} ms  {name}")
        lines.append(f"  {total * 1e3:9.1f} ms  total")
        sys.stderr.write("\n".join(lines) + "\n")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        opts = parse_args(argv)
        if opts.help:
            sys.stdout.write(make_parser().format_help())
            return 0
        return run(opts)
    except UsageError as e:
        sys.stderr.write(f"mlax-compile: error: {e}\n(see mlax-compile --help)\n")
        return 2
    except CompileError as e:
        if debug and e.__cause__ is not None:
            traceback.print_exception(e.__cause__)
        sys.stderr.write(str(e))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a traceback, unless asked for
        if debug:
            raise
        sys.stderr.write(f"mlax-compile: internal error: {type(e).__name__}: {e}\n"
                         "(rerun with --debug for a traceback)\n")
        return 1
