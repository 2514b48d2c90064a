"""Numeric semantics JAX defines where the hardware traps or LLVM leaves the result undefined:
integer division by zero and INT_MIN / -1, shifts by the bit width or more, float -> integer
conversion of NaN, infinities and out-of-range values, boolean arithmetic. Each case runs
in mlax eagerly, under jit and under vmap, and is compared with JAX."""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import mlax
from mlax import lax as mlax_lax
from mlax import numpy as mnp
from child import run_case

HERE = os.path.dirname(os.path.abspath(__file__))


def _jax():
    return pytest.importorskip("jax")


def _modes(jax, f):
    """f eagerly, under jit and under vmap (over the leading axis)."""
    return {"eager": f, "jit": jax.jit(f), "vmap": jax.vmap(f)}


def _check(make, *args, jax=None):
    """make(namespace) -> f: mlax's f eagerly, under jit and under vmap against JAX's f
    (eagerly, and under vmap)."""
    jax = jax or _jax()
    jf = make(jax)
    jargs = [jax.numpy.asarray(a) for a in args]
    want = {"eager": _tolist(jf(*jargs)), "vmap": _tolist(jax.vmap(jf)(*jargs))}
    for mode, f in _modes(mlax, make(mlax)).items():
        _same(_tolist(f(*[mnp.asarray(a) for a in args])), want.get(mode, want["eager"]), mode)


def _same(got, want, msg=""):
    """Equal results (dtype names and values; NaN equals NaN)."""
    np.testing.assert_equal(got, want, err_msg=str(msg))


def _tolist(r):
    if isinstance(r, (tuple, list)):
        return [_tolist(x) for x in r]
    a = np.asarray(r)
    return [a.dtype.name, a.tolist()]


# ---------------------------------------------------------------------------------------
# Integer division and remainder (the hardware traps on x / 0 and INT_MIN / -1)

DIV_DTYPES = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]


def division_operands(dtype):
    info = np.iinfo(dtype)
    if info.min < 0:
        x = [7, -7, 0, info.min, info.min, info.max, 5, -5, 7, info.min + 1]
        y = [0, 0, 0, -1, 0, -1, -1, 3, -2, -1]
    else:
        x = [7, 0, info.max, 5, 9, info.max]
        y = [0, 0, 0, 3, 2, info.max]
    return np.array(x, dtype), np.array(y, dtype)


def division_fns(jax):
    """All of JAX's integer division and remainder functions at once: one compile per mode."""
    lax, jnp = jax.lax, jax.numpy
    return lambda x, y: (lax.div(x, y), lax.rem(x, y), x // y, x % y, jnp.floor_divide(x, y),
                         jnp.remainder(x, y), jnp.fmod(x, y), jnp.divmod(x, y))


def division_results(jax):
    out = {}
    for dtype in DIV_DTYPES:
        x, y = (jax.numpy.asarray(v) for v in division_operands(dtype))
        for mode, f in _modes(jax, division_fns(jax)).items():
            out[f"{dtype} {mode}"] = _tolist(f(x, y))
    return out


def test_integer_division_by_zero_and_overflow():
    """x / 0, x % 0 and INT_MIN / -1 give JAX's values (they used to kill the process
    with SIGFPE), for lax.div, lax.rem, //, %, floor_divide, remainder, fmod, divmod, in
    every integer type."""
    jax = _jax()
    out = run_case(f"""
        import json, sys
        sys.path.insert(0, {HERE!r})
        import mlax
        from test_numeric_semantics import division_results
        print(json.dumps(division_results(mlax)))
    """)
    got = json.loads(out.stdout)
    for dtype in DIV_DTYPES:
        want = _tolist(division_fns(jax)(*(jax.numpy.asarray(v) for v in division_operands(dtype))))
        for mode in ("eager", "jit", "vmap"):
            assert got[f"{dtype} {mode}"] == want, (dtype, mode, got[f"{dtype} {mode}"], want)


def test_integer_pow_negative_exponent_is_a_type_error():
    """An integer to a negative static power is JAX's TypeError, not a division by zero
    (which killed the process)."""
    out = run_case("""
        import mlax
        from mlax import lax, numpy as jnp
        for f in (lambda: lax.integer_pow(jnp.int32(0), -1), lambda: jnp.power(jnp.arange(3), -2),
                  lambda: mlax.jit(lambda x: x ** -1)(jnp.zeros(2, jnp.int32))):
            try:
                f()
                print("no error")
            except TypeError as e:
                print("TypeError", "negative powers" in str(e))
    """)
    assert out.stdout.split("\n")[:3] == ["TypeError True"] * 3


# ---------------------------------------------------------------------------------------
# Shifts (LLVM's shifts are poison from the bit width on; XLA shifts every bit out)

SHIFT_DTYPES = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]


