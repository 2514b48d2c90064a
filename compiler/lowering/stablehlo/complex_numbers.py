"""real, imag, conj, complex and fft: StableHLO's real, imag, complex and fft ops; conj as
complex(real, -imag), as JAX lowers it."""
from __future__ import annotations

from mlax.lowering.stablehlo.builders import (enum_attr, i64s, imag_part, op1,
                                              real_part, same, ttype)


def _out(op):
    s = op.out_specs[0]
    return ttype(s.shape, s.dtype)


def _real(op):
    return [real_part(op.operands[0])]


def _imag(op):
    return [imag_part(op.operands[0])]


def _complex(op):
    return [op1("stablehlo.complex", op.operands, _out(op))]


def _conj(op):
    x = op.operands[0]
    return [op1("stablehlo.complex", [real_part(x), same("stablehlo.negate", imag_part(x))],
                _out(op))]


def _fft(op):
    a = op.attrs
    return [op1("stablehlo.fft", op.operands, _out(op),
                fft_type=enum_attr(f"#stablehlo<fft_type {a['fft_type']}>"),
                fft_length=i64s(a["fft_lengths"]))]


LOWERINGS = {
    "mlax.real": _real,
    "mlax.imag": _imag,
    "mlax.complex": _complex,
    "mlax.conj": _conj,
    "mlax.fft": _fft,
}
