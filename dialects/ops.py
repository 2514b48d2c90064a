"""The mlax dialect: one Python description per op.

Each `OpDef` names the op, its operands, its attributes (with their kinds) and a
result-type rule. The IRDL definition (`mlax.irdl.mlir`), the Python builders
(`mlax.dialects.create`), the type verifier (`--mlax-verify`) and the op reference in
docs/dialect.md all come from this table.

Operand names: a leading `*` marks a variadic group (homogeneous: IRDL binds one
constraint per group). Names listed together in a `same` group share one IRDL
constraint, so the verifier checks that their types are equal.

Result-type rules take the operands' `TensorSpec`s and the attributes as Python values
and return the results' `TensorSpec`s, raising `TypeError` with a plain message when the
operands do not fit.

Ops whose operand lists mix types (transforms, control flow, calls) are not IRDL ops:
IRDL in MLIR 22 gives a variadic group one type. They are `func.func` declarations
annotated with `mlax.*` attributes and called with `func.call`; see
`mlax.dialects.structural`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .types import TensorSpec, short_dtype_name
from mlax.runtime.dtypes import is_float

# Attribute kinds -> IRDL base constraint.
ATTR_KINDS = {
    "i64s": "#builtin.dense_array",   # tuple of ints
    "i64": "#builtin.integer",        # int
    "bool": "#builtin.integer",       # bool (i1)
    "f64": "#builtin.float",          # float
    "str": "#builtin.string",         # str
    "strs": "#builtin.array",         # tuple of str
    "dtype": "#builtin.type",         # element dtype
}


@dataclass(frozen=True)
class OpDef:
    name: str                                  # without the "mlax." prefix
    operands: tuple                            # operand names, "*name" for a variadic group
    results: tuple                             # result names, "*name" for a variadic group
    infer: Callable                            # (specs, **attrs) -> list[TensorSpec]
    attrs: dict = field(default_factory=dict)  # attribute name -> kind (ATTR_KINDS)
    same: tuple = ()                           # groups of operand/result names with one type
    doc: str = ""

    @property
    def full_name(self):
        return "mlax." + self.name


OPS: dict[str, OpDef] = {}


def defop(name, operands, results=("out",), attrs=None, same=(), doc=""):
    """Decorator registering a result-type rule as the op `mlax.<name>`."""
    def register(infer):
        op = OpDef(name, tuple(operands), tuple(results), infer, dict(attrs or {}),
                   tuple(tuple(g) for g in same), doc or (infer.__doc__ or "").strip())
        OPS[op.full_name] = op
        return infer
    return register


# ---------------------------------------------------------------------------------------
# Shape helpers

def _fail(msg):
    raise TypeError(msg)


def _same_specs(name, specs):
    first = specs[0]
    for s in specs[1:]:
        if s != first:
            _fail(f"{name} requires operands of one shape and dtype, got "
                  + ", ".join(str(x) for x in specs))
    return first


def _check_axes(name, axes, rank):
    for a in axes:
        if not 0 <= a < rank:
            _fail(f"{name}: axis {a} is out of range for rank {rank}")


def _is_float(dtype):
    return is_float(dtype)


# Arithmetic that, as in JAX's lax, has no meaning on booleans (stored as i1, `add` would
# be xor and True + True False): a TypeError, as jax.lax raises. mlax.numpy gives bools
# JAX's meaning first (add -> or, multiply -> and, sum -> an integer sum).
NOT_BOOL = {"add", "sub", "mul", "div", "rem", "pow", "neg", "sign", "integer_pow",
            "shift_left", "shift_right_logical", "shift_right_arithmetic",
            "reduce_sum", "reduce_prod", "cumsum", "cumprod"}


def _check_not_bool(name, specs):
    if name in NOT_BOOL and any(s.dtype == np.bool_ for s in specs):
        _fail(f"mlax.{name} does not accept dtype bool")


# Binary ops defined on floats only, as in JAX's lax (integer powers are integer_pow).
FLOAT_ONLY = {"pow", "atan2", "nextafter"}


def _check_float(name, specs):
    if name == "pow" and all(_is_complex(s.dtype) for s in specs):
        return
    if name in FLOAT_ONLY and not all(_is_float(s.dtype) for s in specs):
        _fail(f"mlax.{name} needs floating-point operands, got "
              + ", ".join(np.dtype(s.dtype).name for s in specs))


def _is_int(dtype):
    return np.dtype(dtype).kind in "iu"


def _is_complex(dtype):
    return np.dtype(dtype).kind == "c"


def real_dtype(dtype) -> np.dtype:
    """The dtype of the parts of a complex `dtype` (float32 for complex64)."""
    return np.dtype(np.float64 if np.dtype(dtype) == np.complex128 else np.float32)


def complex_dtype(dtype) -> np.dtype:
    """The complex dtype whose parts are float `dtype` (complex64 for float32)."""
    return np.dtype(np.complex128 if np.dtype(dtype) == np.float64 else np.complex64)


# The elementwise, reduction and cumulative ops that take complex operands (JAX's set).
# abs of a complex number is real; comparisons are eq and ne only, as in JAX; max, min and
# their reductions and scans, and sort, order complex numbers lexicographically (real part
# first), as JAX's lowerings do.
COMPLEX_OK = {"neg", "abs", "sign", "exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic",
              "sin", "cos", "tan", "asin", "acos", "atan",
              "sinh", "cosh", "asinh", "acosh", "atanh", "sqrt", "rsqrt", "stop_gradient", "copy",
              "add", "sub", "mul", "div", "pow", "eq", "ne", "integer_pow",
              "reduce_sum", "reduce_prod", "cumsum", "cumprod",
              "max", "min", "reduce_max", "reduce_min", "cummax", "cummin", "sort"}


def _check_complex(name, specs):
    if name not in COMPLEX_OK and any(_is_complex(s.dtype) for s in specs):
        dtype = next(np.dtype(s.dtype).name for s in specs if _is_complex(s.dtype))
        _fail(f"mlax.{name} does not accept complex operands (got {dtype})"
              + ("; complex numbers are not ordered" if name in ORDERED else ""))


# Ops that order their operands: undefined for complex numbers, as in JAX.
ORDERED = {"lt", "le", "gt", "ge", "max", "min", "reduce_max", "reduce_min", "cummax",
           "cummin", "argmax", "argmin", "sort", "top_k", "clamp", "floor", "ceil", "round",
           "rem", "nextafter", "atan2"}


# ---------------------------------------------------------------------------------------
# Elementwise families

# Elementwise ops of one operand whose result has the operand's type, by family: arithmetic
# (negation, absolute value, sign, rounding), math functions, bitwise ops, and identities.
UNARY_ARITHMETIC = ["neg", "abs", "sign", "floor", "ceil", "round"]
UNARY_MATH = ["exp", "exp2", "log", "log1p", "expm1", "tanh", "logistic", "sin", "cos", "tan",
              "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sqrt",
              "rsqrt", "cbrt", "erf", "erfc", "erf_inv", "lgamma", "digamma",
              # log, log1p and erf by XLA's CPU algorithms, bit for bit (mlax.random's samplers)
              "xla_log", "xla_log1p", "xla_erf"]
UNARY_BITWISE = ["not", "population_count"]
UNARY_IDENTITY = ["stop_gradient", "copy"]   # the value itself (a gradient barrier, a copy)
UNARY = UNARY_ARITHMETIC + UNARY_MATH + UNARY_BITWISE + UNARY_IDENTITY
# Elementwise ops of two operands of one type, and comparisons (bool results).
BINARY = ["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "and", "or",
          "xor", "shift_left", "shift_right_logical", "shift_right_arithmetic", "nextafter"]
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]


def _unary(name):
    def infer(specs):
        _check_not_bool(name, specs)
        _check_complex(name, specs)
        return [specs[0]]
    defop(name, ["x"], same=[["x", "out"]], doc=f"elementwise {name}")(infer)


def _binary(name):
    def infer(specs):
        _check_not_bool(name, specs)
        _check_float(name, specs)
        _check_complex(name, specs)
        return [_same_specs(f"mlax.{name}", specs)]
    defop(name, ["lhs", "rhs"], same=[["lhs", "rhs", "out"]], doc=f"elementwise {name}")(infer)


def _compare(name):
    def infer(specs):
        s = _same_specs(f"mlax.{name}", specs)
        _check_complex(name, specs)
        return [TensorSpec(s.shape, np.dtype(np.bool_))]
    defop(name, ["lhs", "rhs"], same=[["lhs", "rhs"]], doc=f"elementwise comparison {name}, i1 result")(infer)


for _n in UNARY:
    if _n != "abs":
        _unary(_n)
for _n in BINARY:
    _binary(_n)
for _n in COMPARE:
    _compare(_n)


@defop("abs", ["x"])
def _abs(specs):
    """elementwise absolute value; of a complex number, its (real) modulus"""
    x = specs[0]
    _check_not_bool("abs", specs)
    return [TensorSpec(x.shape, real_dtype(x.dtype)) if _is_complex(x.dtype) else x]


# ---------------------------------------------------------------------------------------
# Complex numbers

def _complex_part(name, doc):
    def infer(specs):
        x = specs[0]
        if not _is_complex(x.dtype):
            _fail(f"mlax.{name} needs a complex operand, got {x}")
        return [TensorSpec(x.shape, real_dtype(x.dtype))]
    defop(name, ["x"], doc=doc)(infer)


_complex_part("real", "the real part of each complex element")
_complex_part("imag", "the imaginary part of each complex element")


@defop("conj", ["x"], same=[["x", "out"]])
def _conj(specs):
    """the complex conjugate of each element"""
    if not _is_complex(specs[0].dtype):
        _fail(f"mlax.conj needs a complex operand, got {specs[0]}")
    return [specs[0]]


@defop("complex", ["re", "im"], same=[["re", "im"]])
def _complex(specs):
    """re + i im, elementwise, from two float32 (float64) operands: complex64 (complex128)"""
    s = _same_specs("mlax.complex", specs)
    if s.dtype not in (np.float32, np.float64):
        _fail(f"mlax.complex needs float32 or float64 operands, got {s}")
    return [TensorSpec(s.shape, complex_dtype(s.dtype))]


@defop("is_finite", ["x"])
def _is_finite(specs):
    """true where x is neither infinite nor NaN"""
    _check_complex("is_finite", specs)
    return [TensorSpec(specs[0].shape, np.dtype(np.bool_))]


@defop("integer_pow", ["x"], attrs={"y": "i64"}, same=[["x", "out"]])
def _integer_pow(specs, y):
    """x ** y for a static integer y"""
    _check_not_bool("integer_pow", specs)
    if _is_int(specs[0].dtype) and y < 0:
        _fail(f"Integers cannot be raised to negative powers, got integer_pow({specs[0]}, {y})")
    return [specs[0]]


@defop("select", ["pred", "on_true", "on_false"], same=[["on_true", "on_false", "out"]])
def _select(specs):
    """pred ? on_true : on_false, elementwise; pred is i1 of the same shape"""
    p, t, f = specs
    if p.dtype != np.bool_ or p.shape != t.shape:
        _fail(f"mlax.select: predicate must be bool{list(t.shape)}, got {p}")
    return [t]


@defop("clamp", ["lo", "x", "hi"], same=[["lo", "x", "hi", "out"]])
def _clamp(specs):
    """min(max(x, lo), hi)"""
    _check_complex("clamp", specs)
    return [specs[1]]


@defop("fma", ["a", "b", "c"], same=[["a", "b", "c", "out"]])
def _fma(specs):
    """a * b + c rounded once (fused multiply-add), elementwise on floats"""
    if not is_float(specs[0].dtype):
        _fail(f"mlax.fma needs floating-point operands, got {specs[0]}")
    return [specs[0]]


@defop("convert_element_type", ["x"], attrs={"new_dtype": "dtype"})
def _convert(specs, new_dtype):
    """converts each element to new_dtype (float->int truncates toward zero)"""
    return [TensorSpec(specs[0].shape, np.dtype(new_dtype))]


@defop("bitcast_convert_type", ["x"], attrs={"new_dtype": "dtype"})
def _bitcast(specs, new_dtype):
    """reinterprets the bits of each element as new_dtype (same width)"""
    if np.dtype(new_dtype).itemsize != specs[0].dtype.itemsize:
        _fail(f"mlax.bitcast_convert_type: {specs[0].dtype} and {np.dtype(new_dtype)} differ in width")
    return [TensorSpec(specs[0].shape, np.dtype(new_dtype))]


# ---------------------------------------------------------------------------------------
# Shape ops

@defop("iota", [], attrs={"dtype": "dtype", "shape": "i64s", "dimension": "i64"})
def _iota(specs, dtype, shape, dimension):
    """index along `dimension`, broadcast to `shape`"""
    _check_complex("iota", [TensorSpec((), np.dtype(dtype))])
    _check_axes("mlax.iota", [dimension], len(shape))
    return [TensorSpec(tuple(shape), np.dtype(dtype))]


@defop("broadcast_in_dim", ["x"], attrs={"shape": "i64s", "broadcast_dimensions": "i64s"})
def _broadcast_in_dim(specs, shape, broadcast_dimensions):
    """operand dim i becomes result dim broadcast_dimensions[i] (size equal or 1)"""
    x = specs[0]
    if len(broadcast_dimensions) != len(x.shape):
        _fail(f"mlax.broadcast_in_dim: {len(broadcast_dimensions)} broadcast dimensions for operand {x}")
    _check_axes("mlax.broadcast_in_dim", broadcast_dimensions, len(shape))
    for i, d in enumerate(broadcast_dimensions):
        if x.shape[i] not in (1, shape[d]):
            _fail(f"mlax.broadcast_in_dim: operand {x} dim {i} cannot broadcast to {list(shape)} dim {d}")
    return [TensorSpec(tuple(shape), x.dtype)]


@defop("reshape", ["x"], attrs={"new_sizes": "i64s"})
def _reshape(specs, new_sizes):
    """same elements in row-major order, new static shape"""
    x = specs[0]
    if int(np.prod(new_sizes, dtype=np.int64)) != int(np.prod(x.shape, dtype=np.int64)):
        _fail(f"mlax.reshape: cannot reshape {x} to {list(new_sizes)}")
    return [TensorSpec(tuple(new_sizes), x.dtype)]


@defop("transpose", ["x"], attrs={"permutation": "i64s"})
def _transpose(specs, permutation):
    """result dim i is operand dim permutation[i]"""
    x = specs[0]
    if sorted(permutation) != list(range(len(x.shape))):
        _fail(f"mlax.transpose: {list(permutation)} is not a permutation of the dims of {x}")
    return [TensorSpec(tuple(x.shape[p] for p in permutation), x.dtype)]


@defop("slice", ["x"], attrs={"start_indices": "i64s", "limit_indices": "i64s", "strides": "i64s"})
def _slice(specs, start_indices, limit_indices, strides):
    """static strided slice [start, limit) by stride"""
    x = specs[0]
    if not (len(start_indices) == len(limit_indices) == len(strides) == len(x.shape)):
        _fail(f"mlax.slice: index lists do not match the rank of {x}")
    out = []
    for s, l, st, n in zip(start_indices, limit_indices, strides, x.shape):
        if not (0 <= s <= l <= n) or st < 1:
            _fail(f"mlax.slice: [{s}:{l}:{st}] is out of bounds for a dim of size {n} in {x}")
        out.append(max(0, -(-(l - s) // st)))
    return [TensorSpec(tuple(out), x.dtype)]


@defop("dynamic_slice", ["x", "*indices"], attrs={"slice_sizes": "i64s"})
def _dynamic_slice(specs, slice_sizes):
    """slice of static size at dynamic start indices (clamped to stay in bounds)"""
    x, idx = specs[0], specs[1:]
    if len(idx) != len(x.shape) or len(slice_sizes) != len(x.shape):
        _fail(f"mlax.dynamic_slice: need {len(x.shape)} indices and sizes for {x}")
    for i in idx:
        if i.shape != () or not _is_int(i.dtype):
            _fail(f"mlax.dynamic_slice: indices must be integer scalars, got {i}")
    for s, n in zip(slice_sizes, x.shape):
        if not 0 <= s <= n:
            _fail(f"mlax.dynamic_slice: slice size {s} exceeds dim {n} of {x}")
    return [TensorSpec(tuple(slice_sizes), x.dtype)]


@defop("dynamic_update_slice", ["x", "update", "*indices"], same=[["x", "out"]])
def _dynamic_update_slice(specs):
    """x with `update` written at dynamic start indices (clamped to stay in bounds)"""
    x, u, idx = specs[0], specs[1], specs[2:]
    if len(idx) != len(x.shape) or len(u.shape) != len(x.shape) or u.dtype != x.dtype:
        _fail(f"mlax.dynamic_update_slice: update {u} and {len(idx)} indices do not fit {x}")
    if any(a > b for a, b in zip(u.shape, x.shape)):
        _fail(f"mlax.dynamic_update_slice: update {u} is larger than {x}")
    return [x]


@defop("concatenate", ["lhs", "rhs"], attrs={"dimension": "i64"})
def _concatenate(specs, dimension):
    """lhs and rhs joined along `dimension` (n-ary concatenation is a chain)"""
    a, b = specs
    _check_axes("mlax.concatenate", [dimension], len(a.shape))
    if a.dtype != b.dtype or len(a.shape) != len(b.shape) or any(
            x != y for i, (x, y) in enumerate(zip(a.shape, b.shape)) if i != dimension):
        _fail(f"mlax.concatenate: cannot join {a} and {b} along dim {dimension}")
    shape = list(a.shape)
    shape[dimension] += b.shape[dimension]
    return [TensorSpec(tuple(shape), a.dtype)]


@defop("pad", ["x", "padding_value"], attrs={"low": "i64s", "high": "i64s", "interior": "i64s"})
def _pad(specs, low, high, interior):
    """edge padding (low/high may be negative) and interior padding with a scalar"""
    x, v = specs
    if v.shape != () or v.dtype != x.dtype:
        _fail(f"mlax.pad: padding value must be a {short_dtype_name(x.dtype)} scalar, got {v}")
    shape = []
    for n, lo, hi, it in zip(x.shape, low, high, interior):
        size = lo + hi + n + max(0, n - 1) * it
        if size < 0 or it < 0:
            _fail(f"mlax.pad: padding ({lo}, {hi}, {it}) gives a negative size for {x}")
        shape.append(size)
    return [TensorSpec(tuple(shape), x.dtype)]


@defop("gather", ["operand", "indices"],
       attrs={"offset_dims": "i64s", "collapsed_slice_dims": "i64s", "start_index_map": "i64s",
              "operand_batching_dims": "i64s", "start_indices_batching_dims": "i64s",
              "slice_sizes": "i64s", "mode": "str"})
def _gather(specs, offset_dims, collapsed_slice_dims, start_index_map, operand_batching_dims,
            start_indices_batching_dims, slice_sizes, mode):
    """XLA gather; the index vector is the last dim of `indices`; out-of-bounds windows are moved into bounds (mode clip; promise_in_bounds too, but its gradient drops them) or read NaN / the integer minimum / true (mode fill)"""
    operand, indices = specs
    if mode not in ("clip", "fill", "promise_in_bounds"):
        _fail(f"mlax.gather: unknown mode {mode!r} (expected clip, fill or promise_in_bounds)")
    if len(slice_sizes) != len(operand.shape) or any(
            not 0 <= s <= n for s, n in zip(slice_sizes, operand.shape)):
        _fail(f"mlax.gather: slice sizes {list(slice_sizes)} do not fit {operand}")
    if not _is_int(indices.dtype):
        _fail(f"mlax.gather: indices must be integers, got {indices}")
    if indices.shape[-1:] != (len(start_index_map),):
        _fail(f"mlax.gather: last dim of indices {indices} must be {len(start_index_map)}")
    batch_shape = list(indices.shape[:-1])
    offset_sizes = [s for i, s in enumerate(slice_sizes)
                    if i not in collapsed_slice_dims and i not in operand_batching_dims]
    rank = len(batch_shape) + len(offset_sizes)
    shape, bi, oi = [], 0, 0
    for d in range(rank):
        if d in offset_dims:
            shape.append(offset_sizes[oi]); oi += 1
        else:
            shape.append(batch_shape[bi]); bi += 1
    return [TensorSpec(tuple(shape), operand.dtype)]


@defop("scatter", ["operand", "indices", "updates"],
       attrs={"kind": "str", "update_window_dims": "i64s", "inserted_window_dims": "i64s",
              "scatter_dims_to_operand_dims": "i64s", "operand_batching_dims": "i64s",
              "scatter_indices_batching_dims": "i64s", "mode": "str"},
       same=[["operand", "out"]])
def _scatter(specs, kind, update_window_dims, inserted_window_dims, scatter_dims_to_operand_dims,
             operand_batching_dims, scatter_indices_batching_dims, mode):
    """XLA scatter; kind is set|add|mul|min|max; out-of-bounds update windows are dropped (mode drop, fill, promise_in_bounds) or moved into bounds (mode clip)"""
    operand, indices, updates = specs
    if mode not in ("drop", "fill", "clip", "promise_in_bounds"):
        _fail(f"mlax.scatter: unknown mode {mode!r} (expected drop, clip, fill or promise_in_bounds)")
    if kind not in ("set", "add", "mul", "min", "max"):
        _fail(f"mlax.scatter: unknown kind {kind!r}")
    if updates.dtype != operand.dtype:
        _fail(f"mlax.scatter: updates {updates} must have the dtype of {operand}")
    return [operand]


# ---------------------------------------------------------------------------------------
# Reductions and contractions

def _reduce(name):
    def infer(specs, axes):
        x = specs[0]
        _check_not_bool(name, specs)
        _check_complex(name, specs)
        _check_axes(f"mlax.{name}", axes, len(x.shape))
        return [TensorSpec(tuple(n for i, n in enumerate(x.shape) if i not in axes), x.dtype)]
    defop(name, ["x"], attrs={"axes": "i64s"}, doc=f"{name} over `axes` (removed from the shape)")(infer)


for _n in ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and", "reduce_or"]:
    _reduce(_n)


def _argreduce(name):
    def infer(specs, axis, index_dtype):
        x = specs[0]
        _check_complex(name, specs)
        _check_axes(f"mlax.{name}", [axis], len(x.shape))
        return [TensorSpec(tuple(n for i, n in enumerate(x.shape) if i != axis), np.dtype(index_dtype))]
    defop(name, ["x"], attrs={"axis": "i64", "index_dtype": "dtype"},
          doc=f"{name} along `axis` (first occurrence; NaN counts as extreme)")(infer)


_argreduce("argmax")
_argreduce("argmin")


def _cumulative(name):
    def infer(specs, axis, reverse):
        _check_not_bool(name, specs)
        _check_complex(name, specs)
        _check_axes(f"mlax.{name}", [axis], len(specs[0].shape))
        return [specs[0]]
    defop(name, ["x"], attrs={"axis": "i64", "reverse": "bool"}, same=[["x", "out"]],
          doc=f"inclusive {name} along `axis`")(infer)


for _n in ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"]:
    _cumulative(_n)


# The precision of a product's operands on accelerators (XLA's PrecisionConfig, one entry
# per operand, JAX's lax.Precision names). CPU code computes in the operands' dtype whatever
# it says; TPUs round float32 operands to bfloat16 at DEFAULT (see docs/design.md).
PRECISIONS = ("DEFAULT", "HIGH", "HIGHEST")


def _check_precision(name, precision):
    if len(precision) != 2 or any(p not in PRECISIONS for p in precision):
        _fail(f"mlax.{name}: precision must be two of {', '.join(PRECISIONS)}, got "
              f"{list(precision)}")


@defop("dot_general", ["lhs", "rhs"],
       attrs={"lhs_contracting_dimensions": "i64s", "rhs_contracting_dimensions": "i64s",
              "lhs_batch_dimensions": "i64s", "rhs_batch_dimensions": "i64s",
              "precision": "strs"})
def _dot_general(specs, lhs_contracting_dimensions, rhs_contracting_dimensions,
                 lhs_batch_dimensions, rhs_batch_dimensions, precision):
    """batch dims, then lhs free dims, then rhs free dims (XLA DotGeneral); `precision`
    is the operands' (lhs, rhs) precision on accelerators"""
    a, b = specs
    _check_precision("dot_general", precision)
    lc, rc, lb, rb = (lhs_contracting_dimensions, rhs_contracting_dimensions,
                      lhs_batch_dimensions, rhs_batch_dimensions)
    if a.dtype != b.dtype:
        _fail(f"mlax.dot_general: operand dtypes differ: {a} and {b}")
    _check_axes("mlax.dot_general", list(lc) + list(lb), len(a.shape))
    _check_axes("mlax.dot_general", list(rc) + list(rb), len(b.shape))
    if len(lc) != len(rc) or len(lb) != len(rb):
        _fail("mlax.dot_general: contracting/batch dimension lists differ in length")
    for i, j in list(zip(lc, rc)) + list(zip(lb, rb)):
        if a.shape[i] != b.shape[j]:
            _fail(f"mlax.dot_general: incompatible shapes for dot: got {a.shape} and {b.shape}")
    shape = [a.shape[i] for i in lb]
    shape += [n for i, n in enumerate(a.shape) if i not in lc and i not in lb]
    shape += [n for i, n in enumerate(b.shape) if i not in rc and i not in rb]
    return [TensorSpec(tuple(shape), a.dtype)]