def shift_operands(dtype):
    info = np.iinfo(dtype)
    w = np.dtype(dtype).itemsize * 8
    signed = info.min < 0
    x = [1, 5, -3 if signed else 200, info.min, info.max, 1, -1 if signed else 7, 7, -8 if signed else 1]
    s = [w, w + 1, w - 1, 1, 2, -1 if signed else info.max, w, 3, info.max]
    return np.array(x, dtype), np.array(s, dtype)


def shift_fns(jax):
    lax, jnp = jax.lax, jax.numpy
    return lambda x, s: (lax.shift_left(x, s), lax.shift_right_arithmetic(x, s),
                         lax.shift_right_logical(x, s), x << s, x >> s,
                         jnp.left_shift(x, s), jnp.right_shift(x, s))


@pytest.mark.parametrize("dtype", SHIFT_DTYPES)
def test_shifts_by_the_bit_width_or_more(dtype):
    """Shifts by >= the width (or a negative amount): 0, or the sign for arithmetic right
    shifts, as in JAX (1 << 32 was 1)."""
    _check(shift_fns, *shift_operands(dtype))


def test_python_int_shift_by_32():
    jax = _jax()
    assert int(mnp.int32(1) << 32) == int(jax.numpy.int32(1) << 32) == 0
    assert mnp.array([1, -1]).__rshift__(40).tolist() == (jax.numpy.array([1, -1]) >> 40).tolist()


# ---------------------------------------------------------------------------------------
# Conversions (fptosi / fptoui are poison out of range; XLA saturates, NaN -> 0)

SPECIAL_FLOATS = [np.nan, np.inf, -np.inf, -1.0, -1.5, -0.5, -0.0, 0.0, 0.5, 2.5, 127.9, 128.0,
                  -129.0, 255.5, 256.0, 300.7, -300.7, 65504.0, -65504.0, 1e10, -1e10,
                  2.0 ** 31, -2.0 ** 31, 2.0 ** 32, -2.0 ** 31 - 1000, 2.0 ** 63, 2.0 ** 64, -2.0 ** 65]
INT_DTYPES = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]


def convert_fns(jax, dst):
    lax = jax.lax
    return lambda x: (lax.convert_element_type(x, dst), x.astype(dst))


@pytest.mark.parametrize("src", ["float32", "float16"])
@pytest.mark.parametrize("dst", INT_DTYPES + ["bool"])
def test_float_to_int_saturates(src, dst):
    """NaN -> 0, out-of-range -> the nearest bound, toward zero otherwise (-1.0 -> uint8
    is 0), as JAX on CPU gives, for astype and lax.convert_element_type."""
    with np.errstate(over="ignore"):
        x = np.array(SPECIAL_FLOATS, src)
    _check(lambda jax: convert_fns(jax, dst), x)


@pytest.fixture
def both_x64():
    """64-bit types in mlax and in JAX, restored afterwards."""
    jax = _jax()
    jax.config.update("jax_enable_x64", True)
    mlax.config.update("jax_enable_x64", True)
    try:
        yield jax
    finally:
        mlax.config.update("jax_enable_x64", False)
        jax.config.update("jax_enable_x64", False)


@pytest.mark.parametrize("dst", ["int64", "uint64", "int32", "uint32"])
def test_float64_to_int_saturates(both_x64, dst):
    _check(lambda jax: convert_fns(jax, dst), np.array(SPECIAL_FLOATS, np.float64), jax=both_x64)


@pytest.mark.parametrize("src,values,dst", [
    ("int32", [0, 1, -1, 2, 256, -2 ** 31], "bool"),
    ("uint8", [0, 1, 255, 128], "bool"),
    ("float32", [0.0, -0.0, 0.5, np.nan, -np.inf, 1e-30], "bool"),
    ("bool", [True, False], "float32"),
    ("bool", [True, False], "int8"),
    ("bool", [True, False], "uint32"),
    ("int32", [300, -300, 2 ** 31 - 1, -2 ** 31, 128, 255], "int8"),
    ("int32", [300, -300, 2 ** 31 - 1, -2 ** 31, -1], "uint16"),
    ("uint32", [2 ** 32 - 1, 2 ** 31, 5], "int32"),
    ("uint32", [2 ** 32 - 1, 2 ** 31, 5], "float32"),
    ("int8", [-128, -1, 127], "uint32"),
    ("float32", [np.nan, 70000.0, -70000.0, 1e-8, 65519.0], "float16"),
])
def test_other_conversions(src, values, dst):
    _check(lambda jax: convert_fns(jax, dst), np.array(values, src))


# ---------------------------------------------------------------------------------------
# Booleans (stored as i1: integer add would be xor)

def bool_fns(jax):
    jnp = jax.numpy
    return lambda a, b: (a + b, jnp.add(a, b), a * b, jnp.multiply(a, b), jnp.sum(a), a // b,
                         a % b, jnp.fmod(a, b), jnp.square(a), a ** 2, jnp.logical_or(a, b))


def test_boolean_arithmetic():
    """True + True is True (it was False): JAX's add on booleans is logical or."""
    _check(bool_fns, np.array([True, True, False, False]), np.array([True, False, True, False]))


