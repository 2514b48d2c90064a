# Source: JAX docs, "Arrays" (JAX 101) and the jax.numpy API reference examples
#   https://docs.jax.dev/en/latest/new_docs/101/arrays.html (docs/new_docs/101/arrays.md)
#   https://docs.jax.dev/en/latest/jax.numpy.html
# Changed: printed values go through report(); errors are caught and their types reported;
# a tour of common jax.numpy functions (creation, shape manipulation, indexing, reductions,
# sorting, set operations, math) in the way their docstring examples use them is added.
# Each example is reported with report_call: one that raises is reported, not fatal.
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from _report import report, report_call, report_error

x = jnp.arange(9.0).reshape(3, 3)
y = jnp.ones(3)
report_call("x @ y", lambda: x @ y)
report_call("x.sum(axis=0)", lambda: x.sum(axis=0))
report_call("x[1, :2]", lambda: x[1, :2])
report_call("isinstance", lambda: isinstance(x, jax.Array))
report_call("typeof", lambda: str(jax.typeof(x)))

x = jnp.arange(10)
y = x.at[0].set(10)
report("x unchanged", x)
report("y", y)
report_call("at add", lambda: x.at[3].add(100))
report_call("at max", lambda: x.at[:3].max(5))
report_call("at min", lambda: x.at[5:].min(6))
report_call("at mul", lambda: x.at[::2].multiply(3))
report_call("at divide", lambda: jnp.ones(4).at[1].divide(4.))
report_call("at power", lambda: jnp.arange(4).at[2].power(3))
report_call("at get", lambda: x.at[jnp.array([1, 3])].get())
report_call("at with repeated indices adds twice",
            lambda: jnp.zeros(3).at[jnp.array([0, 0, 2])].add(1.))
report_call("np dtype", lambda: str(np.array([1.0, 2.0]).dtype))
report_call("jnp dtype", lambda: str(jnp.array([1.0, 2.0]).dtype))
report_call("weak promotion", lambda: str((jnp.arange(3) + 1.5).dtype))
report_call("out of bounds read clamps", lambda: x[11])
report_call("out of bounds update dropped", lambda: x.at[11].set(99))
report_error("jnp.sum of a list", lambda: jnp.sum([1, 2, 3]))
report_call("jnp.add(1, 1.0)", lambda: jnp.add(1, 1.0))
report_error("lax.add(1, 1.0)", lambda: lax.add(1, jnp.float32(1.0)) + lax.add(1, 1.0))

# Creation
report_call("zeros", lambda: jnp.zeros((2, 3), dtype=jnp.int32))
report_call("full", lambda: jnp.full((2, 2), 7.))
report_call("eye k", lambda: jnp.eye(3, 4, k=1))
report_call("identity", lambda: jnp.identity(2))
report_call("linspace endpoint", lambda: jnp.linspace(0., 1., 4, endpoint=False))
report_call("logspace", lambda: jnp.logspace(0., 2., 3))
report_call("geomspace", lambda: jnp.geomspace(1., 8., 4))
report_call("arange float step", lambda: jnp.arange(0, 1, 0.25))
report_call("meshgrid", lambda: jnp.meshgrid(jnp.arange(3), jnp.arange(2)))
report_call("meshgrid ij", lambda: jnp.meshgrid(jnp.arange(3), jnp.arange(2), indexing='ij'))
report_call("mgrid", lambda: jnp.mgrid[0:2, 0:3])
report_call("ogrid", lambda: jnp.ogrid[0:2, 0:3])
report_call("tri", lambda: jnp.tri(3, dtype=jnp.int32))
report_call("tril / triu", lambda: (jnp.tril(jnp.ones((3, 3))), jnp.triu(jnp.ones((3, 3)), k=1)))
report_call("diag / diagonal", lambda: (jnp.diag(jnp.arange(3.)), jnp.diagonal(x.reshape(2, 5))))
report_call("zeros_like / ones_like / full_like",
            lambda: (jnp.zeros_like(x), jnp.ones_like(x, dtype=float),
                     jnp.full_like(x, 2)))
report_call("asarray of tuple", lambda: jnp.asarray((1, 2.5)))
report_call("array of nested lists", lambda: jnp.array([[1, 2], [3, 4]], dtype=jnp.float32))

# Shape manipulation
a = jnp.arange(24).reshape(2, 3, 4)
report_call("reshape -1", lambda: a.reshape(4, -1).shape)
report_call("transpose axes", lambda: jnp.transpose(a, (2, 0, 1)).shape)
report_call("swapaxes / moveaxis",
            lambda: (jnp.swapaxes(a, 0, 2).shape, jnp.moveaxis(a, 0, -1).shape))
report_call("expand_dims / squeeze",
            lambda: (jnp.expand_dims(a, (0, 2)).shape, jnp.squeeze(a[:1]).shape))
report_call("ravel / flatten", lambda: (a.ravel()[:5], a.flatten().shape))
report_call("concatenate axis=None",
            lambda: jnp.concatenate([jnp.arange(2), jnp.arange(3)], axis=None))