# ---------------------------------------------------------------------------------------
# Fourier transforms

FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")


@defop("fft", ["x"], attrs={"fft_type": "str", "fft_lengths": "i64s"})
def _fft(specs, fft_type, fft_lengths):
    """XLA's Fft over the last len(fft_lengths) dims: FFT / IFFT (normalized by 1/n) complex -> complex, RFFT real -> complex (last dim n // 2 + 1), IRFFT its inverse"""
    x = specs[0]
    if fft_type not in FFT_TYPES:
        _fail(f"mlax.fft: unknown fft_type {fft_type!r} (expected one of {', '.join(FFT_TYPES)})")
    lengths = tuple(fft_lengths)
    if not 1 <= len(lengths) <= 3 or len(lengths) > len(x.shape):
        _fail(f"mlax.fft: {len(lengths)} fft lengths for {x} (1 to 3, at most its rank)")
    batch, tail = x.shape[:len(x.shape) - len(lengths)], x.shape[len(x.shape) - len(lengths):]
    if fft_type == "RFFT":
        if x.dtype not in (np.float32, np.float64):
            _fail(f"mlax.fft: RFFT needs a float32 or float64 operand, got {x}")
        if tail != lengths:
            _fail(f"mlax.fft: RFFT lengths {list(lengths)} do not match the last dims of {x}")
        return [TensorSpec(batch + lengths[:-1] + (lengths[-1] // 2 + 1,), complex_dtype(x.dtype))]
    if not _is_complex(x.dtype):
        _fail(f"mlax.fft: {fft_type} needs a complex operand, got {x}")
    if fft_type == "IRFFT":
        if tail != lengths[:-1] + (lengths[-1] // 2 + 1,):
            _fail(f"mlax.fft: IRFFT lengths {list(lengths)} need last dims "
                  f"{list(lengths[:-1]) + [lengths[-1] // 2 + 1]}, got {x}")
        return [TensorSpec(batch + lengths, real_dtype(x.dtype))]
    if tail != lengths:
        _fail(f"mlax.fft: {fft_type} lengths {list(lengths)} do not match the last dims of {x}")
    return [x]


# ---------------------------------------------------------------------------------------
# Sorting and random bits

@defop("sort", ["keys", "*values"], results=("sorted_keys", "*sorted_values"),
       attrs={"dimension": "i64", "is_stable": "bool"},
       same=[["keys", "sorted_keys"], ["values", "sorted_values"]])
def _sort(specs, dimension, is_stable):
    """ascending sort of `keys` along `dimension`, permuting `values` alike (NaNs last)"""
    keys = specs[0]
    _check_complex("sort", specs[:1])
    _check_axes("mlax.sort", [dimension], len(keys.shape))
    for v in specs[1:]:
        if v.shape != keys.shape:
            _fail(f"mlax.sort: value {v} must have the shape of keys {keys}")
    return list(specs)


@defop("top_k", ["x"], results=("values", "indices"), attrs={"k": "i64"})
def _top_k(specs, k):
    """the k largest entries along the last dim, descending, and their int32 indices"""
    x = specs[0]
    _check_complex("top_k", specs)
    if not x.shape or not 0 <= k <= x.shape[-1]:
        _fail(f"mlax.top_k: k={k} does not fit the last dim of {x}")
    shape = x.shape[:-1] + (k,)
    return [TensorSpec(shape, x.dtype), TensorSpec(shape, np.dtype(np.int32))]


@defop("threefry2x32", ["k0", "k1", "x0", "x1"], results=("y0", "y1"),
       same=[["k0", "k1", "x0", "x1", "y0", "y1"]])
def _threefry(specs):
    """Threefry-2x32 block cipher (20 rounds), elementwise over uint32 operands"""
    if specs[0].dtype != np.uint32:
        _fail(f"mlax.threefry2x32: operands must be uint32, got {specs[0]}")
    return [specs[0], specs[0]]


# ---------------------------------------------------------------------------------------
# Linear algebra (JAX's lax.linalg primitives): leading dims are batch dims, the last two
# a matrix; float32 and float64 (lu, triangular_solve, qr, eigh, svd, eig, schur, geqrf and
# householder_product: complex64 and complex128 too).

def _matrix(name, x, square=False, complex_ok=False):
    if len(x.shape) < 2:
        _fail(f"mlax.{name} needs a matrix or a batch of matrices, got {x}")
    if x.dtype not in (np.float32, np.float64) and not (complex_ok and _is_complex(x.dtype)):
        _fail(f"mlax.{name} supports float32 and float64{', complex64 and complex128' * complex_ok}"
              f", got {x}")
    if square and x.shape[-1] != x.shape[-2]:
        _fail(f"mlax.{name} needs square matrices, got {x}")
    return x.shape[:-2], x.shape[-2], x.shape[-1]


@defop("cholesky", ["x"], same=[["x", "out"]])
def _cholesky(specs):
    """lower Cholesky factor L (x = L L^T) from the lower triangle of x; all NaN for a matrix that is not positive definite"""
    _matrix("cholesky", specs[0], square=True)
    return [specs[0]]


@defop("lu", ["x"], results=("lu", "pivots", "permutation"), same=[["x", "lu"]])
def _lu(specs):
    """LU with partial pivoting: L (unit, below the diagonal) and U packed in `lu`; int32 `pivots` (row i swapped with pivots[i]) and the row `permutation` they make"""
    x = specs[0]
    batch, m, n = _matrix("lu", x, complex_ok=True)
    i32 = np.dtype(np.int32)
    return [x, TensorSpec(batch + (min(m, n),), i32), TensorSpec(batch + (m,), i32)]


@defop("triangular_solve", ["a", "b"], same=[["b", "out"]],
       attrs={"left_side": "bool", "lower": "bool", "transpose_a": "bool", "unit_diagonal": "bool"})
def _triangular_solve(specs, left_side, lower, transpose_a, unit_diagonal):
    """x with op(a) x = b (left_side) or x op(a) = b, op(a) = a or a^T; only the triangle of a named by `lower` is read"""
    a, b = specs
    batch, m, _ = _matrix("triangular_solve", a, square=True, complex_ok=True)
    bbatch, bm, bn = _matrix("triangular_solve", b, complex_ok=True)
    if a.dtype != b.dtype or batch != bbatch or (bm if left_side else bn) != m:
        _fail(f"mlax.triangular_solve: a {a} does not fit b {b} "
              f"({'left' if left_side else 'right'} side)")
    return [b]


@defop("qr", ["x"], results=("q", "r"), attrs={"full_matrices": "bool"})
def _qr(specs, full_matrices):
    """x = q r, q with orthonormal columns (m x m when full_matrices, else m x min(m, n)), r upper triangular"""
    x = specs[0]
    batch, m, n = _matrix("qr", x, complex_ok=True)
    k = m if full_matrices else min(m, n)
    return [TensorSpec(batch + (m, k), x.dtype), TensorSpec(batch + (k, n), x.dtype)]


@defop("qr_pivoted", ["x"], results=("q", "r", "p"), attrs={"full_matrices": "bool"})
def _qr_pivoted(specs, full_matrices):
    """QR with column pivoting (LAPACK's geqp3): x[..., p] = q r, |diag r| non-increasing, p an int32 permutation of the columns; q and r as qr gives them"""
    x = specs[0]
    batch, m, n = _matrix("qr_pivoted", x)
    k = m if full_matrices else min(m, n)
    return [TensorSpec(batch + (m, k), x.dtype), TensorSpec(batch + (k, n), x.dtype),
            TensorSpec(batch + (n,), np.dtype(np.int32))]


@defop("schur", ["x"], results=("t", "vs"), attrs={"compute_schur_vectors": "bool"})
def _schur(specs, compute_schur_vectors):
    """the Schur form t (upper triangular; for a real matrix quasi-upper-triangular, with 2 x 2 blocks for complex conjugate pairs) and the unitary Schur vectors vs with x = vs t vs^H (LAPACK's gees, unsorted); vs has no columns without compute_schur_vectors; NaN where the solver fails"""
    x = specs[0]
    batch, n, _ = _matrix("schur", x, square=True, complex_ok=True)
    return [x, TensorSpec(batch + (n, n if compute_schur_vectors else 0), x.dtype)]


@defop("geqrf", ["x"], results=("a", "taus"))
def _geqrf(specs):
    """LAPACK's geqrf: QR as Householder reflectors, R on and above the diagonal of `a`, the reflectors' vectors below it (unit leading entries implied) and their scalar factors `taus` (min(m, n))"""
    x = specs[0]
    batch, m, n = _matrix("geqrf", x, complex_ok=True)
    return [x, TensorSpec(batch + (min(m, n),), x.dtype)]


@defop("householder_product", ["a", "taus"], same=[["a", "out"]])
def _householder_product(specs):
    """the first n columns of the product of the k Householder reflectors stored below the diagonal of `a` (m x n, m >= n) with scalar factors `taus` (k <= n): LAPACK's orgqr / ungqr"""
    a, taus = specs
    batch, m, n = _matrix("householder_product", a, complex_ok=True)
    if m < n:
        _fail(f"mlax.householder_product needs at least as many rows as columns, got {a}")
    if (len(taus.shape) != len(a.shape) - 1 or taus.shape[:-1] != batch
            or taus.shape[-1] > n or taus.dtype != a.dtype):
        _fail(f"mlax.householder_product: taus {taus} does not fit a {a} "
              f"(needs {np.dtype(a.dtype).name}[{', '.join(map(str, batch + ('k',)))}], k <= {n})")
    return [a]


@defop("eigh", ["x"], results=("v", "w"), attrs={"lower": "bool"})
def _eigh(specs, lower):
    """eigenvectors (columns of v) and ascending eigenvalues w (real) of a symmetric or Hermitian matrix, from its lower (or upper) triangle; NaN where the solver fails"""
    x = specs[0]
    batch, n, _ = _matrix("eigh", x, square=True, complex_ok=True)
    return [x, TensorSpec(batch + (n,), real_dtype(x.dtype) if _is_complex(x.dtype) else x.dtype)]


@defop("eig", ["x"], results=("w", "vl", "vr"),
       attrs={"compute_left": "bool", "compute_right": "bool"})
def _eig(specs, compute_left, compute_right):
    """eigenvalues w and left (vl) and right (vr) eigenvectors, as columns, of a general square matrix (LAPACK's geev: each eigenvector of unit 2-norm, its largest component real), all complex; an eigenvector result not asked for (compute_left / compute_right false) has no columns; NaN where the solver fails"""
    x = specs[0]
    batch, n, _ = _matrix("eig", x, square=True, complex_ok=True)
    c = complex_dtype(real_dtype(x.dtype) if _is_complex(x.dtype) else x.dtype)
    return [TensorSpec(batch + (n,), c), TensorSpec(batch + (n, n if compute_left else 0), c),
            TensorSpec(batch + (n, n if compute_right else 0), c)]


@defop("svd", ["x"], results=("s", "u", "vt"), attrs={"full_matrices": "bool"})
def _svd(specs, full_matrices):
    """x = u diag(s) vt, s descending (real); u m x m and vt n x n when full_matrices, else m x k and k x n (k = min(m, n)); NaN where the solver fails"""
    x = specs[0]
    batch, m, n = _matrix("svd", x, complex_ok=True)
    k = min(m, n)
    uc, vr = (m, n) if full_matrices else (k, k)
    s_dtype = real_dtype(x.dtype) if _is_complex(x.dtype) else x.dtype
    return [TensorSpec(batch + (k,), s_dtype), TensorSpec(batch + (m, uc), x.dtype),
            TensorSpec(batch + (vr, n), x.dtype)]


COLLECTIVE_KINDS = ("sum", "mean", "max", "min", "all_gather")


@defop("collective", ["x", "axis_index"],
       attrs={"kind": "str", "axis_name": "str", "axis_size": "i64"})
def _collective(specs, kind, axis_name, axis_size):
    """a collective over the members of the named mapped axis (JAX's psum, pmean, pmax, pmin, all_gather): `axis_index` is the member's position on that axis; all_gather stacks the members' `x` along a new leading dim of `axis_size`; `--mlax-vmap` of the axis named `axis_name` replaces it"""
    x, index = specs
    if kind not in COLLECTIVE_KINDS:
        _fail(f"mlax.collective: unknown kind {kind!r} (expected one of "
              f"{', '.join(COLLECTIVE_KINDS)})")
    if not axis_name:
        _fail("mlax.collective: axis_name is empty")
    if axis_size < 0:
        _fail(f"mlax.collective: axis_size {axis_size} is negative")
    if index.shape != () or np.dtype(index.dtype) != np.int32:
        _fail(f"mlax.collective: axis_index must be a scalar int32, got {index}")
    if kind == "mean" and not _is_float(x.dtype):
        _fail(f"mlax.collective: mean needs floats, got {x}")
    if kind == "all_gather":
        return [TensorSpec((axis_size,) + tuple(x.shape), x.dtype)]
    return [x]


@defop("sharding_constraint", ["x"], attrs={"tiles": "i64s", "devices": "i64s"},
       same=[["x", "out"]])
def _sharding_constraint(specs, tiles, devices):
    """x itself, laid out over devices as given (JAX's with_sharding_constraint): dim d split into `tiles[d]` pieces, a count past the rank being the number of replicas; `devices` are the device ids in tile order; XLA's SPMD partitioner honours it, and one device ignores it"""
    x = specs[0]
    rank = len(x.shape)
    if len(tiles) not in (rank, rank + 1) or any(t < 1 for t in tiles):
        _fail(f"mlax.sharding_constraint: tiles {tuple(tiles)} must be {rank} positive counts "
              f"(one per dim), or {rank + 1} with the replicas last")
    if len(devices) != int(np.prod(tiles, dtype=np.int64)) or len(set(devices)) != len(devices):
        _fail(f"mlax.sharding_constraint: devices {tuple(devices)} must be "
              f"{int(np.prod(tiles, dtype=np.int64))} distinct ids, one per tile")
    return [x]


# Convolutions and windows

def _dilate(n, d):
    """The size of a dim of n elements with d - 1 holes between neighbours."""
    return 0 if n == 0 else 1 + d * (n - 1)


def _window_out(n, window, stride):
    """Positions of a window of `window` elements moved by `stride` over `n` elements."""
    return 0 if n < window else (n - window) // stride + 1


def _check_lengths(name, n, **lists):
    for key, value in lists.items():
        if len(value) != n:
            _fail(f"mlax.{name}: {key} has {len(value)} entries, expected {n}")
        if key not in ("padding_low", "padding_high") and any(v < 1 for v in value):
            _fail(f"mlax.{name}: {key} must be positive, got {tuple(value)}")


@defop("conv", ["lhs", "rhs"],
       attrs={"window_strides": "i64s", "padding_low": "i64s", "padding_high": "i64s",
              "lhs_dilation": "i64s", "rhs_dilation": "i64s", "lhs_spec": "i64s",
              "rhs_spec": "i64s", "out_spec": "i64s", "feature_group_count": "i64",
              "batch_group_count": "i64", "precision": "strs"})
def _conv(specs, window_strides, padding_low, padding_high, lhs_dilation, rhs_dilation,
          lhs_spec, rhs_spec, out_spec, feature_group_count, batch_group_count, precision):
    """XLA's ConvGeneralDilated. The specs list dims as (batch, feature, spatial...) of lhs
    and out, (out feature, in feature, spatial...) of rhs (JAX's ConvDimensionNumbers);
    `precision` as dot_general's"""
    lhs, rhs = specs
    _check_precision("conv", precision)
    n = len(lhs.shape)
    if len(rhs.shape) != n or n < 2:
        _fail(f"mlax.conv: lhs {lhs} and rhs {rhs} must have one rank of at least 2")
    if lhs.dtype != rhs.dtype or lhs.dtype == np.bool_:
        _fail(f"mlax.conv: operands must have one dtype other than bool, got {lhs} and {rhs}")
    for key, spec in (("lhs_spec", lhs_spec), ("rhs_spec", rhs_spec), ("out_spec", out_spec)):
        if sorted(spec) != list(range(n)):
            _fail(f"mlax.conv: {key} {tuple(spec)} is not a permutation of the {n} dims")
    _check_lengths("conv", n - 2, window_strides=window_strides, padding_low=padding_low,
                   padding_high=padding_high, lhs_dilation=lhs_dilation,
                   rhs_dilation=rhs_dilation)
    g, b = feature_group_count, batch_group_count
    if g < 1 or b < 1 or (g > 1 and b > 1):
        _fail(f"mlax.conv: feature_group_count {g} and batch_group_count {b} must be "
              "positive, at most one above 1")
    batch, feature = lhs.shape[lhs_spec[0]], lhs.shape[lhs_spec[1]]
    out_feature, in_feature = rhs.shape[rhs_spec[0]], rhs.shape[rhs_spec[1]]
    if feature % g or feature // g != in_feature or out_feature % g:
        _fail(f"mlax.conv: lhs features {feature} / feature_group_count {g} must equal the "
              f"rhs input features {in_feature}, and divide the rhs output features "
              f"{out_feature}")
    if batch % b or out_feature % b:
        _fail(f"mlax.conv: batch_group_count {b} must divide the lhs batch {batch} and the "
              f"rhs output features {out_feature}")
    shape = [0] * n
    shape[out_spec[0]] = batch // b
    shape[out_spec[1]] = out_feature
    for i in range(n - 2):
        padded = (_dilate(lhs.shape[lhs_spec[2 + i]], lhs_dilation[i]) + padding_low[i]
                  + padding_high[i])
        if padded < 0:
            _fail(f"mlax.conv: negative padding removes more than spatial dim {i} has")
        window = _dilate(rhs.shape[rhs_spec[2 + i]], rhs_dilation[i])
        shape[out_spec[2 + i]] = _window_out(padded, window, window_strides[i])
    return [TensorSpec(tuple(shape), lhs.dtype)]


@defop("rev", ["x"], attrs={"dimensions": "i64s"}, same=[["x", "out"]])
def _rev(specs, dimensions):
    """x with the order of its elements reversed along `dimensions`"""
    _check_axes("mlax.rev", dimensions, len(specs[0].shape))
    return [specs[0]]


WINDOW_ATTRS = {"window_dimensions": "i64s", "window_strides": "i64s", "padding_low": "i64s",
                "padding_high": "i64s", "base_dilation": "i64s", "window_dilation": "i64s"}
# reduce_window's combiners (XLA's computation, one of lax's monoids).
WINDOW_COMPUTATIONS = ("add", "max", "min", "mul")


def _window_shape(name, x, window_dimensions, window_strides, padding_low, padding_high,
                  base_dilation, window_dilation):
    _check_lengths(name, len(x.shape), window_dimensions=window_dimensions,
                   window_strides=window_strides, padding_low=padding_low,
                   padding_high=padding_high, base_dilation=base_dilation,
                   window_dilation=window_dilation)
    shape = []
    for i, n in enumerate(x.shape):
        padded = _dilate(n, base_dilation[i]) + padding_low[i] + padding_high[i]
        if padded < 0:
            _fail(f"mlax.{name}: negative padding removes more than dim {i} has")
        shape.append(_window_out(padded, _dilate(window_dimensions[i], window_dilation[i]),
                                 window_strides[i]))
    return tuple(shape)


@defop("reduce_window", ["x"], attrs={"computation": "str", **WINDOW_ATTRS})
def _reduce_window(specs, computation, **window):
    """`computation` (add, max, min, mul) over the elements of x in each window, from the
    computation's identity; padding and base dilation holes take no part (XLA's
    ReduceWindow with the monoid's identity as its init value)"""
    x = specs[0]
    if computation not in WINDOW_COMPUTATIONS:
        _fail(f"mlax.reduce_window: computation must be one of {WINDOW_COMPUTATIONS}, "
              f"got {computation!r}")
    if computation in ("add", "mul") and x.dtype == np.bool_:
        _fail(f"mlax.reduce_window: computation {computation} does not accept dtype bool")
    return [TensorSpec(_window_shape("reduce_window", x, **window), x.dtype)]


@defop("select_and_gather_add", ["tangents", "operand"], attrs={"select": "str", **WINDOW_ATTRS},
       same=[["tangents", "operand"]])
def _select_and_gather_add(specs, select, **window):
    """per window, the tangent at the operand's first maximum (select "ge") or minimum
    ("le"): the JVP of a max or min reduce_window"""
    t, x = specs
    if t.shape != x.shape or select not in ("ge", "le"):
        _fail(f"mlax.select_and_gather_add: operands {t}, {x} and select {select!r}")
    return [TensorSpec(_window_shape("select_and_gather_add", x, **window), x.dtype)]


@defop("select_and_scatter_add", ["source", "operand"], attrs={"select": "str", **WINDOW_ATTRS},
       same=[["operand", "out"]])
def _select_and_scatter_add(specs, select, **window):
    """each window's source value added at the operand's first maximum (select "ge") or
    minimum ("le") of the window: the transpose of select_and_gather_add"""
    s, x = specs
    if s.dtype != x.dtype or s.shape != _window_shape("select_and_scatter_add", x, **window) or \
            select not in ("ge", "le"):
        _fail(f"mlax.select_and_scatter_add: source {s} does not fit the windows of {x}, "
              f"or select {select!r} is not ge / le")
    return [x]
