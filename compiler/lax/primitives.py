"""The primitives of mlax.lax, one function per mlax op, with lax's strict typing
(operands of one dtype; n-ary ops broadcast only scalars and size-1 dimensions, as JAX's
primitives do); jax.numpy-style broadcasting and promotion live in mlax.numpy."""
from __future__ import annotations

import builtins
import enum

import numpy as np

from mlax import core
from mlax.core import ShapedArray
from mlax.dispatch import bind
from mlax.precision import Precision, canonicalize_precision, precision_names  # noqa: F401
from mlax.runtime import Array
from mlax.tracing import Tracer
from mlax.pytree import tree_map
from mlax.runtime.dtypes import is_float



def aval(x) -> ShapedArray:
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, Array):
        return ShapedArray(x.shape, x.dtype, x.weak_type)
    if core.is_python_scalar(x):
        return core.aval_of_python_scalar(x)
    arr = np.asarray(x)
    return ShapedArray(arr.shape, core.canonicalize_dtype(arr.dtype), False)


# -- elementwise -------------------------------------------------------------------------

def _unary(name):
    def f(x):
        return bind(f"mlax.{name}", x)
    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (mlax.{name})."
    return f


def _broadcast_shapes(name, shapes):
    """JAX's shape rule for lax's n-ary ops: scalars aside, operands have one rank and
    sizes that agree or are 1."""
    shapes = [s for s in shapes if s]
    if not shapes:
        return ()
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        raise TypeError(f"{name}: arrays must have the same number of dimensions, got {ranks}")
    out = []
    for ds in zip(*shapes):
        big = {d for d in ds if d != 1}
        if len(big) > 1:
            raise TypeError(f"{name} got incompatible shapes for broadcasting: "
                            f"{', '.join(str(tuple(s)) for s in shapes)}.")
        out.append(big.pop() if big else 1)
    return tuple(out)


def _broadcast_operands(name, *xs):
    """The operands of a lax n-ary op broadcast to one shape, as JAX's primitives broadcast
    scalars and size-1 dimensions."""
    shapes = [tuple(x.shape) if isinstance(x, (Tracer, Array)) else np.shape(x) for x in xs]
    if len(set(shapes)) == 1:
        return xs
    shape = _broadcast_shapes(name, shapes)
    out = []
    for x, s in zip(xs, shapes):
        if s == shape:
            out.append(x)
        elif not s:
            out.append(broadcast_in_dim(x, shape, ()))
        else:   # size-1 dimensions: drop them, then broadcast the rest
            keep = [d for d, n in enumerate(s) if n == shape[d]]
            out.append(broadcast_in_dim(reshape(x, tuple(s[d] for d in keep)), shape, keep))
    return out


def _binary(name):
    def f(x, y):
        return bind(f"mlax.{name}", *_broadcast_operands(name, x, y))
    f.__name__ = name
    f.__doc__ = f"Elementwise {name} (mlax.{name})."
    return f


neg = _unary("neg"); exp = _unary("exp"); exp2 = _unary("exp2"); log = _unary("log")
log1p = _unary("log1p"); expm1 = _unary("expm1"); tanh = _unary("tanh")
logistic = _unary("logistic"); sin = _unary("sin"); cos = _unary("cos"); tan = _unary("tan")
asin = _unary("asin"); acos = _unary("acos"); atan = _unary("atan"); sinh = _unary("sinh")
cosh = _unary("cosh"); asinh = _unary("asinh"); acosh = _unary("acosh"); atanh = _unary("atanh")
sqrt = _unary("sqrt"); rsqrt = _unary("rsqrt"); cbrt = _unary("cbrt"); abs = _unary("abs")
sign = _unary("sign"); floor = _unary("floor"); ceil = _unary("ceil"); erf = _unary("erf")
erfc = _unary("erfc"); erf_inv = _unary("erf_inv"); lgamma = _unary("lgamma")
digamma = _unary("digamma"); bitwise_not = _unary("not"); population_count = _unary("population_count")
is_finite = _unary("is_finite")
# log, log1p and erf computed as XLA's CPU backend computes them, bit for bit (not JAX
# names: mlax.random's samplers use them so that their draws are JAX's).
xla_log = _unary("xla_log"); xla_log1p = _unary("xla_log1p"); xla_erf = _unary("xla_erf")