report_call("stack / hstack / vstack / dstack",
            lambda: (jnp.stack([a, a], axis=1).shape,
                     jnp.hstack([a, a]).shape, jnp.vstack([a, a]).shape,
                     jnp.dstack([a, a]).shape))
report_call("column_stack", lambda: jnp.column_stack([jnp.arange(3), jnp.arange(3) * 2]))
report_call("split", lambda: jnp.split(jnp.arange(9), 3))
report_call("split at indices", lambda: jnp.split(jnp.arange(9), [2, 5]))
report_call("array_split", lambda: jnp.array_split(jnp.arange(7), 3))
report_call("tile / repeat",
            lambda: (jnp.tile(jnp.arange(2), (2, 2)), jnp.repeat(jnp.arange(3), 2),
                     jnp.repeat(jnp.arange(3), jnp.array([1, 0, 2]), total_repeat_length=3)))
report_call("flip / roll / rot90", lambda: (jnp.flip(jnp.arange(4)), jnp.roll(jnp.arange(5), 2),
                                            jnp.rot90(jnp.arange(4).reshape(2, 2))))
report_call("pad constant / reflect / edge",
            lambda: (jnp.pad(jnp.arange(3), 2),
                     jnp.pad(jnp.arange(3), (1, 2), mode='reflect'),
                     jnp.pad(jnp.arange(3), 1, mode='edge')))
report_call("broadcast_to / broadcast_arrays",
            lambda: (jnp.broadcast_to(jnp.arange(3), (2, 3)),
                     jnp.broadcast_arrays(jnp.ones((2, 1)), jnp.ones(3))[0].shape))
report_call("atleast_2d", lambda: jnp.atleast_2d(jnp.arange(3)).shape)

# Indexing
m = jnp.arange(12).reshape(3, 4)
report_call("fancy indexing", lambda: m[jnp.array([0, 2]), jnp.array([1, 3])])
report_call("boolean mask", lambda: m[m % 3 == 0])
report_call("ellipsis and newaxis", lambda: m[..., None, 1].shape)
report_call("negative step slice", lambda: m[::-1, ::2])
report_call("take / take_along_axis",
            lambda: (jnp.take(m, jnp.array([0, 5, 11])),
                     jnp.take_along_axis(m, jnp.array([[0], [1], [2]]), axis=1)))
report_call("where one argument", lambda: jnp.where(m > 8))
report_call("nonzero size fill_value", lambda: jnp.nonzero(m[0] > 0, size=4, fill_value=-1))
report_call("argwhere", lambda: jnp.argwhere(m % 5 == 0))
report_call("ix_", lambda: m[jnp.ix_(jnp.array([0, 2]), jnp.array([1, 2]))])
report_call("select", lambda: jnp.select([m < 3, m > 9], [m, -m], default=0))
report_call("clip", lambda: jnp.clip(m, 2, 9))
report_call("searchsorted",
            lambda: jnp.searchsorted(jnp.array([1, 3, 5, 7]), jnp.array([0, 3, 6, 9])))
report_call("searchsorted right",
            lambda: jnp.searchsorted(jnp.array([1, 3, 5, 7]), 3, side='right'))
report_call("digitize",
            lambda: jnp.digitize(jnp.array([0.2, 6.4, 3.0]), jnp.array([0., 1., 2.5, 4.])))

# Reductions and statistics
v = jnp.array([[1., 5., 2.], [4., 3., 6.]])
report_call("sum keepdims", lambda: v.sum(axis=1, keepdims=True))
report_call("prod / cumprod", lambda: (v.prod(), jnp.cumprod(v, axis=1)))
report_call("mean / var / std ddof", lambda: (v.mean(), v.var(axis=0), v.std(ddof=1)))
report_call("min / max / argmin / argmax",
            lambda: (v.min(0), v.max(1), v.argmin(), v.argmax(axis=0)))
report_call("median / percentile / quantile",
            lambda: (jnp.median(v), jnp.percentile(v, 30),
                     jnp.quantile(v, jnp.array([0.25, 0.75]), axis=1)))
report_call("average weighted", lambda: jnp.average(v, axis=1, weights=jnp.array([1., 2., 3.])))
report_call("ptp", lambda: jnp.ptp(v, axis=1))
report_call("all / any", lambda: (jnp.all(v > 0), jnp.any(v > 5, axis=0)))
report_call("count_nonzero", lambda: jnp.count_nonzero(v > 2))
report_call("nan-aware", lambda: (jnp.nansum(jnp.array([1., jnp.nan, 2.])),
                                  jnp.nanmean(jnp.array([1., jnp.nan, 3.])),
                                  jnp.nanmax(jnp.array([jnp.nan, 2.]))))
report_call("cumsum axis", lambda: jnp.cumsum(v, axis=0))
report_call("diff", lambda: jnp.diff(jnp.array([1, 4, 9, 16]), n=2))
report_call("gradient", lambda: jnp.gradient(jnp.array([1., 4., 9., 16.])))
report_call("trapezoid", lambda: jnp.trapezoid(jnp.array([1., 2., 3.]), dx=0.5))
report_call("histogram",
            lambda: jnp.histogram(jnp.array([0.1, 0.4, 0.5, 0.9]), bins=2, range=(0, 1)))
