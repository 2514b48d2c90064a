"""`mlax-opt`: mlir-opt for mlax.

Reads a .mlir file (mlax and upstream dialects), verifies it (`mlax-verify` always runs
first), runs the passes named on the command line in order, and prints the result:

    mlax-opt in.mlir --mlax-simplify --mlax-lower-to-linalg --canonicalize
    mlax-opt in.mlir --pipeline=cpu -o out.mlir
    mlax-opt in.mlir --pass-pipeline='builtin.module(mlax-dce,func.func(cse))'

Every `--flag` that is not one of the options below names a pass: an mlax pass from
`mlax.passes.PASSES` or any upstream pass (`--name`, `--name{opts}`, `--name=opts`). An
option an mlax pass does not declare, or a value of the wrong type, is an error.
Errors (parse, verify, unknown pass, failing pass) print as `file:line:col: error: ...`
and exit 1; a missing input file exits 2. A Python traceback is a bug in mlax-opt:
`--debug` shows it.
"""
from __future__ import annotations

import os
import re
import sys

from mlir import ir

from mlax import backends, passes
from mlax.dialects import MAX_BYTES, make_context
from mlax.transforms import MLAX_OPT


def register_passes():
    """Register every pass mlax-opt can run: the target-neutral ones and each available
    backend's (importing a backend registers its passes)."""
    passes.load_passes()
    named_pipelines()


def named_pipelines() -> dict:
    """`--pipeline=<name>`: mlax-opt (the target-neutral one), then every available
    backend's (importing a backend registers its passes)."""
    out = {"mlax-opt": MLAX_OPT}
    for name in backends.names():
        try:
            out.update(backends.get(name).named_pipelines)
        except backends.BackendUnavailable:
            pass
    return out

USAGE = """\
usage: mlax-opt [file|-] [--<pass>[{options}]]... [--pass-pipeline='...'] [--pipeline=<name>]
                [-o <file>] [--split-input-file] [--print-ir-after-all] [--mlir-timing]
                [--mlir-print-debuginfo] [--mlir-print-op-generic] [--mlir-print-local-scope]
                [--allow-unregistered-dialect] [--debug]

Parses the input (stdin when absent or '-') with the mlax dialect loaded, runs
mlax-verify, then each pass in command-line order, and prints the module.

options:
  -o <file>                   write the output to <file> (default: stdout)
  --pass-pipeline=<pipeline>  a pass pipeline, with or without builtin.module(...)
  --pipeline=<name>           a named mlax pipeline (listed below)
  --split-input-file          process each '// -----' chunk separately
  --print-ir-after-all        print the IR after every pass (to stderr)
  --mlir-timing               print pass timings (to stderr)
  --mlir-print-debuginfo      print locations
  --mlir-print-op-generic     print every op in generic form
  --mlir-print-local-scope    print attributes (affine maps) inline, without aliases
  --allow-unregistered-dialect
                              accept ops of unknown dialects
  --debug                     let internal errors raise with a traceback
  -h, --help                  show this message
  --<pass>[{opts}|=opts]      any mlax pass (below, with its options) or upstream MLIR pass
"""

SPLIT_MARKER = re.compile(r"^\s*// -----\s*$")


class UsageError(Exception):
    """A bad command line: exits 2."""


class InputError(Exception):
    """The input file cannot be read or the output file written: exits 2."""


class OptError(Exception):
    """A diagnosed failure (parse, verify, pass): exits 1. Its text is ready to print."""


# ---------------------------------------------------------------------------------------
# Command line

class Options:
    def __init__(self):
        self.input = None
        self.output = None
        self.pipeline: list[str] = []
        self.split_input_file = False
        self.print_ir_after_all = False
        self.timing = False
        self.debuginfo = False
        self.generic = False
        self.local_scope = False
        self.allow_unregistered = False
        self.debug = False
        self.help = False


def _strip_anchor(text: str) -> str:
    """`builtin.module(a,b)` -> `a,b`; other pipeline text as it is."""
    text = text.strip()
    m = re.fullmatch(r"builtin\.module\s*\((.*)\)", text, re.S)
    return m.group(1) if m else text


