# Source: JAX docs, "Generalized convolutions in JAX"
#   https://docs.jax.dev/en/latest/notebooks/convolutions.html (docs/notebooks/convolutions.md)
# Changed: plots left out (output statistics reported instead); a random 64x64 image instead
# of scipy.datasets.face(); a 40x36 image instead of 200x198 for lax.conv*.
from jax import random
from jax import lax
import jax.numpy as jnp
import jax.scipy as jsp
import numpy as np

from _report import report

key = random.key(1701)
x = jnp.linspace(0, 10, 500)
y = jnp.sin(x) + 0.2 * random.normal(key, shape=(500,))
window = jnp.ones(10) / 10
y_smooth = jnp.convolve(y, window, mode='same')
report("1-D smoothing", y_smooth[::50])
report("convolve full", jnp.convolve(jnp.arange(5.), jnp.array([1., 0., -1.])))
report("convolve valid", jnp.convolve(jnp.arange(5.), jnp.array([1., 0., -1.]), mode='valid'))
report("correlate", jnp.correlate(jnp.arange(5.), jnp.array([1., 2.]), mode='full'))

image = jnp.array(np.random.RandomState(0).rand(64, 64) * 255)
key = random.key(1701)
noisy_image = image + 50 * random.normal(key, image.shape)
x = jnp.linspace(-3, 3, 7)
window = jsp.stats.norm.pdf(x) * jsp.stats.norm.pdf(x[:, None])
smooth_image = jsp.signal.convolve(noisy_image, window, mode='same')
report("2-D smoothing", smooth_image[::16, ::16], rtol=1e-3)

kernel = jnp.zeros((3, 3, 3, 3), dtype=jnp.float32)
kernel += jnp.array([[1, 1, 0],
                     [1, 0, -1],
                     [0, -1, -1]])[:, :, jnp.newaxis, jnp.newaxis]
img = jnp.zeros((1, 40, 36, 3), dtype=jnp.float32)
for k in range(3):
    x = 5 + 10 * k
    y = 4 + 10 * k
    img = img.at[0, x:x + 6, y:y + 6, k].set(1.0)
report("image sum", img.sum())


def summary(out):
    return (out.shape, float(out.sum()), float(jnp.abs(out).sum()), float(out.max()))


out = lax.conv(jnp.transpose(img, [0, 3, 1, 2]), jnp.transpose(kernel, [3, 2, 0, 1]),
               (1, 1), 'SAME')
report("lax.conv", summary(out))
out = lax.conv_with_general_padding(jnp.transpose(img, [0, 3, 1, 2]),
                                    jnp.transpose(kernel, [3, 2, 0, 1]),
                                    (1, 1), ((2, 2), (2, 2)), (1, 1), (1, 1))
report("conv_with_general_padding", summary(out))
dn = lax.conv_dimension_numbers(img.shape, kernel.shape, ('NHWC', 'HWIO', 'NHWC'))
report("dimension numbers", (dn.lhs_spec, dn.rhs_spec, dn.out_spec))
out = lax.conv_general_dilated(img, kernel, (1, 1), 'SAME', (1, 1), (1, 1), dn)
report("SAME", summary(out))
report("SAME first channel row", out[0, 7, :, 0])
out = lax.conv_general_dilated(img, kernel, (1, 1), 'VALID', (1, 1), (1, 1), dn)
report("VALID", summary(out))
out = lax.conv_general_dilated(img, kernel, (2, 2), 'SAME', (1, 1), (1, 1), dn)
report("strided", summary(out))
out = lax.conv_general_dilated(img, kernel, (1, 1), 'VALID', (1, 1), (4, 4), dn)
report("kernel dilation", summary(out))
out = lax.conv_general_dilated(img, kernel, (1, 1), ((0, 0), (0, 0)), (2, 2), (1, 1), dn)
report("image dilation", summary(out))
kernel_rot = jnp.rot90(jnp.rot90(kernel, axes=(0, 1)), axes=(0, 1))
padding = ((2, 1), (2, 1))
out = lax.conv_general_dilated(img, kernel_rot, (1, 1), padding, (2, 2), (1, 1), dn)
report("transposed conv", summary(out))
report("conv_transpose", summary(lax.conv_transpose(img, kernel, (2, 2), 'SAME',
                                                    dimension_numbers=('NHWC', 'HWIO', 'NHWC'))))

kernel = jnp.array([[[1, 0, -1], [-1, 0, 1]],
                    [[1, 1, 1], [-1, -1, -1]]], dtype=jnp.float32).transpose([2, 1, 0])
data = np.zeros((1, 200, 2), dtype=jnp.float32)
for i in range(2):
    for k in range(2):
        x = 35 * i + 30 + 60 * k
        data[0, x:x + 30, k] = 1.0
dn = lax.conv_dimension_numbers(data.shape, kernel.shape, ('NWC', 'WIO', 'NWC'))
out = lax.conv_general_dilated(data, kernel, (1,), 'SAME', (1,), (1,), dn)
report("1-D conv", summary(out))
report("1-D conv nonzero", jnp.nonzero(out[0, :, 0])[0])

kernel = jnp.ones((3, 3, 3, 1, 1), dtype=jnp.float32)
data = np.zeros((1, 12, 12, 12, 1), dtype=jnp.float32)
data[0, 4:8, 4:8, 4:8, 0] = 1.0
dn = lax.conv_dimension_numbers(data.shape, kernel.shape, ('NHWDC', 'HWDIO', 'NHWDC'))
out = lax.conv_general_dilated(data, kernel, (1, 1, 1), 'SAME', (1, 1, 1), (1, 1, 1), dn)
report("3-D conv", summary(out))