def fma(a, b, c):
    """a * b + c with one rounding (mlax.fma; not a JAX name: XLA forms these on the CPU,
    and mlax.random's samplers spell them out to draw JAX's values)."""
    return bind("mlax.fma", a, b, c)

add = _binary("add"); sub = _binary("sub"); mul = _binary("mul"); div = _binary("div")
rem = _binary("rem"); pow = _binary("pow"); max = _binary("max"); min = _binary("min")
atan2 = _binary("atan2"); bitwise_and = _binary("and"); bitwise_or = _binary("or")
bitwise_xor = _binary("xor"); shift_left = _binary("shift_left")
shift_right_logical = _binary("shift_right_logical")
shift_right_arithmetic = _binary("shift_right_arithmetic"); nextafter = _binary("nextafter")
eq = _binary("eq"); ne = _binary("ne"); lt = _binary("lt"); le = _binary("le")
gt = _binary("gt"); ge = _binary("ge")


real = _unary("real"); imag = _unary("imag")


def complex(x, y):
    """x + i y from two float arrays of one dtype (lax.complex)."""
    return bind("mlax.complex", x, y)


def conj(x):
    """The complex conjugate; of a real array, the array as complex (as lax.conj)."""
    if np.dtype(aval(x).dtype).kind != "c":
        x = convert_element_type(x, core.default_complex() if np.dtype(aval(x).dtype) != np.float64
                                 else np.complex128)
    return bind("mlax.conj", x)


class FftType(enum.IntEnum):
    """The kind of a `fft` (jax.lax.FftType)."""
    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3


def fft(x, fft_type, fft_lengths):
    """XLA's Fft over the last len(fft_lengths) dims of x (lax.fft). `fft_type` is a
    FftType or its name: FFT / IFFT (scaled by 1/n) of complex x, RFFT of real x (last
    dim n // 2 + 1 of the result), IRFFT its inverse."""
    if isinstance(fft_type, str):
        if fft_type.upper() not in FftType.__members__:
            raise ValueError(f"Unknown FFT type '{fft_type}'")
        fft_type = FftType[fft_type.upper()]
    fft_type = FftType(fft_type)
    lengths = (int(fft_lengths),) if np.ndim(fft_lengths) == 0 else tuple(int(n) for n in fft_lengths)
    dtype = aval(x).dtype
    if fft_type == FftType.RFFT:
        if not is_float(dtype):
            raise TypeError(f"lax.fft: RFFT needs a real floating-point operand, got {np.dtype(dtype).name}")
    elif np.dtype(dtype).kind != "c":
        x = convert_element_type(x, np.complex128 if dtype == np.float64 else core.default_complex())
    return bind("mlax.fft", x, fft_type=fft_type.name, fft_lengths=lengths)


def round(x, rounding_method=0):
    """Round to the nearest integer: ties away from zero (rounding_method 0, mlax.round) or
    to even (1, RoundingMethod.TO_NEAREST_EVEN: the tie rounded away, then moved back by
    one where that made it odd, keeping x's sign: -0.5 rounds to -0.0, as in JAX)."""
    r = bind("mlax.round", x)
    if int(rounding_method) == 0:
        return r
    if int(rounding_method) != 1:
        raise ValueError(f"unknown rounding_method {rounding_method!r}")
    a = aval(x)
    const = lambda v: broadcast_in_dim(np.asarray(v, a.dtype), a.shape, ())
    is_half = eq(abs(sub(x, floor(x))), const(0.5))
    odd = ne(rem(r, const(2.0)), const(0.0))
    s = sign(x)
    return select(bitwise_and(is_half, odd), mul(s, abs(sub(r, s))), r)


def integer_pow(x, y):
    return bind("mlax.integer_pow", x, y=int(y))


def square(x):
    return integer_pow(x, 2)


