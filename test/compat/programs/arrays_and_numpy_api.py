# Source: JAX docs, "Arrays" (JAX 101) and the jax.numpy API reference examples
#   https://docs.jax.dev/en/latest/new_docs/101/arrays.html (docs/new_docs/101/arrays.md)
#   https://docs.jax.dev/en/latest/jax.numpy.html
# Changed: printed values go through report(); errors are caught and their types reported;
# a tour of common jax.numpy functions (creation, shape manipulation, indexing, reductions,
# sorting, set operations, math) in the way their docstring examples use them is added.
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from _report import report, report_error

x = jnp.arange(9.0).reshape(3, 3)
y = jnp.ones(3)
report("x @ y", x @ y)
report("x.sum(axis=0)", x.sum(axis=0))
report("x[1, :2]", x[1, :2])
report("isinstance", isinstance(x, jax.Array))
report("typeof", str(jax.typeof(x)))

x = jnp.arange(10)
y = x.at[0].set(10)
report("x unchanged", x)
report("y", y)
report("at add", x.at[3].add(100))
report("at max", x.at[:3].max(5))
report("at min", x.at[5:].min(6))
report("at mul", x.at[::2].multiply(3))
report("at divide", jnp.ones(4).at[1].divide(4.))
report("at power", jnp.arange(4).at[2].power(3))
report("at get", x.at[jnp.array([1, 3])].get())
report("at with repeated indices adds twice", jnp.zeros(3).at[jnp.array([0, 0, 2])].add(1.))
report("np dtype", str(np.array([1.0, 2.0]).dtype))
report("jnp dtype", str(jnp.array([1.0, 2.0]).dtype))
report("weak promotion", str((jnp.arange(3) + 1.5).dtype))
report("out of bounds read clamps", x[11])
report("out of bounds update dropped", x.at[11].set(99))
report_error("jnp.sum of a list", lambda: jnp.sum([1, 2, 3]))
report("jnp.add(1, 1.0)", jnp.add(1, 1.0))
report_error("lax.add(1, 1.0)", lambda: lax.add(1, jnp.float32(1.0)) + lax.add(1, 1.0))

# Creation
report("zeros", jnp.zeros((2, 3), dtype=jnp.int32))
report("full", jnp.full((2, 2), 7.))
report("eye k", jnp.eye(3, 4, k=1))
report("identity", jnp.identity(2))
report("linspace endpoint", jnp.linspace(0., 1., 4, endpoint=False))
report("logspace", jnp.logspace(0., 2., 3))
report("geomspace", jnp.geomspace(1., 8., 4))
report("arange float step", jnp.arange(0, 1, 0.25))
report("meshgrid", jnp.meshgrid(jnp.arange(3), jnp.arange(2)))
report("meshgrid ij", jnp.meshgrid(jnp.arange(3), jnp.arange(2), indexing='ij'))
report("mgrid", jnp.mgrid[0:2, 0:3])
report("ogrid", jnp.ogrid[0:2, 0:3])
report("tri", jnp.tri(3, dtype=jnp.int32))
report("tril / triu", (jnp.tril(jnp.ones((3, 3))), jnp.triu(jnp.ones((3, 3)), k=1)))
report("diag / diagonal", (jnp.diag(jnp.arange(3.)), jnp.diagonal(x.reshape(2, 5))))
report("zeros_like / ones_like / full_like", (jnp.zeros_like(x), jnp.ones_like(x, dtype=float),
                                              jnp.full_like(x, 2)))
report("asarray of tuple", jnp.asarray((1, 2.5)))
report("array of nested lists", jnp.array([[1, 2], [3, 4]], dtype=jnp.float32))

# Shape manipulation
a = jnp.arange(24).reshape(2, 3, 4)
report("reshape -1", a.reshape(4, -1).shape)
report("transpose axes", jnp.transpose(a, (2, 0, 1)).shape)
report("swapaxes / moveaxis", (jnp.swapaxes(a, 0, 2).shape, jnp.moveaxis(a, 0, -1).shape))
report("expand_dims / squeeze", (jnp.expand_dims(a, (0, 2)).shape, jnp.squeeze(a[:1]).shape))
report("ravel / flatten", (a.ravel()[:5], a.flatten().shape))
report("concatenate axis=None", jnp.concatenate([jnp.arange(2), jnp.arange(3)], axis=None))
report("stack / hstack / vstack / dstack", (jnp.stack([a, a], axis=1).shape,
                                            jnp.hstack([a, a]).shape, jnp.vstack([a, a]).shape,
                                            jnp.dstack([a, a]).shape))