def parse_args(argv) -> Options:
    opts = Options()
    args = list(argv)
    i = 0

    def value(flag):
        nonlocal i
        if "=" in args[i]:
            return args[i].split("=", 1)[1]
        i += 1
        if i >= len(args):
            raise UsageError(f"{flag} needs a value")
        return args[i]

    while i < len(args):
        a = args[i]
        name = a.split("=", 1)[0]
        if a in ("-h", "--help", "-help"):
            opts.help = True
        elif name in ("-o", "--o"):
            opts.output = value("-o")
        elif name in ("--pass-pipeline", "-pass-pipeline"):
            opts.pipeline += passes.split_pipeline(_strip_anchor(value("--pass-pipeline")))
        elif name in ("--pipeline", "-pipeline"):
            key = value("--pipeline")
            named = named_pipelines()
            if key not in named:
                raise UsageError(f"unknown pipeline '{key}'; named pipelines: "
                                 + ", ".join(named))
            opts.pipeline += passes.split_pipeline(named[key])
        elif a in ("--split-input-file", "-split-input-file"):
            opts.split_input_file = True
        elif a in ("--print-ir-after-all", "-print-ir-after-all", "--mlir-print-ir-after-all"):
            opts.print_ir_after_all = True
        elif a in ("--mlir-timing", "-mlir-timing"):
            opts.timing = True
        elif a in ("--mlir-print-debuginfo", "-mlir-print-debuginfo"):
            opts.debuginfo = True
        elif a in ("--mlir-print-op-generic", "-mlir-print-op-generic"):
            opts.generic = True
        elif a in ("--mlir-print-local-scope", "-mlir-print-local-scope"):
            opts.local_scope = True
        elif a in ("--allow-unregistered-dialect", "-allow-unregistered-dialect"):
            opts.allow_unregistered = True
        elif a == "--debug":
            opts.debug = True
        elif a == "-" or not a.startswith("-"):
            if opts.input is not None:
                raise UsageError(f"more than one input file: '{opts.input}' and '{a}'")
            opts.input = a
        else:
            opts.pipeline.append(_pass_element(a))
        i += 1
    return opts


def _pass_element(flag: str) -> str:
    """`--name`, `--name{opts}` or `--name=opts` -> a pipeline element."""
    body = flag.lstrip("-")
    if not body:
        raise UsageError(f"bad option '{flag}'")
    brace, eq = body.find("{"), body.find("=")
    if eq != -1 and (brace == -1 or eq < brace):
        name, options = body[:eq], body[eq + 1:].strip("'\"")
        return f"{name}{{{options}}}"
    return body


