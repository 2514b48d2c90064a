"""`lax.Precision` and the `precision=` argument of the dot-product functions.

JAX's precision selects how accelerators compute float32 products (bfloat16 passes,
tensorfloat32). `lax.dot_general`, `lax.dot`, `lax.conv_general_dilated`, `jnp.dot`,
`matmul`, `einsum`, `tensordot` and `vdot` accept every value JAX accepts (validated as
JAX validates it, with JAX's error for a bad one), and so does the
`jax_default_matmul_precision` option (and its context manager). The value becomes the
`precision` attribute of `mlax.dot_general` / `mlax.conv` (`precision_names`): the CPU
lowering ignores it (CPU code computes in the operands' dtype, as JAX's CPU does); the
StableHLO lowering emits it as the op's `precision_config`, and the tpu backend computes
with TPU numerics by it. The names of JAX's `DotAlgorithmPreset`s raise
NotImplementedError: mlax has no `DotAlgorithm`s yet.
"""
from __future__ import annotations

import enum

from mlax import core

_precision_strings: dict = {}


class Precision(enum.Enum):
    """Precision of matrix products on accelerators (no effect on the CPU): DEFAULT
    ('default', 'fastest', 'bfloat16'), HIGH ('high', 'bfloat16_3x', 'tensorfloat32'),
    HIGHEST ('highest', 'float32')."""
    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        return _precision_strings.get(value)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self.name}"

    def __str__(self):
        return self.name


_precision_strings.update({
    "highest": Precision.HIGHEST, "float32": Precision.HIGHEST, "high": Precision.HIGH,
    "bfloat16_3x": Precision.HIGH, "tensorfloat32": Precision.HIGH,
    "default": Precision.DEFAULT, "bfloat16": Precision.DEFAULT, "fastest": Precision.DEFAULT,
    None: Precision.DEFAULT,
})

# JAX's DotAlgorithmPreset names, which JAX also accepts as a precision string.
_DOT_ALGORITHM_PRESETS = frozenset([
    "DEFAULT", "ANY_F8_ANY_F8_F32", "ANY_F8_ANY_F8_F32_FAST_ACCUM", "ANY_F8_ANY_F8_ANY",
    "ANY_F8_ANY_F8_ANY_FAST_ACCUM", "F16_F16_F16", "F16_F16_F32", "BF16_BF16_BF16",
    "BF16_BF16_F32", "BF16_BF16_F32_X3", "BF16_BF16_F32_X6", "BF16_BF16_F32_X9",
    "TF32_TF32_F32", "TF32_TF32_F32_X3", "F32_F32_F32", "F64_F64_F64"])


def canonicalize_precision(precision):
    """None or a pair of Precisions for a `precision=` argument (None: the
    `jax_default_matmul_precision` option's); ValueError (JAX's message) for a value JAX
    does not take."""
    if precision is None:
        default = core.config.read("jax_default_matmul_precision")
        if default is None:
            return None
        try:
            return canonicalize_precision(default)
        except ValueError:
            raise ValueError(
                "jax_default_matmul_precision flag must be set to None, a value in "
                f"{list(_precision_strings)}, or the name of a lax.DotAlgorithmPreset, "
                f"but got {default}") from None
    if isinstance(precision, str):
        if precision in _precision_strings:
            return Precision(precision), Precision(precision)
        if precision in _DOT_ALGORITHM_PRESETS:
            raise NotImplementedError("mlax does not implement jax.lax.DotAlgorithmPreset yet "
                                      f"(precision={precision!r})")
    elif isinstance(precision, Precision):
        return precision, precision
    elif isinstance(precision, (list, tuple)) and len(precision) == 2 and \
            all(isinstance(p, Precision) for p in precision):
        return tuple(precision)
    elif isinstance(precision, (list, tuple)) and len(precision) == 2 and \
            all(isinstance(s, str) for s in precision):
        return canonicalize_precision(precision[0])[0], canonicalize_precision(precision[1])[0]
    raise ValueError(
        "Precision argument must be one of:\n"
        "- None,\n"
        f"- a string in {list(_precision_strings)},\n"
        "- a lax.Precision value,\n"
        "- a tuple of two lax.Precision values or strings,\n"
        "- a lax.DotAlgorithmPreset or the name of one of these presets, or\n"
        "- a lax.DotAlgorithm value;\n"
        f"but got {precision}.")


def precision_names(precision) -> tuple:
    """The `precision` attribute of `mlax.dot_general` / `mlax.conv` for a `precision=`
    argument: the (lhs, rhs) Precision names, DEFAULT for None as XLA's default."""
    pair = canonicalize_precision(precision)
    if pair is None:
        return ("DEFAULT", "DEFAULT")
    return (pair[0].name, pair[1].name)