report("column_stack", jnp.column_stack([jnp.arange(3), jnp.arange(3) * 2]))
report("split", jnp.split(jnp.arange(9), 3))
report("split at indices", jnp.split(jnp.arange(9), [2, 5]))
report("array_split", jnp.array_split(jnp.arange(7), 3))
report("tile / repeat", (jnp.tile(jnp.arange(2), (2, 2)), jnp.repeat(jnp.arange(3), 2),
                         jnp.repeat(jnp.arange(3), jnp.array([1, 0, 2]), total_repeat_length=3)))
report("flip / roll / rot90", (jnp.flip(jnp.arange(4)), jnp.roll(jnp.arange(5), 2),
                               jnp.rot90(jnp.arange(4).reshape(2, 2))))
report("pad constant / reflect / edge", (jnp.pad(jnp.arange(3), 2),
                                         jnp.pad(jnp.arange(3), (1, 2), mode='reflect'),
                                         jnp.pad(jnp.arange(3), 1, mode='edge')))
report("broadcast_to / broadcast_arrays", (jnp.broadcast_to(jnp.arange(3), (2, 3)),
                                           jnp.broadcast_arrays(jnp.ones((2, 1)), jnp.ones(3))[0].shape))
report("atleast_2d", jnp.atleast_2d(jnp.arange(3)).shape)

# Indexing
m = jnp.arange(12).reshape(3, 4)
report("fancy indexing", m[jnp.array([0, 2]), jnp.array([1, 3])])
report("boolean mask", m[m % 3 == 0])
report("ellipsis and newaxis", m[..., None, 1].shape)
report("negative step slice", m[::-1, ::2])
report("take / take_along_axis", (jnp.take(m, jnp.array([0, 5, 11])),
                                  jnp.take_along_axis(m, jnp.array([[0], [1], [2]]), axis=1)))
report("where one argument", jnp.where(m > 8))
report("nonzero size fill_value", jnp.nonzero(m[0] > 0, size=4, fill_value=-1))
report("argwhere", jnp.argwhere(m % 5 == 0))
report("ix_", m[jnp.ix_(jnp.array([0, 2]), jnp.array([1, 2]))])
report("select", jnp.select([m < 3, m > 9], [m, -m], default=0))
report("clip", jnp.clip(m, 2, 9))
report("searchsorted", jnp.searchsorted(jnp.array([1, 3, 5, 7]), jnp.array([0, 3, 6, 9])))
report("searchsorted right", jnp.searchsorted(jnp.array([1, 3, 5, 7]), 3, side='right'))
report("digitize", jnp.digitize(jnp.array([0.2, 6.4, 3.0]), jnp.array([0., 1., 2.5, 4.])))

# Reductions and statistics
v = jnp.array([[1., 5., 2.], [4., 3., 6.]])
report("sum keepdims", v.sum(axis=1, keepdims=True))
report("prod / cumprod", (v.prod(), jnp.cumprod(v, axis=1)))
report("mean / var / std ddof", (v.mean(), v.var(axis=0), v.std(ddof=1)))
report("min / max / argmin / argmax", (v.min(0), v.max(1), v.argmin(), v.argmax(axis=0)))
report("median / percentile / quantile", (jnp.median(v), jnp.percentile(v, 30),
                                          jnp.quantile(v, jnp.array([0.25, 0.75]), axis=1)))
report("average weighted", jnp.average(v, axis=1, weights=jnp.array([1., 2., 3.])))
report("ptp", jnp.ptp(v, axis=1))
report("all / any", (jnp.all(v > 0), jnp.any(v > 5, axis=0)))
report("count_nonzero", jnp.count_nonzero(v > 2))
report("nan-aware", (jnp.nansum(jnp.array([1., jnp.nan, 2.])),
                     jnp.nanmean(jnp.array([1., jnp.nan, 3.])),
                     jnp.nanmax(jnp.array([jnp.nan, 2.]))))
report("cumsum axis", jnp.cumsum(v, axis=0))
report("diff", jnp.diff(jnp.array([1, 4, 9, 16]), n=2))
report("gradient", jnp.gradient(jnp.array([1., 4., 9., 16.])))
report("trapezoid", jnp.trapezoid(jnp.array([1., 2., 3.]), dx=0.5))
report("histogram", jnp.histogram(jnp.array([0.1, 0.4, 0.5, 0.9]), bins=2, range=(0, 1)))
report("bincount", jnp.bincount(jnp.array([0, 1, 1, 3]), length=5))
report("corrcoef / cov", (jnp.corrcoef(v), jnp.cov(v)))