def usage() -> str:
    register_passes()
    width = max(len(f) for f in passes.PASSES) + 4
    lines = [USAGE, "mlax passes:"]
    for flag, p in sorted(passes.PASSES.items()):
        lines.append(f"  --{flag:<{width}}{p.summary()}")
        for o in p.options():
            what = f"{o.name}=<{o.type.__name__}>"
            lines.append(f"      {what:<{width - 2}}{o.help} (default: {o.default})")
    lines.append("\nnamed pipelines (--pipeline=<name>):")
    for name, text in named_pipelines().items():
        lines.append(f"  {name:<{width + 2}}{text}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Diagnostics

def _file_loc(loc: ir.Location):
    """(file, line, col) of the first file location inside `loc`, or None."""
    if loc.is_a_file():
        return loc.filename, loc.start_line, loc.start_col
    if loc.is_a_name():
        return _file_loc(loc.child_loc)
    if loc.is_a_callsite():
        return _file_loc(loc.callee)
    if loc.is_a_fused():
        for sub in loc.locations:
            found = _file_loc(sub)
            if found:
                return found
    return None


class Source:
    """The input text, to quote the offending line under a diagnostic."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.lines = text.splitlines()

    def quote(self, file, line, col) -> str:
        if file != self.name or not 1 <= line <= len(self.lines):
            return ""
        return quote_line(self.lines[line - 1], col)


QUOTE_WIDTH = 160


def quote_line(text: str, col: int) -> str:
    """A source line and a caret under column `col`; a long line is cut to a window of
    QUOTE_WIDTH characters around the column, marked with '...'."""
    col = max(col, 1)
    if len(text) > QUOTE_WIDTH:
        start = max(0, min(col - 1 - QUOTE_WIDTH // 2, len(text) - QUOTE_WIDTH))
        head = "..." if start > 0 else ""
        tail = "..." if start + QUOTE_WIDTH < len(text) else ""
        text = head + text[start:start + QUOTE_WIDTH] + tail
        col = col - start + len(head)
    return f"{text}\n{' ' * (col - 1)}^\n"


def format_diagnostic(diag, source: Source, severity="error") -> str:
    fl = _file_loc(diag.location)
    where = f"{fl[0]}:{fl[1]}:{fl[2]}" if fl else str(diag.location)
    out = f"{where}: {severity}: {diag.message}\n"
    if fl and severity == "error":
        out += source.quote(*fl)
    for note in diag.notes:
        out += format_diagnostic(note, source, "note")
    return out


def format_mlir_error(e: ir.MLIRError, source: Source) -> str:
    if not e.error_diagnostics:
        return f"{source.name}: error: {e}\n"
    return "".join(format_diagnostic(d, source) for d in e.error_diagnostics)


_LOC = re.compile(r'loc\("([^"]*)":(\d+):(\d+)(?: to [^)]*)?\)')
_AT_LOC = re.compile(r"\s*\(at ([^()\s]+:\d+:\d+)\)")


def format_pass_error(flag: str, e: Exception, source: Source) -> str:
    """A Python pass's exception as `file:line:col: error: ...` lines.

    mlax passes put the op's location in their messages (`loc("f.mlir":3:8): error:
    ...` or `... (at loc("f.mlir":3:8))`); this moves it to the front, as MLIR does."""
    out = ""
    for line in str(e).splitlines() or [type(e).__name__]:
        line = _LOC.sub(r"\1:\2:\3", line)
        m = re.match(r"^(\S+):(\d+):(\d+): error: ", line)
        if m:
            out += line + "\n" + source.quote(m.group(1), int(m.group(2)), int(m.group(3)))
            continue
        at = _AT_LOC.search(line)
        if at:
            where = at.group(1)
            file, ln, col = where.rsplit(":", 2)
            msg = _AT_LOC.sub("", line)
            out += f"{where}: error: {msg}\n" + source.quote(file, int(ln), int(col))
        else:
            out += f"{source.name}: error: {flag}: {line}\n"
    return out


# ---------------------------------------------------------------------------------------
# Checks of the text before MLIR parses it

# The deepest nesting of brackets ((, [, {, <) the tools accept. MLIR's parser, verifier,
# printer and passes recurse once per level of regions, attributes and types, and a C++
# stack overflow cannot be caught: a module nested 3000 regions deep ends the process. The
# text is checked before anything recursive sees it; a limit far above what any program
# (or mlax's own output) nests keeps every later stage well inside the stack.
MAX_NESTING = 256

# Text on which MLIR 22's parser or its Python bindings crash (an assertion or an
# uncaught C++ exception, which end the process), found by scripts/fuzz_tools.py, and
# what to say instead ({0}: the pattern's group). Checked outside strings and comments.
PARSER_CRASHES = [
    # The parser takes `index` as a dense array's element type, then asks index for a bit
    # width and asserts. The bindings cast dense arrays of i1, i8, i16, i32, i64, f32 and
    # f64 only; reading any other from Python (a pass reading attributes) terminates.
    (re.compile(r"\barray\s*<\s*(?!(?:i1|i8|i16|i32|i64|f32|f64)(?![\w<]))([^\s:>]+)"),
     "array attributes of {0} elements are not supported (element types: i1, i8, i16, "
     "i32, i64, f32, f64)"),
    # A use of result number N of a value makes the parser allocate N placeholders first:
    # `%0#2147483648` runs out of memory (LLVM's "out of memory" ends the process).
    (re.compile(r"%[\w.$-]+#0*([1-9]\d{6,})"),
     "result number {0} is out of range (mlax reads at most 999999 results of an op)"),
]

_STRINGS_AND_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*')
# Brackets, and what the nesting check skips: strings, comments, the `>` of `->`.
_BRACKETS = re.compile(_STRINGS_AND_COMMENTS.pattern + r'|->|[\[({<\])}>]')
# The shape of a tensor, memref or vector type: `tensor<4x?x8xf32>` -> "4x?x8x".
_SHAPE = re.compile(r"\b(?:tensor|memref|vector)\s*<\s*((?:(?:\d+|\?|\[\d+\])\s*x\s*)+)")