def select(pred, on_true, on_false):
    """on_true where pred, else on_false; a scalar pred chooses for every element (JAX
    broadcasts it), any other must have the cases' shape."""
    pshape, cshape = aval(pred).shape, aval(on_true).shape
    cases = [aval(on_false), aval(on_true)]
    if cases[0].shape != cases[1].shape:
        raise TypeError(f"select cases must have the same shapes, got {[c.shape for c in cases]}.")
    if cases[0].dtype != cases[1].dtype:
        raise TypeError(f"select cases must have the same dtypes, got "
                        f"{[np.dtype(c.dtype).name for c in cases]}.")
    if pshape != cshape:
        if pshape != ():
            raise TypeError("select `which` must be scalar or have the same shape as cases, got "
                            f"`which` shape {pshape} but case shape {cshape}.")
        pred = broadcast_in_dim(pred, cshape, ())
    return bind("mlax.select", pred, on_true, on_false)


def clamp(min, x, max):
    return bind("mlax.clamp", min, x, max)


def stop_gradient(x):
    return tree_map(lambda l: bind("mlax.stop_gradient", l), x)


def convert_element_type(x, new_dtype):
    """`x` as `new_dtype`, strongly typed."""
    return _convert_element_type(x, new_dtype, False)


def _convert_element_type(x, new_dtype, weak_type=False):
    """`x` as `new_dtype`, with JAX's weak-type bit `weak_type` (JAX's private
    `lax._convert_element_type`, which jax.numpy's promotion uses: `int32 * 2.0` converts
    both to a weak float32)."""
    new_dtype = core.canonicalize_dtype(new_dtype)
    a = aval(x)
    if a.dtype == new_dtype and a.weak_type == weak_type and isinstance(x, (Tracer, Array)):
        return x
    if a.dtype != new_dtype or not isinstance(x, (Tracer, Array)):
        x = bind("mlax.convert_element_type", x, new_dtype=new_dtype)
    return x.with_weak_type(weak_type)


def bitcast_convert_type(x, new_dtype):
    return bind("mlax.bitcast_convert_type", x, new_dtype=np.dtype(new_dtype))


# -- shapes ------------------------------------------------------------------------------

def iota(dtype, size):
    return bind("mlax.iota", dtype=core.canonicalize_dtype(dtype), shape=(int(size),), dimension=0)


def broadcasted_iota(dtype, shape, dimension):
    return bind("mlax.iota", dtype=core.canonicalize_dtype(dtype), shape=tuple(shape),
                dimension=int(dimension))


def broadcast_in_dim(x, shape, broadcast_dimensions):
    a = aval(x)
    shape = tuple(int(s) for s in shape)
    if a.shape == shape and tuple(broadcast_dimensions) == tuple(range(len(shape))):
        return x
    return bind("mlax.broadcast_in_dim", x, shape=shape,
                broadcast_dimensions=tuple(int(d) for d in broadcast_dimensions))


def broadcast(x, sizes):
    a = aval(x)
    n = len(sizes)
    return broadcast_in_dim(x, tuple(sizes) + a.shape, tuple(range(n, n + a.ndim)))


def reshape(x, new_sizes, dimensions=None):
    if dimensions is not None:
        x = transpose(x, dimensions)
    new_sizes = tuple(int(s) for s in new_sizes)
    if aval(x).shape == new_sizes:
        return x
    return bind("mlax.reshape", x, new_sizes=new_sizes)


def transpose(x, permutation):
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return bind("mlax.transpose", x, permutation=permutation)


def slice(x, start_indices, limit_indices, strides=None):
    strides = tuple(strides) if strides is not None else (1,) * len(start_indices)
    return bind("mlax.slice", x, start_indices=tuple(start_indices),
                limit_indices=tuple(limit_indices), strides=strides)


def slice_in_dim(x, start_index, limit_index, stride=1, axis=0):
    a = aval(x)
    starts = [0] * a.ndim
    limits = list(a.shape)
    strides = [1] * a.ndim
    starts[axis], limits[axis], strides[axis] = start_index, limit_index, stride
    return slice(x, starts, limits, strides)


def _index_scalar(i, n):
    """An integer scalar index into a dim of size n, as int32. Values a wider type holds
    beyond [-n, n] are first brought to those bounds, where they index the same way (the op
    clamps), so the conversion cannot wrap them around."""
    dt = aval(i).dtype
    if dt == np.int32:
        return i
    if np.iinfo(dt).max > np.iinfo(np.int32).max:
        i = clamp(np.array(0 if dt.kind == "u" else -n, dt), i, np.array(n, dt))
    return convert_element_type(i, np.int32)


