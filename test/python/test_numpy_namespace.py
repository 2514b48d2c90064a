"""mlax.numpy's namespace keeps every public name it had when the package was one file, and
the package's modules import one another in one direction only."""
import ast
import os
import types

import mlax.numpy as jnp

# The public names of `mlax.numpy`, recorded once from the single-file module.
NAMES = frozenset("""
    Array ShapedArray Tracer abs absolute acos acosh add all allclose amax amin angle
    annotations any append apply_along_axis apply_over_axes arange arccos arccosh arcsin
    arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort argwhere around array
    array_equal array_equiv array_repr array_split array_str asarray asin asinh astype atan
    atan2 atanh atleast_1d atleast_2d atleast_3d average bartlett batching bincount bitwise_and
    bitwise_count bitwise_invert bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
    bitwise_xor blackman block bool bool_ broadcast_arrays broadcast_shapes broadcast_to
    builtins c_ can_cast cbrt ceil choose clip column_stack compress concat concatenate conj
    conjugate convolve copy copysign core corrcoef correlate cos cosh count_nonzero cov cross
    cumprod cumproduct cumsum cumulative_prod cumulative_sum deg2rad degrees delete diag
    diag_indices diag_indices_from diagflat diagonal diff digitize divide divmod dot double
    dsplit dstack dtype e ediff1d einsum empty empty_like equal euler_gamma exp exp2
    expand_dims expm1 extract eye fabs fill_diagonal finfo fix flatnonzero flip fliplr flipud
    float16 float32 float64 float_ float_power floating floor floor_divide fmax fmin fmod frexp
    fromfunction frompyfunc full full_like gcd generic geomspace gradient greater greater_equal
    hamming hanning heaviside histogram histogram_bin_edges hsplit hstack hypot identity iinfo
    imag index_exp indices inexact inf inner insert int16 int32 int64 int8 int_ integer interp
    intersect1d invert isclose iscomplex iscomplexobj isdtype isfinite isin isinf isnan
    isneginf isposinf isreal isrealobj isscalar issubdtype iterable ix_ kaiser kron lax lcm
    ldexp left_shift less less_equal lexsort linalg linspace log log10 log1p log2 logaddexp
    logaddexp2 logical_and logical_not logical_or logical_xor logspace mask_indices matmul
    matrix_transpose matvec max maximum mean median meshgrid mgrid min minimum mod modf
    moveaxis multiply nan nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean
    nanmedian nanmin nanpercentile nanprod nanquantile nanstd nansum nanvar ndarray ndim
    negative newaxis nextafter nonzero not_equal number ogrid ones ones_like outer pad
    partition percentile permute_dims pi piecewise place poly polyadd polyder polydiv polyint
    polymul polysub polyval positive pow power prod promote_types ptp put put_along_axis
    quantile r_ rad2deg radians ravel ravel_multi_index real reciprocal remainder repeat
    reshape resize result_type right_shift rint roll rollaxis rot90 round row_stack s_
    searchsorted select setdiff1d setxor1d shape sign signbit signedinteger sin sinc single
    sinh size sort sort_complex spacing split sqrt square squeeze stack std subtract sum
    swapaxes take take_along_axis tan tanh tensordot tile trace transpose trapezoid trapz tri
    tril tril_indices tril_indices_from trim_zeros triu triu_indices triu_indices_from
    true_divide trunc uint uint16 uint32 uint64 uint8 union1d unique unique_all unique_counts
    unique_inverse unique_values unravel_index unsignedinteger unstack unwrap user_site vander
    var vdot vecdot vecmat vectorize vsplit vstack where zeros zeros_like
    cdouble complex128 complex64 complex_ complexfloating csingle fft
""".split())

# Names the single-file module leaked by importing them; they were never NumPy's API (jax.numpy
# has none of them), and the package no longer has them.
LEAKED_IMPORTS = frozenset({"Array", "ShapedArray", "Tracer", "annotations", "batching", "builtins",
                            "core", "lax", "user_site"})
# The package's modules from the bottom up, as its docstring lists them: each imports only
# modules before it, never the package itself.
LAYERS = ["_util", "_dtypes", "_shapes", "_creation", "_io", "_scalar_types", "_ufuncs", "_reductions", "_index_routines",
          "_sorting", "_rearrange", "_products", "_math", "_statistics", "_polynomial",
          "_functional", "_ufunc_objects", "_indexing", "linalg", "_polynomial_linalg", "fft", "_methods"]


def public_names(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_public_names_are_those_recorded():
    """No recorded name is lost; a new name must be one jax.numpy has (no leaked imports)."""
    from mlax.api_names import NAMES as JAX_NAMES
    got = public_names(jnp)
    want = NAMES - LEAKED_IMPORTS
    assert want <= got, f"missing: {sorted(want - got)}"
    new = got - want
    assert new <= JAX_NAMES["jax.numpy"], f"not jax.numpy names: {sorted(new - JAX_NAMES['jax.numpy'])}"


def test_the_only_public_submodules_are_linalg_and_fft():
    """A family module imported as a public name would hide a function (`jnp.shape`)."""
    assert {n for n in public_names(jnp) if isinstance(getattr(jnp, n), types.ModuleType)} == \
        {"linalg", "fft"}


def imported_modules(tree):
    """(line, module) of every import in `tree`, inside functions too."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module in ("mlax", "mlax.numpy"):
            yield from ((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            yield node.lineno, "__import__"


def test_modules_import_only_the_ones_below_them():
    root = os.path.dirname(jnp.__file__)
    assert sorted(LAYERS) == sorted(f[:-3] for f in os.listdir(root)
                                    if f.endswith(".py") and f != "__init__.py")
    for name in LAYERS:
        tree = ast.parse(open(os.path.join(root, name + ".py"), encoding="utf-8").read())
        for line, module in imported_modules(tree):
            assert module not in ("mlax.numpy", "__import__"), f"{name}:{line} imports the package"
            if module.startswith("mlax.numpy."):
                dep = module.split(".")[2]
                assert LAYERS.index(dep) < LAYERS.index(name), \
                    f"{name}:{line} imports {dep}, which is not below it"