def _code_only(text: str) -> str:
    """`text` with strings and comments blanked out (same length, same lines)."""
    return _STRINGS_AND_COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def _error_at(source: "Source", text: str, pos: int, message: str) -> "OptError":
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return OptError(f"{source.name}:{line}:{col}: error: {message}\n"
                    + source.quote(source.name, line, col))


def _oversized_shape(text: str):
    """The first shape in `text` with more than 2**63 - 1 elements (zero-size dimensions
    counted as 1, as strides are), or None. Verifiers of memref reshapes compute strided
    layouts while parsing, and assert on the overflow before mlax-verify can run."""
    for m in _SHAPE.finditer(text):
        count = 1
        for d in re.findall(r"\d+", m.group(1)):
            count *= max(int(d), 1)
        if count > MAX_BYTES:
            return m
    return None


def check_text(text: str, source: "Source"):
    """Raise OptError where MLIR's parser would crash on `text`: a shape with more
    elements than int64 counts, a pattern of PARSER_CRASHES, or brackets nested deeper
    than MAX_NESTING. (Strings and comments are blanked only once a raw search finds
    something: most input has nothing to find.)"""
    if _oversized_shape(text):
        m = _oversized_shape(_code_only(text))
        if m:
            dims = re.sub(r"\s", "", m.group(1))[:-1]
            raise _error_at(source, text, m.start(),
                            f"a shape of {dims} elements: more than 2**63 - 1")
    for pattern, message in PARSER_CRASHES:
        if pattern.search(text):
            m = pattern.search(_code_only(text))
            if m:
                raise _error_at(source, text, m.start(), message.format(*m.groups()))
    if sum(text.count(c) for c in "([{<") <= MAX_NESTING:
        return
    depth = 0
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in ("(", "[", "{", "<"):
            depth += 1
            if depth > MAX_NESTING:
                raise _error_at(source, text, m.start(),
                                f"brackets nested more than {MAX_NESTING} deep; mlax does not "
                                "parse input nested this deeply")
        elif c in (")", "]", "}", ">"):
            depth = max(depth - 1, 0)


# ---------------------------------------------------------------------------------------
# Reading and parsing

_MANY_OPS = "source must contain a single top-level operation"


