"""PTX from the NVVM stage, and ptxas.

`ptx(module, chip)` retargets the gpu.modules of a module at the NVVM stage to `chip`,
runs `gpu-module-to-binary{format=isa}` on a copy (LLVM's NVPTX backend, in process, with
libdevice built in) and returns the PTX of every kernel module. `ptxas(text, chip)`
assembles PTX with the ptxas of the `nvidia-cuda-nvcc` wheel (the `gpu` extra), which
checks it as the driver's JIT would.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from mlir import ir
from mlir.dialects import gpu

from mlax.backends import BackendError
from mlax.backends.cuda.pipelines import CHIPS
from mlax.passes import run_pipeline

PTXAS_HINT = "pip install 'mlax[gpu]' (the nvidia-cuda-nvcc wheel ships ptxas)"


def check_chip(chip):
    if chip not in CHIPS:
        raise BackendError(f"unknown GPU chip {chip!r}: the cuda backend generates code for "
                           f"{', '.join(CHIPS)}")
    return chip


def ptx(module, chip) -> dict[str, str]:
    """{gpu.module name: PTX text} of `module` (at the NVVM stage), generated for `chip`."""
    check_chip(chip)
    with module.context:
        return _ptx(module, chip)


def _ptx(module, chip):
    copy = ir.Module.parse(module.operation.get_asm(), module.context)
    target = ir.Attribute.parse(f'[#nvvm.target<O = 3, chip = "{chip}", features = '
                                f'"{CHIPS[chip]}">]')
    found = False
    for op in copy.body.operations:
        if op.operation.name == "gpu.module":
            op.operation.attributes["targets"] = target
            found = True
    if not found:
        return {}
    try:
        run_pipeline(copy, "gpu-module-to-binary{format=isa}")
    except ir.MLIRError as e:
        raise BackendError(f"PTX generation failed: {e}") from None
    out = {}
    for op in copy.body.operations:
        if op.operation.name == "gpu.binary":
            name = ir.StringAttr(op.operation.attributes["sym_name"]).value
            for obj in ir.ArrayAttr(op.operation.attributes["objects"]):
                out[name] = gpu.ObjectAttr(obj).object.decode()
    return out


def ptxas_path() -> str | None:
    """ptxas from the nvidia-cuda-nvcc wheel in this environment, else on PATH."""
    for base in sys.path:
        p = os.path.join(base, "nvidia", "cu13", "bin", "ptxas")
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return shutil.which("ptxas")


def ptxas(text: str, chip: str) -> bytes:
    """Assemble PTX `text` for `chip` with ptxas; returns the cubin. Raises BackendError
    with ptxas' message when it rejects the code."""
    check_chip(chip)
    exe = ptxas_path()
    if exe is None:
        raise BackendError(f"ptxas not found: {PTXAS_HINT}")
    with tempfile.TemporaryDirectory(prefix="mlax-ptxas-") as d:
        src, out = os.path.join(d, "k.ptx"), os.path.join(d, "k.cubin")
        with open(src, "w") as f:
            f.write(text)
        r = subprocess.run([exe, f"-arch={chip}", src, "-o", out], capture_output=True,
                           text=True)
        if r.returncode:
            raise BackendError(f"ptxas rejected the PTX for {chip}: {r.stderr.strip()}")
        with open(out, "rb") as f:
            return f.read()