def _start_indices(x, start_indices, allow_negative_indices, what):
    """Start indices as int32 scalars, a negative one counted from the end of its dim once (as
    lax does before the op clamps the window into bounds)."""
    shape = aval(x).shape
    start_indices = list(start_indices)
    if len(start_indices) != len(shape):
        raise ValueError(f"{what}: {len(start_indices)} start indices for an operand of rank "
                         f"{len(shape)} (shape {shape}); give one per dimension")
    out = []
    for i, n in zip(start_indices, shape):
        if isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
            i = int(i)
            if i < 0 and not allow_negative_indices:
                raise ValueError(f"{what}: index {i} is out of bounds for dimension {n} "
                                 "with allow_negative_indices=False")
            # Past either end the op clamps anyway; bounding i keeps it an int32.
            out.append(np.int32(builtins.min(builtins.max(i + n if i < 0 else i, 0), n)))
            continue
        a = aval(i)
        if a.shape != () or a.dtype.kind not in "iu":
            raise TypeError(f"{what}: start indices must be integer scalars, got {a.str_short()}")
        i = _index_scalar(i, n)
        if allow_negative_indices and a.dtype.kind == "i":
            i = select(lt(i, np.int32(0)), add(i, np.int32(n)), i)
        out.append(i)
    return out


def dynamic_slice(x, start_indices, slice_sizes, *, allow_negative_indices=True):
    """x[start:start + size] per dim; a negative start counts from the end (once), then the
    window is moved into bounds, as in lax."""
    idx = _start_indices(x, start_indices, allow_negative_indices, "dynamic_slice")
    return bind("mlax.dynamic_slice", x, *idx, slice_sizes=tuple(int(s) for s in slice_sizes))


def dynamic_update_slice(x, update, start_indices, *, allow_negative_indices=True):
    """x with `update` written at `start_indices`, normalized and clamped as in dynamic_slice."""
    idx = _start_indices(x, start_indices, allow_negative_indices, "dynamic_update_slice")
    return bind("mlax.dynamic_update_slice", x, update, *idx)


def dynamic_slice_in_dim(x, start_index, slice_size, axis=0):
    a = aval(x)
    starts = [0] * a.ndim
    sizes = list(a.shape)
    starts[axis] = start_index
    sizes[axis] = slice_size
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(x, index, axis=0, keepdims=True):
    out = dynamic_slice_in_dim(x, index, 1, axis)
    if keepdims:
        return out
    shape = list(aval(out).shape)
    del shape[axis]
    return reshape(out, shape)


def concatenate(operands, dimension):
    operands = list(operands)
    out = operands[0]
    for o in operands[1:]:
        out = bind("mlax.concatenate", out, o, dimension=int(dimension))
    return out


def pad(x, padding_value, padding_config):
    low, high, interior = zip(*padding_config) if padding_config else ((), (), ())
    return bind("mlax.pad", x, padding_value, low=tuple(low), high=tuple(high),
                interior=tuple(interior))


def squeeze(x, dimensions):
    a = aval(x)
    dims = {d % a.ndim for d in dimensions}
    return reshape(x, [n for i, n in enumerate(a.shape) if i not in dims])


def expand_dims(x, dimensions):
    a = aval(x)
    shape = list(a.shape)
    for d in sorted(d % (a.ndim + len(dimensions)) for d in dimensions):
        shape.insert(d, 1)
    return reshape(x, shape)


# -- reductions --------------------------------------------------------------------------

def _reducer(name):
    def f(x, axes):
        return bind(f"mlax.{name}", x, axes=tuple(sorted(int(a) for a in axes)))
    f.__name__ = name
    return f


reduce_sum = _reducer("reduce_sum"); reduce_max = _reducer("reduce_max")
reduce_min = _reducer("reduce_min"); reduce_prod = _reducer("reduce_prod")
reduce_and = _reducer("reduce_and"); reduce_or = _reducer("reduce_or")