def decode_source(data: bytes, name: str, tool: str = "mlax-opt") -> str:
    """The input's text; input that is not UTF-8 is an OptError at the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise OptError(f"{name}:{line}:{col}: error: invalid UTF-8 (byte "
                       f"0x{data[e.start]:02x}); {tool} reads UTF-8 text\n") from None


def read_source(path, tool: str = "mlax-opt"):
    """(name, text) of the file `path`, or of stdin when `path` is None or '-'.

    A file that cannot be read is an InputError, text that is not UTF-8 an OptError."""
    if path in (None, "-"):
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:   # a text stream put in sys.stdin's place
            return "<stdin>", sys.stdin.read()
        return "<stdin>", decode_source(stdin.read(), "<stdin>", tool)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(f"{tool}: error: could not open input file '{path}': "
                         f"{e.strerror}") from None
    return path, decode_source(data, path, tool)


def parse_module(text: str, source_name: str, ctx: ir.Context, path: str | None = None):
    """Parse a builtin.module, wrapping top-level ops in one as mlir-opt does.

    Returns (owner, module_op); keep `owner` alive while using the op. Locations name
    `source_name` with the text's own line numbers. Raises OptError for text MLIR would
    crash on (`check_text`), ir.MLIRError for text it does not parse."""
    check_text(text, Source(source_name, text))
    if path is not None:
        module = ir.Module.parseFile(path, ctx)
        return module, module.operation
    try:
        op = ir.Operation.parse(text, source_name=source_name, context=ctx)
    except ir.MLIRError as e:
        if _MANY_OPS not in str(e):
            raise
        op = None
    if op is not None and op.name == "builtin.module":
        return op, op.operation
    with ctx, ir.Location.unknown():
        module = ir.Module.create()
    if op is not None:
        module.body.append(op)
        return module, module.operation
    # Zero or several top-level ops (in stdin or a split chunk): parse them inside a module.
    # "module {" goes at the start of line 1, which keeps every line number; only the
    # columns of code on line 1 itself move (chunks after the first start blank).
    op = ir.Operation.parse("module {" + text + "\n}", source_name=source_name, context=ctx)
    return op, op.operation


def process(text: str, source: Source, opts: Options, ctx: ir.Context, path=None) -> str:
    """Parse, verify, run the pipeline, and return the printed module; raises OptError.

    With `path`, the module is read from that file (exact locations), else from `text`."""
    try:
        _owner, module = parse_module(text, source.name, ctx, path)
    except ir.MLIRError as e:
        raise OptError(format_mlir_error(e, source)) from None
    pm, wrappers = passes.build_pass_manager(",".join(["mlax-verify"] + opts.pipeline), ctx,
                                             opts.print_ir_after_all, opts.timing)
    try:
        pm.run(module)
    except ir.MLIRError as e:
        # build_pass_manager makes one wrapper per mlax pass, in pipeline order.
        flags = [f for f in _element_names(["mlax-verify"] + opts.pipeline) if f in passes.PASSES]
        for flag, w in zip(flags, wrappers):
            if w.error is not None:
                raise OptError(format_pass_error(flag, w.error, source)) from None
        raise OptError(format_mlir_error(e, source)) from None
    return module.get_asm(enable_debug_info=opts.debuginfo, print_generic_op_form=opts.generic,
                          use_local_scope=opts.local_scope)


def _element_names(elements):
    return [e.split("{")[0].strip() for e in elements]


def split_chunks(text: str):
    """Split at `// -----` lines; each chunk keeps its line numbers (padded with blank lines)."""
    chunks, cur, start = [], [], 0
    for n, line in enumerate(text.splitlines(keepends=True)):
        if SPLIT_MARKER.match(line):
            chunks.append("\n" * start + "".join(cur))
            cur, start = [], n + 1
        else:
            cur.append(line)
    chunks.append("\n" * start + "".join(cur))
    return chunks


_PIPELINE_PARSER = re.compile(
    r"^(MLIR Textual PassPipeline Parser|<Pass-Options-Parser>):(\d+:\d+:)?\s*(error:)?\s*")


def check_pipeline(opts: Options, ctx: ir.Context):
    """Build each pass once up front, so an unknown pass fails before any input is read."""
    for element in opts.pipeline:
        try:
            passes.build_pass_manager(element, ctx)
        except ValueError as e:
            # MLIR's message quotes the element with a caret under it; keep the sentences.
            lines = [_PIPELINE_PARSER.sub("", ln).strip() for ln in str(e).splitlines()]
            lines = [ln for ln in lines if ln and ln != element and set(ln) != {"^"}]
            raise OptError(f"mlax-opt: error: bad pass '{element}': {'; '.join(lines)}\n"
                           "(mlax passes and named pipelines: mlax-opt --help)\n") from None


# ---------------------------------------------------------------------------------------
# main

def run(opts: Options) -> int:
    name, text = read_source(opts.input)
    register_passes()
    ctx = make_context()
    ctx.allow_unregistered_dialects = opts.allow_unregistered
    check_pipeline(opts, ctx)
    source = Source(name, text)
    chunks = split_chunks(text) if opts.split_input_file else [text]
    whole_file = opts.input if len(chunks) == 1 and name != "<stdin>" else None
    outputs, failed = [], False
    for chunk in chunks:
        try:
            outputs.append(process(chunk, source, opts, ctx, whole_file))
        except OptError as e:
            sys.stderr.write(str(e))
            failed = True
            outputs.append("")
    result = "// -----\n".join(o if o.endswith("\n") or not o else o + "\n" for o in outputs)
    if opts.output:
        try:
            with open(opts.output, "w", encoding="utf-8") as f:
                f.write(result)
        except OSError as e:
            raise InputError(f"mlax-opt: error: could not write output file '{opts.output}': "
                             f"{e.strerror}") from None
    else:
        sys.stdout.write(result)
    return 1 if failed else 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    try:
        opts = parse_args(argv)
        if opts.help:
            sys.stdout.write(usage())
            return 0
        return run(opts)
    except UsageError as e:
        sys.stderr.write(f"mlax-opt: error: {e}\n(see mlax-opt --help)\n")
        return 2
    except InputError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    except OptError as e:
        sys.stderr.write(str(e))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`mlax-opt x.mlir | head`)
        sys.stdout = open(os.devnull, "w")
        return 1
    except Exception as e:  # never a traceback, unless asked for
        if debug:
            raise
        sys.stderr.write(f"mlax-opt: internal error: {type(e).__name__}: {e}\n"
                         "(rerun with --debug for a traceback)\n")
        return 1