report_call("bincount", lambda: jnp.bincount(jnp.array([0, 1, 1, 3]), length=5))
report_call("corrcoef / cov", lambda: (jnp.corrcoef(v), jnp.cov(v)))

# Sorting and sets
s = jnp.array([3, 1, 2, 3, 1, 5])
report_call("sort / argsort", lambda: (jnp.sort(s), jnp.argsort(s, stable=True)))
report_call("sort descending", lambda: jnp.sort(s, descending=True))
report_call("lexsort", lambda: jnp.lexsort((jnp.array([1, 0, 1, 0]), jnp.array([2, 2, 1, 1]))))
report_call("partition kth element", lambda: jnp.partition(s, 2)[2])
report_call("unique", lambda: jnp.unique(s))
report_call("unique return_counts", lambda: jnp.unique(s, return_counts=True))
report_call("unique size", lambda: jnp.unique(s, size=6, fill_value=-1))
report_call("isin / intersect1d / union1d / setdiff1d",
            lambda: (jnp.isin(s, jnp.array([1, 5])),
                     jnp.intersect1d(s, jnp.array([2, 3, 7])),
                     jnp.union1d(s, jnp.array([7])),
                     jnp.setdiff1d(s, jnp.array([1]))))

# Math
t = jnp.linspace(-2., 2., 5)
report_call("elementwise", lambda: (jnp.abs(t), jnp.sign(t), jnp.exp2(t), jnp.log1p(jnp.abs(t)),
                                    jnp.sinc(t), jnp.hypot(t, 1.), jnp.arctan2(t, 1.), jnp.cbrt(t)))
report_call("rounding", lambda: (jnp.round(jnp.array([0.5, 1.5, 2.567]), 1), jnp.floor(t / 3),
                                 jnp.ceil(t / 3), jnp.trunc(t / 3), jnp.rint(t / 3)))
report_call("integer ops",
            lambda: (jnp.mod(jnp.arange(-3, 4), 3), jnp.remainder(jnp.arange(-3, 4), 3),
                     jnp.fmod(jnp.arange(-3, 4), 3), jnp.gcd(12, 18), jnp.lcm(4, 6)))
report_call("divmod", lambda: jnp.divmod(jnp.arange(-3, 4), 2))
report_call("bitwise",
            lambda: (jnp.bitwise_and(12, 10), jnp.bitwise_or(12, 10), jnp.bitwise_xor(12, 10),
                     jnp.invert(jnp.uint8(5)), jnp.left_shift(1, 4), jnp.right_shift(-16, 2)))
report_call("isclose / allclose", lambda: (jnp.isclose(1.0, 1.0 + 1e-7), jnp.allclose(t, t + 1e-9)))
report_call("nan_to_num",
            lambda: jnp.nan_to_num(jnp.array([jnp.nan, jnp.inf, -jnp.inf]), posinf=9.))
report_call("logaddexp / logaddexp2", lambda: (jnp.logaddexp(1., 2.), jnp.logaddexp2(1., 2.)))
report_call("heaviside / copysign", lambda: (jnp.heaviside(t, 0.5), jnp.copysign(1., t)))
report_call("deg2rad / degrees", lambda: (jnp.deg2rad(180.), jnp.degrees(jnp.pi)))
report_call("interp", lambda: jnp.interp(jnp.array([0.5, 1.5, 3.]), jnp.array([0., 1., 2.]),
                                         jnp.array([0., 10., 20.])))
report_call("polyval / polyder / polyint", lambda: (jnp.polyval(jnp.array([1., 2., 3.]), 2.),
                                                    jnp.polyder(jnp.array([1., 2., 3.])),
                                                    jnp.polyint(jnp.array([3., 2., 1.]))))
report_call("outer / inner / kron / cross",
            lambda: (jnp.outer(jnp.arange(2), jnp.arange(3)),
                     jnp.inner(jnp.arange(3.), jnp.arange(3.)),
                     jnp.kron(jnp.eye(2), jnp.ones((1, 2))),
                     jnp.cross(jnp.array([1., 0, 0]), jnp.array([0., 1, 0]))))
report_call("einsum",
            lambda: (jnp.einsum('ij,jk->ik', m, m.T), jnp.einsum('ii', jnp.eye(3)),
                     jnp.einsum('bij,bjk->bik', jnp.ones((2, 2, 3)), jnp.ones((2, 3, 1)))))
report_call("tensordot / matmul batch",
            lambda: (jnp.tensordot(a, a, axes=([1, 2], [1, 2])),
                     jnp.matmul(jnp.ones((2, 1, 4, 3)), jnp.ones((5, 3, 2))).shape))
report_call("vdot / dot of 3-D", lambda: (jnp.vdot(m, m), jnp.dot(a, jnp.ones(4)).shape))
report_call("trace", lambda: jnp.trace(m))
report_call("frexp / ldexp",
            lambda: (jnp.frexp(jnp.array([8., 0.3])), jnp.ldexp(jnp.array([0.5]), 3)))
report_call("fft", lambda: jnp.abs(jnp.fft.fft(jnp.arange(4.))))