def argmax(x, axis, index_dtype):
    return bind("mlax.argmax", x, axis=int(axis), index_dtype=core.canonicalize_dtype(index_dtype))


def argmin(x, axis, index_dtype):
    return bind("mlax.argmin", x, axis=int(axis), index_dtype=core.canonicalize_dtype(index_dtype))


def _cumulative(name):
    def f(x, axis=0, reverse=False):
        return bind(f"mlax.{name}", x, axis=int(axis), reverse=bool(reverse))
    f.__name__ = name
    return f


cumsum = _cumulative("cumsum"); cumprod = _cumulative("cumprod"); cummax = _cumulative("cummax")
cummin = _cumulative("cummin"); cumlogsumexp = _cumulative("cumlogsumexp")


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    names = precision_names(precision)   # validated as JAX does; the op's attribute
    if preferred_element_type is not None:
        preferred = core.canonicalize_dtype(preferred_element_type)
        if np.promote_types(aval(lhs).dtype, preferred) == preferred:
            # A wider result type: the operands converted, so the sum is in that type.
            lhs, rhs = convert_element_type(lhs, preferred), convert_element_type(rhs, preferred)
            return dot_general(lhs, rhs, dimension_numbers, precision=precision)
        return convert_element_type(dot_general(lhs, rhs, dimension_numbers,
                                                precision=precision), preferred)
    (lc, rc), (lb, rb) = dimension_numbers
    return bind("mlax.dot_general", lhs, rhs, lhs_contracting_dimensions=tuple(lc),
                rhs_contracting_dimensions=tuple(rc), lhs_batch_dimensions=tuple(lb),
                rhs_batch_dimensions=tuple(rb), precision=names)


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    la = aval(lhs)
    return dot_general(lhs, rhs, (([la.ndim - 1], [0]), ([], [])), precision=precision,
                       preferred_element_type=preferred_element_type)


# -- sorting and bits --------------------------------------------------------------------

def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    if isinstance(operand, (list, tuple)):
        if not 1 <= num_keys <= len(operand):
            raise ValueError(f"{num_keys=} must be between 1 and {len(operand)=}")
        ops = list(operand)
        dim = dimension % aval(ops[0]).ndim
        stable = is_stable or num_keys > 1
        if num_keys == 1 and len({np.dtype(aval(v).dtype) for v in ops[1:]}) <= 1:
            outs = bind("mlax.sort", *ops, dimension=dim, is_stable=is_stable)
            return tuple(outs) if isinstance(outs, list) else (outs,)
        # mlax.sort orders by its first operand and its values share one type. A stable
        # sort by one key permutes every operand alike, so each is sorted beside the key on
        # its own; several keys are such passes from the last key to the first.
        for k in reversed(range(num_keys)):
            key = ops[k]
            ops = [bind("mlax.sort", key, v, dimension=dim, is_stable=stable)[1] if i != k else
                   bind("mlax.sort", key, dimension=dim, is_stable=stable)
                   for i, v in enumerate(ops)]
        return tuple(ops)
    nd = aval(operand).ndim
    return bind("mlax.sort", operand, dimension=dimension % nd, is_stable=is_stable)


def top_k(operand, k):
    if np.dtype(aval(operand).dtype).kind == "c":
        raise ValueError("top_k is not compatible with complex inputs.")
    return list(bind("mlax.top_k", operand, k=int(k)))      # a list, as JAX's


def threefry2x32_p(k0, k1, x0, x1):
    return tuple(bind("mlax.threefry2x32", k0, k1, x0, x1))



def _moveaxis_perm(ndim, src, dst):
    """The permutation moving dim `src` of a rank-`ndim` array to position `dst`."""
    perm = list(range(ndim))
    perm.insert(dst, perm.pop(src))
    return tuple(perm)


def rev(operand, dimensions):
    """operand with the order of its elements reversed along `dimensions`."""
    nd = aval(operand).ndim
    dims = tuple(sorted({int(d) for d in dimensions}))
    if any(not 0 <= d < nd for d in dims):
        raise ValueError(f"rev dimensions {tuple(dimensions)} out of range for an operand of "
                         f"rank {nd}")
    if not dims:
        return operand
    return bind("mlax.rev", operand, dimensions=dims)