# Sorting and sets
s = jnp.array([3, 1, 2, 3, 1, 5])
report("sort / argsort", (jnp.sort(s), jnp.argsort(s, stable=True)))
report("sort descending", jnp.sort(s, descending=True))
report("lexsort", jnp.lexsort((jnp.array([1, 0, 1, 0]), jnp.array([2, 2, 1, 1]))))
report("partition kth element", jnp.partition(s, 2)[2])
report("unique", jnp.unique(s))
report("unique return_counts", jnp.unique(s, return_counts=True))
report("unique size", jnp.unique(s, size=6, fill_value=-1))
report("isin / intersect1d / union1d / setdiff1d", (jnp.isin(s, jnp.array([1, 5])),
                                                    jnp.intersect1d(s, jnp.array([2, 3, 7])),
                                                    jnp.union1d(s, jnp.array([7])),
                                                    jnp.setdiff1d(s, jnp.array([1]))))

# Math
t = jnp.linspace(-2., 2., 5)
report("elementwise", (jnp.abs(t), jnp.sign(t), jnp.exp2(t), jnp.log1p(jnp.abs(t)),
                       jnp.sinc(t), jnp.hypot(t, 1.), jnp.arctan2(t, 1.), jnp.cbrt(t)))
report("rounding", (jnp.round(jnp.array([0.5, 1.5, 2.567]), 1), jnp.floor(t / 3),
                    jnp.ceil(t / 3), jnp.trunc(t / 3), jnp.rint(t / 3)))
report("integer ops", (jnp.mod(jnp.arange(-3, 4), 3), jnp.remainder(jnp.arange(-3, 4), 3),
                       jnp.fmod(jnp.arange(-3, 4), 3), jnp.gcd(12, 18), jnp.lcm(4, 6)))
report("divmod", jnp.divmod(jnp.arange(-3, 4), 2))
report("bitwise", (jnp.bitwise_and(12, 10), jnp.bitwise_or(12, 10), jnp.bitwise_xor(12, 10),
                   jnp.invert(jnp.uint8(5)), jnp.left_shift(1, 4), jnp.right_shift(-16, 2)))
report("isclose / allclose", (jnp.isclose(1.0, 1.0 + 1e-7), jnp.allclose(t, t + 1e-9)))
report("nan_to_num", jnp.nan_to_num(jnp.array([jnp.nan, jnp.inf, -jnp.inf]), posinf=9.))
report("logaddexp / logaddexp2", (jnp.logaddexp(1., 2.), jnp.logaddexp2(1., 2.)))
report("heaviside / copysign", (jnp.heaviside(t, 0.5), jnp.copysign(1., t)))
report("deg2rad / degrees", (jnp.deg2rad(180.), jnp.degrees(jnp.pi)))
report("interp", jnp.interp(jnp.array([0.5, 1.5, 3.]), jnp.array([0., 1., 2.]),
                            jnp.array([0., 10., 20.])))
report("polyval / polyder / polyint", (jnp.polyval(jnp.array([1., 2., 3.]), 2.),
                                       jnp.polyder(jnp.array([1., 2., 3.])),
                                       jnp.polyint(jnp.array([3., 2., 1.]))))
report("outer / inner / kron / cross", (jnp.outer(jnp.arange(2), jnp.arange(3)),
                                        jnp.inner(jnp.arange(3.), jnp.arange(3.)),
                                        jnp.kron(jnp.eye(2), jnp.ones((1, 2))),
                                        jnp.cross(jnp.array([1., 0, 0]), jnp.array([0., 1, 0]))))
report("einsum", (jnp.einsum('ij,jk->ik', m, m.T), jnp.einsum('ii', jnp.eye(3)),
                  jnp.einsum('bij,bjk->bik', jnp.ones((2, 2, 3)), jnp.ones((2, 3, 1)))))
report("tensordot / matmul batch", (jnp.tensordot(a, a, axes=([1, 2], [1, 2])),
                                    jnp.matmul(jnp.ones((2, 1, 4, 3)), jnp.ones((5, 3, 2))).shape))
report("vdot / dot of 3-D", (jnp.vdot(m, m), jnp.dot(a, jnp.ones(4)).shape))
report("trace", jnp.trace(m))
report("frexp / ldexp", (jnp.frexp(jnp.array([8., 0.3])), jnp.ldexp(jnp.array([0.5]), 3)))
report("fft", jnp.abs(jnp.fft.fft(jnp.arange(4.))))