@pytest.mark.parametrize("fn", [
    lambda lax, b: lax.add(b, b), lambda lax, b: lax.sub(b, b), lambda lax, b: lax.mul(b, b),
    lambda lax, b: lax.div(b, b), lambda lax, b: lax.rem(b, b), lambda lax, b: lax.neg(b),
    lambda lax, b: lax.reduce_sum(b, (0,)), lambda lax, b: lax.cumsum(b),
    lambda lax, b: lax.shift_left(b, b), lambda lax, b: b - b,
], ids=["add", "sub", "mul", "div", "rem", "neg", "reduce_sum", "cumsum", "shift_left", "minus"])
def test_boolean_arithmetic_that_jax_rejects(fn):
    """A TypeError naming the op, where jax.lax raises one too."""
    jax = _jax()
    b = np.array([True, False])
    with pytest.raises(TypeError):
        fn(jax.lax, jax.numpy.asarray(b))
    with pytest.raises(TypeError, match="does not accept dtype bool"):
        fn(mlax_lax, mnp.asarray(b))
    with pytest.raises(TypeError, match="does not accept dtype bool"):
        mlax.jit(lambda v: fn(mlax_lax, v))(b)


@pytest.mark.parametrize("name", ["pow", "atan2", "nextafter"])
def test_float_only_ops_reject_integers(name):
    """lax.pow on integers is JAX's TypeError (it failed to compile: math.ipowi)."""
    jax = _jax()
    x = np.array([2, 3], np.int32)
    with pytest.raises(TypeError):
        getattr(jax.lax, name)(jax.numpy.asarray(x), jax.numpy.asarray(x))
    with pytest.raises(TypeError, match="needs floating-point operands"):
        getattr(mlax_lax, name)(mnp.asarray(x), mnp.asarray(x))
    with pytest.raises(TypeError, match="needs floating-point operands"):
        mlax.jit(lambda v: getattr(mlax_lax, name)(v, v))(x)


# ---------------------------------------------------------------------------------------
# Float floor division and remainder (CPython's float_divmod, as JAX)

def test_float_floor_divide_and_remainder():
    """1.0 // 0.1 is 9.0 (floor(1.0 / 0.1) is 10.0), x // 0 is +-inf or nan."""
    x = np.array([1.0, -1.0, 5.5, 7.0, -7.0, 0.0, 1e30, -0.0, 3.0], np.float32)
    y = np.array([0.1, 0.3, -2.0, 0.0, 0.0, 0.0, 3.0, 2.0, -np.inf], np.float32)
    _check(lambda jax: lambda a, b: (a // b, a % b, jax.numpy.divmod(a, b), jax.numpy.fmod(a, b)), x, y)


def test_float16_contractions_accumulate_in_float32():
    """A float16 matmul accumulates in float32 as XLA does (it used to accumulate in
    float16: 0.5 off on a 300x300 product where JAX is 0.03 off)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 300)).astype(np.float16)
    b = rng.standard_normal((300, 300)).astype(np.float16)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    for out in (mnp.matmul(a, b), mlax.jit(mnp.matmul)(a, b)):
        out = np.asarray(out)
        assert out.dtype == np.float16
        # float32 accumulation, one rounding to float16: within an ulp of the exact value.
        np.testing.assert_allclose(out.astype(np.float64), exact, rtol=2 ** -10, atol=0.02)


def test_like_functions_take_shape_dtype_structs():
    """zeros_like / ones_like / full_like of a ShapeDtypeStruct, as in JAX."""
    J = pytest.importorskip("jax")
    for f, args in (("zeros_like", ()), ("ones_like", ()), ("full_like", (7,))):
        got = getattr(mnp, f)(mlax.ShapeDtypeStruct((2, 3), np.int32), *args)
        want = getattr(J.numpy, f)(J.ShapeDtypeStruct((2, 3), np.int32), *args)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_uint64_constants_above_int64_max():
    with mlax.enable_x64(True):
        big = np.uint64(2 ** 63 + 5)
        assert int(mnp.array(2 ** 64 - 1, mnp.uint64)) == 2 ** 64 - 1
        assert int(mlax.jit(lambda x: x + big)(mnp.asarray(np.uint64(1)))) == 2 ** 63 + 6
        out = mlax.jit(lambda x: mnp.full(3, 2 ** 64 - 2, mnp.uint64) - x)(
            mnp.asarray(np.uint64(3)))
        assert np.asarray(out).tolist() == [2 ** 64 - 5] * 3


def test_python_round_of_arrays():
    """round(x) gives an integer array, round(x, n) rounds to n decimals, as JAX's."""
    J = pytest.importorskip("jax")
    x = [2.5, -1.567, 3.449]
    for args in ((), (1,), (2,)):
        got = round(mnp.array(x), *args)
        want = round(J.numpy.array(x), *args)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), np.asarray(want))
        got = mlax.jit(lambda v: round(v, *args))(mnp.array(x))
        np.testing.assert_allclose(np.asarray(got), np.asarray(want))
