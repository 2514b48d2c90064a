# Source: the jax.numpy.linalg and jax.scipy.linalg API reference examples
#   https://docs.jax.dev/en/latest/jax.numpy.html#module-jax.numpy.linalg
#   https://docs.jax.dev/en/latest/jax.scipy.html#module-jax.scipy.linalg
#   and the least-squares / Newton examples of QuantEcon's "Newton's Method via JAX"
#   https://jax.quantecon.org/newtons_method.html
# Changed: decompositions are reported through quantities that do not depend on sign or
# ordering conventions (reconstructions, singular values, eigenvalues) where those differ
# between LAPACK builds.
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from _report import report

rng = np.random.RandomState(0)
A = jnp.array(rng.randn(4, 4), dtype=jnp.float32)
S = A @ A.T + 4 * jnp.eye(4)
b = jnp.array(rng.randn(4), dtype=jnp.float32)

report("solve", jnp.linalg.solve(A, b), rtol=1e-3)
report("inv", jnp.linalg.inv(S), rtol=1e-3)
report("det", jnp.linalg.det(A), rtol=1e-3)
report("slogdet", jnp.linalg.slogdet(S), rtol=1e-3)
report("norms", (jnp.linalg.norm(A), jnp.linalg.norm(A, ord=1), jnp.linalg.norm(A, ord=jnp.inf),
                 jnp.linalg.norm(b, ord=3), jnp.linalg.norm(A, axis=1)), rtol=1e-4)
report("matrix_power", jnp.linalg.matrix_power(S / 10, 3), rtol=1e-3)
L = jnp.linalg.cholesky(S)
report("cholesky", L, rtol=1e-3)
report("batched solve", jnp.linalg.solve(jnp.stack([S, 2 * S]), jnp.stack([b, b])[..., None]), rtol=1e-3)
report("grad of logdet", jax.grad(lambda S: jnp.linalg.slogdet(S)[1])(S), rtol=1e-3)
report("grad of solve", jax.grad(lambda b: jnp.sum(jnp.linalg.solve(S, b) ** 2))(b), rtol=1e-3)
report("vmap of inv", jax.vmap(jnp.linalg.inv)(jnp.stack([S, 2 * S])), rtol=1e-3)
report("triangular solve", jsl.solve_triangular(L, b, lower=True), rtol=1e-3)
report("cho_solve", jsl.cho_solve(jsl.cho_factor(S), b), rtol=1e-3)
report("scipy cholesky upper", jsl.cholesky(S), rtol=1e-3)
P, Lu, U = jsl.lu(A)
report("lu reconstructs", jnp.allclose(P @ Lu @ U, A, atol=1e-5))
report("lu_factor + lu_solve", jsl.lu_solve(jsl.lu_factor(A), b), rtol=1e-3)
report("expm", jsl.expm(S / 10), rtol=1e-3)
Q, R = jnp.linalg.qr(A)
report("qr reconstructs", jnp.allclose(Q @ R, A, atol=1e-5))
report("qr |diag R|", jnp.abs(jnp.diag(R)), rtol=1e-3)
w, V = jnp.linalg.eigh(S)
report("eigh eigenvalues", w, rtol=1e-3)
report("eigh reconstructs", jnp.allclose(V @ jnp.diag(w) @ V.T, S, atol=1e-4))
report("eigvalsh", jnp.linalg.eigvalsh(S), rtol=1e-3)
u, s, vt = jnp.linalg.svd(A)
report("singular values", s, rtol=1e-3)
report("svd reconstructs", jnp.allclose((u * s) @ vt, A, atol=1e-5))
report("svd compute_uv=False", jnp.linalg.svd(A, compute_uv=False), rtol=1e-3)
report("pinv", jnp.linalg.pinv(A[:, :3]), rtol=1e-3)
report("lstsq", jnp.linalg.lstsq(A[:, :2], b)[0], rtol=1e-3)
report("matrix_rank", jnp.linalg.matrix_rank(A[:, :2] @ A[:2, :]))
report("cond", jnp.linalg.cond(S), rtol=1e-3)
report("eigvals of a symmetric matrix (sorted real parts)",
       jnp.sort(jnp.real(jnp.linalg.eigvals(S))), rtol=1e-3)


# QuantEcon's multivariate Newton solver: solve e(p) = 0 with jax.jacobian and linalg.solve.
def newton(f, x_0, tol=1e-5, max_iter=15):
    x = x_0
    f_jac = jax.jacobian(f)

    @jax.jit
    def q(x):
        return x - jnp.linalg.solve(f_jac(x), f(x))

    error = tol + 1
    n = 0
    while error > tol:
        n += 1
        if n > max_iter:
            raise Exception('Max iteration reached without convergence')
        y = q(x)
        error = jnp.linalg.norm(x - y)
        x = y
    return x, n


def e(p, A, b, c):
    return jnp.exp(- A @ p) + c - b * jnp.sqrt(p)


dim = 5
A_e = jnp.array(np.random.RandomState(1).rand(dim, dim) / 10)
b_e = jnp.ones(dim)
c_e = jnp.ones(dim)
p, iterations = newton(lambda p: e(p, A_e, b_e, c_e), jnp.ones(dim))
report("newton equilibrium prices", p, rtol=1e-3)
report("newton iterations", iterations)
report("excess demand at solution", jnp.max(jnp.abs(e(p, A_e, b_e, c_e))) < 1e-4)
